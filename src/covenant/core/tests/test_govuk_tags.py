"""The GOV.UK form tags, the base layout and allauth's pages in GOV.UK dress.

The markup is parsed (django.test.html) rather than matched as text, so the assertions are
about elements, ids and classes, not whitespace.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django import forms
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.base import Message
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import Client
from django.test.html import Element, parse_html
from django.urls import reverse

from covenant.core.tests.factories import UserFactory

PASSWORD = "correct horse battery"
XSS = '"><script>alert(1)</script>'

# --- helpers -------------------------------------------------------------------------------


def parse(html: str) -> Element:
    root = parse_html(html)
    if isinstance(root, str):  # pragma: no cover - a fragment of only text
        raise AssertionError(f"no markup in {html!r}")
    return root


def walk(node: Element | str) -> Iterator[Element]:
    if isinstance(node, str):
        return
    yield node
    for child in node.children:
        yield from walk(child)


def attrs(el: Element) -> dict[str, str | None]:
    return dict(el.attributes)


def classes(el: Element) -> set[str]:
    return set((attrs(el).get("class") or "").split())


def find_all(root: Element, tag: str | None = None, **wanted: str) -> list[Element]:
    """Elements by tag and attributes; ``class_`` matches one class among several."""
    found = []
    for el in walk(root):
        if tag and el.name != tag:
            continue
        a = attrs(el)
        ok = True
        for key, value in wanted.items():
            if key == "class_":
                ok = ok and value in classes(el)
            else:
                ok = ok and a.get(key.rstrip("_").replace("_", "-")) == value
        if ok:
            found.append(el)
    return found


def find(root: Element, tag: str | None = None, **wanted: str) -> Element:
    found = find_all(root, tag, **wanted)
    assert len(found) == 1, f"expected one <{tag} {wanted}>, found {len(found)}"
    return found[0]


def text(node: Element | str) -> str:
    if isinstance(node, str):
        return node
    return " ".join(" ".join(text(c) for c in node.children).split())


def render(source: str, **context: object) -> Element:
    # The tags are a template builtin: no {% load %} here, as in every page.
    return parse("<div>" + Template(source).render(Context(context)) + "</div>")


# --- a form with every kind of control --------------------------------------------------------


class VolunteerForm(forms.Form):
    full_name = forms.CharField(
        label="Full name", widget=forms.TextInput(attrs={"placeholder": "Ann"})
    )
    postcode = forms.CharField(
        label="Postcode",
        help_text="For example, L36 9YU.",
        widget=forms.TextInput(
            attrs={"autocomplete": "postal-code", "class": "govuk-input--width-10"}
        ),
    )
    password = forms.CharField(label="Password", widget=forms.PasswordInput)
    about = forms.CharField(label="About you", widget=forms.Textarea, required=False)
    borough = forms.ChoiceField(label="Borough", choices=[("", "Choose"), ("knowsley", "Knowsley")])
    driver = forms.ChoiceField(
        label="Can you drive?", choices=[("yes", "Yes"), ("no", "No")], widget=forms.RadioSelect
    )
    channels = forms.MultipleChoiceField(
        label="How can we contact you?",
        choices=[("email", "Email"), ("sms", "Text message")],
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply.",
    )
    agree = forms.BooleanField(label="I agree to the code of conduct")
    evidence = forms.FileField(label="Evidence", required=False)
    step = forms.CharField(widget=forms.HiddenInput, initial="1")

    def clean(self) -> dict[str, object]:
        raise forms.ValidationError("We could not save your answers. Try again.")


def bound_with_errors(**data: object) -> VolunteerForm:
    form = VolunteerForm(data={"postcode": "NOPE", "driver": "maybe", "step": "1", **data})
    assert not form.is_valid()
    form.add_error("postcode", "Enter a real postcode, like L36 9YU")
    return form


def rendered(form: forms.Form) -> Element:
    return render("{% govuk_error_summary form %}{% govuk_fields form %}", form=form)


def test_error_summary_lists_form_errors_first_then_links_each_field_to_its_first_input():
    root = rendered(bound_with_errors())
    summary = find(root, "div", class_="govuk-error-summary")
    assert attrs(summary)["data-module"] == "govuk-error-summary"
    assert text(find(summary, "h2", class_="govuk-error-summary__title")) == "There is a problem"
    items = find(summary, "ul", class_="govuk-error-summary__list").children
    assert next(text(li) for li in items) == "We could not save your answers. Try again."
    assert not find_all(items[0], "a")
    links = [(attrs(a)["href"], text(a)) for a in find_all(summary, "a")]
    assert links == [
        ("#id_full_name", "This field is required."),
        ("#id_postcode", "Enter a real postcode, like L36 9YU"),
        ("#id_password", "This field is required."),
        ("#id_borough", "This field is required."),
        ("#id_driver_0", "Select a valid choice. maybe is not one of the available choices."),
        ("#id_channels_0", "This field is required."),
        ("#id_agree", "This field is required."),
    ]
    # Every link points at an element that exists.
    for href, _ in links:
        assert find_all(root, id=href[1:])


def test_text_input_with_hint_and_error_keeps_widget_attrs_and_describes_itself():
    root = rendered(bound_with_errors())
    control = find(root, "input", id="id_postcode")
    assert classes(control) == {"govuk-input", "govuk-input--error", "govuk-input--width-10"}
    assert attrs(control)["autocomplete"] == "postal-code"
    assert attrs(control)["value"] == "NOPE"
    assert attrs(control)["aria-describedby"] == "id_postcode-hint id_postcode-error"

    hint = find(root, "div", id="id_postcode-hint")
    assert classes(hint) == {"govuk-hint"}
    assert text(hint) == "For example, L36 9YU."
    error = find(root, "p", id="id_postcode-error")
    assert classes(error) == {"govuk-error-message"}
    assert text(find(error, "span", class_="govuk-visually-hidden")) == "Error:"
    assert text(error) == "Error: Enter a real postcode, like L36 9YU"
    label = find(root, "label", for_="id_postcode")
    assert classes(label) == {"govuk-label"}
    assert text(label) == "Postcode"


def test_each_invalid_question_sits_in_an_error_form_group():
    root = rendered(bound_with_errors())
    groups = find_all(root, "div", class_="govuk-form-group")
    assert len(groups) == 9  # every visible field
    invalid = [g for g in groups if "govuk-form-group--error" in classes(g)]
    assert len(invalid) == 7
    valid = [g for g in groups if g not in invalid]
    assert {attrs(find_all(g, "label")[0])["for"] for g in valid} == {"id_about", "id_evidence"}


def test_control_without_hint_or_error_gets_plain_classes_and_no_describedby():
    form = VolunteerForm(data={"full_name": "Ann"})
    form.is_valid()
    root = rendered(form)
    control = find(root, "input", id="id_full_name")
    assert classes(control) == {"govuk-input"}
    assert "aria-describedby" not in attrs(control)
    # Placeholders are dropped: the label says what to enter.
    assert "placeholder" not in attrs(control)


def test_password_textarea_select_and_file_get_their_components():
    root = rendered(bound_with_errors())
    password = find(root, "input", id="id_password")
    assert attrs(password)["type"] == "password"
    assert {"govuk-input", "govuk-password-input__input", "govuk-input--error"} <= classes(password)
    wrapper = find(root, "div", data_module="govuk-password-input")
    assert find(wrapper, "button", aria_controls="id_password")
    assert classes(find(root, "textarea", id="id_about")) == {"govuk-textarea"}
    assert classes(find(root, "select", id="id_borough")) == {"govuk-select", "govuk-select--error"}
    assert classes(find(root, "input", id="id_evidence")) == {"govuk-file-upload"}
    # Optional text-like questions say so; required ones are unmarked.
    assert text(find(root, "label", for_="id_about")) == "About you (optional)"
    assert text(find(root, "label", for_="id_full_name")) == "Full name"


def test_radios_and_checkboxes_sit_in_a_fieldset_described_by_hint_and_error():
    root = rendered(bound_with_errors(channels=["sms"]))
    legend = next(el for el in find_all(root, "legend") if text(el) == "How can we contact you?")
    fieldset = next(f for f in find_all(root, "fieldset") if legend in f.children)
    assert classes(fieldset) == {"govuk-fieldset"}
    assert attrs(fieldset).get("aria-describedby") == "id_channels-hint"
    boxes = find_all(fieldset, "input", class_="govuk-checkboxes__input")
    assert [attrs(b)["id"] for b in boxes] == ["id_channels_0", "id_channels_1"]
    assert [("checked" in attrs(b)) for b in boxes] == [False, True]
    assert find(fieldset, "div", class_="govuk-checkboxes")

    radios_legend = next(el for el in find_all(root, "legend") if text(el) == "Can you drive?")
    radios = next(f for f in find_all(root, "fieldset") if radios_legend in f.children)
    assert attrs(radios)["aria-describedby"] == "id_driver-error"
    inputs = find_all(radios, "input")
    assert [(attrs(i)["type"], attrs(i)["id"], attrs(i)["value"]) for i in inputs] == [
        ("radio", "id_driver_0", "yes"),
        ("radio", "id_driver_1", "no"),
    ]
    assert find(radios, "label", for_="id_driver_0", class_="govuk-radios__label")


def test_single_checkbox_has_its_label_after_the_box_and_the_error_above():
    root = rendered(bound_with_errors())
    box = find(root, "input", id="id_agree")
    assert attrs(box)["type"] == "checkbox"
    assert classes(box) == {"govuk-checkboxes__input"}
    assert attrs(box)["aria-describedby"] == "id_agree-error"
    item = next(
        d for d in find_all(root, "div", class_="govuk-checkboxes__item") if box in d.children
    )
    assert text(find(item, "label", for_="id_agree")) == "I agree to the code of conduct"


def test_fields_render_in_order_with_hidden_fields_last():
    root = rendered(VolunteerForm())
    names = [attrs(el)["name"] for el in walk(root) if el.name in ("input", "select", "textarea")]
    assert names == [
        "full_name",
        "postcode",
        "password",
        "about",
        "borough",
        "driver",
        "driver",
        "channels",
        "channels",
        "agree",
        "evidence",
        "step",
    ]
    assert attrs(find(root, "input", name="step"))["type"] == "hidden"


def test_user_input_is_escaped_in_values_error_messages_and_summary():
    form = bound_with_errors(full_name=XSS, borough=XSS)
    html = Template("{% govuk_error_summary form %}{% govuk_fields form %}").render(
        Context({"form": form})
    )
    assert "<script>" not in html
    assert "&lt;script&gt;" in html  # the invalid choice echoed in its error message
    root = parse("<div>" + html + "</div>")
    assert attrs(find(root, "input", id="id_full_name"))["value"] == XSS
    assert not find_all(root, "script")


def test_error_summary_is_empty_for_an_unbound_or_valid_form_or_none():
    class Small(forms.Form):
        name = forms.CharField()

    valid = Small(data={"name": "Ann"})
    assert valid.is_valid()
    source = "{% govuk_error_summary form %}"
    for form in (Small(), valid, None, ""):
        assert Template(source).render(Context({"form": form})) == ""


def test_govuk_field_renders_one_question():
    root = render("{% govuk_field form.postcode %}", form=bound_with_errors())
    assert len(find_all(root, "div", class_="govuk-form-group")) == 1
    assert find(root, "input", id="id_postcode")
    assert not find_all(root, "div", class_="govuk-error-summary")


def test_buttons():
    root = render(
        '{% govuk_button "Save" %}{% govuk_button "Back" secondary=True %}'
        '{% govuk_button "Delete" warning=True name="action" value="delete" %}'
    )
    save, back, delete = find_all(root, "button")
    assert classes(save) == {"govuk-button"}
    assert attrs(save)["type"] == "submit"
    assert attrs(save)["data-module"] == "govuk-button"
    assert "name" not in attrs(save)
    assert classes(back) == {"govuk-button", "govuk-button--secondary"}
    assert classes(delete) == {"govuk-button", "govuk-button--warning"}
    assert (attrs(delete)["name"], attrs(delete)["value"], text(delete)) == (
        "action",
        "delete",
        "Delete",
    )


# --- the base layout ---------------------------------------------------------------------------


def test_base_layout_shows_messages_as_notification_banners():
    html = render_to_string(
        "base.html",
        {
            "node_name": "Knowsley CVS",
            "messages": [
                Message(message_levels.SUCCESS, "Your details were saved"),
                Message(message_levels.INFO, "Checks <b>pending</b>"),
            ],
        },
    )
    assert "Checks &lt;b&gt;pending&lt;/b&gt;" in html
    root = parse(html)
    success, info = find_all(root, "div", class_="govuk-notification-banner")
    assert "govuk-notification-banner--success" in classes(success)
    assert attrs(success)["role"] == "alert"
    assert text(find(success, "h2")) == "Success"
    assert text(find(success, "p", class_="govuk-notification-banner__heading")) == (
        "Your details were saved"
    )
    assert "govuk-notification-banner--success" not in classes(info)
    assert attrs(info)["role"] == "region"
    assert attrs(info)["aria-labelledby"] == attrs(find(info, "h2"))["id"]


# --- allauth's pages --------------------------------------------------------------------------


def check_page(html: str) -> Element:
    """What every page of ours must have: the GOV.UK template, a skip link, one h1, no crown,
    no inline styles, and only nonced inline scripts (the CSP allows nothing else)."""
    root = parse(html)
    assert attrs(find(root, "html"))["lang"] == "en-GB"
    assert "govuk-template" in classes(find(root, "html"))
    assert attrs(find(root, "a", class_="govuk-skip-link"))["href"] == "#main-content"
    main = find(root, "main", id="main-content")
    assert "govuk-main-wrapper" in classes(main)
    assert len(find_all(main, "h1", class_="govuk-heading-l")) == 1
    assert " style=" not in html
    assert "<style" not in html
    assert "govuk-crest" not in html
    assert "govuk-logo" not in html
    for script in find_all(root, "script"):
        a = attrs(script)
        assert a.get("src") or a.get("nonce") or a.get("type") == "application/json", a
    return root


@pytest.fixture
def volunteer(db):
    user = UserFactory(email="ann@example.org")
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    return user


@pytest.fixture
def signed_in(client: Client, volunteer) -> Client:
    # A real sign-in (not force_login), so allauth does not ask to reauthenticate for MFA set-up.
    response = client.post(
        reverse("account_login"), {"login": volunteer.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


@pytest.fixture
def reauthenticated(signed_in: Client) -> Client:
    """MFA set-up asks for the password again, on a page of its own."""
    page = signed_in.get(reverse("account_reauthenticate"))
    assert page.status_code == 200
    check_page(page.content.decode())
    response = signed_in.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302
    return signed_in


def nav_links(root: Element) -> list[str]:
    nav = find(root, "nav", aria_label="Menu")
    return [
        text(el) for el in walk(nav) if el.name in ("a", "button") and "hidden" not in attrs(el)
    ]


@pytest.mark.parametrize(
    ("url_name", "expect"),
    [
        ("account_login", ["govuk-input", "govuk-password-input", "govuk-checkboxes__input"]),
        ("account_signup", ["govuk-password-input", "govuk-checkboxes", "govuk-input--width-10"]),
        ("account_reset_password", ["govuk-input", "govuk-button"]),
    ],
)
@pytest.mark.django_db
def test_signed_out_pages_render_as_govuk(client: Client, url_name: str, expect: list[str]):
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    html = response.content.decode()
    root = check_page(html)
    for css_class in expect:
        assert find_all(root, class_=css_class), css_class
    form = [f for f in find_all(root, "form") if "novalidate" in attrs(f)]
    assert form, "allauth's forms are rendered with novalidate"
    assert nav_links(root) == ["Sign in", "Sign up to volunteer"]
    title = text(find(root, "title"))
    assert title.endswith("\N{EN DASH} Social Covenant")


def test_signup_page_asks_the_volunteer_questions(client: Client, db):
    root = check_page(client.get(reverse("account_signup")).content.decode())
    assert text(find(root, "label", for_="id_full_name")) == "Full name"
    assert attrs(find(root, "input", id="id_postcode"))["aria-describedby"] == "id_postcode-hint"
    legend = find(root, "legend")
    assert text(legend) == "How can organisations contact you?"
    assert find(root, "input", id="id_contact_channels_0", value="email")


def test_bad_signup_shows_errors_beside_the_fields_and_in_the_summary(client: Client, db):
    response = client.post(
        reverse("account_signup"),
        {
            "full_name": "Ann Example",
            "email": "ann@example.org",
            "password1": "short",
            "password2": "short",
            "postcode": "NOT A PC",
            "contact_channels": ["email"],
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    root = check_page(html)
    assert text(find(root, "title")).startswith("Error:")

    postcode = find(root, "input", id="id_postcode")
    assert "govuk-input--error" in classes(postcode)
    assert attrs(postcode)["aria-describedby"] == "id_postcode-hint id_postcode-error"
    assert "postcode" in text(find(root, "p", id="id_postcode-error")).lower()

    password = find(root, "input", id="id_password1")
    assert "govuk-input--error" in classes(password)
    assert attrs(password)["aria-describedby"] == "id_password1-hint id_password1-error"
    assert "too short" in text(find(root, "p", id="id_password1-error"))

    summary = find(root, "div", class_="govuk-error-summary")
    hrefs = [attrs(a)["href"] for a in find_all(summary, "a")]
    assert "#id_postcode" in hrefs
    assert "#id_password1" in hrefs
    # The summary comes first in <main>, before the heading.
    main = find(root, "main")
    order = [el for el in walk(main) if el is summary or el.name == "h1"]
    assert order[0] is summary
    # What was typed comes back, escaped; the password does not.
    assert attrs(find(root, "input", id="id_full_name"))["value"] == "Ann Example"
    assert "value" not in attrs(password)


def test_failed_sign_in_is_reported_in_the_summary(client: Client, volunteer):
    response = client.post(
        reverse("account_login"), {"login": volunteer.email, "password": "wrong"}
    )
    assert response.status_code == 200
    root = check_page(response.content.decode())
    summary = find(root, "div", class_="govuk-error-summary")
    assert "not correct" in text(summary)


@pytest.mark.parametrize(
    ("url_name", "expect"),
    [
        ("account_email", ["govuk-radios__input", "govuk-tag", "govuk-button--warning"]),
        ("account_change_password", ["govuk-password-input"]),
        ("account_logout", ["govuk-button"]),
        ("mfa_index", ["govuk-summary-card"]),
        ("mfa_activate_totp", ["app-qr-code", "govuk-input", "app-code"]),
    ],
)
def test_signed_in_account_pages_render_as_govuk(
    reauthenticated: Client, url_name: str, expect: list[str]
):
    response = reauthenticated.get(reverse(url_name))
    assert response.status_code == 200, response
    root = check_page(response.content.decode())
    for css_class in expect:
        assert find_all(root, class_=css_class), css_class
    assert nav_links(root) == ["Dashboard", "Your account", "Sign out"]
    sign_out = find(root, "form", action=reverse("account_logout"), class_="app-inline-form")
    assert attrs(sign_out)["method"] == "post"
    assert find(sign_out, "input", name="csrfmiddlewaretoken")
    assert find(root, "nav", aria_labelledby="account-nav-heading")


def test_sign_in_message_shows_as_a_success_banner(signed_in: Client):
    root = check_page(signed_in.get(reverse("account_email")).content.decode())
    banner = find(root, "div", class_="govuk-notification-banner--success")
    assert "Successfully signed in" in text(banner)


def test_email_page_groups_the_addresses_as_radios_in_a_fieldset(signed_in: Client):
    root = check_page(signed_in.get(reverse("account_email")).content.decode())
    fieldset = find(root, "fieldset")
    radio = find(fieldset, "input", type="radio")
    label = find(fieldset, "label", for_=attrs(radio)["id"])
    assert "ann@example.org" in text(label)
    tags = {text(tag): classes(tag) for tag in find_all(label, "strong")}
    assert tags == {
        "Verified": {"govuk-tag", "govuk-tag--green"},
        "Primary": {"govuk-tag", "govuk-tag--blue"},
    }


def test_recovery_codes_page(reauthenticated: Client, volunteer):
    TOTP.activate(volunteer, generate_totp_secret())
    RecoveryCodes.activate(volunteer)
    response = reauthenticated.get(reverse("mfa_view_recovery_codes"))
    assert response.status_code == 200
    root = check_page(response.content.decode())
    codes = find(root, "textarea", id="recovery_codes")
    assert "readonly" in attrs(codes)
    assert text(find(root, "label", for_="recovery_codes")) == "Unused codes"


def test_second_factor_step_of_sign_in(client: Client, volunteer):
    TOTP.activate(volunteer, generate_totp_secret())
    response = client.post(
        reverse("account_login"), {"login": volunteer.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    page = client.get(reverse("mfa_authenticate"))
    assert page.status_code == 200
    root = check_page(page.content.decode())
    assert find(root, "input", id="id_code")
    assert find(root, "button", form="logout-from-stage")

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    root = check_page(wrong.content.decode())
    assert attrs(find(root, "input", id="id_code"))["aria-describedby"] == "id_code-error"
    assert [
        attrs(a)["href"] for a in find_all(find(root, "div", class_="govuk-error-summary"), "a")
    ] == ["#id_code"]
