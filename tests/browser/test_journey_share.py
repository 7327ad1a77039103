"""A coordinator asks a volunteer for a DBS check; the volunteer opens the link on their phone
and consents; the coordinator sees the verified result."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from covenant.core import clock
from covenant.core.models import OrganisationKind, OrgRole
from covenant.core.tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    VolunteerProfileFactory,
)
from covenant.passport.models import Share, ShareRequest
from covenant.passport.registry import DBS_CHECK_VCT
from covenant.passport.selectors import credential_type_by_vct
from covenant.passport.services import (
    credential_issue,
    credential_types_builtin_sync,
    issuer_key_rotate,
)

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"  # the factories' password


def fill_sign_in(page: Page, email: str) -> None:
    page.get_by_role("textbox", name=re.compile(r"^\s*email", re.I)).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.locator("main form").get_by_role("button", name=re.compile("sign in", re.I)).click()


@pytest.mark.django_db(transaction=True)
def test_coordinator_asks_volunteer_consents_on_a_phone(new_page, phone_viewport, axe, settings):
    # The coordinator here has no authenticator app to scan; the second-factor rule has its own
    # tests (core/tests/test_views.py).
    settings.COVENANT_MFA_REQUIRED = False
    credential_types_builtin_sync()  # a transactional test before this one emptied the table
    cvs = OrganisationFactory(name="Knowsley CVS", kind=OrganisationKind.CHARITY, runs_node=True)
    issuer_key_rotate(actor=None, organisation=cvs)
    verifier = MembershipFactory(organisation=cvs, role=OrgRole.VERIFIER).user
    MembershipFactory(organisation=cvs, role=OrgRole.COORDINATOR, user__email="cora@example.org")
    volunteer = VolunteerProfileFactory(
        user__email="val@example.org", user__full_name="Val Unteer"
    ).user
    credential_issue(
        actor=verifier,
        holder=volunteer,
        credential_type=credential_type_by_vct(DBS_CHECK_VCT),
        claims={
            "level": "enhanced",
            "workforce": "adult",
            "barred_lists_checked": ["adults"],
            "outcome": "clear",
            "certificate_number": "001234567890",
            "issue_date": (clock.today() - timedelta(days=40)).isoformat(),
            "update_service_subscribed": True,
        },
        notify=False,
    )

    # The coordinator asks for a DBS check for a role.
    office = new_page()
    office.goto("/passport/requests/new/")
    fill_sign_in(office, "cora@example.org")
    expect(office.get_by_role("heading", level=1)).to_have_text("Ask a volunteer for a check")
    office.get_by_label("What role or task is the check for?").fill("Befriender")
    dbs = office.get_by_role("group", name="DBS check: which details do you need?")
    for detail in ("Level of check", "Workforce", "Outcome", "Date of issue"):
        dbs.get_by_label(detail).check()
    expect(dbs.get_by_label("Certificate number")).to_have_count(0)
    office.get_by_role("button", name="Create the request").click()
    expect(office.get_by_role("heading", level=1)).to_contain_text("Check for Befriender")
    expect(office.get_by_role("img", name="QR code of the link to this request")).to_be_visible()
    link = office.locator("p.app-code").first.inner_text().strip()
    share_request = ShareRequest.objects.get()
    assert urlsplit(link).path == f"/passport/share/{share_request.uid}/"
    axe(office)

    # The volunteer opens the link on their phone, signs in, and sees what goes to whom.
    phone = new_page(viewport=phone_viewport)
    phone.goto(urlsplit(link).path)
    fill_sign_in(phone, "val@example.org")
    expect(phone).to_have_url(re.compile(rf"/passport/share/{share_request.uid}/$"))
    expect(phone.get_by_role("heading", level=1)).to_contain_text(
        "Knowsley CVS asks to see your passport"
    )
    summary = phone.locator(".govuk-summary-list")
    expect(summary).to_contain_text("Level of check")
    expect(summary).to_contain_text("Date of issue")
    expect(summary).not_to_contain_text("Certificate number")
    axe(phone)
    phone.get_by_role("button", name="Share", exact=True).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("What you have shared")
    expect(phone.locator(".govuk-notification-banner")).to_contain_text("Shared with Knowsley CVS")
    expect(phone.get_by_role("link", name=re.compile("Withdraw"))).to_be_visible()
    axe(phone)
    assert Share.objects.get().outcome == "verified"

    # The coordinator sees the verified result.
    office.reload()
    expect(office.get_by_role("heading", name="Verified result")).to_be_visible()
    main = office.locator("main")
    expect(main).to_contain_text("Enhanced")
    expect(main).to_contain_text("Adult workforce")
    expect(main).to_contain_text("Clear: no information on the certificate")
    expect(main).to_contain_text("DBS check from Knowsley CVS")
    expect(main).not_to_contain_text("001234567890")
    axe(office)
