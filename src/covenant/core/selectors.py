"""Reads over core tables that pages and the API share, already scoped to the actor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from . import authz
from .models import (
    Membership,
    Organisation,
    OrganisationKind,
    VerificationStatus,
    VolunteerProfile,
)


def organisations_directory(
    *, kind: str | None = None, query: str | None = None, local_authority: str | None = None
) -> QuerySet[Organisation]:
    """The public directory: verified organisations only."""
    qs = Organisation.objects.filter(verification_status=VerificationStatus.VERIFIED)
    if kind:
        qs = qs.filter(kind=kind)
    if local_authority:
        qs = qs.filter(local_authority_id=local_authority)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(description__icontains=query))
    return qs.select_related("local_authority").order_by("name")


def organisations_visible_to(actor: Any) -> QuerySet[Organisation]:
    """Every organisation the actor may see: verified ones, their own, and all for the CVS."""
    who = authz.as_actor(actor)
    if who.has_node_role("cvs_staff", "node_admin"):
        return Organisation.objects.all()
    return Organisation.objects.filter(
        Q(verification_status=VerificationStatus.VERIFIED) | Q(pk__in=list(who.org_roles))
    )


@dataclass(frozen=True)
class OrganisationRoles:
    organisation: Organisation
    roles: list[str]

    @property
    def role_labels(self) -> list[str]:
        from .models import OrgRole

        return [OrgRole(r).label for r in self.roles]


def organisations_of(actor: Any) -> list[OrganisationRoles]:
    """The organisations the actor holds roles in, with the roles, for their dashboard."""
    who = authz.as_actor(actor)
    organisations = Organisation.objects.filter(pk__in=list(who.org_roles)).order_by("name")
    return [OrganisationRoles(o, sorted(who.org_roles[o.pk])) for o in organisations]


def verification_queue(*, actor: Any) -> QuerySet[Organisation]:
    """Organisations waiting for the CVS's check, oldest first, so none waits forever."""
    authz.require(actor, "organisation.verification_queue.view")
    return (
        Organisation.objects.filter(verification_status=VerificationStatus.PENDING)
        .select_related("local_authority")
        .order_by("created_at", "pk")
    )


def organisation_members(*, actor: Any, organisation: Organisation) -> QuerySet[Membership]:
    authz.require(actor, "organisation.members.view", organisation)
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__email", "role")
    )


def volunteer_profile_of(user: Any) -> VolunteerProfile | None:
    return (
        VolunteerProfile.objects.select_related("lsoa__local_authority")
        .filter(user_id=user.pk)
        .first()
    )


@dataclass(frozen=True)
class NodeSummary:
    organisations_by_kind: list[tuple[str, int]]
    organisations_total: int
    verified: int
    pending: int
    members: int
    volunteers: int
    volunteers_by_decile: list[tuple[int, int]]
    volunteers_unplaced: int


def node_summary(*, actor: Any) -> NodeSummary:
    """The whole local picture for CVS staff: who is on the node and where volunteers live."""
    authz.require(actor, "node.dashboard.view")
    by_kind = dict(
        Organisation.objects.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n")
    )
    counts = Organisation.objects.aggregate(
        total=Count("pk"),
        verified=Count("pk", filter=Q(verification_status=VerificationStatus.VERIFIED)),
        pending=Count("pk", filter=Q(verification_status=VerificationStatus.PENDING)),
        members=Count("pk", filter=Q(is_member=True)),
    )
    deciles = dict(
        VolunteerProfile.objects.filter(lsoa__isnull=False)
        .values_list("lsoa__imd_decile")
        .annotate(n=Count("pk"))
        .values_list("lsoa__imd_decile", "n")
    )
    return NodeSummary(
        organisations_by_kind=[
            (label, by_kind.get(value, 0)) for value, label in OrganisationKind.choices
        ],
        organisations_total=counts["total"],
        verified=counts["verified"],
        pending=counts["pending"],
        members=counts["members"],
        volunteers=VolunteerProfile.objects.count(),
        volunteers_by_decile=[(d, deciles.get(d, 0)) for d in range(1, 11)],
        volunteers_unplaced=VolunteerProfile.objects.filter(lsoa__isnull=True).count(),
    )
