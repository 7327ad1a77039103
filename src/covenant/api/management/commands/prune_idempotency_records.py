"""Forget Idempotency-Key records older than 24 hours. Run daily (cron or a scheduler)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from covenant.api.idempotency import prune


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than 24 hours."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = prune()
        self.stdout.write(f"Deleted {deleted} idempotency record(s) older than 24 hours.")
