"""Time the import of the shipped places data into a fresh SQLite database.

    python bench/places_import.py [--quick]

Full size imports all 32,844 English LSOAs with every attribute (nine files, about 230,000
rows); `--quick` imports one local authority (Knowsley, 98 LSOAs) from the same files. The
reference, run in the same process, reads the same files with nothing but `gzip` and `csv`,
so `import_over_reference` says how much the checks, merging and database writes cost on top
of merely reading the rows, whatever the machine. A second import of the same data (which
finds nothing to change) is timed too.

The answer is checked: the LSOAs and the total population in the database must equal what
the plain read finds in IoD2019 Files 2 and 6, or the benchmark exits non-zero.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
WORKDIR = Path(tempfile.mkdtemp(prefix="bench-places-"))
KNOWSLEY = "E08000011"
DOMAINS = "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz"
POPULATION = "File_6_-_IoD2019_Population_Denominators.csv.gz"


def reference_read(data: Path, only_la: str | None) -> tuple[int, set[str], int]:
    """Read every row of every shipped file with csv alone: (rows, LSOA codes, population)."""
    rows = 0
    lsoas: set[str] = set()
    population = 0
    for path in sorted(data.glob("*.csv.gz")):
        with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as text:
            reader = csv.reader(text)
            next(reader)
            for row in reader:
                rows += 1
                if (
                    only_la is not None
                    and row[2:3] != [only_la]
                    and path.name
                    in (
                        DOMAINS,
                        POPULATION,
                    )
                ):
                    continue
                if path.name == DOMAINS:
                    lsoas.add(row[0])
                elif path.name == POPULATION:
                    population += int(row[4].replace(",", ""))
    return rows, lsoas, population


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one local authority (Knowsley)")
    args = parser.parse_args()
    only_la = KNOWSLEY if args.quick else None

    workdir = WORKDIR
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "covenant.settings.test")
    import django
    from django.conf import settings

    from covenant.settings.base import database_from_env

    # A file database configured as a node's is (WAL, IMMEDIATE transactions), not :memory:.
    settings.DATABASES["default"] = database_from_env(workdir / "bench.sqlite3")
    django.setup()

    from django.core.management import call_command
    from django.db.models import Sum

    from covenant.places import services
    from covenant.places.models import LSOA

    call_command("migrate", verbosity=0)
    data = Path(settings.COVENANT_PLACES_DIR)

    started = time.perf_counter()
    rows, reference_lsoas, reference_population = reference_read(data, only_la)
    reference_s = time.perf_counter() - started

    only = [only_la] if only_la else None
    started = time.perf_counter()
    report = services.places_import(actor=None, paths=[data], only_la=only)
    import_s = time.perf_counter() - started

    started = time.perf_counter()
    again = services.places_import(actor=None, paths=[data], only_la=only)
    reimport_s = time.perf_counter() - started

    stored = set(LSOA.objects.values_list("code", flat=True))
    population = LSOA.objects.aggregate(total=Sum("population"))["total"]
    problems = []
    if stored != reference_lsoas:
        problems.append(f"{len(stored)} LSOAs stored, {len(reference_lsoas)} in File 2")
    if population != reference_population:
        problems.append(f"population {population} stored, {reference_population} in File 6")
    if report.refused or again.created["LSOAs"] or again.updated["LSOAs"]:
        problems.append(f"refused {len(report.refused)}, re-import {again.summary()}")
    print(f"first import: {report.summary()}")
    print(f"second import: {again.summary()}")
    if problems:
        print("places_import: WRONG ANSWER: " + "; ".join(problems), file=sys.stderr)
        return 1

    result = {
        "benchmark": "places_import",
        "figures": {
            "lsoas": len(stored),
            "rows_read": rows,
            "import_s": round(import_s, 3),
            "reimport_s": round(reimport_s, 3),
            "reference_s": round(reference_s, 3),
            "rows_per_s": round(rows / import_s),
            "reference_rows_per_s": round(rows / reference_s),
        },
        "ratios": {
            "import_over_reference": round(import_s / reference_s, 2),
            "reimport_over_import": round(reimport_s / import_s, 2),
        },
    }
    print(json.dumps(result))
    return 0


def run() -> int:
    """main() in a temporary folder for the database, removed afterwards."""
    try:
        return main()
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(WORKDIR, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(run())
