"""The API app's own endpoint: who the caller is (GET /me)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema

from covenant.core.selectors import organisations_of

from .auth import SIGNED_IN, actor_of
from .models import ApiToken

router = Router(tags=["You"])


class PersonOut(Schema):
    id: int
    email: str
    display_name: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    organisation_id: int
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None


class OrganisationRolesOut(Schema):
    id: int
    name: str
    roles: list[str]


class MeOut(Schema):
    kind: Literal["person", "token"]
    label: str
    person: PersonOut | None
    token: TokenOut | None
    node_roles: list[str]
    organisations: list[OrganisationRolesOut]
    scopes: list[str] | None


@router.get("/me", response=MeOut, auth=SIGNED_IN, summary="Who you are")
def me(request: HttpRequest) -> MeOut:
    """The person or token the request acts as, with the roles that decide what it may do.
    A token's scopes are what limit it: it holds every role in its organisation."""
    actor = actor_of(request)
    token = (
        ApiToken.objects.filter(pk=actor.token_id).first() if actor.token_id is not None else None
    )
    user = request.user if actor.user_id is not None else None
    return MeOut(
        kind="token" if token is not None else "person",
        label=actor.label,
        person=PersonOut.from_orm(user) if user is not None else None,
        token=TokenOut.from_orm(token) if token is not None else None,
        node_roles=sorted(actor.node_roles),
        organisations=[
            OrganisationRolesOut(id=o.organisation.pk, name=o.organisation.name, roles=o.roles)
            for o in organisations_of(actor)
        ],
        scopes=sorted(actor.scopes) if actor.scopes is not None else None,
    )
