"""`covenant passport trust-export | present | verify`: the passport on the command line.

- ``trust-export`` prints the node's trusted issuers and their published keys as a trust file.
- ``present`` prints a key-bound presentation of a volunteer's credential, signed with the key
  the node holds for them. Shell access is the authority (there is no one to ask), so it is
  recorded in the audit log as done by the command line: it discloses personal data.
- ``verify`` checks a presentation against a trust file and cached status lists, without the
  database or the network (see `covenant.passport.cli_verify`). This module imports nothing
  that reads the database at load time, and system checks are skipped for `verify`, so it
  runs where the node's database is unreachable.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from covenant.passport import cli_verify

if TYPE_CHECKING:
    from covenant.passport.models import Credential, HolderKey

VERIFY_EPILOG = f"""\
exit codes:
  {cli_verify.EXIT_VERIFIED}  verified: the claims are printed as JSON (keys sorted)
  {cli_verify.EXIT_REFUSED}  refused: one line "<code>: <reason>" (the codes of sdjwt.CODES)
  {cli_verify.EXIT_UNUSABLE}  could not verify: missing, unreadable or malformed trust file or input

status cache: a directory holding each fetched status-list JWT in a file named
  sha256(<list URL>) in lowercase hex, then ".jwt"; each list's signature is checked
  against the trust file's keys for its issuer."""


class Command(BaseCommand):
    help = "The volunteer passport: export trust, present a credential, verify a presentation."
    # Checks run in handle() for the subcommands that need the node; verify must not.
    requires_system_checks: list[str] = []
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")

        sub.add_parser(
            "trust-export",
            help="Print the node's trusted issuers and their public keys (a trust file).",
        )

        present = sub.add_parser(
            "present", help="Print a key-bound presentation of a volunteer's credential."
        )
        present.add_argument("--volunteer", required=True, metavar="EMAIL")
        present.add_argument("--type", required=True, dest="vct", metavar="VCT")
        present.add_argument(
            "--disclose",
            required=True,
            metavar="CLAIM[,CLAIM...]",
            help='The claims to reveal, comma-separated, or "all".',
        )
        present.add_argument("--audience", required=True, metavar="AUD")
        present.add_argument("--nonce", required=True, metavar="NONCE")

        verify = sub.add_parser(
            "verify",
            help="Verify a presentation offline against a trust file.",
            epilog=VERIFY_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        verify.add_argument(
            "--trust",
            required=True,
            type=Path,
            metavar="TRUST.json",
            help="The trusted issuers and keys (from trust-export).",
        )
        verify.add_argument("--audience", required=True, metavar="AUD", help="Who you are.")
        verify.add_argument("--nonce", required=True, metavar="NONCE", help="What you asked.")
        status = verify.add_mutually_exclusive_group()
        status.add_argument(
            "--status-cache", type=Path, metavar="DIR", help="Cached status lists (see below)."
        )
        status.add_argument(
            "--no-status",
            action="store_true",
            help="Do not check revocation or suspension (a warning says so).",
        )
        fetch = sub.add_parser(
            "status-fetch",
            help="Fetch status lists from a node into a cache for verify --status-cache.",
            epilog=VERIFY_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        fetch.add_argument("--trust", required=True, type=Path, metavar="TRUST.json")
        fetch.add_argument("--status-cache", required=True, type=Path, metavar="DIR")
        fetch.add_argument("urls", nargs="+", metavar="URL", help="Each status list's URL.")
        verify.add_argument(
            "file",
            nargs="?",
            default="-",
            metavar="FILE",
            help="The presentation (default: stdin).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        if subcommand == "verify":
            self._verify(options)
            return
        if subcommand == "status-fetch":
            self._status_fetch(options)
            return
        self.check()
        if subcommand == "trust-export":
            self._trust_export()
        else:
            self._present(options)

    # --- trust-export ----------------------------------------------------------------------

    def _trust_export(self) -> None:
        from covenant.passport import selectors

        self.stdout.write(json.dumps(selectors.trust_document(), indent=2, sort_keys=True))

    # --- present ---------------------------------------------------------------------------

    def _present(self, options: dict[str, Any]) -> None:
        from covenant.core import clock
        from covenant.core.errors import CovenantError
        from covenant.passport import selectors

        holder = selectors.volunteer_by_email(options["volunteer"])
        if holder is None:
            raise CommandError(f"There is no open account with the e-mail {options['volunteer']}.")
        try:
            credential = selectors.holder_credential(holder, options["vct"], now=clock.now())
        except CovenantError as error:
            raise CommandError(str(error)) from None
        disclose = [name.strip() for name in options["disclose"].split(",") if name.strip()]
        if not disclose:
            raise CommandError('Name the claims to disclose, comma-separated, or "all".')
        self.stdout.write(
            _credential_present(
                credential=credential,
                disclose="all" if disclose == ["all"] else disclose,
                audience=options["audience"],
                nonce=options["nonce"],
            )
        )

    # --- status-fetch (no database either) -------------------------------------------------

    def _status_fetch(self, options: dict[str, Any]) -> None:
        try:
            trust = cli_verify.trust_document_read(options["trust"])
        except cli_verify.Unusable as error:
            raise CommandError(str(error), returncode=cli_verify.EXIT_UNUSABLE) from None
        outcome = cli_verify.status_fetch(
            options["urls"], trust=trust, directory=options["status_cache"]
        )
        if outcome.exit_code != cli_verify.EXIT_VERIFIED:
            raise CommandError(outcome.output, returncode=outcome.exit_code)
        self.stdout.write(outcome.output)

    # --- verify ----------------------------------------------------------------------------

    def _verify(self, options: dict[str, Any]) -> None:
        source = options["file"]
        try:
            if source == "-":
                stdin = options.get("stdin") or sys.stdin
                presentation = stdin.read()
            else:
                presentation = Path(source).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(
                f"cannot read the presentation {source}: {error}",
                returncode=cli_verify.EXIT_UNUSABLE,
            ) from None
        outcome = cli_verify.verify_files(
            trust_path=options["trust"],
            presentation=presentation,
            audience=options["audience"],
            nonce=options["nonce"],
            status_cache=options["status_cache"],
            check_status=not options["no_status"],
        )
        if outcome.exit_code != cli_verify.EXIT_VERIFIED:
            raise CommandError(outcome.output, returncode=outcome.exit_code)
        if outcome.warning:
            self.stderr.write(outcome.warning)
        self.stdout.write(outcome.output)


def _credential_present(
    *, credential: Credential, disclose: list[str] | str, audience: str, nonce: str
) -> str:
    """Sign a presentation with the node-held holder key and record who saw what.

    No permission check: only someone with shell access on the node runs this. The audit
    entry names the credential, its type, the audience and the claim names, never a value.
    """
    from django.db import transaction

    from covenant.core import audit, clock
    from covenant.passport import sdjwt
    from covenant.passport.models import HolderKeyCustody
    from covenant.passport.services import COMMAND_LINE

    holder_key = _holder_key_bound(credential)
    if holder_key is None:
        raise CommandError("The node does not hold the key this credential is bound to.")
    if holder_key.custody != HolderKeyCustody.NODE:
        raise CommandError(
            "This credential is bound to the volunteer's own wallet key; the node cannot sign "
            "a presentation for it. The volunteer presents it from their wallet."
        )
    with transaction.atomic():
        try:
            with holder_key.unsealed() as key:
                presentation = sdjwt.present(
                    credential.sd_jwt(),
                    disclose=disclose,
                    holder_key=key,
                    aud=audience,
                    nonce=nonce,
                    iat=int(clock.now().timestamp()),
                )
        except sdjwt.PresentationError as error:
            raise CommandError(error.message) from None
        disclosed = sorted(sdjwt.read_holding(presentation.rsplit("~", 1)[0] + "~").disclosable)
        audit.record(
            actor=COMMAND_LINE,
            action="credential.present",
            target=credential,
            uid=str(credential.uid),
            vct=credential.credential_type.vct,
            audience=audience,
            claims=disclosed,
        )
    return presentation


def _holder_key_bound(credential: Credential) -> HolderKey | None:
    """The holder's key the credential is bound to (its `cnf.jwk`), whoever holds it: the
    volunteer's active key may have changed since it was issued."""
    from covenant.passport import jose, sdjwt
    from covenant.passport.models import HolderKey

    cnf = sdjwt.read_holding(credential.sd_jwt()).payload.get("cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    if not isinstance(jwk, dict):
        return None
    try:
        kid = jose.thumbprint(jwk)
    except jose.JoseError:
        return None
    return HolderKey.objects.filter(holder_id=credential.holder_id, kid=kid).first()
