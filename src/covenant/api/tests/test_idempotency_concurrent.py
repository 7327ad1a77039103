"""Two requests with the same Idempotency-Key at the same moment, for real: two threads, two
database connections. PostgreSQL only (SQLite's test database is in memory, one connection)."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from covenant.api.models import IdempotencyRecord
from covenant.core import services
from covenant.core.models import Organisation
from covenant.core.tests.factories import UserFactory

from .factories import with_mfa

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a server database"),
]

BODY = json.dumps({"name": "Huyton Allotments", "kind": "community_group"})


def test_a_duplicate_arriving_while_the_first_runs_gets_409_then_the_replay(monkeypatch):
    user = with_mfa(UserFactory())
    release = threading.Event()
    real_register = services.organisation_register

    def held_register(**kwargs):
        # The first request stops inside the service, holding its claim on the key.
        assert release.wait(timeout=10)
        return real_register(**kwargs)

    monkeypatch.setattr(services, "organisation_register", held_register)
    results: dict[str, int] = {}

    def first() -> None:
        client = Client()
        client.force_login(user)
        response = client.post(
            "/api/v1/organisations",
            BODY,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="same",
        )
        results["first"] = response.status_code
        connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not IdempotencyRecord.objects.filter(key="same").exists():
            assert time.monotonic() < deadline, "the first request never claimed the key"
            time.sleep(0.02)
        second = Client()
        second.force_login(user)
        duplicate = second.post(
            "/api/v1/organisations",
            BODY,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="same",
        )
        assert duplicate.status_code == 409
        assert duplicate.json()["code"] == "idempotency_in_flight"
    finally:
        release.set()
        thread.join(timeout=10)
    assert results["first"] == 201
    replay = second.post(
        "/api/v1/organisations", BODY, content_type="application/json", HTTP_IDEMPOTENCY_KEY="same"
    )
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert Organisation.objects.filter(name="Huyton Allotments").count() == 1
