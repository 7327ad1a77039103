"""Fixtures shared by every test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _media_isolation(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
        or (marker is not None and marker.kwargs.get("transaction"))
    )


@pytest.fixture(autouse=True)
def _append_only_tables_emptied(request: pytest.FixtureRequest) -> Iterator[None]:
    """Let a transactional test's database be flushed on SQLite.

    A transactional test (live server, threads) commits for real, so pytest-django empties the
    tables afterwards with `flush`. On SQLite that is a DELETE, which the audit log's
    append-only triggers refuse (PostgreSQL's flush is a TRUNCATE, which row triggers do not
    see). So, on SQLite only, each trigger is lifted, its table emptied and the trigger put
    back exactly as it was, just before the flush; the next test gets the same guarded schema.
    """
    if not _transactional(request):
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        triggers = cursor.fetchall()
        for name, _table, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
        for table in sorted({table for _name, table, _sql in triggers}):
            cursor.execute(f'DELETE FROM "{table}"')
        for _name, _table, sql in triggers:
            cursor.execute(sql)
