"""SD-JWT VC: issue a credential, present chosen claims with key binding, verify a presentation.

Pure (no Django). It follows RFC 9901 (SD-JWT) and the SD-JWT VC profile:

- the issuer-signed JWT has header ``typ`` ``dc+sd-jwt`` and a ``kid``; its payload holds
  ``iss``, ``vct``, ``iat``, ``exp`` (``nbf`` and ``status`` when given), ``cnf.jwk`` (the
  holder's public key), ``_sd_alg`` ``sha-256`` and ``_sd``, the digests of the disclosures;
- every personal claim is a disclosure (``[salt, name, value]``, a 128-bit salt) unless the
  issuer names it in ``always_visible``; decoy digests may be added to hide how many there are;
- a presentation is ``<issuer JWT>~<disclosure>~...~<KB-JWT>``, where the KB-JWT (header
  ``typ`` ``kb+jwt``) is signed by the holder's key and carries ``aud``, ``nonce``, ``iat`` and
  ``sd_hash``, the base64url SHA-256 of everything before it (``<issuer JWT>~...~``).

What :func:`verify` checks, each failure with its own stable ``code`` (see :data:`CODES`): the
shape of every part; the algorithm against the allow-list (ES256, EdDSA/Ed25519; never
``none``); the issuer, key id and credential type against the caller's trust resolver — the
verification key never comes from the token itself; the signature; ``exp``/``nbf``/``iat``
with bounded clock skew; that every disclosure's digest appears exactly once and every
disclosure is referenced; that no disclosure reveals a claim the SD-JWT VC profile keeps
visible (``iss``, ``vct``, ``exp``, ``cnf``, ...); the key binding (signature by the key in
``cnf``, ``sd_hash``, ``aud``, single-use ``nonce``, ``iat`` freshness); then the status.

Scope: :func:`verify` understands nested selective disclosure (``_sd`` inside disclosed
objects, ``{"...": digest}`` array elements), so credentials from other issuers verify in
full. :func:`issue` makes each top-level personal claim one disclosure (an object-valued
claim is disclosed whole), and :func:`present` selects by top-level claim name, revealing a
chosen claim with everything nested in it. Only the compact serialization is supported (not
the JWS JSON one), and the holder key only as ``cnf.jwk`` (not ``kid``/``jkt``).

Errors: verification failures raise :class:`VerificationError`; a credential the holder cannot
present (corrupt, or a claim it does not hold) raises :class:`PresentationError`; wrong
arguments to :func:`issue` (a programming error) raise ``ValueError``. None of them imports
the project's error types, so this module stays usable on its own; services turn the codes
into the project's errors.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import json.scanner
import math
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeGuard

from covenant.passport import jose
from covenant.passport.jose import ALLOWED_ALGS, JoseError, PrivateKey, PublicKey

TYP: Final = "dc+sd-jwt"
KB_TYP: Final = "kb+jwt"
SD_ALG: Final = "sha-256"

#: Claims the issuer always writes in the clear. The SD-JWT VC profile forbids disclosing
#: any of these (a holder could otherwise withhold ``exp`` or ``status``), and the verifier
#: refuses a disclosure that names one. ``iat`` and ``sub`` may be disclosed by others;
#: :func:`issue` keeps ``iat`` visible.
NEVER_DISCLOSED: Final = frozenset(
    {"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status", "_sd", "_sd_alg", "..."}
)
_STRUCTURAL: Final = NEVER_DISCLOSED | {"iat"}

#: Every code :class:`VerificationError` uses. Codes are a contract: add, never rename.
CODES: Final = frozenset(
    {
        "malformed",
        "unsupported_typ",
        "unsupported_alg",
        "unsupported_sd_alg",
        "untrusted_issuer",
        "bad_signature",
        "expired",
        "not_yet_valid",
        "issued_in_future",
        "duplicate_disclosure",
        "duplicate_digest",
        "duplicate_claim",
        "disclosure_not_referenced",
        "reserved_claim_disclosed",
        "holder_key_missing",
        "holder_key_invalid",
        "kb_missing",
        "kb_malformed",
        "kb_bad_signature",
        "kb_sd_hash_mismatch",
        "kb_wrong_audience",
        "kb_wrong_nonce",
        "kb_stale",
        "kb_issued_in_future",
        "kb_replayed",
        "revoked",
        "suspended",
        "status_unavailable",
    }
)

StatusAnswer = Literal["valid", "revoked", "suspended"]
#: ``trusted(iss, kid, vct)``: the issuer's public key when ``iss`` is trusted for ``vct``
#: and has a key ``kid`` (``None`` when the header has no ``kid``), else ``None``.
TrustResolver = Callable[[str, str | None, str], PublicKey | None]
#: ``status_check(status_claim)``: the credential's state, or :class:`StatusUnavailable`.
StatusCheck = Callable[[Mapping[str, Any]], str]
#: ``nonce_seen(nonce)``: True if the nonce was used before; records it as used either way.
NonceSeen = Callable[[str], bool]


class SdJwtError(Exception):
    """A refusal with a stable ``code`` and a message that says, in plain words, what is wrong."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class VerificationError(SdJwtError):
    """The presentation is refused; ``code`` is one of :data:`CODES`."""


class PresentationError(SdJwtError):
    """The holder's credential cannot be presented as asked."""


class StatusUnavailable(Exception):
    """Raised by a ``status_check`` that cannot learn the status (list not fetched, corrupt)."""


# Verification results are plain (not frozen) dataclasses: building a frozen one costs a
# microsecond more, which is 1% of a verification.
@dataclass(slots=True)
class KeyBinding:
    """What the holder signed when presenting."""

    audience: str
    nonce: str
    issued_at: int | float


@dataclass(slots=True)
class Verified:
    """A presentation that passed every check.

    ``claims`` is the issuer-signed payload with the presented disclosures merged in and the
    SD-JWT bookkeeping (``_sd``, ``_sd_alg``) removed: the structural claims (``iss``,
    ``vct``, ``iat``, ``exp``, ``cnf``, ``status``) and exactly the personal claims the holder
    chose to reveal, whose top-level names are in ``disclosed``. ``status`` is ``"valid"``
    after a status check, ``"unchecked"`` when the caller gave no ``status_check``, and
    ``"none"`` when the credential has no ``status`` claim (it cannot be revoked).
    """

    claims: dict[str, Any]
    issuer: str
    vct: str
    kid: str | None
    alg: str
    holder_jwk: dict[str, Any] | None
    disclosed: frozenset[str]
    issued_at: int | float | None
    expires_at: int | float | None
    not_before: int | float | None
    key_binding: KeyBinding | None
    status: Literal["valid", "unchecked", "none"]


# --- trust ---------------------------------------------------------------------------------


@dataclass
class TrustedIssuers:
    """A trust resolver built from data: which issuer's keys are trusted for which types.

    ``TrustedIssuers.from_document`` reads the node's ``trust-export`` shape,
    ``{"issuers": [{"id": ISSUER_URL, "keys": [JWK, ...], "credential_types": [VCT, ...]}]}``.
    A token without ``kid`` resolves only when its issuer has exactly one key.
    """

    _keys: dict[str, dict[str, PublicKey]] = field(default_factory=dict, init=False)
    _types: dict[str, frozenset[str]] = field(default_factory=dict, init=False)

    def add(
        self, issuer: str, keys: Mapping[str, PublicKey], credential_types: Iterable[str]
    ) -> None:
        """Trust ``issuer``'s ``keys`` (by kid) for ``credential_types`` (adding to any before)."""
        for key in keys.values():
            jose.key_alg(key)
        self._keys.setdefault(issuer, {}).update(keys)
        self._types[issuer] = self._types.get(issuer, frozenset()) | frozenset(credential_types)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> TrustedIssuers:
        """Read a trust document; ``ValueError`` says which entry is wrong and why."""
        trust = cls()
        issuers = document.get("issuers") if isinstance(document, Mapping) else None
        if not isinstance(issuers, list):
            raise ValueError('a trust document is {"issuers": [...]}')
        for position, entry in enumerate(issuers, start=1):
            where = f"issuer {position}"
            if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
                raise ValueError(f"{where}: needs an 'id' (the issuer URL)")
            jwks, types = entry.get("keys"), entry.get("credential_types")
            if not isinstance(jwks, list) or not isinstance(types, list):
                raise ValueError(f"{where}: needs 'keys' and 'credential_types' lists")
            if not all(isinstance(vct, str) for vct in types):
                raise ValueError(f"{where}: every credential type must be a string")
            keys: dict[str, PublicKey] = {}
            for jwk in jwks:
                try:
                    key = jose.import_public_jwk(jwk)
                    kid = jwk.get("kid") or jose.thumbprint(jwk)
                except JoseError as exc:
                    raise ValueError(f"{where}: {exc}") from None
                keys[str(kid)] = key
            trust.add(entry["id"], keys, types)
        return trust

    def __call__(self, iss: str, kid: str | None, vct: str) -> PublicKey | None:
        if vct not in self._types.get(iss, ()):
            return None
        keys = self._keys.get(iss, {})
        if kid is None:
            return next(iter(keys.values())) if len(keys) == 1 else None
        return keys.get(kid)


# --- issuing -------------------------------------------------------------------------------


_STD_TO_URL: Final = bytes.maketrans(b"+/", b"-_")
_URL_TO_STD: Final = bytes.maketrans(b"-_", b"+/")
# Unpadded base64url's last character when 2 or 3 characters are left over: only those whose
# spare bits are zero (jose.b64url_decode's rule, inlined here for speed).
_CANONICAL_LAST: Final = {2: frozenset(b"AQgw"), 3: frozenset(b"AEIMQUYcgkosw048")}
_PADDING: Final = (b"", b"", b"==", b"=")


def _digest(disclosure: bytes) -> str:
    """base64url(SHA-256(disclosure)), the digest that ``_sd`` lists (43 characters)."""
    encoded = binascii.b2a_base64(hashlib.sha256(disclosure).digest(), newline=False)
    return encoded[:43].translate(_STD_TO_URL).decode("ascii")


def issue(
    *,
    issuer_key: PrivateKey,
    kid: str,
    iss: str,
    vct: str,
    claims: Mapping[str, Any],
    holder_jwk: Mapping[str, Any],
    iat: int,
    exp: int,
    nbf: int | None = None,
    status: Mapping[str, Any] | None = None,
    always_visible: Collection[str] = frozenset(),
    decoys: int = 0,
    rng: Callable[[int], bytes] = secrets.token_bytes,
) -> str:
    """Sign an SD-JWT VC and return it with all its disclosures: ``<jwt>~<d1>~...~<dN>~``.

    Every claim in ``claims`` becomes a disclosure except those named in ``always_visible``.
    ``claims`` must not hold the structural claims (they have their own arguments). ``rng``
    gives salts and decoys (tests pass a seeded one for repeatable output).
    """
    reserved = _STRUCTURAL & claims.keys()
    if reserved:
        raise ValueError(f"claims {sorted(reserved)} are set by issue()'s own arguments")
    unknown = set(always_visible) - claims.keys()
    if unknown:
        raise ValueError(f"always_visible names claims not given: {sorted(unknown)}")
    if decoys < 0:
        raise ValueError("decoys cannot be negative")
    if "d" in holder_jwk:
        raise ValueError("holder_jwk must be a public key (it has a private member 'd')")
    jose.import_public_jwk(holder_jwk)

    payload: dict[str, Any] = {"iss": iss, "vct": vct, "iat": iat, "exp": exp}
    if nbf is not None:
        payload["nbf"] = nbf
    disclosures: list[str] = []
    digests: list[str] = []
    for name, value in claims.items():
        if name in always_visible:
            payload[name] = value
            continue
        salt = jose.b64url_encode(rng(16))
        disclosure = jose.b64url_encode(jose.json_compact([salt, name, value]))
        disclosures.append(disclosure)
        digests.append(_digest(disclosure.encode("ascii")))
    digests.extend(_digest(rng(32)) for _ in range(decoys))
    if digests:
        # Sorted, so the order says nothing about which claim is which.
        payload["_sd"] = sorted(digests)
    payload["_sd_alg"] = SD_ALG
    payload["cnf"] = {"jwk": dict(holder_jwk)}
    if status is not None:
        payload["status"] = dict(status)
    jwt = jose.sign_compact(issuer_key, {"typ": TYP, "kid": kid}, payload)
    return "~".join([jwt, *disclosures, ""])


# --- holding and presenting ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Holding:
    """An SD-JWT as its holder sees it (not verified): what it shows and what it can reveal."""

    jwt: str
    payload: dict[str, Any]
    #: Top-level claim name -> its disclosure (base64url) and value.
    disclosable: dict[str, tuple[str, Any]]
    #: Every disclosure with the digest that names it.
    by_digest: dict[str, str]


def _held_json(part: str) -> Any:
    return json.loads(jose.b64url_decode(part))


def read_holding(sd_jwt: str) -> Holding:
    """Parse a credential held in a wallet, to show it or choose what to present."""
    parts = sd_jwt.split("~")
    if len(parts) < 2 or parts[-1] != "":
        raise PresentationError(
            "malformed", "a held SD-JWT is '<jwt>~<disclosure>~...~' with no key-binding JWT"
        )
    jwt = parts[0]
    try:
        _header, body, _signature = jwt.split(".")
        payload = _held_json(body)
        by_digest = {_digest(d.encode("ascii")): d for d in parts[1:-1]}
        decoded = {digest: _held_json(d) for digest, d in by_digest.items()}
    except (ValueError, RecursionError) as exc:
        raise PresentationError("malformed", f"the credential is corrupt: {exc}") from None
    if not isinstance(payload, dict):
        raise PresentationError("malformed", "the credential's payload is not a JSON object")
    digests = payload.get("_sd")
    disclosable: dict[str, tuple[str, Any]] = {}
    for digest in digests if isinstance(digests, list) else []:
        item = decoded.get(digest) if isinstance(digest, str) else None
        if isinstance(item, list) and len(item) == 3 and isinstance(item[1], str):
            disclosable[item[1]] = (by_digest[digest], item[2])
    return Holding(jwt=jwt, payload=payload, disclosable=disclosable, by_digest=by_digest)


def _nested_digests(value: Any) -> Iterable[str]:
    """Digests referenced anywhere inside a disclosed value (nested selective disclosure)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "_sd" and isinstance(item, list):
                yield from (d for d in item if isinstance(d, str))
            else:
                yield from _nested_digests(item)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and len(item) == 1 and isinstance(item.get("..."), str):
                yield item["..."]
            else:
                yield from _nested_digests(item)


def present(
    sd_jwt: str,
    *,
    disclose: Collection[str] | Literal["all"],
    holder_key: PrivateKey,
    aud: str,
    nonce: str,
    iat: int,
) -> str:
    """A key-bound presentation revealing only the claims named in ``disclose`` (or all).

    A named claim is revealed with everything nested inside it; naming an always-visible
    claim reveals whatever is selectively disclosable inside it. Naming a claim the
    credential does not hold, or a key that is not the credential's holder key, is refused.
    """
    holding = read_holding(sd_jwt)
    cnf = holding.payload.get("cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    if not isinstance(jwk, dict):
        raise PresentationError("holder_key_missing", "the credential is not bound to a holder key")
    try:
        bound = jose.public_jwk(jose.import_public_jwk(jwk), with_kid=False)
    except JoseError as exc:
        raise PresentationError(
            "holder_key_invalid", f"the credential's holder key: {exc}"
        ) from None
    if jose.public_jwk(holder_key, with_kid=False) != bound:
        raise PresentationError(
            "holder_key_mismatch", "this key is not the one the credential is bound to"
        )

    if disclose == "all":
        chosen = list(holding.by_digest.values())
    else:
        if isinstance(disclose, str):
            disclose = [disclose]  # one claim name, not its letters
        visible = holding.payload.keys() - {"_sd", "_sd_alg"}
        missing = set(disclose) - holding.disclosable.keys() - visible
        if missing:
            raise PresentationError(
                "claim_not_held",
                f"the credential has no claim {sorted(missing)}; it has "
                f"{sorted(holding.disclosable.keys() | visible)}",
            )
        wanted: set[str] = set()
        pending = [holding.disclosable[name][0] for name in disclose if name in holding.disclosable]
        # A visible claim may still hold disclosures (nested selective disclosure).
        for name in set(disclose) - holding.disclosable.keys():
            pending.extend(
                holding.by_digest[d]
                for d in _nested_digests(holding.payload[name])
                if d in holding.by_digest
            )
        while pending:
            disclosure = pending.pop()
            if disclosure in wanted:
                continue
            wanted.add(disclosure)
            value = _held_json(disclosure)[-1]
            pending.extend(
                holding.by_digest[d] for d in _nested_digests(value) if d in holding.by_digest
            )
        # Issuance order, so a presentation does not reveal the order of the holder's choice.
        chosen = [d for d in holding.by_digest.values() if d in wanted]

    head = "~".join([holding.jwt, *chosen, ""])
    kb_payload = {
        "iat": iat,
        "aud": aud,
        "nonce": nonce,
        "sd_hash": _digest(head.encode("ascii")),
    }
    return head + jose.sign_compact(holder_key, {"typ": KB_TYP}, kb_payload)


# --- verifying -----------------------------------------------------------------------------

_PRESENTATION_ALPHABET: Final = (
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
)
_json_decoder: Final = json.JSONDecoder()
_json_decode: Final = _json_decoder.decode
_json_scan: Final = json.scanner.make_scanner(_json_decoder)  # type: ignore[arg-type]
# Validated headers by their exact base64url text. An issuer's header is the same in every
# credential it signs with one key, and every ES256 holder's KB-JWT header is the same, so
# this saves two decodes per presentation. Bounded: emptied when full.
_HEADER_CACHE_SIZE: Final = 1024
_issuer_headers: dict[bytes, tuple[str, str | None]] = {}
_kb_headers: dict[bytes, str] = {}
# Whether verify() may take the flat path (see _resolve_flat); tests run both ways.
_FAST_PATH = True


def _fail(code: str, message: str) -> VerificationError:
    return VerificationError(code, message)


def _b64json(raw: bytes, what: str, code: str) -> tuple[Any, str]:
    """The JSON value in one base64url part, and its text (whose alphabet was checked)."""
    try:
        text = jose.b64url_decode_prechecked(raw).decode("utf-8")
    except ValueError as exc:
        raise _fail(code, f"the {what} is not base64url-encoded UTF-8 ({exc})") from None
    # The C scanner alone, which is most of what json.loads does, at a third of its cost;
    # anything it does not consume whole (surrounding whitespace, errors) goes to the full
    # decoder, which either accepts it or says what is wrong.
    try:
        value, end = _json_scan(text, 0)
        if end == len(text):
            return value, text
    except (StopIteration, ValueError, RecursionError):
        pass
    try:
        return _json_decode(text), text
    except (ValueError, RecursionError) as exc:
        raise _fail(code, f"the {what} is not valid JSON ({exc})") from None


def _is_number(value: object) -> TypeGuard[int | float]:
    """A JSON number of seconds: not a boolean, and finite (a NaN ``exp`` would never pass)."""
    return type(value) is int or (type(value) is float and math.isfinite(value))


def _split_jws(raw: bytes, what: str, code: str) -> tuple[bytes, bytes, bytes]:
    parts = raw.split(b".")
    if len(parts) != 3 or not parts[0] or not parts[1] or not parts[2]:
        raise _fail(code, f"the {what} is not a compact JWS (header.payload.signature)")
    return parts[0], parts[1], parts[2]


def _issuer_header(raw: bytes) -> tuple[str, str | None]:
    """``(alg, kid)`` of an acceptable issuer-signed JWT header."""
    found = _issuer_headers.get(raw)
    if found is not None:
        return found
    header, _ = _b64json(raw, "issuer-signed JWT header", "malformed")
    if type(header) is not dict:
        raise _fail("malformed", "the issuer-signed JWT header is not a JSON object")
    alg = header.get("alg")
    if type(alg) is not str or alg not in ALLOWED_ALGS:
        raise _fail(
            "unsupported_alg", f"signature algorithm {alg!r} is not accepted; use ES256 or EdDSA"
        )
    if header.get("typ") != TYP:
        raise _fail("unsupported_typ", f"header typ is {header.get('typ')!r}, not {TYP!r}")
    if "crit" in header:
        raise _fail("malformed", "the header lists critical extensions this verifier does not know")
    kid = header.get("kid")
    if kid is not None and type(kid) is not str:
        raise _fail("malformed", "the header kid is not a string")
    if len(_issuer_headers) >= _HEADER_CACHE_SIZE:
        _issuer_headers.clear()
    _issuer_headers[raw] = found = (alg, kid)
    return found


def _kb_header(raw: bytes) -> str:
    """``alg`` of an acceptable key-binding JWT header."""
    found = _kb_headers.get(raw)
    if found is not None:
        return found
    what = "key-binding JWT header"
    header, _ = _b64json(raw, what, "kb_malformed")
    if type(header) is not dict or header.get("typ") != KB_TYP:
        raise _fail("kb_malformed", f"the key-binding JWT header must have typ {KB_TYP!r}")
    if "crit" in header:
        raise _fail(
            "kb_malformed",
            "the key-binding JWT lists critical extensions this verifier does not know",
        )
    alg = header.get("alg")
    if type(alg) is not str or alg not in ALLOWED_ALGS:
        raise _fail(
            "unsupported_alg", f"key-binding algorithm {alg!r} is not accepted; use ES256 or EdDSA"
        )
    if len(_kb_headers) >= _HEADER_CACHE_SIZE:
        _kb_headers.clear()
    _kb_headers[raw] = str(alg)
    return str(alg)


def _signature(raw: bytes, code: str, what: str) -> bytes:
    try:
        return jose.b64url_decode_prechecked(raw)
    except ValueError as exc:
        raise _fail(code, f"the {what} signature is not base64url ({exc})") from None


class _Disclosures:
    """The general resolver (RFC 9901 §7.1), for payloads and disclosures that nest."""

    __slots__ = ("by_digest", "seen", "used")

    def __init__(self, by_digest: dict[str, list[Any]]) -> None:
        self.by_digest = by_digest
        self.seen: set[str] = set()
        self.used = 0

    def take(self, digest: object) -> list[Any] | None:
        if type(digest) is not str:
            raise _fail("malformed", "a digest in '_sd' or '...' is not a string")
        if digest in self.seen:
            raise _fail(
                "duplicate_digest", "the same disclosure digest appears twice in the credential"
            )
        self.seen.add(digest)
        found = self.by_digest.get(digest)
        if found is not None:
            self.used += 1
        return found

    def object(self, obj: dict[str, Any], top: bool) -> dict[str, Any]:
        digests = obj.get("_sd")
        out = {k: self.value(v) for k, v in obj.items() if k != "_sd"}
        if digests is None:
            return out
        if type(digests) is not list:
            raise _fail("malformed", "'_sd' must be a list of digests")
        for digest in digests:
            item = self.take(digest)
            if item is None:
                continue  # a decoy, or a claim the holder chose not to reveal
            if len(item) != 3:
                raise _fail(
                    "malformed", "an array-element disclosure is referenced from an object's '_sd'"
                )
            name = item[1]
            if name in ("_sd", "...") or (top and name in NEVER_DISCLOSED):
                raise _reserved(name)
            if name in out:
                raise _fail("duplicate_claim", f"claim {name!r} is given twice")
            out[name] = self.value(item[2])
        return out

    def array(self, items: list[Any]) -> list[Any]:
        out = []
        for item in items:
            if type(item) is dict and len(item) == 1 and "..." in item:
                found = self.take(item["..."])
                if found is None:
                    continue
                if len(found) != 2:
                    raise _fail(
                        "malformed",
                        "an object-property disclosure is referenced as an array element",
                    )
                out.append(self.value(found[1]))
            else:
                out.append(self.value(item))
        return out

    def value(self, value: Any) -> Any:
        kind = type(value)
        if kind is dict:
            return self.object(value, False)
        if kind is list:
            return self.array(value)
        return value


def _reserved(name: object) -> VerificationError:
    return _fail(
        "reserved_claim_disclosed",
        f"a disclosure reveals {name!r}, which must be in the signed credential itself",
    )


def _resolve_flat(payload: dict[str, Any], by_digest: dict[str, list[Any]]) -> list[str]:
    """Merge disclosures into ``payload`` in place when nothing nests; returns their names.

    The same rules as :class:`_Disclosures`, for the common case where only the top-level
    ``_sd`` holds digests (what :func:`issue` makes): no copying, no recursion.
    """
    digests = payload.pop("_sd", None)
    names: list[str] = []
    if digests is None:
        return names
    if type(digests) is not list:
        raise _fail("malformed", "'_sd' must be a list of digests")
    # Set operations in C rather than a Python loop over every digest (decoys included).
    if set(map(type, digests)) - {str}:
        raise _fail("malformed", "a digest in '_sd' is not a string")
    listed = set(digests)
    if len(listed) != len(digests):
        raise _fail(
            "duplicate_digest", "the same disclosure digest appears twice in the credential"
        )
    for digest, item in by_digest.items():
        if digest not in listed:
            continue  # counted as not referenced by the caller
        if len(item) != 3:
            raise _fail(
                "malformed", "an array-element disclosure is referenced from an object's '_sd'"
            )
        name = item[1]
        if name in NEVER_DISCLOSED:
            raise _reserved(name)
        if name in payload:
            raise _fail("duplicate_claim", f"claim {name!r} is given twice")
        payload[name] = item[2]
        names.append(name)
    return names


def _read_disclosures(parts: list[bytes]) -> tuple[dict[str, list[Any]], bool]:
    """Each presented disclosure by its digest, and whether any might nest.

    "Might nest" means the decoded text holds ``"_sd"``, ``"..."`` or a backslash. Without a
    backslash no key can be spelled with escapes, so the substring search is exact; a match
    anywhere (even inside a string value) sends the presentation down the general resolver,
    which is correct for every input, so the flat path is only ever a shortcut.

    This is the hottest loop in verify(): the digest, base64url and JSON steps are inlined
    rather than called, which saves about a microsecond per disclosure.
    """
    by_digest: dict[str, list[Any]] = {}
    nests = False
    sha256, b2a, a2b, scan = hashlib.sha256, binascii.b2a_base64, binascii.a2b_base64, _json_scan
    to_url, to_std, canonical, padding = _STD_TO_URL, _URL_TO_STD, _CANONICAL_LAST, _PADDING
    for part in parts:
        digest = b2a(sha256(part).digest(), newline=False)[:43].translate(to_url).decode("ascii")
        if digest in by_digest:
            raise _fail("duplicate_disclosure", "the same disclosure is presented twice")
        rest = len(part) & 3
        if rest == 1 or (rest and part[-1] not in canonical[rest]):
            raise _fail("malformed", "a disclosure is not canonical base64url")
        try:
            text = a2b(part.translate(to_std) + padding[rest]).decode("utf-8")
        except ValueError:
            raise _fail("malformed", "a disclosure is not base64url-encoded UTF-8") from None
        try:
            item, end = scan(text, 0)
            if end != len(text):
                raise ValueError("trailing text")
        except (StopIteration, ValueError, RecursionError):
            item, _ = _b64json(part, "disclosure", "malformed")
        if (
            type(item) is not list
            or not 2 <= len(item) <= 3
            or type(item[0]) is not str
            or (len(item) == 3 and type(item[1]) is not str)
        ):
            raise _fail("malformed", "a disclosure is not [salt, name, value] or [salt, value]")
        if not nests and ("\\" in text or '"_sd"' in text or '"..."' in text):
            nests = True
        by_digest[digest] = item
    return by_digest, nests


def verify(
    presentation: str,
    *,
    trusted: TrustResolver,
    audience: str,
    nonce: str,
    now: float,
    max_skew_s: float = 60,
    kb_max_age_s: float = 300,
    nonce_seen: NonceSeen | None = None,
    status_check: StatusCheck | None = None,
    require_key_binding: bool = True,
) -> Verified:
    """Verify a compact SD-JWT(+KB) presentation; raise :class:`VerificationError` if refused.

    ``now`` is Unix seconds. ``audience`` and ``nonce`` are what this verifier asked for; the
    key-binding JWT must carry exactly them. ``nonce_seen`` is called once the key binding has
    checked out, so garbage cannot use up a nonce. ``status_check`` is called only for a
    credential with a ``status`` claim; without one the result says ``"unchecked"``.
    """
    try:
        raw = presentation.encode("ascii")
    except (UnicodeEncodeError, AttributeError):
        raise _fail("malformed", "a presentation is ASCII text") from None
    # One alphabet check for every part; each part's decoder then checks only its length
    # and trailing bits.
    if raw.translate(None, _PRESENTATION_ALPHABET):
        raise _fail("malformed", "the presentation holds characters outside base64url, '.' and '~'")
    parts = raw.split(b"~")
    if len(parts) < 2:
        raise _fail("malformed", "an SD-JWT is '<jwt>~<disclosures>~<key-binding JWT>'")
    jwt_raw, kb_raw = parts[0], parts[-1]

    # The issuer-signed JWT: header, trust, signature.
    header_b64, payload_b64, signature_b64 = _split_jws(jwt_raw, "issuer-signed JWT", "malformed")
    alg, kid = _issuer_header(header_b64)
    payload, payload_text = _b64json(payload_b64, "issuer-signed JWT payload", "malformed")
    if type(payload) is not dict:
        raise _fail("malformed", "the issuer-signed JWT payload is not a JSON object")
    iss, vct = payload.get("iss"), payload.get("vct")
    if type(iss) is not str or type(vct) is not str:
        raise _fail("malformed", "the credential must name its issuer (iss) and type (vct)")
    key = trusted(iss, kid, vct)
    if key is None:
        raise _fail(
            "untrusted_issuer",
            f"issuer {iss!r} (key {kid!r}) is not trusted for credential type {vct!r}",
        )
    signature = _signature(signature_b64, "malformed", "issuer-signed JWT")
    signing_input = jwt_raw[: len(header_b64) + 1 + len(payload_b64)]
    if not jose.verify_signature(alg, key, signature, signing_input):
        raise _fail(
            "bad_signature", f"the issuer's signature does not verify with {iss!r}'s key {kid!r}"
        )
    sd_alg = payload.get("_sd_alg", SD_ALG)
    if sd_alg != SD_ALG:
        raise _fail(
            "unsupported_sd_alg", f"disclosure digests use {sd_alg!r}; only sha-256 is accepted"
        )

    # Time: exp and nbf can never be disclosed, so the signed payload is the whole story.
    exp, nbf, iat = payload.get("exp"), payload.get("nbf"), payload.get("iat")
    if (
        (exp is not None and not _is_number(exp))
        or (nbf is not None and not _is_number(nbf))
        or (iat is not None and not _is_number(iat))
    ):
        raise _fail("malformed", "exp, nbf and iat must be numbers of seconds")
    if exp is not None and now >= exp + max_skew_s:
        raise _fail("expired", f"the credential expired {_ago(now - exp)} ago")
    if nbf is not None and now + max_skew_s < nbf:
        raise _fail("not_yet_valid", f"the credential is not valid for another {_ago(nbf - now)}")
    if iat is not None and now + max_skew_s < iat:
        raise _fail(
            "issued_in_future", f"the credential says it was issued {_ago(iat - now)} from now"
        )
    cnf = payload.get("cnf")
    holder_jwk = cnf.get("jwk") if type(cnf) is dict else None
    if holder_jwk is not None and type(holder_jwk) is not dict:
        raise _fail("holder_key_invalid", "cnf.jwk is not a JSON object")
    status = payload.get("status")

    # Disclosures: each presented once, each referenced exactly once.
    flat = (
        _FAST_PATH
        and "\\" not in payload_text
        and '"..."' not in payload_text
        and payload_text.count('"_sd"') == ("_sd" in payload)
    )
    by_digest, nests = _read_disclosures(parts[1:-1])
    flat = flat and not nests
    if flat:
        claims = payload
        names = _resolve_flat(claims, by_digest)
        used = len(names)
        disclosed = frozenset(names)
    else:
        resolver = _Disclosures(by_digest)
        try:
            claims = resolver.object(payload, True)
        except RecursionError:
            raise _fail("malformed", "the credential nests too deeply") from None
        used = resolver.used
        disclosed = frozenset(claims.keys() - payload.keys())
    if used != len(by_digest):
        raise _fail(
            "disclosure_not_referenced",
            f"{len(by_digest) - used} disclosure(s) are not part of this credential",
        )
    claims.pop("_sd_alg", None)
    if iat is None and "iat" in claims:
        iat = claims["iat"]
        if not _is_number(iat):
            raise _fail("malformed", "iat is not a number of seconds")
        if now + max_skew_s < iat:
            raise _fail(
                "issued_in_future", f"the credential says it was issued {_ago(iat - now)} from now"
            )

    # Key binding.
    key_binding: KeyBinding | None = None
    if kb_raw:
        if holder_jwk is None:
            raise _fail(
                "holder_key_missing", "the credential is not bound to a holder key (cnf.jwk)"
            )
        key_binding = _verify_key_binding(
            kb_raw,
            holder_jwk,
            raw[: len(raw) - len(kb_raw)],
            audience,
            nonce,
            now,
            max_skew_s,
            kb_max_age_s,
        )
        if nonce_seen is not None and nonce_seen(nonce):
            raise _fail(
                "kb_replayed", "this nonce has been used before: the presentation is a replay"
            )
    elif require_key_binding:
        raise _fail(
            "kb_missing", "the presentation has no key-binding JWT proving the holder sent it"
        )

    # Status last: it is the only step that may cost I/O.
    state: Literal["valid", "unchecked", "none"] = "none"
    if status is not None:
        if type(status) is not dict:
            raise _fail("malformed", "the status claim is not a JSON object")
        state = "unchecked"
        if status_check is not None:
            _check_status(status_check, status)
            state = "valid"

    return Verified(
        claims=claims,
        issuer=iss,
        vct=vct,
        kid=kid,
        alg=alg,
        holder_jwk=holder_jwk,
        disclosed=disclosed,
        issued_at=iat,
        expires_at=exp,
        not_before=nbf,
        key_binding=key_binding,
        status=state,
    )


def _ago(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    if seconds < 7200:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds / 86400:.0f} days"


def _verify_key_binding(
    kb_raw: bytes,
    holder_jwk: dict[str, Any],
    head: bytes,
    audience: str,
    nonce: str,
    now: float,
    max_skew_s: float,
    kb_max_age_s: float,
) -> KeyBinding:
    header_b64, payload_b64, signature_b64 = _split_jws(kb_raw, "key-binding JWT", "kb_malformed")
    alg = _kb_header(header_b64)
    try:
        holder_key = jose.import_public_jwk(holder_jwk)
    except JoseError as exc:
        raise _fail("holder_key_invalid", f"the credential's holder key (cnf.jwk): {exc}") from None
    signature = _signature(signature_b64, "kb_malformed", "key-binding JWT")
    signing_input = kb_raw[: len(header_b64) + 1 + len(payload_b64)]
    if not jose.verify_signature(alg, holder_key, signature, signing_input):
        raise _fail(
            "kb_bad_signature", "the key-binding JWT is not signed by the credential's holder key"
        )
    what = "key-binding JWT payload"
    claims, _ = _b64json(payload_b64, what, "kb_malformed")
    if type(claims) is not dict:
        raise _fail("kb_malformed", "the key-binding JWT payload is not a JSON object")
    kb_iat, kb_aud, kb_nonce, sd_hash = (
        claims.get("iat"),
        claims.get("aud"),
        claims.get("nonce"),
        claims.get("sd_hash"),
    )
    if (
        not _is_number(kb_iat)
        or type(kb_nonce) is not str
        or type(sd_hash) is not str
        or kb_aud is None
    ):
        raise _fail("kb_malformed", "the key-binding JWT needs iat, aud, nonce and sd_hash")
    if sd_hash != _digest(head):
        raise _fail(
            "kb_sd_hash_mismatch",
            "the key-binding JWT was made for a different set of disclosures (sd_hash differs)",
        )
    if kb_aud != audience:
        raise _fail(
            "kb_wrong_audience", f"the presentation is addressed to {kb_aud!r}, not {audience!r}"
        )
    if kb_nonce != nonce:
        raise _fail(
            "kb_wrong_nonce", "the presentation answers a different request (nonce differs)"
        )
    if now + max_skew_s < kb_iat:
        raise _fail(
            "kb_issued_in_future",
            f"the presentation says it was made {_ago(kb_iat - now)} from now",
        )
    if now - kb_iat > kb_max_age_s + max_skew_s:
        raise _fail(
            "kb_stale",
            f"the presentation was made {_ago(now - kb_iat)} ago; ask for a fresh one",
        )
    return KeyBinding(audience=audience, nonce=nonce, issued_at=kb_iat)


def _check_status(status_check: StatusCheck, status: Mapping[str, Any]) -> None:
    try:
        answer = status_check(status)
    except StatusUnavailable as exc:
        raise _fail(
            "status_unavailable", f"the credential's status cannot be checked: {exc}"
        ) from None
    if answer == "valid":
        return
    if answer == "revoked":
        raise _fail("revoked", "the issuer has revoked this credential")
    if answer == "suspended":
        raise _fail("suspended", "the issuer has suspended this credential")
    raise _fail("status_unavailable", f"the status check gave an unknown answer {answer!r}")
