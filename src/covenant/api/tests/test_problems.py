"""Every kind of error a client can cause comes back as a problem document, never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from covenant.core.models import Organisation, VerificationStatus
from covenant.core.tests.factories import OrganisationFactory

from .factories import assert_problem, bearer, make_token

pytestmark = pytest.mark.django_db

ORGS = "/api/v1/organisations"


def post_json(client: Client, path: str, data: object, **extra: str):
    return client.post(path, json.dumps(data), content_type="application/json", **extra)


def test_validation_error_lists_each_field_with_a_pointer(client, person):
    response = post_json(client, ORGS, {"kind": "spaceship", "email": "nope", "colour": "red"})
    body = assert_problem(response, 422, "invalid")
    by_field = {e["field"]: e for e in body["errors"]}
    assert set(by_field) == {"name", "kind", "email", "colour"}
    assert by_field["name"] == {"field": "name", "pointer": "/name", "message": "This is required."}
    assert by_field["kind"]["message"].startswith("Choose one of: 'charity'")
    assert by_field["email"]["message"] == "Enter an e-mail address, like office@example.org."
    assert "not a field this endpoint accepts" in by_field["colour"]["message"]
    assert body["detail"].endswith("(and 3 more; see errors)")


def test_service_validation_error_keeps_the_services_message_and_field(client, person):
    response = post_json(client, ORGS, {"name": "Knowsley Helpers", "kind": "charity"})
    body = assert_problem(response, 422, "invalid")
    assert body["detail"] == "Enter the charity number: registered charities and CIOs have one."
    assert body["errors"] == [
        {
            "field": "charity_number",
            "pointer": "/charity_number",
            "message": "Enter the charity number: registered charities and CIOs have one.",
        }
    ]


def test_query_parameter_errors_name_the_parameter(client):
    body = assert_problem(client.get(f"{ORGS}?limit=abc"), 422, "invalid")
    assert body["errors"] == [
        {"field": "limit", "parameter": "limit", "message": "Give this as a whole number."}
    ]


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"{", "Expecting property name enclosed in double quotes"),
        (b"{'name': 1}", "Expecting property name"),
        (b"\xff\xfe\x00", ""),
        (b"[" * 100_000, "nested too deeply"),
    ],
)
def test_malformed_json_is_a_400_that_quotes_the_parser(client, person, raw, fragment):
    response = client.post(ORGS, raw, content_type="application/json")
    body = assert_problem(response, 400, "malformed_json")
    assert body["detail"].startswith("The request body is not valid JSON: ")
    assert fragment in body["detail"]


@pytest.mark.parametrize("payload", [[1, 2], "a string", 7, None])
def test_a_body_that_is_not_an_object_is_a_422(client, person, payload):
    body = assert_problem(post_json(client, ORGS, payload), 422, "invalid")
    assert body["errors"][0]["field"] == ""


def test_missing_body_is_a_422_asking_for_an_object(client, person):
    body = assert_problem(client.post(ORGS, b"", content_type="application/json"), 422, "invalid")
    assert body["errors"] == [
        {"field": "", "pointer": "", "message": "Send a JSON object as the body."}
    ]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_wrong_content_type_is_a_415(client, person, content_type):
    response = client.post(ORGS, b'{"name": "x"}', content_type=content_type)
    body = assert_problem(response, 415, "unsupported_media_type")
    assert content_type in body["detail"]


def test_multipart_form_is_a_415_not_a_crash(client, person):
    response = client.post(ORGS, {"name": "x", "kind": "charity"})
    assert_problem(response, 415, "unsupported_media_type")


def test_json_with_charset_and_problem_json_types_are_accepted(client, person):
    response = client.post(
        ORGS,
        json.dumps({"name": "Huyton Allotments", "kind": "community_group"}),
        content_type="application/json; charset=utf-8",
    )
    assert response.status_code == 201


def test_no_credentials_is_a_401_with_www_authenticate(client):
    body = assert_problem(client.get("/api/v1/me"), 401, "not_authenticated")
    assert "Authorization: Bearer" in body["detail"]
    assert client.get("/api/v1/me")["WWW-Authenticate"].startswith("Bearer")


def test_permission_denied_is_a_403(client, admin_membership):
    other = OrganisationFactory()
    response = client.patch(
        f"{ORGS}/{other.pk}", json.dumps({"name": "Taken over"}), content_type="application/json"
    )
    body = assert_problem(response, 403, "forbidden")
    assert "permission" in body["detail"]
    assert Organisation.objects.get(pk=other.pk).name != "Taken over"


def test_unknown_object_is_a_404(client):
    assert_problem(client.get(f"{ORGS}/999999"), 404, "not_found")
    assert_problem(client.get("/api/v1/places/lsoas/E01999999"), 404, "not_found")


def test_an_id_beyond_any_database_is_a_404_not_an_overflow(client):
    assert_problem(client.get(f"{ORGS}/{10**30}"), 404, "not_found")


def test_an_unverified_organisation_is_not_found_for_outsiders(client):
    pending = OrganisationFactory(verification_status=VerificationStatus.PENDING)
    assert_problem(client.get(f"{ORGS}/{pending.pk}"), 404, "not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here",
        "/api/v1/organisations/",
        "/api/v2/organisations",
        "/api/",
        "/api/v1/organisations/abc",
        "/api/v1/organisations/1/nope",
    ],
)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_paths_under_api_are_problem_documents(client, path, method):
    response = getattr(client, method)(path)
    body = assert_problem(response, 404, "not_found")
    assert "/api/v1/docs" in body["detail"]


def test_wrong_method_is_a_405_with_allow(client, person):
    response = client.delete(ORGS)
    body = assert_problem(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, POST"
    assert "DELETE is not allowed" in body["detail"]
    assert_problem(client.post("/api/v1/openapi.json"), 405, "method_not_allowed")
    assert_problem(client.put("/api/v1/me"), 405, "method_not_allowed")


def test_conflict_is_a_409(client, person):
    OrganisationFactory(charity_number="1123456", kind="charity")
    response = post_json(
        client, ORGS, {"name": "Second", "kind": "charity", "charity_number": "1123456"}
    )
    body = assert_problem(response, 409, "conflict")
    assert body["errors"][0]["field"] == "charity_number"


def test_too_large_a_body_is_a_413(client, person, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post_json(client, ORGS, {"name": "x" * 2000, "kind": "charity"})
    assert_problem(response, 413, "request_too_large")


def test_nul_bytes_are_refused_before_the_database(client, person):
    body = assert_problem(
        post_json(client, ORGS, {"name": "Nul\x00Group", "kind": "community_group"}), 422, "invalid"
    )
    assert body["errors"][0]["field"] == "name"
    assert "control characters" in body["errors"][0]["message"]


# Fuzzing: whatever JSON a client sends, the answer is never a server error --------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=300),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=20), children, max_size=4)
    ),
    max_leaves=20,
)
organisation_fields = st.fixed_dictionaries(
    {},
    optional={
        "name": json_values | st.text(max_size=250),
        "kind": st.sampled_from(["charity", "cio", "cic", "company", "community_group"])
        | json_values,
        "charity_number": st.text(max_size=15) | json_values,
        "company_number": st.text(max_size=15) | json_values,
        "postcode": st.sampled_from(["L36 9YU", "l369yu", "GIR 0AA", ""]) | st.text(max_size=20),
        "email": st.emails() | st.text(max_size=30),
        "website": st.text(max_size=30),
        "local_authority": st.sampled_from(["E08000011", "E99999999", "", None]) | json_values,
        "description": st.text(max_size=100),
    },
)
fuzz = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _never_a_server_error(response) -> None:
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json"


@fuzz
@given(body=json_values | organisation_fields)
def test_fuzz_register(client, person, body):
    _never_a_server_error(post_json(client, ORGS, body))


@fuzz
@given(body=json_values | organisation_fields)
def test_fuzz_update_with_a_token(client, body):
    organisation = Organisation.objects.first() or OrganisationFactory()
    _, secret = make_token(organisation, scopes=["organisation.update", "organisation.view"])
    response = client.patch(
        f"{ORGS}/{organisation.pk}",
        json.dumps(body),
        content_type="application/json",
        **bearer(secret),
    )
    _never_a_server_error(response)


@fuzz
@given(
    body=json_values
    | st.fixed_dictionaries(
        {},
        optional={"verified": json_values, "note": json_values, "is_member": json_values},
    )
)
def test_fuzz_verification(client, cvs_staff, body):
    organisation = Organisation.objects.first() or OrganisationFactory()
    _never_a_server_error(post_json(client, f"{ORGS}/{organisation.pk}/verification", body))


@fuzz
@given(
    body=json_values
    | st.fixed_dictionaries({}, optional={"email": st.emails() | json_values, "role": json_values}),
    key=st.none() | st.text(max_size=300),
)
def test_fuzz_memberships_and_idempotency_keys(client, admin_membership, body, key):
    extra = {}
    if key is not None:
        try:
            key.encode("latin-1")
        except UnicodeEncodeError:
            key = key.encode("utf-8").decode("latin-1")
        extra["HTTP_IDEMPOTENCY_KEY"] = key
    path = f"{ORGS}/{admin_membership.organisation_id}/memberships"
    _never_a_server_error(post_json(client, path, body, **extra))


@fuzz
@given(
    raw=st.binary(max_size=200),
    content_type=st.sampled_from(["application/json", "text/plain", ""]),
)
def test_fuzz_raw_bodies(client, person, raw, content_type):
    _never_a_server_error(client.post(ORGS, raw, content_type=content_type))


@fuzz
@given(
    query=st.dictionaries(
        st.sampled_from(["limit", "offset", "kind", "local_authority", "q"]), st.text(max_size=30)
    )
)
def test_fuzz_directory_queries(client, query):
    _never_a_server_error(client.get(ORGS, query))


@fuzz
@given(
    segment=st.text(min_size=1, max_size=40).filter(
        lambda s: "/" not in s and "?" not in s and "#" not in s
    )
)
def test_fuzz_places_paths(client, segment):
    from urllib.parse import quote

    _never_a_server_error(client.get(f"/api/v1/places/postcodes/{quote(segment)}"))
    _never_a_server_error(client.get(f"/api/v1/places/lsoas/{quote(segment)}"))


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/places/lsoas/E01%00",
        "/api/v1/places/postcodes/L36%009YU",
        "/api/v1/organisations?q=food%00bank",
        "/api/v1/organisations?local_authority=E0800%0011",
    ],
)
def test_nul_bytes_in_paths_and_queries_are_a_422(client, path):
    # PostgreSQL refuses NUL in text; it must never reach a query.
    assert_problem(client.get(path), 422, "invalid")
