"""Reading the ONS and MHCLG place files: plain Python, no Django.

A node imports files people download from the ONS Open Geography Portal and GOV.UK, saved
however their spreadsheet saved them: with or without a UTF-8 byte-order mark, CRLF or LF line
endings, ranks written "29,199", gzip-compressed or not, columns in any order and extra columns
added. So a file is recognised by its header, never by its name, and every data row comes back
either as a typed row or as a `Refusal` that names the line and says what is wrong in words a
person can act on. A file that cannot be read at all (empty, a spreadsheet, a column missing)
raises `UnusableFile` once, naming the file and what it was expected to be, before any row is
returned, so a caller can check every file before it writes anything.

The files (see /work/shared/data/SOURCES.md and NOTICE for their origin and licence):

- ONS LSOA (2011) to ward (2017) to local authority (2017) lookup
- ONS LSOA (2011) population-weighted centroids (X is longitude, Y is latitude)
- IoD2019 File 1 (IMD rank and decile), File 2 (the domains' ranks and deciles),
  File 6 (population denominators) and an IMD score file (LSOA11CD, IMD_2019_score)
- ONS local authority (2019) to region lookup, and local authority names and codes
- ONS/Defra Rural-Urban Classification (2011) of LSOAs
- the ONS Postcode Directory (ONSPD) or National Statistics Postcode Lookup (NSPL)
"""

from __future__ import annotations

import csv
import enum
import gzip
import io
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Final, cast

from covenant.core.identifiers import postcode_normalise

# England had 32,844 LSOAs (2011) in the Indices of Deprivation 2019: ranks run 1..32,844.
ENGLAND_LSOAS: Final = 32_844
MAX_NAME: Final = 100

# Great Britain and Northern Ireland, with a margin: anything outside is a swapped or
# mistyped coordinate, not a place in the United Kingdom.
LATITUDE_RANGE: Final = (49.8, 60.9)
LONGITUDE_RANGE: Final = (-8.7, 1.8)
# ONSPD writes this latitude (and longitude 0) for postcodes that have no grid reference.
ONSPD_NO_GRID_LATITUDE: Final = 99.999999

# The seven IoD2019 domains and the overall index, as the model names them.
DOMAINS: Final = (
    "imd",
    "income",
    "employment",
    "education",
    "health",
    "crime",
    "housing",
    "environment",
)
DOMAIN_TITLES: Final = {
    "imd": "Index of Multiple Deprivation (IMD)",
    "income": "Income",
    "employment": "Employment",
    "education": "Education, Skills and Training",
    "health": "Health Deprivation and Disability",
    "crime": "Crime",
    "housing": "Barriers to Housing and Services",
    "environment": "Living Environment",
}
DOMAIN_LABELS: Final = {
    "imd": "IMD",
    "income": "income",
    "employment": "employment",
    "education": "education",
    "health": "health",
    "crime": "crime",
    "housing": "barriers to housing and services",
    "environment": "living environment",
}

RURAL_URBAN_CODES: Final = frozenset({"A1", "B1", "C1", "C2", "D1", "D2", "E1", "E2"})

_LSOA = re.compile(r"[EW]01[0-9]{6}")
_LAD = re.compile(r"(?:E0[6-9]|W06|S12|N09)[0-9]{6}")
_WARD = re.compile(r"(?:[EW]05|S13|N08)[0-9]{6}")
_REGION = re.compile(r"E12[0-9]{6}")
# Whole numbers as spreadsheets write them: "29199" or "29,199" (groups of exactly three).
_WHOLE = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)")
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")


class Kind(enum.Enum):
    """What a file is, as recognised from its header."""

    LSOA_WARD = "lsoa_ward"
    CENTROIDS = "centroids"
    IMD = "imd"
    DOMAINS = "domains"
    POPULATION = "population"
    IMD_SCORE = "imd_score"
    LAD_REGION = "lad_region"
    LAD_NAMES = "lad_names"
    RURAL_URBAN = "rural_urban"
    POSTCODES = "postcodes"


# Rows --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LsoaWardRow:
    lsoa_code: str
    lsoa_name: str
    ward_code: str
    ward_name: str
    lad_code: str
    lad_name: str


@dataclass(frozen=True, slots=True)
class CentroidRow:
    lsoa_code: str
    longitude: float
    latitude: float


@dataclass(frozen=True, slots=True)
class DeprivationRow:
    """A row of IoD2019 File 1 (the IMD only) or File 2 (the IMD and its seven domains).

    `ranks` and `deciles` are keyed by the names in `DOMAINS`."""

    lsoa_code: str
    lsoa_name: str
    lad_code: str
    lad_name: str
    ranks: Mapping[str, int]
    deciles: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class PopulationRow:
    """IoD2019 File 6. The names and local authority are blank if the file was trimmed."""

    lsoa_code: str
    population: int
    lsoa_name: str = ""
    lad_code: str = ""
    lad_name: str = ""


@dataclass(frozen=True, slots=True)
class ImdScoreRow:
    lsoa_code: str
    imd_score: float
    imd_decile: int | None


@dataclass(frozen=True, slots=True)
class LadRegionRow:
    lad_code: str
    lad_name: str
    region_code: str
    region_name: str


@dataclass(frozen=True, slots=True)
class LadNameRow:
    lad_code: str
    lad_name: str


@dataclass(frozen=True, slots=True)
class RuralUrbanRow:
    lsoa_code: str
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class PostcodeRow:
    """A postcode in England or Wales with its LSOA. Coordinates are None when the directory
    has no grid reference for it; `lad_code` is blank when the file has no such column."""

    postcode: str
    district: str
    lsoa_code: str
    latitude: float | None
    longitude: float | None
    terminated: bool
    lad_code: str


Row = (
    LsoaWardRow
    | CentroidRow
    | DeprivationRow
    | PopulationRow
    | ImdScoreRow
    | LadRegionRow
    | LadNameRow
    | RuralUrbanRow
    | PostcodeRow
)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A data row that breaks a rule; `line` is the physical line in the file (header = 1)."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Skipped:
    """A well-formed row this node has no use for (a Scottish postcode, say). Counted, so
    nothing disappears without a trace, but not an error."""

    line: int
    reason: str


Item = Row | Refusal | Skipped


class UnusableFile(ValueError):
    """The whole file cannot be imported; the message names it and says what to do."""


class UnknownFile(UnusableFile):
    """Readable, but not a file any importer here reads (or not the one expected)."""


class MissingColumns(UnusableFile):
    """Recognisably one of our files, but a column it needs is not there."""

    def __init__(self, message: str, *, missing: Sequence[str]) -> None:
        super().__init__(message)
        self.missing = list(missing)


# Values ------------------------------------------------------------------------------------


def parse_whole(text: str) -> int:
    """A whole number as a spreadsheet writes it: '29199', '29,199', ' 7 '. Raises
    ValueError for anything else (including misplaced separators such as '2,91,99')."""
    value = text.strip()
    if not _WHOLE.fullmatch(value):
        raise ValueError(f"'{text}' is not a whole number")
    return int(value.replace(",", ""))


def parse_decimal(text: str) -> float:
    """A finite decimal number: '47.595', '-1.4945', '1,234.5', '1e-05'. Raises ValueError
    for blanks, words, 'nan' and 'inf'."""
    value = text.strip()
    if "," in value:
        if not _GROUPED.fullmatch(value):
            raise ValueError(f"'{text}' is not a number")
        value = value.replace(",", "")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"'{text}' is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"'{text}' is not a number")
    return number


def lsoa_code_check(text: str) -> str:
    code = text.strip().upper()
    if not code:
        raise ValueError("LSOA code is blank")
    if not _LSOA.fullmatch(code):
        raise ValueError(f"LSOA code '{text}' is not an ONS LSOA code (E01 or W01 and 6 digits)")
    return code


def lad_code_check(text: str) -> str:
    code = text.strip().upper()
    if not code:
        raise ValueError("local authority code is blank")
    if not _LAD.fullmatch(code):
        raise ValueError(
            f"local authority code '{text}' is not an ONS local authority district code "
            "(E06, E07, E08, E09, W06, S12 or N09 and 6 digits)"
        )
    return code


def ward_code_check(text: str) -> str:
    code = text.strip().upper()
    if not code:
        raise ValueError("ward code is blank")
    if not _WARD.fullmatch(code):
        raise ValueError(
            f"ward code '{text}' is not an ONS ward code (E05, W05, S13 or N08 and 6 digits)"
        )
    return code


def region_code_check(text: str) -> str:
    code = text.strip().upper()
    if not code:
        raise ValueError("region code is blank")
    if not _REGION.fullmatch(code):
        raise ValueError(
            f"region code '{text}' is not an ONS English region code (E12 and 6 digits)"
        )
    return code


# Columns and files -------------------------------------------------------------------------


def normalise_header(text: str) -> str:
    """Headers compare without case, byte-order mark or repeated spaces."""
    return " ".join(text.replace("\ufeff", "").split()).lower()


@dataclass(frozen=True)
class Column:
    """A column a file spec reads. `patterns` (regular expressions over the normalised header,
    in order of preference) let one spec read several years and exports of the same file."""

    name: str
    label: str
    patterns: tuple[str, ...]
    required: bool = True
    compiled: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", tuple(re.compile(p) for p in self.patterns))

    def find(self, headers: Sequence[str]) -> int | None:
        for pattern in self.compiled:
            for index, header in enumerate(headers):
                if pattern.fullmatch(header):
                    return index
        return None


class _Cells:
    """One data row being read: typed getters that collect every problem in the row, so a
    refusal lists them all rather than one per attempt."""

    __slots__ = ("cells", "errors", "index")

    def __init__(self, cells: Sequence[str], index: Mapping[str, int]) -> None:
        self.cells = cells
        self.index = index
        self.errors: list[str] = []

    def text(self, name: str) -> str:
        at = self.index.get(name)
        return self.cells[at].strip() if at is not None else ""

    def has(self, name: str) -> bool:
        return name in self.index

    def check(self, name: str, checker: Callable[[str], str]) -> str:
        try:
            return checker(self.text(name))
        except ValueError as error:
            self.errors.append(str(error))
            return ""

    def name(self, column: str, what: str, *, max_length: int = MAX_NAME) -> str:
        value = self.text(column)
        if not value:
            self.errors.append(f"{what} is blank")
        elif len(value) > max_length:
            self.errors.append(f"{what} is longer than {max_length} characters")
        return value

    def whole(self, column: str, what: str, low: int, high: int) -> int:
        raw = self.text(column)
        if not raw:
            self.errors.append(f"{what} is blank")
            return 0
        try:
            value = parse_whole(raw)
        except ValueError:
            self.errors.append(f"{what} '{raw}' is not a whole number")
            return 0
        if not low <= value <= high:
            self.errors.append(f"{what} {raw} is not between {low:,} and {high:,}")
        return value

    def decimal(self, column: str, what: str, low: float, high: float) -> float:
        raw = self.text(column)
        if not raw:
            self.errors.append(f"{what} is blank")
            return 0.0
        try:
            value = parse_decimal(raw)
        except ValueError:
            self.errors.append(f"{what} '{raw}' is not a number")
            return 0.0
        if not low <= value <= high:
            self.errors.append(f"{what} {raw} is not between {low:g} and {high:g}")
        return value


RowParser = Callable[[_Cells], Row | Skipped | None]


@dataclass(frozen=True)
class FileSpec:
    """One kind of file: its columns (the first is the code that identifies a row) and how a
    row becomes a typed value."""

    kind: Kind
    title: str
    columns: tuple[Column, ...]
    parse: RowParser

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


def _col(name: str, label: str, *patterns: str, required: bool = True) -> Column:
    return Column(name, label, patterns or (re.escape(label.lower()),), required)


_LSOA11CD = _col("lsoa_code", "LSOA11CD", "lsoa11cd")
_LSOA11NM = _col("lsoa_name", "LSOA11NM", "lsoa11nm", required=False)
_IOD_LSOA = _col("lsoa_code", "LSOA code (2011)", r"lsoa code \(2011\)")
_IOD_LSOA_NAME = _col("lsoa_name", "LSOA name (2011)", r"lsoa name \(2011\)")
_IOD_LAD = _col(
    "lad_code", "Local Authority District code (2019)", r"local authority district code \(\d{4}\)"
)
_IOD_LAD_NAME = _col(
    "lad_name", "Local Authority District name (2019)", r"local authority district name \(\d{4}\)"
)


def _domain_columns(domain: str) -> tuple[Column, Column]:
    title = re.escape(DOMAIN_TITLES[domain].lower())
    rank = _col(
        f"{domain}_rank",
        f"{DOMAIN_TITLES[domain]} Rank (where 1 is most deprived)",
        rf"{title} rank(?: \(where 1 is most deprived\))?",
    )
    decile = _col(
        f"{domain}_decile",
        f"{DOMAIN_TITLES[domain]} Decile (where 1 is most deprived 10% of LSOAs)",
        rf"{title} decile(?: \(where 1 is most deprived 10% of lsoas\))?",
    )
    return rank, decile


def _deprivation(domains: Sequence[str]) -> RowParser:
    def parse(row: _Cells) -> DeprivationRow:
        ranks: dict[str, int] = {}
        deciles: dict[str, int] = {}
        for domain in domains:
            label = DOMAIN_LABELS[domain]
            ranks[domain] = row.whole(f"{domain}_rank", f"{label} rank", 1, ENGLAND_LSOAS)
            deciles[domain] = row.whole(f"{domain}_decile", f"{label} decile", 1, 10)
        return DeprivationRow(
            lsoa_code=row.check("lsoa_code", lsoa_code_check),
            lsoa_name=row.name("lsoa_name", "LSOA name"),
            lad_code=row.check("lad_code", lad_code_check),
            lad_name=row.name("lad_name", "local authority name"),
            ranks=ranks,
            deciles=deciles,
        )

    return parse


def _lsoa_ward(row: _Cells) -> LsoaWardRow:
    return LsoaWardRow(
        lsoa_code=row.check("lsoa_code", lsoa_code_check),
        lsoa_name=row.text("lsoa_name"),
        ward_code=row.check("ward_code", ward_code_check),
        ward_name=row.name("ward_name", "ward name"),
        lad_code=row.check("lad_code", lad_code_check),
        lad_name=row.text("lad_name"),
    )


def _centroid(row: _Cells) -> CentroidRow:
    return CentroidRow(
        lsoa_code=row.check("lsoa_code", lsoa_code_check),
        longitude=row.decimal("longitude", "longitude (X)", *LONGITUDE_RANGE),
        latitude=row.decimal("latitude", "latitude (Y)", *LATITUDE_RANGE),
    )


def _population(row: _Cells) -> PopulationRow:
    lad = row.check("lad_code", lad_code_check) if row.has("lad_code") else ""
    return PopulationRow(
        lsoa_code=row.check("lsoa_code", lsoa_code_check),
        population=row.whole("population", "total population", 0, 100_000),
        lsoa_name=row.name("lsoa_name", "LSOA name") if row.has("lsoa_name") else "",
        lad_code=lad,
        lad_name=row.name("lad_name", "local authority name") if lad else "",
    )


def _imd_score(row: _Cells) -> ImdScoreRow:
    decile = row.whole("imd_decile", "IMD decile", 1, 10) if row.text("imd_decile") else None
    return ImdScoreRow(
        lsoa_code=row.check("lsoa_code", lsoa_code_check),
        imd_score=row.decimal("imd_score", "IMD score", 0.0, 100.0),
        imd_decile=decile,
    )


def _lad_region(row: _Cells) -> LadRegionRow:
    return LadRegionRow(
        lad_code=row.check("lad_code", lad_code_check),
        lad_name=row.name("lad_name", "local authority name"),
        region_code=row.check("region_code", region_code_check),
        region_name=row.name("region_name", "region name"),
    )


def _lad_name(row: _Cells) -> LadNameRow:
    return LadNameRow(
        lad_code=row.check("lad_code", lad_code_check),
        lad_name=row.name("lad_name", "local authority name"),
    )


def _rural_urban(row: _Cells) -> RuralUrbanRow:
    code = row.text("code").upper()
    if code not in RURAL_URBAN_CODES:
        row.errors.append(
            f"rural-urban code '{code}' is not a 2011 classification code "
            f"({', '.join(sorted(RURAL_URBAN_CODES))})"
        )
    return RuralUrbanRow(
        lsoa_code=row.check("lsoa_code", lsoa_code_check),
        code=code,
        name=row.name("name", "rural-urban classification", max_length=60),
    )


def _postcode(row: _Cells) -> PostcodeRow | Skipped | None:
    raw_lsoa = row.text("lsoa_code").upper()
    if not raw_lsoa:
        return Skipped(0, "no LSOA (a postcode outside England and Wales, or not yet placed)")
    if not raw_lsoa.startswith(("E01", "W01")):
        return Skipped(0, "outside England and Wales")
    lsoa = row.check("lsoa_code", lsoa_code_check)
    raw_postcode = row.text("postcode")
    try:
        postcode = postcode_normalise(raw_postcode)
    except ValueError:
        row.errors.append(f"postcode '{raw_postcode}' is not a UK postcode")
        postcode = ""
    latitude: float | None
    longitude: float | None
    try:
        no_grid = abs(parse_decimal(row.text("latitude")) - ONSPD_NO_GRID_LATITUDE) < 1e-6
    except ValueError:
        no_grid = False
    if no_grid or (not row.text("latitude") and not row.text("longitude")):
        latitude = longitude = None
    else:
        latitude = row.decimal("latitude", "latitude", *LATITUDE_RANGE)
        longitude = row.decimal("longitude", "longitude", *LONGITUDE_RANGE)
    return PostcodeRow(
        postcode=postcode,
        district=postcode.split(" ", 1)[0],
        lsoa_code=lsoa,
        latitude=latitude,
        longitude=longitude,
        terminated=bool(row.text("terminated")),
        lad_code=row.text("lad_code").upper(),
    )


SPECS: Final[tuple[FileSpec, ...]] = (
    FileSpec(
        Kind.LSOA_WARD,
        "the ONS LSOA (2011) to ward to local authority lookup",
        (
            _LSOA11CD,
            _LSOA11NM,
            _col("ward_code", "WD17CD", r"wd\d\dcd"),
            _col("ward_name", "WD17NM", r"wd\d\dnm"),
            _col("lad_code", "LAD17CD", r"lad\d\dcd"),
            _col("lad_name", "LAD17NM", r"lad\d\dnm", required=False),
        ),
        _lsoa_ward,
    ),
    FileSpec(
        Kind.CENTROIDS,
        "the ONS LSOA (2011) population-weighted centroids",
        (
            _LSOA11CD,
            _col("longitude", "X", "x"),
            _col("latitude", "Y", "y"),
            _LSOA11NM,
        ),
        _centroid,
    ),
    FileSpec(
        Kind.IMD,
        "IoD2019 File 1 (Index of Multiple Deprivation)",
        (_IOD_LSOA, _IOD_LSOA_NAME, _IOD_LAD, _IOD_LAD_NAME, *_domain_columns("imd")),
        _deprivation(("imd",)),
    ),
    FileSpec(
        Kind.DOMAINS,
        "IoD2019 File 2 (Domains of Deprivation)",
        (
            _IOD_LSOA,
            _IOD_LSOA_NAME,
            _IOD_LAD,
            _IOD_LAD_NAME,
            *(column for domain in DOMAINS for column in _domain_columns(domain)),
        ),
        _deprivation(DOMAINS),
    ),
    FileSpec(
        Kind.POPULATION,
        "IoD2019 File 6 (Population Denominators)",
        (
            _IOD_LSOA,
            _col(
                "population",
                "Total population: mid 2015 (excluding prisoners)",
                r"total population: mid \d{4} \(excluding prisoners\)",
            ),
            Column(_IOD_LSOA_NAME.name, _IOD_LSOA_NAME.label, _IOD_LSOA_NAME.patterns, False),
            Column(_IOD_LAD.name, _IOD_LAD.label, _IOD_LAD.patterns, False),
            Column(_IOD_LAD_NAME.name, _IOD_LAD_NAME.label, _IOD_LAD_NAME.patterns, False),
        ),
        _population,
    ),
    FileSpec(
        Kind.IMD_SCORE,
        "the IMD 2019 score file (LSOA11CD, IMD_2019_score)",
        (
            _LSOA11CD,
            _col("imd_score", "IMD_2019_score", r"imd_?2019_score", "imd score"),
            _col("imd_decile", "IMD_2019_decile", r"imd_?2019_decile", required=False),
        ),
        _imd_score,
    ),
    FileSpec(
        Kind.LAD_REGION,
        "the ONS local authority district to region lookup",
        (
            _col("lad_code", "LAD19CD", r"lad\d\dcd"),
            _col("lad_name", "LAD19NM", r"lad\d\dnm"),
            _col("region_code", "RGN19CD", r"rgn\d\dcd"),
            _col("region_name", "RGN19NM", r"rgn\d\dnm"),
        ),
        _lad_region,
    ),
    FileSpec(
        Kind.LAD_NAMES,
        "the ONS local authority district names and codes",
        (
            _col("lad_code", "LAD19CD", r"lad\d\dcd"),
            _col("lad_name", "LAD19NM", r"lad\d\dnm"),
            _col("lad_name_welsh", "LAD19NMW", r"lad\d\dnmw", required=False),
        ),
        _lad_name,
    ),
    FileSpec(
        Kind.RURAL_URBAN,
        "the ONS Rural-Urban Classification (2011) of LSOAs",
        (
            _LSOA11CD,
            _LSOA11NM,
            _col("code", "RUC11CD", r"ruc11cd"),
            _col("name", "RUC11", r"ruc11"),
        ),
        _rural_urban,
    ),
    FileSpec(
        Kind.POSTCODES,
        "the ONS Postcode Directory (ONSPD or NSPL)",
        (
            _col("postcode", "pcds (or pcd)", "pcds", "pcd", "pcd7", "pcd8", "pcd2", "postcode"),
            _col("lsoa_code", "lsoa11", "lsoa11", "lsoa11cd"),
            _col("latitude", "lat", "lat", "latitude"),
            _col("longitude", "long", "long", "longitude"),
            _col("terminated", "doterm", "doterm", required=False),
            _col("lad_code", "oslaua", "oslaua", "laua", "lad\\d\\dcd", required=False),
        ),
        _postcode,
    ),
)
SPEC_FOR: Final = {spec.kind: spec for spec in SPECS}


def describe(kind: Kind) -> str:
    return SPEC_FOR[kind].title


def _match(spec: FileSpec, headers: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for column in spec.columns:
        at = column.find(headers)
        if at is not None:
            found[column.name] = at
    return found


def _missing_message(name: str, spec: FileSpec, index: Mapping[str, int]) -> MissingColumns:
    missing = [c.label for c in spec.required if c.name not in index]
    plural = "columns" if len(missing) > 1 else "column"
    return MissingColumns(
        f"{name} looks like {spec.title} but has no {plural} "
        f"{', '.join(repr(m) for m in missing)}. Export the file again with every column, "
        "or check it is the file you meant.",
        missing=missing,
    )


def detect(
    headers: Sequence[str], *, name: str = "the file", expect: Kind | None = None
) -> tuple[FileSpec, dict[str, int]]:
    """Which file this header belongs to, and where each column is.

    The spec that finds the most of its columns wins (then complete before incomplete, then
    the larger share of its required columns, then the one with more columns), so File 2,
    which holds File 1's columns too, is read as File 2, and a File 2 missing one domain is
    reported as a File 2 with a missing column rather than quietly read as File 1. A spec is
    only considered when its code column is present, and an incomplete one is reported as
    such only when it found most of its required columns; otherwise the file is unknown.
    """
    normalised = [normalise_header(h) for h in headers]
    specs = [SPEC_FOR[expect]] if expect is not None else list(SPECS)
    best: tuple[tuple[int, bool, float, int], FileSpec, dict[str, int]] | None = None
    for spec in specs:
        index = _match(spec, normalised)
        if spec.columns[0].name not in index:
            continue
        complete = all(c.name in index for c in spec.required)
        found_share = sum(1 for c in spec.required if c.name in index) / len(spec.required)
        score = (len(index), complete, found_share, len(spec.required))
        if best is None or score > best[0]:
            best = (score, spec, index)
    shown = ", ".join(h.strip().replace("\ufeff", "") for h in headers[:6])
    if best is not None:
        (_, complete, _, _), spec, index = best
        if complete:
            return spec, index
        found_required = sum(1 for c in spec.required if c.name in index)
        if expect is not None or found_required * 2 > len(spec.required):
            raise _missing_message(name, spec, index)
    if expect is not None:
        spec = SPEC_FOR[expect]
        missing = [c.label for c in spec.required]
        raise MissingColumns(
            f"{name} is not {spec.title}: it has no column {', '.join(repr(m) for m in missing)} "
            f"(its columns start: {shown}).",
            missing=missing,
        )
    raise UnknownFile(
        f"{name} is not a file this import reads (its columns start: {shown}). Expected one of: "
        + "; ".join(spec.title for spec in SPECS if spec.kind is not Kind.POSTCODES)
        + "."
    )


# Reading -----------------------------------------------------------------------------------


class Table:
    """An open file whose header has been recognised. Iterate it for rows, refusals and
    skipped rows in file order; `bytes_read` follows the file on disk (compressed bytes for a
    gzip file) so a progress bar can show how far through it the reader is."""

    def __init__(
        self,
        *,
        path: Path,
        spec: FileSpec,
        index: dict[str, int],
        raw: IO[bytes],
        text: IO[str],
        reader: Iterator[list[str]],
        line_of: Callable[[], int],
    ) -> None:
        self.path = path
        self.spec = spec
        self.index = index
        self.size = path.stat().st_size
        self._raw = raw
        self._text = text
        self._reader = reader
        self._line_of = line_of

    @property
    def kind(self) -> Kind:
        return self.spec.kind

    @property
    def line(self) -> int:
        """The line the last row returned ended on."""
        return self._line_of()

    @property
    def bytes_read(self) -> int:
        try:
            return min(self._raw.tell(), self.size)
        except (OSError, ValueError):
            return self.size

    def __iter__(self) -> Iterator[Item]:
        return self.rows()

    def rows(
        self, *, unless: tuple[str, Callable[[str], str | None]] | None = None
    ) -> Iterator[Item]:
        """The items in file order. `unless=(column, why_not)` passes over, as Skipped with
        the reason `why_not` gives, every row whose code in that column it objects to, before
        the rest of the row is read: importing one borough from all of England's files then
        costs little more than reading them, and rows of other areas are not checked."""
        width = max(self.index.values()) + 1
        parse = self.spec.parse
        index = self.index
        skip_at: int | None = None
        why_not: Callable[[str], str | None] = lambda code: None  # noqa: E731
        if unless is not None and unless[0] in index:
            skip_at, why_not = index[unless[0]], unless[1]
        line = 1
        try:
            for cells in self._reader:
                line = self._line_of()
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                if skip_at is not None and skip_at < len(cells):
                    reason = why_not(cells[skip_at].strip().upper())
                    if reason is not None:
                        yield Skipped(line, reason)
                        continue
                if len(cells) < width:
                    yield Refusal(
                        line,
                        f"has {len(cells)} values where {width} or more were expected; "
                        "the row may be cut short",
                    )
                    continue
                row = _Cells(cells, index)
                value = parse(row)
                if row.errors:
                    yield Refusal(line, "; ".join(row.errors))
                elif isinstance(value, Skipped):
                    yield Skipped(line, value.reason)
                elif value is not None:
                    yield value
        except UnicodeDecodeError:
            raise UnusableFile(
                f"{self.path.name} is not UTF-8 text (near line {line + 1}): save it as "
                "'CSV UTF-8' and import it again."
            ) from None
        except csv.Error as error:
            raise UnusableFile(
                f"{self.path.name} is not a well-formed CSV file (line {self._line_of()}: {error})."
            ) from None

    def close(self) -> None:
        self._text.close()
        self._raw.close()

    def __enter__(self) -> Table:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"


def open_table(path: Path, *, expect: Kind | None = None) -> Table:
    """Open a CSV (or gzip-compressed CSV) file and recognise it by its header.

    Raises UnusableFile (or its subclasses UnknownFile and MissingColumns) with a message for
    the person importing; the file is closed again in that case.
    """
    path = Path(path)
    name = path.name
    try:
        raw = path.open("rb")
    except FileNotFoundError:
        raise UnusableFile(f"{path} does not exist.") from None
    except IsADirectoryError:
        raise UnusableFile(f"{path} is a folder, not a file.") from None
    except OSError as error:
        raise UnusableFile(f"{path} cannot be read: {error.strerror}.") from None
    try:
        magic = raw.read(4)
        raw.seek(0)
        if magic.startswith(_ZIP_MAGIC):
            raise UnusableFile(
                f"{name} is a spreadsheet or zip archive, not CSV: open it, save it as "
                "'CSV UTF-8' (or unzip it), and import the CSV file."
            )
        binary: IO[bytes] = raw
        if magic[:2] == _GZIP_MAGIC:
            binary = cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        try:
            header = next(reader, None)
        except UnicodeDecodeError:
            raise UnusableFile(
                f"{name} is not UTF-8 text: save it as 'CSV UTF-8' and import it again."
            ) from None
        except (OSError, EOFError, csv.Error) as error:
            raise UnusableFile(f"{name} cannot be read as CSV: {error}.") from None
        if header is None or not any(h.strip() for h in header):
            raise UnusableFile(
                f"{name} is empty: expected a CSV file whose first line names its columns."
            )
        spec, index = detect(header, name=name, expect=expect)
        return Table(
            path=path,
            spec=spec,
            index=index,
            raw=raw,
            text=text,
            reader=reader,
            line_of=lambda: reader.line_num,
        )
    except BaseException:
        raw.close()
        raise


def _is_csv(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".csv", ".csv.gz"))


@dataclass
class Found:
    """The files found for an import: one per kind, and what was passed over and why."""

    files: dict[Kind, Path] = field(default_factory=dict)
    ignored: list[tuple[Path, str]] = field(default_factory=list)


def find_tables(paths: Iterable[Path], *, kinds: Iterable[Kind] | None = None) -> Found:
    """Find the files to import in `paths` (files, or folders searched with their subfolders).

    A file named directly must be recognised; in a folder, CSV files whose header is not one
    of ours are passed over and listed in `ignored`. A file that cannot be read (empty, not
    UTF-8) or looks like one of ours but misses a column, or two files of the same kind, make
    the whole set unusable: the person must choose, and nothing should be imported from a
    guess.
    """
    wanted = set(kinds) if kinds is not None else {s.kind for s in SPECS}
    found = Found()
    problems: list[str] = []
    for given in paths:
        given = Path(given)
        if given.is_dir():
            candidates = sorted(p for p in given.rglob("*") if p.is_file() and _is_csv(p))
        elif given.exists():
            candidates = [given]
        else:
            raise UnusableFile(f"{given} does not exist.")
        for path in candidates:
            try:
                with open_table(path) as table:
                    kind = table.kind
            except UnknownFile as error:
                if path == given:
                    raise
                found.ignored.append((path, str(error)))
                continue
            except UnusableFile as error:
                problems.append(str(error))
                continue
            if kind not in wanted:
                if path == given:
                    raise UnknownFile(
                        f"{path.name} is {describe(kind)}, which this import does not read."
                    )
                found.ignored.append((path, f"{path.name} is {describe(kind)}"))
                continue
            if kind in found.files:
                problems.append(
                    f"{found.files[kind].name} and {path.name} are both {describe(kind)}: "
                    "keep one of them"
                )
                continue
            found.files[kind] = path
    if problems:
        raise UnusableFile("; ".join(problems))
    return found
