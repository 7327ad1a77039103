"""A volunteer's data export lists their credentials, without repeating DBS details."""

from __future__ import annotations

import pytest

from covenant.core.services import person_data_export
from covenant.passport.services import credential_issue

from .conftest import dbs_claims

pytestmark = pytest.mark.django_db


def test_export_lists_held_credentials_without_claim_values(cvs_verifier, volunteer, dbs_type):
    claims = dbs_claims()
    credential_issue(actor=cvs_verifier, holder=volunteer, credential_type=dbs_type, claims=claims)
    section = person_data_export(actor=volunteer, user=volunteer)["passport"]
    (held,) = section["credentials_held"]
    assert held["type"] == dbs_type.name
    assert held["standing"]
    exported = repr(section)
    assert str(claims["certificate_number"]) not in exported
