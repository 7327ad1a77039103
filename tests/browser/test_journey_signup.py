"""A new volunteer joins on their phone, signs out, and comes back.

Elements are found the way a person finds them, by their label or their role and words, so
the journey survives restyling; if one of these lookups fails, a real person would be stuck
at the same place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from covenant.core.models import User

pytestmark = pytest.mark.browser

FULL_NAME = "Ada Okonkwo"
PASSWORD = "lantern-harbour-47"
POSTCODE = "L36 9YU"

SIGN_UP = re.compile(r"^\s*(sign up|create (an |your )?account)\b", re.IGNORECASE)
SIGN_IN = re.compile(r"^\s*(sign in|log in)\b", re.IGNORECASE)
EMAIL = re.compile(r"^\s*email", re.IGNORECASE)
SIGN_OUT = re.compile(r"^\s*(sign out|log out)\b", re.IGNORECASE)


def link_or_button(page: Page, name: re.Pattern[str]) -> Locator:
    """A link styled as a button (GOV.UK's start button has role=button) is found either way."""
    return page.get_by_role("link", name=name).or_(page.get_by_role("button", name=name)).first


def sign_up(page: Page, *, email: str) -> None:
    """From the home page: follow "Sign up" and answer the questions."""
    page.goto("/")
    link_or_button(page, SIGN_UP).click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/"))
    page.get_by_label("Full name").fill(FULL_NAME)
    page.get_by_role("textbox", name=EMAIL).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label(re.compile(r"password.*(again|confirm)|confirm.*password", re.I)).fill(
        PASSWORD
    )
    page.get_by_label("Postcode").fill(POSTCODE)


def submit(page: Page, name: re.Pattern[str]) -> None:
    page.locator("main form").get_by_role("button", name=name).click()


def in_menu(page: Page, control: Locator) -> Locator:
    """On a phone the header's links sit behind a "Menu" button; open it as a person would."""
    if not control.is_visible():
        menu = page.get_by_role("button", name=re.compile(r"^\s*menu\b", re.IGNORECASE))
        if menu.is_visible():
            menu.click()
    return control


def sign_out(page: Page) -> None:
    """Whatever the header offers: a button that posts, or a link to allauth's confirm page."""
    in_menu(page, link_or_button(page, SIGN_OUT)).click()
    if "/accounts/logout/" in page.url:
        submit(page, SIGN_OUT)
    expect(link_or_button(page, SIGN_IN)).to_be_visible()


def test_volunteer_signs_up_on_a_phone_signs_out_and_signs_back_in(
    phone_page: Page,
    axe: Callable[..., Any],
    assert_styled: Callable[[Page], None],
) -> None:
    page = phone_page
    email = "ada.okonkwo@example.org"

    sign_up(page, email=email)
    assert_styled(page)
    axe(page)
    submit(page, SIGN_UP)

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_text(FULL_NAME).first).to_be_visible()
    user = User.objects.get(email=email)
    assert user.full_name == FULL_NAME
    assert user.volunteer.postcode == POSTCODE

    sign_out(page)
    link_or_button(page, SIGN_IN).click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert_styled(page)
    axe(page)
    page.get_by_role("textbox", name=EMAIL).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    submit(page, SIGN_IN)

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_text(FULL_NAME).first).to_be_visible()
    assert_styled(page)
    axe(page)


def test_sign_up_works_without_javascript(
    new_page: Callable[..., Page], phone_viewport: Any
) -> None:
    page = new_page(viewport=phone_viewport, javascript=False)
    email = "no.script@example.org"

    sign_up(page, email=email)
    submit(page, SIGN_UP)

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_text(FULL_NAME).first).to_be_visible()
    assert User.objects.get(email=email).volunteer.postcode == POSTCODE


def test_home_page_is_styled_at_phone_width(
    phone_page: Page, assert_styled: Callable[[Page], None], axe: Callable[..., Any]
) -> None:
    phone_page.goto("/")
    assert_styled(phone_page)
    # Nothing wider than the screen: a phone user should never scroll sideways.
    overflow = phone_page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the home page is {overflow}px wider than a 360px phone"
    axe(phone_page)
