"""Helpers for API tests: tokens made through the real service, and a second factor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from allauth.mfa.models import Authenticator

from covenant.api.models import ApiToken
from covenant.api.services import api_token_create
from covenant.core import authz
from covenant.core.models import Organisation, OrgRole
from covenant.core.tests.factories import MembershipFactory


def with_mfa(user: Any) -> Any:
    """Staff roles need a second factor (test settings enforce it, as production does)."""
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


def make_token(
    organisation: Organisation,
    *,
    scopes: list[str] | None = None,
    expires_at: datetime | None = None,
    name: str = "Rota system",
) -> tuple[ApiToken, str]:
    """A token made as an administrator of the organisation would make it."""
    admin = MembershipFactory(organisation=organisation, role=OrgRole.ADMIN).user
    return api_token_create(
        actor=admin,
        organisation=organisation,
        name=name,
        scopes=authz.actions() if scopes is None else scopes,
        expires_at=expires_at,
    )


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem document with this status and code."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) == {"type", "title", "status", "detail", "code", "errors"}
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:social-covenant:problem:{code}"
    assert body["title"]
    assert body["detail"]
    assert isinstance(body["errors"], list)
    return body
