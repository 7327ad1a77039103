"""The organisation endpoints, each with the people it serves and the people it refuses."""

from __future__ import annotations

import json

import pytest

from covenant.core.models import (
    AuditEntry,
    Membership,
    Organisation,
    OrganisationKind,
    OrgRole,
    VerificationStatus,
)
from covenant.core.tests.factories import (
    LocalAuthorityFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)

from .factories import assert_problem, bearer, make_token, with_mfa

pytestmark = pytest.mark.django_db

ORGS = "/api/v1/organisations"


def send(client, method, path, data, **extra):
    return getattr(client, method)(path, json.dumps(data), content_type="application/json", **extra)


# GET /organisations -----------------------------------------------------------------------


def test_directory_is_public_and_filters_by_kind_area_and_words(client):
    knowsley = LocalAuthorityFactory()
    OrganisationFactory(
        name="Huyton Foodbank",
        kind=OrganisationKind.CHARITY,
        local_authority=knowsley,
        description="Food parcels",
    )
    OrganisationFactory(
        name="Kirkby Chapel", kind=OrganisationKind.FAITH_GROUP, local_authority=knowsley
    )
    OrganisationFactory(name="Elsewhere Group", kind=OrganisationKind.CHARITY)

    def names(**query):
        response = client.get(ORGS, query)
        assert response.status_code == 200
        return [o["name"] for o in response.json()["results"]]

    assert names() == ["Elsewhere Group", "Huyton Foodbank", "Kirkby Chapel"]
    assert names(kind="charity") == ["Elsewhere Group", "Huyton Foodbank"]
    assert names(local_authority="e08000011") == ["Huyton Foodbank", "Kirkby Chapel"]
    assert names(kind="charity", local_authority="E08000011") == ["Huyton Foodbank"]
    assert names(q="parcels") == ["Huyton Foodbank"]


def test_directory_entries_have_the_public_shape(client):
    organisation = OrganisationFactory(
        name="Huyton Foodbank", local_authority=LocalAuthorityFactory(), verification_note="ok"
    )
    entry = client.get(ORGS).json()["results"][0]
    assert entry["id"] == organisation.pk
    assert entry["local_authority"] == {"code": "E08000011", "name": "Knowsley"}
    assert entry["verification_status"] == "verified"
    assert entry["verification_note"] is None  # only its administrators and the CVS see it


# GET /organisations/{id} ------------------------------------------------------------------


def test_a_verified_organisation_is_public(client):
    organisation = OrganisationFactory(name="Huyton Foodbank")
    response = client.get(f"{ORGS}/{organisation.pk}")
    assert response.status_code == 200
    assert response.json()["name"] == "Huyton Foodbank"


def test_a_pending_organisation_is_seen_by_its_admin_with_the_note(client, admin_membership):
    organisation = admin_membership.organisation
    Organisation.objects.filter(pk=organisation.pk).update(
        verification_status=VerificationStatus.REJECTED, verification_note="Charity number wrong"
    )
    body = client.get(f"{ORGS}/{organisation.pk}").json()
    assert body["verification_status"] == "rejected"
    assert body["verification_note"] == "Charity number wrong"


def test_a_pending_organisation_is_hidden_from_others(client, person):
    pending = OrganisationFactory(verification_status=VerificationStatus.PENDING)
    assert_problem(client.get(f"{ORGS}/{pending.pk}"), 404, "not_found")


def test_a_token_needs_the_view_scope_to_read_one(client):
    organisation = OrganisationFactory()
    _, without = make_token(organisation, scopes=["organisation.update"])
    _, with_scope = make_token(organisation, scopes=["organisation.view"])
    assert_problem(client.get(f"{ORGS}/{organisation.pk}", **bearer(without)), 403, "forbidden")
    assert client.get(f"{ORGS}/{organisation.pk}", **bearer(with_scope)).status_code == 200


# POST /organisations ----------------------------------------------------------------------


def test_a_person_registers_an_organisation_and_becomes_its_admin(client, person):
    LocalAuthorityFactory()
    response = send(
        client,
        "post",
        ORGS,
        {
            "name": "Huyton Foodbank",
            "kind": "charity",
            "charity_number": "1123456",
            "email": "hello@huytonfood.org.uk",
            "website": "https://huytonfood.org.uk",
            "local_authority": "E08000011",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["verification_status"] == "pending"
    assert body["charity_number"] == "1123456"
    assert body["local_authority"]["code"] == "E08000011"
    organisation = Organisation.objects.get(pk=body["id"])
    assert Membership.objects.filter(
        user=person, organisation=organisation, role=OrgRole.ADMIN
    ).exists()
    assert AuditEntry.objects.filter(
        action="organisation.register", target_id=str(organisation.pk)
    ).exists()


def test_registering_with_an_unknown_area_is_a_422_on_that_field(client, person):
    response = send(
        client,
        "post",
        ORGS,
        {"name": "X", "kind": "community_group", "local_authority": "E99999999"},
    )
    body = assert_problem(response, 422, "invalid")
    assert body["errors"][0]["field"] == "local_authority"


def test_registering_needs_a_sign_in(client):
    assert_problem(
        send(client, "post", ORGS, {"name": "X", "kind": "community_group"}),
        401,
        "not_authenticated",
    )


# PATCH /organisations/{id} ----------------------------------------------------------------


def test_an_admin_changes_their_organisations_details(client, admin_membership):
    organisation = admin_membership.organisation
    response = send(
        client, "patch", f"{ORGS}/{organisation.pk}", {"town": "Huyton", "phone": "0151 000 0000"}
    )
    assert response.status_code == 200
    organisation.refresh_from_db()
    assert (organisation.town, organisation.phone) == ("Huyton", "0151 000 0000")
    assert organisation.verification_status == VerificationStatus.VERIFIED
    entry = AuditEntry.objects.get(action="organisation.update")
    assert entry.detail["fields"] == ["phone", "town"]


def test_changing_the_kind_sends_it_back_for_verification(client, admin_membership):
    organisation = admin_membership.organisation
    response = send(client, "patch", f"{ORGS}/{organisation.pk}", {"kind": "faith_group"})
    assert response.status_code == 200
    assert response.json()["verification_status"] == "pending"


def test_another_organisations_admin_cannot_patch(client, admin_membership):
    other = OrganisationFactory(name="Not Yours")
    response = send(client, "patch", f"{ORGS}/{other.pk}", {"name": "Mine Now"})
    assert_problem(response, 403, "forbidden")
    other.refresh_from_db()
    assert other.name == "Not Yours"


def test_a_coordinator_cannot_patch(client):
    membership = MembershipFactory(role=OrgRole.COORDINATOR)
    client.force_login(with_mfa(membership.user))
    response = send(client, "patch", f"{ORGS}/{membership.organisation_id}", {"name": "Renamed"})
    assert_problem(response, 403, "forbidden")


def test_null_for_a_field_that_cannot_be_empty_is_a_422(client, admin_membership):
    response = send(client, "patch", f"{ORGS}/{admin_membership.organisation_id}", {"name": None})
    body = assert_problem(response, 422, "invalid")
    assert body["errors"][0]["field"] == "name"


def test_an_empty_patch_changes_nothing(client, admin_membership):
    response = send(client, "patch", f"{ORGS}/{admin_membership.organisation_id}", {})
    assert response.status_code == 200
    assert not AuditEntry.objects.filter(action="organisation.update").exists()


def test_local_authority_null_clears_it(client, admin_membership):
    organisation = admin_membership.organisation
    organisation.local_authority = LocalAuthorityFactory()
    organisation.save()
    response = send(client, "patch", f"{ORGS}/{organisation.pk}", {"local_authority": None})
    assert response.status_code == 200
    assert response.json()["local_authority"] is None


# POST /organisations/{id}/verification ------------------------------------------------------


def test_the_cvs_verifies_an_organisation(client, cvs_staff):
    pending = OrganisationFactory(verification_status=VerificationStatus.PENDING, is_member=False)
    response = send(
        client, "post", f"{ORGS}/{pending.pk}/verification", {"verified": True, "is_member": True}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["verification_status"] == "verified"
    assert body["is_member"] is True
    assert body["verified_at"] is not None


def test_not_verifying_needs_a_reason(client, cvs_staff):
    pending = OrganisationFactory(verification_status=VerificationStatus.PENDING)
    response = send(client, "post", f"{ORGS}/{pending.pk}/verification", {"verified": False})
    body = assert_problem(response, 422, "invalid")
    assert body["errors"][0]["field"] == "note"
    response = send(
        client,
        "post",
        f"{ORGS}/{pending.pk}/verification",
        {"verified": False, "note": "No such charity"},
    )
    assert response.json()["verification_note"] == "No such charity"


def test_an_organisation_admin_cannot_verify_their_own(client, admin_membership):
    organisation = admin_membership.organisation
    response = send(client, "post", f"{ORGS}/{organisation.pk}/verification", {"verified": True})
    assert_problem(response, 403, "forbidden")


def test_a_token_cannot_verify_even_with_the_scope(client):
    organisation = OrganisationFactory(verification_status=VerificationStatus.PENDING)
    _, secret = make_token(organisation, scopes=["organisation.verify"])
    response = send(
        client,
        "post",
        f"{ORGS}/{organisation.pk}/verification",
        {"verified": True},
        **bearer(secret),
    )
    assert_problem(response, 403, "forbidden")


# POST /organisations/{id}/memberships -------------------------------------------------------


def test_an_admin_gives_a_colleague_a_role(client, admin_membership):
    colleague = UserFactory(email="sam@example.org")
    organisation = admin_membership.organisation
    response = send(
        client,
        "post",
        f"{ORGS}/{organisation.pk}/memberships",
        {"email": "SAM@example.org", "role": "coordinator"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == "sam@example.org"
    assert body["role"] == "coordinator"
    assert body["organisation_id"] == organisation.pk
    assert Membership.objects.filter(
        user=colleague, organisation=organisation, role="coordinator"
    ).exists()


def test_granting_to_someone_without_an_account_is_a_404_on_email(client, admin_membership):
    response = send(
        client,
        "post",
        f"{ORGS}/{admin_membership.organisation_id}/memberships",
        {"email": "nobody@example.org", "role": "admin"},
    )
    body = assert_problem(response, 404, "not_found")
    assert body["errors"][0]["field"] == "email"


def test_granting_a_role_twice_is_a_409(client, admin_membership):
    organisation = admin_membership.organisation
    path = f"{ORGS}/{organisation.pk}/memberships"
    data = {"email": admin_membership.user.email, "role": "admin"}
    assert_problem(send(client, "post", path, data), 409, "conflict")


def test_an_unknown_role_is_a_422(client, admin_membership):
    path = f"{ORGS}/{admin_membership.organisation_id}/memberships"
    body = assert_problem(
        send(client, "post", path, {"email": "a@example.org", "role": "king"}), 422, "invalid"
    )
    assert body["errors"][0]["field"] == "role"


def test_another_organisations_admin_cannot_grant_roles(client, admin_membership):
    other = OrganisationFactory()
    colleague = UserFactory()
    response = send(
        client,
        "post",
        f"{ORGS}/{other.pk}/memberships",
        {"email": colleague.email, "role": "admin"},
    )
    assert_problem(response, 403, "forbidden")
    assert not Membership.objects.filter(user=colleague).exists()
