"""api_token_create and api_token_revoke: who may, what they check, what they record."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from covenant.api.auth import token_actor
from covenant.api.services import api_token_create, api_token_revoke
from covenant.core import audit, clock
from covenant.core.errors import PermissionDenied, ValidationFailed
from covenant.core.models import AuditEntry, OrgRole
from covenant.core.tests.factories import MembershipFactory, NodeRoleFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return MembershipFactory(role=OrgRole.ADMIN)


def create(admin, **overrides):
    kwargs = {
        "actor": admin.user,
        "organisation": admin.organisation,
        "name": "Rota system",
        "scopes": ["organisation.view"],
    }
    kwargs.update(overrides)
    return api_token_create(**kwargs)


def test_create_returns_the_secret_once_and_stores_only_its_hash(admin):
    token, secret = create(
        admin, name="  Rota system  ", scopes=["organisation.view", "organisation.view"]
    )
    assert secret.startswith("sc_")
    assert len(secret) > 40
    assert token.prefix == secret[:11]
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.name == "Rota system"
    assert token.scopes == ["organisation.view"]
    assert token.created_by == admin.user
    entry = AuditEntry.objects.get(action="api_token.create")
    assert entry.target_id == str(token.pk)
    assert entry.organisation_id == admin.organisation_id
    assert secret not in str(entry.detail)
    assert audit.chain_verify().ok


def test_two_tokens_never_share_a_secret(admin):
    assert create(admin)[1] != create(admin)[1]


def test_only_the_organisations_admin_may_create(admin):
    coordinator = MembershipFactory(organisation=admin.organisation, role=OrgRole.COORDINATOR)
    other_admin = MembershipFactory(role=OrgRole.ADMIN)
    cvs = NodeRoleFactory(role="node_admin")
    for actor in (coordinator.user, other_admin.user, cvs.user):
        with pytest.raises(PermissionDenied):
            create(admin, actor=actor)


def test_a_token_cannot_mint_tokens(admin):
    token, _ = create(admin, scopes=["organisation.tokens.manage"])
    with pytest.raises(PermissionDenied, match="cannot make other tokens"):
        create(admin, actor=token_actor(token), scopes=["organisation.tokens.manage"])


def test_create_reports_every_problem_at_once(admin):
    with pytest.raises(ValidationFailed) as caught:
        create(
            admin,
            name=" ",
            scopes=["volunteer.teleport"],
            expires_at=clock.now() - timedelta(days=1),
        )
    assert set(caught.value.errors) == {"name", "scopes", "expires_at"}
    assert "volunteer.teleport" in caught.value.errors["scopes"][0]


def test_create_needs_a_scope(admin):
    with pytest.raises(ValidationFailed) as caught:
        create(admin, scopes=[])
    assert caught.value.errors == {"scopes": ["Choose at least one thing the token may do."]}


def test_revoke_is_recorded_once(admin):
    token, _ = create(admin)
    revoked = api_token_revoke(actor=admin.user, token=token)
    assert revoked.revoked_at is not None
    assert revoked.revoked_by == admin.user
    again = api_token_revoke(actor=admin.user, token=token)
    assert again.revoked_at == revoked.revoked_at
    assert AuditEntry.objects.filter(action="api_token.revoke").count() == 1


def test_another_organisations_admin_cannot_revoke(admin):
    token, _ = create(admin)
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=MembershipFactory(role=OrgRole.ADMIN).user, token=token)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_actor_holds_every_role_but_only_its_scopes(admin):
    token, _ = create(admin, scopes=["organisation.view", "organisation.update"])
    actor = token_actor(token)
    assert actor.user_id is None
    assert actor.token_id == token.pk
    assert actor.org_roles == {admin.organisation_id: frozenset(OrgRole.values)}
    assert actor.scopes == frozenset({"organisation.view", "organisation.update"})
    from covenant.core import authz

    assert authz.allows(actor, "organisation.update", admin.organisation)
    assert not authz.allows(actor, "organisation.members.manage", admin.organisation)
    assert not authz.allows(actor, "organisation.update", OrganisationFactory())
