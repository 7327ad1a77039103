"""Who the API thinks is calling: tokens (valid, revoked, expired, wrong, short of scope) and
the browser session (CSRF, second factor)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from covenant.api.models import ApiToken
from covenant.api.services import api_token_revoke
from covenant.core import clock
from covenant.core.models import AuditEntry, Organisation, OrgRole
from covenant.core.tests.factories import MembershipFactory, OrganisationFactory, UserFactory

from .factories import assert_problem, bearer, make_token, with_mfa

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation():
    return OrganisationFactory(name="Knowsley Foodbank")


def test_a_valid_token_acts_for_its_organisation(client, organisation):
    token, secret = make_token(organisation, scopes=["organisation.view", "organisation.update"])
    response = client.get("/api/v1/me", **bearer(secret))
    assert response.status_code == 200
    me = response.json()
    assert me["kind"] == "token"
    assert me["label"] == f"token:{token.prefix} (Knowsley Foodbank)"
    assert me["person"] is None
    assert me["token"]["id"] == token.pk
    assert me["token"]["prefix"] == secret[:11]
    assert me["scopes"] == ["organisation.update", "organisation.view"]
    assert me["organisations"] == [
        {"id": organisation.pk, "name": "Knowsley Foodbank", "roles": sorted(OrgRole.values)}
    ]


def test_using_a_token_records_when_it_was_last_used(client, organisation):
    token, secret = make_token(organisation)
    assert token.last_used_at is None
    client.get("/api/v1/me", **bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_wrong_token_is_refused_with_a_clear_reason(client):
    body = assert_problem(
        client.get("/api/v1/me", **bearer("sc_not-a-real-token")), 401, "token_invalid"
    )
    assert "not recognised" in body["detail"]


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "Token abc"])
def test_a_malformed_authorization_header_is_refused_not_ignored(client, person, header):
    # Even with a session, a bad Authorization header is an error: the client meant the token.
    body = assert_problem(client.get("/api/v1/me", HTTP_AUTHORIZATION=header), 401, "token_invalid")
    assert "Bearer" in body["detail"]


def test_a_revoked_token_is_refused(client, organisation):
    token, secret = make_token(organisation)
    admin = MembershipFactory(organisation=organisation, role=OrgRole.ADMIN).user
    api_token_revoke(actor=admin, token=token)
    body = assert_problem(client.get("/api/v1/me", **bearer(secret)), 401, "token_revoked")
    assert "was revoked on" in body["detail"]
    assert "Knowsley Foodbank" in body["detail"]


def test_an_expired_token_is_refused(client, organisation):
    _token, secret = make_token(organisation, expires_at=clock.now() + timedelta(days=1))
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 200
    with time_machine.travel(clock.now() + timedelta(days=2)):
        body = assert_problem(client.get("/api/v1/me", **bearer(secret)), 401, "token_expired")
    assert "expired on" in body["detail"]


def test_a_token_without_the_scope_gets_403(client, organisation):
    _, secret = make_token(organisation, scopes=["organisation.view"])
    response = client.patch(
        f"/api/v1/organisations/{organisation.pk}",
        json.dumps({"description": "Food parcels"}),
        content_type="application/json",
        **bearer(secret),
    )
    assert_problem(response, 403, "forbidden")
    assert Organisation.objects.get(pk=organisation.pk).description == ""


def test_a_token_with_the_scope_may_act_and_is_audited_as_the_token(client, organisation):
    token, secret = make_token(organisation, scopes=["organisation.update", "organisation.view"])
    response = client.patch(
        f"/api/v1/organisations/{organisation.pk}",
        json.dumps({"description": "Food parcels"}),
        content_type="application/json",
        **bearer(secret),
    )
    assert response.status_code == 200
    assert response.json()["description"] == "Food parcels"
    entry = AuditEntry.objects.filter(action="organisation.update").get()
    assert entry.actor_id is None
    assert entry.actor_label.startswith(f"token:{token.prefix}")
    assert entry.detail["api_token_id"] == token.pk


def test_a_token_cannot_act_for_another_organisation(client, organisation):
    other = OrganisationFactory()
    _, secret = make_token(organisation, scopes=["organisation.update", "organisation.view"])
    response = client.patch(
        f"/api/v1/organisations/{other.pk}",
        json.dumps({"description": "Ours now"}),
        content_type="application/json",
        **bearer(secret),
    )
    assert_problem(response, 403, "forbidden")


def test_a_token_cannot_register_organisations(client, organisation):
    _, secret = make_token(organisation)
    response = client.post(
        "/api/v1/organisations",
        json.dumps({"name": "Spawned", "kind": "community_group"}),
        content_type="application/json",
        **bearer(secret),
    )
    assert_problem(response, 403, "forbidden")


def test_a_token_wins_over_the_session(client, organisation, person):
    _, secret = make_token(organisation)
    assert client.get("/api/v1/me", **bearer(secret)).json()["kind"] == "token"
    assert client.get("/api/v1/me").json()["kind"] == "person"


def test_session_user_is_described(client, admin_membership):
    me = client.get("/api/v1/me").json()
    user = admin_membership.user
    assert me["kind"] == "person"
    assert me["person"] == {"id": user.pk, "email": user.email, "display_name": user.display_name}
    assert me["scopes"] is None
    assert me["organisations"] == [
        {
            "id": admin_membership.organisation_id,
            "name": admin_membership.organisation.name,
            "roles": ["admin"],
        }
    ]


def test_session_needs_csrf_for_unsafe_methods():
    user = UserFactory()
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    payload = json.dumps({"name": "Huyton Allotments", "kind": "community_group"})
    refused = csrf_client.post("/api/v1/organisations", payload, content_type="application/json")
    assert_problem(refused, 403, "csrf_failed")
    # A read needs no token; it also hands the browser the CSRF cookie via the docs page.
    assert csrf_client.get("/api/v1/me").status_code == 200
    csrf_client.get("/api/v1/docs")
    token = csrf_client.cookies["csrftoken"].value
    accepted = csrf_client.post(
        "/api/v1/organisations", payload, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201


def test_token_requests_need_no_csrf(organisation):
    _, secret = make_token(organisation, scopes=["organisation.update", "organisation.view"])
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.patch(
        f"/api/v1/organisations/{organisation.pk}",
        json.dumps({"town": "Huyton"}),
        content_type="application/json",
        **bearer(secret),
    )
    assert response.status_code == 200


def test_anonymous_posts_get_401_not_a_csrf_error():
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post("/api/v1/organisations", "{}", content_type="application/json")
    assert_problem(response, 401, "not_authenticated")


def test_staff_without_a_second_factor_cannot_use_the_session(client):
    membership = MembershipFactory(role=OrgRole.ADMIN)
    client.force_login(membership.user)
    body = assert_problem(client.get("/api/v1/me"), 403, "mfa_required")
    assert "second factor" in body["detail"]
    with_mfa(membership.user)
    assert client.get("/api/v1/me").status_code == 200


def test_the_secret_is_never_stored(organisation):
    token, secret = make_token(organisation)
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert secret not in json.dumps(stored, default=str)
