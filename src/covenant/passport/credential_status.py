"""Where a credential's status lives, both ends: the `status` claim this node writes into each
SD-JWT VC, the signed status-list document it publishes, and the verifier's step that reads
the two together.

Pure (no Django), so the command-line verifier and other nodes use it as it is.

**The status claim.** SD-JWT VC makes `status` a JSON object whose members name status
mechanisms (the IETF Token Status List uses `status_list`). This node uses the W3C Bitstring
Status List, under its own member, with one `BitstringStatusListEntry` per purpose::

    "status": {
      "bitstring_status_list": [
        {"id": ".../status-lists/7/revocation/1#90211", "type": "BitstringStatusListEntry",
         "statusPurpose": "revocation", "statusListIndex": "90211",
         "statusListCredential": "https://node.example.org/status-lists/7/revocation/1"},
        {"id": ".../status-lists/7/suspension/1#5120", "type": "BitstringStatusListEntry",
         "statusPurpose": "suspension", "statusListIndex": "5120",
         "statusListCredential": "https://node.example.org/status-lists/7/suspension/1"}
      ]
    }

The entries are exactly what VC Data Model 2.0 puts in `credentialStatus`, so a W3C-aware
verifier reads them unchanged; revocation and suspension get separate lists (a purpose per
list, as the specification has it), so the published lists say nothing about which revoked
credential was first suspended. A reader also accepts a bare entry as the whole `status`
value, as some issuers (and our benchmark) write it.

**The published list.** Each list is a `BitstringStatusListCredential` secured as a JWT
(VC-JOSE-COSE): header `typ` `vc+jwt`, `cty` `vc`, `alg` and `kid` of the issuing
organisation's signing key; payload the credential itself plus `iss` (its `issuer`), `iat` and
`exp`; served as `application/vc+jwt`. The `exp` (and `validUntil`) bound how long an offline
verifier may trust a copy; the node re-signs well before then.

**The verifier's step.** `StatusLists` is a `status_check` for `sdjwt.verify`: it fetches each
list once (through a function the caller gives, so a command line can read a local cache),
checks the JWT's signature against the issuer's published key (never a key from the token),
its type, expiry and that it is the list the credential points at, then answers "revoked",
"suspended" or "valid". Anything that stops it knowing raises `sdjwt.StatusUnavailable` with
the reason, so the presentation is refused rather than passed unchecked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from . import jose, sdjwt
from .jose import ALLOWED_ALGS, JoseError, PrivateKey, PublicKey
from .status_list import (
    ENTRY_TYPE,
    MIN_ENTRIES,
    REVOCATION,
    SUSPENSION,
    PublishedStatusList,
    StatusEntry,
    StatusListError,
    check_status,
    parse_status_entry,
    parse_status_list_credential,
)

MECHANISM: Final = "bitstring_status_list"
STATUS_LIST_TYP: Final = "vc+jwt"
STATUS_LIST_CTY: Final = "vc"
STATUS_LIST_MEDIA_TYPE: Final = "application/vc+jwt"

#: ``issuer_key(iss, kid)``: the issuer's public key ``kid`` if the caller trusts ``iss``.
KeyResolver = Callable[[str, str | None], PublicKey | None]


# --- the claim -------------------------------------------------------------------------------


def status_claim(
    *, revocation: Mapping[str, Any], suspension: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The `status` claim for a credential with these entries (revocation first)."""
    entries = [dict(revocation)]
    if suspension is not None:
        entries.append(dict(suspension))
    for entry, purpose in zip(entries, (REVOCATION, SUSPENSION), strict=False):
        if entry.get("statusPurpose") != purpose:
            raise ValueError(
                f"the {purpose} entry has statusPurpose {entry.get('statusPurpose')!r}"
            )
    return {MECHANISM: entries}


def status_entries(claim: object) -> list[StatusEntry]:
    """The status-list entries a credential's `status` claim points to, checked."""
    if not isinstance(claim, Mapping):
        raise StatusListError("the status claim must be a JSON object", reason="malformed")
    if claim.get("type") == ENTRY_TYPE:
        return [parse_status_entry(claim)]
    entries = claim.get(MECHANISM)
    if entries is None:
        known = ", ".join(sorted(str(k) for k in claim)) or "nothing"
        raise StatusListError(
            f"the status claim names no mechanism this verifier reads ({known}); it reads "
            f"'{MECHANISM}' (W3C Bitstring Status List entries)",
            reason="unsupported_mechanism",
        )
    if not isinstance(entries, list) or not entries:
        raise StatusListError(
            f"status.{MECHANISM} must be a non-empty list of {ENTRY_TYPE} objects",
            reason="malformed",
        )
    return [parse_status_entry(entry) for entry in entries]


# --- the published list ----------------------------------------------------------------------


def status_list_jwt(
    *,
    key: PrivateKey,
    kid: str,
    document: Mapping[str, Any],
    issued_at: int,
    expires_at: int,
) -> str:
    """Sign a `BitstringStatusListCredential` (from `status_list.status_list_credential`)."""
    issuer = document.get("issuer")
    if not isinstance(issuer, str) or not issuer:
        raise ValueError("the status list credential must name its issuer")
    if expires_at <= issued_at:
        raise ValueError("exp must be after iat")
    payload = {**document, "iss": issuer, "iat": issued_at, "exp": expires_at}
    header = {"typ": STATUS_LIST_TYP, "cty": STATUS_LIST_CTY, "kid": kid}
    return jose.sign_compact(key, header, payload)


def _refused(message: str, reason: str) -> StatusListError:
    return StatusListError(message, reason=reason)


def _json_part(part: str, what: str) -> Any:
    try:
        return json.loads(jose.b64url_decode(part))
    except (ValueError, RecursionError):
        raise _refused(f"the status list's {what} is not base64url JSON", "malformed") from None


def status_list_jwt_read(
    token: str,
    *,
    issuer_key: KeyResolver,
    now: float,
    url: str | None = None,
    max_skew_s: float = 60,
    min_entries: int = MIN_ENTRIES,
) -> PublishedStatusList:
    """Check a fetched status-list JWT and decode its list, or say exactly why not.

    `url` is where the credential said the list is; the list must say it is that list.
    """
    parts = token.strip().split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise _refused("a status list JWT has three dot-separated parts", "malformed")
    header = _json_part(parts[0], "header")
    payload = _json_part(parts[1], "payload")
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise _refused("the status list JWT's header and payload must be objects", "malformed")
    if header.get("typ") != STATUS_LIST_TYP:
        raise _refused(
            f"the status list JWT has typ {header.get('typ')!r}, not {STATUS_LIST_TYP!r}",
            "unsupported_typ",
        )
    alg, kid = header.get("alg"), header.get("kid")
    if not isinstance(alg, str) or alg not in ALLOWED_ALGS:
        raise _refused(f"the status list is signed with {alg!r}, not an allowed algorithm", "alg")
    if kid is not None and not isinstance(kid, str):
        raise _refused("the status list JWT's kid must be a string", "malformed")
    iss = payload.get("iss")
    if not isinstance(iss, str) or not iss:
        raise _refused("the status list JWT must name its issuer (iss)", "malformed")
    key = issuer_key(iss, kid)
    if key is None:
        raise _refused(
            f"the status list's issuer {iss!r} (key {kid!r}) is not trusted", "untrusted"
        )
    try:
        signature = jose.b64url_decode(parts[2])
    except JoseError:
        raise _refused("the status list's signature is not base64url", "malformed") from None
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
    if not jose.verify_signature(alg, key, signature, signing_input):
        raise _refused(
            f"the status list's signature does not verify with {iss!r}'s key", "signature"
        )
    exp, iat = payload.get("exp"), payload.get("iat")
    for name, value in (("exp", exp), ("iat", iat)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise _refused(f"the status list's {name} must be a number of seconds", "malformed")
    if exp is not None and now >= exp + max_skew_s:
        raise _refused("the status list has expired; fetch it again", "expired")
    if iat is not None and now + max_skew_s < iat:
        raise _refused("the status list says it was signed in the future", "malformed")
    published = parse_status_list_credential(payload, min_entries=min_entries)
    if published.issuer != iss:
        raise _refused(
            f"the status list's issuer {published.issuer!r} differs from its signer {iss!r}",
            "malformed",
        )
    if url is not None and published.id != url:
        raise _refused(
            f"the status list fetched is {published.id!r}, not the {url!r} the credential "
            "points to",
            "list_mismatch",
        )
    return published


def issuer_keys(document: Mapping[str, Any]) -> KeyResolver:
    """A key resolver from a trust document (`{"issuers": [{"id", "keys": [JWK...]}]}`, the
    node's `trust-export` shape): any trusted issuer's key, by kid."""
    keys: dict[str, dict[str, PublicKey]] = {}
    issuers = document.get("issuers") if isinstance(document, Mapping) else None
    if not isinstance(issuers, list):
        raise ValueError('a trust document is {"issuers": [...]}')
    for position, entry in enumerate(issuers, start=1):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
            raise ValueError(f"issuer {position}: needs an 'id'")
        jwks = entry.get("keys")
        if not isinstance(jwks, list):
            raise ValueError(f"issuer {position}: needs a 'keys' list")
        for jwk in jwks:
            try:
                public = jose.import_public_jwk(jwk)
                kid = str(jwk.get("kid") or jose.thumbprint(jwk))
            except (JoseError, AttributeError) as exc:
                raise ValueError(f"issuer {position}: {exc}") from None
            keys.setdefault(entry["id"], {})[kid] = public

    def resolve(iss: str, kid: str | None) -> PublicKey | None:
        found = keys.get(iss, {})
        if kid is None:
            return next(iter(found.values())) if len(found) == 1 else None
        return found.get(kid)

    return resolve


# --- the verifier's step ---------------------------------------------------------------------


@dataclass
class StatusLists:
    """A `status_check` for `sdjwt.verify` that reads this node's (or any) published lists.

    `fetch(url)` returns the status-list JWT text (from the network, a cache or a file) and
    raises on failure; each list is fetched and checked once per `StatusLists`, so make one
    per batch of verifications (or per cache period).
    """

    fetch: Callable[[str], str]
    issuer_key: KeyResolver
    now: float
    max_skew_s: float = 60
    min_entries: int = MIN_ENTRIES
    _lists: dict[str, PublishedStatusList] = field(default_factory=dict, init=False)

    def published(self, url: str) -> PublishedStatusList:
        found = self._lists.get(url)
        if found is None:
            token = self.fetch(url)
            found = status_list_jwt_read(
                token,
                issuer_key=self.issuer_key,
                now=self.now,
                url=url,
                max_skew_s=self.max_skew_s,
                min_entries=self.min_entries,
            )
            self._lists[url] = found
        return found

    def status(self, claim: Mapping[str, Any]) -> str:
        """ "revoked", "suspended" or "valid"; `StatusListError` when it cannot tell."""
        suspended = False
        for entry in status_entries(claim):
            if entry.purpose not in (REVOCATION, SUSPENSION):
                continue  # message and refresh lists say nothing about validity
            result = check_status(entry, self.published(entry.list_url))
            if result.valid:
                continue
            if entry.purpose == REVOCATION:
                return "revoked"
            suspended = True
        return "suspended" if suspended else "valid"

    def __call__(self, claim: Mapping[str, Any]) -> str:
        try:
            return self.status(claim)
        except StatusListError as error:
            raise sdjwt.StatusUnavailable(str(error)) from None
        except OSError as error:
            raise sdjwt.StatusUnavailable(
                f"the status list could not be fetched: {error}"
            ) from None
