"""The JSON API for community power challenges, mounted at /api/v1/challenges."""

from ninja import Router

router = Router(tags=["Community power challenges"])
