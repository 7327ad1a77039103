"""Core tables: people, organisations and their roles, and the audit log."""

from .audit import AuditEntry, AuditHead
from .organisations import Membership, Organisation, OrganisationKind, OrgRole, VerificationStatus
from .people import ContactChannel, NodeRole, NodeRoleName, User, VolunteerProfile

__all__ = [
    "AuditEntry",
    "AuditHead",
    "ContactChannel",
    "Membership",
    "NodeRole",
    "NodeRoleName",
    "OrgRole",
    "Organisation",
    "OrganisationKind",
    "User",
    "VerificationStatus",
    "VolunteerProfile",
]
