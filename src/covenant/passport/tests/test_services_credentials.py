"""Issuing, revoking, suspending and reinstating credentials, and looking at them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client

from covenant.core import clock
from covenant.core.authz import ANONYMOUS, Actor
from covenant.core.errors import (
    Conflict,
    NotAuthenticated,
    PermissionDenied,
    ValidationFailed,
)
from covenant.core.models import AuditEntry, OrgRole, VerificationStatus
from covenant.core.tests.factories import OrganisationFactory, UserFactory
from covenant.passport import credential_status, sdjwt, selectors, well_known
from covenant.passport.models import (
    Credential,
    CredentialState,
    CredentialType,
    HolderKey,
    HolderKeyCustody,
    StatusList,
    StatusPurpose,
)
from covenant.passport.registry import DBS_CHECK_CLAIMS
from covenant.passport.services import (
    credential_claims_view,
    credential_download,
    credential_issue,
    credential_reinstate,
    credential_revoke,
    credential_suspend,
    holder_key_register,
    issuer_key_rotate,
    issuer_trust,
)
from covenant.passport.status_list import StatusList as Bitstring

from . import helpers
from .conftest import days_ago, dbs_claims, member, reference_claims

pytestmark = pytest.mark.django_db


def issue_dbs(verifier, holder, dbs_type, **overrides):
    return credential_issue(
        actor=verifier, holder=holder, credential_type=dbs_type, claims=dbs_claims(**overrides)
    )


def bit(status_list_id: int | None, index: int | None) -> int:
    status_list = StatusList.objects.get(pk=status_list_id)
    return Bitstring(bytes(status_list.bits)).get(index)


# --- issuing: what is made -------------------------------------------------------------------


def test_a_dbs_check_is_a_signed_sd_jwt_vc_with_every_claim_disclosable(
    client: Client, cvs, cvs_verifier, volunteer, dbs_type
) -> None:
    credential = issue_dbs(cvs_verifier, volunteer, dbs_type)
    assert credential.organisation == cvs
    assert credential.state == CredentialState.ACTIVE
    assert credential.issued_by == cvs_verifier
    assert credential.issuer_key == selectors.signing_key_of(cvs)
    # Three years from the certificate's date, not from today.
    start = datetime.combine(date.fromisoformat(days_ago(60)), datetime.min.time(), tzinfo=UTC)
    assert credential.valid_from == start
    assert credential.expires_at == start + timedelta(days=1095)

    compact = credential.sd_jwt()
    holding = sdjwt.read_holding(compact)
    header = json.loads(__import__("base64").urlsafe_b64decode(holding.jwt.split(".")[0] + "=="))
    assert header == {"alg": "ES256", "typ": "dc+sd-jwt", "kid": credential.issuer_key.kid}
    claims = {name: value for name, (_, value) in holding.disclosable.items()}
    assert claims == dbs_claims()
    assert set(claims) <= set(DBS_CHECK_CLAIMS)
    # Nothing personal in the clear: only the structural claims.
    assert set(holding.payload) == {"iss", "vct", "iat", "exp", "cnf", "status", "_sd", "_sd_alg"}
    assert len(holding.payload["_sd"]) == len(claims) + 2  # two decoys
    assert holding.payload["iss"] == well_known.issuer_id(cvs)
    assert holding.payload["vct"] == dbs_type.vct
    assert holding.payload["exp"] == int(credential.expires_at.timestamp())
    holder_key = HolderKey.objects.get(holder=volunteer)
    assert holding.payload["cnf"] == {"jwk": holder_key.public_jwk}
    entries = credential_status.status_entries(holding.payload["status"])
    assert [(e.purpose, e.list_url, e.index) for e in entries] == [
        ("revocation", credential.revocation_list.url, credential.revocation_index),
        ("suspension", credential.suspension_list.url, credential.suspension_index),
    ]

    verified = helpers.verify(client, credential)
    assert verified.status == "valid"
    assert {k: verified.claims[k] for k in verified.disclosed} == dbs_claims()


def test_issuing_makes_a_node_held_key_once_and_uses_a_wallet_key_when_there_is_one(
    cvs_verifier, volunteer, dbs_type, builtin_types
) -> None:
    first = issue_dbs(cvs_verifier, volunteer, dbs_type)
    key = HolderKey.objects.get(holder=volunteer)
    assert key.custody == HolderKeyCustody.NODE
    creation = AuditEntry.objects.get(action="holder_key.create")
    assert creation.actor_id == cvs_verifier.pk
    second = credential_issue(
        actor=cvs_verifier,
        holder=volunteer,
        credential_type=builtin_types["identity-check"],
        claims={
            "full_name": "Val Unteer",
            "method": "documents_in_person",
            "checked_on": days_ago(1),
        },
    )
    assert HolderKey.objects.filter(holder=volunteer).count() == 1
    cnf = [sdjwt.read_holding(c.sd_jwt()).payload["cnf"]["jwk"] for c in (first, second)]
    assert cnf[0] == cnf[1] == key.public_jwk

    from covenant.passport import jose

    wallet = jose.public_jwk(jose.generate_key("EdDSA"))
    holder_key_register(actor=volunteer, holder=volunteer, public_jwk=wallet)
    third = issue_dbs(cvs_verifier, volunteer, dbs_type)
    bound = sdjwt.read_holding(third.sd_jwt()).payload["cnf"]["jwk"]
    assert {k: bound[k] for k in ("kty", "crv", "x")} == {k: wallet[k] for k in ("kty", "crv", "x")}


def test_status_entries_are_fresh_for_every_credential(cvs_verifier, volunteer, dbs_type) -> None:
    made = [issue_dbs(cvs_verifier, volunteer, dbs_type) for _ in range(5)]
    revocation = {(c.revocation_list_id, c.revocation_index) for c in made}
    suspension = {(c.suspension_list_id, c.suspension_index) for c in made}
    assert len(revocation) == len(suspension) == 5
    lists = StatusList.objects.filter(organisation=made[0].organisation)
    assert {s.purpose for s in lists} == {StatusPurpose.REVOCATION, StatusPurpose.SUSPENSION}
    assert all(s.allocated == 5 and s.size >= 131_072 for s in lists)


def test_a_type_without_expiry_still_ends_its_token(cvs_verifier, volunteer, builtin_types) -> None:
    credential = credential_issue(
        actor=cvs_verifier,
        holder=volunteer,
        credential_type=builtin_types["identity-check"],
        claims={"full_name": "Val Unteer", "method": "vouched", "checked_on": days_ago(3)},
    )
    assert credential.expires_at is None
    payload = sdjwt.read_holding(credential.sd_jwt()).payload
    assert payload["exp"] - payload["iat"] == 3650 * 86_400


def test_valid_from_given_overrides_the_claims_date(cvs_verifier, volunteer, dbs_type) -> None:
    start = clock.now() - timedelta(days=10)
    credential = credential_issue(
        actor=cvs_verifier,
        holder=volunteer,
        credential_type=dbs_type,
        claims=dbs_claims(),
        valid_from=start,
    )
    assert credential.valid_from == start
    assert credential.expires_at == start + timedelta(days=1095)


# --- issuing: allowed and refused ------------------------------------------------------------


def test_an_open_type_is_issued_by_any_verified_organisations_verifier(
    charity, charity_verifier, volunteer, builtin_types
) -> None:
    credential = credential_issue(
        actor=charity_verifier,
        holder=volunteer,
        credential_type=builtin_types["reference"],
        claims=reference_claims(),
    )
    assert credential.organisation == charity
    assert credential.expires_at is None


def test_a_registry_trusted_organisation_issues_dbs(
    charity, charity_verifier, volunteer, dbs_type, node_admin
) -> None:
    with pytest.raises(PermissionDenied):
        issue_dbs(charity_verifier, volunteer, dbs_type)
    issuer_trust(actor=node_admin, credential_type=dbs_type, organisation=charity)
    assert issue_dbs(charity_verifier, volunteer, dbs_type).organisation == charity


@pytest.mark.parametrize("role", [OrgRole.ADMIN, OrgRole.COORDINATOR])
def test_other_roles_do_not_issue(cvs, cvs_key, volunteer, dbs_type, role) -> None:
    with pytest.raises(PermissionDenied):
        issue_dbs(member(cvs, role), volunteer, dbs_type)
    assert not Credential.objects.exists()


def test_nobody_issues_to_themself(cvs, cvs_verifier, dbs_type) -> None:
    with pytest.raises(PermissionDenied):
        issue_dbs(cvs_verifier, cvs_verifier, dbs_type)
    assert not Credential.objects.exists()
    assert not HolderKey.objects.exists()


def test_a_verifier_issues_only_for_their_own_organisation(
    cvs, cvs_key, charity, charity_verifier, volunteer, builtin_types
) -> None:
    with pytest.raises(PermissionDenied):
        credential_issue(
            actor=charity_verifier,
            holder=volunteer,
            credential_type=builtin_types["reference"],
            claims=reference_claims(),
            organisation=cvs,
        )


def test_anonymous_and_unverified_organisations_issue_nothing(volunteer, builtin_types) -> None:
    with pytest.raises(NotAuthenticated):
        credential_issue(
            actor=ANONYMOUS,
            holder=volunteer,
            credential_type=builtin_types["reference"],
            claims=reference_claims(),
        )
    pending = OrganisationFactory.create(verification_status=VerificationStatus.PENDING)
    with pytest.raises(PermissionDenied):
        credential_issue(
            actor=member(pending, OrgRole.VERIFIER),
            holder=volunteer,
            credential_type=builtin_types["reference"],
            claims=reference_claims(),
        )
    assert not Credential.objects.exists()


def test_a_verifier_of_two_issuers_must_choose(
    cvs, cvs_key, charity, charity_key, cvs_verifier, volunteer, builtin_types
) -> None:
    from covenant.core.tests.factories import MembershipFactory

    MembershipFactory.create(user=cvs_verifier, organisation=charity, role=OrgRole.VERIFIER)
    from covenant.core import authz

    authz.forget(cvs_verifier)
    with pytest.raises(ValidationFailed) as caught:
        credential_issue(
            actor=cvs_verifier,
            holder=volunteer,
            credential_type=builtin_types["reference"],
            claims=reference_claims(),
        )
    assert caught.value.field == "organisation"
    chosen = credential_issue(
        actor=cvs_verifier,
        holder=volunteer,
        credential_type=builtin_types["reference"],
        claims=reference_claims(),
        organisation=charity,
    )
    assert chosen.organisation == charity


def test_an_organisation_without_a_signing_key_cannot_issue(cvs, volunteer, dbs_type) -> None:
    with pytest.raises(Conflict) as caught:
        issue_dbs(member(cvs, OrgRole.VERIFIER), volunteer, dbs_type)
    assert caught.value.code == "no_signing_key"
    assert not StatusList.objects.exists(), "nothing half-written"


def test_a_closed_account_gets_nothing(cvs_verifier, dbs_type) -> None:
    closed = UserFactory.create(is_active=False)
    with pytest.raises(ValidationFailed) as caught:
        issue_dbs(cvs_verifier, closed, dbs_type)
    assert caught.value.field == "holder"


# --- issuing: the claims ---------------------------------------------------------------------


def test_claims_are_checked_field_by_field(cvs_verifier, volunteer, dbs_type) -> None:
    with pytest.raises(ValidationFailed) as caught:
        issue_dbs(
            cvs_verifier, volunteer, dbs_type, certificate_number="12AB", level="gold", outcome=None
        )
    assert set(caught.value.errors) == {"certificate_number", "level", "outcome"}
    assert "12 digits" in caught.value.errors["certificate_number"][0]
    assert not Credential.objects.exists()


def test_a_dbs_check_refuses_any_field_outside_its_allow_list(
    cvs_verifier, volunteer, dbs_type
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        issue_dbs(cvs_verifier, volunteer, dbs_type, offences="none")
    assert "offences" in caught.value.errors
    # Even a node that widened the stored definition cannot make the credential carry it.
    dbs_type.claims = [
        *dbs_type.claims,
        {"name": "offences", "label": "Offences", "type": "string"},
    ]
    dbs_type.save()
    dbs_type = CredentialType.objects.get(pk=dbs_type.pk)
    with pytest.raises(ValidationFailed, match="criminal-offence data") as caught:
        issue_dbs(cvs_verifier, volunteer, dbs_type, offences="none")
    assert "offences" in caught.value.errors
    assert not Credential.objects.exists()


def test_a_check_that_already_ran_out_is_refused_beside_its_date(
    cvs_verifier, volunteer, dbs_type
) -> None:
    with pytest.raises(ValidationFailed, match="ran out on") as caught:
        issue_dbs(cvs_verifier, volunteer, dbs_type, issue_date=days_ago(1096))
    assert caught.value.field == "issue_date"
    assert issue_dbs(cvs_verifier, volunteer, dbs_type, issue_date=days_ago(1094)).expires_at


def test_validity_cannot_start_in_the_future(cvs_verifier, volunteer, dbs_type) -> None:
    with pytest.raises(ValidationFailed) as caught:
        credential_issue(
            actor=cvs_verifier,
            holder=volunteer,
            credential_type=dbs_type,
            claims=dbs_claims(),
            valid_from=clock.now() + timedelta(days=2),
        )
    assert caught.value.field == "valid_from"


def test_the_evidence_note_is_sealed_and_bounded(cvs_verifier, volunteer, dbs_type) -> None:
    credential = credential_issue(
        actor=cvs_verifier,
        holder=volunteer,
        credential_type=dbs_type,
        claims=dbs_claims(),
        evidence_note="  Saw the original certificate in person.  ",
    )
    stored = Credential.objects.get(pk=credential.pk)
    assert b"certificate" not in bytes(stored.evidence_note_sealed)
    assert stored.evidence_note() == "Saw the original certificate in person."
    with pytest.raises(ValidationFailed) as caught:
        credential_issue(
            actor=cvs_verifier,
            holder=volunteer,
            credential_type=dbs_type,
            claims=dbs_claims(),
            evidence_note="x" * 501,
        )
    assert caught.value.field == "evidence_note"


def test_the_audit_entry_names_the_claims_and_never_their_values(
    cvs_verifier, volunteer, dbs_type
) -> None:
    credential = issue_dbs(cvs_verifier, volunteer, dbs_type)
    entry = AuditEntry.objects.get(action="credential.issue")
    assert entry.actor_id == cvs_verifier.pk
    assert entry.organisation_id == credential.organisation_id
    assert entry.target_id == str(credential.pk)
    assert entry.detail["claims"] == sorted(dbs_claims())
    assert entry.detail["vct"] == dbs_type.vct
    text = json.dumps(entry.detail)
    for value in dbs_claims().values():
        for part in value if isinstance(value, list) else [value]:
            if isinstance(part, str):
                assert part not in text, part
    # Nor anything derived from them (the expiry gives away the certificate's date).
    assert credential.expires_at.date().isoformat() not in text


def test_the_volunteer_is_emailed_once_it_commits(
    cvs_verifier, volunteer, dbs_type, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        issue_dbs(cvs_verifier, volunteer, dbs_type)
    [mail] = mailoutbox
    assert mail.to == ["val@example.org"]
    assert "DBS check" in mail.subject
    assert "Knowsley CVS" in mail.body
    assert "/passport/" in mail.body
    for value in ("001234567890", "enhanced", "clear", days_ago(60)):
        assert value not in mail.body


def test_no_mail_when_asked_not_to(
    cvs_verifier, volunteer, dbs_type, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        credential_issue(
            actor=cvs_verifier,
            holder=volunteer,
            credential_type=dbs_type,
            claims=dbs_claims(),
            notify=False,
        )
    assert callbacks == []
    assert mailoutbox == []


# --- revoking, suspending, reinstating -------------------------------------------------------


@pytest.fixture
def issued(cvs_verifier, volunteer, dbs_type) -> Credential:
    return issue_dbs(cvs_verifier, volunteer, dbs_type)


def test_revoking_flips_the_revocation_bit_in_the_same_transaction(
    client: Client, cvs_verifier, issued
) -> None:
    assert bit(issued.revocation_list_id, issued.revocation_index) == 0
    before = StatusList.objects.get(pk=issued.revocation_list_id).version
    revoked = credential_revoke(actor=cvs_verifier, credential=issued, reason="issued_in_error")
    assert revoked.state == CredentialState.REVOKED
    assert revoked.state_reason == "issued_in_error"
    assert revoked.state_changed_at is not None
    assert bit(issued.revocation_list_id, issued.revocation_index) == 1
    assert bit(issued.suspension_list_id, issued.suspension_index) == 0
    assert StatusList.objects.get(pk=issued.revocation_list_id).version == before + 1
    entry = AuditEntry.objects.get(action="credential.revoke")
    assert entry.detail["reason"] == "issued_in_error"
    assert entry.actor_id == cvs_verifier.pk
    with pytest.raises(sdjwt.VerificationError) as caught:
        helpers.verify(client, revoked)
    assert caught.value.code == "revoked"
    with pytest.raises(Conflict) as again:
        credential_revoke(actor=cvs_verifier, credential=issued, reason="superseded")
    assert again.value.code == "already_revoked"


def test_an_administrator_of_the_issuer_may_revoke(cvs, issued) -> None:
    admin = member(cvs, OrgRole.ADMIN)
    assert credential_revoke(actor=admin, credential=issued, reason="superseded").state == "revoked"


def test_others_may_not_revoke_or_suspend(cvs, charity, volunteer, issued) -> None:
    strangers = [
        member(charity, OrgRole.VERIFIER),
        member(charity, OrgRole.ADMIN),
        member(cvs, OrgRole.COORDINATOR),
        volunteer,  # the holder
    ]
    for person in strangers:
        with pytest.raises(PermissionDenied):
            credential_revoke(actor=person, credential=issued, reason="superseded")
        with pytest.raises(PermissionDenied):
            credential_suspend(actor=person, credential=issued, reason="under_review")
    with pytest.raises(NotAuthenticated):
        credential_revoke(actor=ANONYMOUS, credential=issued, reason="superseded")
    issued.refresh_from_db()
    assert issued.state == CredentialState.ACTIVE
    assert bit(issued.revocation_list_id, issued.revocation_index) == 0


def test_a_reason_from_the_list_is_required(cvs_verifier, issued) -> None:
    for reason in ("", "because", "under_review"):
        with pytest.raises(ValidationFailed) as caught:
            credential_revoke(actor=cvs_verifier, credential=issued, reason=reason)
        assert caught.value.field == "reason"
    with pytest.raises(ValidationFailed):
        credential_suspend(actor=cvs_verifier, credential=issued, reason="superseded")


def test_suspend_then_reinstate(client: Client, cvs_verifier, issued) -> None:
    suspended = credential_suspend(actor=cvs_verifier, credential=issued, reason="under_review")
    assert suspended.state == CredentialState.SUSPENDED
    assert bit(issued.suspension_list_id, issued.suspension_index) == 1
    with pytest.raises(sdjwt.VerificationError) as caught:
        helpers.verify(client, suspended, nonce="a")
    assert caught.value.code == "suspended"
    with pytest.raises(Conflict):
        credential_suspend(actor=cvs_verifier, credential=issued, reason="under_review")
    back = credential_reinstate(actor=cvs_verifier, credential=issued)
    assert back.state == CredentialState.ACTIVE
    assert back.state_reason == ""
    assert bit(issued.suspension_list_id, issued.suspension_index) == 0
    assert helpers.verify(client, back, nonce="b").status == "valid"
    with pytest.raises(Conflict) as caught_again:
        credential_reinstate(actor=cvs_verifier, credential=issued)
    assert caught_again.value.code == "not_suspended"
    actions = list(
        AuditEntry.objects.filter(action__startswith="credential.").values_list("action", flat=True)
    )
    assert actions == ["credential.issue", "credential.suspend", "credential.reinstate"]


def test_revoking_a_suspended_credential_clears_its_suspension(cvs_verifier, issued) -> None:
    credential_suspend(actor=cvs_verifier, credential=issued, reason="under_review")
    revoked = credential_revoke(actor=cvs_verifier, credential=issued, reason="no_longer_accurate")
    assert revoked.state == CredentialState.REVOKED
    assert bit(issued.revocation_list_id, issued.revocation_index) == 1
    assert bit(issued.suspension_list_id, issued.suspension_index) == 0
    with pytest.raises(Conflict):
        credential_reinstate(actor=cvs_verifier, credential=issued)


def test_nobody_suspends_or_reinstates_their_own_credential(cvs, cvs_key, dbs_type) -> None:
    colleague = member(cvs, OrgRole.VERIFIER)
    verifier = member(cvs, OrgRole.VERIFIER)
    theirs = issue_dbs(colleague, verifier, dbs_type)
    with pytest.raises(PermissionDenied):
        credential_suspend(actor=verifier, credential=theirs, reason="under_review")
    credential_suspend(actor=colleague, credential=theirs, reason="under_review")
    with pytest.raises(PermissionDenied):
        credential_reinstate(actor=verifier, credential=theirs)


def test_the_holder_is_told_of_a_revocation(
    cvs_verifier, issued, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        credential_revoke(actor=cvs_verifier, credential=issued, reason="superseded")
    [mail] = mailoutbox
    assert mail.subject == "Your DBS check was revoked"
    assert "A newer credential replaces it" in mail.body


# --- looking ---------------------------------------------------------------------------------


def test_every_view_of_a_dbs_check_is_logged_with_who_saw_it(
    cvs_verifier, volunteer, issued
) -> None:
    shown = credential_claims_view(actor=volunteer, credential=issued)
    assert [c.label for c in shown][:2] == ["Level of check", "Workforce"]
    assert {c.name: c.value for c in shown}["level"] == "Enhanced"
    credential_claims_view(actor=cvs_verifier, credential=issued)
    views = AuditEntry.objects.filter(action="credential.view").order_by("seq")
    assert [(v.actor_id, v.detail["by_holder"]) for v in views] == [
        (volunteer.pk, True),
        (cvs_verifier.pk, False),
    ]
    assert all(v.target_id == str(issued.pk) for v in views)
    with pytest.raises(PermissionDenied):
        credential_claims_view(actor=UserFactory.create(), credential=issued)
    assert AuditEntry.objects.filter(action="credential.view").count() == 2


def test_other_types_are_not_logged_when_seen(charity_verifier, volunteer, builtin_types) -> None:
    reference = credential_issue(
        actor=charity_verifier,
        holder=volunteer,
        credential_type=builtin_types["reference"],
        claims=reference_claims(),
    )
    assert credential_claims_view(actor=volunteer, credential=reference)
    assert not AuditEntry.objects.filter(action="credential.view").exists()


def test_only_the_holder_downloads_and_a_dbs_download_is_logged(
    cvs_verifier, volunteer, issued
) -> None:
    assert credential_download(actor=volunteer, credential=issued) == issued.sd_jwt()
    with pytest.raises(PermissionDenied):
        credential_download(actor=cvs_verifier, credential=issued)
    entry = AuditEntry.objects.get(action="credential.download")
    assert entry.actor_id == volunteer.pk


def test_a_token_acting_for_the_issuer_may_issue(cvs, cvs_key, volunteer, dbs_type) -> None:
    token = Actor(
        user_id=None,
        label="token",
        org_roles={cvs.pk: frozenset({OrgRole.VERIFIER})},
        token_id=9,
        scopes=frozenset({"passport.credential.issue"}),
    )
    credential = credential_issue(
        actor=token, holder=volunteer, credential_type=dbs_type, claims=dbs_claims()
    )
    assert credential.issued_by is None
    assert AuditEntry.objects.get(action="credential.issue").detail["api_token_id"] == 9


def test_rotation_keeps_earlier_credentials_verifying(
    client: Client, cvs, cvs_verifier, volunteer, dbs_type
) -> None:
    before = issue_dbs(cvs_verifier, volunteer, dbs_type)
    issuer_key_rotate(actor=None, organisation=cvs)
    after = issue_dbs(cvs_verifier, volunteer, dbs_type)
    assert before.issuer_key != after.issuer_key
    assert helpers.verify(client, before, nonce="x").status == "valid"
    assert helpers.verify(client, after, nonce="y").status == "valid"


def test_the_credential_a_holder_would_present(cvs_verifier, volunteer, dbs_type) -> None:
    from covenant.core.errors import NotFound

    older = issue_dbs(cvs_verifier, volunteer, dbs_type, issue_date=days_ago(400))
    newer = issue_dbs(cvs_verifier, volunteer, dbs_type)
    assert selectors.holder_credential(volunteer, dbs_type.vct, now=clock.now()) == newer
    credential_suspend(actor=cvs_verifier, credential=newer, reason="under_review")
    assert selectors.holder_credential(volunteer, dbs_type.vct, now=clock.now()) == older
    credential_revoke(actor=cvs_verifier, credential=older, reason="superseded")
    with pytest.raises(NotFound):
        selectors.holder_credential(volunteer, dbs_type.vct, now=clock.now())
