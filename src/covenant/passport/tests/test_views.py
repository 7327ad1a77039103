"""The passport pages through the test client: a verifier adds a credential, the volunteer sees
and downloads it on their phone, the verifier revokes it, the volunteer sees that too."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from covenant.core import clock
from covenant.core.models import AuditEntry, OrgRole
from covenant.core.tests.factories import UserFactory
from covenant.passport import sdjwt
from covenant.passport.models import Credential, CredentialState
from covenant.passport.services import credential_issue, credential_revoke

from .conftest import days_ago, dbs_claims, member, reference_claims

pytestmark = pytest.mark.django_db

PHONE = {"HTTP_USER_AGENT": "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36"}


def with_mfa(user):
    """Verifiers need a second factor (test settings enforce it, like production)."""
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


def signed_in(user) -> Client:
    client = Client(**PHONE)
    client.force_login(user)
    return client


def dbs_form(**overrides) -> dict[str, object]:
    day = clock.today() - timedelta(days=60)
    data: dict[str, object] = {
        "level": "enhanced",
        "workforce": "adult",
        "barred_lists_checked": ["adults"],
        "outcome": "clear",
        "certificate_number": "0012 3456 7890",
        "issue_date_day": str(day.day),
        "issue_date_month": str(day.month),
        "issue_date_year": str(day.year),
        "update_service_subscribed": "yes",
        "evidence-note": "Saw the original certificate in person.",
        "evidence-checked": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def verifier_client(cvs_verifier) -> Client:
    return signed_in(with_mfa(cvs_verifier))


def start(client: Client, email: str, type_slug: str = "dbs-check"):
    return client.post(
        reverse("passport:issue_start"), {"email": email, "credential_type": type_slug}
    )


def test_issue_then_hold_then_download_then_revoke(
    verifier_client,
    cvs_verifier,
    volunteer,
    dbs_type,
    mailoutbox,
    django_capture_on_commit_callbacks,
) -> None:
    page = verifier_client.get(reverse("passport:issue_start"))
    assert page.status_code == 200
    assert "DBS check" in page.content.decode()

    response = start(verifier_client, "VAL@example.org ")
    assert response.status_code == 302
    assert response["Location"] == reverse("passport:issue_details")
    form = verifier_client.get(response["Location"]).content.decode()
    assert "Val Unteer" in form
    assert 'name="issue_date_day"' in form
    assert "govuk-date-input" in form
    assert "I have checked the original evidence" in form

    with django_capture_on_commit_callbacks(execute=True):
        done = verifier_client.post(reverse("passport:issue_details"), dbs_form())
    credential = Credential.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("passport:credential", args=[credential.uid])
    assert credential.holder == volunteer
    assert credential.evidence_note() == "Saw the original certificate in person."
    claims = {n: v for n, (_, v) in sdjwt.read_holding(credential.sd_jwt()).disclosable.items()}
    assert claims == dbs_claims()
    [mail] = mailoutbox
    assert mail.to == [volunteer.email]

    # The volunteer, on their phone.
    phone = signed_in(volunteer)
    passport = phone.get(reverse("passport:mine")).content.decode()
    assert "Your volunteer passport" in passport
    assert "DBS check" in passport
    assert "Knowsley CVS" in passport
    assert "govuk-tag--green" in passport
    assert ">Valid<" in passport
    assert "Renewal forecast" in passport
    assert credential.expires_at.strftime("%-d %B %Y") in passport
    assert "001234567890" not in passport, "the list shows no claims"
    assert not AuditEntry.objects.filter(action="credential.view").exists()

    detail = phone.get(reverse("passport:credential", args=[credential.uid])).content.decode()
    assert "001234567890" in detail
    assert "Enhanced" in detail
    assert "Adults&#x27; barred list" in detail
    assert "we record who it was" in detail
    assert "Revoke" not in detail
    view = AuditEntry.objects.get(action="credential.view")
    assert view.actor_id == volunteer.pk

    download = phone.get(reverse("passport:credential_download", args=[credential.uid]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/dc+sd-jwt"
    assert download["Content-Disposition"].startswith('attachment; filename="dbs-check-')
    assert download["Content-Disposition"].endswith('.sd-jwt"')
    assert download["Cache-Control"] == "no-store"
    assert download.content.decode() == credential.sd_jwt()
    sdjwt.read_holding(download.content.decode())  # a well-formed SD-JWT

    # The verifier revokes it.
    issuer_view = verifier_client.get(reverse("passport:credential", args=[credential.uid]))
    assert "Revoke" in issuer_view.content.decode()
    confirm = verifier_client.get(reverse("passport:credential_revoke", args=[credential.uid]))
    assert "Revoking is permanent" in confirm.content.decode()
    refused = verifier_client.post(reverse("passport:credential_revoke", args=[credential.uid]), {})
    assert refused.status_code == 200
    assert "govuk-error-summary" in refused.content.decode()
    revoked = verifier_client.post(
        reverse("passport:credential_revoke", args=[credential.uid]),
        {"reason": "no_longer_accurate"},
    )
    assert revoked.status_code == 302
    credential.refresh_from_db()
    assert credential.state == CredentialState.REVOKED

    passport = phone.get(reverse("passport:mine")).content.decode()
    assert "govuk-tag--red" in passport
    assert ">Revoked<" in passport
    detail = phone.get(reverse("passport:credential", args=[credential.uid])).content.decode()
    assert "What it says is no longer accurate" in detail


def test_errors_show_beside_their_fields_and_nothing_is_issued(
    verifier_client, volunteer, dbs_type
) -> None:
    start(verifier_client, volunteer.email)
    response = verifier_client.post(
        reverse("passport:issue_details"),
        dbs_form(
            certificate_number="12AB",
            issue_date_day="31",
            issue_date_month="2",
            level="",
            **{"evidence-checked": ""},
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in page
    assert "govuk-error-summary" in page
    assert "Date of issue must be a real date" in page
    assert "Choose level of check" in page
    assert "Confirm that you have checked the evidence" in page
    assert 'href="#id_issue_date"' in page  # the summary links to the day box
    assert 'id="id_issue_date"' in page
    assert not Credential.objects.exists()
    # The service's own checks land beside the field too.
    response = verifier_client.post(
        reverse("passport:issue_details"), dbs_form(certificate_number="12AB")
    )
    page = response.content.decode()
    assert "is not a valid certificate number" in page
    assert 'id="id_certificate_number-error"' in page
    too_old = clock.today() - timedelta(days=1200)
    response = verifier_client.post(
        reverse("passport:issue_details"),
        dbs_form(
            issue_date_day=str(too_old.day),
            issue_date_month=str(too_old.month),
            issue_date_year=str(too_old.year),
        ),
    )
    assert "ran out on" in response.content.decode()
    assert 'id="id_issue_date-error"' in response.content.decode()
    assert not Credential.objects.exists()


def test_volunteers_are_found_by_exact_email_only(verifier_client, volunteer, dbs_type) -> None:
    for guess in ("val@", "example.org", "val", "val@example.org.uk"):
        response = start(verifier_client, guess)
        assert response.status_code == 200
        assert "Val Unteer" not in response.content.decode()
    response = start(verifier_client, "nobody@example.org")
    assert "No one uses this email address here" in response.content.decode()


def test_a_verifier_cannot_add_to_their_own_passport(verifier_client, cvs_verifier) -> None:
    response = start(verifier_client, cvs_verifier.email)
    assert "You cannot add a credential to your own passport" in response.content.decode()


def test_types_the_organisation_may_not_issue_are_not_offered(
    charity_verifier, volunteer, builtin_types
) -> None:
    client = signed_in(with_mfa(charity_verifier))
    page = client.get(reverse("passport:issue_start")).content.decode()
    assert "Reference" in page
    assert "DBS check" not in page
    response = start(client, volunteer.email, "dbs-check")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_the_details_page_needs_the_first_step(verifier_client) -> None:
    response = verifier_client.get(reverse("passport:issue_details"))
    assert response["Location"] == reverse("passport:issue_start")


def test_people_who_are_not_verifiers_cannot_issue(client: Client, volunteer) -> None:
    client.force_login(volunteer)
    assert client.get(reverse("passport:issue_start")).status_code == 403
    assert client.get(reverse("passport:issued")).status_code == 403
    client.logout()
    assert client.get(reverse("passport:issue_start")).status_code == 302


def test_a_credential_is_hidden_from_everyone_else(
    cvs, cvs_verifier, volunteer, dbs_type, charity
) -> None:
    credential = credential_issue(
        actor=cvs_verifier, holder=volunteer, credential_type=dbs_type, claims=dbs_claims()
    )
    url = reverse("passport:credential", args=[credential.uid])
    stranger = signed_in(UserFactory.create())
    assert stranger.get(url).status_code == 404
    assert (
        stranger.get(reverse("passport:credential_download", args=[credential.uid])).status_code
        == 404
    )
    other_verifier = signed_in(with_mfa(member(charity, OrgRole.VERIFIER)))
    assert other_verifier.get(url).status_code == 404
    assert (
        other_verifier.post(
            reverse("passport:credential_revoke", args=[credential.uid]), {"reason": "superseded"}
        ).status_code
        == 404
    )
    # The issuer's verifier sees it but cannot download the holder's copy.
    issuer = signed_in(with_mfa(cvs_verifier))
    assert issuer.get(url).status_code == 200
    assert (
        issuer.get(reverse("passport:credential_download", args=[credential.uid])).status_code
        == 403
    )
    assert not AuditEntry.objects.filter(action="credential.download").exists()
    credential.refresh_from_db()
    assert credential.state == CredentialState.ACTIVE


def test_an_administrator_revokes_without_seeing_the_claims(
    cvs, cvs_verifier, volunteer, dbs_type
) -> None:
    credential = credential_issue(
        actor=cvs_verifier, holder=volunteer, credential_type=dbs_type, claims=dbs_claims()
    )
    admin = signed_in(with_mfa(member(cvs, OrgRole.ADMIN)))
    page = admin.get(reverse("passport:credential", args=[credential.uid])).content.decode()
    assert "001234567890" not in page
    assert "Revoke" in page
    assert not AuditEntry.objects.filter(action="credential.view").exists()
    response = admin.post(
        reverse("passport:credential_revoke", args=[credential.uid]), {"reason": "superseded"}
    )
    assert response.status_code == 302


def test_suspend_and_reinstate_pages(verifier_client, cvs_verifier, volunteer, dbs_type) -> None:
    credential = credential_issue(
        actor=cvs_verifier, holder=volunteer, credential_type=dbs_type, claims=dbs_claims()
    )
    suspend = reverse("passport:credential_suspend", args=[credential.uid])
    assert verifier_client.post(suspend, {"reason": "under_review"}).status_code == 302
    credential.refresh_from_db()
    assert credential.state == CredentialState.SUSPENDED
    page = signed_in(volunteer).get(reverse("passport:mine")).content.decode()
    assert ">Suspended<" in page
    again = verifier_client.post(suspend, {"reason": "under_review"}, follow=True)
    assert "Only an active credential can be suspended" in again.content.decode()
    reinstate = reverse("passport:credential_reinstate", args=[credential.uid])
    assert "Verifiers will accept" in verifier_client.get(reinstate).content.decode()
    assert verifier_client.post(reinstate).status_code == 302
    credential.refresh_from_db()
    assert credential.state == CredentialState.ACTIVE


def test_the_issued_list_finds_by_exact_email(
    verifier_client, cvs_verifier, volunteer, dbs_type, builtin_types, charity_verifier
) -> None:
    mine = credential_issue(
        actor=cvs_verifier, holder=volunteer, credential_type=dbs_type, claims=dbs_claims()
    )
    credential_issue(
        actor=charity_verifier,
        holder=volunteer,
        credential_type=builtin_types["reference"],
        claims=reference_claims(),
    )
    page = verifier_client.get(reverse("passport:issued"), {"email": "val@example.org"})
    text = page.content.decode()
    assert reverse("passport:credential", args=[mine.uid]) in text
    assert "Reference" not in text, "only what the verifier's organisations issued"
    nobody = verifier_client.get(reverse("passport:issued"), {"email": "val@example"})
    assert "issued nothing to val@example" in nobody.content.decode()


def test_the_passport_shows_expiring_soon_and_the_forecast_in_order(
    cvs_verifier, volunteer, dbs_type, builtin_types
) -> None:
    credential_issue(
        actor=cvs_verifier,
        holder=volunteer,
        credential_type=dbs_type,
        claims=dbs_claims(issue_date=days_ago(1095 - 20)),
    )
    credential_issue(
        actor=cvs_verifier,
        holder=volunteer,
        credential_type=builtin_types["first-aid"],
        claims={"qualification": "first_aid_at_work", "completed_on": days_ago(30)},
    )
    credential_issue(
        actor=cvs_verifier,
        holder=volunteer,
        credential_type=builtin_types["identity-check"],
        claims={"full_name": "Val Unteer", "method": "vouched", "checked_on": days_ago(1)},
    )
    page = signed_in(volunteer).get(reverse("passport:mine")).content.decode()
    assert ">Expiring soon<" in page
    assert "Renew now" in page
    assert "Does not expire" in page
    forecast = page[page.index("Renewal forecast") :]
    assert forecast.index("DBS check") < forecast.index("First aid training")
    assert "Identity check" not in forecast[: forecast.index("</ol>")]


def test_an_empty_passport_explains_itself(volunteer) -> None:
    page = signed_in(volunteer).get(reverse("passport:mine")).content.decode()
    assert "You have no credentials yet" in page


def test_the_dashboard_links_to_the_passport(verifier_client, volunteer) -> None:
    page = signed_in(volunteer).get(reverse("core:dashboard")).content.decode()
    assert reverse("passport:mine") in page
    assert reverse("passport:issue_start") not in page
    page = verifier_client.get(reverse("core:dashboard")).content.decode()
    assert reverse("passport:issue_start") in page
    assert reverse("passport:issued") in page


def test_a_revoked_credentials_details_stay_visible_until_retention(
    cvs_verifier, volunteer, dbs_type
) -> None:
    credential = credential_issue(
        actor=cvs_verifier, holder=volunteer, credential_type=dbs_type, claims=dbs_claims()
    )
    credential_revoke(actor=cvs_verifier, credential=credential, reason="superseded")
    page = signed_in(volunteer).get(reverse("passport:credential", args=[credential.uid]))
    assert "001234567890" in page.content.decode()


def test_the_passport_follows_the_clock(cvs_verifier, volunteer, dbs_type) -> None:
    credential = credential_issue(
        actor=cvs_verifier, holder=volunteer, credential_type=dbs_type, claims=dbs_claims()
    )
    phone = signed_in(volunteer)
    assert ">Valid<" in phone.get(reverse("passport:mine")).content.decode()
    with time_machine.travel(credential.expires_at - timedelta(days=89)):
        phone = signed_in(volunteer)  # a session from three years ago has ended
        page = phone.get(reverse("passport:mine")).content.decode()
        assert ">Expiring soon<" in page
        assert "Renew now" in page
    with time_machine.travel(credential.expires_at + timedelta(hours=1)):
        phone = signed_in(volunteer)
        page = phone.get(reverse("passport:mine")).content.decode()
        assert ">Expired<" in page
        assert f"expired on {credential.expires_at.strftime('%-d %B %Y')}" in page
