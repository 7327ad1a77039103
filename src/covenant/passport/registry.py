"""The credential types a passport can hold, and the check that a credential's claims fit one.

Pure (no Django): the built-in types are plain data here, the database table
`passport.CredentialType` is seeded from them (migration 0002) and holds the types a node adds,
and `claims_validate` is the one place that decides whether a set of claims is acceptable for a
type. Issuing (services), the API and the forms all call it, so a claim is refused the same way
wherever it comes from, with a message per field that says how to put it right.

Data protection shapes the types: each records the least a verifier needs. A DBS check, which
is criminal-offence data, keeps only the allow-listed fields in `DBS_CHECK_CLAIMS` (level,
workforce, barred lists checked, outcome, certificate number, issue date, Update Service
subscription) and never the certificate's content; a test pins that list. A reference records
that a satisfactory reference was received, not what the referee wrote.

Validity: a type lasts `validity_days` from issue (None: no expiry), and a holder is told to
renew `renewal_window_days` before it ends. Where the law or the scheme sets no period the node
uses the common practice and says so in the type's description (three years for a DBS check
and for most training, four for MiDAS, one for a driving licence check).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Final

from covenant.core import clock
from covenant.core.errors import ValidationFailed

VCT_PREFIX: Final = "urn:social-covenant:vct:"


class ClaimType(StrEnum):
    STRING = "string"
    DATE = "date"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    NUMBER = "number"
    CHOICE = "choice"  # one of `values`
    CHOICES = "choices"  # any number of `values`, in the definition's order
    STRINGS = "strings"  # a list of free strings, each matching `pattern`


class IssuerPolicy(StrEnum):
    """Which kinds of issuer may issue a type (and so which a verifier trusts for it)."""

    NODE_AND_REGISTRY = "node_and_registry"
    VERIFIED_ORGANISATIONS = "verified_organisations"


ISSUER_POLICY_LABELS: Final = {
    IssuerPolicy.NODE_AND_REGISTRY: (
        "The CVS that runs the node, and issuers the node trusts for this type in its registry"
    ),
    IssuerPolicy.VERIFIED_ORGANISATIONS: (
        "Any organisation the CVS has verified, and issuers the node trusts in its registry"
    ),
}


class Category(StrEnum):
    IDENTITY = "identity"
    DBS = "dbs"
    REFERENCE = "reference"
    TRAINING = "training"
    DRIVING = "driving"
    VOLUNTEERING = "volunteering"


CATEGORY_LABELS: Final = {
    Category.IDENTITY: "Identity",
    Category.DBS: "DBS check",
    Category.REFERENCE: "Reference",
    Category.TRAINING: "Training",
    Category.DRIVING: "Driving",
    Category.VOLUNTEERING: "Volunteering record",
}

# Claim names a credential type may not use: SD-JWT VC and JWT put their own meanings on them.
RESERVED_CLAIM_NAMES: Final = frozenset(
    {
        "iss",
        "sub",
        "aud",
        "exp",
        "nbf",
        "iat",
        "jti",
        "cnf",
        "vct",
        "status",
        "_sd",
        "_sd_alg",
        "...",
        "credentialStatus",
    }
)
_CLAIM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MAX_STRING: Final = 200
MAX_CLAIMS: Final = 30
MAX_VALUES: Final = 50


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ClaimSpec:
    """One claim of a credential type: how it is named, shown and checked."""

    name: str
    label: str
    type: ClaimType
    required: bool = True
    values: tuple[Choice, ...] = ()
    pattern: str | None = None
    pattern_hint: str = ""
    max_length: int = MAX_STRING
    minimum: float | None = None
    maximum: float | None = None
    not_future: bool = False
    hint: str = ""

    def as_json(self) -> dict[str, Any]:
        """The stored form (CredentialType.claims holds a list of these)."""
        data: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "type": self.type.value,
            "required": self.required,
        }
        if self.values:
            data["values"] = [{"value": c.value, "label": c.label} for c in self.values]
        if self.pattern is not None:
            data["pattern"] = self.pattern
            data["pattern_hint"] = self.pattern_hint
        if self.type in (ClaimType.STRING, ClaimType.STRINGS) and self.max_length != MAX_STRING:
            data["max_length"] = self.max_length
        if self.minimum is not None:
            data["minimum"] = self.minimum
        if self.maximum is not None:
            data["maximum"] = self.maximum
        if self.not_future:
            data["not_future"] = True
        if self.hint:
            data["hint"] = self.hint
        return data

    def label_of(self, value: str) -> str:
        return next((c.label for c in self.values if c.value == value), value)


@dataclass(frozen=True)
class TypeSpec:
    """A credential type as the code defines it (built-in) or a node adds it."""

    slug: str
    name: str
    description: str
    category: Category
    claims: tuple[ClaimSpec, ...]
    validity_days: int | None
    renewal_window_days: int
    issuer_policy: IssuerPolicy
    vct: str = field(default="")

    def __post_init__(self) -> None:
        if not self.vct:
            object.__setattr__(self, "vct", f"{VCT_PREFIX}{self.slug}:1")

    def claims_json(self) -> list[dict[str, Any]]:
        return [spec.as_json() for spec in self.claims]


def _choices(*pairs: tuple[str, str]) -> tuple[Choice, ...]:
    return tuple(Choice(value, label) for value, label in pairs)


def _date(name: str, label: str, *, required: bool = True, hint: str = "") -> ClaimSpec:
    return ClaimSpec(name, label, ClaimType.DATE, required=required, not_future=True, hint=hint)


# --- the built-in types ----------------------------------------------------------------------

DBS_CHECK_SLUG: Final = "dbs-check"
DBS_CHECK_VCT: Final = f"{VCT_PREFIX}{DBS_CHECK_SLUG}:1"
# The only fields a DBS check credential may ever hold. Adding one is a data-protection
# decision, not a code change: tests/test_registry.py pins this list.
DBS_CHECK_CLAIMS: Final = (
    "level",
    "workforce",
    "barred_lists_checked",
    "outcome",
    "certificate_number",
    "issue_date",
    "update_service_subscribed",
)

DBS_LEVELS: Final = _choices(
    ("basic", "Basic"),
    ("standard", "Standard"),
    ("enhanced", "Enhanced"),
)
DBS_WORKFORCES: Final = _choices(
    ("adult", "Adult workforce"),
    ("child", "Child workforce"),
    ("child_and_adult", "Child and adult workforce"),
    ("other", "Other workforce"),
)
DBS_BARRED_LISTS: Final = _choices(
    ("adults", "Adults' barred list"),
    ("children", "Children's barred list"),
)
DBS_OUTCOMES: Final = _choices(
    ("clear", "Clear: no information on the certificate"),
    (
        "information_considered",
        "Information on the certificate, considered by the recruiting organisation and accepted",
    ),
)

TRAINING_CLAIMS: Final = (
    _date("completed_on", "Date completed"),
    ClaimSpec("course", "Course title", ClaimType.STRING, required=False),
    ClaimSpec("provider", "Training provider", ClaimType.STRING, required=False),
)
_LEVELS_1_TO_3: Final = _choices(("1", "Level 1"), ("2", "Level 2"), ("3", "Level 3"))
_SAFEGUARDING_LEVELS: Final = _choices(
    ("1", "Level 1 (awareness)"),
    ("2", "Level 2"),
    ("3", "Level 3"),
    ("4", "Level 4 (designated safeguarding lead)"),
)
_THREE_YEARS: Final = 1095
_TRAINING_NOTE: Final = (
    " The node treats it as current for three years, the usual refresher period."
)

LICENCE_CATEGORIES: Final = _choices(
    *(
        (code, code)
        for code in (
            "AM",
            "A1",
            "A2",
            "A",
            "B1",
            "B",
            "BE",
            "C1",
            "C1E",
            "C",
            "CE",
            "D1",
            "D1E",
            "D",
            "DE",
        )
    )
)

BUILT_IN_TYPES: Final[tuple[TypeSpec, ...]] = (
    TypeSpec(
        slug="identity-check",
        name="Identity check",
        description=(
            "The volunteer's identity was checked: their name (and, where needed, date of "
            "birth) matched identity documents or a certified digital identity service."
        ),
        category=Category.IDENTITY,
        claims=(
            ClaimSpec("full_name", "Full name", ClaimType.STRING),
            _date("date_of_birth", "Date of birth", required=False),
            ClaimSpec("age_over_18", "Aged 18 or over", ClaimType.BOOLEAN, required=False),
            ClaimSpec(
                "method",
                "How identity was checked",
                ClaimType.CHOICE,
                values=_choices(
                    ("documents_in_person", "Identity documents checked in person"),
                    ("digital_identity", "Certified digital identity service"),
                    ("vouched", "Vouched for by someone who knows them"),
                ),
            ),
            _date("checked_on", "Date checked"),
        ),
        validity_days=None,
        renewal_window_days=0,
        issuer_policy=IssuerPolicy.NODE_AND_REGISTRY,
    ),
    TypeSpec(
        slug=DBS_CHECK_SLUG,
        name="DBS check",
        description=(
            "A Disclosure and Barring Service check: its level, workforce, barred lists "
            "checked, outcome, certificate number and date, and whether the volunteer "
            "subscribes to the Update Service. Nothing from the certificate itself is kept. "
            "DBS certificates carry no expiry date; the node treats a check as current for "
            "three years, the recheck period most voluntary organisations use."
        ),
        category=Category.DBS,
        claims=(
            ClaimSpec("level", "Level of check", ClaimType.CHOICE, values=DBS_LEVELS),
            ClaimSpec(
                "workforce",
                "Workforce",
                ClaimType.CHOICE,
                required=False,
                values=DBS_WORKFORCES,
                hint="Required for an enhanced check.",
            ),
            ClaimSpec(
                "barred_lists_checked",
                "Barred lists checked",
                ClaimType.CHOICES,
                required=False,
                values=DBS_BARRED_LISTS,
                hint="Only an enhanced check can include the barred lists.",
            ),
            ClaimSpec("outcome", "Outcome", ClaimType.CHOICE, values=DBS_OUTCOMES),
            ClaimSpec(
                "certificate_number",
                "Certificate number",
                ClaimType.STRING,
                pattern=r"^[0-9]{12}$",
                pattern_hint="12 digits, as printed at the top of the certificate",
                max_length=12,
            ),
            _date("issue_date", "Date of issue"),
            ClaimSpec(
                "update_service_subscribed",
                "Subscribed to the DBS Update Service",
                ClaimType.BOOLEAN,
            ),
        ),
        validity_days=_THREE_YEARS,
        renewal_window_days=90,
        issuer_policy=IssuerPolicy.NODE_AND_REGISTRY,
    ),
    TypeSpec(
        slug="reference",
        name="Reference",
        description=(
            "A satisfactory reference was received. Only who gave it (their relationship to "
            "the volunteer) and when are recorded, never what the referee wrote."
        ),
        category=Category.REFERENCE,
        claims=(
            ClaimSpec(
                "relationship",
                "Referee's relationship to the volunteer",
                ClaimType.CHOICE,
                values=_choices(
                    ("employer", "Employer or manager"),
                    ("volunteering", "Volunteering organiser"),
                    ("education", "Teacher or tutor"),
                    ("professional", "Other professional"),
                    ("personal", "Personal (character) referee"),
                ),
            ),
            ClaimSpec(
                "years_known",
                "Years the referee has known the volunteer",
                ClaimType.INTEGER,
                required=False,
                minimum=0,
                maximum=100,
            ),
            ClaimSpec("role", "Role the reference was for", ClaimType.STRING, required=False),
            _date("received_on", "Date received"),
        ),
        validity_days=None,
        renewal_window_days=0,
        issuer_policy=IssuerPolicy.VERIFIED_ORGANISATIONS,
    ),
    TypeSpec(
        slug="safeguarding-adults",
        name="Safeguarding adults training",
        description="Training in safeguarding adults at risk, at a stated level." + _TRAINING_NOTE,
        category=Category.TRAINING,
        claims=(
            ClaimSpec("level", "Level", ClaimType.CHOICE, values=_SAFEGUARDING_LEVELS),
            *TRAINING_CLAIMS,
        ),
        validity_days=_THREE_YEARS,
        renewal_window_days=60,
        issuer_policy=IssuerPolicy.VERIFIED_ORGANISATIONS,
    ),
    TypeSpec(
        slug="safeguarding-children",
        name="Safeguarding children training",
        description="Training in safeguarding children and young people, at a stated level."
        + _TRAINING_NOTE,
        category=Category.TRAINING,
        claims=(
            ClaimSpec("level", "Level", ClaimType.CHOICE, values=_SAFEGUARDING_LEVELS),
            *TRAINING_CLAIMS,
        ),
        validity_days=_THREE_YEARS,
        renewal_window_days=60,
        issuer_policy=IssuerPolicy.VERIFIED_ORGANISATIONS,
    ),
    TypeSpec(
        slug="first-aid",
        name="First aid training",
        description="A first aid course. First aid certificates last three years.",
        category=Category.TRAINING,
        claims=(
            ClaimSpec(
                "qualification",
                "Qualification",
                ClaimType.CHOICE,
                values=_choices(
                    ("emergency_first_aid_at_work", "Emergency First Aid at Work"),
                    ("first_aid_at_work", "First Aid at Work"),
                    ("paediatric_first_aid", "Paediatric First Aid"),
                    ("basic_first_aid", "Basic first aid awareness"),
                ),
            ),
            *TRAINING_CLAIMS,
        ),
        validity_days=_THREE_YEARS,
        renewal_window_days=60,
        issuer_policy=IssuerPolicy.VERIFIED_ORGANISATIONS,
    ),
    TypeSpec(
        slug="food-hygiene",
        name="Food hygiene training",
        description="Food safety and hygiene training, at a stated level." + _TRAINING_NOTE,
        category=Category.TRAINING,
        claims=(
            ClaimSpec("level", "Level", ClaimType.CHOICE, values=_LEVELS_1_TO_3),
            *TRAINING_CLAIMS,
        ),
        validity_days=_THREE_YEARS,
        renewal_window_days=60,
        issuer_policy=IssuerPolicy.VERIFIED_ORGANISATIONS,
    ),
    TypeSpec(
        slug="manual-handling",
        name="Manual handling training",
        description="Safe lifting and moving training." + _TRAINING_NOTE,
        category=Category.TRAINING,
        claims=TRAINING_CLAIMS,
        validity_days=_THREE_YEARS,
        renewal_window_days=60,
        issuer_policy=IssuerPolicy.VERIFIED_ORGANISATIONS,
    ),
    TypeSpec(
        slug="midas",
        name="MiDAS minibus driver training",
        description=(
            "The Community Transport Association's Minibus Driver Awareness Scheme. A MiDAS "
            "certificate lasts four years. Issued by the CVS and by MiDAS trainers the node "
            "trusts in its registry."
        ),
        category=Category.TRAINING,
        claims=(
            ClaimSpec(
                "module",
                "MiDAS module",
                ClaimType.CHOICE,
                values=_choices(
                    ("standard", "Standard (minibus driving)"),
                    ("accessible", "Accessible (passenger assistance and wheelchairs)"),
                    ("car", "Car MiDAS"),
                    ("accessible_car", "Accessible car MiDAS"),
                ),
            ),
            ClaimSpec("certificate_number", "Certificate number", ClaimType.STRING, required=False),
            *TRAINING_CLAIMS,
        ),
        validity_days=1461,
        renewal_window_days=90,
        issuer_policy=IssuerPolicy.NODE_AND_REGISTRY,
    ),
    TypeSpec(
        slug="driving-licence-check",
        name="Driving licence check",
        description=(
            "The volunteer's driving licence was checked with the DVLA: the categories they "
            "may drive, any restriction codes, when they passed their car test (which decides "
            "whether they may drive a minibus on a car licence) and how long they have held a "
            "licence. The node asks for a fresh check every year."
        ),
        category=Category.DRIVING,
        claims=(
            ClaimSpec("categories", "Categories", ClaimType.CHOICES, values=LICENCE_CATEGORIES),
            ClaimSpec(
                "restriction_codes",
                "Restriction codes",
                ClaimType.STRINGS,
                required=False,
                pattern=r"^[0-9]{2,3}(?:[.(][0-9A-Za-z.,()]{1,12})?$",
                pattern_hint="codes as printed on the licence, like 01, 78 or 101",
                max_length=16,
            ),
            _date(
                "test_passed_on",
                "Date the car driving test was passed",
                hint="A car test passed before 1 January 1997 usually gives category D1 (101).",
            ),
            _date("licence_held_since", "Licence held since", required=False),
            _date("checked_on", "Date checked with the DVLA"),
        ),
        validity_days=365,
        renewal_window_days=30,
        issuer_policy=IssuerPolicy.VERIFIED_ORGANISATIONS,
    ),
    TypeSpec(
        slug="volunteering-record",
        name="Volunteering record",
        description="A record of volunteering: where, in what role, for how long.",
        category=Category.VOLUNTEERING,
        claims=(
            ClaimSpec("organisation", "Organisation", ClaimType.STRING),
            ClaimSpec("role", "Role", ClaimType.STRING),
            ClaimSpec("hours", "Hours", ClaimType.NUMBER, minimum=0, maximum=100_000),
            _date("period_start", "Started"),
            _date("period_end", "Ended", required=False, hint="Leave empty if it continues."),
        ),
        validity_days=None,
        renewal_window_days=0,
        issuer_policy=IssuerPolicy.VERIFIED_ORGANISATIONS,
    ),
)

BUILT_IN_BY_VCT: Final = {spec.vct: spec for spec in BUILT_IN_TYPES}


def builtin_type_rows() -> list[dict[str, Any]]:
    """The built-in types as `CredentialType` field values, keyed by vct: what migrations and
    `credential_types_builtin_sync` write."""
    return [
        {
            "vct": spec.vct,
            "slug": spec.slug,
            "name": spec.name,
            "description": spec.description,
            "category": spec.category.value,
            "claims": spec.claims_json(),
            "validity_days": spec.validity_days,
            "renewal_window_days": spec.renewal_window_days,
            "issuer_policy": spec.issuer_policy.value,
            "built_in": True,
        }
        for spec in BUILT_IN_TYPES
    ]


def node_type_vct(base_url: str, slug: str) -> str:
    """A node-added type's vct: a URL under the node, so it cannot clash with another node's."""
    return f"{base_url.rstrip('/')}/vct/{slug}/1"


# --- when validity starts --------------------------------------------------------------------

# The claim whose date starts a type's validity: the day of the check, not the day it was put
# on the passport, so a DBS check from last year runs out three years after its certificate.
# A type not named here starts from its `completed_on` claim if it has one (every training
# type, built-in or node-added), else from the moment of issue.
VALIDITY_STARTS: Final = {
    f"{VCT_PREFIX}identity-check:1": "checked_on",
    DBS_CHECK_VCT: "issue_date",
    f"{VCT_PREFIX}driving-licence-check:1": "checked_on",
}


def validity_start_claim(vct: str, specs: Sequence[ClaimSpec]) -> str | None:
    """The date claim a credential's validity runs from, or None (it runs from issue)."""
    dates = {spec.name for spec in specs if spec.type == ClaimType.DATE}
    named = VALIDITY_STARTS.get(vct)
    if named in dates:
        return named
    return "completed_on" if "completed_on" in dates else None


# --- cross-field rules -----------------------------------------------------------------------


def _dbs_rules(claims: Mapping[str, Any]) -> dict[str, str]:
    problems: dict[str, str] = {}
    level = claims.get("level")
    if level == "enhanced" and not claims.get("workforce"):
        problems["workforce"] = "Choose the workforce: an enhanced check is for a workforce."
    if claims.get("barred_lists_checked") and level != "enhanced":
        problems["barred_lists_checked"] = (
            "Only an enhanced check includes the barred lists. Choose 'Enhanced' as the level, "
            "or clear the barred lists."
        )
    return problems


def _driving_rules(claims: Mapping[str, Any]) -> dict[str, str]:
    held, passed = claims.get("licence_held_since"), claims.get("test_passed_on")
    if held and passed and held > passed:
        return {
            "licence_held_since": (
                "The licence cannot have been held since after the test was passed. Give the "
                "date the first licence was issued."
            )
        }
    return {}


def _period_rules(claims: Mapping[str, Any]) -> dict[str, str]:
    start, end = claims.get("period_start"), claims.get("period_end")
    if start and end and end < start:
        return {"period_end": "The end of the period must be on or after its start."}
    return {}


CROSS_FIELD_RULES: Final[dict[str, Callable[[Mapping[str, Any]], dict[str, str]]]] = {
    DBS_CHECK_VCT: _dbs_rules,
    f"{VCT_PREFIX}driving-licence-check:1": _driving_rules,
    f"{VCT_PREFIX}volunteering-record:1": _period_rules,
}


# --- checking claims -------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _clean_string(spec: ClaimSpec, value: object) -> str:
    if not isinstance(value, str):
        raise _Refused(f"Enter {in_sentence(spec.label)} as text.")
    text = " ".join(value.split())
    if spec.pattern is not None:
        text = text.replace(" ", "")
    if not text:
        raise _Refused(f"Enter {in_sentence(spec.label)}.")
    if len(text) > spec.max_length:
        raise _Refused(f"{spec.label} must be {spec.max_length} characters or fewer.")
    if "\x00" in text:
        raise _Refused(f"{spec.label} contains a character that is not allowed.")
    if spec.pattern is not None and re.fullmatch(spec.pattern, text) is None:
        hint = f": {spec.pattern_hint}" if spec.pattern_hint else ""
        raise _Refused(f"'{text}' is not a valid {in_sentence(spec.label)}{hint}.")
    return text


def _clean_date(spec: ClaimSpec, value: object, today: date) -> str:
    if isinstance(value, date):
        parsed = value
    elif isinstance(value, str) and _DATE.match(value.strip()):
        try:
            parsed = date.fromisoformat(value.strip())
        except ValueError:
            raise _Refused(f"{spec.label} must be a real date, like 2024-03-31.") from None
    else:
        raise _Refused(f"Enter {in_sentence(spec.label)} as a date, like 2024-03-31.")
    if spec.not_future and parsed > today:
        raise _Refused(f"{spec.label} cannot be in the future.")
    if parsed.year < 1900:
        raise _Refused(f"{spec.label} must be after 1900.")
    return parsed.isoformat()


def _clean_number(spec: ClaimSpec, value: object) -> int | float:
    if isinstance(value, bool):
        raise _Refused(f"Enter {in_sentence(spec.label)} as a number.")
    number: int | float
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value.strip()) if spec.type == ClaimType.INTEGER else float(value.strip())
        except ValueError:
            kind = "a whole number" if spec.type == ClaimType.INTEGER else "a number"
            raise _Refused(f"Enter {in_sentence(spec.label)} as {kind}.") from None
    else:
        raise _Refused(f"Enter {in_sentence(spec.label)} as a number.")
    if spec.type == ClaimType.INTEGER:
        if isinstance(number, float):
            if not number.is_integer():
                raise _Refused(f"Enter {in_sentence(spec.label)} as a whole number.")
            number = int(number)
    else:
        if number != number or number in (float("inf"), float("-inf")):
            raise _Refused(f"Enter {in_sentence(spec.label)} as a number.")
        number = round(float(number), 2)
        if number.is_integer():
            number = int(number)
    if spec.minimum is not None and number < spec.minimum:
        raise _Refused(f"{spec.label} must be {_num(spec.minimum)} or more.")
    if spec.maximum is not None and number > spec.maximum:
        raise _Refused(f"{spec.label} must be {_num(spec.maximum)} or less.")
    return number


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _clean_choice(spec: ClaimSpec, value: object) -> str:
    allowed = [c.value for c in spec.values]
    if not isinstance(value, str) or value not in allowed:
        raise _Refused(
            f"Choose {in_sentence(spec.label)} from: {', '.join(c.label for c in spec.values)}."
        )
    return value


def _clean_list(spec: ClaimSpec, value: object) -> list[str]:
    if isinstance(value, str):
        value = [part for part in re.split(r"[,\s]+", value) if part]
    if not isinstance(value, list | tuple):
        raise _Refused(f"Give {in_sentence(spec.label)} as a list.")
    if len(value) > MAX_VALUES:
        raise _Refused(f"Give at most {MAX_VALUES} {in_sentence(spec.label)}.")
    if spec.type == ClaimType.CHOICES:
        order = [c.value for c in spec.values]
        unknown = [v for v in value if not isinstance(v, str) or v not in order]
        if unknown:
            raise _Refused(
                f"'{unknown[0]}' is not one of the {in_sentence(spec.label)}. Choose from: "
                f"{', '.join(c.label for c in spec.values)}."
            )
        chosen = set(value)
        return [v for v in order if v in chosen]
    cleaned = [_clean_string(spec, item) for item in value]
    return list(dict.fromkeys(cleaned))


def _clean(spec: ClaimSpec, value: object, today: date) -> Any:
    if spec.type == ClaimType.STRING:
        return _clean_string(spec, value)
    if spec.type == ClaimType.DATE:
        return _clean_date(spec, value, today)
    if spec.type == ClaimType.BOOLEAN:
        if not isinstance(value, bool):
            raise _Refused(f"Answer yes or no for {in_sentence(spec.label)}.")
        return value
    if spec.type in (ClaimType.INTEGER, ClaimType.NUMBER):
        return _clean_number(spec, value)
    if spec.type == ClaimType.CHOICE:
        return _clean_choice(spec, value)
    return _clean_list(spec, value)


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == ()


def claims_validate(
    claims: Mapping[str, object],
    specs: Sequence[ClaimSpec],
    *,
    vct: str = "",
    type_name: str = "this credential",
    today: date | None = None,
) -> dict[str, Any]:
    """The claims, normalised to what the credential will carry (dates as ISO strings, lists in
    the definition's order, empty optional claims left out), or `ValidationFailed` naming every
    field that is wrong and how to fix it.

    A claim the type does not define is refused, not dropped: a DBS check must never carry more
    than its allow-listed fields, and a form or client that sends one has a bug to fix.
    """
    if not isinstance(claims, Mapping):
        raise ValidationFailed("Give the claims as a set of named values.", field="claims")
    on = today if today is not None else clock.today()
    by_name = {spec.name: spec for spec in specs}
    errors: dict[str, list[str]] = {}
    for name in claims:
        if name not in by_name:
            allowed = ", ".join(by_name) or "nothing"
            errors.setdefault(str(name), []).append(
                f"'{name}' is not a claim of {type_name}, which records only: {allowed}."
            )
    clean: dict[str, Any] = {}
    for spec in specs:
        value = claims.get(spec.name)
        if _empty(value):
            if spec.required:
                errors.setdefault(spec.name, []).append(missing_message(spec))
            continue
        try:
            clean[spec.name] = _clean(spec, value, on)
        except _Refused as refused:
            errors.setdefault(spec.name, []).append(refused.message)
        else:
            if _empty(clean[spec.name]):
                del clean[spec.name]
                if spec.required:
                    errors.setdefault(spec.name, []).append(missing_message(spec))
    rule = CROSS_FIELD_RULES.get(vct)
    if rule is not None and not errors:
        for name, message in rule(clean).items():
            errors.setdefault(name, []).append(message)
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, errors=errors)
    return clean


def missing_message(spec: ClaimSpec) -> str:
    """What to say when a required claim is left empty."""
    if spec.type in (ClaimType.CHOICE, ClaimType.CHOICES, ClaimType.BOOLEAN):
        return f"Choose {in_sentence(spec.label)}."
    return f"Enter {in_sentence(spec.label)}."


# --- names in sentences -----------------------------------------------------------------------


def in_sentence(name: str) -> str:
    """A type's name inside a sentence: "identity check", but "DBS check" and "MiDAS ..."
    keep the capitals of an initialism."""
    first = name.split(" ", 1)[0]
    if sum(1 for c in first if c.isupper()) > 1:
        return name
    return name[:1].lower() + name[1:]


def with_article(name: str) -> str:
    """ "a DBS check", "an identity check": the name in a sentence with its article."""
    words = in_sentence(name)
    return f"{'an' if words[:1] in ('a', 'e', 'i', 'o', 'u') else 'a'} {words}"


# --- showing claims --------------------------------------------------------------------------


def _display(spec: ClaimSpec, value: Any) -> str:
    if spec.type == ClaimType.BOOLEAN and isinstance(value, bool):
        return "Yes" if value else "No"
    if spec.type == ClaimType.DATE and isinstance(value, str) and _DATE.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value
        return f"{day.day} {day:%B %Y}"
    if spec.type == ClaimType.CHOICE and isinstance(value, str):
        return spec.label_of(value)
    if isinstance(value, list):
        if spec.type == ClaimType.CHOICES:
            return ", ".join(spec.label_of(str(v)) for v in value)
        return ", ".join(str(v) for v in value)
    return str(value)


def claims_display(
    specs: Sequence[ClaimSpec], claims: Mapping[str, Any]
) -> list[tuple[str, str, str]]:
    """The claims as a person reads them, in the type's order: (name, label, text). Choices
    show their labels, dates are written out, yes/no is a word. A claim the type does not
    define (from an older definition) is shown under its own name, never hidden."""
    rows: list[tuple[str, str, str]] = []
    for spec in specs:
        if spec.name in claims:
            rows.append((spec.name, spec.label, _display(spec, claims[spec.name])))
    known = {spec.name for spec in specs}
    for name in claims:
        if name not in known:
            value = claims[name]
            text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            rows.append((name, name.replace("_", " ").capitalize(), text))
    return rows


# --- reading a stored definition -------------------------------------------------------------

_SPEC_KEYS: Final = frozenset(
    {
        "name",
        "label",
        "type",
        "required",
        "values",
        "pattern",
        "pattern_hint",
        "max_length",
        "minimum",
        "maximum",
        "not_future",
        "hint",
    }
)


def _definition_error(index: int, message: str) -> ValidationFailed:
    return ValidationFailed(f"Claim {index + 1}: {message}", field="claims")


def claims_definition_parse(data: object) -> tuple[ClaimSpec, ...]:
    """A stored or submitted claims definition (a list of objects) as `ClaimSpec`s, refusing
    one a node could not issue safely: reserved or malformed names, duplicate names, a choice
    without values, an invalid pattern."""
    if not isinstance(data, list) or not data:
        raise ValidationFailed("Define at least one claim.", field="claims")
    if len(data) > MAX_CLAIMS:
        raise ValidationFailed(
            f"A credential type has at most {MAX_CLAIMS} claims.", field="claims"
        )
    specs: list[ClaimSpec] = []
    seen: set[str] = set()
    for index, item in enumerate(data):
        if not isinstance(item, Mapping):
            raise _definition_error(index, "each claim is an object with a name, label and type.")
        extra = set(item) - _SPEC_KEYS
        if extra:
            raise _definition_error(index, f"unknown setting {sorted(extra)[0]!r}.")
        name = item.get("name")
        if not isinstance(name, str) or not _CLAIM_NAME.match(name):
            raise _definition_error(
                index,
                "the name must start with a lower-case letter and use only lower-case letters, "
                "digits and underscores (at most 40), like completed_on.",
            )
        if name in RESERVED_CLAIM_NAMES:
            raise _definition_error(index, f"'{name}' is reserved by the credential format.")
        if name in seen:
            raise _definition_error(index, f"the name '{name}' is used twice.")
        seen.add(name)
        label = item.get("label")
        if not isinstance(label, str) or not label.strip() or len(label) > MAX_STRING:
            raise _definition_error(index, f"give '{name}' a label people will read.")
        try:
            claim_type = ClaimType(str(item.get("type")))
        except ValueError:
            raise _definition_error(
                index, f"the type must be one of: {', '.join(t.value for t in ClaimType)}."
            ) from None
        values = _parse_values(index, claim_type, item.get("values"))
        pattern = item.get("pattern")
        if pattern is not None:
            if not isinstance(pattern, str):
                raise _definition_error(index, "the pattern must be text.")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise _definition_error(index, f"the pattern is not valid ({exc}).") from None
        specs.append(
            ClaimSpec(
                name=name,
                label=label.strip(),
                type=claim_type,
                required=bool(item.get("required", True)),
                values=values,
                pattern=pattern,
                pattern_hint=str(item.get("pattern_hint", "")),
                max_length=_int_setting(index, item, "max_length", MAX_STRING),
                minimum=_number_setting(index, item, "minimum"),
                maximum=_number_setting(index, item, "maximum"),
                not_future=bool(item.get("not_future", False)),
                hint=str(item.get("hint", "")),
            )
        )
    return tuple(specs)


def _parse_values(index: int, claim_type: ClaimType, raw: object) -> tuple[Choice, ...]:
    if claim_type not in (ClaimType.CHOICE, ClaimType.CHOICES):
        if raw:
            raise _definition_error(index, "only a choice claim has values.")
        return ()
    if not isinstance(raw, list) or not raw or len(raw) > MAX_VALUES:
        raise _definition_error(index, f"a choice claim needs 1 to {MAX_VALUES} values.")
    values: list[Choice] = []
    for entry in raw:
        value: object
        label: object
        if isinstance(entry, str):
            value, label = entry, entry
        elif isinstance(entry, Mapping):
            value, label = entry.get("value"), entry.get("label", entry.get("value"))
        else:
            value = label = None
        if not isinstance(value, str) or not value or not isinstance(label, str):
            raise _definition_error(index, "each value needs a value and a label.")
        values.append(Choice(value, label))
    if len({c.value for c in values}) != len(values):
        raise _definition_error(index, "a value is listed twice.")
    return tuple(values)


def _int_setting(index: int, item: Mapping[str, Any], key: str, default: int) -> int:
    value = item.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2000:
        raise _definition_error(index, f"{key} must be a whole number from 1 to 2000.")
    return int(value)


def _number_setting(index: int, item: Mapping[str, Any], key: str) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _definition_error(index, f"{key} must be a number.")
    return int(value) if isinstance(value, int) else float(value)


def slug_check(slug: str) -> str:
    """A type's slug: lower-case words joined by hyphens (it appears in URLs and in the vct)."""
    cleaned = slug.strip().lower()
    if not _SLUG.match(cleaned) or len(cleaned) > 50:
        raise ValidationFailed(
            "Use lower-case letters, digits and hyphens (at most 50), like forklift-safety.",
            field="slug",
        )
    return cleaned
