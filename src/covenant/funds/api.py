"""The JSON API for funds, mounted at /api/v1/funds."""

from ninja import Router

router = Router(tags=["Funds"])
