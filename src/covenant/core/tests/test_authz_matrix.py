"""The permission matrix for core's rules: every actor kind x every action x every target.

`EXPECTED` is the specification. For each action it says, per target, which actor kinds are
allowed; every other combination must be denied, and the matrix checks the denials as well as
the allows. Changing a rule in `covenant/core/rules.py` therefore fails a test here until the
table is changed too, and a new rule fails `test_matrix_covers_every_core_rule` until it is
added.

Actors and targets are plain objects with fixed ids (no database), so the matrix is fast. Ids
collide across tables on purpose (user 1, organisation 1, profile 1), as they do in a real
database that numbers every table from 1: a rule that compares the wrong ids shows up here.
A second, smaller matrix loads real people's roles from the database through
`authz.actor_for_user`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from covenant.core import authz
from covenant.core import rules as core_rules
from covenant.core.authz import ANONYMOUS, Actor
from covenant.core.errors import NotAuthenticated, PermissionDenied
from covenant.core.models import (
    NodeRoleName,
    Organisation,
    OrgRole,
    User,
    VerificationStatus,
    VolunteerProfile,
)
from covenant.core.tests.factories import (
    MembershipFactory,
    NodeRoleFactory,
    OrganisationFactory,
    UserFactory,
)

ME = 1  # every signed-in actor's user id
SOMEONE_ELSE = 2
TARGET_ORG = 1  # the organisation the target belongs to ("same")
ANOTHER_ORG = 2  # where "@other" actors hold their role
TOKEN_ID = 1

ROLES = [role.value for role in OrgRole]

# Actor kinds -----------------------------------------------------------------------------------
ANON = "anonymous"
VOLUNTEER = "volunteer"  # signed in, no roles anywhere
CVS_STAFF = "cvs_staff"
NODE_ADMIN = "node_admin"
TOKEN_SCOPED = "token+scope"  # an API token of the target's organisation, scoped to the action
TOKEN_UNSCOPED = "token-scope"  # the same token, scoped to every action except this one
SAME = {role: f"{role}@same" for role in ROLES}
OTHER = {role: f"{role}@other" for role in ROLES}

KINDS = [
    ANON,
    VOLUNTEER,
    *SAME.values(),
    *OTHER.values(),
    CVS_STAFF,
    NODE_ADMIN,
    TOKEN_SCOPED,
    TOKEN_UNSCOPED,
]
ALL = frozenset(KINDS)
NOBODY: frozenset[str] = frozenset()
PEOPLE = ALL - {ANON, TOKEN_SCOPED, TOKEN_UNSCOPED}  # signed in as a person
CVS = frozenset({CVS_STAFF, NODE_ADMIN})
NODE_ADMINS = frozenset({NODE_ADMIN})
ANY_ROLE_SAME = frozenset(SAME.values())
ADMIN_SAME = frozenset({SAME[OrgRole.ADMIN]})
SCOPED = frozenset({TOKEN_SCOPED})

# Targets ---------------------------------------------------------------------------------------
NONE = "none"
ORG_VERIFIED = "org:verified"
ORG_PENDING = "org:pending"
ORG_REJECTED = "org:rejected"
PROFILE_OWN = "profile:own"
PROFILE_OTHER = "profile:other"
USER_SELF = "user:self"
USER_OTHER = "user:other"
TARGETS = [
    NONE,
    ORG_VERIFIED,
    ORG_PENDING,
    ORG_REJECTED,
    PROFILE_OWN,
    PROFILE_OTHER,
    USER_SELF,
    USER_OTHER,
]
ORGS = (ORG_VERIFIED, ORG_PENDING, ORG_REJECTED)
REST = "*"  # every target not named for the action

# The specification -----------------------------------------------------------------------------
# A token holds every role in its organisation (covenant.api.auth.token_actor): it may do what
# an admin may, but only the actions in its scopes, and never what needs a person (registering,
# their own profile). The rule lets a scoped token manage tokens; api_token_create then refuses
# a token actor itself, so a leaked token cannot mint wider ones.
EXPECTED: dict[str, dict[str, frozenset[str]]] = {
    "organisation.view": {
        ORG_VERIFIED: ALL - {TOKEN_UNSCOPED},
        ORG_PENDING: ANY_ROLE_SAME | CVS | SCOPED,
        ORG_REJECTED: ANY_ROLE_SAME | CVS | SCOPED,
        REST: CVS,
    },
    "organisation.register": {REST: PEOPLE},
    "organisation.update": {
        **dict.fromkeys(ORGS, ADMIN_SAME | NODE_ADMINS | SCOPED),
        REST: NODE_ADMINS,
    },
    "organisation.verify": {REST: CVS},
    "organisation.verification_queue.view": {REST: CVS},
    "organisation.members.view": {
        **dict.fromkeys(ORGS, ADMIN_SAME | CVS | SCOPED),
        REST: CVS,
    },
    "organisation.members.manage": {
        **dict.fromkeys(ORGS, ADMIN_SAME | NODE_ADMINS | SCOPED),
        REST: NODE_ADMINS,
    },
    "organisation.tokens.manage": {
        **dict.fromkeys(ORGS, ADMIN_SAME | SCOPED),
        REST: NOBODY,
    },
    "volunteer.profile.view": {
        PROFILE_OWN: PEOPLE,
        USER_SELF: PEOPLE,
        REST: CVS,
    },
    "volunteer.profile.update": {
        PROFILE_OWN: PEOPLE,
        USER_SELF: PEOPLE,
        REST: NOBODY,
    },
    "person.data.export": {
        PROFILE_OWN: PEOPLE,
        USER_SELF: PEOPLE,
        REST: NOBODY,
    },
    "node.roles.manage": {REST: NODE_ADMINS},
    "audit.view": {REST: NODE_ADMINS},
    "places.import": {REST: NODE_ADMINS},
    "node.dashboard.view": {REST: CVS},
}


def expected_allowed(action: str, target: str) -> frozenset[str]:
    table = EXPECTED[action]
    return table.get(target, table[REST])


def make_actor(kind: str, action: str) -> Actor:
    if kind == ANON:
        return ANONYMOUS
    if kind in (TOKEN_SCOPED, TOKEN_UNSCOPED):
        scopes = {action} if kind == TOKEN_SCOPED else set(authz.actions()) - {action}
        return Actor(
            user_id=None,
            label="API token",
            org_roles={TARGET_ORG: frozenset(ROLES)},  # as covenant.api.auth.token_actor
            token_id=TOKEN_ID,
            scopes=frozenset(scopes),
        )
    if kind == VOLUNTEER:
        return Actor(user_id=ME, label="volunteer@example.org")
    if kind in (CVS_STAFF, NODE_ADMIN):
        return Actor(user_id=ME, label=f"{kind}@example.org", node_roles=frozenset({kind}))
    role, where = kind.split("@")
    organisation_id = TARGET_ORG if where == "same" else ANOTHER_ORG
    return Actor(
        user_id=ME,
        label=f"{kind}@example.org",
        org_roles={organisation_id: frozenset({role})},
    )


def make_target(target: str) -> Any:
    if target == NONE:
        return None
    if target.startswith("org:"):
        status = {
            ORG_VERIFIED: VerificationStatus.VERIFIED,
            ORG_PENDING: VerificationStatus.PENDING,
            ORG_REJECTED: VerificationStatus.REJECTED,
        }[target]
        return Organisation(pk=TARGET_ORG, name="Target", verification_status=status)
    if target == PROFILE_OWN:
        return VolunteerProfile(pk=SOMEONE_ELSE, user_id=ME)
    if target == PROFILE_OTHER:
        return VolunteerProfile(pk=ME, user_id=SOMEONE_ELSE)
    if target == USER_SELF:
        return User(pk=ME, email="me@example.org")
    if target == USER_OTHER:
        return User(pk=SOMEONE_ELSE, email="someone@example.org")
    raise AssertionError(target)


def matrix() -> Iterator[tuple[str, str, str]]:
    for action in EXPECTED:
        for target in TARGETS:
            for kind in KINDS:
                yield action, target, kind


@pytest.mark.parametrize(("action", "target", "kind"), list(matrix()))
def test_matrix(action: str, target: str, kind: str) -> None:
    actor = make_actor(kind, action)
    obj = make_target(target)
    allowed = kind in expected_allowed(action, target)
    assert authz.allows(actor, action, obj) is allowed
    if allowed:
        assert authz.require(actor, action, obj) is actor
    else:
        # Anonymous callers are asked to sign in; everyone else is told they lack the role.
        error = NotAuthenticated if kind == ANON else PermissionDenied
        with pytest.raises(error):
            authz.require(actor, action, obj)


def _rule_actions_registered_by(module: Any, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Run a rules module again against an empty registry to see exactly what it registers."""
    monkeypatch.setattr(authz, "_RULES", {})
    importlib.reload(module)
    registered = set(authz.actions())
    monkeypatch.undo()
    return registered


def test_matrix_covers_every_core_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _rule_actions_registered_by(core_rules, monkeypatch) == set(EXPECTED)


def test_every_action_in_the_matrix_is_registered() -> None:
    assert set(EXPECTED) <= set(authz.actions())


def test_every_action_names_every_target() -> None:
    for action, table in EXPECTED.items():
        assert REST in table or set(table) >= set(TARGETS), action
        assert set(table) - {REST} <= set(TARGETS), action


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("action", ["no.such.action", "organisation.delete", ""])
def test_an_action_without_a_rule_is_denied_to_everyone(kind: str, target: str, action: str):
    actor = make_actor(kind, action)
    if actor.scopes is not None:
        actor = Actor(
            user_id=None,
            label="API token",
            org_roles=actor.org_roles,
            token_id=TOKEN_ID,
            scopes=frozenset({action}),  # even a token scoped to it
        )
    everything = Actor(
        user_id=ME,
        label="holds every role",
        org_roles={TARGET_ORG: frozenset(ROLES)},
        node_roles=frozenset(NodeRoleName.values),
    )
    obj = make_target(target)
    assert not authz.allows(actor, action, obj)
    assert not authz.allows(everything, action, obj)
    with pytest.raises((NotAuthenticated, PermissionDenied)):
        authz.require(everything, action, obj)


def test_an_empty_scope_allows_nothing() -> None:
    token = Actor(
        user_id=None,
        label="API token",
        org_roles={TARGET_ORG: frozenset(ROLES)},
        token_id=TOKEN_ID,
        scopes=frozenset(),
    )
    for action in EXPECTED:
        for target in TARGETS:
            assert not authz.allows(token, action, make_target(target))


def test_a_rule_cannot_be_registered_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(authz, "_RULES", {})
    authz.rule("test.thing")(lambda actor, obj: True)
    with pytest.raises(ValueError, match="already registered"):
        authz.rule("test.thing")(lambda actor, obj: False)
    assert authz.allows(make_actor(VOLUNTEER, "test.thing"), "test.thing")


def test_scopes_for_refuses_unknown_actions() -> None:
    assert authz.scopes_for(["organisation.view"]) == frozenset({"organisation.view"})
    with pytest.raises(ValueError, match=r"no\.such\.action"):
        authz.scopes_for(["organisation.view", "no.such.action"])


# The same answers with roles loaded from the database -------------------------------------------

DB_KINDS = [VOLUNTEER, *SAME.values(), *OTHER.values(), CVS_STAFF, NODE_ADMIN]


def _person_of_kind(kind: str, target_org: Organisation, another_org: Organisation) -> User:
    user = UserFactory.create()
    if kind in (CVS_STAFF, NODE_ADMIN):
        NodeRoleFactory.create(user=user, role=kind)
    elif kind != VOLUNTEER:
        role, where = kind.split("@")
        MembershipFactory.create(
            user=user, organisation=target_org if where == "same" else another_org, role=role
        )
    return user


@pytest.fixture
def organisations() -> dict[str, Organisation]:
    another = OrganisationFactory.create()
    return {
        status: OrganisationFactory.create(
            verification_status=VerificationStatus(status.split(":")[1])
        )
        for status in ORGS
    } | {"another": another}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", DB_KINDS)
def test_matrix_with_roles_from_the_database(
    kind: str, organisations: dict[str, Organisation]
) -> None:
    for target in (*ORGS, NONE):
        target_org = organisations.get(target, organisations[ORG_VERIFIED])
        user = _person_of_kind(kind, target_org, organisations["another"])
        obj = None if target == NONE else target_org
        for action in EXPECTED:
            allowed = kind in expected_allowed(action, target)
            assert authz.allows(user, action, obj) is allowed, (action, target)


@pytest.mark.django_db
def test_own_profile_and_account_with_ids_from_the_database() -> None:
    me, someone = UserFactory.create(), UserFactory.create()
    mine = VolunteerProfile.objects.create(user=me, postcode="L36 9YU")
    theirs = VolunteerProfile.objects.create(user=someone, postcode="L36 9YU")
    for action in ("volunteer.profile.view", "volunteer.profile.update", "person.data.export"):
        assert authz.allows(me, action, mine)
        assert authz.allows(me, action, me)
        assert not authz.allows(me, action, theirs)
        assert not authz.allows(me, action, someone)


@pytest.mark.django_db
def test_actor_for_user_loads_every_role() -> None:
    user = UserFactory.create()
    first, second = OrganisationFactory.create(), OrganisationFactory.create()
    MembershipFactory.create(user=user, organisation=first, role=OrgRole.ADMIN)
    MembershipFactory.create(user=user, organisation=first, role=OrgRole.ASSESSOR)
    MembershipFactory.create(user=user, organisation=second, role=OrgRole.VERIFIER)
    NodeRoleFactory.create(user=user, role=NodeRoleName.CVS_STAFF)
    actor = authz.actor_for_user(user)
    assert actor.user_id == user.pk
    assert actor.label == user.email
    assert actor.org_roles == {
        first.pk: frozenset({"admin", "assessor"}),
        second.pk: frozenset({"verifier"}),
    }
    assert actor.node_roles == frozenset({"cvs_staff"})
    assert actor.scopes is None
    assert actor.token_id is None
    assert actor.organisations_with("admin") == {first.pk}
    assert actor.organisations_with() == {first.pk, second.pk}


@pytest.mark.django_db
def test_roles_are_cached_until_forgotten() -> None:
    user = UserFactory.create()
    organisation = OrganisationFactory.create()
    assert authz.actor_for_user(user).org_roles == {}
    MembershipFactory.create(user=user, organisation=organisation, role=OrgRole.ADMIN)
    assert authz.actor_for_user(user).org_roles == {}, "cached for the rest of the request"
    authz.forget(user)
    assert authz.actor_for_user(user).org_roles == {organisation.pk: frozenset({"admin"})}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who",
    [
        lambda: None,
        AnonymousUser,
        lambda: UserFactory.create(is_active=False),
    ],
    ids=["none", "anonymous-user", "inactive-user"],
)
def test_nobody_signed_in_is_anonymous(who: Callable[[], Any]) -> None:
    person = who()
    if isinstance(person, User):
        NodeRoleFactory.create(user=person, role=NodeRoleName.NODE_ADMIN)
    actor = authz.actor_for_user(person)
    assert actor is ANONYMOUS
    assert not actor.is_authenticated
    with pytest.raises(NotAuthenticated):
        authz.require(person, "audit.view")
