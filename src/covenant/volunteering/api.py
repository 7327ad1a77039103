"""The JSON API for volunteering, mounted at /api/v1/volunteering."""

from ninja import Router

router = Router(tags=["Volunteering"])
