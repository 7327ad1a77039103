"""Demo data for supplies, built by the core demo after organisations, people and
passports exist (see covenant.core.demo.DemoContext)."""

from __future__ import annotations

from covenant.core.demo import DemoContext


def build(ctx: DemoContext) -> None:
    """Nothing yet: this app has no demo data."""
