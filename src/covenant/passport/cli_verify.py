"""The offline verifier behind ``covenant passport verify``: a presentation checked against a
trust file and cached status lists, with no database and no network.

Pure (no Django, no models), so it runs on a laptop with only the trust file a node exported
(``covenant passport trust-export``) and the status lists someone fetched earlier, and so the
command's verify path cannot touch the node's database even by accident.

**Status cache.** ``--status-cache DIR`` holds each fetched status-list JWT (the body the node
serves as ``application/vc+jwt``) in a file named by :func:`cache_file_name`: the lowercase hex
SHA-256 of the list's URL (exactly as the credential's ``statusListCredential`` gives it),
then ``.jwt``. A cached list's signature is checked against the trust file's keys for its
issuer, its ``exp`` against the clock, and its ``id`` against the URL, so a stale, foreign or
forged copy refuses the presentation rather than passing it.

``covenant passport status-fetch --trust TRUST.json --status-cache DIR URL...`` fills the cache
from a node: each list is fetched, checked the same way (so a bad copy never lands in the cache)
and written whole (a reader never sees half a file).

**Exit codes.** 0: verified, the claims printed as JSON (keys sorted). 1: refused, one line
``<code>: <reason>`` with a :data:`covenant.passport.sdjwt.CODES` code. 2: the command could
not run (no or unreadable trust file, malformed JSON, unreadable input).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from . import credential_status, sdjwt
from .status_list import StatusListError

EXIT_VERIFIED: Final = 0
EXIT_REFUSED: Final = 1
EXIT_UNUSABLE: Final = 2

#: A status list of a million entries compresses to well under this; anything bigger is not one.
MAX_STATUS_LIST_BYTES: Final = 2 * 1024 * 1024

NO_STATUS_WARNING: Final = (
    "warning: the credential's status was not checked (--no-status): it may have been revoked "
    "or suspended"
)


class Unusable(Exception):
    """The verifier cannot run (exit 2): the message says what to fix."""


def cache_file_name(url: str) -> str:
    """The cache file holding the status list published at ``url``."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest() + ".jwt"


def cache_fetch(directory: Path) -> Callable[[str], str]:
    """A ``fetch`` for :class:`credential_status.StatusLists` that reads the cache only."""

    def fetch(url: str) -> str:
        path = directory / cache_file_name(url)
        try:
            return path.read_text(encoding="ascii")
        except FileNotFoundError:
            raise OSError(
                f"no cached copy of {url} in {directory} (expected {path.name})"
            ) from None
        except (OSError, UnicodeDecodeError) as error:
            raise OSError(f"the cached copy of {url} ({path}) is unreadable: {error}") from None

    return fetch


def trust_document_read(path: Path) -> dict[str, Any]:
    """The trust file's JSON, or :class:`Unusable` saying why not."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise Unusable(f"cannot read the trust file {path}: {reason}") from None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise Unusable(f"the trust file {path} is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise Unusable(f'the trust file {path} is not a trust document {{"issuers": [...]}}')
    return document


def _no_cache(claim: Mapping[str, Any]) -> str:
    raise sdjwt.StatusUnavailable(
        "no status lists to check it against; give --status-cache DIR, or --no-status to skip"
    )


@dataclass(frozen=True)
class Outcome:
    """What the command prints and how it exits."""

    exit_code: int
    output: str = ""
    warning: str = ""
    verified: sdjwt.Verified | None = None


def verify(
    presentation: str,
    *,
    trust: Mapping[str, Any],
    audience: str,
    nonce: str,
    status_cache: Path | None = None,
    check_status: bool = True,
    now: float | None = None,
) -> Outcome:
    """Verify one presentation against a trust document; never raises for a bad presentation.

    Without ``status_cache`` and with ``check_status`` a credential that has a status is
    refused (``status_unavailable``): skipping the check must be asked for.
    """
    try:
        trusted = sdjwt.TrustedIssuers.from_document(trust)
        keys = credential_status.issuer_keys(trust)
    except ValueError as error:
        raise Unusable(f"the trust file is not usable: {error}") from None
    at = time.time() if now is None else now
    status_check: sdjwt.StatusCheck | None
    if not check_status:
        status_check = None
    elif status_cache is None:
        status_check = _no_cache
    else:
        status_check = credential_status.StatusLists(
            fetch=cache_fetch(status_cache), issuer_key=keys, now=at
        )
    try:
        verified = sdjwt.verify(
            presentation.strip(),
            trusted=trusted,
            audience=audience,
            nonce=nonce,
            now=at,
            status_check=status_check,
        )
    except sdjwt.VerificationError as error:
        return Outcome(EXIT_REFUSED, output=f"{error.code}: {error.message}")
    warning = NO_STATUS_WARNING if verified.status == "unchecked" else ""
    output = json.dumps(verified.claims, sort_keys=True, indent=2, ensure_ascii=False)
    return Outcome(EXIT_VERIFIED, output=output, warning=warning, verified=verified)


def verify_files(
    *,
    trust_path: Path,
    presentation: str,
    audience: str,
    nonce: str,
    status_cache: Path | None = None,
    check_status: bool = True,
    now: float | None = None,
) -> Outcome:
    """:func:`verify` with the trust read from a file; an unusable file is exit 2."""
    try:
        trust = trust_document_read(trust_path)
        if status_cache is not None and not status_cache.is_dir():
            raise Unusable(f"the status cache {status_cache} is not a directory")
        return verify(
            presentation,
            trust=trust,
            audience=audience,
            nonce=nonce,
            status_cache=status_cache,
            check_status=check_status,
            now=now,
        )
    except Unusable as error:
        return Outcome(EXIT_UNUSABLE, output=str(error))


def _download(url: str, timeout: float) -> str:
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked by the caller)
        url, headers={"Accept": credential_status.STATUS_LIST_MEDIA_TYPE}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        body = response.read(MAX_STATUS_LIST_BYTES + 1)
    if len(body) > MAX_STATUS_LIST_BYTES:
        raise OSError(f"{url} answered with more than {MAX_STATUS_LIST_BYTES} bytes")
    try:
        return str(body.decode("ascii"))
    except UnicodeDecodeError:
        raise OSError(f"{url} did not answer with a JWT") from None


def status_fetch(
    urls: list[str],
    *,
    trust: Mapping[str, Any],
    directory: Path,
    now: float | None = None,
    timeout: float = 10,
    download: Callable[[str, float], str] = _download,
) -> Outcome:
    """Fetch each status list, check it against the trust document and cache it.

    Stops at the first list that cannot be fetched or trusted (exit 1, one line naming it);
    the lists before it stay cached.
    """
    try:
        keys = credential_status.issuer_keys(trust)
    except ValueError as error:
        return Outcome(EXIT_UNUSABLE, output=f"the trust file is not usable: {error}")
    if not directory.is_dir():
        return Outcome(EXIT_UNUSABLE, output=f"the status cache {directory} is not a directory")
    at = time.time() if now is None else now
    written: list[str] = []
    for url in urls:
        if not url.startswith(("https://", "http://")):
            return Outcome(EXIT_UNUSABLE, output=f"{url} is not an http(s) URL")
        try:
            token = download(url, timeout).strip()
            credential_status.status_list_jwt_read(token, issuer_key=keys, now=at, url=url)
        except (OSError, ValueError) as error:
            return Outcome(EXIT_REFUSED, output=f"status_unavailable: {url}: {error}")
        except StatusListError as error:
            return Outcome(EXIT_REFUSED, output=f"status_unavailable: {url}: {error}")
        path = directory / cache_file_name(url)
        partial = path.with_suffix(".partial")
        partial.write_text(token, encoding="ascii")
        os.replace(partial, path)
        written.append(f"{path.name} {url}")
    return Outcome(EXIT_VERIFIED, output="\n".join(written))
