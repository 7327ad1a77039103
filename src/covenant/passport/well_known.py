"""The documents a verifier fetches to check this node's credentials without signing in and
without calling home more than once: the node's JWK Set, its `did:web` document, and each
issuing organisation's SD-JWT VC issuer metadata.

Identifiers are built on `COVENANT_BASE_URL` (an origin, checked at start-up):

- an organisation issues as ``<base>/issuers/<organisation id>`` (its `iss`);
- that issuer's metadata is at ``<base>/.well-known/jwt-vc-issuer/issuers/<organisation id>``
  (SD-JWT VC: the well-known segment goes between the host and the issuer's path);
- the node is ``did:web:<host>`` (a port is written ``%3A<port>``, as did:web requires), whose
  document lists every published key as a ``JsonWebKey`` verification method.

Only keys not yet retired are published; a rotated-out key stays, so what it signed still
verifies.

Each status list is published at its stored path (``<base>/status-lists/<organisation
id>/<purpose>/<number>``) as a W3C `BitstringStatusListCredential`; `status_list_document` is
that credential before it is signed (services sign it; see `credential_status` for the JWT).
Its `validFrom` is when a status in it last changed (or when the list was made), never the
time of the request, so the document says nothing about when credentials were issued.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from urllib.parse import quote, urlsplit

from django.conf import settings

from covenant.core.models import Organisation

from . import selectors
from .models import IssuerKey, StatusList
from .status_list import StatusList as Bitstring
from .status_list import status_list_credential

#: How long a verifier should keep a fetched status list before fetching it again.
STATUS_LIST_TTL_MS: Final = 60_000

DID_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"]


def base_url() -> str:
    return str(settings.COVENANT_BASE_URL).rstrip("/")


def issuer_id(organisation: Organisation | int) -> str:
    """An organisation's issuer identifier (`iss` in what it signs)."""
    pk = organisation if isinstance(organisation, int) else organisation.pk
    return f"{base_url()}/issuers/{pk}"


def issuer_metadata_url(organisation: Organisation | int) -> str:
    pk = organisation if isinstance(organisation, int) else organisation.pk
    return f"{base_url()}/.well-known/jwt-vc-issuer/issuers/{pk}"


def node_did() -> str:
    """did:web for the node's host; the port, if any, percent-encoded."""
    parts = urlsplit(base_url())
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return f"did:web:{quote(host, safe='')}"


def jwks() -> dict[str, Any]:
    """Every published issuer key of the node, each with kid, alg and use."""
    return {"keys": [key.published_jwk() for key in selectors.issuer_keys_published()]}


def _verification_method(did: str, key: IssuerKey) -> dict[str, Any]:
    jwk = {k: v for k, v in key.published_jwk().items() if k != "use"}
    return {
        "id": f"{did}#{key.kid}",
        "type": "JsonWebKey",
        "controller": did,
        "publicKeyJwk": jwk,
    }


def did_document() -> dict[str, Any]:
    """The node's did:web document: every published key, usable to assert credentials."""
    did = node_did()
    methods = [_verification_method(did, key) for key in selectors.issuer_keys_published()]
    ids = [method["id"] for method in methods]
    return {
        "@context": DID_CONTEXT,
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
    }


def issuer_metadata(organisation: Organisation) -> dict[str, Any] | None:
    """SD-JWT VC issuer metadata (`issuer` and its `jwks`), or None for an organisation with
    no published keys (it issues nothing)."""
    keys = [key.published_jwk() for key in selectors.issuer_keys_of(organisation)]
    if not keys:
        return None
    return {"issuer": issuer_id(organisation), "jwks": {"keys": keys}}


def status_list_document(
    status_list: StatusList, *, valid_until: datetime | None = None
) -> dict[str, Any]:
    """A status list as an (unsigned) `BitstringStatusListCredential`."""
    return status_list_credential(
        url=status_list.url,
        issuer=issuer_id(status_list.organisation_id),
        purpose=status_list.purpose,
        status_list=Bitstring(bytes(status_list.bits)),
        valid_from=status_list.changed_at or status_list.created_at,
        valid_until=valid_until,
        ttl_ms=STATUS_LIST_TTL_MS,
    )
