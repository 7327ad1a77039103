"""The demo node: believable, on real places, and safe to run twice."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from covenant.core import audit, authz
from covenant.core.demo import DEMO_PASSWORD
from covenant.core.models import (
    Organisation,
    OrganisationKind,
    User,
    VerificationStatus,
    VolunteerProfile,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(capsys):
    call_command("demo", "--places", "area", "--volunteers", "120")
    return capsys.readouterr()


def test_demo_builds_a_node_with_every_kind_of_organisation(demo):
    assert "Demo accounts (password for all: covenant-demo-2026)" in demo.out
    kinds = set(Organisation.objects.values_list("kind", flat=True))
    assert kinds == set(OrganisationKind.values)
    assert 55 <= Organisation.objects.count() <= 70
    assert Organisation.objects.filter(runs_node=True).count() == 1
    assert Organisation.objects.filter(verification_status=VerificationStatus.PENDING).count() == 6
    rejected = Organisation.objects.get(verification_status=VerificationStatus.REJECTED)
    assert rejected.verification_note


def test_demo_volunteers_live_in_real_places_of_the_borough(demo):
    profiles = VolunteerProfile.objects.select_related("lsoa")
    assert profiles.count() == 121  # 120 and the named demo volunteer
    assert {p.lsoa.local_authority_id for p in profiles} == {"E08000011"}
    assert all(p.lsoa.imd_decile for p in profiles)


def test_demo_accounts_sign_in_with_their_roles(demo):
    staff = User.objects.get(email="cvs@example.org")
    assert staff.check_password(DEMO_PASSWORD)
    assert authz.actor_for_user(staff).has_node_role("cvs_staff")
    node_admin = User.objects.get(email="nodeadmin@example.org")
    assert authz.actor_for_user(node_admin).has_node_role("node_admin")
    assert node_admin.is_staff
    transport = authz.actor_for_user(User.objects.get(email="transport@example.org"))
    (roles,) = transport.org_roles.values()
    assert roles == {"admin", "coordinator"}
    volunteer = User.objects.get(email="volunteer00001@example.org")
    assert volunteer.check_password(DEMO_PASSWORD)


def test_demo_leaves_an_intact_audit_log_and_sends_no_mail(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("demo", "--places", "area", "--volunteers", "10")
    assert callbacks == []  # no verification e-mails queued
    assert mailoutbox == []
    assert audit.chain_verify().ok


def test_demo_runs_once(demo, capsys):
    count = Organisation.objects.count()
    call_command("demo", "--if-empty", "--places", "area")
    assert "demo not loaded again" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already has organisations"):
        call_command("demo", "--places", "area")
    assert Organisation.objects.count() == count


def test_demo_refuses_an_unknown_area():
    with pytest.raises(CommandError):
        call_command("demo", "--places", "area", "--la", "E99999999")
    assert Organisation.objects.count() == 0
