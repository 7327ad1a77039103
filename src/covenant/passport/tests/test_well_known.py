"""The published documents: JWKS, did:web document, SD-JWT VC issuer metadata."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from covenant.core.tests.factories import OrganisationFactory
from covenant.passport import jose, well_known
from covenant.passport.services import issuer_key_retire, issuer_key_rotate

pytestmark = pytest.mark.django_db

PUBLIC_JWK_MEMBERS = {"EC": {"kty", "crv", "x", "y"}, "OKP": {"kty", "crv", "x"}}


def assert_public_document(response, content_type: str) -> dict:
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["ETag"].startswith('"')
    assert "Set-Cookie" not in response
    return response.json()


def assert_published_key(jwk: dict) -> None:
    assert set(jwk) == PUBLIC_JWK_MEMBERS[jwk["kty"]] | {"kid", "alg", "use"}
    assert jwk["kid"] == jose.thumbprint(jwk)
    assert jwk["use"] == "sig"
    assert jwk["alg"] in ("ES256", "EdDSA")
    jose.import_public_jwk(jwk)  # a real key


def test_jwks_lists_every_published_key(client: Client, charity, cvs) -> None:
    assert assert_public_document(
        client.get("/.well-known/jwks.json"), "application/jwk-set+json"
    ) == {"keys": []}
    first = issuer_key_rotate(actor=None, organisation=charity)
    second = issuer_key_rotate(actor=None, organisation=charity, alg="EdDSA")
    theirs = issuer_key_rotate(actor=None, organisation=cvs)
    body = assert_public_document(client.get(reverse("passport:jwks")), "application/jwk-set+json")
    # Grouped by organisation, oldest key first.
    expected = [first, second, theirs] if charity.pk < cvs.pk else [theirs, first, second]
    assert [k["kid"] for k in body["keys"]] == [key.kid for key in expected]
    for jwk in body["keys"]:
        assert_published_key(jwk)
    assert {k["alg"] for k in body["keys"]} == {"ES256", "EdDSA"}


def test_rotation_keeps_old_keys_until_retired(client: Client, charity) -> None:
    old = issuer_key_rotate(actor=None, organisation=charity)
    new = issuer_key_rotate(actor=None, organisation=charity)
    kids = {k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]}
    assert kids == {old.kid, new.kid}
    issuer_key_retire(actor=None, key=old)
    kids = {k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]}
    assert kids == {new.kid}
    did = client.get("/.well-known/did.json").json()
    assert [m["publicKeyJwk"]["kid"] for m in did["verificationMethod"]] == [new.kid]


def test_no_private_material_is_ever_published(client: Client, charity) -> None:
    key = issuer_key_rotate(actor=None, organisation=charity)
    with key.unsealed() as private:
        d = jose.private_jwk(private)["d"]
    for url in (
        "/.well-known/jwks.json",
        "/.well-known/did.json",
        f"/.well-known/jwt-vc-issuer/issuers/{charity.pk}",
    ):
        body = client.get(url).content
        assert d.encode() not in body
        assert b'"d"' not in body


def test_did_document_shape(client: Client, charity, settings) -> None:
    settings.COVENANT_BASE_URL = "https://passport.knowsley.example.org"
    es256 = issuer_key_rotate(actor=None, organisation=charity)
    eddsa = issuer_key_rotate(actor=None, organisation=charity, alg="EdDSA")
    body = assert_public_document(client.get(reverse("passport:did")), "application/did+json")
    did = "did:web:passport.knowsley.example.org"
    assert body["@context"] == ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"]
    assert body["id"] == did
    methods = body["verificationMethod"]
    assert [m["id"] for m in methods] == [f"{did}#{es256.kid}", f"{did}#{eddsa.kid}"]
    for method in methods:
        assert set(method) == {"id", "type", "controller", "publicKeyJwk"}
        assert method["type"] == "JsonWebKey"
        assert method["controller"] == did
        jwk = method["publicKeyJwk"]
        assert "d" not in jwk
        assert "use" not in jwk
        assert method["id"].endswith("#" + jose.thumbprint(jwk))
    assert body["assertionMethod"] == [m["id"] for m in methods]


@pytest.mark.parametrize(
    ("base", "did"),
    [
        ("https://node.example.org", "did:web:node.example.org"),
        ("http://127.0.0.1:8000", "did:web:127.0.0.1%3A8000"),
        ("https://Node.Example.org:8443/", "did:web:node.example.org%3A8443"),
    ],
)
def test_did_web_identifier(settings, base: str, did: str) -> None:
    settings.COVENANT_BASE_URL = base
    assert well_known.node_did() == did


def test_issuer_metadata(client: Client, charity, cvs, settings) -> None:
    settings.COVENANT_BASE_URL = "https://node.example.org"
    old = issuer_key_rotate(actor=None, organisation=charity)
    new = issuer_key_rotate(actor=None, organisation=charity, alg="EdDSA")
    issuer_key_rotate(actor=None, organisation=cvs)
    url = reverse("passport:issuer_metadata", args=[charity.pk])
    assert url == f"/.well-known/jwt-vc-issuer/issuers/{charity.pk}"
    body = assert_public_document(client.get(url), "application/json")
    assert set(body) == {"issuer", "jwks"}
    assert body["issuer"] == f"https://node.example.org/issuers/{charity.pk}"
    assert body["issuer"] == well_known.issuer_id(charity)
    assert [k["kid"] for k in body["jwks"]["keys"]] == [old.kid, new.kid]
    for jwk in body["jwks"]["keys"]:
        assert_published_key(jwk)
    # The metadata URL is the issuer id with /.well-known/jwt-vc-issuer after the host.
    assert well_known.issuer_metadata_url(charity) == "https://node.example.org" + url


def test_issuer_metadata_for_a_non_issuer_is_a_json_404(client: Client) -> None:
    without_keys = OrganisationFactory.create()
    for pk in (without_keys.pk, 999_999):
        response = client.get(f"/.well-known/jwt-vc-issuer/issuers/{pk}")
        assert response.status_code == 404
        assert response["Access-Control-Allow-Origin"] == "*"
        assert response.json()["error"] == "not_found"
    assert client.get("/.well-known/jwt-vc-issuer/issuers/abc").status_code == 404


def test_conditional_get_and_head(client: Client, charity) -> None:
    issuer_key_rotate(actor=None, organisation=charity)
    first = client.get("/.well-known/jwks.json")
    again = client.get("/.well-known/jwks.json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == "public, max-age=300"
    issuer_key_rotate(actor=None, organisation=charity)
    changed = client.get("/.well-known/jwks.json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    head = client.head("/.well-known/did.json")
    assert head.status_code == 200
    assert head.content == b""
    assert client.post("/.well-known/jwks.json").status_code == 405


def test_published_documents_need_no_sign_in_even_for_staff_without_mfa(client: Client, charity):
    # Staff who must set up a second factor are redirected from pages, but not from these.
    from .conftest import member

    client.force_login(member(charity))
    issuer_key_rotate(actor=None, organisation=charity)
    assert client.get("/.well-known/jwks.json").status_code == 200
    assert client.get("/.well-known/did.json").status_code == 200
