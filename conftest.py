"""Fixtures shared by every test module."""

from __future__ import annotations

import importlib

import pytest

_TRIGGERS = importlib.import_module("covenant.core.migrations.0002_audit_append_only")


@pytest.fixture(autouse=True)
def _media_isolation(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _uses_database(request: pytest.FixtureRequest) -> tuple[bool, bool]:
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
        or (marker is not None and marker.kwargs.get("transaction"))
    )
    return transactional or marker is not None or "db" in request.fixturenames, transactional


@pytest.fixture(autouse=True)
def _audit_triggers_survive_sqlite_flush(request: pytest.FixtureRequest):
    """Keep the audit log's append-only triggers in place for every test on SQLite.

    A transactional test (live server, threads) ends with Django's flush, which on SQLite is a
    DELETE of every table: the trigger rightly refuses it. So after such a test the DELETE
    trigger is dropped, and before every test both are put back. PostgreSQL flushes with
    TRUNCATE, which the row trigger does not see, so nothing is needed there.
    """
    uses_db, transactional = _uses_database(request)
    if not uses_db:
        yield
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        for statement in _TRIGGERS.SQLITE:
            cursor.execute(statement.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1))
    yield
    if transactional:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS core_auditentry_no_delete")
