"""Interoperability with the IETF reference implementation of SD-JWT (PyPI ``sd-jwt`` 0.10.4).

What the reference library does, read from its source (``sd_jwt/issuer.py``, ``holder.py``,
``verifier.py``, ``common.py``, ``disclosure.py``) and how these tests meet it:

- Issuer JWT header ``typ`` defaults to ``example+sd-jwt`` (or ``$SD_JWT_HEADER``); the tests
  pass ``extra_header_parameters={"typ": "dc+sd-jwt", "kid": ...}``, which the issuer merges
  into its protected header. Left at its default, our verifier refuses it (tested).
- ``_sd_alg`` is ``sha-256`` and a digest is base64url(SHA-256(ASCII of the disclosure)), as
  RFC 9901 says. Its disclosures are ``json.dumps([salt, name, value])`` with spaces after the
  separators, ours have none; both are valid, because the digest covers the encoded string.
- Holder binding is ``cnf.jwk``; the KB-JWT has header ``typ`` ``kb+jwt`` and claims ``nonce``,
  ``aud``, ``iat`` (the wall clock, which is why these tests verify at ``time.time()``) and
  ``sd_hash`` over ``<jwt>~<disclosure>~...~``: RFC 9901 exactly.

Gaps, and what is tested despite them:

- The reference *verifier* checks every KB-JWT as ES256 (``alg`` is hard-coded), so it cannot
  verify a presentation from an Ed25519 holder key, ours or its own. Its *holder* can sign an
  EdDSA KB-JWT, and ours verifies those. Our presentations with ES256 holder keys verify there
  with either issuer algorithm.
- It checks no times (``exp``, ``nbf``, ``iat``, KB ``iat``), no ``typ`` or ``vct``, no status,
  no single use of a nonce, and it does not refuse a disclosure that nothing references (RFC
  9901 §7.1 requires that); ours does all of these (the last two tests show the difference).
- It has no key resolution by issuer and type: the tests hand it the issuer's key.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jwcrypto.jwk import JWK
from jwcrypto.jws import InvalidJWSSignature
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

from covenant.passport import jose, sdjwt
from covenant.passport.sdjwt import VerificationError

ISS = "https://cvs.example.org"
VCT = "https://cvs.example.org/credentials/dbs-check"
AUD = "https://charity.example.org"
CLAIMS = {
    "given_name": "Aisha",
    "family_name": "Okonkwo",
    "level": "enhanced",
    "workforce": "adult",
    "outcome": "no information disclosed",
    "certificate_number": "001234567890",
    "issue_date": "2025-03-14",
}
DBS_SHARE = {"level", "workforce", "outcome", "issue_date"}

ISSUER_KEYS = {alg: jose.generate_key(alg) for alg in ("ES256", "EdDSA")}
HOLDER_KEYS = {alg: jose.generate_key(alg) for alg in ("ES256", "EdDSA")}


def as_jwcrypto(key: jose.PrivateKey, *, private: bool = True) -> JWK:
    members = jose.private_jwk(key) if private else jose.public_jwk(key)
    return JWK(**members)


def trust_for(issuer_key: jose.PrivateKey) -> sdjwt.TrustedIssuers:
    trust = sdjwt.TrustedIssuers()
    trust.add(ISS, {jose.public_jwk(issuer_key)["kid"]: issuer_key.public_key()}, [VCT])
    return trust


def ours_verify(presentation: str, issuer_key: jose.PrivateKey, nonce: str) -> sdjwt.Verified:
    return sdjwt.verify(
        presentation, trusted=trust_for(issuer_key), audience=AUD, nonce=nonce, now=time.time()
    )


def reference_verify(presentation: str, issuer_key: jose.PrivateKey, nonce: str) -> Any:
    public = as_jwcrypto(issuer_key, private=False)

    def issuer_key_for(iss: str, header: dict[str, Any]) -> JWK:
        assert iss == ISS
        assert header["kid"] == public.kid
        return public

    return SDJWTVerifier(presentation, issuer_key_for, AUD, nonce).get_verified_payload()


def reference_issue(
    claims: dict[Any, Any],
    issuer_alg: str,
    holder_alg: str,
    *,
    decoys: bool = False,
    header: dict[str, Any] | None = None,
) -> str:
    now = int(time.time())
    issuer_key = ISSUER_KEYS[issuer_alg]
    structural = {"iss": ISS, "vct": VCT, "iat": now - 60, "exp": now + 3600}
    issuer = SDJWTIssuer(
        {**structural, **claims},
        as_jwcrypto(issuer_key),
        as_jwcrypto(HOLDER_KEYS[holder_alg]),
        sign_alg=issuer_alg,
        add_decoy_claims=decoys,
        extra_header_parameters=header
        if header is not None
        else {"typ": "dc+sd-jwt", "kid": jose.public_jwk(issuer_key)["kid"]},
    )
    return issuer.sd_jwt_issuance


def reference_present(issuance: str, disclose: dict[str, Any], holder_alg: str, nonce: str) -> str:
    holder = SDJWTHolder(issuance)
    holder.create_presentation(
        disclose, nonce, AUD, as_jwcrypto(HOLDER_KEYS[holder_alg]), sign_alg=holder_alg
    )
    return str(holder.sd_jwt_presentation)


def our_presentation(issuer_alg: str, holder_alg: str, disclose: Any, nonce: str) -> str:
    issuer_key = ISSUER_KEYS[issuer_alg]
    now = int(time.time())
    credential = sdjwt.issue(
        issuer_key=issuer_key,
        kid=jose.public_jwk(issuer_key)["kid"],
        iss=ISS,
        vct=VCT,
        claims=CLAIMS,
        holder_jwk=jose.public_jwk(HOLDER_KEYS[holder_alg]),
        iat=now - 60,
        exp=now + 3600,
        status={"status_list": {"idx": 7, "uri": "https://cvs.example.org/status/1"}},
        decoys=3,
    )
    return sdjwt.present(
        credential,
        disclose=disclose,
        holder_key=HOLDER_KEYS[holder_alg],
        aud=AUD,
        nonce=nonce,
        iat=now,
    )


# --- ours, verified by the reference -------------------------------------------------------


@pytest.mark.parametrize("issuer_alg", ["ES256", "EdDSA"])
@pytest.mark.parametrize("disclose", [DBS_SHARE, "all", set()], ids=["dbs-share", "all", "none"])
def test_reference_verifies_our_presentations(issuer_alg: str, disclose: Any) -> None:
    presentation = our_presentation(issuer_alg, "ES256", disclose, "nonce-1")
    theirs = reference_verify(presentation, ISSUER_KEYS[issuer_alg], "nonce-1")
    ours = ours_verify(presentation, ISSUER_KEYS[issuer_alg], "nonce-1")
    assert theirs == ours.claims
    shown = set(CLAIMS) if disclose == "all" else disclose
    assert {k: theirs[k] for k in shown} == {k: CLAIMS[k] for k in shown}
    assert not (set(CLAIMS) - shown) & theirs.keys()


def test_reference_verifier_checks_our_key_binding() -> None:
    presentation = our_presentation("ES256", "ES256", DBS_SHARE, "nonce-2")
    with pytest.raises(ValueError, match="nonce"):
        reference_verify(presentation, ISSUER_KEYS["ES256"], "another-nonce")
    jwt, *disclosures, kb = presentation.split("~")
    dropped = "~".join([jwt, *disclosures[1:], kb])
    with pytest.raises(ValueError, match="digest"):
        reference_verify(dropped, ISSUER_KEYS["ES256"], "nonce-2")


def test_reference_verifier_cannot_check_an_ed25519_key_binding() -> None:
    """The documented gap: its verifier hard-codes ES256 for KB-JWTs, so it refuses ours."""
    presentation = our_presentation("ES256", "EdDSA", DBS_SHARE, "nonce-3")
    assert ours_verify(presentation, ISSUER_KEYS["ES256"], "nonce-3").disclosed == DBS_SHARE
    with pytest.raises(InvalidJWSSignature, match='"alg" mismatch, requested "ES256"'):
        reference_verify(presentation, ISSUER_KEYS["ES256"], "nonce-3")


# --- the reference's, verified by ours -----------------------------------------------------

FLAT = {SDObj(name): value for name, value in CLAIMS.items()}
NESTED = {
    SDObj("given_name"): "Aisha",
    "address": {SDObj("street"): "12 Hidden Lane", SDObj("postcode"): "L36 9XX", "country": "GB"},
    SDObj("training"): [SDObj("safeguarding adults"), "first aid", SDObj("food hygiene")],
    SDObj("level"): "enhanced",
}


@pytest.mark.parametrize("issuer_alg", ["ES256", "EdDSA"])
@pytest.mark.parametrize("holder_alg", ["ES256", "EdDSA"])
@pytest.mark.parametrize("decoys", [False, True], ids=["plain", "decoys"])
def test_we_verify_reference_presentations(issuer_alg: str, holder_alg: str, decoys: bool) -> None:
    issuance = reference_issue(FLAT, issuer_alg, holder_alg, decoys=decoys)
    disclose = dict.fromkeys(DBS_SHARE, True)
    presentation = reference_present(issuance, disclose, holder_alg, "nonce-4")
    verified = ours_verify(presentation, ISSUER_KEYS[issuer_alg], "nonce-4")
    assert verified.disclosed == DBS_SHARE
    assert {k: verified.claims[k] for k in DBS_SHARE} == {k: CLAIMS[k] for k in DBS_SHARE}
    assert verified.holder_jwk is not None
    assert verified.key_binding is not None
    assert verified.alg == issuer_alg
    if holder_alg == "ES256":
        assert verified.claims == reference_verify(presentation, ISSUER_KEYS[issuer_alg], "nonce-4")


@pytest.mark.parametrize(
    ("disclose", "expected"),
    [
        (
            {"given_name": True, "address": {"street": True}, "training": [True, None, False]},
            {
                "given_name": "Aisha",
                "address": {"street": "12 Hidden Lane", "country": "GB"},
                "training": ["safeguarding adults", "first aid"],
            },
        ),
        (
            {"level": True, "address": {}, "training": [False, None, True]},
            {
                "level": "enhanced",
                "address": {"country": "GB"},
                "training": ["first aid", "food hygiene"],
            },
        ),
    ],
)
def test_we_verify_nested_reference_disclosures(
    disclose: dict[str, Any], expected: dict[str, Any]
) -> None:
    """Objects and array elements disclosed inside other claims: RFC 9901's general case."""
    issuance = reference_issue(NESTED, "ES256", "ES256", decoys=True)
    presentation = reference_present(issuance, disclose, "ES256", "nonce-5")
    verified = ours_verify(presentation, ISSUER_KEYS["ES256"], "nonce-5")
    assert {k: verified.claims[k] for k in expected} == expected
    assert verified.claims == reference_verify(presentation, ISSUER_KEYS["ES256"], "nonce-5")


def test_we_present_a_reference_credential_and_both_verify_it() -> None:
    """A wallet holding a credential the reference issued: ours presents, both verify."""
    issuance = reference_issue(NESTED, "EdDSA", "ES256", decoys=True)
    presentation = sdjwt.present(
        issuance,
        disclose={"address", "level"},
        holder_key=HOLDER_KEYS["ES256"],
        aud=AUD,
        nonce="nonce-6",
        iat=int(time.time()),
    )
    ours = ours_verify(presentation, ISSUER_KEYS["EdDSA"], "nonce-6")
    assert ours.claims["address"] == {
        "street": "12 Hidden Lane",
        "postcode": "L36 9XX",
        "country": "GB",
    }
    assert ours.claims["level"] == "enhanced"
    assert "given_name" not in ours.claims
    assert "training" not in ours.claims
    assert ours.claims == reference_verify(presentation, ISSUER_KEYS["EdDSA"], "nonce-6")


def test_reference_default_typ_is_refused() -> None:
    issuance = reference_issue(
        FLAT, "ES256", "ES256", header={"kid": jose.public_jwk(ISSUER_KEYS["ES256"])["kid"]}
    )
    presentation = reference_present(issuance, {"level": True}, "ES256", "nonce-7")
    with pytest.raises(VerificationError) as refused:
        ours_verify(presentation, ISSUER_KEYS["ES256"], "nonce-7")
    assert refused.value.code == "unsupported_typ"
    assert "example+sd-jwt" in refused.value.message


def test_reference_credential_without_kid_resolves_to_the_issuers_only_key() -> None:
    issuance = reference_issue(FLAT, "ES256", "ES256", header={"typ": "dc+sd-jwt"})
    presentation = reference_present(issuance, {"level": True}, "ES256", "nonce-8")
    assert ours_verify(presentation, ISSUER_KEYS["ES256"], "nonce-8").kid is None


_REFERENCE_PRESENTATION = reference_present(
    reference_issue(NESTED, "ES256", "ES256", decoys=True),
    {"level": True, "address": {"street": True}, "training": [True]},
    "ES256",
    "nonce-9",
)


@settings(max_examples=150, deadline=None)
@given(position=st.integers(0, len(_REFERENCE_PRESENTATION) - 1), character=st.characters())
def test_any_change_to_a_reference_presentation_is_refused(position: int, character: str) -> None:
    if _REFERENCE_PRESENTATION[position] == character:
        return
    changed = (
        _REFERENCE_PRESENTATION[:position] + character + _REFERENCE_PRESENTATION[position + 1 :]
    )
    with pytest.raises(VerificationError):
        sdjwt.verify(
            changed,
            trusted=trust_for(ISSUER_KEYS["ES256"]),
            audience=AUD,
            nonce="nonce-9",
            now=time.time(),
        )


# --- where ours is stricter ----------------------------------------------------------------


def test_we_refuse_an_unreferenced_disclosure_the_reference_accepts() -> None:
    """RFC 9901 §7.1: a disclosure that no digest references makes the SD-JWT invalid."""
    issuance = reference_issue(FLAT, "ES256", "ES256")
    stranger = reference_issue(FLAT, "ES256", "ES256").split("~")[1]
    unbound = issuance + stranger + "~"
    public = as_jwcrypto(ISSUER_KEYS["ES256"], private=False)
    accepted = SDJWTVerifier(unbound, lambda iss, header: public).get_verified_payload()
    assert accepted["given_name"] == "Aisha"
    with pytest.raises(VerificationError) as refused:
        sdjwt.verify(
            unbound,
            trusted=trust_for(ISSUER_KEYS["ES256"]),
            audience=AUD,
            nonce="unused",
            now=time.time(),
            require_key_binding=False,
        )
    assert refused.value.code == "disclosure_not_referenced"


def test_we_refuse_an_expired_credential_the_reference_accepts() -> None:
    presentation = our_presentation("ES256", "ES256", DBS_SHARE, "nonce-10")
    assert reference_verify(presentation, ISSUER_KEYS["ES256"], "nonce-10")["level"] == "enhanced"
    with pytest.raises(VerificationError) as refused:
        sdjwt.verify(
            presentation,
            trusted=trust_for(ISSUER_KEYS["ES256"]),
            audience=AUD,
            nonce="nonce-10",
            now=time.time() + 2 * 3600,
            kb_max_age_s=10 * 3600,
        )
    assert refused.value.code == "expired"


def test_reference_output_is_json_like_ours() -> None:
    """Both sides decode to plain JSON values: what one prints, the other reads back."""
    presentation = our_presentation("ES256", "ES256", "all", "nonce-11")
    theirs = reference_verify(presentation, ISSUER_KEYS["ES256"], "nonce-11")
    assert (
        json.loads(json.dumps(theirs))
        == ours_verify(presentation, ISSUER_KEYS["ES256"], "nonce-11").claims
    )
