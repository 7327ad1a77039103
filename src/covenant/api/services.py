"""Writes for the API app: making and revoking an organisation's API tokens.

A token's secret is generated here, returned once to the caller and never stored: the table
keeps its SHA-256 hash. Idempotency records are plumbing rather than use cases and live in
`covenant.api.idempotency`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from covenant.core import audit, authz, clock
from covenant.core.errors import PermissionDenied, ValidationFailed
from covenant.core.models import Organisation

from .models import ApiToken

SECRET_MARKER = "sc_"
PREFIX_LENGTH = len(SECRET_MARKER) + 8
NAME_MAX_LENGTH = 100
# Writing last_used_at on every call would make every read a write; a minute is precise enough
# for "is this token still in use?".
LAST_USED_RESOLUTION = timedelta(minutes=1)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def check_api_token_details(
    *, name: str, scopes: Iterable[str], expires_at: datetime | None
) -> tuple[str, list[str]]:
    """Collect every problem at once, so the page can show each beside its field."""
    errors: dict[str, list[str]] = {}
    clean_name = name.strip()
    if not clean_name:
        errors["name"] = [
            "Enter a name for the token, so you can tell it apart later (like 'Rota system')."
        ]
    elif len(clean_name) > NAME_MAX_LENGTH:
        errors["name"] = [f"Use {NAME_MAX_LENGTH} characters or fewer for the name."]
    wanted = sorted(set(scopes))
    known = set(authz.actions())
    unknown = [s for s in wanted if s not in known]
    if not wanted:
        errors["scopes"] = ["Choose at least one thing the token may do."]
    elif unknown:
        errors["scopes"] = [f"These are not actions on this node: {', '.join(unknown)}."]
    if expires_at is not None:
        if expires_at.tzinfo is None:
            errors["expires_at"] = ["Give the expiry with a time zone, like 2026-03-31T17:00Z."]
        elif expires_at <= clock.now():
            errors["expires_at"] = ["Choose an expiry date in the future."]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    return clean_name, wanted


@transaction.atomic
def api_token_create(
    *,
    actor: Any,
    organisation: Organisation,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Make a token for an organisation and return it with its secret, which is never shown
    again. A token cannot make tokens: otherwise a leaked token could mint wider ones."""
    who = authz.require(actor, "organisation.tokens.manage", organisation)
    if who.token_id is not None:
        raise PermissionDenied(
            "An API token cannot make other tokens. An administrator of the organisation "
            "signs in to do this."
        )
    clean_name, wanted = check_api_token_details(name=name, scopes=scopes, expires_at=expires_at)
    secret = SECRET_MARKER + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organisation=organisation,
        name=clean_name,
        prefix=secret[:PREFIX_LENGTH],
        secret_hash=secret_hash(secret),
        scopes=wanted,
        created_by_id=who.user_id,
        expires_at=expires_at,
    )
    audit.record(
        actor=who,
        action="api_token.create",
        target=token,
        name=clean_name,
        prefix=token.prefix,
        scopes=wanted,
        expires_at=expires_at,
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Stop a token working from now on. Revoking twice changes nothing, so a double click
    or a retried request is harmless."""
    who = authz.require(actor, "organisation.tokens.manage", token)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = clock.now()
    token.revoked_by_id = who.user_id
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(actor=who, action="api_token.revoke", target=token, prefix=token.prefix)
    return token


def api_token_mark_used(*, token: ApiToken) -> None:
    """Note that a token was just used, at most once a minute. Bookkeeping the platform does
    for itself, so no actor and no audit entry (the actions the token takes are audited)."""
    now = clock.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
