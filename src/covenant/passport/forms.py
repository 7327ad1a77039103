"""Forms for passport pages. They parse what people type; the services decide what is valid.

The form for a credential's claims is built from the type's claims definition, one GOV.UK
question per claim: text inputs, yes/no radios, radios for a choice, checkboxes for several,
and the GOV.UK date input (day, month, year) for dates. Its field names are the claim names,
so a service's error about a claim lands beside that claim; the two questions every issue
asks (how the evidence was checked, and the declaration) have hyphenated names, which no claim
name can have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.forms.boundfield import BoundField

from covenant.core.errors import CovenantError
from covenant.core.forms import form_apply_error
from covenant.core.models import Organisation

from . import registry
from .models import ChangeReason, CredentialType
from .registry import ClaimSpec, ClaimType

EVIDENCE_NOTE = "evidence-note"
EVIDENCE_CHECKED = "evidence-checked"


class IssueStartForm(forms.Form):
    """Who the credential is for, and what it is."""

    email = forms.EmailField(
        label="The volunteer's email address",
        help_text="The address they use to sign in. Ask them for it: you cannot search for "
        "volunteers.",
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    credential_type = forms.ChoiceField(
        label="What are you adding to their passport?", widget=forms.RadioSelect
    )
    organisation = forms.ChoiceField(
        label="Which organisation is adding it?", widget=forms.RadioSelect
    )

    def __init__(
        self,
        *args: Any,
        organisations: Sequence[Organisation],
        types: Sequence[CredentialType],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisations = {str(o.pk): o for o in organisations}
        self.types = {t.slug: t for t in types}
        self.fields["credential_type"].choices = [(t.slug, t.name) for t in types]  # type: ignore[attr-defined]
        if len(organisations) > 1:
            self.fields["organisation"].choices = [  # type: ignore[attr-defined]
                (str(o.pk), o.name) for o in organisations
            ]
        else:
            del self.fields["organisation"]

    def chosen_type(self) -> CredentialType:
        return self.types[self.cleaned_data["credential_type"]]

    def chosen_organisation(self) -> Organisation:
        if "organisation" in self.fields:
            return self.organisations[self.cleaned_data["organisation"]]
        return next(iter(self.organisations.values()))


class DateInputWidget(forms.MultiWidget):
    """Day, month and year boxes; the page draws them as the GOV.UK date input."""

    def __init__(self) -> None:
        super().__init__(
            widgets={"day": forms.TextInput, "month": forms.TextInput, "year": forms.TextInput}
        )

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]


class DateField(forms.MultiValueField):
    """A date given as day, month and year, with the GOV.UK pattern's error messages."""

    widget = DateInputWidget

    def __init__(self, *, label: str, required: bool, **kwargs: Any) -> None:
        parts = (forms.CharField(required=False),) * 3
        super().__init__(
            fields=parts,
            require_all_fields=False,
            required=required,
            label=label,
            **kwargs,
        )

    def compress(self, data_list: list[Any]) -> date | None:
        if not data_list or not any(data_list):
            return None
        label = str(self.label)
        named = zip(("day", "month", "year"), data_list, strict=True)
        missing = [name for name, part in named if not part]
        if missing:
            raise forms.ValidationError(f"{label} must include a {' and '.join(missing)}")
        try:
            day, month, year = (int(str(part).strip()) for part in data_list)
            if year < 1000:
                raise ValueError("two-digit year")
            return date(year, month, day)
        except ValueError:
            raise forms.ValidationError(f"{label} must be a real date") from None


def _claim_field(spec: ClaimSpec) -> forms.Field:
    required = spec.required
    errors = {"required": registry.missing_message(spec)}
    hint = spec.hint
    if spec.type == ClaimType.DATE:
        return DateField(
            label=spec.label,
            required=required,
            help_text=hint or "For example, 27 3 2024",
            error_messages=errors,
        )
    if spec.type == ClaimType.BOOLEAN:
        return forms.TypedChoiceField(
            label=spec.label,
            choices=[("yes", "Yes"), ("no", "No")],
            coerce=lambda answer: answer == "yes",
            empty_value=None,
            widget=forms.RadioSelect,
            required=required,
            help_text=hint,
            error_messages=errors,
        )
    if spec.type == ClaimType.CHOICE:
        return forms.ChoiceField(
            label=spec.label,
            choices=[(c.value, c.label) for c in spec.values],
            widget=forms.RadioSelect,
            required=required,
            help_text=hint,
            error_messages=errors,
        )
    if spec.type == ClaimType.CHOICES:
        return forms.MultipleChoiceField(
            label=spec.label,
            choices=[(c.value, c.label) for c in spec.values],
            widget=forms.CheckboxSelectMultiple,
            required=required,
            help_text=hint or "Select all that apply.",
            error_messages=errors,
        )
    attrs: dict[str, str] = {"spellcheck": "false"} if spec.pattern else {}
    if spec.type in (ClaimType.INTEGER, ClaimType.NUMBER):
        mode = "numeric" if spec.type == ClaimType.INTEGER else "decimal"
        attrs.update({"inputmode": mode, "class": "govuk-input--width-5", "spellcheck": "false"})
    elif spec.max_length <= 20:
        attrs["class"] = "govuk-input--width-20"
    pattern_hint = (
        f"{spec.pattern_hint[:1].upper()}{spec.pattern_hint[1:]}." if spec.pattern_hint else ""
    )
    if spec.type == ClaimType.STRINGS:
        hint = " ".join(part for part in (hint, pattern_hint, "Separate them with commas.") if part)
    elif pattern_hint and not hint:
        hint = pattern_hint
    return forms.CharField(
        label=spec.label,
        required=required,
        help_text=hint,
        widget=forms.TextInput(attrs=attrs),
        error_messages=errors,
        strip=True,
    )


@dataclass(frozen=True)
class DateQuestion:
    """What the GOV.UK date input template needs."""

    id: str
    name: str
    label: str
    hint: str
    hint_id: str
    errors: list[str]
    error_id: str
    day: str
    month: str
    year: str
    optional: bool

    @property
    def described_by(self) -> str:
        return " ".join(i for i in (self.hint_id, self.error_id) if i)


@dataclass(frozen=True)
class Question:
    field: BoundField
    date: DateQuestion | None = None


def _date_question(bound: BoundField) -> DateQuestion:
    value = bound.value()
    if isinstance(value, date) or value is None:
        parts = DateInputWidget().decompress(value)
    else:
        parts = list(value)
    day, month, year = ("" if part is None else str(part) for part in parts)
    base = bound.auto_id or bound.html_name
    errors = [str(e) for e in bound.errors]
    return DateQuestion(
        id=base,
        name=bound.html_name,
        label=str(bound.label),
        hint=str(bound.help_text or ""),
        hint_id=f"{base}-hint" if bound.help_text else "",
        errors=errors,
        error_id=f"{base}-error" if errors else "",
        day=day,
        month=month,
        year=year,
        optional=not bound.field.required,
    )


class ClaimsForm(forms.Form):
    """One question per claim of a credential type, then the evidence questions."""

    def __init__(self, *args: Any, credential_type: CredentialType, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.specs = credential_type.claim_specs()
        for spec in self.specs:
            self.fields[spec.name] = _claim_field(spec)
        self.fields[EVIDENCE_NOTE] = forms.CharField(
            label="How did you check the evidence?",
            required=False,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text="For example, 'Saw the original certificate in person'. Do not copy "
            "anything from the documents themselves. The note is deleted after 6 months.",
        )
        self.fields[EVIDENCE_CHECKED] = forms.BooleanField(
            label="I have checked the original evidence for everything above",
            required=True,
            error_messages={"required": "Confirm that you have checked the evidence"},
        )

    @property
    def note_field(self) -> BoundField:
        return self[EVIDENCE_NOTE]

    @property
    def declaration_field(self) -> BoundField:
        return self[EVIDENCE_CHECKED]

    def questions(self) -> list[Question]:
        """The claim questions in order, dates marked for the date input template."""
        return [
            Question(self[spec.name], _date_question(self[spec.name]))
            if spec.type == ClaimType.DATE
            else Question(self[spec.name])
            for spec in self.specs
        ]

    def claims(self) -> dict[str, Any]:
        """The answers as claims (empty answers left out; the service checks the rest)."""
        answers: dict[str, Any] = {}
        for spec in self.specs:
            value = self.cleaned_data.get(spec.name)
            if value in (None, "", []):
                continue
            answers[spec.name] = value
        return answers

    def evidence_note(self) -> str:
        return str(self.cleaned_data.get(EVIDENCE_NOTE) or "")

    def apply_error(self, error: CovenantError) -> None:
        """A service's error beside the question it is about."""
        if "evidence_note" in error.errors:
            error.errors[EVIDENCE_NOTE] = error.errors.pop("evidence_note")
        form_apply_error(self, error)


class StateChangeForm(forms.Form):
    """Why a credential is being revoked or suspended."""

    reason = forms.ChoiceField(label="Why?", widget=forms.RadioSelect)

    def __init__(
        self, *args: Any, reasons: Sequence[ChangeReason], label: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.label = label
        field.choices = [(r.value, r.label) for r in reasons]  # type: ignore[attr-defined]
