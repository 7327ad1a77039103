"""Background work for the passport: tell volunteers when their passport changes, and run the
retention purge.

The e-mails are enqueued on commit, so an issue or revocation rolled back sends nothing, and
they say what changed and who did it, never a claim's value: e-mail is not a safe place for a
DBS check, and the volunteer reads the details on their passport page.

Retention (`passport_retention_run`) is meant to run daily: schedule `manage.py
passport_retention` with cron or a systemd timer, or enqueue this task from a scheduler.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django_tasks import task

from . import registry
from .models import Credential, CredentialState
from .services import credentials_retention_purge


def _passport_url() -> str:
    return f"{settings.COVENANT_BASE_URL}{reverse('passport:mine')}"


def _credential(credential_id: int) -> Credential | None:
    return (
        Credential.objects.select_related("holder", "organisation", "credential_type")
        .filter(pk=credential_id)
        .first()
    )


@task()
def credential_added_notify(credential_id: int) -> int:
    """E-mail the volunteer that a credential was added; returns how many e-mails were sent."""
    credential = _credential(credential_id)
    if credential is None or not credential.holder.is_active:
        return 0
    name = registry.with_article(credential.credential_type.name)
    body = (
        f"Hello {credential.holder.display_name},\n\n"
        f"{credential.organisation.name} has added {name} to your volunteer passport.\n\n"
        f"See it, and download it for a wallet app, on your passport page:\n{_passport_url()}\n\n"
        "If you did not expect this, tell the organisation."
    )
    return send_mail(
        f"{name[:1].upper()}{name[1:]} was added to your volunteer passport",
        body,
        settings.DEFAULT_FROM_EMAIL,
        [credential.holder.email],
    )


_STATE_WORDS = {
    CredentialState.REVOKED: "revoked",
    CredentialState.SUSPENDED: "suspended",
    CredentialState.ACTIVE: "reinstated",
}


@task()
def credential_state_notify(credential_id: int) -> int:
    """E-mail the volunteer that a credential of theirs was revoked, suspended or reinstated."""
    credential = _credential(credential_id)
    if credential is None or not credential.holder.is_active:
        return 0
    word = _STATE_WORDS[CredentialState(credential.state)]
    name = registry.in_sentence(credential.credential_type.name)
    reason = credential.get_state_reason_display() if credential.state_reason else ""
    body = (
        f"Hello {credential.holder.display_name},\n\n"
        f"{credential.organisation.name} has {word} the {name} on your volunteer passport."
        + (f"\nThe reason given: {reason}." if reason else "")
        + f"\n\nSee your passport:\n{_passport_url()}\n\n"
        "If you have questions, contact the organisation."
    )
    return send_mail(
        f"Your {name} was {word}",
        body,
        settings.DEFAULT_FROM_EMAIL,
        [credential.holder.email],
    )


@task()
def passport_retention_run() -> dict[str, int]:
    """Erase what the passport may no longer keep (see `services.credentials_retention_purge`)."""
    from .sharing import shares_retention_purge

    report = credentials_retention_purge()
    return {
        "evidence_notes": report.evidence_notes,
        "credentials": report.credentials,
        "shares": shares_retention_purge(),
    }
