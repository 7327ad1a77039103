"""A transactional test that writes the audit log must not break the append-only triggers for
the tests after it (see the root conftest)."""

import pytest
from django.db import DatabaseError, connection, transaction

from covenant.core import audit
from covenant.core.models import AuditEntry


@pytest.mark.django_db(transaction=True)
def test_a_transactional_writes_audit():
    audit.record(actor=None, action="x")
    assert AuditEntry.objects.count() == 1


@pytest.mark.django_db
def test_b_trigger_back():
    audit.record(actor=None, action="y")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
        c.execute("DELETE FROM core_auditentry")
