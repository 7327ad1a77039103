"""Idempotency-Key: a retried POST returns the first answer instead of doing the work twice."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command

from covenant.api import idempotency
from covenant.api.models import IdempotencyRecord
from covenant.core import clock
from covenant.core.models import Membership, Organisation, OrgRole
from covenant.core.tests.factories import NodeRoleFactory, OrganisationFactory, UserFactory

from .factories import assert_problem, bearer, make_token, with_mfa

pytestmark = pytest.mark.django_db

ORGS = "/api/v1/organisations"
NEW_ORG = {"name": "Huyton Allotments", "kind": "community_group"}


def post(client, path, data, key=None, **extra):
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = key
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    return client.post(path, body, content_type="application/json", **extra)


def test_a_replay_returns_the_stored_response_and_does_nothing_twice(client, person):
    first = post(client, ORGS, NEW_ORG, key="a3f1c2d4-0001")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    second = post(client, ORGS, NEW_ORG, key="a3f1c2d4-0001")
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert Organisation.objects.filter(name="Huyton Allotments").count() == 1


def test_the_same_json_with_other_spacing_and_key_order_is_the_same_request(client, person):
    post(client, ORGS, '{"name": "Huyton Allotments", "kind": "community_group"}', key="k-1")
    again = post(client, ORGS, '{"kind":"community_group","name":"Huyton Allotments"}', key="k-1")
    assert again["Idempotent-Replayed"] == "true"
    assert Organisation.objects.filter(name="Huyton Allotments").count() == 1


def test_without_a_key_each_post_is_new(client, person):
    post(client, ORGS, NEW_ORG)
    post(client, ORGS, NEW_ORG)
    assert Organisation.objects.filter(name="Huyton Allotments").count() == 2


def test_the_same_key_with_a_different_body_is_a_422(client, person):
    post(client, ORGS, NEW_ORG, key="k-2")
    response = post(client, ORGS, {**NEW_ORG, "name": "Other Group"}, key="k-2")
    body = assert_problem(response, 422, "idempotency_key_reused")
    assert "different request" in body["detail"]
    assert not Organisation.objects.filter(name="Other Group").exists()


def test_the_same_key_on_a_different_path_is_a_422(client, admin_membership):
    organisation = admin_membership.organisation
    post(
        client,
        f"{ORGS}/{organisation.pk}/memberships",
        {"email": "x@example.org", "role": "admin"},
        key="k-3",
    )
    response = post(client, ORGS, NEW_ORG, key="k-3")
    assert_problem(response, 422, "idempotency_key_reused")


def test_different_principals_do_not_collide(client):
    alice, bob = with_mfa(UserFactory()), with_mfa(UserFactory())
    client.force_login(alice)
    post(client, ORGS, NEW_ORG, key="shared-key")
    client.force_login(bob)
    response = post(client, ORGS, NEW_ORG, key="shared-key")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Organisation.objects.filter(name="Huyton Allotments").count() == 2
    assert set(IdempotencyRecord.objects.values_list("principal", flat=True)) == {
        f"user:{alice.pk}",
        f"user:{bob.pk}",
    }


def test_tokens_are_principals_too(client):
    organisation = OrganisationFactory()
    colleague = with_mfa(UserFactory())
    _, secret = make_token(organisation, scopes=["organisation.members.manage"])
    path = f"{ORGS}/{organisation.pk}/memberships"
    data = {"email": colleague.email, "role": "coordinator"}
    first = post(client, path, data, key="grant-1", **bearer(secret))
    replay = post(client, path, data, key="grant-1", **bearer(secret))
    assert first.status_code == replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert Membership.objects.filter(user=colleague, role=OrgRole.COORDINATOR).count() == 1
    assert IdempotencyRecord.objects.get().principal.startswith("token:")


def test_a_client_error_is_stored_and_replayed(client, person):
    first = post(client, ORGS, {"name": "No kind"}, key="bad-1")
    assert first.status_code == 422
    replay = post(client, ORGS, {"name": "No kind"}, key="bad-1")
    assert replay.status_code == 422
    assert replay["Idempotent-Replayed"] == "true"
    assert replay["Content-Type"] == "application/problem+json"
    assert replay.json() == first.json()


def test_a_refusal_for_who_asked_is_not_stored_so_a_retry_runs_again(client):
    organisation = OrganisationFactory()
    user = with_mfa(UserFactory())
    client.force_login(user)
    path = f"{ORGS}/{organisation.pk}/verification"
    assert post(client, path, {"verified": True}, key="v-1").status_code == 403
    assert not IdempotencyRecord.objects.exists()
    NodeRoleFactory(user=user, role="cvs_staff")
    assert post(client, path, {"verified": True}, key="v-1").status_code == 200


def test_a_concurrent_duplicate_in_flight_gets_409(client, person):
    # The first request has claimed the key and is still running: its record has no response.
    IdempotencyRecord.objects.create(
        principal=f"user:{person.pk}",
        key="in-flight",
        method="POST",
        path=ORGS,
        request_hash=idempotency.fingerprint("POST", ORGS, json.dumps(NEW_ORG).encode()),
    )
    response = post(client, ORGS, NEW_ORG, key="in-flight")
    assert_problem(response, 409, "idempotency_in_flight")
    assert response["Retry-After"] == "1"
    assert not Organisation.objects.filter(name="Huyton Allotments").exists()


def test_a_claim_abandoned_by_a_dead_request_is_taken_over(client, person):
    IdempotencyRecord.objects.create(
        principal=f"user:{person.pk}",
        key="dead",
        method="POST",
        path=ORGS,
        request_hash="0" * 64,
        created_at=clock.now() - timedelta(minutes=10),
    )
    assert post(client, ORGS, NEW_ORG, key="dead").status_code == 201
    assert IdempotencyRecord.objects.get(key="dead").response_status == 201


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "tab\there", "é-accent"])
def test_an_invalid_key_is_a_400(client, person, key):
    response = post(client, ORGS, NEW_ORG, key=key.encode("utf-8").decode("latin-1"))
    body = assert_problem(response, 400, "invalid_idempotency_key")
    assert body["errors"][0]["parameter"] == "Idempotency-Key"
    assert not Organisation.objects.exists()


def test_longest_valid_key_is_accepted(client, person):
    assert post(client, ORGS, NEW_ORG, key="k" * 255).status_code == 201


def test_get_requests_ignore_the_header(client):
    response = client.get(ORGS, HTTP_IDEMPOTENCY_KEY="")
    assert response.status_code == 200


def test_records_expire_after_24_hours(client, person):
    post(client, ORGS, NEW_ORG, key="old")
    with time_machine.travel(clock.now() + timedelta(hours=25)):
        # Expired but not yet pruned: the key is free again, the work is done anew.
        again = post(client, ORGS, NEW_ORG, key="old")
        assert again.status_code == 201
        assert "Idempotent-Replayed" not in again
    assert Organisation.objects.filter(name="Huyton Allotments").count() == 2


def test_prune_deletes_only_records_older_than_24_hours(client, person):
    post(client, ORGS, NEW_ORG, key="old")
    with time_machine.travel(clock.now() + timedelta(hours=12)):
        post(client, ORGS, {**NEW_ORG, "name": "Newer"}, key="newer")
    with time_machine.travel(clock.now() + timedelta(hours=24, minutes=1)):
        assert idempotency.prune() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["newer"]


def test_prune_command(client, person, capsys):
    post(client, ORGS, NEW_ORG, key="old")
    with time_machine.travel(clock.now() + timedelta(days=2)):
        call_command("prune_idempotency_records")
    assert "Deleted 1 idempotency record" in capsys.readouterr().out
    assert not IdempotencyRecord.objects.exists()
