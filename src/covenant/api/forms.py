"""The form for making an API token. It parses; `api_token_create` decides what is valid."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms

from covenant.core import authz, clock

NEVER = "never"
LIFETIMES = [
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In a year"),
    (NEVER, "Never - it works until someone revokes it"),
]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What the token is for, so you can tell it apart later. For example, "
        "'Rota system'.",
    )
    scopes = forms.MultipleChoiceField(
        label="What may it do?",
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose only what the system using it needs. It can never do more than an "
        "administrator of the organisation could.",
        error_messages={"required": "Choose at least one thing the token may do."},
    )
    lifetime = forms.ChoiceField(
        label="When should it stop working?",
        widget=forms.RadioSelect,
        choices=LIFETIMES,
        initial="90",
        error_messages={"required": "Choose when the token should stop working."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Rules register when apps are ready, so the choices are read per form, not at import.
        self.fields["scopes"].choices = [(a, a) for a in authz.actions()]  # type: ignore[attr-defined]

    def expires_at(self) -> datetime | None:
        lifetime = self.cleaned_data["lifetime"]
        return None if lifetime == NEVER else clock.now() + timedelta(days=int(lifetime))
