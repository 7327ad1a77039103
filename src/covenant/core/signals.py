"""Receivers that keep the audit log complete for events other code raises (sign-in)."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import user_logged_in
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.dispatch import receiver

from . import audit


@receiver(user_logged_in)
def _audit_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    with transaction.atomic():
        audit.record(actor=user, action="account.sign_in", target=user)


@receiver(user_login_failed)
def _audit_failed_sign_in(sender: Any, credentials: Any, request: Any = None, **kw: Any) -> None:
    login = str(credentials.get("email") or credentials.get("username") or "")[:100]
    with transaction.atomic():
        audit.record(actor=None, action="account.sign_in_failed", login=login)
