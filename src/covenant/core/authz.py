"""The one answer to "may this actor do this action to that object?".

Every service calls `require` before it writes; pages and selectors call `allows` to decide
what to show. Rules are registered per action with `@rule("area.verb")`; an action with no
rule is denied, so forgetting a rule fails closed. Apps register their own rules in their
`rules.py`, imported when the app is ready.

An `Actor` is a signed-in person or an organisation's API token. A token acts for its
organisation with the roles its scopes imply, and never for more than its scopes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import NotAuthenticated, PermissionDenied


class _UserLike(Protocol):
    # Read-only members, so Django's User (whose is_authenticated is a property) and
    # AnonymousUser (which has no e-mail address) both fit.
    @property
    def pk(self) -> Any: ...
    @property
    def is_authenticated(self) -> bool: ...
    @property
    def is_active(self) -> bool: ...


@dataclass(frozen=True)
class Actor:
    """Who is acting, with the roles that matter for permission, loaded once per request."""

    user_id: int | None
    label: str
    org_roles: Mapping[int, frozenset[str]] = field(default_factory=dict)
    node_roles: frozenset[str] = frozenset()
    token_id: int | None = None
    scopes: frozenset[str] | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None or self.token_id is not None

    def has_node_role(self, *roles: str) -> bool:
        return bool(self.node_roles.intersection(roles))

    def has_org_role(self, organisation_id: int | None, *roles: str) -> bool:
        if organisation_id is None:
            return False
        held = self.org_roles.get(organisation_id, frozenset())
        return bool(held.intersection(roles)) if roles else bool(held)

    def organisations_with(self, *roles: str) -> set[int]:
        return {o for o, held in self.org_roles.items() if not roles or held.intersection(roles)}


ANONYMOUS = Actor(user_id=None, label="anonymous")

Rule = Callable[[Actor, Any], bool]
_RULES: dict[str, Rule] = {}


def rule(action: str) -> Callable[[Rule], Rule]:
    """Register the rule for `action`. Registering twice is a programming error."""

    def register(fn: Rule) -> Rule:
        if action in _RULES:
            raise ValueError(f"A rule for {action!r} is already registered.")
        _RULES[action] = fn
        return fn

    return register


def actions() -> list[str]:
    return sorted(_RULES)


def actor_for_user(user: _UserLike | None) -> Actor:
    """Load a person's roles. Cached on the user object for the rest of the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    cached: Actor | None = getattr(user, "_covenant_actor", None)
    if cached is not None:
        return cached
    from .models import Membership, NodeRole

    org_roles: dict[int, set[str]] = {}
    for organisation_id, role in Membership.objects.filter(user_id=user.pk).values_list(
        "organisation_id", "role"
    ):
        org_roles.setdefault(organisation_id, set()).add(role)
    node_roles = frozenset(NodeRole.objects.filter(user_id=user.pk).values_list("role", flat=True))
    actor = Actor(
        user_id=user.pk,
        label=str(getattr(user, "email", "") or user.pk),
        org_roles={k: frozenset(v) for k, v in org_roles.items()},
        node_roles=node_roles,
    )
    user._covenant_actor = actor  # type: ignore[attr-defined]
    return actor


def forget(user: object) -> None:
    """Drop the cached roles, after a service changed them."""
    if hasattr(user, "_covenant_actor"):
        delattr(user, "_covenant_actor")


def as_actor(who: Actor | _UserLike | None) -> Actor:
    return who if isinstance(who, Actor) else actor_for_user(who)


def allows(who: Actor | _UserLike | None, action: str, obj: Any = None) -> bool:
    actor = as_actor(who)
    check = _RULES.get(action)
    if check is None:
        return False
    if actor.scopes is not None and action not in actor.scopes:
        return False
    return bool(check(actor, obj))


def require(who: Actor | _UserLike | None, action: str, obj: Any = None) -> Actor:
    """Return the actor if allowed; otherwise raise NotAuthenticated or PermissionDenied."""
    actor = as_actor(who)
    if allows(actor, action, obj):
        return actor
    if not actor.is_authenticated:
        raise NotAuthenticated("Sign in to do this.")
    raise PermissionDenied(
        "You do not have permission to do this. Ask an administrator of the organisation, "
        "or the CVS, for the role it needs."
    )


def any_of(*checks: Rule) -> Rule:
    def combined(actor: Actor, obj: Any) -> bool:
        return any(c(actor, obj) for c in checks)

    return combined


def node_role(*roles: str) -> Rule:
    def check(actor: Actor, obj: Any) -> bool:
        return actor.has_node_role(*roles)

    return check


def org_role(*roles: str, org_of: Callable[[Any], int | None] | None = None) -> Rule:
    """Allow holders of `roles` in the organisation the object belongs to."""

    def check(actor: Actor, obj: Any) -> bool:
        organisation_id = org_of(obj) if org_of else organisation_id_of(obj)
        return actor.has_org_role(organisation_id, *roles)

    return check


def organisation_id_of(obj: Any) -> int | None:
    """The organisation an object belongs to: the object itself if it is one, else its
    `organisation_id`. Every owned model has one (DESIGN: every object belongs to an
    organisation)."""
    if obj is None:
        return None
    if getattr(obj, "_meta", None) is not None and obj._meta.label == "core.Organisation":
        return int(obj.pk)
    value = getattr(obj, "organisation_id", None)
    return int(value) if value is not None else None


def scopes_for(actions_granted: Iterable[str]) -> frozenset[str]:
    unknown = set(actions_granted) - set(_RULES)
    if unknown:
        raise ValueError(f"Unknown actions: {', '.join(sorted(unknown))}")
    return frozenset(actions_granted)
