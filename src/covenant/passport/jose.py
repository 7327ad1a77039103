"""The small part of JOSE the passport needs: keys as JWKs, compact JWS, strict base64url.

Pure (no Django). Only two signature algorithms exist here, because a credential that must
verify anywhere, offline, for years, should not depend on the verifier guessing well:

- ``ES256``: ECDSA on P-256 with SHA-256, the default (RFC 7518 §3.4);
- ``EdDSA`` on Ed25519 (RFC 8037), which we sign as ``EdDSA`` (what today's wallets and the
  IETF reference library know) and also accept under its fully specified name ``Ed25519``
  (RFC 9864).

A key's type decides its algorithm, never the token's header: an ``ES256`` header over an
Ed25519 key is refused rather than "made to work".

The base64url decoder is strict on purpose: it refuses padding, characters outside the URL-safe
alphabet and non-zero trailing bits. A lenient decoder maps several strings to the same bytes,
so a signature could be changed without being refused (the property tests check that every
single-character change to a presentation is refused).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final, Literal, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
Algorithm = Literal["ES256", "EdDSA"]

#: Algorithms a verifier accepts. ``Ed25519`` is the RFC 9864 name for what ``EdDSA`` means here.
ALLOWED_ALGS: Final = frozenset({"ES256", "EdDSA", "Ed25519"})

_ECDSA_SHA256: Final = ec.ECDSA(hashes.SHA256())
_P256: Final = ec.SECP256R1()
_B64_ALPHABET: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# The last character of an unpadded base64url string carries 2 (length % 4 == 3) or 4
# (length % 4 == 2) bits that must be zero; these are the characters whose spare bits are zero.
_CANONICAL_LAST: Final = {
    2: frozenset(_B64_ALPHABET[i] for i in range(0, 64, 16)),
    3: frozenset(_B64_ALPHABET[i] for i in range(0, 64, 4)),
}
_PADDING: Final = (b"", b"", b"==", b"=")
_URL_TO_STD: Final = bytes.maketrans(b"-_", b"+/")


class JoseError(ValueError):
    """A key, JWK or JWS that is not acceptable; the message says what is wrong."""


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url, as every JOSE structure uses."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url, refusing anything but the one canonical spelling."""
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise JoseError("base64url text holds a non-ASCII character") from None
    if raw.translate(None, _B64_ALPHABET):
        raise JoseError("base64url text holds a character outside the URL-safe alphabet")
    return b64url_decode_prechecked(raw)


def b64url_decode_prechecked(raw: bytes) -> bytes:
    """Decode ASCII whose alphabet the caller has checked (one check for many parts)."""
    rest = len(raw) & 3
    if not rest:
        return binascii.a2b_base64(raw.translate(_URL_TO_STD))
    if rest == 1:
        raise JoseError("base64url text has an impossible length")
    if raw[-1] not in _CANONICAL_LAST[rest]:
        raise JoseError("base64url text has non-zero trailing bits")
    return binascii.a2b_base64(raw.translate(_URL_TO_STD) + _PADDING[rest])


def json_compact(value: object) -> bytes:
    """The one JSON spelling we sign: no spaces, UTF-8, keys in the caller's order."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# --- keys ----------------------------------------------------------------------------------


def generate_key(alg: Algorithm = "ES256") -> PrivateKey:
    """A fresh signing key for ``alg``; ES256 unless the caller asks for EdDSA."""
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise JoseError(f"cannot make a key for algorithm {alg!r}; use ES256 or EdDSA")


def key_alg(key: PrivateKey | PublicKey) -> Algorithm:
    """The algorithm a key signs with (a P-256 key: ES256; an Ed25519 key: EdDSA)."""
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise JoseError(f"elliptic-curve keys must be on P-256, not {key.curve.name}")
        return "ES256"
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return "EdDSA"
    raise JoseError(f"unsupported key type {type(key).__name__}; use a P-256 or Ed25519 key")


def _int32(value: int) -> str:
    return b64url_encode(value.to_bytes(32, "big"))


def public_jwk(key: PrivateKey | PublicKey, *, with_kid: bool = True) -> dict[str, str]:
    """The public JWK of a key, with ``kid`` set to its RFC 7638 thumbprint unless told not to.

    Only the members a verifier needs are written, so the JWK is the same wherever it is
    published (the JWKS, a ``did:web`` document, a credential's ``cnf``).
    """
    public = (
        key.public_key()
        if isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey)
        else key
    )
    jwk: dict[str, str]
    if key_alg(public) == "ES256":
        assert isinstance(public, ec.EllipticCurvePublicKey)
        numbers = public.public_numbers()
        jwk = {"kty": "EC", "crv": "P-256", "x": _int32(numbers.x), "y": _int32(numbers.y)}
    else:
        assert isinstance(public, ed25519.Ed25519PublicKey)
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(public.public_bytes_raw())}
    if with_kid:
        jwk["kid"] = thumbprint(jwk)
    return jwk


def private_jwk(key: PrivateKey) -> dict[str, str]:
    """The private JWK of a key (public members plus ``d``), for storage that encrypts it."""
    jwk = public_jwk(key)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        jwk["d"] = _int32(key.private_numbers().private_value)
    else:
        jwk["d"] = b64url_encode(key.private_bytes_raw())
    return jwk


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint: a key's name that anyone can recompute from the key."""
    kty = jwk.get("kty")
    members: tuple[str, ...]
    if kty == "EC":
        members = ("crv", "kty", "x", "y")
    elif kty == "OKP":
        members = ("crv", "kty", "x")
    else:
        raise JoseError(f"unsupported JWK key type {kty!r}; use EC (P-256) or OKP (Ed25519)")
    try:
        canonical = {name: jwk[name] for name in members}
    except KeyError as exc:
        raise JoseError(f"the JWK lacks its {exc.args[0]!r} member") from None
    digest = hashlib.sha256(json_compact(canonical)).digest()
    return b64url_encode(digest)


def _coordinate(jwk: Mapping[str, Any], name: str) -> bytes:
    value = jwk.get(name)
    if type(value) is not str:
        raise JoseError(f"the JWK's {name!r} member is missing or not a string")
    raw = b64url_decode(value)
    if len(raw) != 32:
        raise JoseError(f"the JWK's {name!r} member must be 32 bytes, not {len(raw)}")
    return raw


def import_public_jwk(jwk: Mapping[str, Any]) -> PublicKey:
    """A public key from a JWK; private members are ignored, so only verification is possible.

    The point is validated (an EC point must lie on P-256), because a JWK from a credential's
    ``cnf`` is attacker-supplied until its signature checks out.
    """
    if type(jwk) is not dict and not isinstance(jwk, Mapping):
        raise JoseError("a JWK must be a JSON object")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "EC" and crv == "P-256":
        point = b"\x04" + _coordinate(jwk, "x") + _coordinate(jwk, "y")
        try:
            return ec.EllipticCurvePublicKey.from_encoded_point(_P256, point)
        except ValueError:
            raise JoseError("the JWK's x and y are not a point on P-256") from None
    if kty == "OKP" and crv == "Ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(_coordinate(jwk, "x"))
    raise JoseError(
        f"unsupported JWK (kty {kty!r}, crv {crv!r}); use EC with P-256 or OKP with Ed25519"
    )


def import_private_jwk(jwk: Mapping[str, Any]) -> PrivateKey:
    """A signing key from a private JWK (as :func:`private_jwk` writes it)."""
    public = import_public_jwk(jwk)
    d = _coordinate(jwk, "d")
    if isinstance(public, ed25519.Ed25519PublicKey):
        private: PrivateKey = ed25519.Ed25519PrivateKey.from_private_bytes(d)
    else:
        try:
            private = ec.derive_private_key(int.from_bytes(d, "big"), ec.SECP256R1())
        except ValueError:
            raise JoseError("the JWK's d is not a valid P-256 private value") from None
    if public_jwk(private, with_kid=False) != public_jwk(public, with_kid=False):
        raise JoseError("the JWK's private member d does not match its public members")
    return private


def private_key_pem(key: PrivateKey, *, password: bytes) -> bytes:
    """PKCS#8 PEM encrypted with ``password``: the at-rest form for an issuer's key."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )


def load_private_key_pem(pem: bytes, *, password: bytes) -> PrivateKey:
    """The key :func:`private_key_pem` wrote; refuses any other key type."""
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except (ValueError, TypeError) as exc:
        raise JoseError(f"cannot read the private key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise JoseError(f"unsupported private key type {type(key).__name__}")
    key_alg(key)
    return key


# --- JWS -----------------------------------------------------------------------------------


def sign(key: PrivateKey, signing_input: bytes) -> bytes:
    """The JWS signature over ``signing_input`` (ES256 as the 64-byte r||s JOSE form)."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        key_alg(key)
        r, s = decode_dss_signature(key.sign(signing_input, _ECDSA_SHA256))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return key.sign(signing_input)


def sign_compact(key: PrivateKey, header: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
    """A compact JWS; ``alg`` in ``header`` must match the key (it is set when missing)."""
    alg = key_alg(key)
    full_header = {"alg": alg, **header}
    if full_header["alg"] != alg:
        raise JoseError(f"header alg {full_header['alg']!r} does not match the {alg} key")
    signing_input = (
        b64url_encode(json_compact(full_header)) + "." + b64url_encode(json_compact(payload))
    )
    signature = sign(key, signing_input.encode("ascii"))
    return signing_input + "." + b64url_encode(signature)


def _der_signature(signature: bytes) -> bytes:
    """JOSE's 64-byte r||s as the DER ECDSA-Sig-Value cryptography verifies.

    Plain byte work, twice as fast as encode_dss_signature (which goes through Python ints);
    the tests check the two agree.
    """
    r, s = signature[:32].lstrip(b"\0"), signature[32:].lstrip(b"\0")
    if not r or r[0] & 0x80:
        r = b"\0" + r
    if not s or s[0] & 0x80:
        s = b"\0" + s
    return b"\x30" + bytes((len(r) + len(s) + 4, 2, len(r))) + r + bytes((2, len(s))) + s


# Concrete key class -> "ES256" (any elliptic curve; the curve is checked per call) or
# "EdDSA". isinstance against cryptography's abstract classes costs more than a signature's
# parsing, so each class is classified once.
_KEY_KINDS: dict[type, str | None] = {}


def _key_kind(key: object) -> str | None:
    kind = _KEY_KINDS.get(type(key), "")
    if kind == "":
        if isinstance(key, ec.EllipticCurvePublicKey):
            kind = "ES256"
        elif isinstance(key, ed25519.Ed25519PublicKey):
            kind = "EdDSA"
        else:
            kind = None
        _KEY_KINDS[type(key)] = kind
    return kind


def verify_signature(alg: str, key: PublicKey, signature: bytes, signing_input: bytes) -> bool:
    """True when ``signature`` is ``key``'s ``alg`` signature over ``signing_input``.

    False (never an exception) for a wrong signature, a wrong-length signature, or a key
    whose type does not fit ``alg``; an algorithm outside the allow-list is False as well.
    """
    if alg == "ES256":
        if _key_kind(key) != "ES256" or len(signature) != 64:
            return False
        key = cast(ec.EllipticCurvePublicKey, key)
        if key.curve.name != "secp256r1":
            return False
        try:
            key.verify(_der_signature(signature), signing_input, _ECDSA_SHA256)
        except InvalidSignature:
            return False
        return True
    if alg in ("EdDSA", "Ed25519"):
        if _key_kind(key) != "EdDSA" or len(signature) != 64:
            return False
        key = cast(ed25519.Ed25519PublicKey, key)
        try:
            key.verify(signature, signing_input)
        except InvalidSignature:
            return False
        return True
    return False
