"""Sharing pages, for both sides.

The organisation: a coordinator, verifier or administrator makes a request and gets its link
and a QR code; the request's page shows whether it was answered and, once verified, what was
shared (each look logged by `sharing.share_claims_view`), or why a presentation was refused;
a presentation from a volunteer's own wallet can be pasted there.

The volunteer: the link opens the request on their phone (signing in first if need be), with
exactly which details go to whom as a GOV.UK summary list; they choose which credential if
they hold several, and consent or decline. Their "Shared" page lists every share, with a
Withdraw button that asks for confirmation.

Objects the person may not see answer 404, so their existence is not disclosed.
"""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from covenant.core import authz, clock
from covenant.core.errors import CovenantError, PermissionDenied
from covenant.core.forms import form_apply_error

from .. import registry, selectors, sharing
from ..models import Share, ShareOutcome, ShareRequest, ShareRequestState
from ..sharing_forms import PresentationForm, ShareConsentForm, ShareRequestForm

_SVG_SIZE = re.compile(r'<svg width="[^"]*" height="[^"]*"')


def qr_svg(text: str, *, label: str) -> SafeString:
    """A QR code as inline SVG, as allauth's MFA page makes it (the `qrcode` package's path
    image), sized by the `app-qr-code` class rather than attributes or a style (the CSP
    forbids inline styles), and named for screen readers."""
    import qrcode
    from qrcode.image.svg import SvgPathImage

    buffer = BytesIO()
    qrcode.make(text, image_factory=SvgPathImage).save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    svg = svg[svg.index("<svg") :]
    label = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    svg = _SVG_SIZE.sub(f'<svg class="app-qr-code" role="img" aria-label="{label}"', svg, count=1)
    return SafeString(svg)


def _respond_url(share_request: ShareRequest) -> str:
    path = reverse("passport:share_respond", args=[share_request.uid])
    return f"{str(settings.COVENANT_BASE_URL).rstrip('/')}{path}"


def _requirements_shown(share_request: ShareRequest) -> list[dict[str, Any]]:
    """Each requested type with its requested details' labels, in the type's order."""
    shown = []
    for requirement in share_request.requirements:
        credential_type = selectors.credential_type_by_vct(requirement["vct"])
        labels = [s.label for s in credential_type.claim_specs() if s.name in requirement["claims"]]
        shown.append({"vct": credential_type.vct, "name": credential_type.name, "labels": labels})
    return shown


def _staff_request(request: HttpRequest, uid: UUID) -> ShareRequest:
    share_request = selectors.share_request_by_uid(uid)
    if share_request is None or not authz.allows(
        request.user, "passport.share.view", share_request
    ):
        raise Http404("No such request")
    return share_request


# --- the organisation's side -----------------------------------------------------------------


@login_required
@require_GET
def share_requests(request: HttpRequest) -> HttpResponse:
    if not selectors.requesting_organisations(request.user):
        raise PermissionDenied(
            "Only coordinators, verifiers and administrators of an organisation ask volunteers "
            "for checks."
        )
    found = selectors.share_requests_of(request.user)[:100]
    return render(request, "passport/share_requests.html", {"share_requests": found})


@login_required
@require_http_methods(["GET", "POST"])
def share_request_new(request: HttpRequest) -> HttpResponse:
    organisations = selectors.requesting_organisations(request.user)
    if not organisations:
        raise PermissionDenied(
            "Only coordinators, verifiers and administrators of an organisation ask volunteers "
            "for checks."
        )
    form = ShareRequestForm(
        request.POST if request.method == "POST" else None,
        organisations=organisations,
        types=list(selectors.credential_types()),
    )
    if request.method == "POST" and form.is_valid():
        try:
            made = sharing.share_request_create(
                actor=request.user,
                organisation=form.chosen_organisation(),
                purpose=form.cleaned_data["purpose"],
                requirements=form.requirements(),
            )
        except CovenantError as error:
            form_apply_error(form, error)
        else:
            return redirect("passport:share_request", uid=made.uid)
    return render(request, "passport/share_request_new.html", {"form": form})


@login_required
@require_GET
def share_request_detail(request: HttpRequest, uid: UUID) -> HttpResponse:
    share_request = _staff_request(request, uid)
    return _request_page(request, share_request, PresentationForm())


def _request_page(
    request: HttpRequest, share_request: ShareRequest, form: PresentationForm
) -> HttpResponse:
    now = clock.now()
    shares = list(selectors.shares_of_request(share_request))
    verified = next((s for s in shares if s.outcome == ShareOutcome.VERIFIED), None)
    shown = sharing.share_claims_view(actor=request.user, share=verified) if verified else []
    is_open = share_request.state == ShareRequestState.OPEN and now < share_request.expires_at
    link = _respond_url(share_request)
    context = {
        "share_request": share_request,
        "requirements": _requirements_shown(share_request),
        "is_open": is_open,
        "expired": share_request.state == ShareRequestState.EXPIRED
        or (share_request.state == ShareRequestState.OPEN and not is_open),
        "link": link,
        "qr": qr_svg(link, label="QR code of the link to this request") if is_open else "",
        "verified": verified,
        "purged": verified is not None
        and verified.withdrawn_at is None
        and not verified.presentation_sealed,
        "shown": shown,
        "refusals": [s for s in shares if s.outcome == ShareOutcome.REFUSED],
        "form": form,
    }
    return render(request, "passport/share_request.html", context)


@login_required
@require_POST
def share_request_verify(request: HttpRequest, uid: UUID) -> HttpResponse:
    share_request = _staff_request(request, uid)
    form = PresentationForm(request.POST)
    if form.is_valid():
        try:
            share = sharing.presentation_verify(
                actor=request.user,
                request=share_request,
                presentation=form.cleaned_data["presentation"],
            )
        except CovenantError as error:
            form_apply_error(form, error)
        else:
            if share.outcome == ShareOutcome.VERIFIED:
                messages.success(request, "The presentation is verified.")
            else:
                messages.error(request, f"The presentation was refused. {share.reason}")
            return redirect("passport:share_request", uid=share_request.uid)
    share_request.refresh_from_db()
    return _request_page(request, share_request, form)


# --- the volunteer's side --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def share_respond(request: HttpRequest, uid: UUID) -> HttpResponse:
    share_request = selectors.share_request_by_uid(uid)
    if share_request is None:
        raise Http404("No such request")
    now = clock.now()
    qualifying = selectors.qualifying_credentials(request.user, share_request, now=now)  # type: ignore[arg-type]
    form = ShareConsentForm(
        request.POST if request.method == "POST" else None, qualifying=qualifying
    )
    if request.method == "POST":
        decision = request.POST.get("decision")
        try:
            if decision == "decline":
                sharing.share_decline(actor=request.user, request=share_request)
                messages.success(
                    request, f"You declined. {share_request.organisation.name} has been told."
                )
                return redirect("passport:shared")
            if form.is_valid():
                share = sharing.share_consent(
                    actor=request.user, request=share_request, credential_choices=form.choices()
                )
                if share.outcome == ShareOutcome.VERIFIED:
                    messages.success(request, f"Shared with {share_request.organisation.name}.")
                else:
                    messages.error(request, f"Your share was refused. {share.reason}")
                return redirect("passport:shared")
        except CovenantError as error:
            form_apply_error(form, error)
    missing = [
        registry.with_article(selectors.credential_type_by_vct(vct).name)
        for vct, credentials in qualifying.items()
        if not credentials
    ]
    is_open = share_request.state == ShareRequestState.OPEN and now < share_request.expires_at
    context = {
        "share_request": share_request,
        "requirements": _requirements_shown(share_request),
        "form": form,
        "missing": missing,
        "is_open": is_open,
    }
    return render(request, "passport/share_respond.html", context)


@login_required
@require_GET
def shared(request: HttpRequest) -> HttpResponse:
    shares = selectors.shares_for_volunteer(request.user)  # type: ignore[arg-type]
    return render(request, "passport/shared.html", {"shares": shares})


def _own_share(request: HttpRequest, uid: UUID) -> Share:
    share = selectors.share_by_uid(uid)
    if share is None or not authz.allows(request.user, "passport.share.withdraw", share):
        raise Http404("No such share")
    return share


@login_required
@require_http_methods(["GET", "POST"])
def share_withdraw(request: HttpRequest, uid: UUID) -> HttpResponse:
    share = _own_share(request, uid)
    error = ""
    if request.method == "POST":
        try:
            sharing.share_withdraw(actor=request.user, share=share)
        except CovenantError as refused:
            error = refused.message
        else:
            messages.success(
                request,
                f"You withdrew what you shared with {share.request.organisation.name}. We have "
                "asked them to delete any copy.",
            )
            return redirect("passport:shared")
    return render(request, "passport/share_withdraw.html", {"share": share, "error": error})
