"""`manage.py demo`: build a believable local node on a real borough, and print how to sign in."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from covenant.core.demo import DEMO_PASSWORD, build_demo, demo_accounts
from covenant.core.errors import CovenantError
from covenant.core.models import Organisation
from covenant.places.models import LSOA


class Command(BaseCommand):
    help = "Load demo data: a CVS, ~60 organisations and ~2,000 volunteers on real places."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--la",
            default="E08000011",
            help="ONS code of the local authority to build on (default: Knowsley, E08000011).",
        )
        parser.add_argument("--volunteers", type=int, default=2000)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (but print the accounts) if the node already has organisations.",
        )
        parser.add_argument(
            "--places",
            choices=["england", "area"],
            default="england",
            help="Import all of England's places (default) or only the demo area's, if missing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["volunteers"] < 0:
            raise CommandError("--volunteers must be 0 or more.")
        if options["if_empty"] and Organisation.objects.exists():
            self.stdout.write("The node already has data; demo not loaded again.")
            self._print_accounts()
            return
        if Organisation.objects.exists():
            raise CommandError(
                "The node already has organisations. Run the demo on an empty database "
                "(delete var/covenant.sqlite3 for the SQLite default), or use --if-empty."
            )
        la = options["la"]
        if not LSOA.objects.filter(local_authority_id=la).exists():
            self.stderr.write("Importing places (ONS and IoD2019 data shipped with the project)…")
            place_options = {} if options["places"] == "england" else {"only_la": la}
            call_command("places_import", stdout=self.stderr, stderr=self.stderr, **place_options)
        try:
            result = build_demo(
                la_code=la,
                volunteers=options["volunteers"],
                progress=lambda steps, total: tqdm(
                    steps, total=total, desc="Volunteers", unit="batch", file=self.stderr
                ),
            )
        except CovenantError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo node built: {result.organisations} organisations, "
                f"{result.volunteers} volunteers."
            )
        )
        self._print_accounts()

    def _print_accounts(self) -> None:
        self.stdout.write("")
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for account in demo_accounts():
            self.stdout.write(f"  {account.email:<28} {account.role} — {account.where}")
        self.stdout.write("  volunteer00001@example.org … volunteer02000@example.org  Volunteers")
