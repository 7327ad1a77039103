"""Every write to the places tables: importing the ONS and MHCLG files and the postcode directory.

Importing places is a node administrator's action; the management commands run it as the
system, so `actor=None` means "the command line" (no permission check, the audit entry says
"system"). Each import is one transaction: a file that cannot be read, or `strict=True` with a
refused row, leaves the tables exactly as they were.

Re-importing is safe. Rows are keyed by their ONS code (the primary key), so an import creates
what is new, updates what changed, and leaves the rest alone; it never deletes, because other
tables point at places (a volunteer's LSOA) and a place missing from one year's file has not
ceased to exist. Only the fields the given files supply are written: importing the centroids
alone sets coordinates and nothing else.

Bulk writes are one parameterised INSERT, and one UPDATE per set of fields, each run with
`executemany`: `bulk_create` spends most of its time preparing each value of each object, and
`bulk_update` builds a CASE expression per field per batch, which together made the import of
the 32,844 English LSOAs several times slower. The values are plain Python numbers, strings,
booleans and None, which both SQLite and PostgreSQL take as they are.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from django.db import connection, models, transaction
from django.db.models import Avg, Count

from covenant.core import audit, authz
from covenant.core.errors import ValidationFailed

from . import ons
from .models import LSOA, LocalAuthority, Postcode, PostcodeDistrict, Region, Ward
from .ons import Kind

# Enough rows per statement to amortise the round trip, few enough parameters for any backend.
WRITE_BATCH = 2_000
READ_CHUNK = 900
POSTCODE_BATCH = 5_000
PROGRESS_EVERY = 2_000

# Files that say which local authority an LSOA is in: an LSOA is imported only if one of them
# lists it, so every LSOA has its (2019) local authority, as the model requires.
LSOA_SOURCES = (Kind.DOMAINS, Kind.IMD, Kind.POPULATION)
READ_ORDER = (
    Kind.LAD_NAMES,
    Kind.LAD_REGION,
    Kind.DOMAINS,
    Kind.IMD,
    Kind.POPULATION,
    Kind.IMD_SCORE,
    Kind.LSOA_WARD,
    Kind.CENTROIDS,
    Kind.RURAL_URBAN,
)
PLACE_KINDS = frozenset(READ_ORDER)

OUTSIDE_ENGLAND = "outside England (this node holds English places only)"
OUTSIDE_CHOSEN = "outside the chosen local authorities"
NO_LOCAL_AUTHORITY = "LSOA not in IoD2019 File 1, 2 or 6, so its local authority is unknown"
LSOA_NOT_HELD = "its LSOA is not held by this node (import places for it first)"


class Progress(Protocol):
    """How a long import tells its caller how far it has got (a command draws a bar)."""

    def stage(self, label: str, total: int, unit: str) -> None: ...

    def advance(self, amount: int) -> None: ...


class _Quiet:
    def stage(self, label: str, total: int, unit: str) -> None:
        return None

    def advance(self, amount: int) -> None:
        return None


@dataclass(frozen=True)
class RefusedRow:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    """What an import did, table by table, and every row it refused or passed over."""

    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    refused: list[RefusedRow] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def tables(self) -> list[str]:
        return list(dict.fromkeys([*self.created, *self.updated, *self.unchanged]))

    def summary(self) -> str:
        parts = [
            f"{table}: {self.created[table]:,} created, {self.updated[table]:,} updated, "
            f"{self.unchanged[table]:,} unchanged"
            for table in self.tables()
        ]
        parts.append(f"{len(self.refused):,} rows refused")
        skipped = sum(self.skipped.values())
        if skipped:
            reasons = ", ".join(f"{n:,} {reason}" for reason, n in self.skipped.most_common())
            parts.append(f"{skipped:,} rows skipped ({reasons})")
        return "; ".join(parts)

    def as_detail(self) -> dict[str, Any]:
        return {
            "created": {table: self.created[table] for table in self.tables()},
            "updated": {table: self.updated[table] for table in self.tables()},
            "unchanged": {table: self.unchanged[table] for table in self.tables()},
            "refused": len(self.refused),
            "skipped": sum(self.skipped.values()),
            "files": sorted(self.files.values()),
        }


class ImportRefused(ValidationFailed):
    """`strict=True` and some rows were refused: nothing was written. The report lists them."""

    code = "rows_refused"

    def __init__(self, report: ImportReport) -> None:
        count = len(report.refused)
        super().__init__(
            f"{count:,} row{'s' if count != 1 else ''} refused, so nothing was imported "
            "(strict): correct the rows listed and import again, or import without strict "
            "to keep the good rows."
        )
        self.report = report


def check_local_authority_codes(codes: Iterable[str] | None) -> frozenset[str] | None:
    """The local authorities an import is limited to, or None for all of them. A string is
    read as comma-separated codes, as typed after --only-la."""
    if codes is None:
        return None
    if isinstance(codes, str):
        codes = codes.split(",")
    clean: set[str] = set()
    for code in codes:
        if not code.strip():
            continue
        try:
            clean.add(ons.lad_code_check(code))
        except ValueError:
            raise ValidationFailed(
                f"'{code.strip()}' is not an ONS local authority district code. Use the 2019 "
                "codes, like E08000011 for Knowsley.",
                field="only_la",
            ) from None
    if not clean:
        raise ValidationFailed(
            "Name at least one local authority, like E08000011 for Knowsley.", field="only_la"
        )
    return frozenset(clean)


# Reading the place files ---------------------------------------------------------------------


@dataclass
class _Places:
    """Everything read from the files, keyed by ONS code, before anything is written."""

    chosen: frozenset[str] | None
    la_names: dict[str, str] = field(default_factory=dict)
    la_fallback_names: dict[str, str] = field(default_factory=dict)
    la_region: dict[str, str] = field(default_factory=dict)
    regions: dict[str, str] = field(default_factory=dict)
    lsoas: dict[str, dict[str, Any]] = field(default_factory=dict)
    wards: dict[str, dict[str, Any]] = field(default_factory=dict)
    defined_in: dict[str, str] = field(default_factory=dict)

    def wants_la(self, code: str) -> str | None:
        """Why a row of this local authority is passed over, or None to keep it."""
        if not code.startswith("E"):
            return OUTSIDE_ENGLAND
        if self.chosen is not None and code not in self.chosen:
            return OUTSIDE_CHOSEN
        return None

    def absent_lsoa(self, code: str) -> str:
        if not code.startswith("E"):
            return OUTSIDE_ENGLAND
        return OUTSIDE_CHOSEN if self.chosen is not None else NO_LOCAL_AUTHORITY


def _merge(record: dict[str, Any], values: dict[str, Any]) -> str | None:
    """Add values to an LSOA's record; if a file disagrees with one read earlier, say how."""
    clashes = [
        f"{name.replace('_id', '').replace('_', ' ')} {value} disagrees with {record[name]} "
        "read earlier"
        for name, value in values.items()
        if name in record and record[name] != value
    ]
    if clashes:
        return "; ".join(clashes)
    record.update(values)
    return None


def _define_lsoa(
    places: _Places, file: str, row: ons.DeprivationRow | ons.PopulationRow, extra: dict[str, Any]
) -> str | None:
    """Record an LSOA from a file that names its local authority; the reason to skip or
    refuse the row, or None if it was taken."""
    skip = places.wants_la(row.lad_code)
    if skip is not None:
        return skip
    record = places.lsoas.get(row.lsoa_code)
    if record is not None and record["local_authority_id"] != row.lad_code:
        raise _Clash(
            f"LSOA {row.lsoa_code} is in local authority {row.lad_code} here but in "
            f"{record['local_authority_id']} in {places.defined_in[row.lsoa_code]}"
        )
    if record is None:
        record = places.lsoas[row.lsoa_code] = {}
        places.defined_in[row.lsoa_code] = file
    clash = _merge(record, {"name": row.lsoa_name, "local_authority_id": row.lad_code, **extra})
    if clash is not None:
        raise _Clash(clash)
    places.la_fallback_names.setdefault(row.lad_code, row.lad_name)
    return None


class _Clash(Exception):
    """A row that contradicts an earlier file: refused with this message."""


def _prefilter(places: _Places, kind: Kind) -> tuple[str, Callable[[str], str | None]] | None:
    """When importing some local authorities, the column by which a file's rows for other
    areas can be passed over unread (see `ons.Table.rows`)."""
    if places.chosen is None:
        return None
    if kind in (Kind.LAD_NAMES, Kind.LAD_REGION, *LSOA_SOURCES):
        return ("lad_code", places.wants_la)
    return ("lsoa_code", lambda code: None if code in places.lsoas else places.absent_lsoa(code))


def _take(places: _Places, file: str, item: ons.Row) -> str | None:
    """Fold one row into `places`. Returns a reason to skip it, or None if it was taken;
    raises _Clash to refuse it."""
    if isinstance(item, ons.LadNameRow):
        skip = places.wants_la(item.lad_code)
        if skip is None:
            places.la_names[item.lad_code] = item.lad_name
        return skip
    if isinstance(item, ons.LadRegionRow):
        skip = places.wants_la(item.lad_code)
        if skip is None:
            places.la_fallback_names[item.lad_code] = item.lad_name
            places.la_region[item.lad_code] = item.region_code
            places.regions[item.region_code] = item.region_name
        return skip
    if isinstance(item, ons.DeprivationRow):
        extra: dict[str, Any] = {}
        for domain in item.ranks:
            extra[f"{domain}_rank"] = item.ranks[domain]
            extra[f"{domain}_decile"] = item.deciles[domain]
        return _define_lsoa(places, file, item, extra)
    if isinstance(item, ons.PopulationRow) and item.lad_code:
        return _define_lsoa(places, file, item, {"population": item.population})

    values: dict[str, Any]
    if isinstance(item, ons.PopulationRow):
        values = {"population": item.population}
    elif isinstance(item, ons.ImdScoreRow):
        values = {"imd_score": item.imd_score}
        if item.imd_decile is not None:
            values["imd_decile"] = item.imd_decile
    elif isinstance(item, ons.LsoaWardRow):
        values = {"ward_id": item.ward_code}
    elif isinstance(item, ons.CentroidRow):
        values = {"latitude": item.latitude, "longitude": item.longitude}
    elif isinstance(item, ons.RuralUrbanRow):
        values = {"rural_urban": item.name}
    else:
        raise TypeError(f"A {type(item).__name__} is not a place row.")
    record = places.lsoas.get(item.lsoa_code)
    if record is None:
        return places.absent_lsoa(item.lsoa_code)
    clash = _merge(record, values)
    if clash is not None:
        raise _Clash(clash)
    if isinstance(item, ons.LsoaWardRow):
        places.wards[item.ward_code] = {
            "name": item.ward_name,
            "local_authority_code": item.lad_code,
        }
    return None


def _read(
    table: ons.Table,
    report: ImportReport,
    progress: Progress,
    take: Callable[[Any], str | None],
    unless: tuple[str, Callable[[str], str | None]] | None = None,
) -> Iterator[ons.Row]:
    """The good rows of a table; refusals and skips go into the report as they pass."""
    name = table.path.name
    position = 0
    for seen, item in enumerate(_checked(table, unless), 1):
        if isinstance(item, ons.Refusal):
            report.refused.append(RefusedRow(name, item.line, item.reason))
        elif isinstance(item, ons.Skipped):
            report.skipped[item.reason] += 1
        else:
            try:
                skip = take(item)
            except _Clash as clash:
                report.refused.append(RefusedRow(name, table.line, str(clash)))
            else:
                if skip is not None:
                    report.skipped[skip] += 1
                else:
                    yield item
        if seen % PROGRESS_EVERY == 0:
            now = table.bytes_read
            progress.advance(now - position)
            position = now
    progress.advance(table.size - position)


def _checked(
    table: ons.Table, unless: tuple[str, Callable[[str], str | None]] | None
) -> Iterator[ons.Item]:
    """The table's items; a file that turns out unreadable part-way is a ValidationFailed,
    which rolls the import back like any other."""
    try:
        yield from table.rows(unless=unless)
    except ons.UnusableFile as error:
        raise ValidationFailed(str(error), field="file") from None


def _open(path: Path, expect: Kind | None = None) -> ons.Table:
    try:
        return ons.open_table(path, expect=expect)
    except ons.UnusableFile as error:
        raise ValidationFailed(str(error), field="file") from None


# Writing ---------------------------------------------------------------------------------------


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(
    model: type[models.Model], keys: Sequence[str], names: Collection[str]
) -> dict[str, dict[str, Any]]:
    pk = model._meta.pk.name
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(keys, READ_CHUNK):
        for values in model._default_manager.filter(pk__in=chunk).values(pk, *names):
            found[values.pop(pk)] = values
    return found


def _column(model: type[models.Model], name: str) -> str:
    found = model._meta.get_field(name)
    if not isinstance(found, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a column.")
    return str(found.column)


def _update_many(
    model: type[models.Model], names: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """UPDATE `names` (then WHERE pk) for each row tuple, in one prepared statement."""
    quote = connection.ops.quote_name
    meta = model._meta
    assignments = ", ".join(f"{quote(_column(model, n))} = %s" for n in names)
    pk_column = quote(_column(model, meta.pk.name))
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {pk_column} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, WRITE_BATCH):
            cursor.executemany(sql, list(chunk))


def _insert_many(model: type[models.Model], rows: dict[str, dict[str, Any]]) -> None:
    """INSERT each row (primary key -> field values), every column given: the fields a row
    does not supply get the model's default, as `Model()` would give them."""
    if not rows:
        return
    quote = connection.ops.quote_name
    meta = model._meta
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    names = ", ".join(quote(f.column) for f in [meta.pk, *fields])
    marks = ", ".join(["%s"] * (len(fields) + 1))
    sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
    defaults = [f.get_default() for f in fields]
    params = [
        (key, *(values.get(f.attname, d) for f, d in zip(fields, defaults, strict=True)))
        for key, values in rows.items()
    ]
    with connection.cursor() as cursor:
        for chunk in _chunks(params, WRITE_BATCH):
            cursor.executemany(sql, list(chunk))


def _upsert(
    model: type[models.Model],
    label: str,
    rows: dict[str, dict[str, Any]],
    report: ImportReport,
    progress: Progress,
) -> None:
    """Create the rows not yet stored; update stored rows where a supplied field changed."""
    if not rows:
        return
    keys = sorted(rows)
    names = {name for values in rows.values() for name in values}
    stored = _existing(model, keys, names)
    new: dict[str, dict[str, Any]] = {}
    unchanged = 0
    changes: dict[tuple[str, ...], list[tuple[Any, ...]]] = defaultdict(list)
    for key in keys:
        values = rows[key]
        before = stored.get(key)
        if before is None:
            new[key] = values
        elif any(before[name] != value for name, value in values.items()):
            columns = tuple(sorted(values))
            changes[columns].append((*(values[c] for c in columns), key))
        else:
            unchanged += 1
    _insert_many(model, new)
    progress.advance(len(new))
    for columns, updates in changes.items():
        _update_many(model, columns, updates)
        progress.advance(len(updates))
        report.updated[label] += len(updates)
    report.created[label] += len(new)
    report.unchanged[label] += unchanged
    progress.advance(unchanged)


def _write_places(places: _Places, report: ImportReport, progress: Progress) -> None:
    la_codes = set(places.la_names) | {r["local_authority_id"] for r in places.lsoas.values()}
    local_authorities: dict[str, dict[str, Any]] = {}
    for code in la_codes:
        values: dict[str, Any] = {
            "name": places.la_names.get(code) or places.la_fallback_names.get(code, code)
        }
        if code in places.la_region:
            values["region_id"] = places.la_region[code]
        local_authorities[code] = values
    regions = {code: {"name": name} for code, name in places.regions.items()}
    ward_codes = {r["ward_id"] for r in places.lsoas.values() if r.get("ward_id")}
    wards = {code: places.wards[code] for code in ward_codes}
    progress.stage(
        "Writing",
        len(regions) + len(local_authorities) + len(wards) + len(places.lsoas),
        "rows",
    )
    _upsert(Region, "regions", regions, report, progress)
    _upsert(LocalAuthority, "local authorities", local_authorities, report, progress)
    _upsert(Ward, "wards", wards, report, progress)
    _upsert(LSOA, "LSOAs", places.lsoas, report, progress)


@transaction.atomic
def places_import(
    *,
    actor: Any,
    paths: Sequence[Path],
    only_la: Iterable[str] | None = None,
    strict: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import regions, local authorities, wards and LSOAs from ONS and MHCLG files.

    `paths` are files or folders (searched with their subfolders); each file is recognised by
    its header. Every file is checked before anything is written, and the whole import is one
    transaction. `only_la` limits it to some local authorities (2019 codes), which is how
    tests and the demo import one borough in a second. `actor=None` is the command line.
    """
    if actor is not None:
        authz.require(actor, "places.import")
    chosen = check_local_authority_codes(only_la)
    progress = progress or _Quiet()
    try:
        found = ons.find_tables(paths, kinds=PLACE_KINDS)
    except ons.UnusableFile as error:
        raise ValidationFailed(str(error), field="file") from None
    if not any(kind in found.files for kind in LSOA_SOURCES):
        where = ", ".join(str(p) for p in paths)
        raise ValidationFailed(
            f"No file in {where} lists LSOAs with their local authority: expected IoD2019 "
            "File 1, File 2 or File 6 (as CSV, or CSV compressed with gzip).",
            field="file",
        )
    report = ImportReport()
    for path, why in found.ignored:
        report.notes.append(f"passed over {path}: {why}")
    for kind in READ_ORDER:
        if kind in found.files:
            report.files[ons.describe(kind)] = found.files[kind].name
        else:
            report.notes.append(f"no file is {ons.describe(kind)}; what it gives is unchanged")

    places = _Places(chosen=chosen)
    progress.stage("Reading", sum(p.stat().st_size for p in found.files.values()), "B")
    for kind in READ_ORDER:
        if kind not in found.files:
            continue
        with _open(found.files[kind], kind) as table:
            take = partial(_take, places, table.path.name)
            for _ in _read(table, report, progress, take, _prefilter(places, kind)):
                pass

    if chosen is not None:
        present = {r["local_authority_id"] for r in places.lsoas.values()}
        if not present:
            raise ValidationFailed(
                f"No LSOA in these files is in {', '.join(sorted(chosen))}. Check the codes: "
                "they are 2019 local authority districts, like E08000011 for Knowsley.",
                field="only_la",
            )
        for code in sorted(chosen - present):
            report.notes.append(f"no LSOA in these files is in {code}")

    _write_places(places, report, progress)
    if strict and report.refused:
        raise ImportRefused(report)
    audit.record(
        actor=actor,
        action="places.import",
        only_la=sorted(chosen) if chosen else None,
        **report.as_detail(),
    )
    return report


# Postcodes -------------------------------------------------------------------------------------


def _postcode_batch_write(
    batch: dict[str, ons.PostcodeRow], districts_known: set[str], report: ImportReport
) -> list[str]:
    """Write a batch of postcodes, creating the districts not yet known (placed later, by
    `_district_centres`). Returns the districts created."""
    new_districts = sorted({row.district for row in batch.values()} - districts_known)
    PostcodeDistrict.objects.bulk_create([PostcodeDistrict(code=code) for code in new_districts])
    districts_known.update(new_districts)
    report.created["postcode districts"] += len(new_districts)
    rows = {
        code: {
            "district_id": row.district,
            "lsoa_id": row.lsoa_code,
            "latitude": row.latitude,
            "longitude": row.longitude,
            "terminated": row.terminated,
        }
        for code, row in batch.items()
    }
    _upsert(Postcode, "postcodes", rows, report, _Quiet())
    return new_districts


def _most_common(counts: Iterable[tuple[str, str | None, int]]) -> dict[str, str]:
    """district -> the local authority with most postcodes in it (ties to the lower code)."""
    totals: Counter[tuple[str, str]] = Counter()
    for district, la, n in counts:
        if la is not None:
            totals[(district, la)] += n
    best: dict[str, tuple[int, str]] = {}
    for (district, la), n in totals.items():
        current = best.get(district)
        if current is None or n > current[0] or (n == current[0] and la < current[1]):
            best[district] = (n, la)
    return {district: la for district, (_, la) in best.items()}


def _district_centres(codes: Sequence[str], created: set[str], report: ImportReport) -> None:
    """Recompute each touched district from all its stored postcodes, so importing one local
    authority after another gives the same districts as importing them together. Live
    postcodes count; a district with only terminated postcodes is placed by those."""
    rows: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(codes, READ_CHUNK):
        located = Postcode.objects.filter(district_id__in=chunk, latitude__isnull=False)
        live = {
            r["district_id"]: r
            for r in located.filter(terminated=False)
            .values("district_id")
            .annotate(lat=Avg("latitude"), lon=Avg("longitude"))
        }
        every = {
            r["district_id"]: r
            for r in located.values("district_id").annotate(
                lat=Avg("latitude"), lon=Avg("longitude")
            )
        }
        counts: dict[bool, list[tuple[str, str | None, int]]] = {True: [], False: []}
        for r in (
            Postcode.objects.filter(district_id__in=chunk)
            .values("district_id", "terminated", "lsoa__local_authority_id")
            .annotate(n=Count("pk"))
        ):
            counts[r["terminated"]].append(
                (r["district_id"], r["lsoa__local_authority_id"], r["n"])
            )
        live_la = _most_common(counts[False])
        any_la = _most_common(counts[False] + counts[True])
        for code in chunk:
            centre = live.get(code) or every.get(code)
            rows[code] = {
                "latitude": centre["lat"] if centre else None,
                "longitude": centre["lon"] if centre else None,
                "local_authority_id": live_la.get(code) or any_la.get(code),
            }
    names = ("latitude", "longitude", "local_authority_id")
    before = _existing(PostcodeDistrict, list(rows), names)
    changed = {code: values for code, values in rows.items() if before.get(code) != values}
    _update_many(
        PostcodeDistrict,
        names,
        [(*(values[n] for n in names), code) for code, values in changed.items()],
    )
    for code in rows:
        if code in created:
            continue
        if code in changed:
            report.updated["postcode districts"] += 1
        else:
            report.unchanged["postcode districts"] += 1


@transaction.atomic
def postcodes_import(
    *,
    actor: Any,
    path: Path,
    only_la: Iterable[str] | None = None,
    strict: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import an ONS Postcode Directory (ONSPD or NSPL) file: postcodes and their districts.

    Only postcodes in LSOAs this node holds are kept (so run places_import first); the rest
    are counted as skipped. Each district touched is placed at the mean of its live
    postcodes, in the local authority most of them are in. One transaction, as for places.
    """
    if actor is not None:
        authz.require(actor, "places.import")
    chosen = check_local_authority_codes(only_la)
    progress = progress or _Quiet()
    lsoa_la: dict[str, str] = dict(LSOA.objects.values_list("code", "local_authority_id"))
    if not lsoa_la:
        raise ValidationFailed(
            "This node holds no LSOAs yet, so no postcode can be placed: run places_import first.",
            field="file",
        )
    report = ImportReport()
    districts_known = set(PostcodeDistrict.objects.values_list("code", flat=True))
    created: set[str] = set()
    touched: set[str] = set()
    batch: dict[str, ons.PostcodeRow] = {}

    def keep(row: ons.PostcodeRow) -> str | None:
        la = lsoa_la.get(row.lsoa_code)
        if la is None:
            if chosen is not None and row.lad_code and row.lad_code not in chosen:
                return OUTSIDE_CHOSEN
            return LSOA_NOT_HELD
        if chosen is not None and la not in chosen and row.lad_code not in chosen:
            return OUTSIDE_CHOSEN
        return None

    with _open(Path(path), Kind.POSTCODES) as table:
        report.files[ons.describe(Kind.POSTCODES)] = table.path.name
        progress.stage("Reading postcodes", table.size, "B")
        for row in _read(table, report, progress, keep):
            if not isinstance(row, ons.PostcodeRow):
                raise TypeError(f"A {type(row).__name__} is not a postcode row.")
            batch[row.postcode] = row
            if len(batch) >= POSTCODE_BATCH:
                touched.update(r.district for r in batch.values())
                created.update(_postcode_batch_write(batch, districts_known, report))
                batch = {}
    if batch:
        touched.update(r.district for r in batch.values())
        created.update(_postcode_batch_write(batch, districts_known, report))
    _district_centres(sorted(touched), created, report)
    if strict and report.refused:
        raise ImportRefused(report)
    audit.record(
        actor=actor,
        action="places.import",
        kind="postcodes",
        only_la=sorted(chosen) if chosen else None,
        **report.as_detail(),
    )
    return report
