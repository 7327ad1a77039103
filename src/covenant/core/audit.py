"""Writing and checking the hash-chained audit log.

`record` is called by services inside their transaction, so an action and its audit entry
commit together or not at all. `chain_verify` recomputes every hash from the first entry and
reports the first one that does not match.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from . import clock
from .authz import Actor, as_actor
from .models import AuditEntry, AuditHead

GENESIS = "0" * 64


def _canonical(
    *,
    seq: int,
    at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    organisation_id: int | None,
    detail: dict[str, Any],
    prev_hash: str,
) -> bytes:
    payload = {
        "seq": seq,
        "at": at.isoformat(),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "organisation_id": organisation_id,
        "detail": detail,
        "prev_hash": prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(
        _canonical(
            seq=entry.seq,
            at=entry.at,
            actor_id=entry.actor_id,
            actor_label=entry.actor_label,
            action=entry.action,
            target_type=entry.target_type,
            target_id=entry.target_id,
            organisation_id=entry.organisation_id,
            detail=entry.detail,
            prev_hash=entry.prev_hash,
        )
    ).hexdigest()


def _target(target: Any) -> tuple[str, str]:
    if target is None:
        return "", ""
    meta = getattr(target, "_meta", None)
    if meta is not None:
        return str(meta.label_lower), str(target.pk)
    return type(target).__name__, str(target)


def record(
    *,
    actor: Any,
    action: str,
    target: Any = None,
    organisation_id: int | None = None,
    **detail: Any,
) -> AuditEntry:
    """Append an entry. Must run inside the caller's transaction (services are atomic)."""
    who: Actor = as_actor(actor) if actor is not None else Actor(user_id=None, label="system")
    if who.token_id is not None:
        detail = {**detail, "api_token_id": who.token_id}
    clean_detail = json.loads(json.dumps(detail, cls=DjangoJSONEncoder))
    target_type, target_id = _target(target)
    if organisation_id is None:
        from .authz import organisation_id_of

        organisation_id = organisation_id_of(target)
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        at = clock.now()
        entry = AuditEntry(
            seq=head.seq + 1,
            at=at,
            actor_id=who.user_id,
            actor_label=who.label[:200],
            action=action,
            target_type=target_type,
            target_id=target_id,
            organisation_id=organisation_id,
            detail=clean_detail,
            prev_hash=head.hash,
        )
        entry.hash = entry_hash(entry)
        entry.save()
        AuditHead.objects.filter(id=1).update(seq=entry.seq, hash=entry.hash)
    return entry


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_bad_seq: int | None
    reason: str

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def _entries(batch: int = 2000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        chunk = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].seq


def chain_verify(*, on_entry: Callable[[], object] | None = None) -> ChainReport:
    """Walk the whole chain. Detects edited, deleted, inserted and reordered entries, and a
    head that disagrees with the last entry (truncation). `on_entry` is called once per entry
    read, so a command can show progress through a long log."""
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    for entry in _entries():
        if on_entry is not None:
            on_entry()
        if entry.seq != expected_seq:
            return ChainReport(checked, expected_seq, f"entry #{expected_seq} is missing")
        if entry.prev_hash != expected_prev:
            return ChainReport(checked, entry.seq, "it does not follow the entry before it")
        if entry_hash(entry) != entry.hash:
            return ChainReport(checked, entry.seq, "its contents were changed after it was written")
        expected_prev = entry.hash
        expected_seq += 1
        checked += 1
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and (head.seq != checked or head.hash != expected_prev):
        return ChainReport(checked, checked + 1, "entries after it were removed")
    return ChainReport(checked, None, "")
