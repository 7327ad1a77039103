"""OCDS release packages: a process at every stage validates against the shipped 1.1.5 schema,
offline; every code used is in its codelist; bad records and bad packages are refused."""

from __future__ import annotations

import copy
import json
import socket
from datetime import UTC, datetime, timedelta, timezone

import pytest

from covenant.commissioning import ocds
from covenant.commissioning.ocds import (
    Award,
    AwardCriteriaCode,
    AwardStatus,
    Contract,
    ContractStatus,
    Lot,
    OcdsRefused,
    Party,
    PartyRole,
    ProcurementCategory,
    ProcurementMethod,
    ReleaseTag,
    Tender,
    TenderStatus,
    codelist,
    contracting_process_releases,
    ocds_value,
    ocid_for,
    package_errors,
    release_package,
    validate_package,
)

PREFIX = "ocds-cvs001"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
COUNCIL = Party(
    "GB-LAE-WSH",
    "Westshire County Council",
    identifier_scheme="GB-LAE",
    identifier_id="WSH",
    street_address="County Hall",
    locality="Westshire",
    postal_code="WS1 1AA",
    country_name="United Kingdom",
    contact_name="Commissioning team",
    contact_email="commissioning@westshire.example",
)
TRANSPORT = Party("GB-CHC-1100001", "Westshire Community Transport", "GB-CHC", "1100001")
DIAL_A_RIDE = Party("GB-CHC-1100002", "Valley Dial-a-Ride", "GB-CHC", "1100002")
BIGCO = Party("GB-COH-09999999", "BigCo Transport Ltd", "GB-COH", "09999999")


def tender(**changes: object) -> Tender:
    fields: dict[str, object] = {
        "reference": "T-2026-0042",
        "title": "Non-emergency patient transport",
        "buyer": COUNCIL,
        "published": T0,
        "status": TenderStatus.COMPLETE,
        "description": "Patient transport to the district hospitals.",
        "procurement_method": ProcurementMethod.OPEN,
        "category": ProcurementCategory.SERVICES,
        "value_pence": 250_000_000,
        "tender_period": (T0, T0 + timedelta(days=30)),
        "contract_period": (T0 + timedelta(days=90), T0 + timedelta(days=90 + 3 * 365)),
        "lots": (
            Lot("1", "North", "Towns north of the river", 150_000_000, "60130000"),
            Lot("2", "South", value_pence=100_000_000),
        ),
        "award_criteria": AwardCriteriaCode.RATED_CRITERIA,
        "award_criteria_details": "Price 40% (relative). Quality 40%. Social value 20%.",
        "eligibility_criteria": "Reserved for suppliers based in Westshire (PPN 005).",
        "tenderers": (TRANSPORT, DIAL_A_RIDE, BIGCO),
    }
    fields.update(changes)
    return Tender(**fields)  # type: ignore[arg-type]


AWARD = Award(
    "A1",
    T0 + timedelta(days=45),
    suppliers=(TRANSPORT, DIAL_A_RIDE),  # a consortium
    title="North lot to the community transport consortium",
    value_pence=148_500_050,
    lots=("1",),
    contract_period=(T0 + timedelta(days=90), T0 + timedelta(days=90 + 3 * 365)),
)
CONTRACT = Contract(
    "C1",
    "A1",
    T0 + timedelta(days=60),
    title="North lot contract",
    value_pence=148_500_050,
    date_signed=T0 + timedelta(days=60),
    period=(T0 + timedelta(days=90), T0 + timedelta(days=90 + 3 * 365)),
)


def package_for(releases):
    return release_package(
        releases,
        uri="https://cvs.example.org/commissioning/ocds/T-2026-0042.json",
        published=T0 + timedelta(days=61),
        publisher_name="Westshire CVS",
        publisher_scheme="GB-CHC",
        publisher_uid="1000001",
        license_url="https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        publication_policy_url="https://cvs.example.org/commissioning/ocds/policy",
    )


def test_a_process_at_every_stage_is_valid_ocds():
    releases = contracting_process_releases(PREFIX, tender(), [AWARD], [CONTRACT])
    package = package_for(releases)
    assert package_errors(package) == []
    validate_package(package)

    assert [r["tag"] for r in releases] == [["tender"], ["award"], ["contract"]]
    assert {r["ocid"] for r in releases} == {"ocds-cvs001-T-2026-0042"}
    assert [r["id"] for r in releases] == [
        "ocds-cvs001-T-2026-0042-tender-T-2026-0042-20260302T090000Z",
        "ocds-cvs001-T-2026-0042-award-A1-20260416T090000Z",
        "ocds-cvs001-T-2026-0042-contract-C1-20260501T090000Z",
    ]
    first = releases[0]
    assert first["buyer"] == {"id": "GB-LAE-WSH", "name": "Westshire County Council"}
    assert first["parties"][0]["roles"] == ["buyer", "procuringEntity"]
    assert first["parties"][0]["address"]["postalCode"] == "WS1 1AA"
    assert {p["id"]: p["roles"] for p in first["parties"][1:]} == {
        "GB-CHC-1100001": ["tenderer"],
        "GB-CHC-1100002": ["tenderer"],
        "GB-COH-09999999": ["tenderer"],
    }
    t = first["tender"]
    assert t["value"] == {"amount": 2_500_000, "currency": "GBP"}
    assert t["items"] == [
        {
            "id": "lot-1",
            "description": "Lot 1: North. Towns north of the river",
            "classification": {"scheme": "CPV", "id": "60130000"},
        },
        {"id": "lot-2", "description": "Lot 2: South"},
    ]
    assert t["numberOfTenderers"] == 3
    assert t["tenderPeriod"] == {
        "startDate": "2026-03-02T09:00:00Z",
        "endDate": "2026-04-01T09:00:00Z",
    }
    assert t["awardCriteria"] == "ratedCriteria"
    assert t["awardCriteriaDetails"].startswith("Price 40%")
    assert t["eligibilityCriteria"].startswith("Reserved")
    assert "Lots are published as items" in t["description"]

    award = releases[1]["awards"][0]
    assert award["suppliers"] == [
        {"id": "GB-CHC-1100001", "name": "Westshire Community Transport"},
        {"id": "GB-CHC-1100002", "name": "Valley Dial-a-Ride"},
    ]
    assert award["value"] == {"amount": 1_485_000.5, "currency": "GBP"}
    assert [i["id"] for i in award["items"]] == ["lot-1"]
    roles = {p["id"]: p["roles"] for p in releases[1]["parties"]}
    assert roles["GB-CHC-1100001"] == ["supplier", "tenderer"]
    assert roles["GB-COH-09999999"] == ["tenderer"]

    contract = releases[2]["contracts"][0]
    assert contract["awardID"] == "A1"
    assert contract["dateSigned"] == "2026-05-01T09:00:00Z"
    assert releases[2]["tender"] == {
        "id": "T-2026-0042",
        "title": "Non-emergency patient transport",
        "status": "complete",
    }
    # the package survives a round trip through JSON text unchanged
    assert json.loads(json.dumps(package)) == package


@pytest.mark.parametrize(
    ("status", "tags"),
    [
        (TenderStatus.PLANNED, [["planning"]]),
        (TenderStatus.PLANNING, [["planning"]]),
        (TenderStatus.ACTIVE, [["tender"]]),
        (TenderStatus.CANCELLED, [["tender"], ["tenderCancellation"]]),
        (TenderStatus.UNSUCCESSFUL, [["tender"]]),
        (TenderStatus.WITHDRAWN, [["tender"]]),
    ],
)
def test_every_tender_stage_publishes_a_valid_package(status, tags):
    releases = contracting_process_releases(
        PREFIX,
        tender(status=status, tenderers=(), cancelled_at=T0 + timedelta(days=3)),
    )
    assert [r["tag"] for r in releases] == tags
    validate_package(package_for(releases))


def test_times_are_published_in_utc():
    bst = timezone(timedelta(hours=1))
    releases = contracting_process_releases(
        PREFIX, tender(published=datetime(2026, 6, 1, 10, tzinfo=bst))
    )
    assert releases[0]["date"] == "2026-06-01T09:00:00Z"


def test_every_code_used_is_in_its_ocds_codelist():
    for enum_class, name in [
        (TenderStatus, "tenderStatus"),
        (ProcurementMethod, "method"),
        (ProcurementCategory, "procurementCategory"),
        (AwardCriteriaCode, "awardCriteria"),
        (AwardStatus, "awardStatus"),
        (ContractStatus, "contractStatus"),
        (PartyRole, "partyRole"),
        (ReleaseTag, "releaseTag"),
    ]:
        assert {member.value for member in enum_class} <= codelist(name), name

    releases = contracting_process_releases(PREFIX, tender(), [AWARD], [CONTRACT])
    releases += contracting_process_releases(
        PREFIX, tender(reference="T2", status=TenderStatus.CANCELLED, cancelled_at=T0)
    )
    for release in releases:
        assert set(release["tag"]) <= codelist("releaseTag")
        assert release["initiationType"] in codelist("initiationType")
        for party in release["parties"]:
            assert set(party["roles"]) <= codelist("partyRole")
        t = release["tender"]
        assert t["status"] in codelist("tenderStatus")
        for key, name in [
            ("procurementMethod", "method"),
            ("mainProcurementCategory", "procurementCategory"),
            ("awardCriteria", "awardCriteria"),
        ]:
            if key in t:
                assert t[key] in codelist(name)
        for item in t.get("items", []):
            if "classification" in item:
                assert item["classification"]["scheme"] in codelist("itemClassificationScheme")
        for award in release.get("awards", []):
            assert award["status"] in codelist("awardStatus")
            assert award["value"]["currency"] in codelist("currency")
        for contract in release.get("contracts", []):
            assert contract["status"] in codelist("contractStatus")


def test_the_codelists_leave_out_deprecated_codes():
    assert "bestProposal" not in codelist("awardCriteria")
    assert "ratedCriteria" in codelist("awardCriteria")


def test_validation_works_without_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted during OCDS validation")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    ocds._validator.cache_clear()
    try:
        package = package_for(contracting_process_releases(PREFIX, tender(), [AWARD], [CONTRACT]))
        validate_package(package)
        broken = copy.deepcopy(package)
        broken["releases"][0]["tender"]["value"]["currency"] = "XYZ"
        assert package_errors(broken)
    finally:
        ocds._validator.cache_clear()


def _valid_package():
    return package_for(contracting_process_releases(PREFIX, tender(), [AWARD], [CONTRACT]))


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (lambda p: p["releases"][0].pop("ocid"), "releases/0: 'ocid' is a required property"),
        (
            lambda p: p["releases"][1]["tag"].append("finished"),
            "releases/1/tag/1: 'finished' is not one of",
        ),
        (
            lambda p: p["releases"][0]["tender"]["value"].update(currency="XYZ"),
            "releases/0/tender/value/currency: 'XYZ' is not one of",
        ),
        (
            lambda p: p["releases"][2]["contracts"][0].pop("awardID"),
            "releases/2/contracts/0: 'awardID' is a required property",
        ),
        (lambda p: p.update(version="1.1.5"), "version: '1.1.5' does not match"),
        (
            lambda p: p.update(publishedDate="2026-13-01T00:00:00Z"),
            "publishedDate: '2026-13-01T00:00:00Z' is not a 'date-time'",
        ),
        (
            lambda p: p["releases"][0].update(date="yesterday"),
            "releases/0/date: 'yesterday' is not a 'date-time'",
        ),
        (lambda p: p.update(uri="not a uri"), "uri: 'not a uri' is not a 'uri'"),
        (lambda p: p.update(releases=[]), "releases: [] should be non-empty"),
        (
            lambda p: p["releases"][1].update(id=p["releases"][0]["id"]),
            "releases/1/id: 'ocds-cvs001-T-2026-0042-tender-T-2026-0042-20260302T090000Z' is "
            "repeated within ocid 'ocds-cvs001-T-2026-0042'",
        ),
    ],
)
def test_a_broken_package_is_refused_with_where_and_what(break_it, expected):
    package = _valid_package()
    break_it(package)
    problems = package_errors(package)
    assert any(problem.startswith(expected) for problem in problems), problems
    with pytest.raises(OcdsRefused) as caught:
        validate_package(package)
    assert caught.value.errors["package"] == problems
    assert caught.value.message.startswith("The release package is not valid OCDS 1.1.5: ")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ocid_for("ocds-CVS001", "T1"), "OCID prefix 'ocds-CVS001'"),
        (lambda: ocid_for("cvs001", "T1"), "OCID prefix 'cvs001'"),
        (lambda: ocid_for(PREFIX, "T 1"), "tender reference 'T 1'"),
        (
            lambda: contracting_process_releases(PREFIX, tender(published=datetime(2026, 3, 2, 9))),
            "must include a time zone",
        ),
        (
            lambda: contracting_process_releases(
                PREFIX, tender(), [Award("A1", T0, (TRANSPORT,), lots=("9",))]
            ),
            "Award A1 covers lot '9', which the tender does not have.",
        ),
        (
            lambda: contracting_process_releases(
                PREFIX, tender(), [AWARD], [Contract("C1", "A9", T0)]
            ),
            "Contract C1 refers to award 'A9'",
        ),
        (
            lambda: contracting_process_releases(PREFIX, tender(), [AWARD, AWARD]),
            "Two awards share an id.",
        ),
        (
            lambda: contracting_process_releases(
                PREFIX, tender(lots=(Lot("1", "a"), Lot("1", "b")))
            ),
            "Two lots share an id.",
        ),
        (
            lambda: contracting_process_releases(PREFIX, tender(), [Award("A1", T0, ())]),
            "Award A1 is active but names no supplier.",
        ),
        (
            lambda: contracting_process_releases(
                PREFIX, tender(tenderers=(Party("GB-CHC-1100001", "Someone else"),)), [AWARD]
            ),
            "Two different organisations share the party id 'GB-CHC-1100001'.",
        ),
        (
            lambda: contracting_process_releases(
                PREFIX, tender(tender_period=(T0, T0 - timedelta(days=1)))
            ),
            "tender period ends before it starts",
        ),
        (
            lambda: contracting_process_releases(PREFIX, tender(value_pence=-1)),
            "tender value cannot be negative",
        ),
        (lambda: ocds_value(1.5), "must be a whole number of pence"),  # type: ignore[arg-type]
        (lambda: package_for([]), "at least one release"),
    ],
)
def test_records_that_cannot_become_releases_are_refused(build, message):
    with pytest.raises(OcdsRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
        build()


def test_values_are_pounds_from_pence():
    assert ocds_value(0) == {"amount": 0, "currency": "GBP"}
    assert ocds_value(123_456) == {"amount": 1234.56, "currency": "GBP"}
    assert ocds_value(100) == {"amount": 1, "currency": "GBP"}


def test_a_tender_publishes_the_award_criteria_the_evaluation_uses():
    from covenant.commissioning.evaluation import Criterion, CriterionKind, award_criteria

    criteria = award_criteria(
        [
            Criterion("price", "Price", CriterionKind.PRICE, 40),
            Criterion("q1", "Service delivery", CriterionKind.QUALITY, 40),
            Criterion("sv1", "Local jobs", CriterionKind.SOCIAL_VALUE, 20, "MAC 2.1"),
        ],
        price_method="difference_from_lowest",
    )
    releases = contracting_process_releases(
        PREFIX, tender(award_criteria_details=criteria.describe())
    )
    validate_package(package_for(releases))
    details = releases[0]["tender"]["awardCriteriaDetails"]
    assert "Social value 20% (Local jobs [MAC 2.1] 20%)" in details
    assert "maximum x (1 - (bid price - lowest price) / lowest price), not below 0" in details
