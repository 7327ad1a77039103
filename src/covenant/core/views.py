"""Core pages. Thin: parse the form, call one service or selector, render.

Objects the actor may not see answer 404 (their existence is not disclosed); objects they may
see but not change answer 403 through `CovenantErrorMiddleware`.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import authz, selectors, services
from .errors import CovenantError
from .forms import (
    MembershipForm,
    OrganisationForm,
    ProfileForm,
    VerificationForm,
    form_apply_error,
)
from .models import Membership, Organisation, OrganisationKind


def _organisation(request: HttpRequest, pk: int) -> Organisation:
    organisation = get_object_or_404(Organisation.objects.select_related("local_authority"), pk=pk)
    if not authz.allows(request.user, "organisation.view", organisation):
        raise Http404("No such organisation")
    return organisation


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def static_page(request: HttpRequest, template: str) -> HttpResponse:
    return render(request, template)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = authz.actor_for_user(request.user)
    context = {
        "profile": selectors.volunteer_profile_of(request.user),
        "organisations": selectors.organisations_of(actor),
        "summary": selectors.node_summary(actor=actor)
        if authz.allows(actor, "node.dashboard.view")
        else None,
        "queue_count": selectors.verification_queue(actor=actor).count()
        if authz.allows(actor, "organisation.verification_queue.view")
        else None,
        "is_node_admin": actor.has_node_role("node_admin"),
    }
    return render(request, "core/dashboard.html", context)


@login_required
@require_GET
def mfa_required(request: HttpRequest) -> HttpResponse:
    return render(request, "core/mfa_required.html")


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    profile = selectors.volunteer_profile_of(request.user)
    user = request.user
    if profile is None:
        initial = {"full_name": getattr(user, "full_name", "")}
    else:
        initial = {
            "full_name": profile.user.full_name,
            "preferred_name": profile.user.preferred_name,
            "postcode": profile.postcode,
            "phone": profile.phone,
            "contact_channels": profile.contact_channels,
        }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if profile is None:
                services.volunteer_register(
                    user=user,  # type: ignore[arg-type]
                    postcode=data["postcode"],
                    full_name=data["full_name"],
                    preferred_name=data["preferred_name"],
                    phone=data["phone"],
                    contact_channels=data["contact_channels"] or ["email"],
                )
            else:
                services.volunteer_profile_update(actor=user, profile=profile, **data)
        except CovenantError as error:
            form_apply_error(form, error)
        else:
            messages.success(request, "Your details have been saved.")
            return redirect("core:dashboard")
    return render(request, "core/profile_form.html", {"form": form, "profile": profile})


@login_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    """A download of everything held about the signed-in person (their subject access)."""
    data = services.person_data_export(actor=request.user, user=request.user)  # type: ignore[arg-type]
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


@require_GET
def organisation_directory(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind") or None
    if kind not in OrganisationKind.values:
        kind = None
    # NUL cannot be stored or searched in PostgreSQL; nobody means to type it.
    query = (request.GET.get("q") or "").replace("\x00", "").strip()[:100]
    page = Paginator(selectors.organisations_directory(kind=kind, query=query), 25).get_page(
        request.GET.get("page")
    )
    # With htmx the search updates as people type; without it the form submits as usual.
    template = (
        "core/includes/directory_results.html"
        if request.htmx  # type: ignore[attr-defined]
        else "core/organisation_directory.html"
    )
    return render(
        request,
        template,
        {"page": page, "kind": kind, "query": query, "kinds": OrganisationKind.choices},
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_register(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_register(actor=request.user, **form.cleaned_data)
        except CovenantError as error:
            form_apply_error(form, error)
        else:
            messages.success(
                request,
                f"{organisation.name} is registered. The CVS will check it and let you know.",
            )
            return redirect("core:organisation_detail", pk=organisation.pk)
    return render(request, "core/organisation_form.html", {"form": form, "organisation": None})


@require_GET
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = _organisation(request, pk)
    actor = authz.actor_for_user(request.user)
    return render(
        request,
        "core/organisation_detail.html",
        {
            "organisation": organisation,
            "can_update": authz.allows(actor, "organisation.update", organisation),
            "can_manage_members": authz.allows(actor, "organisation.members.view", organisation),
            "can_manage_tokens": authz.allows(actor, "organisation.tokens.manage", organisation),
            "can_verify": authz.allows(actor, "organisation.verify", organisation),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = _organisation(request, pk)
    authz.require(request.user, "organisation.update", organisation)
    initial = {
        field: getattr(organisation, field)
        for field in OrganisationForm.base_fields
        if field != "local_authority"
    }
    initial["local_authority"] = organisation.local_authority_id or ""
    form = OrganisationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(
                actor=request.user, organisation=organisation, **form.cleaned_data
            )
        except CovenantError as error:
            form_apply_error(form, error)
        else:
            messages.success(request, "The organisation's details have been saved.")
            return redirect("core:organisation_detail", pk=organisation.pk)
    return render(
        request, "core/organisation_form.html", {"form": form, "organisation": organisation}
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_members(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = _organisation(request, pk)
    members = selectors.organisation_members(actor=request.user, organisation=organisation)
    can_manage = authz.allows(request.user, "organisation.members.manage", organisation)
    form = MembershipForm(request.POST or None)
    if request.method == "POST":
        authz.require(request.user, "organisation.members.manage", organisation)
        if form.is_valid():
            try:
                membership = services.membership_grant(
                    actor=request.user, organisation=organisation, **form.cleaned_data
                )
            except CovenantError as error:
                form_apply_error(form, error)
            else:
                messages.success(
                    request,
                    f"{membership.user.display_name} is now {membership.get_role_display()}.",
                )
                return redirect("core:organisation_members", pk=organisation.pk)
    return render(
        request,
        "core/organisation_members.html",
        {
            "organisation": organisation,
            "members": members,
            "form": form,
            "can_manage": can_manage,
        },
    )


@login_required
@require_POST
def membership_remove(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    organisation = _organisation(request, pk)
    membership = get_object_or_404(
        Membership.objects.select_related("user"), pk=membership_pk, organisation=organisation
    )
    try:
        services.membership_revoke(actor=request.user, membership=membership)
    except CovenantError as error:
        if error.status == 403:
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, f"{membership.user.display_name} no longer has that role.")
    return redirect("core:organisation_members", pk=organisation.pk)


@login_required
@require_GET
def verification_queue(request: HttpRequest) -> HttpResponse:
    queue = selectors.verification_queue(actor=request.user)
    page = Paginator(queue, 50).get_page(request.GET.get("page"))
    return render(request, "core/verification_queue.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def verification_review(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = _organisation(request, pk)
    authz.require(request.user, "organisation.verify", organisation)
    form = VerificationForm(request.POST or None, initial={"is_member": organisation.is_member})
    if request.method == "POST" and form.is_valid():
        verified = form.cleaned_data["decision"] == "verified"
        try:
            services.organisation_verify(
                actor=request.user,
                organisation=organisation,
                verified=verified,
                note=form.cleaned_data["note"],
                is_member=form.cleaned_data["is_member"],
            )
        except CovenantError as error:
            form_apply_error(form, error)
        else:
            outcome = "verified" if verified else "marked as not verified"
            messages.success(request, f"{organisation.name} is {outcome}.")
            return redirect("core:verification_queue")
    return render(
        request, "core/verification_review.html", {"organisation": organisation, "form": form}
    )
