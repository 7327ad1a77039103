"""Sharing services: asking, consenting, declining, withdrawing, verifying what a wallet
brings, and what the organisation may see."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from covenant.core import clock
from covenant.core.errors import Conflict, NotAuthenticated, PermissionDenied, ValidationFailed
from covenant.core.models import AuditEntry, OrgRole
from covenant.core.tests.factories import UserFactory
from covenant.passport import jose, sdjwt
from covenant.passport.models import (
    Credential,
    HolderKey,
    Share,
    ShareOutcome,
    ShareRequest,
    ShareRequestState,
)
from covenant.passport.registry import DBS_CHECK_VCT
from covenant.passport.services import credential_issue, credential_revoke
from covenant.passport.sharing import (
    DBS_SHAREABLE,
    share_claims_view,
    share_consent,
    share_decline,
    share_request_create,
    share_withdraw,
)
from covenant.passport.sharing import (
    presentation_verify as verify,
)

from .conftest import dbs_claims, member

pytestmark = pytest.mark.django_db

DBS_ASK = [{"vct": DBS_CHECK_VCT, "claims": list(DBS_SHAREABLE)}]


@pytest.fixture
def coordinator(cvs, cvs_key):
    return member(cvs, OrgRole.COORDINATOR)


@pytest.fixture
def dbs(cvs_verifier, volunteer, dbs_type) -> Credential:
    return credential_issue(
        actor=cvs_verifier, holder=volunteer, credential_type=dbs_type, claims=dbs_claims()
    )


@pytest.fixture
def request_(coordinator, cvs) -> ShareRequest:
    return share_request_create(
        actor=coordinator, organisation=cvs, purpose="Befriender", requirements=DBS_ASK
    )


def wallet_present(credential: Credential, request: ShareRequest, claims, **overrides) -> str:
    key = HolderKey.objects.get(holder=credential.holder, active=True)
    with key.unsealed() as private:
        return sdjwt.present(
            credential.sd_jwt(),
            disclose=claims,
            holder_key=private,
            aud=overrides.get("aud", request.audience),
            nonce=overrides.get("nonce", request.nonce),
            iat=overrides.get("iat", int(clock.now().timestamp())),
        )


def decoded_parts(presentation: str) -> str:
    """Everything a reader of the presentation could decode: each JWT's header and payload,
    each disclosure."""
    texts = []
    parts = presentation.split("~")
    for jwt in (parts[0], parts[-1]):
        header, payload, _ = jwt.split(".")
        texts += [jose.b64url_decode(header).decode(), jose.b64url_decode(payload).decode()]
    texts += [jose.b64url_decode(d).decode() for d in parts[1:-1]]
    return "\n".join(texts)


# --- asking ----------------------------------------------------------------------------------


def test_a_coordinator_asks_with_a_fresh_nonce_for_their_organisation(request_, cvs, coordinator):
    assert request_.state == ShareRequestState.OPEN
    assert request_.audience.endswith(f"/issuers/{cvs.pk}")
    assert len(request_.nonce) >= 43
    assert request_.requirements == [
        {"vct": DBS_CHECK_VCT, "claims": ["level", "workforce", "outcome", "issue_date"]}
    ]
    assert request_.expires_at > request_.created_at
    assert AuditEntry.objects.filter(action="share_request.create", actor=coordinator).exists()
    other = share_request_create(
        actor=coordinator, organisation=cvs, purpose="Driver", requirements=DBS_ASK
    )
    assert other.nonce != request_.nonce


@pytest.mark.parametrize("role", [OrgRole.VERIFIER, OrgRole.ADMIN])
def test_verifiers_and_administrators_ask_too(cvs, cvs_key, builtin_types, role):
    asker = member(cvs, role)
    made = share_request_create(actor=asker, organisation=cvs, purpose="x", requirements=DBS_ASK)
    assert made.requested_by == asker


def test_nobody_else_asks(cvs, charity, builtin_types, volunteer):
    with pytest.raises(PermissionDenied):
        share_request_create(actor=volunteer, organisation=cvs, purpose="x", requirements=DBS_ASK)
    with pytest.raises(PermissionDenied):
        share_request_create(
            actor=member(charity, OrgRole.COORDINATOR),
            organisation=cvs,
            purpose="x",
            requirements=DBS_ASK,
        )
    with pytest.raises(NotAuthenticated):
        share_request_create(actor=None, organisation=cvs, purpose="x", requirements=DBS_ASK)


@pytest.mark.parametrize(
    "extra", ["certificate_number", "barred_lists_checked", "update_service_subscribed"]
)
def test_a_dbs_request_may_not_ask_for_more_than_level_workforce_outcome_and_date(
    coordinator, cvs, builtin_types, extra
):
    ask = [{"vct": DBS_CHECK_VCT, "claims": ["level", extra]}]
    with pytest.raises(ValidationFailed) as refused:
        share_request_create(actor=coordinator, organisation=cvs, purpose="x", requirements=ask)
    assert "only as its level, workforce, outcome and date" in refused.value.message
    assert extra in refused.value.message
    assert not ShareRequest.objects.exists()


@pytest.mark.parametrize(
    ("requirements", "words"),
    [
        ([], "at least one"),
        ([{"vct": "urn:nope", "claims": ["a"]}], "no credential type"),
        ([{"vct": DBS_CHECK_VCT, "claims": []}], "Choose which details"),
        ([{"vct": DBS_CHECK_VCT, "claims": ["shoe_size"]}], "has no detail shoe_size"),
        ([{"vct": DBS_CHECK_VCT, "claims": ["level"]}] * 2, "asked for twice"),
    ],
)
def test_requirements_are_checked_against_the_registry(
    coordinator, cvs, builtin_types, requirements, words
):
    from covenant.core.errors import CovenantError

    with pytest.raises(CovenantError) as refused:
        share_request_create(
            actor=coordinator, organisation=cvs, purpose="x", requirements=requirements
        )
    assert words in refused.value.message


def test_a_request_needs_a_purpose(coordinator, cvs, builtin_types):
    with pytest.raises(ValidationFailed) as refused:
        share_request_create(actor=coordinator, organisation=cvs, purpose=" ", requirements=DBS_ASK)
    assert refused.value.field == "purpose"


# --- consenting ------------------------------------------------------------------------------


def test_consent_shares_a_verified_presentation_revealing_only_the_requested_claims(
    request_, dbs, volunteer
):
    share = share_consent(
        actor=volunteer, request=request_, credential_choices={DBS_CHECK_VCT: dbs}
    )
    assert share.outcome == ShareOutcome.VERIFIED, share.reason
    assert share.volunteer == volunteer
    assert list(share.credentials.all()) == [dbs]
    assert share.disclosed[0]["claims"] == ["level", "workforce", "outcome", "issue_date"]
    assert share.disclosed[0]["issuer_name"] == "Knowsley CVS"
    request_.refresh_from_db()
    assert request_.state == ShareRequestState.FULFILLED
    assert request_.nonce_consumed

    # The stored copy is sealed: the database holds no claim value in the clear ...
    stored = Share.objects.get(pk=share.pk)
    assert b"enhanced" not in bytes(stored.presentation_sealed)
    # ... and unsealed, it reveals exactly the four claims and nothing else.
    [presentation] = stored.presentations()
    text = decoded_parts(presentation)
    for value in ("enhanced", "adult", "clear", dbs_claims()["issue_date"]):
        assert value in text
    for hidden in (
        "001234567890",
        "certificate_number",
        "barred_lists",
        "adults",
        "update_service",
    ):
        assert hidden not in text
    assert len(presentation.split("~")) == 2 + 4  # jwt, four disclosures, kb-jwt
    kb = json.loads(jose.b64url_decode(presentation.split("~")[-1].split(".")[1]))
    assert kb["aud"] == request_.audience
    assert kb["nonce"] == request_.nonce


def test_the_organisation_sees_the_claims_and_every_look_is_logged(
    request_, dbs, volunteer, coordinator
):
    share = share_consent(
        actor=volunteer, request=request_, credential_choices={DBS_CHECK_VCT: dbs}
    )
    [shown] = share_claims_view(actor=coordinator, share=share)
    assert shown.type_name == "DBS check"
    assert shown.issuer_name == "Knowsley CVS"
    assert dict(shown.claims)["Level of check"] == "Enhanced"
    assert [label for label, _ in shown.claims] == [
        "Level of check",
        "Workforce",
        "Outcome",
        "Date of issue",
    ]
    looks = AuditEntry.objects.filter(action="share.view")
    assert looks.count() == 1
    assert looks.get().actor == coordinator
    assert looks.get().detail["dbs"] is True
    share_claims_view(actor=coordinator, share=share)
    assert looks.count() == 2


def test_only_the_organisation_sees_what_was_shared(request_, dbs, volunteer, charity):
    share = share_consent(
        actor=volunteer, request=request_, credential_choices={DBS_CHECK_VCT: dbs}
    )
    with pytest.raises(PermissionDenied):
        share_claims_view(actor=member(charity, OrgRole.COORDINATOR), share=share)
    with pytest.raises(PermissionDenied):
        share_claims_view(actor=volunteer, share=share)


def test_a_volunteer_can_only_share_their_own_valid_credential(
    request_, dbs, cvs_verifier, dbs_type
):
    stranger = UserFactory.create()
    with pytest.raises(ValidationFailed):
        share_consent(actor=stranger, request=request_, credential_choices={DBS_CHECK_VCT: dbs})
    with pytest.raises(ValidationFailed):
        share_consent(actor=dbs.holder, request=request_, credential_choices={})
    credential_revoke(actor=cvs_verifier, credential=dbs, reason="issued_in_error")
    with pytest.raises(ValidationFailed):
        share_consent(actor=dbs.holder, request=request_, credential_choices={DBS_CHECK_VCT: dbs})
    assert not Share.objects.exists()


def test_consenting_twice_gives_one_share(request_, dbs, volunteer):
    share_consent(actor=volunteer, request=request_, credential_choices={DBS_CHECK_VCT: dbs})
    with pytest.raises(Conflict) as closed:
        share_consent(actor=volunteer, request=request_, credential_choices={DBS_CHECK_VCT: dbs})
    assert closed.value.code == "request_closed"
    assert Share.objects.filter(outcome=ShareOutcome.VERIFIED).count() == 1


def test_two_answers_racing_on_one_nonce_give_one_share(request_, dbs, volunteer, coordinator):
    """Both presentations are made before either is recorded (two phones, one link); the
    nonce is consumed by one conditional update, so the second is refused as a replay."""
    first = wallet_present(dbs, request_, list(DBS_SHAREABLE))
    second = wallet_present(dbs, request_, list(DBS_SHAREABLE))
    stale = ShareRequest.objects.get(pk=request_.pk)  # as the second process loaded it
    assert verify(actor=coordinator, request=request_, presentation=first).outcome == "verified"
    late = verify(actor=coordinator, request=stale, presentation=second)
    assert (late.outcome, late.reason_code) == (ShareOutcome.REFUSED, "kb_replayed")
    assert late.presentation_sealed is None
    assert Share.objects.filter(request=request_, outcome="verified").count() == 1
    # The database itself refuses a second verified share for one request.
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Share.objects.create(
            request=request_,
            outcome=ShareOutcome.VERIFIED,
            verified_at=clock.now(),
            created_at=clock.now(),
        )


def test_a_stored_presentation_replayed_is_refused(request_, dbs, volunteer, coordinator, cvs):
    share = share_consent(
        actor=volunteer, request=request_, credential_choices={DBS_CHECK_VCT: dbs}
    )
    [presentation] = share.presentations()
    again = verify(actor=coordinator, request=request_, presentation=presentation)
    assert again.reason_code == "kb_replayed"
    assert "already been answered" in again.reason
    fresh = share_request_create(
        actor=coordinator, organisation=cvs, purpose="Befriender", requirements=DBS_ASK
    )
    elsewhere = verify(actor=coordinator, request=fresh, presentation=presentation)
    assert elsewhere.reason_code == "kb_wrong_nonce"
    fresh.refresh_from_db()
    assert fresh.state == ShareRequestState.OPEN
    assert not fresh.nonce_consumed


def test_declining_closes_the_request(request_, dbs, volunteer):
    share_decline(actor=volunteer, request=request_)
    request_.refresh_from_db()
    assert request_.state == ShareRequestState.DECLINED
    with pytest.raises(Conflict):
        share_consent(actor=volunteer, request=request_, credential_choices={DBS_CHECK_VCT: dbs})
    assert AuditEntry.objects.filter(action="share.decline", actor=volunteer).exists()


def test_an_expired_request_is_refused(request_, dbs, volunteer, coordinator):
    with time_machine.travel(request_.expires_at + timedelta(seconds=1)):
        with pytest.raises(Conflict) as refused:
            share_consent(
                actor=volunteer, request=request_, credential_choices={DBS_CHECK_VCT: dbs}
            )
        assert refused.value.code == "request_expired"
        presented = wallet_present(dbs, request_, list(DBS_SHAREABLE))
        late = verify(actor=coordinator, request=request_, presentation=presented)
        assert late.reason_code == "request_expired"
    request_.refresh_from_db()
    assert request_.state == ShareRequestState.EXPIRED


# --- presentations from a wallet -------------------------------------------------------------


def test_a_wallet_presentation_verifies_and_finds_its_holder(request_, dbs, coordinator):
    presented = wallet_present(dbs, request_, list(DBS_SHAREABLE))
    share = verify(actor=coordinator, request=request_, presentation=presented + "\n")
    assert share.outcome == ShareOutcome.VERIFIED
    assert share.volunteer == dbs.holder
    assert AuditEntry.objects.filter(action="share.verified", actor=coordinator).exists()


@pytest.mark.parametrize(
    ("claims", "overrides", "code"),
    [
        (["level", "workforce", "outcome", "issue_date", "certificate_number"], {}, "claims_extra"),
        (["level"], {}, "claims_missing"),
        (list(DBS_SHAREABLE), {"aud": "https://elsewhere.example.org"}, "kb_wrong_audience"),
        (list(DBS_SHAREABLE), {"nonce": "guess"}, "kb_wrong_nonce"),
        (list(DBS_SHAREABLE), {"iat": 1}, "kb_stale"),
    ],
)
def test_a_wallet_presentation_is_refused_with_its_reason(
    request_, dbs, coordinator, claims, overrides, code
):
    presented = wallet_present(dbs, request_, claims, **overrides)
    share = verify(actor=coordinator, request=request_, presentation=presented)
    assert (share.outcome, share.reason_code) == (ShareOutcome.REFUSED, code)
    assert share.reason
    assert share.presentation_sealed is None
    request_.refresh_from_db()
    assert request_.state == ShareRequestState.OPEN


def test_a_tampered_or_revoked_presentation_is_refused(request_, dbs, coordinator, cvs_verifier):
    presented = wallet_present(dbs, request_, list(DBS_SHAREABLE))
    jwt, rest = presented.split(".", 1)
    flipped = jwt[:-2] + ("A" if jwt[-2] != "A" else "B") + jwt[-1] + "." + rest
    assert verify(actor=coordinator, request=request_, presentation=flipped).outcome == "refused"
    credential_revoke(actor=cvs_verifier, credential=dbs, reason="issued_in_error")
    revoked = verify(actor=coordinator, request=request_, presentation=presented)
    assert revoked.reason_code == "revoked"
    assert "revoked" in revoked.reason


def test_garbage_is_refused_not_crashed(request_, coordinator):
    with pytest.raises(ValidationFailed):
        verify(actor=coordinator, request=request_, presentation="   ")
    assert (
        verify(actor=coordinator, request=request_, presentation="a~b").reason_code == "malformed"
    )


def test_only_the_organisation_verifies_against_its_request(request_, volunteer, charity):
    with pytest.raises(PermissionDenied):
        verify(actor=volunteer, request=request_, presentation="x~y")
    with pytest.raises(PermissionDenied):
        verify(actor=member(charity, OrgRole.VERIFIER), request=request_, presentation="x~y")


# --- withdrawing -----------------------------------------------------------------------------


def test_withdrawing_erases_the_copy_hides_the_claims_and_tells_the_organisation(
    request_, dbs, volunteer, coordinator, cvs, django_capture_on_commit_callbacks
):
    cvs.email = "office@cvs.example.org"
    cvs.save()
    share = share_consent(
        actor=volunteer, request=request_, credential_choices={DBS_CHECK_VCT: dbs}
    )
    mail.outbox.clear()
    with pytest.raises(PermissionDenied):
        share_withdraw(actor=coordinator, share=share)
    with django_capture_on_commit_callbacks(execute=True):
        share_withdraw(actor=volunteer, share=share)
    share.refresh_from_db()
    assert share.withdrawn_at is not None
    assert share.presentation_sealed is None
    assert share.presentations() == []
    assert share_claims_view(actor=coordinator, share=share) == []
    assert share.org_told_to_delete_at is not None
    [email] = mail.outbox
    assert set(email.to) == {"office@cvs.example.org", coordinator.email}
    assert "delete any copy" in email.body
    assert "enhanced" not in email.body.lower()
    assert AuditEntry.objects.filter(action="share.withdraw", actor=volunteer).exists()
    with pytest.raises(Conflict):
        share_withdraw(actor=volunteer, share=share)


# --- retention -------------------------------------------------------------------------------


def test_the_shared_copy_is_erased_after_the_retention_period(
    request_, dbs, volunteer, coordinator
):
    from covenant.passport.lifecycle import RETENTION_DAYS
    from covenant.passport.sharing import shares_retention_purge

    share = share_consent(
        actor=volunteer, request=request_, credential_choices={DBS_CHECK_VCT: dbs}
    )
    assert shares_retention_purge() == 0
    with time_machine.travel(share.created_at + timedelta(days=RETENTION_DAYS - 1)):
        assert shares_retention_purge() == 0
    with time_machine.travel(share.created_at + timedelta(days=RETENTION_DAYS, seconds=1)):
        assert shares_retention_purge() == 1
    share.refresh_from_db()
    assert share.presentations() == []
    assert share_claims_view(actor=coordinator, share=share) == []
    assert share.disclosed[0]["claims"] == list(DBS_SHAREABLE), (
        "the record of what was shared stays"
    )
    assert AuditEntry.objects.filter(action="share.retention.purge").exists()
    with pytest.raises(PermissionDenied):
        shares_retention_purge(actor=coordinator)


def test_the_daily_retention_run_erases_old_shared_copies(request_, dbs, volunteer):
    from covenant.passport.lifecycle import RETENTION_DAYS
    from covenant.passport.tasks import passport_retention_run

    share = share_consent(
        actor=volunteer, request=request_, credential_choices={DBS_CHECK_VCT: dbs}
    )
    with time_machine.travel(share.created_at + timedelta(days=RETENTION_DAYS, seconds=1)):
        assert passport_retention_run.call()["shares"] == 1
    share.refresh_from_db()
    assert share.presentations() == []


def test_the_data_export_lists_shares_by_name_only(request_, dbs, volunteer):
    from covenant.core.services import person_data_export

    share_consent(actor=volunteer, request=request_, credential_choices={DBS_CHECK_VCT: dbs})
    section = person_data_export(actor=volunteer, user=volunteer)["passport"]
    [shared] = section["shared_with"]
    assert shared["organisation"] == "Knowsley CVS"
    assert shared["for"] == "Befriender"
    assert shared["details"] == [{"type": "DBS check", "claims": list(DBS_SHAREABLE)}]
    assert "enhanced" not in repr(section)
