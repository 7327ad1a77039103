"""`manage.py postcodes_import FILE`: load postcodes from the ONS Postcode Directory (ONSPD or
NSPL CSV, or that CSV gzip-compressed) into the LSOAs this node already holds."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from covenant.core.errors import CovenantError
from covenant.places import services

from ..progress import Bar
from .places_import import print_refusals, split_codes


class Command(BaseCommand):
    help = (
        "Import postcodes and postcode districts from an ONS Postcode Directory CSV "
        "(columns pcds or pcd, lsoa11, lat, long; doterm and oslaua if present)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The ONSPD or NSPL CSV file (or .csv.gz).")
        parser.add_argument(
            "--only-la",
            default=None,
            help="Import only postcodes in these local authorities (comma-separated codes).",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Import nothing, and exit non-zero, if any row is refused.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bar = Bar(self.stderr)
        started = time.perf_counter()
        try:
            report = services.postcodes_import(
                actor=None,
                path=options["file"],
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
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Imported postcodes from {options['file']} in {seconds:.1f} s: {report.summary()}"
        )
