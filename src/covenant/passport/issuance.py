"""What an SD-JWT VC issued by this node carries, in one place, so the issuing service and the
bulk demo loader make exactly the same credential.

Pure (no Django). The shape:

- header `typ` `dc+sd-jwt`, `alg` of the organisation's signing key (ES256 by default), `kid`
  its thumbprint (what the node's JWKS and did:web document publish);
- `iss` the organisation's issuer id (`<base>/issuers/<id>`), `vct` the credential type;
- `iat` the moment of issue; `exp` the end of the type's validity, counted from when the
  check or training happened (so a course done last year runs out when its certificate
  does). A type that does not expire (an identity check, a reference) still gets an `exp`,
  `NO_EXPIRY_TOKEN_DAYS` after issue, because a bearer of signed claims should not verify
  for ever; the node shows such a credential as not expiring and reissues it if asked;
- every personal claim selectively disclosable (none always visible), with `DECOYS` decoy
  digests so the number of claims is not given away;
- `cnf.jwk` the volunteer's holder key;
- `status` pointing at the credential's entries in the organisation's revocation and
  suspension lists (see `credential_status` for the shape).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from . import credential_status, sdjwt
from .jose import PrivateKey
from .status_list import REVOCATION, SUSPENSION, status_list_entry

NO_EXPIRY_TOKEN_DAYS: Final = 3650
DECOYS: Final = 2
SD_JWT_MEDIA_TYPE: Final = "application/dc+sd-jwt"
DOWNLOAD_SUFFIX: Final = ".sd-jwt"


@dataclass(frozen=True)
class StatusSlot:
    """A credential's entry in one published status list."""

    list_url: str
    index: int


def token_expiry(issued_at: datetime, expires_at: datetime | None) -> int:
    """The `exp` claim: the credential's end, or the longest life a non-expiring one gets."""
    if expires_at is not None:
        return int(expires_at.timestamp())
    return int(issued_at.timestamp()) + NO_EXPIRY_TOKEN_DAYS * 86_400


def credential_sd_jwt(
    *,
    issuer_key: PrivateKey,
    kid: str,
    iss: str,
    vct: str,
    claims: Mapping[str, Any],
    holder_jwk: Mapping[str, Any],
    issued_at: datetime,
    expires_at: datetime | None,
    revocation: StatusSlot,
    suspension: StatusSlot,
    rng: Callable[[int], bytes] = secrets.token_bytes,
) -> str:
    """The issued credential, compact (`<jwt>~<disclosure>~...~`), every claim disclosable."""
    status = credential_status.status_claim(
        revocation=status_list_entry(
            list_url=revocation.list_url, index=revocation.index, purpose=REVOCATION
        ),
        suspension=status_list_entry(
            list_url=suspension.list_url, index=suspension.index, purpose=SUSPENSION
        ),
    )
    return sdjwt.issue(
        issuer_key=issuer_key,
        kid=kid,
        iss=iss,
        vct=vct,
        claims=claims,
        holder_jwk=holder_jwk,
        iat=int(issued_at.timestamp()),
        exp=token_expiry(issued_at, expires_at),
        status=status,
        decoys=DECOYS,
        rng=rng,
    )


def download_filename(slug: str, issued_at: datetime, uid: str) -> str:
    """A file name a person recognises in their downloads: type, date and a short id."""
    return f"{slug}-{issued_at:%Y-%m-%d}-{uid[:8]}{DOWNLOAD_SUFFIX}"
