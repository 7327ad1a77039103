"""Services for organisations and the roles people hold in them.

Each refusal is checked for its error and for what it leaves behind: nothing. `snapshot()`
counts every core table and reads the audit head, so "nothing written" is one comparison.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from covenant.core import audit, authz, services
from covenant.core.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from covenant.core.models import (
    AuditEntry,
    AuditHead,
    Membership,
    NodeRole,
    NodeRoleName,
    Organisation,
    OrganisationKind,
    OrgRole,
    User,
    VerificationStatus,
    VolunteerProfile,
)
from covenant.core.tests.factories import (
    LocalAuthorityFactory,
    MembershipFactory,
    NodeRoleFactory,
    OrganisationFactory,
    PostcodeDistrictFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHARITY = {
    "name": "Knowsley Food Bank",
    "kind": OrganisationKind.CHARITY,
    "charity_number": "1123456",
}


def snapshot() -> dict[str, object]:
    head = AuditHead.objects.filter(id=1).values_list("seq", "hash").first()
    return {
        "organisations": list(
            Organisation.objects.order_by("pk").values_list(
                "pk", "name", "kind", "charity_number", "company_number", "verification_status"
            )
        ),
        "memberships": list(
            Membership.objects.order_by("pk").values_list(
                "pk", "user_id", "organisation_id", "role"
            )
        ),
        "node_roles": list(NodeRole.objects.order_by("pk").values_list("pk", "user_id", "role")),
        "profiles": VolunteerProfile.objects.count(),
        "users": list(User.objects.order_by("pk").values_list("pk", "is_staff", "is_superuser")),
        "audit": AuditEntry.objects.count(),
        "audit_head": head,
    }


def last_entry() -> AuditEntry:
    return AuditEntry.objects.order_by("-seq").first()


@pytest.fixture
def volunteer() -> User:
    return UserFactory()


@pytest.fixture
def cvs_staff() -> User:
    return NodeRoleFactory(role=NodeRoleName.CVS_STAFF).user


@pytest.fixture
def node_admin() -> User:
    return NodeRoleFactory(role=NodeRoleName.NODE_ADMIN).user


@pytest.fixture
def admin_membership() -> Membership:
    return MembershipFactory(role=OrgRole.ADMIN)


# organisation_register -------------------------------------------------------------------------


def test_register_makes_the_registrant_its_admin_and_queues_it(volunteer):
    organisation = services.organisation_register(actor=volunteer, **CHARITY)
    assert organisation.pk is not None
    assert organisation.verification_status == VerificationStatus.PENDING
    assert organisation.charity_number == "1123456"
    assert list(
        Membership.objects.filter(organisation=organisation).values_list("user_id", "role")
    ) == [(volunteer.pk, OrgRole.ADMIN)]
    assert authz.allows(volunteer, "organisation.update", organisation), "roles reloaded"
    entry = last_entry()
    assert entry.action == "organisation.register"
    assert entry.actor_id == volunteer.pk
    assert (entry.target_type, entry.target_id) == ("core.organisation", str(organisation.pk))
    assert entry.organisation_id == organisation.pk
    assert audit.chain_verify().ok


def test_register_normalises_what_people_type(volunteer):
    LocalAuthorityFactory()
    organisation = services.organisation_register(
        actor=volunteer,
        name="  Halewood Youth CIC ",
        kind=OrganisationKind.CIC,
        company_number="sc 123456",
        postcode="l369yu",
        local_authority="E08000011",
    )
    assert organisation.name == "Halewood Youth CIC"
    assert organisation.company_number == "SC123456"
    assert organisation.postcode == "L36 9YU"
    assert organisation.postcode_district == "L36"
    assert organisation.local_authority_id == "E08000011"


def test_register_places_the_organisation_by_its_postcode_district(volunteer):
    district = PostcodeDistrictFactory(code="L36")
    organisation = services.organisation_register(
        actor=volunteer,
        name="Huyton Hub",
        kind=OrganisationKind.COMMUNITY_GROUP,
        postcode="L36 9YU",
    )
    assert organisation.local_authority == district.local_authority
    assert organisation.lsoa is None


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        (OrganisationKind.CHARITY, "charity_number"),
        (OrganisationKind.CIO, "charity_number"),
        (OrganisationKind.CIC, "company_number"),
        (OrganisationKind.COMPANY, "company_number"),
    ],
)
def test_register_needs_the_number_the_kind_has(volunteer, kind, field):
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.organisation_register(actor=volunteer, name="Something", kind=kind)
    assert set(caught.value.errors) == {field}
    assert snapshot() == before


@pytest.mark.parametrize(
    "kind",
    [OrganisationKind.COMMUNITY_GROUP, OrganisationKind.FAITH_GROUP, OrganisationKind.FUNDER],
)
def test_register_without_numbers_for_kinds_that_have_none(volunteer, kind):
    organisation = services.organisation_register(actor=volunteer, name="Street Pantry", kind=kind)
    assert (organisation.charity_number, organisation.company_number) == ("", "")


def test_register_bad_charity_number_says_which_field_and_writes_nothing(volunteer):
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.organisation_register(
            actor=volunteer, name="Food Bank", kind=OrganisationKind.CHARITY, charity_number="12-AB"
        )
    assert caught.value.code == "invalid"
    assert set(caught.value.errors) == {"charity_number"}
    assert "not a registered charity number" in caught.value.errors["charity_number"][0]
    assert str(caught.value) == caught.value.errors["charity_number"][0]
    assert snapshot() == before


def test_register_collects_every_problem_at_once(volunteer):
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.organisation_register(
            actor=volunteer,
            name=" ",
            kind=OrganisationKind.CIC,
            charity_number="nonsense",
            postcode="not a postcode",
            local_authority="E99999999",
        )
    assert set(caught.value.errors) == {
        "name",
        "charity_number",
        "company_number",
        "postcode",
        "local_authority",
    }
    assert snapshot() == before


def test_register_refuses_a_detail_organisations_do_not_have(volunteer):
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.organisation_register(actor=volunteer, **CHARITY, verification_status="verified")
    assert set(caught.value.errors) == {"verification_status"}
    assert snapshot() == before


def test_register_unknown_kind(volunteer):
    with pytest.raises(ValidationFailed) as caught:
        services.organisation_register(actor=volunteer, name="Club", kind="club")
    assert set(caught.value.errors) == {"kind"}


@pytest.mark.parametrize(
    ("existing", "typed"),
    [
        ({"charity_number": "1123456"}, {"charity_number": "1123456-2"}),
        ({"charity_number": "SC012345"}, {"charity_number": "sc 012345"}),
        ({"company_number": "01234567"}, {"company_number": "1234567"}),
    ],
)
def test_register_duplicate_number_is_a_conflict(volunteer, existing, typed):
    OrganisationFactory(kind=OrganisationKind.CHARITY, **existing)
    before = snapshot()
    kind = OrganisationKind.CHARITY if "charity_number" in typed else OrganisationKind.COMPANY
    with pytest.raises(Conflict) as caught:
        services.organisation_register(actor=volunteer, name="Second", kind=kind, **typed)
    assert caught.value.status == 409
    assert set(caught.value.errors) == set(typed)
    assert snapshot() == before


def test_register_denied_to_anonymous_and_tokens_writes_nothing():
    before = snapshot()
    with pytest.raises(NotAuthenticated):
        services.organisation_register(actor=None, **CHARITY)
    token = authz.Actor(
        user_id=None, label="token", token_id=3, scopes=frozenset({"organisation.register"})
    )
    with pytest.raises(PermissionDenied):
        services.organisation_register(actor=token, **CHARITY)
    assert snapshot() == before


def test_register_denied_to_an_inactive_account(volunteer):
    volunteer.is_active = False
    volunteer.save()
    before = snapshot()
    with pytest.raises(NotAuthenticated):
        services.organisation_register(actor=volunteer, **CHARITY)
    assert snapshot() == before


# organisation_update ---------------------------------------------------------------------------


@pytest.fixture
def verified_charity(cvs_staff, admin_membership) -> Organisation:
    organisation = admin_membership.organisation
    organisation.kind = OrganisationKind.CHARITY
    organisation.charity_number = "1123456"
    organisation.verification_status = VerificationStatus.VERIFIED
    organisation.verified_by = cvs_staff
    organisation.verified_at = datetime(2025, 1, 1, tzinfo=UTC)
    organisation.save()
    return organisation


def test_update_details_keeps_verification(verified_charity, admin_membership):
    updated = services.organisation_update(
        actor=admin_membership.user,
        organisation=verified_charity,
        description="Food parcels on Tuesdays",
        town="Huyton",
    )
    updated.refresh_from_db()
    assert updated.description == "Food parcels on Tuesdays"
    assert updated.verification_status == VerificationStatus.VERIFIED
    assert updated.verified_by_id is not None
    entry = last_entry()
    assert entry.action == "organisation.update"
    assert entry.detail == {"fields": ["description", "town"]}


@pytest.mark.parametrize(
    "change",
    [
        {"charity_number": "1234567"},
        {"kind": OrganisationKind.CIO},
        {"company_number": "01234567"},
    ],
)
def test_identity_change_sends_a_verified_organisation_back_to_the_queue(
    verified_charity, admin_membership, change
):
    services.organisation_update(
        actor=admin_membership.user, organisation=verified_charity, **change
    )
    verified_charity.refresh_from_db()
    assert verified_charity.verification_status == VerificationStatus.PENDING
    assert verified_charity.verified_at is None
    assert verified_charity.verified_by is None


def test_same_number_typed_differently_is_no_change(verified_charity, admin_membership):
    before = snapshot()
    services.organisation_update(
        actor=admin_membership.user, organisation=verified_charity, charity_number=" 1123456-1 "
    )
    assert snapshot() == before


def test_update_cannot_drop_the_number_the_kind_needs(verified_charity, admin_membership):
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.organisation_update(
            actor=admin_membership.user, organisation=verified_charity, charity_number=""
        )
    assert set(caught.value.errors) == {"charity_number"}
    with pytest.raises(ValidationFailed) as caught:
        services.organisation_update(
            actor=admin_membership.user, organisation=verified_charity, kind=OrganisationKind.CIC
        )
    assert set(caught.value.errors) == {"company_number"}
    assert snapshot() == before


def test_update_may_change_kind_and_number_together(verified_charity, admin_membership):
    services.organisation_update(
        actor=admin_membership.user,
        organisation=verified_charity,
        kind=OrganisationKind.COMMUNITY_GROUP,
        charity_number="",
    )
    verified_charity.refresh_from_db()
    assert (verified_charity.kind, verified_charity.charity_number) == ("community_group", "")


def test_update_to_another_organisations_number_is_a_conflict(verified_charity, admin_membership):
    OrganisationFactory(kind=OrganisationKind.CHARITY, charity_number="1234567")
    before = snapshot()
    with pytest.raises(Conflict) as caught:
        services.organisation_update(
            actor=admin_membership.user, organisation=verified_charity, charity_number="1234567"
        )
    assert set(caught.value.errors) == {"charity_number"}
    assert snapshot() == before


def test_a_rejected_organisation_that_corrects_its_details_is_checked_again(
    cvs_staff, admin_membership
):
    organisation = services.organisation_verify(
        actor=cvs_staff,
        organisation=admin_membership.organisation,
        verified=False,
        note="The charity number belongs to another charity.",
    )
    services.organisation_update(
        actor=admin_membership.user,
        organisation=organisation,
        kind=OrganisationKind.CHARITY,
        charity_number="1123456",
    )
    organisation.refresh_from_db()
    assert organisation.verification_status == VerificationStatus.PENDING


def test_update_invalid_details_write_nothing(verified_charity, admin_membership):
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.organisation_update(
            actor=admin_membership.user,
            organisation=verified_charity,
            name="",
            charity_number="0000",
        )
    assert set(caught.value.errors) == {"name", "charity_number"}
    assert snapshot() == before


@pytest.mark.parametrize("who", ["anonymous", "volunteer", "coordinator", "other_admin", "cvs"])
def test_update_denied(verified_charity, cvs_staff, who):
    actor = {
        "anonymous": lambda: None,
        "volunteer": UserFactory,
        "coordinator": lambda: (
            MembershipFactory(organisation=verified_charity, role=OrgRole.COORDINATOR).user
        ),
        "other_admin": lambda: MembershipFactory(role=OrgRole.ADMIN).user,
        "cvs": lambda: cvs_staff,
    }[who]()
    before = snapshot()
    with pytest.raises(NotAuthenticated if who == "anonymous" else PermissionDenied):
        services.organisation_update(
            actor=actor, organisation=verified_charity, charity_number="1234567"
        )
    verified_charity.refresh_from_db()
    assert verified_charity.charity_number == "1123456"
    assert snapshot() == before


def test_node_admin_may_update(verified_charity, node_admin):
    services.organisation_update(actor=node_admin, organisation=verified_charity, name="Renamed")
    verified_charity.refresh_from_db()
    assert verified_charity.name == "Renamed"
    assert last_entry().actor_id == node_admin.pk


# organisation_verify ---------------------------------------------------------------------------


@pytest.fixture
def pending(admin_membership) -> Organisation:
    organisation = admin_membership.organisation
    organisation.verification_status = VerificationStatus.PENDING
    organisation.save()
    return organisation


def test_verify_records_who_and_when(pending, cvs_staff):
    moment = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        organisation = services.organisation_verify(
            actor=cvs_staff, organisation=pending, verified=True, is_member=True
        )
    organisation.refresh_from_db()
    assert organisation.verification_status == VerificationStatus.VERIFIED
    assert organisation.verified_by_id == cvs_staff.pk
    assert organisation.verified_at == moment
    assert organisation.is_member is True
    entry = last_entry()
    assert entry.action == "organisation.verify"
    assert entry.detail == {"outcome": "verified", "is_member": True}
    assert entry.at == moment


def test_reject_keeps_the_reason(pending, node_admin):
    organisation = services.organisation_verify(
        actor=node_admin, organisation=pending, verified=False, note="  Not in our area. "
    )
    organisation.refresh_from_db()
    assert organisation.verification_status == VerificationStatus.REJECTED
    assert organisation.verification_note == "Not in our area."
    assert organisation.verified_by_id == node_admin.pk


@pytest.mark.parametrize("note", ["", "   "])
def test_reject_needs_a_note(pending, cvs_staff, note):
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.organisation_verify(
            actor=cvs_staff, organisation=pending, verified=False, note=note
        )
    assert set(caught.value.errors) == {"note"}
    assert snapshot() == before


def test_verify_sends_the_decision_after_commit(
    pending, cvs_staff, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.organisation_verify(actor=cvs_staff, organisation=pending, verified=True)
    assert len(callbacks) == 1
    assert [m.to for m in mailoutbox] == [[pending.memberships.get().user.email]]


@pytest.mark.parametrize("role", [r.value for r in OrgRole])
def test_verify_denied_to_organisation_roles(pending, role):
    actor = MembershipFactory(organisation=pending, role=role).user
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.organisation_verify(actor=actor, organisation=pending, verified=True)
    pending.refresh_from_db()
    assert pending.verification_status == VerificationStatus.PENDING
    assert pending.verified_by_id is None
    assert snapshot() == before


def test_verify_denied_to_anonymous(pending):
    before = snapshot()
    with pytest.raises(NotAuthenticated):
        services.organisation_verify(actor=None, organisation=pending, verified=True)
    assert snapshot() == before


# membership_grant / membership_revoke ----------------------------------------------------------


def test_grant_a_role_by_email(admin_membership):
    person = UserFactory(email="sam@example.org")
    membership = services.membership_grant(
        actor=admin_membership.user,
        organisation=admin_membership.organisation,
        email="  SAM@example.org ",
        role=OrgRole.VERIFIER,
    )
    assert (membership.user_id, membership.role) == (person.pk, OrgRole.VERIFIER)
    assert authz.actor_for_user(User.objects.get(pk=person.pk)).has_org_role(
        admin_membership.organisation_id, OrgRole.VERIFIER
    )
    entry = last_entry()
    assert entry.action == "membership.grant"
    assert entry.detail == {"role": "verifier"}
    assert entry.organisation_id == admin_membership.organisation_id


def test_grant_to_an_unknown_email_is_not_found(admin_membership):
    before = snapshot()
    with pytest.raises(NotFound) as caught:
        services.membership_grant(
            actor=admin_membership.user,
            organisation=admin_membership.organisation,
            email="nobody@example.org",
            role=OrgRole.COORDINATOR,
        )
    assert set(caught.value.errors) == {"email"}
    assert snapshot() == before


def test_grant_a_role_they_already_hold_is_a_conflict(admin_membership):
    person = UserFactory()
    services.membership_grant(
        actor=admin_membership.user,
        organisation=admin_membership.organisation,
        email=person.email,
        role=OrgRole.COORDINATOR,
    )
    before = snapshot()
    with pytest.raises(Conflict):
        services.membership_grant(
            actor=admin_membership.user,
            organisation=admin_membership.organisation,
            email=person.email,
            role=OrgRole.COORDINATOR,
        )
    assert snapshot() == before
    # A different role for the same person is fine: people hold several.
    services.membership_grant(
        actor=admin_membership.user,
        organisation=admin_membership.organisation,
        email=person.email,
        role=OrgRole.ASSESSOR,
    )


def test_grant_unknown_role(admin_membership):
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.membership_grant(
            actor=admin_membership.user,
            organisation=admin_membership.organisation,
            email=UserFactory().email,
            role="owner",
        )
    assert set(caught.value.errors) == {"role"}
    assert AuditEntry.objects.count() == before["audit"]


@pytest.mark.parametrize("who", ["anonymous", "coordinator", "other_admin", "cvs_staff"])
def test_grant_denied(admin_membership, who):
    organisation = admin_membership.organisation
    actor = {
        "anonymous": lambda: None,
        "coordinator": lambda: (
            MembershipFactory(organisation=organisation, role=OrgRole.COORDINATOR).user
        ),
        "other_admin": lambda: MembershipFactory(role=OrgRole.ADMIN).user,
        "cvs_staff": lambda: NodeRoleFactory(role=NodeRoleName.CVS_STAFF).user,
    }[who]()
    person = UserFactory()
    before = snapshot()
    with pytest.raises(NotAuthenticated if who == "anonymous" else PermissionDenied):
        services.membership_grant(
            actor=actor, organisation=organisation, email=person.email, role=OrgRole.ADMIN
        )
    assert snapshot() == before


def test_node_admin_may_grant(admin_membership, node_admin):
    person = UserFactory()
    services.membership_grant(
        actor=node_admin,
        organisation=admin_membership.organisation,
        email=person.email,
        role=OrgRole.ADMIN,
    )
    assert Membership.objects.filter(user=person, role=OrgRole.ADMIN).exists()


def test_revoke_a_role(admin_membership):
    coordinator = MembershipFactory(
        organisation=admin_membership.organisation, role=OrgRole.COORDINATOR
    )
    services.membership_revoke(actor=admin_membership.user, membership=coordinator)
    assert not Membership.objects.filter(pk=coordinator.pk).exists()
    entry = last_entry()
    assert entry.action == "membership.revoke"
    assert entry.detail == {"user_id": coordinator.user_id, "role": "coordinator"}
    assert entry.organisation_id == admin_membership.organisation_id


def test_the_last_admin_cannot_be_removed(admin_membership):
    # Another organisation's admin does not count.
    MembershipFactory(role=OrgRole.ADMIN)
    before = snapshot()
    with pytest.raises(Conflict, match="only administrator"):
        services.membership_revoke(actor=admin_membership.user, membership=admin_membership)
    assert snapshot() == before


def test_an_admin_may_go_once_there_is_another(admin_membership):
    second = MembershipFactory(organisation=admin_membership.organisation, role=OrgRole.ADMIN)
    services.membership_revoke(actor=second.user, membership=admin_membership)
    assert list(
        Membership.objects.filter(organisation=admin_membership.organisation).values_list(
            "pk", flat=True
        )
    ) == [second.pk]
    with pytest.raises(Conflict):
        services.membership_revoke(actor=second.user, membership=second)


def test_an_admin_who_is_also_coordinator_still_counts_once(admin_membership):
    also = MembershipFactory(
        user=admin_membership.user,
        organisation=admin_membership.organisation,
        role=OrgRole.COORDINATOR,
    )
    services.membership_revoke(actor=admin_membership.user, membership=also)
    with pytest.raises(Conflict):
        services.membership_revoke(actor=admin_membership.user, membership=admin_membership)


@pytest.mark.parametrize("who", ["anonymous", "the_member", "other_admin", "cvs_staff"])
def test_revoke_denied(admin_membership, who):
    coordinator = MembershipFactory(
        organisation=admin_membership.organisation, role=OrgRole.COORDINATOR
    )
    actor = {
        "anonymous": lambda: None,
        "the_member": lambda: coordinator.user,
        "other_admin": lambda: MembershipFactory(role=OrgRole.ADMIN).user,
        "cvs_staff": lambda: NodeRoleFactory(role=NodeRoleName.CVS_STAFF).user,
    }[who]()
    before = snapshot()
    with pytest.raises(NotAuthenticated if who == "anonymous" else PermissionDenied):
        services.membership_revoke(actor=actor, membership=coordinator)
    assert snapshot() == before


# node_role_grant -------------------------------------------------------------------------------


def test_node_admin_grants_cvs_staff(node_admin):
    person = UserFactory()
    role = services.node_role_grant(actor=node_admin, user=person, role=NodeRoleName.CVS_STAFF)
    assert (role.user_id, role.role) == (person.pk, "cvs_staff")
    person.refresh_from_db()
    assert not person.is_staff, "CVS staff do not get the Django admin"
    entry = last_entry()
    assert entry.action == "node_role.grant"
    assert (entry.target_type, entry.target_id) == ("core.user", str(person.pk))
    assert entry.detail == {"role": "cvs_staff"}


def test_granting_node_admin_opens_the_django_admin(node_admin):
    person = UserFactory()
    services.node_role_grant(actor=node_admin, user=person, role=NodeRoleName.NODE_ADMIN)
    person.refresh_from_db()
    assert person.is_staff
    assert person.is_superuser


def test_granting_a_role_held_already_changes_nothing(node_admin):
    person = UserFactory()
    first = services.node_role_grant(actor=node_admin, user=person, role=NodeRoleName.CVS_STAFF)
    before = snapshot()
    again = services.node_role_grant(actor=node_admin, user=person, role=NodeRoleName.CVS_STAFF)
    assert again.pk == first.pk
    assert snapshot() == before


def test_node_role_unknown(node_admin):
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.node_role_grant(actor=node_admin, user=UserFactory(), role="superuser")
    assert set(caught.value.errors) == {"role"}
    assert snapshot()["node_roles"] == before["node_roles"]


@pytest.mark.parametrize("who", ["anonymous", "volunteer", "cvs_staff", "org_admin"])
def test_node_role_grant_denied(who, cvs_staff):
    actor = {
        "anonymous": lambda: None,
        "volunteer": UserFactory,
        "cvs_staff": lambda: cvs_staff,
        "org_admin": lambda: MembershipFactory(role=OrgRole.ADMIN).user,
    }[who]()
    target = UserFactory()
    before = snapshot()
    with pytest.raises(NotAuthenticated if who == "anonymous" else PermissionDenied):
        services.node_role_grant(actor=actor, user=target, role=NodeRoleName.NODE_ADMIN)
    assert snapshot() == before
