"""The admin shows passport rows to node administrators, read-only, without secrets."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from covenant.api.tests.factories import with_mfa
from covenant.passport import jose
from covenant.passport.models import CredentialType, IssuerKey, StatusList, StatusPurpose
from covenant.passport.services import (
    holder_key_ensure,
    issuer_key_rotate,
    status_entry_allocate,
)

from .conftest import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client, node_admin) -> Client:
    node_admin.is_staff = node_admin.is_superuser = True  # as node_admin_bootstrap makes them
    node_admin.save()
    client.force_login(with_mfa(node_admin))
    return client


def test_issuer_keys_are_shown_without_private_material(admin_client: Client, charity) -> None:
    key = issuer_key_rotate(actor=None, organisation=charity)
    with key.unsealed() as private:
        d = jose.private_jwk(private)["d"]
    listing = admin_client.get(reverse("admin:passport_issuerkey_changelist"))
    assert listing.status_code == 200
    assert key.kid in listing.content.decode()
    detail = admin_client.get(reverse("admin:passport_issuerkey_change", args=[key.pk]))
    assert detail.status_code == 200
    page = detail.content.decode()
    assert key.kid in page
    assert key.public_jwk["x"] in page
    assert d not in page
    assert "private_key_sealed" not in page
    assert "sealed" not in page.lower()
    # Read-only: no add, no save, no delete.
    assert admin_client.get(reverse("admin:passport_issuerkey_add")).status_code == 403
    assert 'name="_save"' not in page
    response = admin_client.post(
        reverse("admin:passport_issuerkey_change", args=[key.pk]), {"active": ""}
    )
    assert response.status_code == 403
    assert IssuerKey.objects.get(pk=key.pk).active
    delete = admin_client.post(
        reverse("admin:passport_issuerkey_delete", args=[key.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert IssuerKey.objects.filter(pk=key.pk).exists()


def test_every_passport_admin_page_renders(admin_client: Client, builtin_types, charity) -> None:
    volunteer = member(charity)
    holder_key = holder_key_ensure(actor=volunteer, holder=volunteer)
    status_list, _ = status_entry_allocate(organisation=charity, purpose=StatusPurpose.REVOCATION)
    dbs = CredentialType.objects.get(slug="dbs-check")
    for name, pk in [
        ("credentialtype", dbs.pk),
        ("holderkey", holder_key.pk),
        ("statuslist", status_list.pk),
    ]:
        assert admin_client.get(reverse(f"admin:passport_{name}_changelist")).status_code == 200
        page = admin_client.get(reverse(f"admin:passport_{name}_change", args=[pk]))
        assert page.status_code == 200, name
        assert "sealed" not in page.content.decode().lower()
    for name in ("trustedissuer", "credential"):
        assert admin_client.get(reverse(f"admin:passport_{name}_changelist")).status_code == 200
    assert StatusList.objects.count() == 1


def test_other_staff_do_not_reach_the_admin(client: Client, charity) -> None:
    admin = member(charity)
    admin.is_staff = True
    admin.save()
    client.force_login(with_mfa(admin))
    response = client.get(reverse("admin:passport_issuerkey_changelist"))
    assert response.status_code == 302
