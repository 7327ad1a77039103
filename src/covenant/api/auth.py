"""Who is calling the API: an organisation's token, or a person signed in with the browser.

Each authenticator returns a `covenant.core.authz.Actor`, which ninja stores as
`request.auth`; endpoints read it with `actor_of(request)` and hand it to services, so the API
obeys exactly the rules the pages do.

- `Authorization: Bearer <secret>`: the token acts for its organisation with every role there,
  limited to its scopes (authz checks the scope before the rule). A header that is present but
  wrong is refused with 401; it never falls back to the session, so a client learns its token
  is bad instead of silently acting as whoever is signed in.
- The session cookie: for the browser (and the docs page). Unsafe methods need the CSRF
  token, and people whose roles require a second factor must have set one up, as on pages.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from covenant.core import authz
from covenant.core.authz import ANONYMOUS, Actor
from covenant.core.errors import NotAuthenticated, PermissionDenied
from covenant.core.middleware import needs_mfa
from covenant.core.models import OrgRole

from .models import ApiToken
from .selectors import api_token_for_secret
from .services import api_token_mark_used

_ACTOR_ATTR = "_covenant_api_actor"


def token_actor(token: ApiToken) -> Actor:
    """A token holds every role in its organisation; its scopes are what limit it."""
    return Actor(
        user_id=None,
        label=f"token:{token.prefix} ({token.organisation.name})",
        org_roles={token.organisation_id: frozenset(OrgRole.values)},
        token_id=token.pk,
        scopes=frozenset(token.scopes),
    )


def _bearer_secret(request: HttpRequest) -> str | None:
    """The secret from the Authorization header; None if there is no header. A header in
    another scheme is an error, not an absence."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise NotAuthenticated(
            "Send the API token as 'Authorization: Bearer <token>'.", code="token_invalid"
        )
    return credentials.strip()


class TokenAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> Actor | None:
        cached: Actor | None = getattr(request, _ACTOR_ATTR, None)
        if cached is not None and cached.token_id is not None:
            return cached
        secret = _bearer_secret(request)
        if secret is None:
            return None
        return self.authenticate(request, secret)

    def authenticate(self, request: HttpRequest, token: str) -> Actor:
        api_token = api_token_for_secret(token)
        api_token_mark_used(token=api_token)
        actor = token_actor(api_token)
        setattr(request, _ACTOR_ATTR, actor)
        return actor


class SessionAuth(APIKeyCookie):
    """Django's session, as ninja's SessionAuth, but answering with an Actor and refusing
    clearly (CSRF, second factor) instead of pretending nobody is signed in."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Actor | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise PermissionDenied(
                "The CSRF check failed. Send the csrftoken cookie's value in an X-CSRFToken "
                "header, or use an API token instead of the session.",
                code="csrf_failed",
            )
        actor = authz.actor_for_user(user)
        if settings.COVENANT_MFA_REQUIRED and needs_mfa(actor) and not is_mfa_enabled(user):
            raise PermissionDenied(
                "Your roles need a second factor. Set one up at /accounts/2fa/ and sign in "
                "again, or use an API token.",
                code="mfa_required",
            )
        return actor

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return self(request)


def anonymous(request: HttpRequest) -> Actor:
    """Last in the list for public endpoints: nobody identified is still someone who may read
    the public directory."""
    return ANONYMOUS


token_auth = TokenAuth()
session_auth = SessionAuth()
SIGNED_IN = [token_auth, session_auth]
PUBLIC = [token_auth, session_auth, anonymous]


def actor_of(request: HttpRequest) -> Actor:
    """The actor ninja authenticated for this request."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, Actor) else ANONYMOUS


def principal_of(request: HttpRequest) -> str | None:
    """Who owns an Idempotency-Key: "token:<id>" or "user:<id>", or None if the request will be
    refused anyway (ninja's authentication, which runs later, then says why)."""
    try:
        secret = _bearer_secret(request)
        if secret is not None:
            return f"token:{api_token_for_secret(secret).pk}"
    except NotAuthenticated:
        return None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None
