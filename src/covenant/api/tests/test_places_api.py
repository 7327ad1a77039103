"""Places endpoints: a neighbourhood's deprivation, and where a postcode is."""

from __future__ import annotations

import pytest

from covenant.core.tests.factories import LocalAuthorityFactory, LSOAFactory
from covenant.places.models import Postcode, PostcodeDistrict

from .factories import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def lsoa():
    return LSOAFactory(
        code="E01006412",
        name="Knowsley 012A",
        imd_score=61.2,
        imd_rank=120,
        imd_decile=1,
        income_rank=300,
        income_decile=1,
        health_rank=900,
        health_decile=1,
    )


def test_lsoa_deprivation(client, lsoa):
    response = client.get("/api/v1/places/lsoas/E01006412")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "E01006412"
    assert body["local_authority"] == {"code": "E08000011", "name": "Knowsley"}
    assert body["deprivation"]["score"] == 61.2
    assert body["deprivation"]["rank"] == 120
    assert body["deprivation"]["income"] == {"rank": 300, "decile": 1}
    assert body["deprivation"]["crime"] == {"rank": None, "decile": None}


def test_lsoa_codes_are_case_insensitive(client, lsoa):
    assert client.get("/api/v1/places/lsoas/e01006412").status_code == 200


def test_unknown_lsoa_is_a_404(client):
    body = assert_problem(client.get("/api/v1/places/lsoas/E01999999"), 404, "not_found")
    assert "E01999999" in body["detail"]


def test_a_known_postcode_is_placed_in_its_lsoa(client, lsoa):
    district = PostcodeDistrict.objects.create(code="L36", latitude=53.41, longitude=-2.84)
    Postcode.objects.create(
        postcode="L36 9YU", district=district, lsoa=lsoa, latitude=53.4, longitude=-2.85
    )
    response = client.get("/api/v1/places/postcodes/l369yu")
    assert response.status_code == 200
    body = response.json()
    assert body["postcode"] == "L36 9YU"
    assert body["precision"] == "postcode"
    assert body["lsoa"] == {"code": "E01006412", "name": "Knowsley 012A", "imd_decile": 1}
    assert body["local_authority"]["code"] == "E08000011"
    assert (body["latitude"], body["longitude"]) == (53.4, -2.85)


def test_a_postcode_in_a_known_district_is_placed_by_district(client):
    PostcodeDistrict.objects.create(
        code="L36", latitude=53.41, longitude=-2.84, local_authority=LocalAuthorityFactory()
    )
    body = client.get("/api/v1/places/postcodes/L36 1AA").json()
    assert body["precision"] == "district"
    assert body["lsoa"] is None
    assert body["local_authority"]["name"] == "Knowsley"


def test_an_unknown_but_well_formed_postcode_is_not_an_error(client):
    body = client.get("/api/v1/places/postcodes/SW1A 1AA").json()
    assert body == {
        "postcode": "SW1A 1AA",
        "district": "SW1A",
        "precision": "unknown",
        "lsoa": None,
        "local_authority": None,
        "latitude": None,
        "longitude": None,
    }


def test_a_malformed_postcode_is_a_422_with_the_message(client):
    body = assert_problem(client.get("/api/v1/places/postcodes/NOT-A-POSTCODE"), 422, "invalid")
    assert (
        body["detail"] == "'NOT-A-POSTCODE' is not a UK postcode. Enter a postcode, like L36 9YU."
    )
    assert body["errors"] == [
        {"field": "postcode", "parameter": "postcode", "message": body["detail"]}
    ]


def test_an_absurdly_long_postcode_is_a_422(client):
    body = assert_problem(client.get("/api/v1/places/postcodes/" + "A" * 500), 422, "invalid")
    assert body["errors"][0]["parameter"] == "postcode"
