"""`manage.py passport_keys_rotate --organisation ID`: give an organisation a new signing key.

The previous key stops signing and stays published, so what it signed keeps verifying. Run it
on a schedule (yearly, say) or at once if a key may have leaked (then retire the old key)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from covenant.core.errors import CovenantError
from covenant.core.models import Organisation
from covenant.passport.models import Algorithm
from covenant.passport.services import issuer_key_rotate


class Command(BaseCommand):
    help = "Make a new signing key for an organisation; its old keys stay published."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--organisation", required=True, type=int, help="The organisation's id (number)."
        )
        parser.add_argument(
            "--alg",
            default=Algorithm.ES256,
            choices=Algorithm.values,
            help="Signing algorithm (default ES256).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(pk=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"There is no organisation with id {options['organisation']}.")
        try:
            key = issuer_key_rotate(actor=None, organisation=organisation, alg=options["alg"])
        except CovenantError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{organisation} now signs with {key.alg} key {key.kid}.")
