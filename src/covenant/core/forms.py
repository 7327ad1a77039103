"""Forms for core pages. They parse input; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest

from .errors import CovenantError
from .models import ContactChannel, OrganisationKind, OrgRole, User


def form_apply_error(form: forms.BaseForm, error: CovenantError) -> None:
    """Put a service's error beside the field it names (or above the form if none)."""
    if not error.errors:
        form.add_error(None, error.message)
        return
    for field, messages in error.errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)


class VolunteerSignupForm(forms.Form):
    """The extra questions on allauth's sign-up page, answered into a volunteer profile."""

    full_name = forms.CharField(label="Full name", max_length=150)
    postcode = forms.CharField(
        label="Postcode",
        max_length=10,
        help_text="We use it to offer you volunteering near you. For example, L36 9YU.",
        widget=forms.TextInput(
            attrs={"autocomplete": "postal-code", "class": "govuk-input--width-10"}
        ),
    )
    contact_channels = forms.MultipleChoiceField(
        label="How can organisations contact you?",
        choices=ContactChannel.choices,
        initial=[ContactChannel.EMAIL],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Select all that apply.",
    )

    field_order = ["full_name", "email", "password1", "password2", "postcode", "contact_channels"]

    def clean_postcode(self) -> str:
        from covenant.core.identifiers import postcode_normalise

        try:
            return postcode_normalise(self.cleaned_data["postcode"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def signup(self, request: HttpRequest, user: User) -> None:
        from .services import volunteer_register

        volunteer_register(
            user=user,
            postcode=self.cleaned_data["postcode"],
            full_name=self.cleaned_data["full_name"],
            contact_channels=self.cleaned_data.get("contact_channels") or [ContactChannel.EMAIL],
        )


class OrganisationForm(forms.Form):
    """An organisation's details. Numbers and postcode are checked by the service, which
    knows which kinds need which numbers."""

    name = forms.CharField(label="Organisation name", max_length=200)
    kind = forms.ChoiceField(
        label="What kind of organisation is it?",
        choices=OrganisationKind.choices,
        widget=forms.RadioSelect,
    )
    charity_number = forms.CharField(
        label="Registered charity number",
        required=False,
        max_length=20,
        help_text="For example, 1123456 in England and Wales or SC012345 in Scotland.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )
    company_number = forms.CharField(
        label="Company number",
        required=False,
        max_length=20,
        help_text="The 8 characters Companies House gives, like 01234567.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )
    description = forms.CharField(
        label="What does it do?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A few sentences for the directory: who you help and how.",
    )
    email = forms.EmailField(
        label="Contact email",
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label="Contact phone number",
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "type": "tel", "class": "govuk-input--width-20"}
        ),
    )
    website = forms.URLField(label="Website", required=False, assume_scheme="https")
    address_line_1 = forms.CharField(
        label="Address line 1",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    address_line_2 = forms.CharField(
        label="Address line 2",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    town = forms.CharField(
        label="Town or city",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"autocomplete": "address-level2", "class": "govuk-!-width-two-thirds"}
        ),
    )
    postcode = forms.CharField(
        label="Postcode",
        required=False,
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "postal-code", "class": "govuk-input--width-10"}
        ),
    )
    local_authority = forms.ChoiceField(
        label="Which area does it mainly serve?",
        required=False,
        help_text="The local authority area. Leave blank if the postcode says it.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from covenant.places.models import LocalAuthority

        choices = [("", "Choose an area")]
        choices += list(LocalAuthority.objects.order_by("name").values_list("code", "name"))
        self.fields["local_authority"].choices = choices  # type: ignore[attr-defined]


class VerificationForm(forms.Form):
    decision = forms.ChoiceField(
        label="Is this organisation what it says it is?",
        choices=[("verified", "Yes, verify it"), ("rejected", "No, do not verify it")],
        widget=forms.RadioSelect,
    )
    is_member = forms.BooleanField(label="It is a member of the CVS", required=False)
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="If you do not verify it, say why, so the organisation can put it right. "
        "The organisation sees this note.",
    )


class MembershipForm(forms.Form):
    email = forms.EmailField(
        label="Email address of the person",
        help_text="They need an account on this site first.",
    )
    role = forms.ChoiceField(label="Role", choices=OrgRole.choices, widget=forms.RadioSelect)


class ProfileForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=150)
    preferred_name = forms.CharField(
        label="What should people call you?", max_length=80, required=False
    )
    postcode = forms.CharField(
        label="Postcode",
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "postal-code", "class": "govuk-input--width-10"}
        ),
    )
    phone = forms.CharField(
        label="Phone number",
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "type": "tel", "class": "govuk-input--width-20"}
        ),
    )
    contact_channels = forms.MultipleChoiceField(
        label="How can organisations contact you?",
        choices=ContactChannel.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Select all that apply.",
    )
