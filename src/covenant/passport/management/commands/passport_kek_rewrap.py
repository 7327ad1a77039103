"""`manage.py passport_kek_rewrap`: finish a key-encryption key rotation.

1. Put the new KEK in COVENANT_KEY_ENCRYPTION_KEY and the old one in
   COVENANT_KEY_ENCRYPTION_KEYS_RETIRED; restart.
2. Run this: every private key and issued credential sealed under the old KEK is re-sealed
   under the new one, in one transaction.
3. Remove the old KEK from COVENANT_KEY_ENCRYPTION_KEYS_RETIRED."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from covenant.core.errors import CovenantError
from covenant.passport.keystore import keyring
from covenant.passport.services import sealed_secrets_rewrap


class Command(BaseCommand):
    help = "Re-seal private keys and credentials under the current key-encryption key."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = sealed_secrets_rewrap(actor=None)
        except CovenantError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Re-sealed {count} secret{'s' if count != 1 else ''} under key-encryption key "
            f"{keyring().current_id}."
        )
