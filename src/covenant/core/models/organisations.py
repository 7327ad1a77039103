"""Organisations on the node, and the roles people hold in them."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class OrganisationKind(models.TextChoices):
    CHARITY = "charity", "Registered charity"
    CIO = "cio", "Charitable incorporated organisation (CIO)"
    CIC = "cic", "Community interest company (CIC)"
    COMMUNITY_GROUP = "community_group", "Community group"
    FAITH_GROUP = "faith_group", "Faith group"
    COMMUNITY_TRANSPORT = "community_transport", "Community transport operator"
    SOCIAL_ENTERPRISE = "social_enterprise", "Social enterprise"
    PUBLIC_BODY = "public_body", "Public body"
    FUNDER = "funder", "Funder"
    COMPANY = "company", "Company"


# Which identifiers each kind must give: a CIO is a charity without a company number; a CIC and
# a company are on the Companies House register; a charitable company has both.
KINDS_NEEDING_CHARITY_NUMBER = {OrganisationKind.CHARITY, OrganisationKind.CIO}
KINDS_NEEDING_COMPANY_NUMBER = {OrganisationKind.CIC, OrganisationKind.COMPANY}
VOLUNTARY_KINDS = {
    OrganisationKind.CHARITY,
    OrganisationKind.CIO,
    OrganisationKind.CIC,
    OrganisationKind.COMMUNITY_GROUP,
    OrganisationKind.FAITH_GROUP,
    OrganisationKind.COMMUNITY_TRANSPORT,
    OrganisationKind.SOCIAL_ENTERPRISE,
}


class VerificationStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the CVS to check"
    VERIFIED = "verified", "Verified by the CVS"
    REJECTED = "rejected", "Not verified"


class Organisation(models.Model):
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=OrganisationKind.choices)
    charity_number = models.CharField(max_length=12, blank=True, db_index=True)
    company_number = models.CharField(max_length=8, blank=True, db_index=True)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    website = models.URLField(blank=True)
    address_line_1 = models.CharField(max_length=200, blank=True)
    address_line_2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    postcode_district = models.CharField(max_length=4, blank=True)
    lsoa = models.ForeignKey(
        "places.LSOA", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    local_authority = models.ForeignKey(
        "places.LocalAuthority",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The area the organisation mainly serves.",
    )
    verification_status = models.CharField(
        max_length=10, choices=VerificationStatus.choices, default=VerificationStatus.PENDING
    )
    verification_note = models.TextField(blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_member = models.BooleanField(
        default=False, help_text="Whether the organisation is a member of the node's CVS."
    )
    runs_node = models.BooleanField(
        default=False, help_text="The infrastructure body (CVS) that runs this node."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["verification_status", "created_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.VERIFIED

    @property
    def is_voluntary(self) -> bool:
        return self.kind in VOLUNTARY_KINDS


class OrgRole(models.TextChoices):
    ADMIN = "admin", "Administrator"
    COORDINATOR = "coordinator", "Coordinator"
    VERIFIER = "verifier", "Verifier"
    ASSESSOR = "assessor", "Assessor"
    COMMISSIONER = "commissioner", "Commissioner"
    FUNDS_OFFICER = "funds_officer", "Funds officer"


class Membership(models.Model):
    """One role one person holds in one organisation (a person may hold several)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=OrgRole.choices)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_role_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organisation}"
