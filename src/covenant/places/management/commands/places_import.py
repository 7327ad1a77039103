"""`manage.py places_import`: load regions, local authorities, wards and LSOAs from ONS and
MHCLG files (by default the copies shipped in covenant/places/data)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from covenant.core.errors import CovenantError
from covenant.places import services

from ..progress import Bar


def split_codes(value: str | None) -> list[str] | None:
    return None if value is None else [c for c in value.split(",") if c.strip()]


def print_refusals(command: BaseCommand, report: services.ImportReport) -> None:
    for refused in report.refused:
        command.stderr.write(f"refused: {refused}")


class Command(BaseCommand):
    help = (
        "Import places (regions, local authorities, wards, LSOAs with deprivation, population, "
        "centroids and rural-urban class) from the ONS and IoD2019 CSV files in a folder."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dir",
            type=Path,
            default=None,
            help="Folder (searched with its subfolders) or file to import. Default: the data "
            "shipped with the project (COVENANT_PLACES_DIR).",
        )
        parser.add_argument(
            "--only-la",
            default=None,
            help="Import only these local authorities (2019 codes, comma-separated), like "
            "E08000011 for Knowsley.",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Import nothing, and exit non-zero, if any row is refused.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["dir"] or settings.COVENANT_PLACES_DIR)
        bar = Bar(self.stderr)
        started = time.perf_counter()
        try:
            report = services.places_import(
                actor=None,
                paths=[directory],
                only_la=split_codes(options["only_la"]),
                strict=options["strict"],
                progress=bar,
            )
        except services.ImportRefused as error:
            bar.close()
            print_refusals(self, error.report)
            raise CommandError(error.message) from None
        except CovenantError as error:
            raise CommandError(error.message) from None
        finally:
            bar.close()
        print_refusals(self, report)
        passed_over = [n for n in report.notes if n.startswith("passed over")]
        for note in report.notes:
            if note not in passed_over or options["verbosity"] > 1:
                self.stderr.write(f"note: {note}")
        if passed_over and options["verbosity"] <= 1:
            self.stderr.write(
                f"note: passed over {len(passed_over)} CSV files that are not place files "
                "(-v 2 lists them)"
            )
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Imported places from {directory} in {seconds:.1f} s: {report.summary()}"
        )
