from __future__ import annotations

import pytest
from django.test import Client

from covenant.core.models import OrgRole
from covenant.core.tests.factories import MembershipFactory, NodeRoleFactory, UserFactory

from .factories import with_mfa


@pytest.fixture
def person(client: Client):
    """Signed in, no roles yet: may register organisations. Has a second factor, because
    registering makes them an administrator, a role that needs one."""
    user = with_mfa(UserFactory())
    client.force_login(user)
    return user


@pytest.fixture
def admin_membership(client: Client):
    """Signed in as the administrator of a verified organisation."""
    membership = MembershipFactory(role=OrgRole.ADMIN)
    with_mfa(membership.user)
    client.force_login(membership.user)
    return membership


@pytest.fixture
def cvs_staff(client: Client):
    user = with_mfa(NodeRoleFactory(role="cvs_staff").user)
    client.force_login(user)
    return user
