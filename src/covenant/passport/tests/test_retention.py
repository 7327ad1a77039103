"""Retention, with a moved clock: evidence notes and the content of ended credentials are
erased within six months, and a DBS check never holds anything outside its allow-list."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from covenant.core import clock
from covenant.core.models import AuditEntry
from covenant.passport import registry, sdjwt
from covenant.passport.models import Credential, CredentialState
from covenant.passport.services import (
    credential_download,
    credential_issue,
    credential_revoke,
    credentials_retention_purge,
    sealed_secrets_rewrap,
)
from covenant.passport.tasks import passport_retention_run

from .conftest import dbs_claims, reference_claims

pytestmark = pytest.mark.django_db


def issue(verifier, holder, credential_type, claims, note="Saw the original."):
    return credential_issue(
        actor=verifier,
        holder=holder,
        credential_type=credential_type,
        claims=claims,
        evidence_note=note,
    )


def test_evidence_notes_are_erased_within_six_months_of_the_decision(
    cvs_verifier, volunteer, dbs_type
) -> None:
    credential = issue(cvs_verifier, volunteer, dbs_type, dbs_claims())
    with time_machine.travel(clock.now() + timedelta(days=179)):
        assert credentials_retention_purge().evidence_notes == 0
    credential.refresh_from_db()
    assert credential.evidence_note() == "Saw the original."
    with time_machine.travel(clock.now() + timedelta(days=181)):
        report = credentials_retention_purge()
    assert report.evidence_notes == 1
    credential.refresh_from_db()
    assert credential.evidence_note_sealed is None
    assert credential.evidence_note() == ""
    assert credential.has_content, "the credential itself is still current"
    entry = AuditEntry.objects.get(action="passport.retention.purge")
    assert entry.actor_label == "retention schedule"
    assert entry.detail["evidence_notes"] == 1


def test_revoked_credentials_lose_their_content_six_months_after(
    client: Client, cvs_verifier, volunteer, dbs_type
) -> None:
    credential = issue(cvs_verifier, volunteer, dbs_type, dbs_claims(), note="")
    credential_revoke(actor=cvs_verifier, credential=credential, reason="superseded")
    with time_machine.travel(clock.now() + timedelta(days=179)):
        assert credentials_retention_purge().credentials == 0
    with time_machine.travel(clock.now() + timedelta(days=181)):
        assert credentials_retention_purge().credentials == 1
        assert credentials_retention_purge().credentials == 0, "once only"
    credential.refresh_from_db()
    assert credential.state == CredentialState.REVOKED
    assert bytes(credential.sd_jwt_sealed) == b""
    assert credential.content_purged_at is not None
    assert not credential.has_content
    with pytest.raises(Exception, match="retention"):
        credential_download(actor=volunteer, credential=credential)
    client.force_login(volunteer)
    page = client.get(reverse("passport:credential", args=[credential.uid])).content.decode()
    assert "deleted on" in page
    assert "001234567890" not in page
    assert "Download" not in page
    passport = client.get(reverse("passport:mine")).content.decode()
    assert reverse("passport:credential_download", args=[credential.uid]) not in passport
    # The status entry stays set, so old copies keep failing verification.
    assert sealed_secrets_rewrap(actor=None) == 0, "nothing left to re-seal, and no crash"


def test_expired_credentials_lose_their_content_six_months_after_expiry(
    cvs_verifier, volunteer, dbs_type, charity_verifier, builtin_types
) -> None:
    dbs = issue(cvs_verifier, volunteer, dbs_type, dbs_claims())
    forever = issue(charity_verifier, volunteer, builtin_types["reference"], reference_claims())
    expiry = dbs.expires_at
    with time_machine.travel(expiry + timedelta(days=179)):
        assert credentials_retention_purge().credentials == 0
    with time_machine.travel(expiry + timedelta(days=181)):
        assert credentials_retention_purge().credentials == 1
    dbs.refresh_from_db()
    forever.refresh_from_db()
    assert not dbs.has_content
    assert forever.has_content, "a credential that does not expire is kept while it is valid"


def test_the_task_and_the_command_run_the_same_purge(
    cvs_verifier, volunteer, dbs_type, capsys
) -> None:
    issue(cvs_verifier, volunteer, dbs_type, dbs_claims())
    with time_machine.travel(clock.now() + timedelta(days=200)):
        result = passport_retention_run.call()
        assert result == {"evidence_notes": 1, "credentials": 0, "shares": 0}
        call_command("passport_retention")
    assert (
        "Erased 0 evidence notes and the contents of 0 credentials, and 0 shared copies."
        in capsys.readouterr().out
    )


def test_nothing_outside_the_dbs_allow_list_is_ever_stored(
    cvs_verifier, volunteer, dbs_type
) -> None:
    """The retention rule for certificate content: there is none to purge, because a DBS
    check's stored credential holds only the allow-listed fields, and the rest of its row
    holds no claim at all."""
    credential = issue(cvs_verifier, volunteer, dbs_type, dbs_claims(), note="")
    stored = Credential.objects.get(pk=credential.pk)
    holding = sdjwt.read_holding(stored.sd_jwt())
    assert set(holding.disclosable) <= set(registry.DBS_CHECK_CLAIMS)
    structural = {"iss", "vct", "iat", "exp", "cnf", "status", "_sd", "_sd_alg"}
    assert set(holding.payload) == structural
    # No column of the row carries a claim's value in the clear, except that the validity
    # dates (which drive standing, renewal and retention) start on the certificate's date.
    row = {f.name: getattr(stored, f.attname) for f in Credential._meta.concrete_fields}
    text = json.dumps(row, default=str)
    assert stored.valid_from.date().isoformat() == dbs_claims()["issue_date"]
    for name, value in dbs_claims().items():
        for part in value if isinstance(value, list) else [value]:
            if isinstance(part, str) and name != "issue_date":
                assert part not in text, part
