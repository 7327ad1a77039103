"""Reads for the API app: an organisation's tokens, and the token behind a secret."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from covenant.core import authz
from covenant.core.errors import NotAuthenticated
from covenant.core.models import Organisation

from .models import ApiToken
from .services import SECRET_MARKER, secret_hash

# A real secret is the marker and 43 URL-safe characters; anything far longer is not worth
# hashing.
_SECRET_MAX_LENGTH = 200


def api_tokens_for_organisation(*, actor: Any, organisation: Organisation) -> QuerySet[ApiToken]:
    """The organisation's tokens, newest first, revoked ones included so the history shows."""
    authz.require(actor, "organisation.tokens.manage", organisation)
    return ApiToken.objects.filter(organisation=organisation).select_related("created_by")


def api_token_for_secret(secret: str) -> ApiToken:
    """The active token a caller presented. Raises NotAuthenticated saying which of unknown,
    revoked or expired it is, so the caller knows whether to re-copy it or ask for a new one."""
    secret = secret.strip()
    token = None
    if secret.startswith(SECRET_MARKER) and len(secret) <= _SECRET_MAX_LENGTH:
        token = (
            ApiToken.objects.select_related("organisation")
            .filter(secret_hash=secret_hash(secret))
            .first()
        )
    if token is None:
        raise NotAuthenticated(
            "This API token is not recognised. Check you copied all of it, or ask an "
            "administrator of your organisation for a new one.",
            code="token_invalid",
        )
    if token.revoked_at is not None:
        raise NotAuthenticated(
            f"This API token ({token.prefix}…) was revoked on "
            f"{token.revoked_at:%d %B %Y}. Ask an administrator of "
            f"{token.organisation.name} for a new one.",
            code="token_revoked",
        )
    if token.is_expired:
        assert token.expires_at is not None
        raise NotAuthenticated(
            f"This API token ({token.prefix}…) expired on {token.expires_at:%d %B %Y}. Ask an "
            f"administrator of {token.organisation.name} for a new one.",
            code="token_expired",
        )
    return token
