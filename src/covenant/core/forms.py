"""Forms for core pages. They parse input; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest

from .errors import CovenantError
from .models import ContactChannel, User


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
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "class": "govuk-input--width-10"}),
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


