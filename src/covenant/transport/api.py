"""The JSON API for community transport, mounted at /api/v1/transport."""

from ninja import Router

router = Router(tags=["Community transport"])
