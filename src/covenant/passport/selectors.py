"""Reads over passport tables that pages, the API, the published documents and the permission
rules share."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from covenant.core.errors import Conflict, NotFound
from covenant.core.models import Organisation, VerificationStatus

from .models import CredentialType, IssuerKey, StatusList, StatusPurpose, TrustedIssuer
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
