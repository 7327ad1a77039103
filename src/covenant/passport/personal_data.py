"""The passport's section of a person's data export: what credentials they hold and issued,
and with whom they shared them (organisation, role, when, which details by name, withdrawn).

Claim values are not repeated here: the holder downloads each credential itself from their
passport (that download is the standard, portable form of the data).
"""

from __future__ import annotations

from typing import Any

from covenant.core import clock

from .models import Credential
from .selectors import passport_of, shares_for_volunteer


def passport_section(user: Any) -> dict[str, Any]:
    passport = passport_of(user, now=clock.now())
    return {
        "credentials_held": [
            {
                "type": held.credential.credential_type.name,
                "issued_by": held.credential.organisation.name,
                "issued_at": held.credential.issued_at.isoformat(),
                "expires_at": held.credential.expires_at.isoformat()
                if held.credential.expires_at
                else None,
                "standing": held.standing_label,
            }
            for held in passport.credentials
        ],
        "credentials_issued_by_you": Credential.objects.filter(issued_by=user).count(),
        "shared_with": [
            {
                "organisation": share.request.organisation.name,
                "for": share.request.purpose,
                "at": share.created_at.isoformat(),
                "outcome": share.outcome,
                "details": [
                    {"type": item.get("type_name"), "claims": item.get("claims", [])}
                    for item in share.disclosed
                ],
                "withdrawn_at": share.withdrawn_at.isoformat() if share.withdrawn_at else None,
            }
            for share in shares_for_volunteer(user)
        ],
    }
