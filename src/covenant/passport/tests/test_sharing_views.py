"""The sharing pages through the test client: a coordinator asks, the volunteer answers on
their phone, the coordinator sees the result, the volunteer withdraws."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from covenant.core.models import AuditEntry, OrgRole
from covenant.core.tests.factories import UserFactory
from covenant.passport import sdjwt
from covenant.passport.models import (
    Credential,
    HolderKey,
    Share,
    ShareOutcome,
    ShareRequest,
    ShareRequestState,
)
from covenant.passport.registry import DBS_CHECK_VCT
from covenant.passport.services import credential_issue
from covenant.passport.sharing import DBS_SHAREABLE, share_request_create

from .conftest import dbs_claims, member
from .test_views import signed_in, with_mfa

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(cvs, cvs_key):
    return with_mfa(member(cvs, OrgRole.COORDINATOR))


@pytest.fixture
def dbs(cvs_verifier, volunteer, dbs_type) -> Credential:
    return credential_issue(
        actor=cvs_verifier, holder=volunteer, credential_type=dbs_type, claims=dbs_claims()
    )


def ask(coordinator, cvs) -> ShareRequest:
    return share_request_create(
        actor=coordinator,
        organisation=cvs,
        purpose="Befriender",
        requirements=[{"vct": DBS_CHECK_VCT, "claims": list(DBS_SHAREABLE)}],
    )


def test_the_whole_round_trip(
    coordinator, cvs, volunteer, dbs, mailoutbox, django_capture_on_commit_callbacks
):
    office = signed_in(coordinator)
    form = office.get(reverse("passport:share_request_new")).content.decode()
    assert 'name="claims-dbs-check"' in form
    offered = re.findall(r'name="claims-dbs-check" type="checkbox" value="([a-z_]+)"', form)
    assert offered == ["level", "workforce", "outcome", "issue_date"], "it cannot ask for more"
    made = office.post(
        reverse("passport:share_request_new"),
        {"purpose": "Befriender", "claims-dbs-check": ["level", "outcome"]},
    )
    request_ = ShareRequest.objects.get()
    assert made.status_code == 302
    assert made["Location"] == reverse("passport:share_request", args=[request_.uid])
    assert request_.requirements == [{"vct": DBS_CHECK_VCT, "claims": ["level", "outcome"]}]

    page = office.get(made["Location"]).content.decode()
    link = reverse("passport:share_respond", args=[request_.uid])
    assert link in page
    assert '<svg class="app-qr-code" role="img" aria-label=' in page
    assert "style=" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "Waiting for the volunteer" in page

    # The volunteer, on their phone, sees exactly what goes to whom.
    phone = signed_in(volunteer)
    ask_page = phone.get(link).content.decode()
    assert "Knowsley CVS asks to see your passport" in ask_page
    assert "govuk-summary-list" in ask_page
    assert "Level of check" in ask_page
    assert "Outcome" in ask_page
    assert "Workforce" not in ask_page
    assert "Certificate number" not in ask_page
    shared = phone.post(link, {"decision": "consent"})
    assert shared.status_code == 302
    assert shared["Location"] == reverse("passport:shared")
    share = Share.objects.get()
    assert share.outcome == ShareOutcome.VERIFIED
    listing = phone.get(reverse("passport:shared")).content.decode()
    assert "Knowsley CVS" in listing
    assert "Befriender" in listing
    assert "Level of check, Outcome" in listing
    assert reverse("passport:share_withdraw", args=[share.uid]) in listing

    # The coordinator sees the verified result, and the look is logged.
    result = office.get(made["Location"]).content.decode()
    assert "Verified result" in result
    assert "Enhanced" in result
    assert "Clear: no information on the certificate" in result
    assert "001234567890" not in result
    assert "Adult workforce" not in result, "the workforce was not asked for"
    assert AuditEntry.objects.filter(action="share.view", actor=coordinator).count() == 1

    # The volunteer withdraws, after confirming.
    confirm = phone.get(reverse("passport:share_withdraw", args=[share.uid]))
    assert "Withdraw what you shared with Knowsley CVS?" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        gone = phone.post(reverse("passport:share_withdraw", args=[share.uid]))
    assert gone.status_code == 302
    assert any("delete any copy" in m.body for m in mailoutbox)
    after = office.get(made["Location"]).content.decode()
    assert "withdrew this share" in after
    assert "Enhanced" not in after
    assert "Withdrawn" in phone.get(reverse("passport:shared")).content.decode()


def test_declining_from_the_phone(coordinator, cvs, volunteer, dbs):
    request_ = ask(coordinator, cvs)
    phone = signed_in(volunteer)
    response = phone.post(
        reverse("passport:share_respond", args=[request_.uid]), {"decision": "decline"}
    )
    assert response.status_code == 302
    request_.refresh_from_db()
    assert request_.state == ShareRequestState.DECLINED
    page = signed_in(coordinator).get(reverse("passport:share_request", args=[request_.uid]))
    assert "declined" in page.content.decode()


def test_without_a_valid_credential_the_volunteer_can_only_decline(coordinator, cvs, volunteer):
    request_ = ask(coordinator, cvs)
    page = signed_in(volunteer).get(reverse("passport:share_respond", args=[request_.uid]))
    text = page.content.decode()
    assert "you need a DBS check that is valid" in text
    assert 'value="consent"' not in text
    assert 'value="decline"' in text


def test_the_link_asks_a_stranger_to_sign_in(coordinator, cvs):
    request_ = ask(coordinator, cvs)
    response = Client().get(reverse("passport:share_respond", args=[request_.uid]))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_wallet_presentation_pasted_by_the_organisation(coordinator, cvs, volunteer, dbs):
    request_ = ask(coordinator, cvs)
    key = HolderKey.objects.get(holder=volunteer, active=True)
    with key.unsealed() as private:
        presentation = sdjwt.present(
            dbs.sd_jwt(),
            disclose=["level"],
            holder_key=private,
            aud=request_.audience,
            nonce=request_.nonce,
            iat=int(request_.created_at.timestamp()),
        )
    office = signed_in(coordinator)
    url = reverse("passport:share_request_verify", args=[request_.uid])
    refused = office.post(url, {"presentation": presentation}, follow=True).content.decode()
    assert "The presentation was refused" in refused
    assert "does not reveal every claim" in refused
    empty = office.post(url, {"presentation": ""})
    assert empty.status_code == 200
    assert "govuk-error-summary" in empty.content.decode()


def test_other_people_get_404(coordinator, cvs, volunteer, dbs, charity):
    request_ = ask(coordinator, cvs)
    stranger_org = signed_in(with_mfa(member(charity, OrgRole.COORDINATOR)))
    assert (
        stranger_org.get(reverse("passport:share_request", args=[request_.uid])).status_code == 404
    )
    assert (
        signed_in(volunteer).get(reverse("passport:share_request", args=[request_.uid])).status_code
        == 404
    )
    signed_in(volunteer).post(
        reverse("passport:share_respond", args=[request_.uid]), {"decision": "consent"}
    )
    share = Share.objects.get()
    other = signed_in(UserFactory.create())
    assert other.get(reverse("passport:share_withdraw", args=[share.uid])).status_code == 404
    assert other.post(reverse("passport:share_withdraw", args=[share.uid])).status_code == 404
    share.refresh_from_db()
    assert share.withdrawn_at is None


def test_only_staff_make_requests(volunteer):
    page = signed_in(volunteer).get(reverse("passport:share_request_new"))
    assert page.status_code == 403


def test_the_request_list(coordinator, cvs):
    ask(coordinator, cvs)
    page = signed_in(coordinator).get(reverse("passport:share_requests")).content.decode()
    assert "Befriender" in page
    assert "Waiting for the volunteer" in page


def test_after_retention_the_organisation_sees_that_it_was_deleted(
    coordinator, cvs, volunteer, dbs
):
    from datetime import timedelta

    import time_machine

    from covenant.passport.lifecycle import RETENTION_DAYS
    from covenant.passport.sharing import shares_retention_purge

    request_ = ask(coordinator, cvs)
    signed_in(volunteer).post(
        reverse("passport:share_respond", args=[request_.uid]), {"decision": "consent"}
    )
    share = Share.objects.get()
    with time_machine.travel(share.created_at + timedelta(days=RETENTION_DAYS + 1)):
        shares_retention_purge()
    page = signed_in(coordinator).get(reverse("passport:share_request", args=[request_.uid]))
    text = page.content.decode()
    assert "deleted, six months later" in text
    assert "Enhanced" not in text
    assert not AuditEntry.objects.filter(action="share.view").exists()


def test_the_dashboard_and_passport_lead_to_sharing(coordinator, volunteer):
    office = signed_in(coordinator).get(reverse("core:dashboard")).content.decode()
    assert reverse("passport:share_requests") in office
    home = signed_in(volunteer).get(reverse("core:dashboard")).content.decode()
    assert reverse("passport:share_requests") not in home
    assert reverse("passport:shared") in home
    passport = signed_in(volunteer).get(reverse("passport:mine")).content.decode()
    assert reverse("passport:shared") in passport
