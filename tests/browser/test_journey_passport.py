"""A verifier adds a DBS check to a volunteer's passport; the volunteer sees it on their phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from covenant.core import clock
from covenant.core.models import OrganisationKind, OrgRole
from covenant.core.tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    VolunteerProfileFactory,
)
from covenant.passport.models import Credential
from covenant.passport.services import credential_types_builtin_sync, issuer_key_rotate

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"  # the factories' password


def sign_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_role("textbox", name=re.compile(r"^\s*email", re.I)).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.locator("main form").get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page).to_have_url(re.compile(r"/dashboard/"))


@pytest.mark.django_db(transaction=True)
def test_verifier_issues_a_dbs_check_and_the_volunteer_sees_it(
    new_page, phone_viewport, axe, settings
):
    # The verifier here has no authenticator app to scan; the second-factor rule has its own
    # tests (core/tests/test_views.py).
    settings.COVENANT_MFA_REQUIRED = False
    credential_types_builtin_sync()  # a transactional test before this one emptied the table
    cvs = OrganisationFactory(name="Knowsley CVS", kind=OrganisationKind.CHARITY, runs_node=True)
    issuer_key_rotate(actor=None, organisation=cvs)
    MembershipFactory(organisation=cvs, role=OrgRole.VERIFIER, user__email="vera@example.org")
    VolunteerProfileFactory(user__email="val@example.org", user__full_name="Val Unteer")

    staff = new_page()
    sign_in(staff, "vera@example.org")
    staff.get_by_role("link", name="Add a credential to a volunteer's passport").click()
    staff.get_by_label("The volunteer's email address").fill("val@example.org")
    staff.get_by_role("radio", name="DBS check", exact=True).check()
    staff.get_by_role("button", name="Continue").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Val Unteer")

    # A mistake first: the certificate number is short and the declaration is not ticked.
    staff.get_by_role("radio", name="Enhanced", exact=True).check()
    staff.get_by_role("radio", name="Adult workforce", exact=True).check()
    staff.get_by_role("checkbox", name="Adults' barred list").check()
    staff.get_by_role("radio", name=re.compile(r"^Clear")).check()
    staff.get_by_label("Certificate number").fill("0012 3456")
    issued_on = clock.today() - timedelta(days=40)
    staff.get_by_label("Day").fill(str(issued_on.day))
    staff.get_by_label("Month").fill(str(issued_on.month))
    staff.get_by_label("Year").fill(str(issued_on.year))
    staff.get_by_role("group", name="Subscribed to the DBS Update Service").get_by_label(
        "Yes"
    ).check()
    staff.get_by_label("How did you check the evidence?").fill("Saw the original certificate.")
    staff.get_by_role("button", name="Add to their passport").click()
    summary = staff.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Confirm that you have checked the evidence")
    expect(staff).to_have_title(re.compile(r"^Error: "))
    axe(staff)

    staff.get_by_label("I have checked the original evidence").check()
    staff.get_by_role("button", name="Add to their passport").click()
    expect(summary).to_contain_text("is not a valid certificate number")
    staff.get_by_label("Certificate number").fill("0012 3456 7890")
    staff.get_by_label("I have checked the original evidence").check()
    staff.get_by_role("button", name="Add to their passport").click()
    expect(staff.locator(".govuk-notification-banner")).to_contain_text(
        "DBS check added to Val Unteer's passport"
    )
    expect(staff.get_by_text("001234567890")).to_be_visible()
    axe(staff)
    credential = Credential.objects.get()
    assert credential.holder.email == "val@example.org"

    phone = new_page(viewport=phone_viewport)
    sign_in(phone, "val@example.org")
    phone.get_by_role("link", name="Your volunteer passport").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your volunteer passport")
    card = phone.locator(".govuk-summary-card").filter(has_text="DBS check")
    expect(card).to_contain_text("Valid")
    expect(card).to_contain_text("Knowsley CVS")
    expect(phone.get_by_role("heading", name="Renewal forecast")).to_be_visible()
    # Nothing spills sideways on a small phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= phone_viewport["width"]
    axe(phone)

    card.get_by_role("link", name=re.compile("^View")).click()
    expect(phone.get_by_text("Enhanced")).to_be_visible()
    expect(phone.get_by_role("link", name="Download for a wallet app")).to_be_visible()
    axe(phone)
