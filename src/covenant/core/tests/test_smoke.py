import pytest

from covenant.core import audit
from covenant.core.tests.factories import MembershipFactory


@pytest.mark.django_db
def test_audit_chain_of_one_entry_verifies():
    membership = MembershipFactory()
    audit.record(actor=membership.user, action="test.action", target=membership.organisation)
    report = audit.chain_verify()
    assert report.ok
    assert report.checked == 1
