"""Status lists as the node publishes them: fetched like a verifier would, signature checked
against the node's JWKS, decoded with `status_list`, and seen to change as soon as a
credential is revoked."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from covenant.core import clock
from covenant.passport import credential_status, jose, well_known
from covenant.passport.models import StatusList
from covenant.passport.services import (
    credential_issue,
    credential_revoke,
    credential_suspend,
    issuer_key_rotate,
)
from covenant.passport.status_list import parse_status_list_credential

from .conftest import dbs_claims

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(cvs_verifier, volunteer, dbs_type):
    return credential_issue(
        actor=cvs_verifier, holder=volunteer, credential_type=dbs_type, claims=dbs_claims()
    )


def jwks_key(client: Client, kid: str):
    keys = client.get("/.well-known/jwks.json").json()["keys"]
    [jwk] = [k for k in keys if k["kid"] == kid]
    return jose.import_public_jwk(jwk)


def fetch(client: Client, status_list: StatusList, **headers):
    return client.get(status_list.path, **headers)


def decode(client: Client, token: str) -> tuple[dict, dict]:
    """Check the JWT's signature against the key the node publishes; return header, payload."""
    head, body, signature = token.split(".")
    header = json.loads(jose.b64url_decode(head))
    key = jwks_key(client, header["kid"])
    assert jose.verify_signature(
        header["alg"], key, jose.b64url_decode(signature), f"{head}.{body}".encode()
    )
    return header, json.loads(jose.b64url_decode(body))


def test_revoke_fetch_decode_the_bit_is_set(client: Client, cvs, cvs_verifier, issued) -> None:
    status_list = issued.revocation_list
    response = fetch(client, status_list)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vc+jwt"
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in response
    header, payload = decode(client, response.content.decode())
    assert header == {
        "alg": "ES256",
        "typ": "vc+jwt",
        "cty": "vc",
        "kid": issued.issuer_key.kid,
    }
    assert payload["iss"] == payload["issuer"] == well_known.issuer_id(cvs)
    assert payload["id"] == status_list.url
    assert payload["exp"] - payload["iat"] == 24 * 3600
    published = parse_status_list_credential(payload)
    assert published.purposes == ("revocation",)
    assert published.status_list.size >= 131_072
    assert published.status_list.get(issued.revocation_index) == 0
    first_etag = response["ETag"]

    credential_revoke(actor=cvs_verifier, credential=issued, reason="issued_in_error")

    again = fetch(client, status_list, HTTP_IF_NONE_MATCH=first_etag)
    assert again.status_code == 200, "a changed list is never answered 'not modified'"
    assert again["ETag"] != first_etag
    _, payload = decode(client, again.content.decode())
    published = parse_status_list_credential(payload)
    assert published.status_list.get(issued.revocation_index) == 1
    assert published.status_list.set_indexes() == [issued.revocation_index]


def test_unchanged_lists_are_served_byte_for_byte_and_revalidate(client: Client, issued) -> None:
    first = fetch(client, issued.revocation_list)
    second = fetch(client, issued.revocation_list)
    assert first.content == second.content
    assert first["ETag"] == second["ETag"]
    not_modified = fetch(client, issued.revocation_list, HTTP_IF_NONE_MATCH=first["ETag"])
    assert not_modified.status_code == 304
    assert not_modified["ETag"] == first["ETag"]


def test_the_list_is_resigned_hourly_and_after_a_key_rotation(client: Client, cvs, issued) -> None:
    first = fetch(client, issued.revocation_list).content
    with time_machine.travel(clock.now() + timedelta(minutes=59)):
        assert fetch(client, issued.revocation_list).content == first
    with time_machine.travel(clock.now() + timedelta(minutes=61)):
        later = fetch(client, issued.revocation_list).content
        assert later != first
        _, payload = decode(client, later.decode())
        assert payload["iat"] == pytest.approx(clock.now().timestamp(), abs=5)
    new_key = issuer_key_rotate(actor=None, organisation=cvs)
    header, _ = decode(client, fetch(client, issued.revocation_list).content.decode())
    assert header["kid"] == new_key.kid


def test_the_verifier_side_reads_what_is_published(client: Client, cvs_verifier, issued) -> None:
    trust = {
        "issuers": [
            {
                "id": well_known.issuer_id(issued.organisation_id),
                "keys": client.get("/.well-known/jwks.json").json()["keys"],
                "credential_types": [],
            }
        ]
    }

    def lists() -> credential_status.StatusLists:
        return credential_status.StatusLists(
            fetch=lambda url: client.get(url.removeprefix(well_known.base_url())).content.decode(),
            issuer_key=credential_status.issuer_keys(trust),
            now=clock.now().timestamp(),
        )

    from covenant.passport import sdjwt

    status = sdjwt.read_holding(issued.sd_jwt()).payload["status"]
    assert lists()(status) == "valid"
    credential_suspend(actor=cvs_verifier, credential=issued, reason="under_review")
    assert lists()(status) == "suspended"
    credential_revoke(actor=cvs_verifier, credential=issued, reason="superseded")
    assert lists()(status) == "revoked"

    # A copy kept past its expiry is refused, so an old "valid" cannot be replayed for ever.
    stale = lists()
    stale.now = clock.now().timestamp() + 25 * 3600
    with pytest.raises(sdjwt.StatusUnavailable, match="expired"):
        stale(status)


def test_the_plain_json_variant_for_debugging(client: Client, cvs_verifier, issued) -> None:
    credential_revoke(actor=cvs_verifier, credential=issued, reason="superseded")
    response = client.get(issued.revocation_list.path + ".json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=60"
    document = response.json()
    assert "proof" not in document
    assert document["credentialSubject"]["ttl"] == 60_000
    published = parse_status_list_credential(document)
    assert published.status_list.get(issued.revocation_index) == 1


def test_suspension_lists_are_separate(client: Client, cvs_verifier, issued) -> None:
    credential_suspend(actor=cvs_verifier, credential=issued, reason="under_review")
    _, revocation = decode(client, fetch(client, issued.revocation_list).content.decode())
    _, suspension = decode(client, fetch(client, issued.suspension_list).content.decode())
    assert parse_status_list_credential(revocation).status_list.set_indexes() == []
    published = parse_status_list_credential(suspension)
    assert published.purposes == ("suspension",)
    assert published.status_list.set_indexes() == [issued.suspension_index]


def test_an_unknown_list_is_a_plain_404(client: Client, issued) -> None:
    for path in ("/status-lists/999/revocation/1", "/status-lists/x", "/status-lists/1.json"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
    assert client.post(issued.revocation_list.path).status_code == 405


def test_a_list_whose_issuer_lost_every_key_says_so(client: Client, issued) -> None:
    from covenant.passport.models import IssuerKey

    IssuerKey.objects.filter(organisation=issued.organisation).update(active=False)
    response = fetch(client, issued.revocation_list)
    assert response.status_code == 503
    assert "no signing key" in response.json()["detail"]
