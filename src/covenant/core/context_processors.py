"""Values every page needs: the node's name and what the signed-in person may do."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from . import authz


def node(request: HttpRequest) -> dict[str, Any]:
    return {
        "node_name": settings.COVENANT_NODE_NAME,
        "actor": authz.actor_for_user(getattr(request, "user", None)),
    }
