"""The JSON API for commissioning, mounted at /api/v1/commissioning."""

from ninja import Router

router = Router(tags=["Commissioning"])
