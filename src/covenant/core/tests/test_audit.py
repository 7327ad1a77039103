"""The audit log: a hash chain that verifies, detects tampering, and that the database itself
refuses to change.

To tamper, a test first removes the append-only trigger (as an attacker with database access
could), inside the test's transaction, so the trigger is back for the next test. The SQL differs
between SQLite and PostgreSQL; the suite runs on both.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from covenant.core import audit, services
from covenant.core.authz import Actor
from covenant.core.models import AuditEntry, AuditHead, OrganisationKind, OrgRole
from covenant.core.tests.factories import (
    NodeRoleFactory,
    OrganisationFactory,
    PostcodeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def write_entries(n: int) -> list[AuditEntry]:
    actor = Actor(user_id=None, label="test")
    return [audit.record(actor=actor, action="test.action", n=i) for i in range(n)]


def drop_append_only_triggers() -> None:
    """Remove the guard for the rest of this test's transaction, as someone with raw database
    access could."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER core_auditentry_no_update")
            cursor.execute("DROP TRIGGER core_auditentry_no_delete")
        elif connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_no_change")
        else:  # pragma: no cover
            pytest.skip(f"no append-only trigger on {connection.vendor}")


def raw(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def set_detail(seq: int, detail: dict[str, object]) -> None:
    cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    raw(f"UPDATE core_auditentry SET detail = {cast} WHERE seq = %s", [json.dumps(detail), seq])


# A chain that verifies -------------------------------------------------------------------------


def test_an_empty_log_verifies():
    report = audit.chain_verify()
    assert report.ok
    assert (report.checked, report.first_bad_seq, report.reason) == (0, None, "")


def test_many_entries_verify_across_read_batches(monkeypatch):
    # Read in small batches, so the walk crosses many batch boundaries (2,000 a batch in use).
    monkeypatch.setattr(audit, "_entries", functools.partial(audit._entries, batch=64))
    entries = write_entries(700)
    assert [e.seq for e in entries] == list(range(1, 701))
    assert entries[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    report = audit.chain_verify()
    assert report.ok
    assert report.checked == 700
    head = AuditHead.objects.get(id=1)
    assert (head.seq, head.hash) == (700, entries[-1].hash)


def test_progress_is_reported_once_per_entry():
    write_entries(5)
    seen: list[None] = []
    assert audit.chain_verify(on_entry=lambda: seen.append(None)).ok
    assert len(seen) == 5


def test_entries_written_by_several_services_verify():
    PostcodeFactory(postcode="L36 9YU")
    node_admin = NodeRoleFactory(role="node_admin").user
    founder = UserFactory()
    organisation = services.organisation_register(
        actor=founder,
        name="Knowsley Food Bank",
        kind=OrganisationKind.CHARITY,
        charity_number="1123456",
        postcode="L36 9YU",
    )
    services.organisation_verify(actor=node_admin, organisation=organisation, verified=True)
    services.organisation_update(actor=founder, organisation=organisation, description="Parcels")
    helper = UserFactory()
    membership = services.membership_grant(
        actor=founder, organisation=organisation, email=helper.email, role=OrgRole.COORDINATOR
    )
    services.membership_revoke(actor=founder, membership=membership)
    services.node_role_grant(actor=node_admin, user=helper, role="cvs_staff")
    profile = services.volunteer_register(user=helper, postcode="L36 9YU", full_name="Helper")
    services.volunteer_profile_update(actor=helper, profile=profile, phone="0151 000 0000")
    services.person_data_export(actor=helper, user=helper)

    assert list(AuditEntry.objects.order_by("seq").values_list("action", flat=True)) == [
        "organisation.register",
        "organisation.verify",
        "organisation.update",
        "membership.grant",
        "membership.revoke",
        "node_role.grant",
        "volunteer.register",
        "volunteer.profile.update",
        "person.data.export",
    ]
    report = audit.chain_verify()
    assert report.ok
    assert report.checked == 9


def test_detail_is_stored_as_json_and_still_verifies_after_the_round_trip():
    """The hash is computed before saving; it must match what the database gives back (JSONB
    on PostgreSQL reorders keys and normalises values)."""
    entry = audit.record(
        actor=None,
        action="test.detail",
        amount=Decimal("12.50"),
        when=dt.datetime(2025, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC),
        day=dt.date(2025, 5, 6),
        ref=uuid.UUID("12345678-1234-5678-1234-567812345678"),
        nested={"z": 1, "a": [1.5, None, True], "é": "Ünïcode ✓"},
        zeta="last",
        alpha="first",
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.detail["amount"] == "12.50"
    assert stored.detail["when"].startswith("2025-05-06T07:08:09.123")
    assert stored.detail["ref"] == "12345678-1234-5678-1234-567812345678"
    assert stored.detail["nested"] == {"z": 1, "a": [1.5, None, True], "é": "Ünïcode ✓"}
    assert audit.entry_hash(stored) == stored.hash
    assert stored.actor_label == "system"
    assert audit.chain_verify().ok


def test_a_token_actor_is_named_in_the_detail():
    token = Actor(user_id=None, label="API token of Food Bank", token_id=42)
    organisation = OrganisationFactory()
    entry = audit.record(actor=token, action="test.api", target=organisation)
    assert entry.detail == {"api_token_id": 42}
    assert entry.actor_id is None
    assert entry.organisation_id == organisation.pk
    assert (entry.target_type, entry.target_id) == ("core.organisation", str(organisation.pk))


def test_a_rolled_back_action_leaves_no_entry_and_no_gap():
    write_entries(2)

    def record_then_fail() -> None:
        with transaction.atomic():
            write_entries(3)
            raise RuntimeError("the service failed after recording")

    with pytest.raises(RuntimeError):
        record_then_fail()
    assert AuditEntry.objects.count() == 2
    assert AuditHead.objects.get(id=1).seq == 2
    assert write_entries(1)[0].seq == 3
    assert audit.chain_verify().ok


# Tampering is detected -------------------------------------------------------------------------


def test_an_edited_detail_is_reported_at_that_entry():
    write_entries(10)
    drop_append_only_triggers()
    set_detail(6, {"n": 999})
    report = audit.chain_verify()
    assert not report.ok
    assert report.first_bad_seq == 6
    assert report.checked == 5
    assert report.reason == "its contents were changed after it was written"


def test_an_edited_actor_is_reported_at_that_entry():
    write_entries(4)
    drop_append_only_triggers()
    raw("UPDATE core_auditentry SET actor_label = %s WHERE seq = %s", ["someone else", 2])
    assert audit.chain_verify().first_bad_seq == 2


def test_an_edit_with_a_recomputed_hash_is_caught_by_the_next_entry():
    write_entries(5)
    drop_append_only_triggers()
    set_detail(3, {"n": 999})
    forged = AuditEntry.objects.get(seq=3)
    raw("UPDATE core_auditentry SET hash = %s WHERE seq = %s", [audit.entry_hash(forged), 3])
    report = audit.chain_verify()
    assert report.first_bad_seq == 4
    assert report.reason == "it does not follow the entry before it"


def test_a_deleted_middle_entry_is_reported():
    write_entries(10)
    drop_append_only_triggers()
    raw("DELETE FROM core_auditentry WHERE seq = %s", [4])
    report = audit.chain_verify()
    assert report.first_bad_seq == 4
    assert report.checked == 3
    assert report.reason == "entry #4 is missing"


def test_a_renumbered_gap_is_still_caught():
    write_entries(6)
    drop_append_only_triggers()
    raw("DELETE FROM core_auditentry WHERE seq = %s", [3])
    raw("UPDATE core_auditentry SET seq = seq - 1 WHERE seq > %s", [3])
    report = audit.chain_verify()
    assert report.first_bad_seq == 3
    assert report.reason == "it does not follow the entry before it"


def test_a_truncated_tail_is_reported_through_the_head():
    write_entries(10)
    drop_append_only_triggers()
    raw("DELETE FROM core_auditentry WHERE seq > %s", [7])
    report = audit.chain_verify()
    assert not report.ok
    assert report.checked == 7
    assert report.first_bad_seq == 8
    assert report.reason == "entries after it were removed"


def test_emptying_the_log_is_reported_through_the_head():
    write_entries(3)
    drop_append_only_triggers()
    raw("DELETE FROM core_auditentry WHERE seq > %s", [0])
    report = audit.chain_verify()
    assert report.first_bad_seq == 1


# The database refuses changes ------------------------------------------------------------------


def test_raw_update_is_refused_by_the_database():
    write_entries(3)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("UPDATE core_auditentry SET action = %s WHERE seq = %s", ["forged", 2])
    assert AuditEntry.objects.get(seq=2).action == "test.action"
    assert audit.chain_verify().ok


def test_raw_delete_is_refused_by_the_database():
    write_entries(3)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("DELETE FROM core_auditentry WHERE seq = %s", [2])
    assert AuditEntry.objects.count() == 3
    assert audit.chain_verify().ok


def test_queryset_update_and_delete_are_refused_by_the_database():
    write_entries(3)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(action="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == 3
    assert audit.chain_verify().ok


def test_model_save_and_delete_refuse_an_existing_entry():
    entry = write_entries(1)[0]
    entry.action = "forged"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.action == "test.action"
    assert audit.chain_verify().ok


# manage.py audit_verify ------------------------------------------------------------------------


def test_command_reports_an_intact_log(capsys):
    write_entries(25)
    call_command("audit_verify")
    captured = capsys.readouterr()
    assert captured.out == "Audit log intact: 25 entries checked.\n"
    assert "Checking the audit log" in captured.err
    assert "25/25" in captured.err


def test_command_on_an_empty_log(capsys):
    call_command("audit_verify")
    assert capsys.readouterr().out == "Audit log intact: 0 entries checked.\n"


def test_command_reports_an_edited_entry_and_fails():
    write_entries(8)
    drop_append_only_triggers()
    set_detail(5, {"n": "forged"})
    with pytest.raises(CommandError) as caught:
        call_command("audit_verify")
    assert str(caught.value) == (
        "Audit log broken at entry #5: its contents were changed after it was written."
    )


def test_command_reports_a_truncated_log_and_fails():
    write_entries(8)
    drop_append_only_triggers()
    raw("DELETE FROM core_auditentry WHERE seq > %s", [6])
    with pytest.raises(CommandError, match=r"^Audit log broken at entry #7: entries after it"):
        call_command("audit_verify")


def test_command_line_exit_status_and_one_line(capsys):
    write_entries(3)
    drop_append_only_triggers()
    raw("DELETE FROM core_auditentry WHERE seq = %s", [2])
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "audit_verify"])
    assert exited.value.code != 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        captured.err.rstrip()
        .splitlines()[-1]
        .endswith("Audit log broken at entry #2: entry #2 is missing.")
    )
