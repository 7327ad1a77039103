"""Reads over passport tables that pages, the API, the published documents and the permission
rules share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from covenant.core import authz
from covenant.core.errors import Conflict, NotFound
from covenant.core.models import Organisation, OrgRole, User, VerificationStatus

from . import lifecycle
from .models import (
    Credential,
    CredentialState,
    CredentialType,
    IssuerKey,
    Share,
    ShareRequest,
    StatusList,
    StatusPurpose,
    TrustedIssuer,
)
from .registry import IssuerPolicy


def credential_types() -> QuerySet[CredentialType]:
    """Every credential type on the node, built-in and node-added, as people browse them."""
    return CredentialType.objects.order_by("category", "name")


def credential_type_by_vct(vct: str) -> CredentialType:
    found = CredentialType.objects.filter(vct=vct).first()
    if found is None:
        raise NotFound(f"There is no credential type '{vct}' on this node.", field="vct")
    return found


def issuer_keys_published() -> QuerySet[IssuerKey]:
    """Every key a verifier may need: all of the node's issuer keys not yet retired (old ones
    too, so credentials they signed keep verifying after a rotation)."""
    return (
        IssuerKey.objects.filter(retired_at__isnull=True)
        .select_related("organisation")
        .order_by("organisation_id", "created_at", "id")
    )


def issuer_keys_of(organisation: Organisation) -> QuerySet[IssuerKey]:
    """An organisation's published keys, oldest first."""
    return issuer_keys_published().filter(organisation=organisation)


def signing_key_of(organisation: Organisation) -> IssuerKey:
    """The key an organisation signs new credentials with."""
    key = IssuerKey.objects.filter(organisation=organisation, active=True).first()
    if key is None:
        raise Conflict(
            f"{organisation} has no signing key yet. An administrator of the organisation, or "
            "the node administrator, creates one by rotating its keys.",
            code="no_signing_key",
        )
    return key


def organisation_may_issue(organisation: Organisation, credential_type: CredentialType) -> bool:
    """Whether an organisation on this node may issue a type, by the type's issuer policy.

    Only organisations the CVS has verified issue anything. Then: a type open to verified
    organisations (references, most training, driving licence checks, volunteering records)
    is theirs to issue; a type kept for the CVS and trusted issuers (identity, DBS, MiDAS) needs
    the organisation to run the node or to be trusted for it in the registry.
    """
    if organisation.verification_status != VerificationStatus.VERIFIED:
        return False
    if credential_type.issuer_policy == IssuerPolicy.VERIFIED_ORGANISATIONS:
        return True
    if organisation.runs_node:
        return True
    return TrustedIssuer.objects.filter(
        organisation_id=organisation.pk, credential_types=credential_type
    ).exists()


def trusted_issuers(*, credential_type: CredentialType | None = None) -> QuerySet[TrustedIssuer]:
    """The registry's entries, optionally only those trusted for one type."""
    qs = TrustedIssuer.objects.select_related("organisation").prefetch_related("credential_types")
    if credential_type is not None:
        qs = qs.filter(credential_types=credential_type)
    return qs.order_by("name")


def organisations_trusted_for(credential_type: CredentialType) -> QuerySet[Organisation]:
    """The node's own organisations a verifier accepts for a type: the registry's, plus those
    the issuer policy admits (the CVS; every verified organisation for open types)."""
    verified = Organisation.objects.filter(verification_status=VerificationStatus.VERIFIED)
    if credential_type.issuer_policy == IssuerPolicy.VERIFIED_ORGANISATIONS:
        return verified.order_by("name")
    return (
        verified.filter(Q(runs_node=True) | Q(trusted_issuer__credential_types=credential_type))
        .distinct()
        .order_by("name")
    )


def external_issuers_trusted_for(credential_type: CredentialType) -> QuerySet[TrustedIssuer]:
    """Issuers elsewhere (other nodes, umbrella bodies) the registry trusts for a type."""
    return trusted_issuers(credential_type=credential_type).filter(organisation__isnull=True)


def status_lists_of(organisation: Organisation, purpose: StatusPurpose) -> QuerySet[StatusList]:
    return StatusList.objects.filter(organisation=organisation, purpose=purpose).order_by("number")


def status_list_at(path: str) -> StatusList | None:
    """The list published at a URL path (each list keeps the path it was first given)."""
    return StatusList.objects.select_related("organisation").filter(path=path).first()


# --- issuing ---------------------------------------------------------------------------------


def volunteer_by_email(email: str) -> User | None:
    """The account with exactly this e-mail address (case aside), if it is open. There is no
    search and no list: a verifier must already know whom they are checking."""
    cleaned = email.strip()
    if not cleaned or "\x00" in cleaned:
        return None
    return User.objects.filter(email__iexact=cleaned, is_active=True).first()


def issuing_organisations(actor: Any) -> list[Organisation]:
    """The verified organisations the actor issues for (as a verifier), by name."""
    ids = authz.as_actor(actor).organisations_with(OrgRole.VERIFIER)
    return list(
        Organisation.objects.filter(
            pk__in=ids, verification_status=VerificationStatus.VERIFIED
        ).order_by("name")
    )


def issuable_types(organisation: Organisation) -> list[CredentialType]:
    """The types an organisation may issue, as people browse them."""
    return [t for t in credential_types() if organisation_may_issue(organisation, t)]


# --- holding ---------------------------------------------------------------------------------


def credentials_of_holder(holder: User) -> QuerySet[Credential]:
    """A volunteer's credentials, newest first, with what the passport page shows."""
    return Credential.objects.filter(holder=holder).select_related(
        "credential_type", "organisation"
    )


@dataclass(frozen=True)
class HeldCredential:
    credential: Credential
    standing: lifecycle.Standing

    @property
    def standing_label(self) -> str:
        return lifecycle.STANDING_LABELS[self.standing]

    @property
    def tag_colour(self) -> str:
        return lifecycle.STANDING_TAG_COLOURS[self.standing]


@dataclass(frozen=True)
class Passport:
    credentials: list[HeldCredential]
    forecast: list[lifecycle.ForecastItem]


def held(credential: Credential, *, now: datetime) -> HeldCredential:
    return HeldCredential(
        credential,
        lifecycle.standing(
            state=credential.state,
            expires_at=credential.expires_at,
            renewal_window_days=credential.credential_type.renewal_window_days,
            now=now,
        ),
    )


def passport_of(holder: User, *, now: datetime) -> Passport:
    """A volunteer's passport at `now`: each credential with its standing, and the renewal
    forecast across all of them."""
    credentials = list(credentials_of_holder(holder))
    forecast = lifecycle.renewal_forecast(
        (
            lifecycle.Held(
                key=str(c.uid),
                name=c.credential_type.name,
                state=c.state,
                expires_at=c.expires_at,
                renewal_window_days=c.credential_type.renewal_window_days,
            )
            for c in credentials
        ),
        now=now,
    )
    return Passport([held(c, now=now) for c in credentials], forecast)


def credential_visible(actor: Any, uid: UUID | str) -> Credential | None:
    """The credential if the actor may see it at all: its holder and its issuer's verifiers
    (claims and all), and its issuer's administrators (who may revoke it, without seeing its
    claims). None for anyone else, so its existence is not disclosed."""
    credential = (
        Credential.objects.select_related("credential_type", "organisation", "holder")
        .filter(uid=uid)
        .first()
    )
    if credential is None:
        return None
    if authz.allows(actor, "passport.credential.view", credential) or authz.allows(
        actor, "passport.credential.revoke", credential
    ):
        return credential
    return None


def credentials_issued_to(actor: Any, holder: User) -> QuerySet[Credential]:
    """What the actor's organisations (where they verify or administer) issued to a volunteer."""
    ids = authz.as_actor(actor).organisations_with(OrgRole.VERIFIER, OrgRole.ADMIN)
    return credentials_of_holder(holder).filter(organisation_id__in=ids)


def holder_credential(holder: User, vct: str, *, now: datetime) -> Credential:
    """The credential of a type a volunteer would present: the newest that is active, not
    expired and still holds its content. Its compact SD-JWT is `credential.sd_jwt()`."""
    found = (
        credentials_of_holder(holder)
        .filter(
            credential_type__vct=vct,
            state=CredentialState.ACTIVE,
            content_purged_at__isnull=True,
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("-issued_at", "-id")
        .first()
    )
    if found is None:
        raise NotFound(
            f"{holder.display_name} holds no valid credential of type '{vct}'.", field="vct"
        )
    return found


# --- sharing ---------------------------------------------------------------------------------


def trust_document() -> dict[str, Any]:
    """Who this node trusts for what, in the `trust-export` shape
    (`{"issuers": [{"id", "keys": [JWK...], "credential_types": [VCT...]}]}`): its own
    organisations each type's issuer policy admits, with their published keys, and the
    external issuers of the registry with the keys recorded for them."""
    from .well_known import issuer_id

    local: dict[int, set[str]] = {}
    organisations: dict[int, Organisation] = {}
    for credential_type in credential_types():
        for organisation in organisations_trusted_for(credential_type):
            local.setdefault(organisation.pk, set()).add(credential_type.vct)
            organisations[organisation.pk] = organisation
    issuers: list[dict[str, Any]] = []
    keys_by_org: dict[int, list[dict[str, str]]] = {}
    for key in issuer_keys_published().filter(organisation_id__in=local):
        keys_by_org.setdefault(key.organisation_id, []).append(key.published_jwk())
    for pk, vcts in sorted(local.items()):
        if keys_by_org.get(pk):
            issuers.append(
                {"id": issuer_id(pk), "keys": keys_by_org[pk], "credential_types": sorted(vcts)}
            )
    for entry in trusted_issuers().filter(organisation__isnull=True):
        keys = entry.jwks.get("keys", []) if isinstance(entry.jwks, dict) else []
        types = sorted(t.vct for t in entry.credential_types.all())
        if keys and types:
            issuers.append({"id": entry.issuer, "keys": keys, "credential_types": types})
    return {"issuers": issuers}


def issuer_name(issuer: str) -> str:
    """A person's name for an issuer id: the node's organisation, the registry's name, or the
    id itself."""
    from .well_known import base_url

    prefix = f"{base_url()}/issuers/"
    if issuer.startswith(prefix) and issuer[len(prefix) :].isdigit():
        found = Organisation.objects.filter(pk=int(issuer[len(prefix) :])).first()
        if found is not None:
            return found.name
    entry = TrustedIssuer.objects.filter(issuer=issuer).first()
    return entry.name if entry is not None else issuer


def share_request_by_uid(uid: UUID | str) -> ShareRequest | None:
    return (
        ShareRequest.objects.select_related("organisation", "requested_by").filter(uid=uid).first()
    )


def share_requests_of(actor: Any) -> QuerySet[ShareRequest]:
    """Requests of the organisations where the actor coordinates, verifies or administers."""
    ids = authz.as_actor(actor).organisations_with(
        OrgRole.COORDINATOR, OrgRole.VERIFIER, OrgRole.ADMIN
    )
    return ShareRequest.objects.filter(organisation_id__in=ids).select_related("organisation")


def shares_of_request(request: ShareRequest) -> QuerySet[Share]:
    return Share.objects.filter(request=request).select_related("volunteer")


def shares_for_volunteer(volunteer: User) -> QuerySet[Share]:
    """Everything a volunteer shared, newest first, with whom (refusals included: they tried)."""
    return Share.objects.filter(volunteer=volunteer).select_related(
        "request", "request__organisation"
    )


def share_by_uid(uid: UUID | str) -> Share | None:
    return (
        Share.objects.select_related("request", "request__organisation", "volunteer")
        .filter(uid=uid)
        .first()
    )


def qualifying_credentials(
    holder: User, request: ShareRequest, *, now: datetime
) -> dict[str, list[Credential]]:
    """For each type the request asks for, the holder's credentials that could answer it:
    active, not expired, content still held; newest first."""
    found: dict[str, list[Credential]] = {vct: [] for vct in request.vcts()}
    usable = (
        credentials_of_holder(holder)
        .filter(
            credential_type__vct__in=list(found),
            state=CredentialState.ACTIVE,
            content_purged_at__isnull=True,
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("-issued_at", "-id")
    )
    for credential in usable:
        found[credential.credential_type.vct].append(credential)
    return found


def requesting_organisations(actor: Any) -> list[Organisation]:
    """The organisations an actor may ask volunteers for checks on behalf of."""
    ids = authz.as_actor(actor).organisations_with(
        OrgRole.COORDINATOR, OrgRole.VERIFIER, OrgRole.ADMIN
    )
    return list(Organisation.objects.filter(pk__in=ids).order_by("name"))
