"""The status claim and the signed status-list document, without a database: how they are
written, and every way the verifier's side refuses one."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from covenant.passport import credential_status, issuance, jose, sdjwt
from covenant.passport.credential_status import (
    MECHANISM,
    StatusLists,
    issuer_keys,
    status_claim,
    status_entries,
    status_list_jwt,
    status_list_jwt_read,
)
from covenant.passport.status_list import (
    StatusList,
    StatusListError,
    StatusMessage,
    status_list_credential,
    status_list_entry,
)

ISSUER = "https://node.example.org/issuers/7"
REV_URL = "https://node.example.org/status-lists/7/revocation/1"
SUS_URL = "https://node.example.org/status-lists/7/suspension/1"
NOW = 1_780_000_000
KEY = jose.generate_key("ES256")
KID = jose.thumbprint(jose.public_jwk(KEY, with_kid=False))
TRUST = {"issuers": [{"id": ISSUER, "keys": [jose.public_jwk(KEY)], "credential_types": []}]}


def entry(url: str, index: int, purpose: str) -> dict:
    return status_list_entry(list_url=url, index=index, purpose=purpose)


def claim(rev: int = 10, sus: int = 20) -> dict:
    return status_claim(
        revocation=entry(REV_URL, rev, "revocation"), suspension=entry(SUS_URL, sus, "suspension")
    )


def signed_list(
    url: str,
    purpose: str,
    set_bits=(),
    *,
    iat=NOW - 60,
    exp=NOW + 3600,
    key=KEY,
    kid=KID,
    **changes,
) -> str:
    bits = StatusList.new()
    for index in set_bits:
        bits.set(index, 1)
    document = status_list_credential(
        url=url,
        issuer=ISSUER,
        purpose=purpose,
        status_list=bits,
        valid_from=datetime.fromtimestamp(iat, UTC),
    )
    document.update(changes)
    return status_list_jwt(key=key, kid=kid, document=document, issued_at=iat, expires_at=exp)


def read(token: str, **options):
    options.setdefault("url", REV_URL)
    return status_list_jwt_read(token, issuer_key=issuer_keys(TRUST), now=NOW, **options)


# --- the claim -----------------------------------------------------------------------------------


def test_the_claim_holds_one_entry_per_purpose_under_our_mechanism() -> None:
    written = claim()
    assert list(written) == [MECHANISM]
    assert [e["statusPurpose"] for e in written[MECHANISM]] == ["revocation", "suspension"]
    parsed = status_entries(written)
    assert [(e.purpose, e.list_url, e.index) for e in parsed] == [
        ("revocation", REV_URL, 10),
        ("suspension", SUS_URL, 20),
    ]


def test_a_bare_entry_is_read_too() -> None:
    [parsed] = status_entries(entry(REV_URL, 5, "revocation"))
    assert parsed.index == 5


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("revoked", "malformed"),
        ({"status_list": {"idx": 1, "uri": REV_URL}}, "unsupported_mechanism"),
        ({MECHANISM: []}, "malformed"),
        ({MECHANISM: [{"type": "Nope"}]}, "malformed"),
    ],
)
def test_claims_we_cannot_read_are_refused(bad, reason) -> None:
    with pytest.raises(StatusListError) as caught:
        status_entries(bad)
    assert caught.value.reason == reason


def test_entries_must_match_their_purpose() -> None:
    with pytest.raises(ValueError, match="revocation"):
        status_claim(revocation=entry(SUS_URL, 1, "suspension"))


# --- the signed list ------------------------------------------------------------------------------


def test_a_signed_list_reads_back() -> None:
    token = signed_list(REV_URL, "revocation", [3, 99])
    header = json.loads(jose.b64url_decode(token.split(".")[0]))
    assert header == {"alg": "ES256", "typ": "vc+jwt", "cty": "vc", "kid": KID}
    published = read(token)
    assert published.issuer == ISSUER
    assert published.status_list.set_indexes() == [3, 99]


def _resign(token: str, change) -> str:
    head, body, _ = token.split(".")
    header = json.loads(jose.b64url_decode(head))
    payload = json.loads(jose.b64url_decode(body))
    change(header, payload)
    return jose.sign_compact(KEY, header, payload)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: "not.a.jwt.at.all", "malformed"),
        (lambda: signed_list(REV_URL, "revocation").rsplit(".", 1)[0] + ".AAAA", "signature"),
        (
            lambda: _resign(
                signed_list(REV_URL, "revocation"), lambda h, p: h.update(typ="dc+sd-jwt")
            ),
            "unsupported_typ",
        ),
        (
            lambda: signed_list(REV_URL, "revocation", key=jose.generate_key("ES256")),
            "signature",
        ),
        (lambda: signed_list(REV_URL, "revocation", kid="someone-else"), "untrusted"),
        (lambda: signed_list(REV_URL, "revocation", iat=NOW - 7200, exp=NOW - 61), "expired"),
        (lambda: signed_list(REV_URL, "revocation", iat=NOW + 3600, exp=NOW + 7200), "malformed"),
        (lambda: signed_list(SUS_URL, "suspension"), "list_mismatch"),
        (
            lambda: signed_list(REV_URL, "revocation", issuer="https://elsewhere.example"),
            "untrusted",
        ),
        (
            lambda: _resign(
                signed_list(REV_URL, "revocation"),
                lambda h, p: p.update(issuer="https://x.example"),
            ),
            "malformed",
        ),
        (
            lambda: _resign(signed_list(REV_URL, "revocation"), lambda h, p: p.update(iss="x")),
            "untrusted",
        ),
    ],
)
def test_a_list_is_refused_with_its_reason(make, reason) -> None:
    with pytest.raises(StatusListError) as caught:
        read(make())
    assert caught.value.reason == reason


def test_the_algorithm_none_is_refused() -> None:
    token = signed_list(REV_URL, "revocation")
    head, body, _ = token.split(".")
    header = json.loads(jose.b64url_decode(head))
    header["alg"] = "none"
    forged = jose.b64url_encode(json.dumps(header).encode()) + "." + body + "."
    with pytest.raises(StatusListError) as caught:
        read(forged)
    assert caught.value.reason == "alg"


def test_a_list_must_be_long_enough() -> None:
    bits = StatusList(bytes(16), min_entries=8)
    document = status_list_credential(
        url=REV_URL,
        issuer=ISSUER,
        purpose="revocation",
        status_list=bits,
        valid_from=datetime.fromtimestamp(NOW, UTC),
    )
    token = status_list_jwt(key=KEY, kid=KID, document=document, issued_at=NOW, expires_at=NOW + 9)
    with pytest.raises(StatusListError) as caught:
        read(token)
    assert caught.value.reason == "too_short"


# --- the verifier's step --------------------------------------------------------------------------


def lists(revoked=(), suspended=(), calls=None) -> StatusLists:
    published = {
        REV_URL: signed_list(REV_URL, "revocation", revoked),
        SUS_URL: signed_list(SUS_URL, "suspension", suspended),
    }

    def fetch(url: str) -> str:
        if calls is not None:
            calls.append(url)
        if url not in published:
            raise OSError("connection refused")
        return published[url]

    return StatusLists(fetch=fetch, issuer_key=issuer_keys(TRUST), now=NOW)


def test_the_answer_follows_the_bits() -> None:
    assert lists()(claim()) == "valid"
    assert lists(suspended=[20])(claim()) == "suspended"
    assert lists(revoked=[10])(claim()) == "revoked"
    assert lists(revoked=[10], suspended=[20])(claim()) == "revoked"
    assert lists(revoked=[11], suspended=[21])(claim()) == "valid"


def test_each_list_is_fetched_once() -> None:
    calls: list[str] = []
    checker = lists(calls=calls)
    for index in range(5):
        assert checker(claim(rev=index, sus=index)) == "valid"
    assert calls == [REV_URL, SUS_URL]


def test_what_stops_the_check_refuses_the_presentation() -> None:
    elsewhere = status_claim(revocation=entry("https://down.example/list", 1, "revocation"))
    with pytest.raises(sdjwt.StatusUnavailable, match="connection refused"):
        lists()(elsewhere)
    with pytest.raises(sdjwt.StatusUnavailable, match="outside this status list"):
        lists()(claim(rev=200_000))


def test_message_lists_say_nothing_about_validity() -> None:
    message = status_list_entry(
        list_url="https://node.example.org/status-lists/7/message/1",
        index=1,
        purpose="message",
        messages=[StatusMessage(0, "ok"), StatusMessage(1, "see us")],
    )
    assert lists()({MECHANISM: [entry(REV_URL, 1, "revocation"), message]}) == "valid"


def test_issuer_keys_resolves_by_kid_and_refuses_a_bad_document() -> None:
    resolve = issuer_keys(TRUST)
    assert resolve(ISSUER, KID) is not None
    assert resolve(ISSUER, None) is not None  # one key: no kid needed
    assert resolve(ISSUER, "other") is None
    assert resolve("https://stranger.example", KID) is None
    with pytest.raises(ValueError, match="issuers"):
        issuer_keys({"keys": []})
    with pytest.raises(ValueError, match="issuer 1"):
        issuer_keys({"issuers": [{"id": ISSUER, "keys": [{"kty": "RSA"}]}]})


# --- the issued credential's shape ----------------------------------------------------------------


def test_an_issued_credential_carries_the_status_claim_and_hides_every_claim() -> None:
    holder = jose.public_jwk(jose.generate_key("ES256"))
    issued = datetime(2026, 1, 1, tzinfo=UTC)
    compact = issuance.credential_sd_jwt(
        issuer_key=KEY,
        kid=KID,
        iss=ISSUER,
        vct="urn:test",
        claims={"a": 1, "b": "two"},
        holder_jwk=holder,
        issued_at=issued,
        expires_at=None,
        revocation=issuance.StatusSlot(REV_URL, 4),
        suspension=issuance.StatusSlot(SUS_URL, 5),
    )
    holding = sdjwt.read_holding(compact)
    assert set(holding.disclosable) == {"a", "b"}
    assert "a" not in holding.payload
    assert "b" not in holding.payload
    assert holding.payload["status"] == claim(rev=4, sus=5)
    assert holding.payload["exp"] == int(issued.timestamp()) + issuance.NO_EXPIRY_TOKEN_DAYS * 86400
    assert issuance.download_filename("dbs-check", issued, "abcdef0123") == (
        "dbs-check-2026-01-01-abcdef01.sd-jwt"
    )
    assert credential_status.status_entries(holding.payload["status"])[1].index == 5
