"""Passport pages and published documents. Thin: call a selector or service, render.

The published documents (keys, DID, issuer metadata) need no sign-in, may be cached by anyone
for five minutes, and may be fetched from any origin (a browser-based wallet or verifier reads
them), so they carry `Cache-Control: public, max-age=300`, an ETag and
`Access-Control-Allow-Origin: *`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_safe

from covenant.core.models import Organisation

from . import well_known

PUBLIC_MAX_AGE = 300


def _public_json(
    request: HttpRequest,
    document: Any,
    *,
    status: int = 200,
    content_type: str = "application/json",
) -> HttpResponse:
    body = json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8")
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if status == 200 and etag in request.headers.get("If-None-Match", ""):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(body, status=status, content_type=content_type)
    if status == 200:
        response["ETag"] = etag
        response["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    else:
        response["Cache-Control"] = "public, max-age=60"
    response["Access-Control-Allow-Origin"] = "*"
    return response


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
