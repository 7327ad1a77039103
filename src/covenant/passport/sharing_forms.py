"""Forms for sharing pages: an organisation's request, the volunteer's answer, and a
presentation pasted from a wallet. They parse; `sharing` decides what is valid.

The request form asks, for each credential type, which of its details the role needs (a
GOV.UK checkboxes question per type, named `claims-<slug>`); a DBS check offers only the
details it may be shared with (`sharing.DBS_SHAREABLE`), so the page cannot even ask for more.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from covenant.core.models import Organisation

from . import registry
from .models import Credential, CredentialType
from .sharing import DBS_SHAREABLE, PRESENTATION_MAX, PURPOSE_MAX

CLAIMS_PREFIX = "claims-"
CREDENTIAL_PREFIX = "credential-"


def _claim_choices(credential_type: CredentialType) -> list[tuple[str, str]]:
    specs = credential_type.claim_specs()
    if credential_type.vct == registry.DBS_CHECK_VCT:
        specs = tuple(s for s in specs if s.name in DBS_SHAREABLE)
    return [(s.name, s.label) for s in specs]


class ShareRequestForm(forms.Form):
    """What an organisation asks a volunteer to share, and for which role."""

    purpose = forms.CharField(
        label="What role or task is the check for?",
        help_text="The volunteer sees this, so use words they will recognise, like "
        '"Befriender at the Tuesday lunch club".',
        max_length=PURPOSE_MAX,
    )

    def __init__(
        self,
        data: Any = None,
        *,
        organisations: Sequence[Organisation],
        types: Sequence[CredentialType],
    ) -> None:
        super().__init__(data)
        self.types = list(types)
        if len(organisations) > 1:
            self.fields["organisation"] = forms.TypedChoiceField(
                label="Which organisation is asking?",
                choices=[(o.pk, o.name) for o in organisations],
                coerce=int,
                widget=forms.RadioSelect,
            )
        self.organisations = {o.pk: o for o in organisations}
        for credential_type in self.types:
            hint = "Ask only for what the role needs."
            if credential_type.vct == registry.DBS_CHECK_VCT:
                hint = "A DBS check can be shared only as its level, workforce, outcome and date."
            self.fields[f"{CLAIMS_PREFIX}{credential_type.slug}"] = forms.MultipleChoiceField(
                label=f"{credential_type.name}: which details do you need?",
                help_text=hint,
                choices=_claim_choices(credential_type),
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.requirements():
            first = f"{CLAIMS_PREFIX}{self.types[0].slug}" if self.types else None
            self.add_error(first, "Choose at least one detail of at least one credential.")
        return cleaned

    def chosen_organisation(self) -> Organisation:
        if "organisation" in self.fields:
            return self.organisations[self.cleaned_data["organisation"]]
        return next(iter(self.organisations.values()))

    def requirements(self) -> list[dict[str, Any]]:
        data = getattr(self, "cleaned_data", {})
        asked = []
        for credential_type in self.types:
            claims = data.get(f"{CLAIMS_PREFIX}{credential_type.slug}") or []
            if claims:
                asked.append({"vct": credential_type.vct, "claims": list(claims)})
        return asked


class ShareConsentForm(forms.Form):
    """Which credential to share, where the volunteer holds more than one of a type."""

    def __init__(self, data: Any = None, *, qualifying: dict[str, list[Credential]]) -> None:
        super().__init__(data)
        self.qualifying = qualifying
        for credentials in qualifying.values():
            if len(credentials) > 1:
                name = credentials[0].credential_type.name
                self.fields[f"{CREDENTIAL_PREFIX}{credentials[0].credential_type.slug}"] = (
                    forms.TypedChoiceField(
                        label=f"Which {registry.in_sentence(name)} do you want to share?",
                        choices=[
                            (
                                c.pk,
                                f"From {c.organisation.name}, issued {c.issued_at:%-d %B %Y}",
                            )
                            for c in credentials
                        ],
                        coerce=int,
                        widget=forms.RadioSelect,
                    )
                )

    def choices(self) -> dict[str, Credential]:
        chosen: dict[str, Credential] = {}
        for vct, credentials in self.qualifying.items():
            if not credentials:
                continue
            name = f"{CREDENTIAL_PREFIX}{credentials[0].credential_type.slug}"
            if name in self.fields:
                by_pk = {c.pk: c for c in credentials}
                picked = by_pk.get(self.cleaned_data.get(name))  # type: ignore[arg-type]
                if picked is not None:
                    chosen[vct] = picked
            else:
                chosen[vct] = credentials[0]
        return chosen


class PresentationForm(forms.Form):
    """A presentation the volunteer's own wallet made for this request."""

    presentation = forms.CharField(
        label="Presentation from the volunteer's wallet",
        help_text="Paste what the wallet shows for this request (it starts with ey). If it "
        "holds several credentials, put each on its own line.",
        max_length=PRESENTATION_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"}),
    )
