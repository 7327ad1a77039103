"""The API tokens page: administrators make, see and revoke tokens; nobody else can."""

from __future__ import annotations

import pytest
from django.urls import reverse

from covenant.api.models import ApiToken
from covenant.core.models import OrgRole
from covenant.core.tests.factories import MembershipFactory, OrganisationFactory

from .factories import bearer, make_token, with_mfa

pytestmark = pytest.mark.django_db


def tokens_url(organisation_id):
    return reverse("api:tokens", kwargs={"organisation_id": organisation_id})


def test_the_page_lists_tokens_without_their_secrets(client, admin_membership):
    organisation = admin_membership.organisation
    token, secret = make_token(organisation, name="Rota system", scopes=["organisation.view"])
    response = client.get(tokens_url(organisation.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Rota system" in html
    assert token.prefix in html
    assert secret not in html
    assert "organisation.view" in html


def test_creating_a_token_shows_the_secret_once(client, admin_membership):
    organisation = admin_membership.organisation
    response = client.post(
        tokens_url(organisation.pk),
        {
            "name": "CRM sync",
            "scopes": ["organisation.view", "organisation.update"],
            "lifetime": "30",
        },
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(name="CRM sync")
    secret = response.context["secret"]
    assert secret.startswith(token.prefix)
    assert secret in response.content.decode()
    assert token.expires_at is not None
    assert sorted(token.scopes) == ["organisation.update", "organisation.view"]
    # The secret works, and is not on the list page afterwards.
    assert client.get("/api/v1/me", **bearer(secret)).json()["token"]["name"] == "CRM sync"
    assert secret not in client.get(tokens_url(organisation.pk)).content.decode()


def test_a_token_that_never_expires(client, admin_membership):
    client.post(
        tokens_url(admin_membership.organisation_id),
        {"name": "Forever", "scopes": ["organisation.view"], "lifetime": "never"},
    )
    assert ApiToken.objects.get(name="Forever").expires_at is None


def test_errors_are_shown_beside_the_fields(client, admin_membership):
    response = client.post(
        tokens_url(admin_membership.organisation_id), {"name": "", "lifetime": "90"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose at least one thing the token may do." in html
    assert "govuk-error-summary" in html
    assert not ApiToken.objects.exists()


def test_revoking_a_token(client, admin_membership):
    organisation = admin_membership.organisation
    token, secret = make_token(organisation)
    url = reverse(
        "api:token_revoke", kwargs={"organisation_id": organisation.pk, "token_id": token.pk}
    )
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Revoke the token" in confirm.content.decode()
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == tokens_url(organisation.pk)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 401


def test_a_coordinator_is_refused(client):
    membership = MembershipFactory(role=OrgRole.COORDINATOR)
    client.force_login(with_mfa(membership.user))
    assert client.get(tokens_url(membership.organisation_id)).status_code == 403
    response = client.post(
        tokens_url(membership.organisation_id),
        {"name": "x", "scopes": ["organisation.view"], "lifetime": "30"},
    )
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_another_organisations_admin_cannot_see_or_revoke(client, admin_membership):
    other = OrganisationFactory()
    token, _ = make_token(other)
    assert client.get(tokens_url(other.pk)).status_code == 403
    url = reverse("api:token_revoke", kwargs={"organisation_id": other.pk, "token_id": token.pk})
    assert client.post(url).status_code == 403
    # Nor by pointing their own organisation's page at the other token.
    own = reverse(
        "api:token_revoke",
        kwargs={"organisation_id": admin_membership.organisation_id, "token_id": token.pk},
    )
    assert client.post(own).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_signed_out_people_are_sent_to_sign_in(client):
    organisation = OrganisationFactory()
    response = client.get(tokens_url(organisation.pk))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
