"""The published documents: what wallets and verifiers fetch, without signing in, from any
origin (a browser-based wallet or verifier reads them).

Keys, the DID document and issuer metadata may be cached for five minutes
(`Cache-Control: public, max-age=300`). A status list may be cached for one minute only
(`max-age=60`), so a revocation reaches verifiers within a minute even through a shared
cache; a verifier that fetches again after a revocation gets the new list at once, because
the node re-signs the list when its bits change. Every document carries an ETag (the hash of
the exact bytes served) and `Access-Control-Allow-Origin: *`.

A status list is served at its stored path as a JWT (`application/vc+jwt`, see
`credential_status`) and, for people debugging, at the same path plus `.json` as the plain,
unsigned `BitstringStatusListCredential` (`application/json`). A verifier must use the JWT:
only it proves who published the list.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_safe

from covenant.core.errors import Conflict
from covenant.core.models import Organisation

from .. import selectors, services, well_known
from ..credential_status import STATUS_LIST_MEDIA_TYPE

PUBLIC_MAX_AGE = 300
STATUS_LIST_MAX_AGE = 60
STATUS_LIST_PREFIX = "/status-lists/"


def _public(
    request: HttpRequest,
    body: bytes,
    *,
    status: int = 200,
    content_type: str = "application/json",
    max_age: int = PUBLIC_MAX_AGE,
) -> HttpResponse:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if status == 200 and etag in request.headers.get("If-None-Match", ""):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(body, status=status, content_type=content_type)
    if status == 200:
        response["ETag"] = etag
        response["Cache-Control"] = f"public, max-age={max_age}"
    else:
        response["Cache-Control"] = "public, max-age=60"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _public_json(
    request: HttpRequest,
    document: Any,
    *,
    status: int = 200,
    content_type: str = "application/json",
    max_age: int = PUBLIC_MAX_AGE,
) -> HttpResponse:
    body = json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return _public(request, body, status=status, content_type=content_type, max_age=max_age)


@require_safe
def jwks(request: HttpRequest) -> HttpResponse:
    return _public_json(request, well_known.jwks(), content_type="application/jwk-set+json")


@require_safe
def did_document(request: HttpRequest) -> HttpResponse:
    return _public_json(request, well_known.did_document(), content_type="application/did+json")


@require_safe
def issuer_metadata(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    document = well_known.issuer_metadata(organisation) if organisation is not None else None
    if document is None:
        return _public_json(
            request,
            {
                "error": "not_found",
                "detail": f"No issuer {well_known.issuer_id(organisation_id)} publishes keys "
                "on this node.",
            },
            status=404,
        )
    return _public_json(request, document)


@require_safe
def status_list(request: HttpRequest, rest: str) -> HttpResponse:
    """A status list at its stored path: the signed JWT, or the plain JSON with `.json`."""
    plain = rest.endswith(".json")
    path = STATUS_LIST_PREFIX + (rest.removesuffix(".json") if plain else rest)
    found = selectors.status_list_at(path)
    if found is None:
        return _public_json(
            request,
            {"error": "not_found", "detail": f"No status list is published at {path}."},
            status=404,
        )
    if plain:
        return _public_json(
            request, well_known.status_list_document(found), max_age=STATUS_LIST_MAX_AGE
        )
    try:
        token = services.status_list_publish(status_list=found)
    except Conflict as error:
        return _public_json(request, {"error": "unavailable", "detail": error.message}, status=503)
    return _public(
        request,
        token.encode("ascii"),
        content_type=STATUS_LIST_MEDIA_TYPE,
        max_age=STATUS_LIST_MAX_AGE,
    )
