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
# Sign-in pages, and public machine-readable documents (keys, status lists) that verifiers
# and other nodes fetch: a second-factor page there would break them and protects nothing.
_ALWAYS_OPEN = ("/accounts/", "/static/", "/api/", "/.well-known/", "/status-lists/", "/healthz")


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


class CovenantErrorMiddleware:
    """Turn a domain error that escaped a page view into a page that says what to do.

    Views handle the errors they expect next to the form; this catches the rest (a permission
    denied deep in a service, a conflict) so a person never sees a server error for them. The
    API has its own handler that answers with problem documents.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.shortcuts import render

        from .errors import CovenantError, NotAuthenticated

        if not isinstance(exception, CovenantError) or request.path.startswith("/api/"):
            return None
        if isinstance(exception, NotAuthenticated):
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        return render(
            request,
            "core/error.html",
            {"error": exception},
            status=exception.status,
        )
