"""How allauth fits the node: sign-up creates a volunteer through the core service."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Kept as the hook for node-specific sign-up rules (closing sign-up, invitations)."""
