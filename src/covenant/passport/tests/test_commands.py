"""The passport's command-line verbs."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from covenant.core import clock
from covenant.core.models import AuditEntry, VerificationStatus
from covenant.core.tests.factories import OrganisationFactory
from covenant.passport.models import Credential, CredentialType, IssuerKey

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


def test_kek_rotation_end_to_end(builtin_types, charity, settings) -> None:
    import base64
    import os

    from covenant.passport.keystore import KeyEncryptionKeyUnknown
    from covenant.passport.services import holder_key_ensure
    from covenant.passport.tests.conftest import member

    old, new = os.urandom(32), os.urandom(32)
    settings.COVENANT_KEY_ENCRYPTION_KEY = base64.b64encode(old).decode()
    rotate("--organisation", str(charity.pk))
    volunteer = member(charity)
    holder_key_ensure(actor=volunteer, holder=volunteer)
    credential = Credential(
        holder=volunteer,
        organisation=charity,
        credential_type=CredentialType.objects.get(slug="reference"),
        issuer_key=IssuerKey.objects.get(organisation=charity),
        issued_at=clock.now(),
    )
    credential.sd_jwt_store("eyJ.eyJ.sig~disclosure~")
    credential.save()

    settings.COVENANT_KEY_ENCRYPTION_KEY = base64.b64encode(new).decode()
    settings.COVENANT_KEY_ENCRYPTION_KEYS_RETIRED = base64.b64encode(old).decode()
    out = StringIO()
    call_command("passport_kek_rewrap", stdout=out)
    assert out.getvalue().startswith("Re-sealed 3 secrets under key-encryption key ")
    out = StringIO()
    call_command("passport_kek_rewrap", stdout=out)
    assert out.getvalue().startswith("Re-sealed 0 secrets")

    settings.COVENANT_KEY_ENCRYPTION_KEYS_RETIRED = ""
    key = IssuerKey.objects.get(organisation=charity)
    assert len(key.signer()(b"still signs")) == 64
    assert Credential.objects.get(pk=credential.pk).sd_jwt() == "eyJ.eyJ.sig~disclosure~"
    entry = AuditEntry.objects.filter(action="passport.kek.rewrap").first()
    assert entry is not None
    assert entry.detail["rewrapped"] == 3

    # Dropping the old KEK before rewrapping leaves the secrets unreadable: say so in one line.
    settings.COVENANT_KEY_ENCRYPTION_KEY = base64.b64encode(os.urandom(32)).decode()
    with pytest.raises(CommandError, match="which this node does not have"):
        call_command("passport_kek_rewrap", stdout=StringIO())
    with pytest.raises(KeyEncryptionKeyUnknown, match="COVENANT_KEY_ENCRYPTION_KEYS_RETIRED"):
        key.signer()(b"x")
