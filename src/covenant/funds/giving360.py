"""Publishing awarded grants in the 360Giving Data Standard (1.4.3), as a JSON package.

Pure: plain grant records in, a package (a dict ready for `json.dumps`) out, no Django. The
schemas are copies shipped in `schemas/` (360Giving, CC BY 4.0; see NOTICE), so publishing and
validating never touch the network or the shared data folder.

WHAT GOES IN A GRANT
====================

- Identifiers follow the 360Giving identifier guidance: a grant is `<prefix>-<reference>`,
  where the prefix is the funder's registered 360Giving prefix (`360G-...`) and the reference
  is the funder's own, with spaces and other special characters turned into underscores.
- Organisations are identified with an org-id: `GB-CHC-<number>` for a charity registered in
  England and Wales, `GB-SC-SC<number>` in Scotland, `GB-NIC-<number>` in Northern Ireland,
  `GB-COH-<number>` for a company (a charity number is preferred when there are both, as
  org-id.guide ranks the charity registers first). An unregistered group gets the funder's own
  scheme, `<prefix>-ORG-<the funder's reference for it>`.
- Amounts are pounds (the standard's numbers), currency GBP, converted from integer pence.
- Locations are ONS codes with their geoCodeType from the standard's codelist, which names
  local authorities by kind: UA (unitary), NMD (non-metropolitan district), MD (metropolitan
  district), LONB (London borough); LSOA, MSOA and WD (ward) are as they sound. No street
  address or postcode is ever published, for organisations either: small groups are often
  registered at someone's home, and the guidance recommends geocodes instead. A recipient's
  location is therefore its area, never its address.

GRANTS TO INDIVIDUALS
=====================

Following 360Giving's guidance for grants to individuals, nothing that could identify the
person is published:

- the recipient is `{"id": "<prefix>-IND-<token>", "name": "Individual Recipient"}`, where the
  token is a keyed hash (HMAC-SHA256, the node's anonymisation key) of the funder's internal
  reference: stable from one publication to the next, so repeat grants can be counted, but not
  reversible by anyone without the key, and never an official number;
- the grant identifier is made the same way (`<prefix>-INDG-<token>`), since internal grant
  references can be shared with referral agencies alongside the person's name;
- the title and description are generic ("Grant to an individual", and the programme's name),
  because free text typed about a person may name them;
- locations are coarsened to ward, or to local authority when no ward is known: postcodes and
  small areas (OA, LSOA, MSOA) must not be used. A place that cannot be coarsened is refused;
- the person's name, address and postcode are accepted on the record (so callers can pass what
  they hold) and are never written anywhere in the output.

VALIDATION
==========

`validate_package` checks a package against the shipped schemas with jsonschema, Draft 2020-12.
The package schema refers to the grant schema by its published URL (the 1.4.3 package names
the 1.4.2 URL); a referencing Registry maps both URLs to the shipped 1.4.3 grant schema and
refuses to fetch anything else. Formats are asserted: the schema writes dates as
"oneOf: [format date-time, pattern YYYY-MM-DD]", which only works when `format` is checked.

Plain jsonschema takes about half a millisecond a grant and compares every pair of grants for
`uniqueItems`, so a 100,000-grant package would take minutes. Three things keep it to seconds,
none changing a verdict (the tests compare every answer with plain jsonschema's):
- the schemas' `$ref`s are resolved once, through the registry, into one finite schema (the
  360Giving schemas never refer to themselves in a loop), so validating needs no look-ups;
- a value already found valid against the same subschema is not checked again: scalars by
  value, objects and arrays when they are the same object (which is how `build_package` shares
  one funder, programme, place or recipient between grants), any value by its type when the
  subschema checks nothing but the type, and an object by its member names when the subschema
  only asks which members are present;
- `uniqueItems` is checked by hashing instead of comparing every pair.
Anything invalid is checked in full, so the errors are the ones plain jsonschema gives.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from covenant.core.errors import ValidationFailed
from covenant.core.identifiers import charity_number_normalise, company_number_normalise

SCHEMA_DIR: Final = Path(__file__).resolve().parent / "schemas"
PACKAGE_SCHEMA: Final = SCHEMA_DIR / "360-giving-package-schema.json"
GRANT_SCHEMA: Final = SCHEMA_DIR / "360-giving-schema.json"
STANDARD_VERSION: Final = "1.4"
CC_BY: Final = "https://creativecommons.org/licenses/by/4.0/"
INDIVIDUAL_NAME: Final = "Individual Recipient"

# geoCodeType codelist (360Giving, codelists/geoCodeType.csv) by ONS code prefix.
GEO_CODE_TYPES: Final = {
    "E00": "OA",
    "W00": "OA",
    "E01": "LSOA",
    "W01": "LSOA",
    "E02": "MSOA",
    "W02": "MSOA",
    "E05": "WD",
    "W05": "WD",
    "S13": "WD",
    "E06": "UA",
    "W06": "UA",
    "E07": "NMD",
    "E08": "MD",
    "E09": "LONB",
    "E10": "CTY",
    "E12": "RGN/GOR",
    "E14": "WPC",
    "W07": "WPC",
    "S14": "WPC",
    "N06": "WPC",
    "S12": "CA",
}
# Too small to publish for a grant to an individual.
SMALL_AREA_TYPES: Final = frozenset({"OA", "LSOA", "MSOA"})
GRANT_REASONS: Final = frozenset(f"GTIR{n:03d}" for n in range(10, 130, 10))
GRANT_PURPOSES: Final = frozenset(f"GTIP{n:03d}" for n in range(10, 180, 10))

_ONS_CODE = re.compile(r"^[EWSN][0-9]{8}$")
_PREFIX = re.compile(r"^360G-[A-Za-z0-9][A-Za-z0-9_.-]*$")
_NOT_ID = re.compile(r"[^A-Za-z0-9_.-]+")
_RFC3339 = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s\"<>\\^`{|}]*$")


# Records -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    """An area by its ONS code. An LSOA may carry its ward and local authority, so a grant to
    an individual can be published at ward level instead."""

    code: str
    name: str = ""
    ward_code: str = ""
    ward_name: str = ""
    lad_code: str = ""
    lad_name: str = ""


@dataclass(frozen=True, slots=True)
class Funder:
    """The publisher. `org_id` overrides the identifier made from its charity or company
    number (for a funder on another register, such as a local authority, GB-LAE-...)."""

    prefix: str  # its registered 360Giving prefix, 360G-...
    name: str
    charity_number: str = ""
    company_number: str = ""
    org_id: str = ""
    website: str = ""


@dataclass(frozen=True, slots=True)
class RecipientOrganisation:
    reference: str  # the funder's own reference for the organisation
    name: str
    charity_number: str = ""
    company_number: str = ""
    organisation_type: str = ""
    location: tuple[Place, ...] = ()  # where it is based, as areas


@dataclass(frozen=True, slots=True)
class RecipientIndividual:
    """A person. Only `reference` (hashed) and `place` (coarsened) are ever used."""

    reference: str
    name: str = ""
    address: str = ""
    postcode: str = ""
    place: Place | None = None


@dataclass(frozen=True, slots=True)
class Programme:
    code: str
    title: str
    url: str = ""


@dataclass(frozen=True, slots=True)
class GrantRecord:
    """An awarded grant, as the funds app holds it."""

    reference: str
    title: str
    description: str
    amount_pence: int
    award_date: date
    recipient: RecipientOrganisation | RecipientIndividual
    beneficiary: tuple[Place, ...] = ()
    planned_start: date | None = None
    planned_end: date | None = None
    duration_months: int | None = None
    programme: Programme | None = None
    from_open_call: bool | None = None
    amount_applied_for_pence: int | None = None
    grant_reason: str = ""  # GTIR codes: grants to individuals only
    secondary_grant_reason: str = ""
    grant_purposes: tuple[str, ...] = ()  # GTIP codes: grants to individuals only
    modified: datetime | None = None


# Identifiers -------------------------------------------------------------------------------


def clean_reference(text: str) -> str:
    """An internal reference made safe for an identifier: anything but letters, digits, dot,
    dash and underscore becomes an underscore (no slashes, as the guidance asks)."""
    return _NOT_ID.sub("_", text.strip()).strip("_")


def check_prefix(prefix: str) -> str:
    if not _PREFIX.match(prefix):
        raise ValidationFailed(
            f"'{prefix}' is not a 360Giving prefix: it starts '360G-' followed by letters, "
            "digits, dots, dashes or underscores, like 360G-examplecf.",
            field="prefix",
        )
    return prefix


def organisation_identifier(
    *, prefix: str, reference: str, charity_number: str = "", company_number: str = ""
) -> str:
    """The org-id for an organisation (see the module docstring for the order).

    Raises ValueError with a message for a number that cannot be right, or when there is
    nothing to identify it by."""
    if charity_number.strip():
        number = charity_number_normalise(charity_number)
        if number.startswith("SC"):
            return f"GB-SC-{number}"
        if number.startswith("NIC"):
            return f"GB-NIC-{number[3:]}"
        return f"GB-CHC-{number}"
    if company_number.strip():
        return f"GB-COH-{company_number_normalise(company_number)}"
    cleaned = clean_reference(reference)
    if not cleaned:
        raise ValueError(
            "it has no charity number, company number or reference of the funder's own to "
            "identify it by"
        )
    return f"{prefix}-ORG-{cleaned}"


def anonymous_token(key: bytes, purpose: str, reference: str) -> str:
    """A stable, keyed, one-way token for a reference (16 hex digits, 64 bits)."""
    message = purpose.encode() + b"\x00" + reference.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:16]


def geo_code_type(code: str) -> str:
    """The 360Giving geoCodeType of an ONS code ('E08000011' -> 'MD'), or ValueError."""
    if not _ONS_CODE.match(code):
        raise ValueError(f"'{code}' is not an ONS area code (a letter and eight digits)")
    kind = GEO_CODE_TYPES.get(code[:3])
    if kind is None:
        raise ValueError(
            f"'{code}' is not a kind of ONS area this publication uses (output area, LSOA, "
            "MSOA, ward, local authority, county, region or constituency)"
        )
    return kind


# Building ----------------------------------------------------------------------------------


def _amount(pence: int) -> int | float:
    whole, part = divmod(pence, 100)
    return whole if part == 0 else pence / 100


def _date_time(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("its modified time has no time zone; give an aware date-time")
    text = moment.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class _Builder:
    """Turns records into grant dicts, sharing identical parts between grants."""

    def __init__(self, funder: Funder, key: bytes | None, as_of: date, modified: str | None):
        self.prefix = funder.prefix
        self.key = key
        self.as_of = as_of
        self.modified = modified
        self.funding = [{"id": funder_identifier(funder), "name": funder.name}]
        self.locations: dict[tuple[str, str], dict[str, Any]] = {}
        self.beneficiaries: dict[tuple[Place, ...], list[dict[str, Any]]] = {}
        self.programmes: dict[Programme, list[dict[str, Any]]] = {}
        self.recipients: dict[RecipientOrganisation, list[dict[str, Any]]] = {}
        self.individuals: dict[str, dict[str, str]] = {}
        self.dates: dict[tuple[date | None, date | None, int | None], list[dict[str, Any]]] = {}
        self.times: dict[datetime, str] = {}

    def location(self, code: str, name: str) -> dict[str, Any]:
        found = self.locations.get((code, name))
        if found is None:
            found = {"geoCode": code, "geoCodeType": geo_code_type(code), "countryCode": "GB"}
            if name:
                found["name"] = name
            self.locations[(code, name)] = found
        return found

    def coarse(self, place: Place) -> dict[str, Any]:
        kind = geo_code_type(place.code)
        if kind not in SMALL_AREA_TYPES:
            return self.location(place.code, place.name)
        if place.ward_code:
            return self.location(place.ward_code, place.ward_name)
        if place.lad_code:
            return self.location(place.lad_code, place.lad_name)
        raise ValueError(
            f"{place.code} is a small area ({kind}), which must not be published for a grant "
            "to an individual; give its ward or local authority"
        )

    def grant(self, record: GrantRecord) -> dict[str, Any]:
        problems: list[str] = []
        recipient = record.recipient
        individual = isinstance(recipient, RecipientIndividual)
        if not record.reference.strip() or not clean_reference(record.reference):
            problems.append("it has no reference")
        if record.amount_pence < 1:
            problems.append(f"its amount ({record.amount_pence}p) must be at least 1p")
        if record.award_date > self.as_of:
            problems.append(
                f"its award date ({record.award_date.isoformat()}) is after "
                f"{self.as_of.isoformat()}; only decisions already made are published"
            )
        if (
            record.planned_start
            and record.planned_end
            and record.planned_end < record.planned_start
        ):
            problems.append("its planned end is before its planned start")
        if record.duration_months is not None and record.duration_months < 0:
            problems.append("its duration cannot be negative")
        if record.amount_applied_for_pence is not None and record.amount_applied_for_pence < 0:
            problems.append("its amount applied for cannot be negative")
        if record.programme is not None and not record.programme.code.strip():
            problems.append("its programme has no code")
        if not individual and not (record.title.strip() and record.description.strip()):
            problems.append("it needs a title and a description")
        if not individual and (
            record.grant_reason or record.secondary_grant_reason or record.grant_purposes
        ):
            problems.append("grant reasons and purposes are only for grants to individuals")
        for code in (record.grant_reason, record.secondary_grant_reason):
            if code and code not in GRANT_REASONS:
                problems.append(f"'{code}' is not a Grant to Individuals Reason (GTIR010-GTIR120)")
        for code in record.grant_purposes:
            if code not in GRANT_PURPOSES:
                problems.append(f"'{code}' is not a Grant to Individuals Purpose (GTIP010-GTIP170)")
        modified = self.modified
        if record.modified is not None:
            try:
                modified = self.times.get(record.modified) or _date_time(record.modified)
                self.times[record.modified] = modified
            except ValueError as error:
                problems.append(str(error))

        grant: dict[str, Any] = {}
        if isinstance(recipient, RecipientIndividual):
            if self.key is None:
                problems.append(
                    "it is a grant to an individual, and publishing those needs the node's "
                    "anonymisation key"
                )
            elif not recipient.reference.strip():
                problems.append("its individual recipient has no reference")
            else:
                token = anonymous_token(self.key, "individual", recipient.reference)
                person = self.individuals.get(token)
                if person is None:
                    person = {"id": f"{self.prefix}-IND-{token}", "name": INDIVIDUAL_NAME}
                    self.individuals[token] = person
                grant_token = anonymous_token(self.key, "grant", record.reference)
                grant["id"] = f"{self.prefix}-INDG-{grant_token}"
                grant["recipientIndividual"] = person
            grant["title"] = "Grant to an individual"
            grant["description"] = (
                f"A grant to an individual from {record.programme.title}."
                if record.programme is not None and record.programme.title.strip()
                else "A grant to an individual."
            )
            places: list[dict[str, Any]] = []
            for place in (*record.beneficiary, *([recipient.place] if recipient.place else [])):
                try:
                    found = self.coarse(place)
                except ValueError as error:
                    problems.append(str(error))
                    continue
                if all(found is not seen for seen in places):
                    places.append(found)
            if record.grant_reason or record.secondary_grant_reason or record.grant_purposes:
                details: dict[str, Any] = {}
                if record.grant_reason:
                    details["primaryGrantReason"] = record.grant_reason
                if record.secondary_grant_reason:
                    details["secondaryGrantReason"] = record.secondary_grant_reason
                if record.grant_purposes:
                    details["grantPurpose"] = list(record.grant_purposes)
                grant["toIndividualsDetails"] = details
        else:
            grant["id"] = f"{self.prefix}-{clean_reference(record.reference)}"
            grant["title"] = record.title.strip()
            grant["description"] = record.description.strip()
            organisation = self.recipients.get(recipient)
            if organisation is None:
                try:
                    organisation = [self.organisation(recipient)]
                    self.recipients[recipient] = organisation
                except ValueError as error:
                    problems.append(f"its recipient {recipient.name or '(no name)'}: {error}")
            if organisation is not None:
                grant["recipientOrganization"] = organisation
            places = self.beneficiaries.get(record.beneficiary, [])
            if record.beneficiary and not places:
                for place in record.beneficiary:
                    try:
                        places.append(self.location(place.code, place.name))
                    except ValueError as error:
                        problems.append(str(error))
                if not problems:
                    self.beneficiaries[record.beneficiary] = places
        if problems:
            raise ValueError("; ".join(problems))

        grant["currency"] = "GBP"
        grant["amountAwarded"] = _amount(record.amount_pence)
        if record.amount_applied_for_pence is not None:
            grant["amountAppliedFor"] = _amount(record.amount_applied_for_pence)
        grant["awardDate"] = record.award_date.isoformat()
        grant["fundingOrganization"] = self.funding
        if places:
            grant["beneficiaryLocation"] = places
        if record.planned_start or record.planned_end or record.duration_months is not None:
            span = (record.planned_start, record.planned_end, record.duration_months)
            planned = self.dates.get(span)
            if planned is None:
                event: dict[str, Any] = {}
                if record.planned_start:
                    event["startDate"] = record.planned_start.isoformat()
                if record.planned_end:
                    event["endDate"] = record.planned_end.isoformat()
                if record.duration_months is not None:
                    event["duration"] = record.duration_months
                planned = [event]
                self.dates[span] = planned
            grant["plannedDates"] = planned
        if record.programme is not None:
            programme = self.programmes.get(record.programme)
            if programme is None:
                entry: dict[str, Any] = {"code": record.programme.code}
                if record.programme.title:
                    entry["title"] = record.programme.title
                if record.programme.url:
                    entry["url"] = record.programme.url
                programme = [entry]
                self.programmes[record.programme] = programme
            grant["grantProgramme"] = programme
        if record.from_open_call is not None:
            grant["fromOpenCall"] = "Yes" if record.from_open_call else "No"
        if modified is not None:
            grant["dateModified"] = modified
        return grant

    def organisation(self, recipient: RecipientOrganisation) -> dict[str, Any]:
        if not recipient.name.strip():
            raise ValueError("it has no name")
        entry: dict[str, Any] = {
            "id": organisation_identifier(
                prefix=self.prefix,
                reference=recipient.reference,
                charity_number=recipient.charity_number,
                company_number=recipient.company_number,
            ),
            "name": recipient.name.strip(),
        }
        if recipient.charity_number.strip():
            entry["charityNumber"] = charity_number_normalise(recipient.charity_number)
        if recipient.company_number.strip():
            entry["companyNumber"] = company_number_normalise(recipient.company_number)
        if recipient.organisation_type:
            entry["organisationType"] = recipient.organisation_type
        if recipient.location:
            entry["location"] = [self.location(p.code, p.name) for p in recipient.location]
        return entry


def funder_identifier(funder: Funder) -> str:
    if funder.org_id.strip():
        return funder.org_id.strip()
    if not (funder.charity_number.strip() or funder.company_number.strip()):
        raise ValidationFailed(
            f"{funder.name} needs an org-id: give its charity or company number, or its "
            "identifier on another register (org_id).",
            field="org_id",
        )
    try:
        return organisation_identifier(
            prefix=funder.prefix,
            reference="",
            charity_number=funder.charity_number,
            company_number=funder.company_number,
        )
    except ValueError as error:
        raise ValidationFailed(f"{funder.name}: {error}", field="org_id") from None


def build_package(
    records: Iterable[GrantRecord],
    *,
    funder: Funder,
    issued: date,
    anonymisation_key: bytes | None = None,
    modified: datetime | None = None,
    title: str = "",
    description: str = "",
    licence: str = CC_BY,
    download_url: str = "",
    as_of: date | None = None,
) -> dict[str, Any]:
    """A 360Giving grant package of these grants, or ValidationFailed naming every record
    that cannot be published and why (nothing is published then: a partial file would
    silently drop grants).

    `anonymisation_key` (at least 16 bytes, the node's secret) is needed only when there are
    grants to individuals. Award dates after `as_of` (default: `issued`) are refused.
    """
    check_prefix(funder.prefix)
    if not funder.name.strip():
        raise ValidationFailed("The funder needs a name.", field="name")
    if anonymisation_key is not None and len(anonymisation_key) < 16:
        raise ValidationFailed(
            "The anonymisation key must be at least 16 bytes.", field="anonymisation_key"
        )
    try:
        stamp = _date_time(modified) if modified is not None else None
    except ValueError as error:
        raise ValidationFailed(f"The package {error}.", field="modified") from None
    builder = _Builder(funder, anonymisation_key, as_of or issued, stamp)
    grants: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    first_with: dict[str, str] = {}
    count = 0
    for record in records:
        count += 1
        label = f"grant {record.reference or '#' + str(count)}"
        try:
            grant = builder.grant(record)
        except ValueError as error:
            errors.setdefault(label, []).append(str(error))
            continue
        earlier = first_with.get(grant["id"])
        if earlier is not None:
            errors.setdefault(label, []).append(
                f"its identifier {grant['id']} is the same as {earlier}'s; each grant is "
                "published once"
            )
            continue
        first_with[grant["id"]] = label
        grants.append(grant)
    if errors:
        shown = [f"{label}: {'; '.join(found)}" for label, found in list(errors.items())[:3]]
        more = f" (and {len(errors) - 3:,} more)" if len(errors) > 3 else ""
        raise ValidationFailed(
            f"{len(errors):,} of {count:,} grant records cannot be published{more}. "
            + " | ".join(shown),
            errors=errors,
        )
    if not grants:
        raise ValidationFailed(
            "There are no awarded grants to publish: a 360Giving package holds at least one.",
            field="grants",
        )
    package: dict[str, Any] = {
        "grants": grants,
        "version": STANDARD_VERSION,
        "title": title or f"{funder.name}: grants awarded",
        "identifier": f"{funder.prefix}-{issued.isoformat()}",
        "issued": issued.isoformat(),
        "publisher": {"identifier": builder.funding[0]["id"], "name": funder.name},
        "license": licence,
    }
    if description:
        package["description"] = description
    if stamp is not None:
        package["modified"] = stamp
    if funder.website:
        package["publisher"]["website"] = funder.website
    if download_url:
        package["downloadURL"] = download_url
    return package


def to_json(package: Mapping[str, Any], *, indent: int | None = None) -> str:
    """The package as JSON text (UTF-8 characters kept as they are)."""
    separators = (",", ": ") if indent is not None else (",", ":")
    return json.dumps(package, ensure_ascii=False, indent=indent, separators=separators)


# Validation --------------------------------------------------------------------------------


@functools.cache
def _schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    package = json.loads(PACKAGE_SCHEMA.read_text(encoding="utf-8"))
    grant = json.loads(GRANT_SCHEMA.read_text(encoding="utf-8"))
    return package, grant


def _no_network(uri: str) -> Resource[Any]:
    # referencing's classes are attrs classes that mypy's attrs support misreads.
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


@functools.cache
def registry() -> Registry[Any]:
    """The shipped schemas under every URL they are referred to by; nothing else, and never
    fetched. (They declare `$schema` with a draft URL the referencing library does not know,
    so each resource is created as Draft 2020-12 explicitly.)"""
    package, grant = _schemas()
    grant_resource = DRAFT202012.create_resource(grant)
    items_ref = package["properties"]["grants"]["items"]["$ref"]
    return Registry(retrieve=_no_network).with_resources(  # type: ignore[call-arg]
        [
            (grant["$id"], grant_resource),
            (items_ref, grant_resource),
            (package["$id"], DRAFT202012.create_resource(package)),
        ]
    )


_KEYWORDS: Final = frozenset(Draft202012Validator.VALIDATORS)
_DATA: Final = frozenset({"enum", "const", "examples", "default", "required", "rollUp"})
_RESOURCE_ONLY: Final = frozenset({"$id", "$schema", "$defs", "definitions"})


@functools.cache
def compiled_package_schema() -> dict[str, Any]:
    """The package schema with every `$ref` replaced by the schema it points to, resolved
    once through `registry()`. The 360Giving schemas do not refer to themselves in a loop, so
    this is a finite schema that accepts and refuses exactly what the original does, and
    validating with it needs no look-ups. A `$ref` with nothing else to check beside it becomes
    its target itself (one shared object per target); otherwise the target joins an `allOf`."""
    package, _ = _schemas()
    inlined: dict[int, Any] = {}
    in_progress: set[int] = set()

    def walk(node: Any, resolver: Any, top: bool = False) -> Any:
        if isinstance(node, list):
            return [walk(item, resolver) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" or (key in _RESOURCE_ONLY and not top):
                continue
            out[key] = value if key in _DATA else walk(value, resolver)
        if "$ref" not in node:
            return out
        resolved = resolver.lookup(node["$ref"])
        target_id = id(resolved.contents)
        if target_id in in_progress:
            raise RuntimeError(f"the schema refers to itself through {node['$ref']}")
        target = inlined.get(target_id)
        if target is None:
            in_progress.add(target_id)
            target = walk(resolved.contents, resolved.resolver)
            in_progress.discard(target_id)
            inlined[target_id] = target
        if all(key not in _KEYWORDS for key in out):
            return target
        out["allOf"] = [*out.get("allOf", []), target]
        return out

    compiled: dict[str, Any] = walk(package, registry().resolver(base_uri=package["$id"]), top=True)
    return compiled


def _is_date_time(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    if not _RFC3339.match(instance):
        return False
    datetime.fromisoformat(instance.upper().replace("Z", "+00:00"))
    return True


def _is_uri(instance: object) -> bool:
    return not isinstance(instance, str) or _URI.match(instance) is not None


FORMAT_CHECKER: Final = FormatChecker(formats=())
FORMAT_CHECKER.checks("date-time", raises=ValueError)(_is_date_time)
FORMAT_CHECKER.checks("uri")(_is_uri)

_STANDARD_ALL_OF: Final = Draft202012Validator.VALIDATORS["allOf"]
_STANDARD_ITEMS: Final = Draft202012Validator.VALIDATORS["items"]
_STANDARD_ONE_OF: Final = Draft202012Validator.VALIDATORS["oneOf"]

Keyword = Callable[[Any, Any, Any, Any], Iterator[ValidationError]]


def _frozen(value: object) -> object:
    """A hashable form, equal exactly when jsonschema's equality says two values are equal
    (so 1 and 1.0 are the same, True and 1 are not)."""
    if isinstance(value, dict):
        return ("object", frozenset((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("array", tuple(_frozen(v) for v in value))
    if isinstance(value, bool):
        return ("bool", value)
    return value


def _fingerprint(value: object) -> object:
    """Cheap, and equal for equal values: an object's scalar members only."""
    if isinstance(value, dict):
        return frozenset(
            (k, ("bool", v) if isinstance(v, bool) else v)
            for k, v in value.items()
            if v is None or isinstance(v, (str, int, float))
        )
    return _frozen(value)


def first_duplicate(items: Sequence[object]) -> tuple[int, int] | None:
    """The first pair of equal items (JSON equality), found by hashing, or None."""
    buckets: dict[object, list[int]] = {}
    for index, item in enumerate(items):
        bucket = buckets.setdefault(_fingerprint(item), [])
        if bucket:
            frozen = _frozen(item)
            for other in bucket:
                if _frozen(items[other]) == frozen:
                    return other, index
        bucket.append(index)
    return None


def _memo_keywords() -> dict[str, Keyword]:
    """`properties`, `items`, `allOf`, `oneOf` and `uniqueItems` that skip what is already
    known to be valid, for one validation run (the rules are in the module docstring). The
    cache holds object ids, so it lives no longer than one run, and keeps what it saw alive so
    that no id is reused meanwhile."""
    valid: set[tuple[int, object]] = set()
    kept: list[object] = []
    type_only: dict[int, tuple[str, ...] | None] = {}

    def checked_types(subschema: Any) -> tuple[str, ...] | None:
        found = type_only.get(id(subschema), False)
        if found is not False:
            return found  # type: ignore[return-value]
        result: tuple[str, ...] | None = None
        if (
            isinstance(subschema, dict)
            and "type" in subschema
            and all(key == "type" or key not in _KEYWORDS for key in subschema)
        ):
            kinds = subschema["type"]
            result = (kinds,) if isinstance(kinds, str) else tuple(kinds)
        type_only[id(subschema)] = result
        return result

    def key_of(subschema: Any, value: object) -> tuple[int, object] | None:
        kind = type(value)
        kinds = checked_types(subschema)
        if kinds is not None and not (kind is float and "integer" in kinds):
            return (id(subschema), ("type", kind))
        if kind is str or kind is int or kind is float or kind is bool or value is None:
            return (id(subschema), (kind, value))
        if kind is dict or kind is list:
            return (id(subschema), ("same object", id(value)))
        return None

    def properties(
        validator: Any, properties: Any, instance: Any, schema: Any
    ) -> Iterator[ValidationError]:
        if not validator.is_type(instance, "object"):
            return
        for name, subschema in properties.items():
            if name not in instance:
                continue
            value = instance[name]
            key = key_of(subschema, value)
            if key is not None and key in valid:
                continue
            errors = list(validator.descend(value, subschema, path=name, schema_path=name))
            if errors:
                yield from errors
            elif key is not None:
                valid.add(key)
                kept.append(value)

    def items(validator: Any, items: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
        if isinstance(items, bool) or "prefixItems" in schema:
            yield from _STANDARD_ITEMS(validator, items, instance, schema)
            return
        if not validator.is_type(instance, "array"):
            return
        for index, value in enumerate(instance):
            key = key_of(items, value)
            if key is not None and key in valid:
                continue
            errors = list(validator.descend(value, items, path=index))
            if errors:
                yield from errors
            elif key is not None:
                valid.add(key)
                kept.append(value)

    def one_of(
        validator: Any, one_of: Any, instance: Any, schema: Any
    ) -> Iterator[ValidationError]:
        # Options that only list required members pass or fail on which members are present.
        key: tuple[int, object] | None = None
        if isinstance(instance, dict) and all(
            isinstance(option, dict) and all(k == "required" or k not in _KEYWORDS for k in option)
            for option in one_of
        ):
            key = (id(one_of), ("members", frozenset(instance)))
            if key in valid:
                return
        errors = list(_STANDARD_ONE_OF(validator, one_of, instance, schema))
        if errors:
            yield from errors
        elif key is not None:
            valid.add(key)

    def all_of(
        validator: Any, all_of: Any, instance: Any, schema: Any
    ) -> Iterator[ValidationError]:
        key = key_of(all_of, instance)
        if key is not None and key in valid:
            return
        errors = list(_STANDARD_ALL_OF(validator, all_of, instance, schema))
        if errors:
            yield from errors
        elif key is not None:
            valid.add(key)
            kept.append(instance)

    def unique_items(
        validator: Any, unique: Any, instance: Any, schema: Any
    ) -> Iterator[ValidationError]:
        if unique and validator.is_type(instance, "array"):
            pair = first_duplicate(instance)
            if pair is not None:
                yield ValidationError(f"items {pair[0]} and {pair[1]} are the same")

    return {
        "properties": properties,
        "items": items,
        "allOf": all_of,
        "oneOf": one_of,
        "uniqueItems": unique_items,
    }


def _where(path: Sequence[object], package: Mapping[str, Any]) -> str:
    text = "/".join(str(part) for part in path) or "the package"
    if len(path) >= 2 and path[0] == "grants" and isinstance(path[1], int):
        grants = package.get("grants")
        if isinstance(grants, list) and 0 <= path[1] < len(grants):
            grant = grants[path[1]]
            if isinstance(grant, dict) and isinstance(grant.get("id"), str):
                text += f" (grant {grant['id']})"
    return text


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(error: ValidationError, package: Mapping[str, Any]) -> str:
    where = _where(list(error.absolute_path), package)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "oneOf":
        options = error.validator_value if isinstance(error.validator_value, list) else []
        if any(isinstance(o, dict) and "required" in o for o in options):
            instance = error.instance if isinstance(error.instance, dict) else {}
            wanted = [set(o.get("required", [])) for o in options if isinstance(o, dict)]
            common = sorted(set.intersection(*wanted) - set(instance))
            recipients = {"recipientOrganization", "recipientIndividual"} & set(instance)
            parts = []
            if common:
                parts.append("is missing " + ", ".join(common))
            if len(recipients) == 2:
                parts.append(
                    "has both a recipientOrganization and a recipientIndividual; a grant goes "
                    "to one or the other"
                )
            elif not recipients:
                parts.append("needs a recipientOrganization or a recipientIndividual")
            return f"{where}: " + ("; ".join(parts) or error.message)
        if any(isinstance(o, dict) and "pattern" in o for o in options):
            return (
                f"{where}: {_short(error.instance)} is not a date written YYYY-MM-DD or a full "
                "date-time such as 2024-03-31T09:00:00Z"
            )
    if error.validator == "uniqueItems":
        items = error.instance if isinstance(error.instance, list) else []
        pair = first_duplicate(items)
        which = f"items {pair[0]} and {pair[1]}" if pair else "two items"
        return f"{where}: {which} are the same; list each one once"
    if error.validator == "enum":
        codelist = schema.get("codelist")
        source = f" (see the 360Giving codelist {codelist})" if codelist else ""
        return f"{where}: {_short(error.instance)} is not an allowed value{source}"
    if error.validator == "format":
        return f"{where}: {_short(error.instance)} is not a valid {error.validator_value}"
    if error.validator == "type":
        return f"{where}: {_short(error.instance)} is not of type {error.validator_value!r}"
    message = error.message if len(error.message) <= 300 else error.message[:297] + "..."
    return f"{where}: {message}"


def validator(*, fast: bool = True) -> Draft202012Validator:
    """A validator for a whole package. `fast=False` gives plain jsonschema on the original
    schemas, resolving `$ref`s through the registry as it goes, for comparison."""
    if not fast:
        package_schema, _ = _schemas()
        return Draft202012Validator(
            package_schema, registry=registry(), format_checker=FORMAT_CHECKER
        )
    cls = validators.extend(Draft202012Validator, _memo_keywords())
    result: Draft202012Validator = cls(
        compiled_package_schema(), registry=registry(), format_checker=FORMAT_CHECKER
    )
    return result


def validate_package(package: object, *, fast: bool = True) -> list[str]:
    """Every way this package breaks the 360Giving 1.4.3 schemas, one readable line each
    (where, and what is wrong); an empty list means it is valid."""
    checker = validator(fast=fast)
    shown: Mapping[str, Any] = package if isinstance(package, dict) else {}
    try:
        return [_describe(error, shown) for error in checker.iter_errors(package)]
    except Unresolvable as error:
        return [f"the schema refers to {error}, which is not shipped with the platform"]
