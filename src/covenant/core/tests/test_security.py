"""Sign-in protection and response headers a deployed node depends on."""

from __future__ import annotations

import pytest
from django.urls import reverse

from covenant.core.models import AuditEntry
from covenant.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _sign_in(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_the_fifth_wrong_password_locks_the_account_even_against_the_right_one(client):
    UserFactory(email="target@example.org")
    for _ in range(4):
        response = _sign_in(client, "target@example.org", "wrong password")
        assert response.status_code == 200
    assert _sign_in(client, "target@example.org", "wrong password").status_code == 429
    response = _sign_in(client, "target@example.org", "correct horse battery")
    assert response.status_code == 429
    assert "Too many attempts to sign in" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_right_password_signs_in_and_is_audited(client):
    user = UserFactory(email="someone@example.org")
    response = _sign_in(client, "someone@example.org", "correct horse battery")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert AuditEntry.objects.filter(action="account.sign_in", actor_id=user.pk).exists()


def test_failed_sign_in_is_audited_without_the_password(client):
    _sign_in(client, "someone@example.org", "a secret guess")
    entry = AuditEntry.objects.get(action="account.sign_in_failed")
    assert entry.detail == {"login": "someone@example.org"}


def test_pages_carry_a_content_security_policy_with_a_nonce(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    nonce = policy.split("'nonce-", 1)[1].split("'", 1)[0]
    assert f'nonce="{nonce}"' in response.content.decode()
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
