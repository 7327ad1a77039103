"""`covenant passport trust-export | present | verify`: issue through the services, present
from the command line, verify offline with the exported trust and cached status lists."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from covenant.core import clock
from covenant.core.models import AuditEntry, Organisation, User
from covenant.passport import cli_verify, jose, sdjwt
from covenant.passport.models import Credential, CredentialType
from covenant.passport.services import (
    credential_issue,
    credential_revoke,
    holder_key_register,
    status_list_publish,
)

from .conftest import dbs_claims

AUDIENCE = "https://verifier.example.org"
NONCE = "nonce-7f3a"
REPO = Path(__file__).resolve().parents[4]


def run(*args: str, stdin: str | None = None) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    extra: dict[str, Any] = {} if stdin is None else {"stdin": io.StringIO(stdin)}
    call_command("passport", *args, stdout=out, stderr=err, **extra)
    return out.getvalue(), err.getvalue()


def refusal(*args: str, stdin: str | None = None) -> CommandError:
    with pytest.raises(CommandError) as caught:
        run(*args, stdin=stdin)
    assert "\n" not in str(caught.value)
    return caught.value


@pytest.fixture
def issued(cvs: Organisation, cvs_verifier: User, volunteer: User, dbs_type: CredentialType):
    return credential_issue(
        actor=cvs_verifier, holder=volunteer, credential_type=dbs_type, claims=dbs_claims()
    )


@pytest.fixture
def trust_file(issued: Credential, tmp_path: Path) -> Path:
    out, _ = run("trust-export")
    path = tmp_path / "trust.json"
    path.write_text(out)
    return path


def cache_lists(credential: Credential, directory: Path) -> Path:
    directory.mkdir(exist_ok=True)
    for status_list in (credential.revocation_list, credential.suspension_list):
        assert status_list is not None
        status_list.refresh_from_db()
        token = status_list_publish(status_list=status_list)
        (directory / cli_verify.cache_file_name(status_list.url)).write_text(token)
    return directory


@pytest.fixture
def cache(issued: Credential, tmp_path: Path) -> Path:
    return cache_lists(issued, tmp_path / "status")


def present(credential: Credential, disclose: str = "all", nonce: str = NONCE) -> str:
    out, _ = run(
        "present",
        "--volunteer",
        credential.holder.email,
        "--type",
        credential.credential_type.vct,
        "--disclose",
        disclose,
        "--audience",
        AUDIENCE,
        "--nonce",
        nonce,
    )
    return out.strip()


def verify_args(
    trust: Path, *extra: str, audience: str = AUDIENCE, nonce: str = NONCE
) -> list[str]:
    return ["verify", "--trust", str(trust), "--audience", audience, "--nonce", nonce, *extra]


def write(tmp_path: Path, presentation: str) -> str:
    path = tmp_path / "presentation.txt"
    path.write_text(presentation + "\n")
    return str(path)


# --- trust-export ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_trust_export_lists_the_issuer_with_its_published_keys_only(
    issued: Credential, cvs: Organisation, dbs_type: CredentialType
) -> None:
    from covenant.passport.services import issuer_key_retire, issuer_key_rotate

    old = issued.issuer_key
    new = issuer_key_rotate(actor=None, organisation=cvs)
    issuer_key_retire(actor=None, key=old)
    first, _ = run("trust-export")
    again, _ = run("trust-export")
    assert first == again
    document = json.loads(first)
    (entry,) = [i for i in document["issuers"] if i["id"].endswith(f"/issuers/{cvs.pk}")]
    assert [k["kid"] for k in entry["keys"]] == [new.kid]
    assert all("d" not in k for k in entry["keys"])
    assert dbs_type.vct in entry["credential_types"]
    assert entry["credential_types"] == sorted(entry["credential_types"])


# --- round trip ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_round_trip_prints_every_claim(
    issued: Credential, trust_file: Path, cache: Path, tmp_path: Path
) -> None:
    presentation = present(issued)
    out, err = run(
        *verify_args(trust_file, "--status-cache", str(cache), write(tmp_path, presentation))
    )
    claims = json.loads(out)
    assert err == ""
    for name, value in dbs_claims().items():
        assert claims[name] == value
    assert claims["vct"] == issued.credential_type.vct
    assert list(claims) == sorted(claims)


@pytest.mark.django_db
def test_presenting_is_audited_with_claim_names_not_values(issued: Credential) -> None:
    present(issued, "outcome,level")
    entry = AuditEntry.objects.filter(action="credential.present").get()
    assert entry.detail["claims"] == ["level", "outcome"]
    assert entry.detail["audience"] == AUDIENCE
    assert "clear" not in json.dumps(entry.detail)
    assert entry.actor_label == "command line"


@pytest.mark.django_db
def test_a_subset_reveals_only_those_claims(
    issued: Credential, trust_file: Path, cache: Path
) -> None:
    presentation = present(issued, "outcome, level")
    out, _ = run(*verify_args(trust_file, "--status-cache", str(cache)), stdin=presentation)
    claims = json.loads(out)
    personal = set(claims) - {"iss", "vct", "iat", "exp", "nbf", "cnf", "status"}
    assert personal == {"outcome", "level"}
    assert "certificate_number" not in out


@pytest.mark.django_db
def test_unknown_claims_are_refused_naming_the_claims_there_are(issued: Credential) -> None:
    error = refusal(
        "present", "--volunteer", issued.holder.email, "--type", issued.credential_type.vct,
        "--disclose", "outcome,shoe_size", "--audience", AUDIENCE, "--nonce", NONCE,
    )  # fmt: skip
    assert "shoe_size" in str(error)
    assert "certificate_number" in str(error)


@pytest.mark.django_db
def test_a_wallet_bound_credential_cannot_be_presented_by_the_node(
    cvs_verifier: User, volunteer: User, dbs_type: CredentialType
) -> None:
    wallet = jose.public_jwk(jose.generate_key())
    holder_key_register(actor=volunteer, holder=volunteer, public_jwk=wallet)
    credential = credential_issue(
        actor=cvs_verifier, holder=volunteer, credential_type=dbs_type, claims=dbs_claims()
    )
    error = refusal(
        "present", "--volunteer", volunteer.email, "--type", credential.credential_type.vct,
        "--disclose", "all", "--audience", AUDIENCE, "--nonce", NONCE,
    )  # fmt: skip
    assert "wallet" in str(error)
    assert not AuditEntry.objects.filter(action="credential.present").exists()


@pytest.mark.django_db
def test_an_unknown_volunteer_is_one_line(issued: Credential) -> None:
    error = refusal(
        "present", "--volunteer", "nobody@example.org", "--type", issued.credential_type.vct,
        "--disclose", "all", "--audience", AUDIENCE, "--nonce", NONCE,
    )  # fmt: skip
    assert "nobody@example.org" in str(error)


# --- refusals --------------------------------------------------------------------------------


def assert_refused(error: CommandError, code: str) -> None:
    assert error.returncode == cli_verify.EXIT_REFUSED
    assert str(error).startswith(f"{code}: ")
    assert code in sdjwt.CODES


@pytest.mark.django_db
def test_wrong_audience(issued: Credential, trust_file: Path, cache: Path) -> None:
    args = verify_args(trust_file, "--status-cache", str(cache), audience="https://other.example")
    assert_refused(refusal(*args, stdin=present(issued)), "kb_wrong_audience")


@pytest.mark.django_db
def test_wrong_nonce(issued: Credential, trust_file: Path, cache: Path) -> None:
    args = verify_args(trust_file, "--status-cache", str(cache), nonce="another")
    assert_refused(refusal(*args, stdin=present(issued)), "kb_wrong_nonce")


@pytest.mark.django_db
def test_tampered(issued: Credential, trust_file: Path, cache: Path) -> None:
    presentation = present(issued)
    jwt, rest = presentation.split("~", 1)
    header, payload, signature = jwt.split(".")
    claims = json.loads(jose.b64url_decode(payload))
    claims["exp"] += 86400 * 365
    forged = f"{header}.{jose.b64url_encode(jose.json_compact(claims))}.{signature}~{rest}"
    args = verify_args(trust_file, "--status-cache", str(cache))
    assert_refused(refusal(*args, stdin=forged), "bad_signature")


@pytest.mark.django_db
def test_untrusted_issuer(issued: Credential, tmp_path: Path, cache: Path) -> None:
    trust = tmp_path / "empty.json"
    trust.write_text('{"issuers": []}')
    args = verify_args(trust, "--status-cache", str(cache))
    assert_refused(refusal(*args, stdin=present(issued)), "untrusted_issuer")


@pytest.mark.django_db
def test_revoked(issued: Credential, cvs_verifier: User, trust_file: Path, tmp_path: Path) -> None:
    presentation = present(issued)
    credential_revoke(actor=cvs_verifier, credential=issued, reason="issued_in_error")
    cache = cache_lists(issued, tmp_path / "after")
    args = verify_args(trust_file, "--status-cache", str(cache))
    assert_refused(refusal(*args, stdin=presentation), "revoked")


@pytest.mark.django_db
def test_a_missing_cached_list_is_status_unavailable(
    issued: Credential, trust_file: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty-cache"
    empty.mkdir()
    args = verify_args(trust_file, "--status-cache", str(empty))
    error = refusal(*args, stdin=present(issued))
    assert_refused(error, "status_unavailable")
    assert cli_verify.cache_file_name(issued.revocation_list.url) in str(error)  # type: ignore[union-attr]


@pytest.mark.django_db
def test_without_cache_or_no_status_a_credential_with_status_is_refused(
    issued: Credential, trust_file: Path
) -> None:
    error = refusal(*verify_args(trust_file), stdin=present(issued))
    assert_refused(error, "status_unavailable")
    assert "--no-status" in str(error)


@pytest.mark.django_db
def test_expired(issued: Credential, trust_file: Path, cache: Path) -> None:
    presentation = present(issued)
    assert issued.expires_at is not None
    with time_machine.travel(issued.expires_at + timedelta(days=1)):
        error = refusal(*verify_args(trust_file, "--no-status"), stdin=presentation)
    assert_refused(error, "expired")


# --- no status, bad input --------------------------------------------------------------------


@pytest.mark.django_db
def test_no_status_warns_on_stderr(issued: Credential, trust_file: Path) -> None:
    out, err = run(*verify_args(trust_file, "--no-status"), stdin=present(issued))
    assert json.loads(out)["outcome"] == "clear"
    assert err.strip() == cli_verify.NO_STATUS_WARNING


@pytest.mark.django_db
def test_a_missing_trust_file_exits_2(issued: Credential, tmp_path: Path) -> None:
    error = refusal(*verify_args(tmp_path / "nope.json", "--no-status"), stdin=present(issued))
    assert error.returncode == cli_verify.EXIT_UNUSABLE
    assert "nope.json" in str(error)


@pytest.mark.django_db
def test_a_malformed_trust_file_exits_2(issued: Credential, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"issuers": [')
    error = refusal(*verify_args(bad, "--no-status"), stdin=present(issued))
    assert error.returncode == cli_verify.EXIT_UNUSABLE
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"issuers": [{"id": "https://x.example"}]}')
    error = refusal(*verify_args(wrong, "--no-status"), stdin=present(issued))
    assert error.returncode == cli_verify.EXIT_UNUSABLE
    assert "issuer 1" in str(error)


# --- without the database --------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_as_a_plain_function_needs_no_database(
    issued: Credential, trust_file: Path, cache: Path
) -> None:
    presentation = present(issued, "outcome")
    trust = json.loads(trust_file.read_text())
    outcome = cli_verify.verify(
        presentation, trust=trust, audience=AUDIENCE, nonce=NONCE, status_cache=cache
    )
    assert outcome.exit_code == 0
    assert json.loads(outcome.output)["outcome"] == "clear"


@pytest.mark.django_db
def test_the_command_verifies_with_the_database_unreachable(
    issued: Credential, trust_file: Path, cache: Path, tmp_path: Path
) -> None:
    presentation = present(issued, "outcome")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "covenant.settings.test",
        "DATABASE_URL": "postgres://nobody:nothing@127.0.0.1:1/no_such_database",
    }

    def command(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(REPO / "manage.py"), "passport", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=60,
            check=False,
        )

    ok = command(*verify_args(trust_file, "--status-cache", str(cache)), stdin=presentation)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["outcome"] == "clear"

    wrong = command(*verify_args(trust_file, "--no-status", nonce="x"), stdin=presentation)
    assert wrong.returncode == 1
    assert len(wrong.stderr.strip().splitlines()) == 1
    assert "kb_wrong_nonce" in wrong.stderr

    missing = command(*verify_args(tmp_path / "none.json", "--no-status"), stdin=presentation)
    assert missing.returncode == 2
    assert len(missing.stderr.strip().splitlines()) == 1


def test_the_cache_file_name_is_the_sha256_of_the_url() -> None:
    import hashlib

    url = "https://node.example.org/status-lists/1/revocation/1"
    assert cli_verify.cache_file_name(url) == hashlib.sha256(url.encode()).hexdigest() + ".jwt"


# --- status-fetch ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_status_fetch_fills_the_cache_from_a_running_node(
    live_server: Any,
    settings: Any,
    cvs_verifier: User,
    volunteer: User,
    dbs_type: CredentialType,
    tmp_path: Path,
) -> None:
    settings.COVENANT_BASE_URL = live_server.url
    credential = credential_issue(
        actor=cvs_verifier, holder=volunteer, credential_type=dbs_type, claims=dbs_claims()
    )
    trust = tmp_path / "trust.json"
    trust.write_text(run("trust-export")[0])
    cache = tmp_path / "cache"
    cache.mkdir()
    assert credential.revocation_list is not None
    assert credential.suspension_list is not None
    urls = [credential.revocation_list.url, credential.suspension_list.url]
    assert all(url.startswith(live_server.url) for url in urls)

    out, _ = run("status-fetch", "--trust", str(trust), "--status-cache", str(cache), *urls)
    assert sorted(p.name for p in cache.iterdir()) == sorted(map(cli_verify.cache_file_name, urls))
    assert all(url in out for url in urls)
    presentation = present(credential)
    verified, _ = run(*verify_args(trust, "--status-cache", str(cache)), stdin=presentation)
    assert json.loads(verified)["outcome"] == "clear"

    credential_revoke(actor=cvs_verifier, credential=credential, reason="issued_in_error")
    run("status-fetch", "--trust", str(trust), "--status-cache", str(cache), urls[0])
    error = refusal(*verify_args(trust, "--status-cache", str(cache)), stdin=presentation)
    assert_refused(error, "revoked")

    untrusted = tmp_path / "untrusted.json"
    untrusted.write_text('{"issuers": []}')
    error = refusal(
        "status-fetch", "--trust", str(untrusted), "--status-cache", str(cache), urls[0]
    )
    assert error.returncode == cli_verify.EXIT_REFUSED
    assert str(error).startswith("status_unavailable: ")
    assert "not trusted" in str(error)


@pytest.mark.django_db
def test_an_external_issuer_in_the_registry_is_exported_and_verifies(
    dbs_type: CredentialType, tmp_path: Path
) -> None:
    from covenant.passport.services import issuer_trust

    issuer_private = jose.generate_key()
    issuer_jwk = jose.public_jwk(issuer_private)
    external = "https://umbrella.example.org/issuers/dbs"
    issuer_trust(
        actor=None,
        credential_type=dbs_type,
        issuer=external,
        name="Umbrella DBS body",
        jwks={"keys": [issuer_jwk]},
    )
    out, _ = run("trust-export")
    (entry,) = [i for i in json.loads(out)["issuers"] if i["id"] == external]
    assert [k["kid"] for k in entry["keys"]] == [issuer_jwk["kid"]]
    assert entry["credential_types"] == [dbs_type.vct]
    trust = tmp_path / "trust.json"
    trust.write_text(out)

    holder = jose.generate_key()
    now = int(clock.now().timestamp())
    sd_jwt = sdjwt.issue(
        issuer_key=issuer_private,
        kid=issuer_jwk["kid"],
        iss=external,
        vct=dbs_type.vct,
        claims={"outcome": "clear", "level": "basic"},
        holder_jwk=jose.public_jwk(holder, with_kid=False),
        iat=now,
        exp=now + 3600,
    )
    presentation = sdjwt.present(
        sd_jwt, disclose=["outcome"], holder_key=holder, aud=AUDIENCE, nonce=NONCE, iat=now
    )
    verified, err = run(*verify_args(trust, "--no-status"), stdin=presentation)
    assert json.loads(verified)["outcome"] == "clear"
    assert "level" not in json.loads(verified)
    assert err == ""  # no status claim: nothing to skip, so no warning
