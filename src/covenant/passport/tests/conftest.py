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


# --- issuing ---------------------------------------------------------------------------------


def days_ago(days: int) -> str:
    """An ISO date `days` before today (by the project's clock, so time-machine moves it)."""
    from datetime import timedelta

    from covenant.core import clock

    return (clock.today() - timedelta(days=days)).isoformat()


def dbs_claims(**overrides: object) -> dict[str, object]:
    """An enhanced DBS check, clear, done two months ago."""
    claims: dict[str, object] = {
        "level": "enhanced",
        "workforce": "adult",
        "barred_lists_checked": ["adults"],
        "outcome": "clear",
        "certificate_number": "001234567890",
        "issue_date": days_ago(60),
        "update_service_subscribed": True,
    }
    claims.update(overrides)
    return claims


def reference_claims(**overrides: object) -> dict[str, object]:
    claims: dict[str, object] = {
        "relationship": "employer",
        "years_known": 4,
        "received_on": days_ago(10),
    }
    claims.update(overrides)
    return claims


@pytest.fixture
def cvs_key(cvs: Organisation) -> object:
    from covenant.passport.services import issuer_key_rotate

    return issuer_key_rotate(actor=None, organisation=cvs)


@pytest.fixture
def charity_key(charity: Organisation) -> object:
    from covenant.passport.services import issuer_key_rotate

    return issuer_key_rotate(actor=None, organisation=charity)


@pytest.fixture
def cvs_verifier(cvs: Organisation, cvs_key: object) -> User:
    return member(cvs, OrgRole.VERIFIER)


@pytest.fixture
def charity_verifier(charity: Organisation, charity_key: object) -> User:
    return member(charity, OrgRole.VERIFIER)


@pytest.fixture
def volunteer(db: None) -> User:
    from covenant.core.tests.factories import VolunteerProfileFactory

    return VolunteerProfileFactory.create(
        user__email="val@example.org", user__full_name="Val Unteer"
    ).user
