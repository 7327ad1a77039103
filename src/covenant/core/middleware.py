"""Staff whose roles reach other people's sensitive data must sign in with a second factor."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from . import authz

# Roles that see personal or criminal-offence data of people outside their own account.
SENSITIVE_ORG_ROLES = frozenset({"admin", "verifier", "coordinator", "assessor"})
SENSITIVE_NODE_ROLES = frozenset({"cvs_staff", "node_admin"})
_ALWAYS_OPEN = ("/accounts/", "/static/", "/api/", "/.well-known/", "/healthz")


def needs_mfa(actor: authz.Actor) -> bool:
    if actor.node_roles & SENSITIVE_NODE_ROLES:
        return True
    return any(roles & SENSITIVE_ORG_ROLES for roles in actor.org_roles.values())


class MfaRequiredMiddleware:
    """Send a signed-in person who needs a second factor and has none to set one up."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.COVENANT_MFA_REQUIRED
            and request.user.is_authenticated
            and not request.path.startswith(_ALWAYS_OPEN)
            and request.path != reverse("core:mfa_required")
        ):
            from allauth.mfa.utils import is_mfa_enabled

            if needs_mfa(authz.actor_for_user(request.user)) and not is_mfa_enabled(request.user):
                return redirect("core:mfa_required")
        return self.get_response(request)
