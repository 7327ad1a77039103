"""Lists: limit/offset in; count, next, previous and results out; bad values are a 422."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from covenant.core.models import VerificationStatus
from covenant.core.tests.factories import OrganisationFactory

from .factories import assert_problem

pytestmark = pytest.mark.django_db

ORGS = "/api/v1/organisations"


@pytest.fixture
def organisations():
    return [OrganisationFactory(name=f"Group {i:03d}") for i in range(7)]


def query_of(url):
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_first_middle_and_last_pages(client, organisations):
    first = client.get(ORGS, {"limit": 3}).json()
    assert first["count"] == 7
    assert [o["name"] for o in first["results"]] == ["Group 000", "Group 001", "Group 002"]
    assert first["previous"] is None
    path, query = query_of(first["next"])
    assert first["next"].startswith("http://testserver/api/v1/organisations?")
    assert (path, query) == (ORGS, {"limit": "3", "offset": "3"})

    middle = client.get(ORGS, query).json()
    assert [o["name"] for o in middle["results"]] == ["Group 003", "Group 004", "Group 005"]
    assert query_of(middle["previous"])[1] == {"limit": "3", "offset": "0"}

    last = client.get(ORGS, query_of(middle["next"])[1]).json()
    assert [o["name"] for o in last["results"]] == ["Group 006"]
    assert last["next"] is None


def test_next_keeps_the_filters(client, organisations):
    page = client.get(ORGS, {"limit": 2, "kind": "community_group"}).json()
    assert query_of(page["next"])[1] == {"limit": "2", "offset": "2", "kind": "community_group"}


def test_default_page_size_is_50(client):
    for i in range(55):
        OrganisationFactory(name=f"Org {i:02d}")
    page = client.get(ORGS).json()
    assert len(page["results"]) == 50
    assert page["count"] == 55


def test_an_offset_past_the_end_is_an_empty_page(client, organisations):
    page = client.get(ORGS, {"offset": 100}).json()
    assert page["results"] == []
    assert page["count"] == 7
    assert page["next"] is None


def test_maximum_page_size_is_200(client, organisations):
    assert client.get(ORGS, {"limit": 200}).status_code == 200
    body = assert_problem(client.get(ORGS, {"limit": 201}), 422, "invalid")
    assert body["errors"] == [
        {"field": "limit", "parameter": "limit", "message": "Give a number of 200 or less."}
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": -5}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": "1.5"}, "offset"),
        ({"offset": 10**40}, "offset"),
    ],
)
def test_invalid_values_are_a_422_naming_the_parameter(client, query, field):
    body = assert_problem(client.get(ORGS, query), 422, "invalid")
    assert [e["parameter"] for e in body["errors"]] == [field]


def test_only_verified_organisations_are_listed(client, organisations):
    OrganisationFactory(name="Waiting", verification_status=VerificationStatus.PENDING)
    names = [o["name"] for o in client.get(ORGS, {"limit": 200}).json()["results"]]
    assert "Waiting" not in names
    assert len(names) == 7
