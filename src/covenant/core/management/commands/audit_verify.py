"""`manage.py audit_verify`: check the audit log's hash chain from the first entry to the head.

Run it from cron or by hand after a restore: it exits 0 when every entry is as written and
non-zero, naming the first bad entry, when anything was edited, deleted or cut off.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from tqdm import tqdm

from covenant.core import audit
from covenant.core.models import AuditEntry


class _Unended:
    """Lets tqdm redraw its bar on the command's stderr: Django's wrapper would end every
    write with a newline (and colour it as an error on a terminal)."""

    def __init__(self, out: OutputWrapper) -> None:
        self._out = out

    def write(self, text: str) -> int:
        self._out.write(text, style_func=lambda s: s, ending="")
        return len(text)

    def flush(self) -> None:
        self._out.flush()


class Command(BaseCommand):
    help = "Check the audit log's hash chain; exit non-zero at the first entry that breaks it."

    def handle(self, *args: Any, **options: Any) -> None:
        total = AuditEntry.objects.count()
        with tqdm(
            total=total,
            desc="Checking the audit log",
            unit=" entries",
            file=_Unended(self.stderr),
            mininterval=0.5,
        ) as progress:
            report = audit.chain_verify(on_entry=progress.update)
        if not report.ok:
            raise CommandError(
                f"Audit log broken at entry #{report.first_bad_seq}: {report.reason}."
            )
        self.stdout.write(f"Audit log intact: {report.checked} entries checked.")
