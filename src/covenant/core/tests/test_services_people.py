"""Services for people: signing up as a volunteer, changing the profile, exporting their data.

Placing a volunteer depends on what the node has imported, so each test creates exactly the
Postcode / PostcodeDistrict rows it needs: a full postcode with its LSOA, a district only, or
nothing at all.
"""

from __future__ import annotations

import pytest

from covenant.core import audit, services
from covenant.core.errors import Conflict, NotAuthenticated, PermissionDenied, ValidationFailed
from covenant.core.models import (
    AuditEntry,
    ContactChannel,
    NodeRoleName,
    OrgRole,
    User,
    VolunteerProfile,
)
from covenant.core.tests.factories import (
    LSOAFactory,
    MembershipFactory,
    NodeRoleFactory,
    PostcodeDistrictFactory,
    PostcodeFactory,
    UserFactory,
    VolunteerProfileFactory,
)

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, object]:
    return {
        "profiles": list(
            VolunteerProfile.objects.order_by("pk").values_list(
                "pk",
                "user_id",
                "postcode",
                "postcode_district",
                "lsoa_id",
                "phone",
                "contact_channels",
            )
        ),
        "users": list(
            User.objects.order_by("pk").values_list("pk", "email", "full_name", "preferred_name")
        ),
        "audit": AuditEntry.objects.count(),
    }


def last_entry() -> AuditEntry:
    return AuditEntry.objects.order_by("-seq").first()


# volunteer_register ----------------------------------------------------------------------------


def test_register_places_a_known_postcode_in_its_neighbourhood():
    row = PostcodeFactory(postcode="L36 9YU")
    user = UserFactory(full_name="")
    profile = services.volunteer_register(
        user=user,
        postcode="l36 9yu",
        full_name="  Samira Khan ",
        preferred_name=" Sam ",
        phone=" 0151 000 0000 ",
        contact_channels=["sms", "email", "sms"],
    )
    profile.refresh_from_db()
    assert profile.postcode == "L36 9YU"
    assert profile.postcode_district == "L36"
    assert profile.lsoa_id == row.lsoa_id
    assert profile.phone == "0151 000 0000"
    assert profile.contact_channels == ["sms", "email"]
    user.refresh_from_db()
    assert (user.full_name, user.preferred_name) == ("Samira Khan", "Sam")
    entry = last_entry()
    assert entry.action == "volunteer.register"
    assert entry.actor_id == user.pk
    assert (entry.target_type, entry.target_id) == ("core.volunteerprofile", str(profile.pk))
    assert audit.chain_verify().ok


def test_register_with_only_the_district_known_places_by_district():
    PostcodeDistrictFactory(code="L36")
    profile = services.volunteer_register(user=UserFactory(), postcode="L36 2AB")
    assert (profile.postcode, profile.postcode_district, profile.lsoa) == ("L36 2AB", "L36", None)


def test_register_a_postcode_the_node_knows_without_an_lsoa_places_by_district():
    PostcodeFactory(postcode="L36 9YU", lsoa=None)
    profile = services.volunteer_register(user=UserFactory(), postcode="L369YU")
    assert (profile.postcode_district, profile.lsoa) == ("L36", None)


def test_register_on_a_node_without_postcode_data_keeps_the_district():
    profile = services.volunteer_register(user=UserFactory(), postcode="sw1a1aa")
    assert (profile.postcode, profile.postcode_district, profile.lsoa) == ("SW1A 1AA", "SW1A", None)


def test_register_another_postcode_in_a_known_district_is_not_given_its_neighbours_lsoa():
    PostcodeFactory(postcode="L36 9YU")
    profile = services.volunteer_register(user=UserFactory(), postcode="L36 2AB")
    assert profile.lsoa is None
    assert profile.postcode_district == "L36"


@pytest.mark.parametrize("postcode", ["L36", "not a postcode", "Q1 1AA", "L36 9YC"])
def test_register_bad_postcode_writes_nothing(postcode):
    user = UserFactory(full_name="Before")
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.volunteer_register(user=user, postcode=postcode, full_name="After")
    assert set(caught.value.errors) == {"postcode"}
    assert "L36 9YU" in caught.value.errors["postcode"][0]
    assert snapshot() == before


def test_register_without_a_postcode_asks_for_one():
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.volunteer_register(user=UserFactory(), postcode="   ")
    assert caught.value.errors == {"postcode": ["Enter your postcode, like L36 9YU."]}
    assert snapshot()["profiles"] == before["profiles"]


def test_register_reports_postcode_and_contact_problems_together():
    with pytest.raises(ValidationFailed) as caught:
        services.volunteer_register(
            user=UserFactory(), postcode="nowhere", contact_channels=["pigeon"]
        )
    assert set(caught.value.errors) == {"postcode", "contact_channels"}


def test_register_twice_is_a_conflict():
    profile = VolunteerProfileFactory()
    before = snapshot()
    with pytest.raises(Conflict):
        services.volunteer_register(user=profile.user, postcode="M1 1AE", full_name="Changed")
    assert snapshot() == before


def test_register_with_a_known_lsoa_code():
    lsoa = LSOAFactory()
    profile = services.volunteer_register(user=UserFactory(), postcode="", lsoa_code=lsoa.code)
    assert profile.lsoa_id == lsoa.code
    assert profile.postcode == ""


def test_register_with_an_unknown_lsoa_code_writes_nothing():
    user = UserFactory(full_name="Before")
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.volunteer_register(
            user=user, postcode="L36 9YU", lsoa_code="E01999999", full_name="After"
        )
    assert set(caught.value.errors) == {"lsoa"}
    assert snapshot() == before


# volunteer_profile_update ----------------------------------------------------------------------


@pytest.fixture
def profile() -> VolunteerProfile:
    return VolunteerProfileFactory(
        user__full_name="Sam Example", phone="0151 000 0000", contact_channels=["email"]
    )


def test_update_own_profile(profile):
    row = PostcodeFactory(postcode="B33 8TH")
    updated = services.volunteer_profile_update(
        actor=profile.user,
        profile=profile,
        postcode="b338th",
        phone=" 07700 900000 ",
        contact_channels=["phone", "post"],
        full_name=" Sam Other ",
        preferred_name="Sammy",
    )
    updated.refresh_from_db()
    assert (updated.postcode, updated.postcode_district) == ("B33 8TH", "B33")
    assert updated.lsoa_id == row.lsoa_id
    assert updated.phone == "07700 900000"
    assert updated.contact_channels == ["phone", "post"]
    updated.user.refresh_from_db()
    assert (updated.user.full_name, updated.user.preferred_name) == ("Sam Other", "Sammy")
    entry = last_entry()
    assert entry.action == "volunteer.profile.update"
    assert entry.actor_id == profile.user_id


def test_moving_to_a_postcode_the_node_does_not_know_clears_the_neighbourhood(profile):
    profile.lsoa = LSOAFactory()
    profile.save()
    services.volunteer_profile_update(actor=profile.user, profile=profile, postcode="CR2 6XH")
    profile.refresh_from_db()
    assert (profile.postcode_district, profile.lsoa) == ("CR2", None)


def test_update_leaves_out_what_is_not_given(profile):
    services.volunteer_profile_update(actor=profile.user, profile=profile, phone="")
    profile.refresh_from_db()
    assert profile.phone == ""
    assert profile.postcode == "L36 9YU"
    assert profile.contact_channels == ["email"]
    profile.user.refresh_from_db()
    assert profile.user.full_name == "Sam Example"


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"postcode": "not a postcode"}, {"postcode"}),
        ({"postcode": ""}, {"postcode"}),
        ({"contact_channels": ["email", "carrier pigeon"]}, {"contact_channels"}),
        ({"postcode": "nowhere", "contact_channels": ["pigeon"]}, {"postcode", "contact_channels"}),
    ],
)
def test_update_invalid_writes_nothing_and_leaves_the_profile_as_it_was(profile, change, fields):
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.volunteer_profile_update(
            actor=profile.user, profile=profile, phone="07700 900001", **change
        )
    assert set(caught.value.errors) == fields
    assert snapshot() == before
    # The caller's object still shows what is stored, so a page re-rendering it is truthful.
    assert profile.postcode == "L36 9YU"
    assert profile.phone == "0151 000 0000"
    assert profile.contact_channels == ["email"]


@pytest.mark.parametrize(
    "who", ["anonymous", "another_volunteer", "cvs_staff", "node_admin", "org_admin"]
)
def test_update_someone_elses_profile_is_denied(profile, who):
    actor = {
        "anonymous": lambda: None,
        "another_volunteer": lambda: VolunteerProfileFactory().user,
        "cvs_staff": lambda: NodeRoleFactory(role=NodeRoleName.CVS_STAFF).user,
        "node_admin": lambda: NodeRoleFactory(role=NodeRoleName.NODE_ADMIN).user,
        "org_admin": lambda: MembershipFactory(role=OrgRole.ADMIN).user,
    }[who]()
    before = snapshot()
    with pytest.raises(NotAuthenticated if who == "anonymous" else PermissionDenied):
        services.volunteer_profile_update(
            actor=actor, profile=profile, postcode="M1 1AE", full_name="Hijacked"
        )
    assert snapshot() == before


# person_data_export ----------------------------------------------------------------------------


def test_export_holds_what_the_node_keeps_and_is_audited(profile):
    MembershipFactory(user=profile.user, role=OrgRole.COORDINATOR)
    data = services.person_data_export(actor=profile.user, user=profile.user)
    assert data["account"]["email"] == profile.user.email
    assert data["volunteer_profile"]["postcode"] == "L36 9YU"
    assert [r["role"] for r in data["organisation_roles"]] == ["coordinator"]
    entry = last_entry()
    assert entry.action == "person.data.export"
    assert entry.target_id == str(profile.user_id)


@pytest.mark.parametrize("who", ["anonymous", "another_volunteer", "node_admin"])
def test_export_someone_elses_data_is_denied(profile, who):
    actor = {
        "anonymous": lambda: None,
        "another_volunteer": lambda: UserFactory(),
        "node_admin": lambda: NodeRoleFactory(role=NodeRoleName.NODE_ADMIN).user,
    }[who]()
    before = snapshot()
    with pytest.raises(NotAuthenticated if who == "anonymous" else PermissionDenied):
        services.person_data_export(actor=actor, user=profile.user)
    assert snapshot() == before


def test_contact_channels_are_the_published_ones():
    assert services.check_contact_channels(["post", "email", "post"]) == ["post", "email"]
    with pytest.raises(ValidationFailed) as caught:
        services.check_contact_channels(["fax"])
    assert all(label in str(caught.value) for label in ContactChannel.labels)
