"""Pages where an organisation's administrators make, list and revoke API tokens.

Thin: parse the form, call one service or selector, render. An organisation the person may
not see answers 404; one they see but do not administer answers 403 (the selector raises
PermissionDenied, which CovenantErrorMiddleware renders).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from covenant.core.errors import CovenantError
from covenant.core.forms import form_apply_error
from covenant.core.models import Organisation
from covenant.core.selectors import organisations_visible_to

from . import selectors, services
from .forms import ApiTokenForm


def _organisation(request: HttpRequest, organisation_id: int) -> Organisation:
    organisation = organisations_visible_to(request.user).filter(pk=organisation_id).first()
    if organisation is None:
        raise Http404("No such organisation")
    return organisation


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = _organisation(request, organisation_id)
    tokens = selectors.api_tokens_for_organisation(actor=request.user, organisation=organisation)
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.api_token_create(
                actor=request.user,
                organisation=organisation,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(),
            )
        except CovenantError as error:
            form_apply_error(form, error)
        else:
            # Rendered, not redirected: the secret exists only in this response.
            response = render(
                request,
                "api/token_created.html",
                {"organisation": organisation, "token": token, "secret": secret},
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(
        request,
        "api/tokens.html",
        {"organisation": organisation, "tokens": tokens, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def api_token_revoke(request: HttpRequest, organisation_id: int, token_id: int) -> HttpResponse:
    organisation = _organisation(request, organisation_id)
    token = (
        selectors.api_tokens_for_organisation(actor=request.user, organisation=organisation)
        .filter(pk=token_id)
        .first()
    )
    if token is None:
        raise Http404("No such token")
    if request.method == "POST":
        services.api_token_revoke(actor=request.user, token=token)
        messages.success(request, f"The token '{token.name}' ({token.prefix}…) no longer works.")
        return redirect("api:tokens", organisation_id=organisation.pk)
    return render(request, "api/token_revoke.html", {"organisation": organisation, "token": token})
