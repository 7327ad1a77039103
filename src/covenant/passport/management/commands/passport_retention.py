"""`manage.py passport_retention`: erase what the passport may no longer keep.

Evidence notes go 180 days after the credential was issued; the issued SD-JWT (what a
credential said) goes 180 days after it was revoked or expired; an organisation's copy of a
shared presentation goes 180 days after it was shared. Run it daily (cron or a
systemd timer); it is safe to run at any time and as often as you like."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from covenant.core.errors import CovenantError
from covenant.passport.services import credentials_retention_purge
from covenant.passport.sharing import shares_retention_purge


class Command(BaseCommand):
    help = "Erase evidence notes, old credentials and shared copies past their retention period."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = credentials_retention_purge()
            shares = shares_retention_purge()
        except CovenantError as error:
            raise CommandError(str(error)) from None
        notes, contents = report.evidence_notes, report.credentials
        self.stdout.write(
            f"Erased {notes} evidence note{'s' if notes != 1 else ''} and the contents of "
            f"{contents} credential{'s' if contents != 1 else ''}, and "
            f"{shares} shared cop{'ies' if shares != 1 else 'y'}."
        )
