"""Background work for sharing: telling an organisation that a volunteer withdrew a share.

Enqueued on commit by `sharing.share_withdraw`. The e-mail names the request and the
volunteer, never a claim's value, and asks the organisation to delete any copy it made; the
time it went out is kept on the share (`org_told_to_delete_at`), so the volunteer's page can
say the organisation was told.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django_tasks import task

from covenant.core import clock

from .models import Share


@task()
def share_withdrawn_notify(share_id: int) -> int:
    """E-mail the organisation (its contact address and whoever made the request) to delete
    its copy of a withdrawn share; returns how many addresses were written to."""
    share = (
        Share.objects.select_related("request__organisation", "request__requested_by", "volunteer")
        .filter(pk=share_id, withdrawn_at__isnull=False)
        .first()
    )
    if share is None:
        return 0
    request = share.request
    recipients = {request.organisation.email} if request.organisation.email else set()
    if request.requested_by is not None and request.requested_by.is_active:
        recipients.add(request.requested_by.email)
    recipients.discard("")
    if recipients:
        who = share.volunteer.display_name if share.volunteer is not None else "A volunteer"
        url = f"{settings.COVENANT_BASE_URL}{reverse('passport:share_request', args=[request.uid])}"
        body = (
            f"{who} has withdrawn what they shared with {request.organisation.name} for "
            f'"{request.purpose}".\n\n'
            "Please delete any copy you made of the details they shared (notes, printouts, "
            "screenshots, other systems). The platform no longer shows them.\n\n"
            f"The request:\n{url}"
        )
        send_mail(
            f"Withdrawn: passport share for {request.purpose}",
            body,
            settings.DEFAULT_FROM_EMAIL,
            sorted(recipients),
        )
    Share.objects.filter(pk=share.pk).update(org_told_to_delete_at=clock.now())
    return len(recipients)
