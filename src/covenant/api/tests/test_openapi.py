"""The OpenAPI document and the docs page, which must work with no network."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

EXPECTED = {
    ("get", "/api/v1/me"),
    ("get", "/api/v1/organisations"),
    ("post", "/api/v1/organisations"),
    ("get", "/api/v1/organisations/{organisation_id}"),
    ("patch", "/api/v1/organisations/{organisation_id}"),
    ("post", "/api/v1/organisations/{organisation_id}/verification"),
    ("post", "/api/v1/organisations/{organisation_id}/memberships"),
    ("get", "/api/v1/places/lsoas/{code}"),
    ("get", "/api/v1/places/postcodes/{postcode}"),
}


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_openapi_lists_every_endpoint(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Social Covenant API"
    assert schema["info"]["version"] == "1"
    listed = {(m, p) for p, ops in schema["paths"].items() for m in ops}
    assert listed == EXPECTED


def test_every_operation_documents_problem_responses(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "403", "404", "422"):
                content = operation["responses"][status]["content"]
                assert content == {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                }, (method, path, status)
    assert set(schema["components"]["schemas"]["Problem"]["required"]) >= {
        "type",
        "title",
        "status",
        "detail",
        "code",
        "errors",
    }


def test_posts_document_the_idempotency_key(schema):
    for path, operations in schema["paths"].items():
        names = [p["name"] for p in operations.get("post", {}).get("parameters", [])]
        if "post" in operations:
            assert "Idempotency-Key" in names, path


def test_public_reads_allow_no_credentials_and_writes_need_them(schema):
    assert {} in schema["paths"]["/api/v1/organisations"]["get"]["security"]
    assert {} not in schema["paths"]["/api/v1/organisations"]["post"]["security"]
    assert {} not in schema["paths"]["/api/v1/me"]["get"]["security"]
    assert set(schema["components"]["securitySchemes"]) == {"TokenAuth", "SessionAuth"}


def test_paginated_lists_have_count_next_previous_results(schema):
    ref = schema["paths"]["/api/v1/organisations"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["$ref"]
    paged = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert set(paged["properties"]) == {"count", "next", "previous", "results"}


def test_docs_page_renders_every_operation_without_any_external_resource(client, schema):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    for path, operations in schema["paths"].items():
        for method in operations:
            assert f"{method.upper()}</strong> <code>{path}</code>" in html
    assert "idempotency_key_reused" in html  # the problem codes table
    # Everything the page loads comes from this node: no CDN, no other host.
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not url.startswith(("http:", "https:", "//")), url


def test_docs_page_answers_get_only(client):
    assert client.post("/api/v1/docs").status_code == 405


def test_api_index_points_to_the_docs(client):
    body = client.get("/api/v1/").json()
    assert body["openapi"] == "http://testserver/api/v1/openapi.json"
    assert body["docs"] == "http://testserver/api/v1/docs"
