"""Template tags that render Django forms as GOV.UK Design System components.

The library is a template builtin (see settings ``TEMPLATES``), so pages use the tags without
``{% load %}``::

    {% govuk_error_summary form %}
    <form method="post" novalidate>
      {% csrf_token %}
      {% govuk_fields form %}            {# or one at a time: {% govuk_field form.postcode %} #}
      {% govuk_button "Save" %}
    </form>

Render every form with ``novalidate``. The browser's own validation bubbles appear before the
server sees the form, in the browser's words, and not in the error summary; with
``novalidate`` the server's messages (the ones that say how to put it right) are shown beside
the field and in the summary, the GOV.UK pattern.

Choices made here, following the Design System:

- ids: the hint is ``<input id>-hint``, the error message ``<input id>-error``; both go in the
  control's ``aria-describedby`` (on the fieldset for radios and checkboxes).
- Placeholders are dropped: the label says what to enter and the hint gives an example, and
  placeholder text vanishes as soon as someone types.
- Optional text-like fields get "(optional)" after the label; required ones are unmarked.
- ``help_text`` is rendered as HTML, as Django's own form templates do: it is written by
  developers (allauth puts the password rules there as a list), never by users. Labels,
  values and error messages are escaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms, template
from django.forms.boundfield import BoundField
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_PARTIALS = "core/govuk/"

# Classes each kind of control takes, and the modifier it gets when its answer is invalid.
_CONTROL_CLASSES: dict[str, tuple[str, str]] = {
    "input": ("govuk-input", "govuk-input--error"),
    "password": (
        "govuk-input govuk-password-input__input govuk-js-password-input-input",
        "govuk-input--error",
    ),
    "textarea": ("govuk-textarea", "govuk-textarea--error"),
    "select": ("govuk-select", "govuk-select--error"),
    "file": ("govuk-file-upload", "govuk-file-upload--error"),
    "checkbox": ("govuk-checkboxes__input", ""),
}

_PARTIAL_FOR = {
    "textarea": "input",
    "select": "input",
    "file": "input",
    "radios": "choices",
    "checkboxes": "choices",
}


def _kind(widget: forms.Widget) -> str:
    """Which GOV.UK component a widget becomes.

    Order matters: CheckboxSelectMultiple is a RadioSelect, both are Selects, and
    PasswordInput and FileInput are Inputs.
    """
    if widget.is_hidden:
        return "hidden"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.FileInput):
        return "file"
    if isinstance(widget, forms.PasswordInput):
        return "password"
    return "input"


def first_input_id(bound_field: BoundField) -> str:
    """The id the error summary links to: the control itself, or the first radio/checkbox.

    Django gives radios and checkbox groups no label id (their label is a legend), so the
    first option's id, ``<auto_id>_0``, is worked out here.
    """
    if _kind(bound_field.field.widget) in ("radios", "checkboxes"):
        for subwidget in bound_field.subwidgets:
            return str(subwidget.id_for_label)
    widget_id = bound_field.field.widget.attrs.get("id")
    return str(widget_id or bound_field.auto_id or "")


@dataclass
class _ErrorItem:
    text: str
    href: str = ""


@dataclass
class _Option:
    id: str
    name: str
    value: str
    label: str
    checked: bool


@dataclass
class _FieldContext:
    kind: str
    id: str
    label: str
    hint: str
    hint_id: str
    errors: list[str]
    error_id: str
    described_by: str
    optional: bool
    control: str = ""
    options: list[_Option] = field(default_factory=list)
    disabled: bool = False


def _control_attrs(bound_field: BoundField, kind: str, described_by: str) -> dict[str, Any]:
    widget = bound_field.field.widget
    base, error = _CONTROL_CLASSES.get(kind, _CONTROL_CLASSES["input"])
    classes = [base]
    if bound_field.errors and error:
        classes.append(error)
    # Widget classes such as govuk-input--width-10 are kept, after ours.
    classes.extend(str(widget.attrs.get("class", "")).split())
    attrs: dict[str, Any] = {"class": " ".join(dict.fromkeys(classes)), "placeholder": False}
    own = str(widget.attrs.get("aria-describedby", "")).split()
    ids = [*own, *described_by.split()]
    if ids:
        attrs["aria-describedby"] = " ".join(dict.fromkeys(ids))
    if kind == "password":
        attrs.update({"spellcheck": "false", "autocapitalize": "none"})
    return attrs


def _field_context(bound_field: BoundField) -> _FieldContext:
    kind = _kind(bound_field.field.widget)
    base_id = bound_field.auto_id or bound_field.html_name
    hint = str(bound_field.help_text or "")
    errors = [str(e) for e in bound_field.errors]
    hint_id = f"{base_id}-hint" if hint else ""
    error_id = f"{base_id}-error" if errors else ""
    described_by = " ".join(i for i in (hint_id, error_id) if i)
    ctx = _FieldContext(
        kind=kind,
        id=first_input_id(bound_field) if kind not in ("radios", "checkboxes") else base_id,
        label=str(bound_field.label or ""),
        # help_text is developer-written HTML; see the module docstring.
        hint=mark_safe(hint),  # noqa: S308
        hint_id=hint_id,
        errors=errors,
        error_id=error_id,
        described_by=described_by,
        optional=not bound_field.field.required
        and kind not in ("checkbox", "radios", "checkboxes"),
        disabled=bool(bound_field.field.disabled),
    )
    if kind in ("radios", "checkboxes"):
        ctx.options = [
            _Option(
                id=str(sub.id_for_label),
                name=str(sub.data["name"]),
                value=str(sub.data["value"]),
                label=str(sub.choice_label),
                checked=bool(sub.data["selected"]),
            )
            for sub in bound_field.subwidgets
        ]
    else:
        ctx.control = bound_field.as_widget(attrs=_control_attrs(bound_field, kind, described_by))
    return ctx


@register.simple_tag
def govuk_field(bound_field: BoundField) -> SafeString:
    """One question: label (or legend), hint, error message and the control."""
    if bound_field.is_hidden:
        return SafeString(str(bound_field))
    ctx = _field_context(bound_field)
    partial = _PARTIAL_FOR.get(ctx.kind, ctx.kind)
    return render_to_string(f"{_PARTIALS}{partial}.html", {"field": ctx})


@register.simple_tag
def govuk_fields(form: forms.BaseForm) -> SafeString:
    """Every visible field in the form's order, then its hidden fields."""
    parts: list[str] = [govuk_field(bf) for bf in form.visible_fields()]
    parts.extend(str(bf) for bf in form.hidden_fields())
    return SafeString("\n".join(parts))


def error_items(form: forms.BaseForm) -> list[_ErrorItem]:
    """What the error summary lists: errors about the whole form first, then field by field.

    A hidden field cannot be corrected by the person, so its errors are listed without a link.
    """
    items = [_ErrorItem(text=str(e)) for e in form.non_field_errors()]
    for bound_field in form:
        for error in bound_field.errors:
            if bound_field.is_hidden:
                items.append(_ErrorItem(text=f"{bound_field.label}: {error}"))
            else:
                items.append(_ErrorItem(text=str(error), href=f"#{first_input_id(bound_field)}"))
    return items


@register.simple_tag
def govuk_error_summary(form: forms.BaseForm | None) -> SafeString:
    """The "There is a problem" box for the top of the page; nothing if the form is fine."""
    if form is None or not isinstance(form, forms.BaseForm) or not form.errors:
        return SafeString("")
    return render_to_string(f"{_PARTIALS}error_summary.html", {"items": error_items(form)})


@register.simple_tag
def govuk_button(
    text: str,
    *,
    secondary: bool = False,
    warning: bool = False,
    name: str = "",
    value: str = "",
    type: str = "submit",
    prevent_double_click: bool = False,
) -> SafeString:
    """A GOV.UK button; ``secondary`` and ``warning`` pick the variant."""
    classes = ["govuk-button"]
    if secondary:
        classes.append("govuk-button--secondary")
    if warning:
        classes.append("govuk-button--warning")
    return render_to_string(
        f"{_PARTIALS}button.html",
        {
            "text": text,
            "classes": " ".join(classes),
            "name": name,
            "value": value,
            "type": type,
            "prevent_double_click": prevent_double_click,
        },
    )
