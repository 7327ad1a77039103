"""An organisation registers, the CVS verifies it, and the public finds it in the directory."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from covenant.core.models import Organisation, VerificationStatus
from covenant.core.tests.factories import NodeRoleFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"  # the factories' password


def sign_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_role("textbox", name=re.compile(r"^\s*email", re.I)).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.locator("main form").get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page).to_have_url(re.compile(r"/dashboard/"))


@pytest.mark.django_db(transaction=True)
def test_register_then_verify_then_find(new_page, phone_viewport, axe, settings):
    # The CVS member of staff here has no authenticator app to scan; the second-factor rule
    # has its own tests (core/tests/test_views.py).
    settings.COVENANT_MFA_REQUIRED = False
    UserFactory(email="founder@example.org")
    NodeRoleFactory(role="cvs_staff", user__email="staff@example.org")

    page = new_page(viewport=phone_viewport)
    sign_in(page, "founder@example.org")
    page.get_by_role("link", name="Register an organisation").click()
    page.get_by_label("Organisation name").fill("Whiston Men's Shed")
    page.get_by_role("radio", name="Registered charity").check()
    page.get_by_label("Registered charity number").fill("12AB")
    page.get_by_role("button", name="Register the organisation").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("is not a registered charity number")
    expect(page).to_have_title(re.compile(r"^Error: "))
    axe(page)
    page.get_by_label("Registered charity number").fill("1123456")
    page.get_by_role("button", name="Register the organisation").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Whiston Men's Shed")
    expect(page.get_by_text("Waiting for a check")).to_be_visible()
    axe(page)

    staff = new_page(viewport=phone_viewport)
    sign_in(staff, "staff@example.org")
    staff.get_by_role("link", name="Go to the verification queue").click()
    axe(staff)
    staff.get_by_role("link", name="Whiston Men's Shed").click()
    staff.get_by_label("Yes, verify it").check()
    staff.get_by_label("It is a member of the CVS").check()
    staff.get_by_role("button", name="Record the decision").click()
    expect(staff.locator(".govuk-notification-banner")).to_contain_text("is verified")
    organisation = Organisation.objects.get(name="Whiston Men's Shed")
    assert organisation.verification_status == VerificationStatus.VERIFIED
    assert organisation.is_member


@pytest.mark.django_db(transaction=True)
def test_directory_search_updates_as_you_type(page, axe):
    OrganisationFactory(name="Kirkby Foodbank")
    OrganisationFactory(name="Huyton Repair Café")
    page.goto("/organisations/")
    count = page.get_by_role("status")
    expect(count).to_have_text("2 organisations")
    page.get_by_label("Name or what they do").press_sequentially("foodb", delay=30)
    expect(count).to_have_text("1 organisation")
    expect(page.get_by_role("link", name="Kirkby Foodbank")).to_be_visible()
    expect(page.get_by_role("link", name="Huyton Repair Café")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"q=foodb"))
    axe(page)


@pytest.mark.django_db(transaction=True)
def test_directory_search_works_without_javascript(new_page):
    OrganisationFactory(name="Kirkby Foodbank")
    OrganisationFactory(name="Huyton Repair Café")
    page = new_page(javascript=False)
    page.goto("/organisations/")
    page.get_by_label("Name or what they do").fill("repair")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status")).to_have_text("1 organisation")
    expect(page.get_by_role("link", name="Huyton Repair Café")).to_be_visible()
