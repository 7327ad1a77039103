"""The government Social Value Model, and commissioners' own social value measure sets.

Plain Python, no Django.

The model (`social_value_model()`) is the one published by the Cabinet Office with PPN 06/20,
under the Open Government Licence v3.0: five themes, eight policy outcomes, each with its model
award criterion (MAC) reference and a short summary of its sub-criteria. It ships as
`data/social_value_model.json`, which records its source and licence; NOTICE says the same. The
National TOMs are not shipped: their licence does not allow it.

A commissioner may bring their own measures, the things a bidder commits to and reports on
("hours of volunteering", "local people employed"), as a CSV with the header

    id,theme,outcome,measure,unit,proxy_value

`proxy_value` is optional (leave the cell empty, or leave out the column): a proxy value in
pounds per unit, such as 14.50, for commissioners who put a £ figure on outcomes. The loader
keeps every good row and refuses every bad one with its line number and all its reasons
(`MeasureSetImport.refused`), so nothing is silently dropped; a file it cannot read at all
(not UTF-8, no header, a required column missing) is refused as a whole.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, Final

from covenant.core.errors import ValidationFailed

DATA: Final = Path(__file__).resolve().parent / "data" / "social_value_model.json"
REQUIRED_COLUMNS: Final = ("id", "theme", "outcome", "measure", "unit")
OPTIONAL_COLUMNS: Final = ("proxy_value",)
MAX_ROWS: Final = 10_000
MAX_TEXT: Final = 500
# A proxy value above £10m a unit is a typo (pence typed as pounds, an extra zero), not a value.
MAX_PROXY_PENCE: Final = 1_000_000_000
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
_MONEY = re.compile(r"£?\s*([0-9][0-9,]*)(?:\.([0-9]{1,2}))?")


class MeasureSetRefused(ValidationFailed):
    """A measure set file that cannot be read at all (bad rows are refused one by one)."""

    code = "measure_set_refused"


@dataclass(frozen=True, slots=True)
class ModelOutcome:
    mac: str
    name: str
    theme: str
    sub_criteria: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ModelTheme:
    number: int
    name: str
    outcomes: tuple[ModelOutcome, ...]


@dataclass(frozen=True, slots=True)
class SocialValueModel:
    name: str
    edition: str
    publisher: str
    source: str
    licence: str
    licence_url: str
    attribution: str
    themes: tuple[ModelTheme, ...]

    @property
    def outcomes(self) -> tuple[ModelOutcome, ...]:
        return tuple(o for theme in self.themes for o in theme.outcomes)

    def outcome(self, mac: str) -> ModelOutcome:
        """The policy outcome with this MAC reference ("MAC 2.1", "mac 2.1" or "2.1")."""
        wanted = _mac_key(mac)
        for candidate in self.outcomes:
            if _mac_key(candidate.mac) == wanted:
                return candidate
        known = ", ".join(o.mac for o in self.outcomes)
        raise ValidationFailed(
            f"{mac!r} is not a model award criterion of the Social Value Model ({known}).",
            field="reference",
        )


def _mac_key(text: str) -> str:
    return re.sub(r"^mac\s*", "", text.strip().lower())


@cache
def social_value_model() -> SocialValueModel:
    """The PPN 06/20 Social Value Model, read once from the shipped data file."""
    raw: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    themes = tuple(
        ModelTheme(
            number=theme["number"],
            name=theme["name"],
            outcomes=tuple(
                ModelOutcome(
                    mac=o["mac"],
                    name=o["name"],
                    theme=theme["name"],
                    sub_criteria=tuple(o["sub_criteria"]),
                )
                for o in theme["outcomes"]
            ),
        )
        for theme in raw["themes"]
    )
    return SocialValueModel(
        name=raw["model"],
        edition=raw["edition"],
        publisher=raw["publisher"],
        source=raw["source"],
        licence=raw["licence"],
        licence_url=raw["licence_url"],
        attribution=raw["attribution"],
        themes=themes,
    )


# ------------------------------------------------------------------------------ measure sets


@dataclass(frozen=True, slots=True)
class Measure:
    id: str
    theme: str
    outcome: str
    measure: str
    unit: str
    proxy_value_pence: int | None
    # The model award criterion this measure's outcome is, when it names one of the model's.
    model_outcome: str | None


@dataclass(frozen=True, slots=True)
class RowRefusal:
    line: int
    id: str
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        label = f" ({self.id})" if self.id else ""
        return f"Line {self.line}{label}: " + "; ".join(self.reasons)


@dataclass(frozen=True, slots=True)
class MeasureSetImport:
    measures: tuple[Measure, ...]
    refused: tuple[RowRefusal, ...]
    ignored_columns: tuple[str, ...]


def parse_proxy_value(text: str) -> int:
    """Pounds as typed (14.50, £1,200, 3) to pence; refuses anything else with the reason."""
    cleaned = text.strip()
    match = _MONEY.fullmatch(cleaned)
    if match is None:
        raise ValueError(
            f"proxy_value {text!r} is not an amount in pounds (write it like 14.50, no minus sign)"
        )
    whole, fraction = match.group(1), match.group(2) or ""
    if "," in whole and not re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})*", whole):
        raise ValueError(f"proxy_value {text!r} has its thousands commas in the wrong places")
    try:
        pounds = Decimal(whole.replace(",", "") + "." + (fraction or "0"))
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise ValueError(f"proxy_value {text!r} is not an amount in pounds") from None
    pence = int(pounds * 100)
    if pence > MAX_PROXY_PENCE:
        raise ValueError(f"proxy_value {text!r} is over £10m a unit; check the figure")
    return pence


def _model_outcome_for(outcome: str) -> str | None:
    model = social_value_model()
    folded_outcome = outcome.strip().casefold()
    for candidate in model.outcomes:
        if folded_outcome in {candidate.name.casefold(), candidate.mac.casefold()}:
            return candidate.mac
    return None


def load_measure_set(data: bytes | str, *, themes: Iterable[str] | None = None) -> MeasureSetImport:
    """Read a commissioner's measure set from CSV text or bytes (UTF-8, a BOM is fine).

    `themes`, when given, limits the theme column to those names (compared without regard to
    case), for a commissioner who keeps to the model's themes or their own list.
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise MeasureSetRefused(
                f"The file is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8.",
                field="file",
            ) from None
    else:
        text = data.removeprefix("\ufeff")
    if "\x00" in text:
        raise MeasureSetRefused("The file contains NUL bytes; it is not a CSV.", field="file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise MeasureSetRefused("The file is empty; it needs a header row.", field="file") from None
    except csv.Error as exc:
        raise MeasureSetRefused(f"The header row cannot be read: {exc}.", field="file") from None
    columns = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise MeasureSetRefused(
            "The header is missing "
            + ", ".join(missing)
            + "; it must have "
            + ", ".join(REQUIRED_COLUMNS)
            + " and may have proxy_value.",
            field="file",
        )
    repeated = sorted({name for name in columns if name and columns.count(name) > 1})
    if repeated:
        raise MeasureSetRefused(
            "The header repeats " + ", ".join(repeated) + "; name each column once.",
            field="file",
        )
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    ignored = tuple(name for name in columns if name not in known)
    allowed = None if themes is None else {t.strip().casefold(): t for t in themes}

    measures: list[Measure] = []
    refused: list[RowRefusal] = []
    seen: dict[str, int] = {}
    rows = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            refused.append(RowRefusal(reader.line_num, "", (f"the row cannot be read: {exc}",)))
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # a blank line separates nothing and holds nothing
        rows += 1
        if rows > MAX_ROWS:
            raise MeasureSetRefused(
                f"The file has more than {MAX_ROWS:,} measures; split it.", field="file"
            )
        if len(row) != len(columns):
            refused.append(
                RowRefusal(
                    line,
                    row[0].strip() if row else "",
                    (f"it has {len(row)} cells but the header has {len(columns)}",),
                )
            )
            continue
        cells = {name: value.strip() for name, value in zip(columns, row, strict=True)}
        reasons: list[str] = []
        measure_id = cells["id"]
        if not measure_id:
            reasons.append("id is empty")
        elif not _ID.fullmatch(measure_id):
            reasons.append(
                f"id {measure_id!r} must be up to 40 letters, digits, dots, dashes or "
                "underscores, starting with a letter or digit"
            )
        elif measure_id in seen:
            reasons.append(f"id {measure_id!r} is already used on line {seen[measure_id]}")
        for name in ("theme", "outcome", "measure", "unit"):
            if not cells[name]:
                reasons.append(f"{name} is empty")
            elif len(cells[name]) > MAX_TEXT:
                reasons.append(f"{name} is longer than {MAX_TEXT} characters")
        theme = cells["theme"]
        if allowed is not None and theme and theme.casefold() not in allowed:
            reasons.append(
                f"theme {theme!r} is not one of this node's themes ({', '.join(allowed.values())})"
            )
        elif allowed is not None and theme:
            theme = allowed[theme.casefold()]
        proxy: int | None = None
        raw_proxy = cells.get("proxy_value", "")
        if raw_proxy:
            try:
                proxy = parse_proxy_value(raw_proxy)
            except ValueError as exc:
                reasons.append(str(exc))
        if reasons:
            refused.append(RowRefusal(line, measure_id, tuple(reasons)))
            continue
        seen[measure_id] = line
        measures.append(
            Measure(
                id=measure_id,
                theme=theme,
                outcome=cells["outcome"],
                measure=cells["measure"],
                unit=cells["unit"],
                proxy_value_pence=proxy,
                model_outcome=_model_outcome_for(cells["outcome"]),
            )
        )
    return MeasureSetImport(
        measures=tuple(measures), refused=tuple(refused), ignored_columns=ignored
    )
