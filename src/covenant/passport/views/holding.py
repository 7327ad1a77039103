"""The volunteer's side: their passport, one credential, its download.

Seeing a credential's claims goes through `services.credential_claims_view`, which logs every
view of a DBS check (the holder's own views too, so "who has seen this?" has a complete
answer); the passport page itself lists types, issuers and dates, never claims, so it logs
nothing. Objects the person may not see answer 404, so their existence is not disclosed.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from covenant.core import authz, clock

from .. import issuance, selectors, services
from ..models import Credential, CredentialState


def visible_credential(request: HttpRequest, uid: UUID) -> Credential:
    credential = selectors.credential_visible(request.user, uid)
    if credential is None:
        raise Http404("No such credential")
    return credential


@login_required
@require_GET
def passport(request: HttpRequest) -> HttpResponse:
    mine = selectors.passport_of(request.user, now=clock.now())  # type: ignore[arg-type]
    return render(request, "passport/passport.html", {"passport": mine})


@login_required
@require_GET
def credential_detail(request: HttpRequest, uid: UUID) -> HttpResponse:
    credential = visible_credential(request, uid)
    actor = authz.actor_for_user(request.user)
    may_view = authz.allows(actor, "passport.credential.view", credential)
    claims = services.credential_claims_view(actor=actor, credential=credential) if may_view else []
    is_holder = credential.holder_id == actor.user_id
    may_revoke = authz.allows(actor, "passport.credential.revoke", credential)
    may_suspend = authz.allows(actor, "passport.credential.suspend", credential)
    state = credential.state
    context = {
        "credential": credential,
        "held": selectors.held(credential, now=clock.now()),
        "claims": claims,
        "may_view": may_view,
        "is_holder": is_holder,
        "evidence_note": credential.evidence_note() if may_view else "",
        "may_download": authz.allows(actor, "passport.credential.download", credential)
        and credential.has_content,
        "may_revoke": may_revoke and state != CredentialState.REVOKED,
        "may_suspend": may_suspend and state == CredentialState.ACTIVE,
        "may_reinstate": may_suspend and state == CredentialState.SUSPENDED,
        "is_dbs": credential.credential_type.category == "dbs",
    }
    return render(request, "passport/credential.html", context)


@login_required
@require_GET
def credential_download(request: HttpRequest, uid: UUID) -> HttpResponse:
    """The compact SD-JWT, as any SD-JWT VC wallet imports it."""
    credential = visible_credential(request, uid)
    compact = services.credential_download(actor=request.user, credential=credential)
    response = HttpResponse(compact.encode("ascii"), content_type=issuance.SD_JWT_MEDIA_TYPE)
    filename = issuance.download_filename(
        credential.credential_type.slug, credential.issued_at, str(credential.uid)
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
