"""`{% load passport_tags %}`: what the dashboard needs to know about a person's passport
roles, so it offers only the links they can use."""

from __future__ import annotations

from django import template

from covenant.core.authz import Actor
from covenant.core.models import OrgRole
from covenant.passport import registry

register = template.Library()


@register.filter
def passport_issuer(actor: Actor) -> bool:
    """A verifier somewhere: may add credentials (the page says if their organisation can't)."""
    return bool(actor.organisations_with(OrgRole.VERIFIER))


@register.filter
def passport_staff(actor: Actor) -> bool:
    """A verifier or administrator somewhere: may look up what their organisation issued."""
    return bool(actor.organisations_with(OrgRole.VERIFIER, OrgRole.ADMIN))


@register.filter
def passport_requester(actor: Actor) -> bool:
    """A coordinator, verifier or administrator somewhere: may ask volunteers for checks."""
    return bool(actor.organisations_with(OrgRole.COORDINATOR, OrgRole.VERIFIER, OrgRole.ADMIN))


@register.filter
def with_article(name: str) -> str:
    """ "a DBS check", "an identity check"."""
    return registry.with_article(name)
