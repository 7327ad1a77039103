"""The issuer's side: a verifier adds a credential to a volunteer's passport, finds what their
organisation issued, and revokes, suspends or reinstates it.

Adding takes two pages. The first asks for the volunteer's e-mail address (an exact match:
there is no search or list of volunteers, so a verifier must already know whom they are
checking) and the type; the choice is kept in the session, never in the URL. The second asks
the type's questions, how the evidence was checked and the declaration that it was, and then
issues. Nothing the volunteer's credential says is kept in the session.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from covenant.core import authz
from covenant.core.errors import CovenantError, PermissionDenied
from covenant.core.models import Organisation, OrgRole, User

from .. import selectors, services
from ..forms import ClaimsForm, IssueStartForm, StateChangeForm
from ..models import REVOCATION_REASONS, SUSPENSION_REASONS, Credential, CredentialType
from ..registry import with_article
from .holding import visible_credential

SESSION_KEY = "passport_issue"


def _issuing_context(request: HttpRequest) -> tuple[list[Organisation], list[CredentialType]]:
    organisations = selectors.issuing_organisations(request.user)
    if not organisations:
        raise PermissionDenied(
            "Only verifiers of an organisation the CVS has verified add credentials. Ask an "
            "administrator of your organisation for the verifier role."
        )
    types: dict[int, CredentialType] = {}
    for organisation in organisations:
        for credential_type in selectors.issuable_types(organisation):
            types.setdefault(credential_type.pk, credential_type)
    return organisations, list(types.values())


@login_required
@require_http_methods(["GET", "POST"])
def issue_start(request: HttpRequest) -> HttpResponse:
    organisations, types = _issuing_context(request)
    form = IssueStartForm(
        request.POST if request.method == "POST" else None, organisations=organisations, types=types
    )
    if request.method == "POST" and form.is_valid():
        organisation, credential_type = form.chosen_organisation(), form.chosen_type()
        holder = selectors.volunteer_by_email(form.cleaned_data["email"])
        draft = Credential(
            holder=holder, organisation=organisation, credential_type=credential_type
        )
        if holder is None:
            form.add_error(
                "email",
                "No one uses this email address here. Check it with the volunteer, or ask "
                "them to sign up with it first.",
            )
        elif not selectors.organisation_may_issue(organisation, credential_type):
            form.add_error(
                "credential_type",
                f"{organisation.name} cannot add {with_article(credential_type.name)}. Choose "
                "another type, or the organisation the CVS trusts for it.",
            )
        elif not authz.allows(request.user, "passport.credential.issue", draft):
            form.add_error(
                "email",
                "You cannot add a credential to your own passport. Ask another verifier.",
            )
        else:
            request.session[SESSION_KEY] = {
                "holder": holder.pk,
                "organisation": organisation.pk,
                "type": credential_type.pk,
            }
            return redirect("passport:issue_details")
    return render(request, "passport/issue_start.html", {"form": form})


def _pending(request: HttpRequest) -> tuple[User, Organisation, CredentialType] | None:
    pending: Any = request.session.get(SESSION_KEY)
    if not isinstance(pending, dict):
        return None
    ids = [pending.get(name) for name in ("holder", "organisation", "type")]
    holder_id, organisation_id, type_id = (i if isinstance(i, int) else 0 for i in ids)
    holder = User.objects.filter(pk=holder_id, is_active=True).first()
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    credential_type = CredentialType.objects.filter(pk=type_id).first()
    if holder is None or organisation is None or credential_type is None:
        return None
    return holder, organisation, credential_type


@login_required
@require_http_methods(["GET", "POST"])
def issue_details(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        messages.info(request, "Start again: say whom the credential is for and what it is.")
        return redirect("passport:issue_start")
    holder, organisation, credential_type = pending
    form = ClaimsForm(
        request.POST if request.method == "POST" else None, credential_type=credential_type
    )
    if request.method == "POST" and form.is_valid():
        try:
            credential = services.credential_issue(
                actor=request.user,
                holder=holder,
                credential_type=credential_type,
                claims=form.claims(),
                evidence_note=form.evidence_note(),
                organisation=organisation,
            )
        except CovenantError as error:
            if error.status in (401, 403):
                raise
            form.apply_error(error)
        else:
            request.session.pop(SESSION_KEY, None)
            messages.success(
                request,
                f"{credential_type.name} added to {holder.display_name}'s passport. We have "
                "emailed them to say so.",
            )
            return redirect("passport:credential", uid=credential.uid)
    return render(
        request,
        "passport/issue_details.html",
        {
            "form": form,
            "holder": holder,
            "organisation": organisation,
            "credential_type": credential_type,
        },
    )


@login_required
@require_GET
def issued(request: HttpRequest) -> HttpResponse:
    """What the person's organisations issued to one volunteer, found by exact e-mail."""
    actor = authz.actor_for_user(request.user)
    if not actor.organisations_with(OrgRole.VERIFIER, OrgRole.ADMIN):
        raise PermissionDenied(
            "Only verifiers and administrators of an organisation see what it issued."
        )
    email = (request.GET.get("email") or "").replace("\x00", "").strip()[:254]
    credentials: list[Credential] | None = None
    if email:
        holder = selectors.volunteer_by_email(email)
        credentials = list(selectors.credentials_issued_to(actor, holder)) if holder else []
    return render(request, "passport/issued.html", {"email": email, "credentials": credentials})


_ACTIONS: dict[str, dict[str, Any]] = {
    "revoke": {
        "title": "Revoke this credential",
        "button": "Revoke it",
        "reasons": REVOCATION_REASONS,
        "question": "Why are you revoking it?",
        "done": "revoked",
        "warning": "Revoking is permanent: verifiers will refuse this credential from now "
        "on. To pause it instead, suspend it.",
    },
    "suspend": {
        "title": "Suspend this credential",
        "button": "Suspend it",
        "reasons": SUSPENSION_REASONS,
        "question": "Why are you suspending it?",
        "done": "suspended",
        "warning": "Verifiers will refuse this credential until you reinstate it.",
    },
    "reinstate": {
        "title": "Reinstate this credential",
        "button": "Reinstate it",
        "reasons": (),
        "question": "",
        "done": "reinstated",
        "warning": "Verifiers will accept this credential again.",
    },
}


@login_required
@require_http_methods(["GET", "POST"])
def credential_state_change(request: HttpRequest, uid: UUID, action: str) -> HttpResponse:
    credential = visible_credential(request, uid)
    spec = _ACTIONS[action]
    rule = "passport.credential.revoke" if action == "revoke" else "passport.credential.suspend"
    authz.require(request.user, rule, credential)
    form = (
        StateChangeForm(
            request.POST if request.method == "POST" else None,
            reasons=spec["reasons"],
            label=spec["question"],
        )
        if spec["reasons"]
        else None
    )
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            if action == "revoke":
                assert form is not None
                services.credential_revoke(
                    actor=request.user, credential=credential, reason=form.cleaned_data["reason"]
                )
            elif action == "suspend":
                assert form is not None
                services.credential_suspend(
                    actor=request.user, credential=credential, reason=form.cleaned_data["reason"]
                )
            else:
                services.credential_reinstate(actor=request.user, credential=credential)
        except CovenantError as error:
            if error.status in (401, 403):
                raise
            if form is not None and error.field == "reason":
                form.add_error("reason", error.message)
            else:
                messages.error(request, error.message)
                return redirect("passport:credential", uid=credential.uid)
        else:
            messages.success(
                request,
                f"The {credential.credential_type.name} of {credential.holder.display_name} "
                f"is {spec['done']}.",
            )
            return redirect("passport:credential", uid=credential.uid)
    return render(
        request,
        "passport/state_change.html",
        {"credential": credential, "form": form, "action": action, "spec": spec},
    )
