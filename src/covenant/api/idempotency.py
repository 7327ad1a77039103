"""`Idempotency-Key` for every POST in the API, so a client can retry safely.

Wrapped once around every operation (`idempotent`, added in main.py with ninja's
`add_decorator(mode="view")`), never per endpoint:

1. A POST without the header runs as normal.
2. With it, the key is checked (1-255 printable ASCII characters; 400 otherwise), and the
   caller's principal found (a token or a signed-in person; a request that will be refused for
   authentication just runs and is refused).
3. A record (principal, key) is inserted *and committed* before the work starts. The unique
   constraint makes a second, concurrent request with the same key fail to insert; it is told
   to wait (409).
4. The operation then runs in one transaction with the storing of its response, so the effect
   and the remembered answer commit together or not at all. A replay with the same key and the
   same request gets the stored status and body back, with `Idempotent-Replayed: true`; the
   same key with a different request is refused (422).

Answers that say nothing happened because of who asked (401, 403, 429) or because the server
failed (5xx) are not kept: the record is dropped, so the retry runs afresh. Records last 24
hours (`prune`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from covenant.core import clock

from . import problems
from .auth import principal_of
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
LIFETIME = timedelta(hours=24)
# A record still without a response after this long belongs to a request that died: its
# transaction rolled back, so running the retry cannot do the work twice.
ABANDONED_AFTER = timedelta(minutes=2)
_KEY = re.compile(r"^[\x20-\x7e]{1,255}$")
_NOT_KEPT = {401, 403, 429}


def key_is_valid(key: str) -> bool:
    return bool(_KEY.match(key)) and bool(key.strip())


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests "the same": method, path and body. A JSON body is compared in
    canonical form, so a client that re-serialises with other spacing or key order still
    matches."""
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except (ValueError, RecursionError):
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> HttpResponse:
    assert record.response_status is not None
    response = HttpResponse(
        record.response_body,
        status=record.response_status,
        content_type=record.response_content_type or "application/json",
    )
    response[REPLAYED_HEADER] = "true"
    return response


def begin(
    *, principal: str, key: str, method: str, path: str, request_hash: str
) -> IdempotencyRecord | HttpResponse:
    """Claim the key, or answer from (or about) the request that claimed it first."""
    now = clock.now()
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                principal=principal,
                key=key,
                method=method,
                path=path,
                request_hash=request_hash,
                created_at=now,
            )
    except IntegrityError:
        pass
    existing = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
    if existing is None:
        # It was pruned or abandoned between our insert and this read; a retry will claim it.
        return problems.problem(
            status=409,
            code="idempotency_in_flight",
            detail="A request with this Idempotency-Key has just finished. Send it again.",
        )
    expired = existing.created_at <= now - LIFETIME
    abandoned = existing.response_status is None and existing.created_at <= now - ABANDONED_AFTER
    if expired or abandoned:
        IdempotencyRecord.objects.filter(pk=existing.pk).update(
            method=method,
            path=path,
            request_hash=request_hash,
            created_at=now,
            response_status=None,
            response_body="",
            response_content_type="",
            completed_at=None,
        )
        existing.refresh_from_db()
        return existing
    if existing.request_hash != request_hash:
        return problems.problem(
            status=422,
            code="idempotency_key_reused",
            detail=(
                f"This Idempotency-Key was first used for a different request "
                f"({existing.method} {existing.path} with another body). Use a new key for "
                "a new request."
            ),
        )
    if existing.response_status is None:
        return problems.problem(
            status=409,
            code="idempotency_in_flight",
            detail=(
                "A request with this Idempotency-Key is still being processed. Wait a moment "
                "and send it again to get its answer."
            ),
            headers={"Retry-After": "1"},
        )
    return _replay(existing)


def complete(record: IdempotencyRecord, response: HttpResponseBase) -> None:
    content = getattr(response, "content", b"")
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        response_status=response.status_code,
        response_body=content.decode("utf-8", "replace"),
        response_content_type=response.get("Content-Type", ""),
        completed_at=clock.now(),
    )


def abandon(record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).delete()


def prune(*, now: Any = None) -> int:
    """Forget records older than 24 hours; returns how many. Run daily (the
    `prune_idempotency_records` command); `begin` also ignores expired ones, so a late prune
    never makes a key live longer."""
    cutoff = (now or clock.now()) - LIFETIME
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lte=cutoff).delete()
    return deleted


Run = Callable[..., HttpResponseBase]


def idempotent(run: Run) -> Run:
    """Ninja view-mode decorator: wraps an operation's `run(request, **path_params)`."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return run(request, *args, **kwargs)
        principal = principal_of(request)
        if principal is None:
            return run(request, *args, **kwargs)
        if not key_is_valid(key):
            return problems.problem(
                status=400,
                code="invalid_idempotency_key",
                detail=(
                    "The Idempotency-Key header must be 1 to 255 printable ASCII characters, "
                    "like a UUID."
                ),
                errors=[{"field": HEADER, "parameter": HEADER, "message": "Not a valid key."}],
            )
        try:
            body = request.body
        except RequestDataTooBig as exc:
            too_large = problems.body_error(exc)
            assert too_large is not None
            return too_large
        claimed = begin(
            principal=principal,
            key=key,
            method=request.method,
            path=request.path,
            request_hash=fingerprint(request.method, request.path, body),
        )
        if isinstance(claimed, HttpResponse):
            return claimed
        keep = False
        try:
            with transaction.atomic():
                response = run(request, *args, **kwargs)
                status = response.status_code
                keep = (
                    status < 500
                    and status not in _NOT_KEPT
                    and not transaction.get_connection().needs_rollback
                )
                if keep:
                    complete(claimed, response)
                elif status >= 500:
                    transaction.set_rollback(True)
        finally:
            if not keep:
                abandon(claimed)
        return response

    return wrapper
