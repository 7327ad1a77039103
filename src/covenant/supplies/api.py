"""The JSON API for supplies, mounted at /api/v1/supplies."""

from ninja import Router

router = Router(tags=["Supplies"])
