"""Core pages through the Django test client: each journey, its errors, and its denials."""

from __future__ import annotations

import json

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from covenant.core.models import (
    AuditEntry,
    Membership,
    Organisation,
    OrgRole,
    VerificationStatus,
    VolunteerProfile,
)
from covenant.core.tests.factories import (
    LocalAuthorityFactory,
    MembershipFactory,
    NodeRoleFactory,
    OrganisationFactory,
    UserFactory,
    VolunteerProfileFactory,
)

pytestmark = pytest.mark.django_db


def with_mfa(user):
    """Staff roles need a second factor (test settings enforce it, like production)."""
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


@pytest.fixture
def cvs_client(client):
    staff = with_mfa(NodeRoleFactory(role="cvs_staff").user)
    client.force_login(staff)
    return client


@pytest.fixture
def org_admin(client):
    membership = MembershipFactory(role=OrgRole.ADMIN)
    with_mfa(membership.user)
    client.force_login(membership.user)
    return membership


def test_home_is_public(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Sign up to volunteer" in response.content


def test_dashboard_needs_sign_in(client):
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_volunteer_dashboard_shows_their_details(client):
    profile = VolunteerProfileFactory(user__full_name="Sam Example")
    client.force_login(profile.user)
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 200
    assert b"Sam Example" in response.content
    assert b"L36 9YU" in response.content
    assert b"The local picture" not in response.content


def test_cvs_dashboard_shows_the_local_picture(cvs_client):
    OrganisationFactory(verification_status=VerificationStatus.PENDING)
    response = cvs_client.get(reverse("core:dashboard"))
    assert response.status_code == 200
    assert b"The local picture" in response.content
    assert b"1 organisation waiting for a check" in response.content


def test_staff_without_second_factor_is_sent_to_set_one_up(client):
    staff = NodeRoleFactory(role="cvs_staff").user
    client.force_login(staff)
    response = client.get(reverse("core:verification_queue"))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:mfa_required")


def test_volunteer_without_roles_needs_no_second_factor(client):
    profile = VolunteerProfileFactory()
    client.force_login(profile.user)
    assert client.get(reverse("core:dashboard")).status_code == 200


def test_register_organisation(client):
    LocalAuthorityFactory()
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("core:organisation_register"),
        {"name": "Huyton Pantry", "kind": "charity", "charity_number": "1123456-1"},
    )
    organisation = Organisation.objects.get(name="Huyton Pantry")
    assert response.status_code == 302
    assert response["Location"] == reverse("core:organisation_detail", args=[organisation.pk])
    assert organisation.charity_number == "1123456"
    assert organisation.verification_status == VerificationStatus.PENDING
    assert Membership.objects.filter(user=user, organisation=organisation, role="admin").exists()
    assert AuditEntry.objects.filter(action="organisation.register").count() == 1


def test_register_organisation_errors_show_beside_fields_and_nothing_is_saved(client):
    client.force_login(UserFactory())
    response = client.post(
        reverse("core:organisation_register"),
        {"name": "Huyton Pantry", "kind": "charity", "charity_number": "12AB", "postcode": "nope"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "is not a registered charity number" in html
    assert "is not a UK postcode" in html
    assert "govuk-error-summary" in html
    assert Organisation.objects.count() == 0


def test_unverified_organisation_is_hidden_from_strangers(client):
    organisation = OrganisationFactory(verification_status=VerificationStatus.PENDING)
    client.force_login(UserFactory())
    response = client.get(reverse("core:organisation_detail", args=[organisation.pk]))
    assert response.status_code == 404


def test_admin_of_another_organisation_cannot_edit(client, org_admin):
    other = OrganisationFactory()
    response = client.get(reverse("core:organisation_edit", args=[other.pk]))
    assert response.status_code == 403
    response = client.post(
        reverse("core:organisation_edit", args=[other.pk]), {"name": "Taken", "kind": "charity"}
    )
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.name != "Taken"


def test_admin_edits_own_organisation(client, org_admin):
    organisation = org_admin.organisation
    response = client.post(
        reverse("core:organisation_edit", args=[organisation.pk]),
        {"name": "Renamed Group", "kind": organisation.kind},
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.name == "Renamed Group"


def test_verification_queue_is_for_cvs_only(client, org_admin):
    response = client.get(reverse("core:verification_queue"))
    assert response.status_code == 403


def test_verification_queue_lists_oldest_first(cvs_client):
    first = OrganisationFactory(name="First In", verification_status=VerificationStatus.PENDING)
    OrganisationFactory(name="Second In", verification_status=VerificationStatus.PENDING)
    OrganisationFactory(name="Already Done")
    response = cvs_client.get(reverse("core:verification_queue"))
    html = response.content.decode()
    assert html.index("First In") < html.index("Second In")
    assert "Already Done" not in html
    assert reverse("core:verification_review", args=[first.pk]) in html


def test_rejection_needs_a_reason(cvs_client):
    organisation = OrganisationFactory(verification_status=VerificationStatus.PENDING)
    url = reverse("core:verification_review", args=[organisation.pk])
    response = cvs_client.post(url, {"decision": "rejected", "note": ""})
    assert response.status_code == 200
    assert "Give the reason" in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.verification_status == VerificationStatus.PENDING


def test_cvs_verifies_an_organisation(cvs_client):
    organisation = OrganisationFactory(
        verification_status=VerificationStatus.PENDING, is_member=False
    )
    url = reverse("core:verification_review", args=[organisation.pk])
    response = cvs_client.post(url, {"decision": "verified", "is_member": "on"})
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.verification_status == VerificationStatus.VERIFIED
    assert organisation.is_member is True


def test_members_page_grants_and_refuses_removing_last_admin(client, org_admin):
    organisation = org_admin.organisation
    colleague = UserFactory(email="colleague@example.org")
    url = reverse("core:organisation_members", args=[organisation.pk])
    response = client.post(url, {"email": "colleague@example.org", "role": "coordinator"})
    assert response.status_code == 302
    assert Membership.objects.filter(user=colleague, role="coordinator").exists()

    remove = reverse("core:membership_remove", args=[organisation.pk, org_admin.pk])
    response = client.post(remove, follow=True)
    assert "only administrator" in response.content.decode()
    assert Membership.objects.filter(pk=org_admin.pk).exists()


def test_members_page_unknown_email_shows_beside_field(client, org_admin):
    url = reverse("core:organisation_members", args=[org_admin.organisation.pk])
    response = client.post(url, {"email": "nobody@example.org", "role": "coordinator"})
    assert response.status_code == 200
    assert "Nobody has an account with that e-mail address" in response.content.decode()


def test_profile_bad_postcode(client):
    profile = VolunteerProfileFactory()
    client.force_login(profile.user)
    response = client.post(reverse("core:profile"), {"full_name": "A Person", "postcode": "ZZZ"})
    assert response.status_code == 200
    assert "is not a UK postcode" in response.content.decode()
    profile.refresh_from_db()
    assert profile.postcode == "L36 9YU"


def test_profile_created_for_account_without_one(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("core:profile"),
        {"full_name": "New Volunteer", "postcode": "l369yu", "contact_channels": ["sms"]},
    )
    assert response.status_code == 302
    profile = VolunteerProfile.objects.get(user=user)
    assert profile.postcode == "L36 9YU"
    assert profile.contact_channels == ["sms"]


def test_my_data_download(client):
    profile = VolunteerProfileFactory(user__email="me@example.org")
    client.force_login(profile.user)
    response = client.get(reverse("core:my_data"))
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["account"]["email"] == "me@example.org"
    assert data["volunteer_profile"]["postcode"] == "L36 9YU"
    assert AuditEntry.objects.filter(action="person.data.export").count() == 1


def test_directory_lists_only_verified(client):
    OrganisationFactory(name="Visible Group")
    OrganisationFactory(name="Hidden Group", verification_status=VerificationStatus.PENDING)
    response = client.get(reverse("core:organisation_directory"), {"q": "group"})
    html = response.content.decode()
    assert "Visible Group" in html
    assert "Hidden Group" not in html


def test_directory_ignores_unknown_kind(client):
    OrganisationFactory(name="Visible Group")
    response = client.get(reverse("core:organisation_directory"), {"kind": "<script>"})
    assert response.status_code == 200
    assert "Visible Group" in response.content.decode()


def test_admin_site_is_for_node_admins(client):
    staff = with_mfa(NodeRoleFactory(role="cvs_staff").user)
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    assert client.get("/admin/").status_code == 302  # to the admin login: not allowed in
    admin_user = UserFactory()
    from covenant.core.services import node_admin_bootstrap

    node_admin_bootstrap(user=admin_user)
    with_mfa(admin_user)
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/core/auditentry/").status_code == 200


def test_verification_decision_is_emailed_to_the_admins(
    cvs_client, mailoutbox, django_capture_on_commit_callbacks
):
    membership = MembershipFactory(
        role=OrgRole.ADMIN,
        user__email="boss@example.org",
        organisation__verification_status=VerificationStatus.PENDING,
    )
    url = reverse("core:verification_review", args=[membership.organisation.pk])
    with django_capture_on_commit_callbacks(execute=True):
        cvs_client.post(url, {"decision": "rejected", "note": "Wrong charity number"})
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["boss@example.org"]
    assert "Wrong charity number" in mailoutbox[0].body


def test_organisation_page_links_admin_to_api_tokens(client, org_admin):
    response = client.get(reverse("core:organisation_detail", args=[org_admin.organisation.pk]))
    tokens_url = reverse("api:tokens", args=[org_admin.organisation.pk])
    assert tokens_url in response.content.decode()
    assert client.get(tokens_url).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/organisations/99999999999999999999999/",
        "/organisations/99999999999999999999999/members/",
        "/cvs/verification/99999999999999999999999/",
        "/organisations/?page=999999999999999999999999&kind=x",
        "/organisations/?q=%00%ff",
        "/organisations/?page=-1",
    ],
)
def test_odd_addresses_never_give_a_server_error(client, path):
    client.force_login(with_mfa(NodeRoleFactory(role="cvs_staff").user))
    assert client.get(path).status_code in (200, 404)


def test_directory_search_answers_htmx_with_just_the_results(client):
    OrganisationFactory(name="Visible Group")
    response = client.get(
        reverse("core:organisation_directory"), {"q": "visible"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "Visible Group" in html
    assert "<html" not in html
    assert "hx-swap-oob" in html
    assert "1 organisation<" in html


def test_my_data_includes_every_app_section(client):
    from covenant.core.personal_data import sections

    profile = VolunteerProfileFactory()
    client.force_login(profile.user)
    data = json.loads(client.get(reverse("core:my_data")).content)
    assert set(sections()) <= set(data)
    assert data["passport"]["credentials_held"] == []


def test_public_status_lists_are_not_behind_the_second_factor_page(client):
    staff = NodeRoleFactory(role="cvs_staff").user
    client.force_login(staff)
    response = client.get("/status-lists/no-such-list")
    assert response.status_code == 404
