"""The JSON API for reserve, mounted at /api/v1/reserve."""

from ninja import Router

router = Router(tags=["Reserve"])
