"""The passport's command-line verbs."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from covenant.core.models import AuditEntry, VerificationStatus
from covenant.core.tests.factories import OrganisationFactory
from covenant.passport.models import IssuerKey

pytestmark = pytest.mark.django_db


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("passport_keys_rotate", *args, stdout=out)
    return out.getvalue()


def test_rotate_from_the_command_line(charity) -> None:
    printed = rotate("--organisation", str(charity.pk))
    key = IssuerKey.objects.get(organisation=charity)
    assert printed.strip() == f"{charity} now signs with ES256 key {key.kid}."
    rotate("--organisation", str(charity.pk), "--alg", "EdDSA")
    assert IssuerKey.objects.filter(organisation=charity).count() == 2
    assert IssuerKey.objects.get(organisation=charity, active=True).alg == "EdDSA"
    entry = AuditEntry.objects.filter(action="issuer_key.rotate").last()
    assert entry is not None
    assert entry.actor_label == "command line"


def test_rotate_refuses_in_one_line(charity) -> None:
    with pytest.raises(CommandError, match="no organisation with id 999999"):
        rotate("--organisation", "999999")
    pending = OrganisationFactory.create(verification_status=VerificationStatus.PENDING)
    with pytest.raises(CommandError, match="has not verified") as caught:
        rotate("--organisation", str(pending.pk))
    assert "\n" not in str(caught.value)
    with pytest.raises(CommandError):
        rotate("--organisation", str(charity.pk), "--alg", "RS256")
    with pytest.raises(CommandError):
        rotate()
    assert not IssuerKey.objects.exists()
