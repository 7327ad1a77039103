"""Fixtures for passport tests: the built-in types, organisations in each position, people in
each role."""

from __future__ import annotations

import pytest

from covenant.core.models import NodeRoleName, Organisation, OrganisationKind, OrgRole, User
from covenant.core.tests.factories import (
    MembershipFactory,
    NodeRoleFactory,
    OrganisationFactory,
    UserFactory,
)
from covenant.passport.models import CredentialType
from covenant.passport.registry import DBS_CHECK_VCT
from covenant.passport.services import credential_types_builtin_sync


@pytest.fixture
def builtin_types(db: None) -> dict[str, CredentialType]:
    """The built-in types by slug. Migration 0002 seeds them; syncing again is a no-op, and
    brings them back after a transactional test elsewhere flushed the tables."""
    credential_types_builtin_sync()
    return {t.slug: t for t in CredentialType.objects.filter(built_in=True)}


@pytest.fixture
def dbs_type(builtin_types: dict[str, CredentialType]) -> CredentialType:
    return CredentialType.objects.get(vct=DBS_CHECK_VCT)


@pytest.fixture
def cvs(db: None) -> Organisation:
    """The CVS that runs the node."""
    return OrganisationFactory.create(
        name="Knowsley CVS", kind=OrganisationKind.CHARITY, runs_node=True
    )


@pytest.fixture
def charity(db: None) -> Organisation:
    return OrganisationFactory.create(name="Halewood Food Bank")


@pytest.fixture
def node_admin(db: None) -> User:
    user = UserFactory.create(email="admin@cvs.example.org")
    NodeRoleFactory.create(user=user, role=NodeRoleName.NODE_ADMIN)
    return user


@pytest.fixture
def cvs_staff(db: None) -> User:
    user = UserFactory.create(email="staff@cvs.example.org")
    NodeRoleFactory.create(user=user, role=NodeRoleName.CVS_STAFF)
    return user


def member(organisation: Organisation, role: str = OrgRole.ADMIN) -> User:
    return MembershipFactory.create(organisation=organisation, role=role).user
