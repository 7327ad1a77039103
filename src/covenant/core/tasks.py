"""Background work for core: tell an organisation's administrators the CVS's decision.

Sent from the worker so a slow mail server never holds up the CVS's page; enqueued on commit,
so a decision rolled back sends nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mass_mail
from django_tasks import task

from .models import Organisation, OrgRole, VerificationStatus


@task()
def organisation_verification_notify(organisation_id: int) -> int:
    """E-mail the organisation's administrators; returns how many were told."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return 0
    recipients = list(
        organisation.memberships.filter(role=OrgRole.ADMIN).values_list("user__email", flat=True)
    )
    if organisation.verification_status == VerificationStatus.VERIFIED:
        subject = f"{organisation.name} is verified"
        body = (
            f"The CVS has checked {organisation.name} and verified it. It now appears in the "
            "directory of organisations."
        )
    elif organisation.verification_status == VerificationStatus.REJECTED:
        subject = f"{organisation.name} could not be verified"
        body = (
            f"The CVS could not verify {organisation.name}.\n\nThe reason given: "
            f"{organisation.verification_note}\n\nYou can correct the details and the CVS "
            "will check again."
        )
    else:
        return 0
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in recipients]
    return send_mass_mail(messages, fail_silently=False)
