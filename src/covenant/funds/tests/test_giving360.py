"""360Giving publishing: packages validate, bad records are refused, individuals are anonymous,
and the fast validator answers exactly as plain jsonschema does."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing.exceptions import NoSuchResource

from covenant.core.errors import ValidationFailed
from covenant.funds import giving360
from covenant.funds.giving360 import (
    Funder,
    GrantRecord,
    Place,
    Programme,
    RecipientIndividual,
    RecipientOrganisation,
    build_package,
    compiled_package_schema,
    organisation_identifier,
    registry,
    to_json,
    validate_package,
)

SHARED = Path("/work/shared/data/schemas/360giving")
KEY = b"a node secret of 32 bytes, test!"
FUNDER = Funder(
    prefix="360G-examplecf",
    name="Example Community Foundation",
    charity_number="1123456",
    website="https://example.org",
)
PROGRAMME = Programme("CRF-1", "Community Recovery Fund")
FOOD_BANK = RecipientOrganisation(
    "org-1",
    "Knowsley Food Bank",
    charity_number="1170000",
    company_number="1234567",
    organisation_type="Registered charity",
    location=(Place("E08000011", "Knowsley"),),
)
RESIDENTS = RecipientOrganisation(
    "grp 7", "Hall Lane Residents", location=(Place("E05000950", "Prescot West"),)
)
PERSON = RecipientIndividual(
    "P-4242",
    name="Jane Smithers",
    address="1 Acacia Avenue, Prescot",
    postcode="L34 5QW",
    place=Place(
        "E01006412",
        "Knowsley 001A",
        ward_code="E05000950",
        ward_name="Prescot West",
        lad_code="E08000011",
        lad_name="Knowsley",
    ),
)


def record(reference: str = "G/1", **changes: Any) -> GrantRecord:
    values: dict[str, Any] = {
        "reference": reference,
        "title": "Food parcels",
        "description": "Weekly food parcels for families",
        "amount_pence": 250_000,
        "award_date": date(2024, 3, 1),
        "recipient": FOOD_BANK,
        "beneficiary": (Place("E01006412", "Knowsley 001A"),),
        "planned_start": date(2024, 4, 1),
        "planned_end": date(2025, 3, 31),
        "duration_months": 12,
        "programme": PROGRAMME,
        "from_open_call": True,
    }
    values.update(changes)
    return GrantRecord(**values)


def package(*records: GrantRecord, **options: Any) -> dict[str, Any]:
    options.setdefault("anonymisation_key", KEY)
    return build_package(records, funder=FUNDER, issued=date(2024, 4, 1), **options)


# Building ----------------------------------------------------------------------------------


def test_a_grant_to_an_organisation() -> None:
    built = package(
        record(),
        record("G 2", recipient=RESIDENTS, amount_pence=123_456, from_open_call=False),
        modified=datetime(2024, 4, 1, 9, 30, tzinfo=UTC),
    )
    assert validate_package(built) == []
    assert validate_package(built, fast=False) == []
    first, second = built["grants"]
    assert first["id"] == "360G-examplecf-G_1"
    assert first["currency"] == "GBP"
    assert first["amountAwarded"] == 2500
    assert second["amountAwarded"] == 1234.56
    assert first["awardDate"] == "2024-03-01"
    assert first["recipientOrganization"] == [
        {
            "id": "GB-CHC-1170000",
            "name": "Knowsley Food Bank",
            "charityNumber": "1170000",
            "companyNumber": "01234567",
            "organisationType": "Registered charity",
            "location": [
                {
                    "geoCode": "E08000011",
                    "geoCodeType": "MD",
                    "countryCode": "GB",
                    "name": "Knowsley",
                }
            ],
        }
    ]
    assert second["recipientOrganization"][0]["id"] == "360G-examplecf-ORG-grp_7"
    assert second["recipientOrganization"][0]["location"][0]["geoCodeType"] == "WD"
    assert first["beneficiaryLocation"] == [
        {
            "geoCode": "E01006412",
            "geoCodeType": "LSOA",
            "countryCode": "GB",
            "name": "Knowsley 001A",
        }
    ]
    assert first["fundingOrganization"] == [
        {"id": "GB-CHC-1123456", "name": "Example Community Foundation"}
    ]
    assert first["plannedDates"] == [
        {"startDate": "2024-04-01", "endDate": "2025-03-31", "duration": 12}
    ]
    assert first["grantProgramme"] == [{"code": "CRF-1", "title": "Community Recovery Fund"}]
    assert (first["fromOpenCall"], second["fromOpenCall"]) == ("Yes", "No")
    assert first["dateModified"] == "2024-04-01T09:30:00Z"
    assert built["version"] == "1.4"
    assert built["publisher"] == {
        "identifier": "GB-CHC-1123456",
        "name": "Example Community Foundation",
        "website": "https://example.org",
    }
    assert built["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert json.loads(to_json(built)) == built


@pytest.mark.parametrize(
    ("charity", "company", "expected"),
    [
        ("1170000", "", "GB-CHC-1170000"),
        ("SC012345", "", "GB-SC-SC012345"),
        ("NIC100001", "", "GB-NIC-100001"),
        ("", "1234567", "GB-COH-01234567"),
        ("", "SC123456", "GB-COH-SC123456"),
        ("", "", "360G-examplecf-ORG-Hall_Lane_Residents"),
    ],
)
def test_organisation_identifiers(charity: str, company: str, expected: str) -> None:
    assert (
        organisation_identifier(
            prefix="360G-examplecf",
            reference="Hall Lane Residents",
            charity_number=charity,
            company_number=company,
        )
        == expected
    )


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("E01006412", "LSOA"),
        ("E05000950", "WD"),
        ("E06000001", "UA"),
        ("E07000027", "NMD"),
        ("E08000011", "MD"),
        ("E09000002", "LONB"),
        ("W06000015", "UA"),
        ("E12000002", "RGN/GOR"),
    ],
)
def test_geo_code_types_come_from_the_codelist(code: str, kind: str) -> None:
    assert giving360.geo_code_type(code) == kind


# Individuals -------------------------------------------------------------------------------


def test_grants_to_individuals_are_anonymised() -> None:
    individual = record(
        "IND/77",
        title="Boiler for Jane Smithers",
        description="Jane at 1 Acacia Avenue needs heating",
        recipient=PERSON,
        beneficiary=(PERSON.place,),
        grant_reason="GTIR010",
        secondary_grant_reason="GTIR100",
        grant_purposes=("GTIP050", "GTIP070"),
    )
    built = package(individual, record())
    assert validate_package(built) == []
    text = to_json(built)
    for secret in (
        "Jane",
        "Smithers",
        "Acacia",
        "L34",
        "5QW",
        "P-4242",
        "IND/77",
        "IND_77",
        "E01006412",
    ):
        # The organisation's own grant names its LSOA beneficiaries; the individual's must not.
        if secret == "E01006412":
            assert secret not in json.dumps(built["grants"][0])
        else:
            assert secret not in text, secret
    grant = built["grants"][0]
    assert "recipientOrganization" not in grant
    person = grant["recipientIndividual"]
    assert person["name"] == "Individual Recipient"
    assert person["id"].startswith("360G-examplecf-IND-")
    assert grant["id"].startswith("360G-examplecf-INDG-")
    assert grant["title"] == "Grant to an individual"
    assert grant["description"] == "A grant to an individual from Community Recovery Fund."
    assert grant["beneficiaryLocation"] == [
        {"geoCode": "E05000950", "geoCodeType": "WD", "countryCode": "GB", "name": "Prescot West"}
    ]
    assert grant["toIndividualsDetails"] == {
        "primaryGrantReason": "GTIR010",
        "secondaryGrantReason": "GTIR100",
        "grantPurpose": ["GTIP050", "GTIP070"],
    }
    # Stable from one publication to the next, and meaningless without the key.
    again = package(individual)["grants"][0]
    assert again["recipientIndividual"]["id"] == person["id"]
    other_key = package(individual, anonymisation_key=b"another secret of 32 bytes, ok!!")
    assert other_key["grants"][0]["recipientIndividual"]["id"] != person["id"]


def test_an_individual_is_placed_no_finer_than_the_local_authority_when_no_ward_is_known() -> None:
    person = RecipientIndividual("P-1", place=Place("E01006412", lad_code="E08000011"))
    built = package(record("I-1", recipient=person, beneficiary=()))
    assert built["grants"][0]["beneficiaryLocation"][0]["geoCode"] == "E08000011"
    with pytest.raises(ValidationFailed, match="small area"):
        package(record("I-2", recipient=RecipientIndividual("P-2", place=Place("E01006412"))))


def test_individuals_need_the_anonymisation_key() -> None:
    with pytest.raises(ValidationFailed, match="anonymisation key"):
        package(record(recipient=PERSON), anonymisation_key=None)
    with pytest.raises(ValidationFailed, match="at least 16 bytes"):
        package(record(), anonymisation_key=b"short")


# Bad records -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount_pence": 0}, "must be at least 1p"),
        ({"award_date": date(2024, 5, 1)}, "is after 2024-04-01"),
        ({"planned_end": date(2024, 1, 1)}, "planned end is before its planned start"),
        ({"duration_months": -1}, "duration cannot be negative"),
        ({"title": " "}, "needs a title and a description"),
        ({"reference": "//"}, "has no reference"),
        ({"grant_reason": "GTIR010"}, "only for grants to individuals"),
        (
            {"recipient": RecipientOrganisation("x", "X", charity_number="12")},
            "not a registered charity number",
        ),
        ({"recipient": RecipientOrganisation("", "Nameless group")}, "nothing|no charity"),
        ({"recipient": RecipientOrganisation("x", " ")}, "has no name"),
        ({"beneficiary": (Place("X123"),)}, "not an ONS area code"),
        ({"beneficiary": (Place("E92000001"),)}, "not a kind of ONS area"),
        ({"modified": datetime(2024, 3, 1, 12)}, "no time zone"),
        ({"programme": Programme(" ", "Untitled")}, "programme has no code"),
    ],
)
def test_bad_records_are_refused_with_a_reason(changes: dict[str, Any], message: str) -> None:
    bad = record(**{"reference": "G/9", **changes})
    with pytest.raises(ValidationFailed, match=message) as caught:
        package(record(), bad)
    assert list(caught.value.errors) == [f"grant {bad.reference}"]
    assert caught.value.message.startswith("1 of 2 grant records cannot be published")


def test_every_bad_record_is_named_and_nothing_is_published() -> None:
    with pytest.raises(ValidationFailed) as caught:
        package(
            record("A", amount_pence=0),
            record("B"),
            record("C", grant_reason="GTIR999", recipient=PERSON),
            record("B"),
        )
    errors = caught.value.errors
    assert set(errors) == {"grant A", "grant C", "grant B"}
    assert "not a Grant to Individuals Reason" in errors["grant C"][0]
    assert "is the same as grant B's" in errors["grant B"][0]


def test_bad_funders_and_empty_packages_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="is not a 360Giving prefix"):
        build_package([record()], funder=Funder("examplecf", "X", "1123456"), issued=date.today())
    with pytest.raises(ValidationFailed, match="needs an org-id"):
        build_package([record()], funder=Funder("360G-x", "X"), issued=date(2024, 4, 1))
    with pytest.raises(ValidationFailed, match="no awarded grants"):
        build_package([], funder=FUNDER, issued=date(2024, 4, 1))
    local = Funder("360G-council", "A Council", org_id="GB-LAE-KNW")
    built = build_package([record()], funder=local, issued=date(2024, 4, 1))
    assert built["grants"][0]["fundingOrganization"][0]["id"] == "GB-LAE-KNW"


# Validation --------------------------------------------------------------------------------


def test_the_shipped_schemas_are_the_published_ones_and_valid_schemas() -> None:
    package_schema, grant_schema = giving360._schemas()
    Draft202012Validator.check_schema(package_schema)
    Draft202012Validator.check_schema(grant_schema)
    assert grant_schema["$id"].endswith("/1.4.3/schema/360-giving-schema.json")
    if SHARED.exists():
        for name in ("360-giving-package-schema.json", "360-giving-schema.json"):
            assert (giving360.SCHEMA_DIR / name).read_bytes() == (SHARED / name).read_bytes()


def test_the_registry_never_fetches() -> None:
    with pytest.raises(NoSuchResource):
        registry().get_or_retrieve("https://example.org/not-shipped.json")
    assert '"$ref"' not in json.dumps(compiled_package_schema())


def test_invalid_packages_are_described_plainly() -> None:
    built = json.loads(to_json(package(record(), record("G/2"), record("G/3"))))
    built["grants"][0]["awardDate"] = "2024-13-01"
    del built["grants"][1]["title"]
    built["grants"][1]["recipientIndividual"] = {"id": "x", "name": "y"}
    built["grants"][2]["currency"] = "GBX"
    built["grants"][2]["amountAwarded"] = "2500"
    built["grants"].append(copy.deepcopy(built["grants"][2]))
    built["version"] = "1.4.3"
    errors = validate_package(built)
    assert errors == validate_package(built, fast=False)
    assert errors == [
        "grants/0/awardDate (grant 360G-examplecf-G_1): '2024-13-01' is not a date written "
        "YYYY-MM-DD or a full date-time such as 2024-03-31T09:00:00Z",
        "grants/1 (grant 360G-examplecf-G_2): is missing title; has both a "
        "recipientOrganization and a recipientIndividual; a grant goes to one or the other",
        "grants/2/currency (grant 360G-examplecf-G_3): 'GBX' is not an allowed value (see the "
        "360Giving codelist currency.csv)",
        "grants/2/amountAwarded (grant 360G-examplecf-G_3): '2500' is not of type 'number'",
        "grants/3/currency (grant 360G-examplecf-G_3): 'GBX' is not an allowed value (see the "
        "360Giving codelist currency.csv)",
        "grants/3/amountAwarded (grant 360G-examplecf-G_3): '2500' is not of type 'number'",
        "grants: items 2 and 3 are the same; list each one once",
        "version: '1.4.3' does not match '^(\\\\d+\\\\.)(\\\\d+)$'",
    ]
    assert validate_package([]) == ["the package: [] is not of type 'object'"]
    assert validate_package({}) == ["the package: 'grants' is a required property"]


def test_date_times_are_checked_as_rfc3339() -> None:
    built = package(record())
    for good in ("2024-03-01T10:00:00Z", "2024-03-01T10:00:00.5+01:00"):
        built["grants"][0]["awardDate"] = good
        assert validate_package(built) == []
    for bad in ("2024-03-01 10:00", "2024-03-01T25:00:00Z", "01/03/2024"):
        built["grants"][0]["awardDate"] = bad
        assert len(validate_package(built)) == 1


# Generated packages ------------------------------------------------------------------------

places = st.sampled_from(
    [
        Place("E01006412", "Knowsley 001A", "E05000950", "Prescot West", "E08000011", "Knowsley"),
        Place("E01000001", "City of London 001A", lad_code="E09000001"),
        Place("E08000011", "Knowsley"),
        Place("E07000027", "Barrow-in-Furness"),
        Place("E05000028", "Becontree"),
    ]
)
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30)
organisations = st.builds(
    RecipientOrganisation,
    reference=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 /_-]{0,10}", fullmatch=True),
    name=text.filter(str.strip),
    charity_number=st.sampled_from(["", "1170000", "SC012345", "NIC100001"]),
    company_number=st.sampled_from(["", "01234567", "OC301234"]),
    location=st.lists(places, max_size=2).map(tuple),
)
individuals = st.builds(
    RecipientIndividual,
    reference=st.from_regex(r"P-[0-9]{1,6}", fullmatch=True),
    name=text,
    address=text,
    postcode=st.just("L34 5QW"),
    place=st.none() | places.filter(lambda p: p.code[:3] != "E01" or bool(p.lad_code)),
)


@st.composite
def records(draw: st.DrawFn) -> list[GrantRecord]:
    count = draw(st.integers(1, 8))
    result = []
    for index in range(count):
        start = draw(st.none() | st.dates(date(2020, 1, 1), date(2026, 1, 1)))
        recipient = draw(organisations | individuals)
        individual = isinstance(recipient, RecipientIndividual)
        beneficiary = draw(st.lists(places, max_size=3).map(tuple))
        if individual:
            beneficiary = tuple(p for p in beneficiary if p.code[:3] != "E01" or p.lad_code)
        offset = draw(st.sampled_from([None, UTC, timezone(timedelta(hours=1))]))
        result.append(
            GrantRecord(
                reference=f"R{index}-{draw(st.from_regex(r'[A-Za-z0-9]{1,5}', fullmatch=True))}",
                title=draw(text.filter(str.strip)),
                description=draw(text.filter(str.strip)),
                amount_pence=draw(st.integers(1, 10**10)),
                award_date=draw(st.dates(date(2015, 1, 1), date(2024, 4, 1))),
                recipient=recipient,
                beneficiary=beneficiary,
                planned_start=start,
                planned_end=start + timedelta(days=draw(st.integers(0, 1000))) if start else None,
                duration_months=draw(st.none() | st.integers(0, 60)),
                programme=draw(st.none() | st.just(PROGRAMME)),
                from_open_call=draw(st.none() | st.booleans()),
                amount_applied_for_pence=draw(st.none() | st.integers(0, 10**10)),
                grant_reason=draw(st.sampled_from(["", "GTIR020"])) if individual else "",
                grant_purposes=draw(st.sampled_from([(), ("GTIP010",)])) if individual else (),
                modified=datetime(2024, 4, 1, tzinfo=offset) if offset else None,
            )
        )
    return result


@settings(max_examples=150, deadline=None)
@given(records())
def test_generated_packages_validate_and_keep_individuals_anonymous(
    grants: list[GrantRecord],
) -> None:
    built = package(*grants)
    assert validate_package(built) == []
    assert validate_package(json.loads(to_json(built)), fast=False) == []
    assert len(built["grants"]) == len(grants)
    for grant, source in zip(built["grants"], grants, strict=True):
        assert grant["amountAwarded"] * 100 == pytest.approx(source.amount_pence, abs=1e-6)
        if isinstance(source.recipient, RecipientIndividual):
            shown = json.dumps(grant, ensure_ascii=False)
            assert grant["recipientIndividual"]["name"] == "Individual Recipient"
            assert source.recipient.reference not in shown
            assert "L34 5QW" not in shown
            if source.recipient.name.strip() and len(source.recipient.name) > 3:
                assert source.recipient.name not in shown
            for location in grant.get("beneficiaryLocation", []):
                assert location["geoCodeType"] not in {"OA", "LSOA", "MSOA"}


MUTATIONS = (
    ("delete", "title"),
    ("delete", "id"),
    ("delete", "recipientOrganization"),
    ("set", "awardDate", "2024-13-40"),
    ("set", "awardDate", 20240101),
    ("set", "amountAwarded", "lots"),
    ("set", "amountAwarded", True),
    ("set", "currency", "XYZ"),
    ("set", "fromOpenCall", "Maybe"),
    ("set", "dateModified", "yesterday"),
    ("set", "plannedDates", [{"duration": -1, "startDate": "2024"}]),
    ("set", "recipientOrganization", []),
    ("set", "recipientOrganization", [{"name": "no id"}]),
    ("set", "beneficiaryLocation", [{"countryCode": "UK", "latitude": "north"}]),
    ("set", "fundingOrganization", "not a list"),
    ("set", "recipientIndividual", {"id": 7}),
    ("set", "grantProgramme", [{"url": "not a uri"}]),
    ("duplicate",),
)


@settings(max_examples=200, deadline=None)
@given(records(), st.lists(st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 7)), max_size=4))
def test_fast_validation_answers_exactly_as_plain_jsonschema(
    grants: list[GrantRecord], mutations: list[tuple[tuple[Any, ...], int]]
) -> None:
    built = package(*grants)
    for mutation, which in mutations:
        grant = built["grants"][which % len(built["grants"])]
        if mutation[0] == "delete":
            grant.pop(mutation[1], None)
        elif mutation[0] == "set":
            grant[mutation[1]] = copy.deepcopy(mutation[2])
        else:
            built["grants"].append(grant)
    # The package as built (sharing objects between grants) and as read back from JSON.
    for candidate in (built, json.loads(json.dumps(built))):
        assert validate_package(candidate) == validate_package(candidate, fast=False)
    if not mutations:
        assert validate_package(built) == []
