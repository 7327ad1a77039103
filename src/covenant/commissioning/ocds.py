"""Open Contracting Data Standard 1.1.5 release packages for tenders, awards and contracts.

Plain Python, no Django. `contracting_process_releases()` turns plain records of one
contracting process into its releases; `release_package()` wraps releases for publication;
`validate_package()` checks a package against the OCDS 1.1.5 release-package and release
schemas shipped in `schemas/` (Apache-2.0, see NOTICE), offline: the package schema refers to
the release schema by its URL, and a `referencing` registry maps that URL to the local copy,
so validation never touches the network.

Choices:

- ocid: the node's registered prefix ("ocds-" and six letters or digits) and the tender's
  reference, `ocds-abc123-T-2026-0042`. Release ids are `{ocid}-{tag}-{what}-{time}`, unique
  within the ocid because each names its stage, its award or contract and when it was made.
- One release per stage: a `planning` or `tender` release for the tender, a
  `tenderCancellation` release when a cancelled tender says when, an `award` release per award
  and a `contract` release per contract. Each carries the parties it mentions, with their
  roles (buyer and procuring entity, tenderer, supplier).
- Lots: the OCDS lots extension cannot be validated offline here, so each lot is published as
  a tender item with id `lot-<id>` whose description names the lot, and an award lists the
  items (lots) it covers. A consortium is published as each member being a supplier.
- Money is GBP, from integer pence: whole pounds as integers, otherwise to the penny.
- Times must be timezone-aware; they are published in UTC as `YYYY-MM-DDTHH:MM:SSZ`.
- Codes come from the OCDS codelists (copied to `schemas/codelists/`): the enums below use
  only their values, and the tests check that against the CSV files.
- The schema's `date-time` and `uri` formats are checked here too (jsonschema checks formats
  only with optional packages, so this module brings its own two small checks).
"""

from __future__ import annotations

import csv
import enum
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Final

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT4

from covenant.core.errors import ValidationFailed

OCDS_VERSION: Final = "1.1"
SCHEMA_DIR: Final = Path(__file__).resolve().parent / "schemas"
RELEASE_SCHEMA_URL: Final = (
    "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
)
PACKAGE_SCHEMA_URL: Final = (
    "https://standard.open-contracting.org/schema/1__1__5/release-package-schema.json"
)
CURRENCY: Final = "GBP"
_PREFIX = re.compile(r"ocds-[a-z0-9]{6}")
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]+")


class OcdsRefused(ValidationFailed):
    """Records that cannot become OCDS releases, or a package that is not valid OCDS."""

    code = "ocds_invalid"


class TenderStatus(enum.StrEnum):
    PLANNING = "planning"
    PLANNED = "planned"
    ACTIVE = "active"
    CANCELLED = "cancelled"
    UNSUCCESSFUL = "unsuccessful"
    COMPLETE = "complete"
    WITHDRAWN = "withdrawn"


class ProcurementMethod(enum.StrEnum):
    OPEN = "open"
    SELECTIVE = "selective"
    LIMITED = "limited"
    DIRECT = "direct"


class ProcurementCategory(enum.StrEnum):
    GOODS = "goods"
    WORKS = "works"
    SERVICES = "services"


class AwardCriteriaCode(enum.StrEnum):
    PRICE_ONLY = "priceOnly"
    COST_ONLY = "costOnly"
    QUALITY_ONLY = "qualityOnly"
    RATED_CRITERIA = "ratedCriteria"


class AwardStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    CANCELLED = "cancelled"
    UNSUCCESSFUL = "unsuccessful"


class ContractStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    CANCELLED = "cancelled"
    TERMINATED = "terminated"


class PartyRole(enum.StrEnum):
    BUYER = "buyer"
    PROCURING_ENTITY = "procuringEntity"
    SUPPLIER = "supplier"
    TENDERER = "tenderer"


class ReleaseTag(enum.StrEnum):
    PLANNING = "planning"
    TENDER = "tender"
    TENDER_CANCELLATION = "tenderCancellation"
    AWARD = "award"
    CONTRACT = "contract"


@dataclass(frozen=True, slots=True)
class Party:
    """An organisation in the process. `id` is how releases refer to it: build it from an
    org-id.guide identifier (scheme "GB-CHC", id "1234567" gives "GB-CHC-1234567") when there
    is one."""

    id: str
    name: str
    identifier_scheme: str = ""
    identifier_id: str = ""
    legal_name: str = ""
    street_address: str = ""
    locality: str = ""
    postal_code: str = ""
    country_name: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_telephone: str = ""


@dataclass(frozen=True, slots=True)
class Lot:
    id: str
    title: str
    description: str = ""
    value_pence: int | None = None
    cpv: str = ""  # a Common Procurement Vocabulary code, such as 60130000


@dataclass(frozen=True, slots=True)
class Tender:
    reference: str
    title: str
    buyer: Party
    published: datetime
    status: TenderStatus = TenderStatus.ACTIVE
    description: str = ""
    procurement_method: ProcurementMethod = ProcurementMethod.OPEN
    procurement_method_details: str = ""
    category: ProcurementCategory = ProcurementCategory.SERVICES
    value_pence: int | None = None
    tender_period: tuple[datetime, datetime] | None = None
    contract_period: tuple[datetime, datetime] | None = None
    lots: tuple[Lot, ...] = ()
    award_criteria: AwardCriteriaCode = AwardCriteriaCode.RATED_CRITERIA
    award_criteria_details: str = ""
    eligibility_criteria: str = ""
    tenderers: tuple[Party, ...] = ()
    cancelled_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Award:
    id: str
    date: datetime
    suppliers: tuple[Party, ...]
    status: AwardStatus = AwardStatus.ACTIVE
    title: str = ""
    value_pence: int | None = None
    lots: tuple[str, ...] = ()
    contract_period: tuple[datetime, datetime] | None = None


@dataclass(frozen=True, slots=True)
class Contract:
    id: str
    award_id: str
    date: datetime
    status: ContractStatus = ContractStatus.ACTIVE
    title: str = ""
    value_pence: int | None = None
    date_signed: datetime | None = None
    period: tuple[datetime, datetime] | None = None


# ------------------------------------------------------------------------------------ helpers


def ocds_datetime(moment: datetime, *, field: str = "date") -> str:
    """An aware datetime in UTC, to the second: 2026-03-01T09:30:00Z."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise OcdsRefused(f"{field} must include a time zone ({moment.isoformat()})", field=field)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ocds_value(pence: int, *, field: str = "value") -> dict[str, Any]:
    """An OCDS Value in GBP from integer pence."""
    if isinstance(pence, bool) or not isinstance(pence, int):
        raise OcdsRefused(f"{field} must be a whole number of pence, not {pence!r}", field=field)
    if pence < 0:
        raise OcdsRefused(f"{field} cannot be negative", field=field)
    amount: int | float = pence // 100 if pence % 100 == 0 else round(pence / 100, 2)
    return {"amount": amount, "currency": CURRENCY}


def ocid_for(prefix: str, reference: str) -> str:
    """The open contracting id: the node's registered prefix and the tender's reference."""
    if not _PREFIX.fullmatch(prefix):
        raise OcdsRefused(
            f"The OCID prefix {prefix!r} must be 'ocds-' and six lower-case letters or digits, "
            "as registered with the Open Contracting Partnership.",
            field="ocid_prefix",
        )
    if not _REFERENCE.fullmatch(reference):
        raise OcdsRefused(
            f"The tender reference {reference!r} must be letters, digits, dots, dashes or "
            "underscores (up to 100), starting with a letter or digit.",
            field="reference",
        )
    return f"{prefix}-{reference}"


def _stamp(moment: datetime) -> str:
    return ocds_datetime(moment).replace("-", "").replace(":", "")


def _period(span: tuple[datetime, datetime] | None, field: str) -> dict[str, str] | None:
    if span is None:
        return None
    start, end = span
    if end < start:
        raise OcdsRefused(f"{field} ends before it starts", field=field)
    return {
        "startDate": ocds_datetime(start, field=field),
        "endDate": ocds_datetime(end, field=field),
    }


def _compact(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Drop empty fields: OCDS says leave a field out rather than publish it empty."""
    return {k: v for k, v in mapping.items() if v not in ("", None, [], {})}


def _party_json(party: Party, roles: Iterable[PartyRole]) -> dict[str, Any]:
    return _compact(
        {
            "id": party.id,
            "name": party.name,
            "identifier": _compact(
                {
                    "scheme": party.identifier_scheme,
                    "id": party.identifier_id,
                    "legalName": party.legal_name,
                }
            ),
            "address": _compact(
                {
                    "streetAddress": party.street_address,
                    "locality": party.locality,
                    "postalCode": party.postal_code,
                    "countryName": party.country_name,
                }
            ),
            "contactPoint": _compact(
                {
                    "name": party.contact_name,
                    "email": party.contact_email,
                    "telephone": party.contact_telephone,
                }
            ),
            "roles": sorted(role.value for role in set(roles)),
        }
    )


def _reference(party: Party) -> dict[str, str]:
    return {"id": party.id, "name": party.name}


class _Parties:
    """The parties a release mentions, each once, with every role it plays."""

    def __init__(self) -> None:
        self._parties: dict[str, Party] = {}
        self._roles: dict[str, set[PartyRole]] = {}

    def add(self, party: Party, *roles: PartyRole) -> dict[str, str]:
        if not party.id or not party.name:
            raise OcdsRefused("Every party needs an id and a name.", field="parties")
        known = self._parties.setdefault(party.id, party)
        if known != party:
            raise OcdsRefused(
                f"Two different organisations share the party id {party.id!r}.", field="parties"
            )
        self._roles.setdefault(party.id, set()).update(roles)
        return _reference(party)

    def json(self) -> list[dict[str, Any]]:
        return [_party_json(self._parties[pid], self._roles[pid]) for pid in self._parties]


def _lot_item(lot: Lot) -> dict[str, Any]:
    text = f"Lot {lot.id}: {lot.title}" + (f". {lot.description}" if lot.description else "")
    item: dict[str, Any] = {"id": f"lot-{lot.id}", "description": text}
    if lot.cpv:
        item["classification"] = {"scheme": "CPV", "id": lot.cpv}
    return item


# ----------------------------------------------------------------------------------- releases


def _tender_json(tender: Tender, parties: _Parties, *, full: bool) -> dict[str, Any]:
    buyer = parties.add(tender.buyer, PartyRole.BUYER, PartyRole.PROCURING_ENTITY)
    if not full:
        return {"id": tender.reference, "title": tender.title, "status": tender.status.value}
    lots_note = " Lots are published as items with ids lot-<id>." if tender.lots else ""
    tenderers = [parties.add(p, PartyRole.TENDERER) for p in tender.tenderers]
    body: dict[str, Any] = {
        "id": tender.reference,
        "title": tender.title,
        "description": (tender.description + lots_note).strip(),
        "status": tender.status.value,
        "procuringEntity": buyer,
        "items": [_lot_item(lot) for lot in tender.lots],
        "value": ocds_value(tender.value_pence, field="tender value")
        if tender.value_pence is not None
        else None,
        "procurementMethod": tender.procurement_method.value,
        "procurementMethodDetails": tender.procurement_method_details,
        "mainProcurementCategory": tender.category.value,
        "awardCriteria": tender.award_criteria.value,
        "awardCriteriaDetails": tender.award_criteria_details,
        "eligibilityCriteria": tender.eligibility_criteria,
        "tenderPeriod": _period(tender.tender_period, "tender period"),
        "contractPeriod": _period(tender.contract_period, "contract period"),
        "tenderers": tenderers,
        "numberOfTenderers": len(tenderers) if tenderers else None,
    }
    return _compact(body)


def _check_records(tender: Tender, awards: Sequence[Award], contracts: Sequence[Contract]) -> None:
    lot_ids = [lot.id for lot in tender.lots]
    if len(set(lot_ids)) != len(lot_ids):
        raise OcdsRefused("Two lots share an id.", field="lots")
    for lot in tender.lots:
        if not _REFERENCE.fullmatch(lot.id):
            raise OcdsRefused(
                f"Lot id {lot.id!r} must be letters, digits, dots, dashes or underscores.",
                field="lots",
            )
        if lot.value_pence is not None:
            ocds_value(lot.value_pence, field=f"lot {lot.id} value")
    award_ids = [a.id for a in awards]
    if len(set(award_ids)) != len(award_ids):
        raise OcdsRefused("Two awards share an id.", field="awards")
    for award in awards:
        if not _REFERENCE.fullmatch(award.id):
            raise OcdsRefused(f"Award id {award.id!r} is not a usable id.", field="awards")
        if not award.suppliers and award.status is AwardStatus.ACTIVE:
            raise OcdsRefused(f"Award {award.id} is active but names no supplier.", field="awards")
        unknown = [lot for lot in award.lots if lot not in lot_ids]
        if unknown:
            raise OcdsRefused(
                f"Award {award.id} covers lot {unknown[0]!r}, which the tender does not have.",
                field="awards",
            )
    contract_ids = [c.id for c in contracts]
    if len(set(contract_ids)) != len(contract_ids):
        raise OcdsRefused("Two contracts share an id.", field="contracts")
    for contract in contracts:
        if not _REFERENCE.fullmatch(contract.id):
            raise OcdsRefused(f"Contract id {contract.id!r} is not a usable id.", field="contracts")
        if contract.award_id not in award_ids:
            raise OcdsRefused(
                f"Contract {contract.id} refers to award {contract.award_id!r}, which is not "
                "among this process's awards.",
                field="contracts",
            )


def contracting_process_releases(
    prefix: str,
    tender: Tender,
    awards: Sequence[Award] = (),
    contracts: Sequence[Contract] = (),
) -> list[dict[str, Any]]:
    """The releases of one contracting process, oldest first (see the module docstring)."""
    ocid = ocid_for(prefix, tender.reference)
    _check_records(tender, awards, contracts)
    releases: list[dict[str, Any]] = []

    def release(
        tag: ReleaseTag, what: str, date: datetime, parties: _Parties, **sections: Any
    ) -> None:
        releases.append(
            {
                "ocid": ocid,
                "id": f"{ocid}-{tag.value}-{what}-{_stamp(date)}",
                "date": ocds_datetime(date),
                "tag": [tag.value],
                "initiationType": "tender",
                "parties": parties.json(),
                "buyer": _reference(tender.buyer),
                "language": "en",
                **sections,
            }
        )

    planning = tender.status in {TenderStatus.PLANNING, TenderStatus.PLANNED}
    parties = _Parties()
    tender_json = _tender_json(tender, parties, full=True)
    release(
        ReleaseTag.PLANNING if planning else ReleaseTag.TENDER,
        tender.reference,
        tender.published,
        parties,
        tender=tender_json,
    )
    if tender.status is TenderStatus.CANCELLED and tender.cancelled_at is not None:
        parties = _Parties()
        release(
            ReleaseTag.TENDER_CANCELLATION,
            tender.reference,
            tender.cancelled_at,
            parties,
            tender=_tender_json(tender, parties, full=False),
        )

    lots = {lot.id: lot for lot in tender.lots}
    awards_by_id = {a.id: a for a in awards}
    for award in sorted(awards, key=lambda a: (a.date, a.id)):
        parties = _Parties()
        tender_ref = _tender_json(tender, parties, full=False)
        suppliers = [parties.add(p, PartyRole.SUPPLIER) for p in award.suppliers]
        for bidder in tender.tenderers:
            parties.add(bidder, PartyRole.TENDERER)
        body = _compact(
            {
                "id": award.id,
                "title": award.title,
                "status": award.status.value,
                "date": ocds_datetime(award.date, field=f"award {award.id} date"),
                "value": ocds_value(award.value_pence, field=f"award {award.id} value")
                if award.value_pence is not None
                else None,
                "suppliers": suppliers,
                "items": [_lot_item(lots[lot]) for lot in award.lots],
                "contractPeriod": _period(
                    award.contract_period, f"award {award.id} contract period"
                ),
            }
        )
        release(ReleaseTag.AWARD, award.id, award.date, parties, tender=tender_ref, awards=[body])

    for contract in sorted(contracts, key=lambda c: (c.date, c.id)):
        parties = _Parties()
        tender_ref = _tender_json(tender, parties, full=False)
        award = awards_by_id[contract.award_id]
        for supplier in award.suppliers:
            parties.add(supplier, PartyRole.SUPPLIER)
        body = _compact(
            {
                "id": contract.id,
                "awardID": contract.award_id,
                "title": contract.title,
                "status": contract.status.value,
                "value": ocds_value(contract.value_pence, field=f"contract {contract.id} value")
                if contract.value_pence is not None
                else None,
                "dateSigned": ocds_datetime(
                    contract.date_signed, field=f"contract {contract.id} signed"
                )
                if contract.date_signed is not None
                else None,
                "period": _period(contract.period, f"contract {contract.id} period"),
                "items": [_lot_item(lots[lot]) for lot in award.lots],
            }
        )
        release(
            ReleaseTag.CONTRACT,
            contract.id,
            contract.date,
            parties,
            tender=tender_ref,
            contracts=[body],
        )
    return releases


def release_package(
    releases: Sequence[Mapping[str, Any]],
    *,
    uri: str,
    published: datetime,
    publisher_name: str,
    publisher_scheme: str = "",
    publisher_uid: str = "",
    publisher_uri: str = "",
    license_url: str = "",
    publication_policy_url: str = "",
) -> dict[str, Any]:
    """A release package ready to publish (validate it with `validate_package`)."""
    if not releases:
        raise OcdsRefused("A release package needs at least one release.", field="releases")
    if not publisher_name.strip():
        raise OcdsRefused("A release package needs the publisher's name.", field="publisher")
    return _compact(
        {
            "uri": uri,
            "version": OCDS_VERSION,
            "publishedDate": ocds_datetime(published, field="publishedDate"),
            "publisher": _compact(
                {
                    "name": publisher_name,
                    "scheme": publisher_scheme,
                    "uid": publisher_uid,
                    "uri": publisher_uri,
                }
            ),
            "license": license_url,
            "publicationPolicy": publication_policy_url,
            "releases": [dict(r) for r in releases],
        }
    )


# --------------------------------------------------------------------------------- validation


@cache
def codelist(name: str) -> frozenset[str]:
    """The codes of one shipped OCDS codelist ("partyRole"), without deprecated ones."""
    path = SCHEMA_DIR / "codelists" / f"{name}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return frozenset(row["Code"] for row in csv.DictReader(handle) if not row.get("Deprecated"))


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI.fullmatch(value))


@cache
def _validator() -> Draft4Validator:
    release_schema = json.loads((SCHEMA_DIR / "release-schema.json").read_text(encoding="utf-8"))
    package_schema = json.loads(
        (SCHEMA_DIR / "release-package-schema.json").read_text(encoding="utf-8")
    )
    registry: Registry[Any] = Registry().with_resources(
        [
            (RELEASE_SCHEMA_URL, DRAFT4.create_resource(release_schema)),
            (PACKAGE_SCHEMA_URL, DRAFT4.create_resource(package_schema)),
        ]
    )
    formats = FormatChecker(formats=())
    formats.checks("date-time")(_is_date_time)
    formats.checks("uri")(_is_uri)
    return Draft4Validator(package_schema, registry=registry, format_checker=formats)


def package_errors(package: Mapping[str, Any]) -> list[str]:
    """Every way the package breaks the OCDS 1.1.5 schema, or the rule that release ids are
    unique within an ocid, as "where: what" lines; empty when it is valid."""
    found = sorted(
        _validator().iter_errors(package),
        key=lambda e: ([str(p) for p in e.absolute_path], e.message),
    )
    problems = [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(package)'}: {e.message}" for e in found
    ]
    releases = package.get("releases")
    if isinstance(releases, list):
        seen: set[tuple[object, object]] = set()
        for index, release in enumerate(releases):
            if not isinstance(release, Mapping):
                continue
            key = (release.get("ocid"), release.get("id"))
            if key in seen:
                problems.append(
                    f"releases/{index}/id: {key[1]!r} is repeated within ocid {key[0]!r}"
                )
            seen.add(key)
    return problems


def validate_package(package: Mapping[str, Any]) -> None:
    """Refuse a package that is not valid OCDS 1.1.5, listing every problem."""
    problems = package_errors(package)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise OcdsRefused(
            f"The release package is not valid OCDS 1.1.5: {problems[0]}{more}",
            errors={"package": problems},
        )
