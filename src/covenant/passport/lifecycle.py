"""A credential's life as its holder sees it: its standing today, when to renew, and when the
node must forget what it held.

Pure (no Django): plain values in, plain values out, so the rules are tested with hypothesis
and a moved clock without a database. Pages, services and the retention job all ask here.

Standing, in order of precedence (the first that applies wins):

1. revoked: the issuer withdrew it for good;
2. suspended: the issuer paused it (it may be reinstated);
3. expired: its validity has ended (`now >= expires_at`);
4. expiring soon: it is inside its type's renewal window (`expires_at - window <= now`);
5. valid.

A credential whose type does not expire (`expires_at` is None: an identity check, a
reference) is valid until revoked or suspended. A renewal window of 0 days means the holder is
never warned before the end.

Retention: issuing a credential is the recruitment decision that needed the evidence, so any
note about the evidence is erased `RETENTION_DAYS` after issue; a credential revoked, or expired,
more than `RETENTION_DAYS` ago has its issued SD-JWT (the claims) erased. 180 days keeps both
inside six months of the event even when the daily job runs a day late.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final


class Standing(StrEnum):
    VALID = "valid"
    EXPIRING_SOON = "expiring_soon"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


STANDING_LABELS: Final = {
    Standing.VALID: "Valid",
    Standing.EXPIRING_SOON: "Expiring soon",
    Standing.EXPIRED: "Expired",
    Standing.SUSPENDED: "Suspended",
    Standing.REVOKED: "Revoked",
}
# GOV.UK tag colours; the words carry the meaning, the colour only repeats it.
STANDING_TAG_COLOURS: Final = {
    Standing.VALID: "green",
    Standing.EXPIRING_SOON: "yellow",
    Standing.EXPIRED: "grey",
    Standing.SUSPENDED: "orange",
    Standing.REVOKED: "red",
}

#: The stored states of a credential (`models.CredentialState` values).
ACTIVE: Final = "active"
SUSPENDED: Final = "suspended"
REVOKED: Final = "revoked"

RETENTION_DAYS: Final = 180


def _aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime")


def standing(
    *,
    state: str,
    expires_at: datetime | None,
    renewal_window_days: int,
    now: datetime,
) -> Standing:
    """The credential's standing at `now` (see the module docstring for the order)."""
    _aware(now, "now")
    if renewal_window_days < 0:
        raise ValueError("the renewal window cannot be negative")
    if state == REVOKED:
        return Standing.REVOKED
    if state == SUSPENDED:
        return Standing.SUSPENDED
    if state != ACTIVE:
        raise ValueError(f"unknown credential state {state!r}")
    if expires_at is None:
        return Standing.VALID
    _aware(expires_at, "expires_at")
    if now >= expires_at:
        return Standing.EXPIRED
    if renewal_window_days and now >= expires_at - timedelta(days=renewal_window_days):
        return Standing.EXPIRING_SOON
    return Standing.VALID


def validity_end(start: datetime, validity_days: int | None) -> datetime | None:
    """When a credential whose validity runs from `start` ends (None: it does not expire)."""
    _aware(start, "start")
    if validity_days is None:
        return None
    if validity_days <= 0:
        raise ValueError("a validity period must be at least one day")
    return start + timedelta(days=validity_days)


def renews_from(expires_at: datetime, renewal_window_days: int) -> datetime:
    """When the holder is first told to renew (the start of the renewal window)."""
    return expires_at - timedelta(days=renewal_window_days)


@dataclass(frozen=True)
class Held:
    """One credential as the forecast needs it. `key` is whatever the caller uses to find it
    again (a uid), carried through untouched."""

    key: Hashable
    name: str
    state: str
    expires_at: datetime | None
    renewal_window_days: int


@dataclass(frozen=True)
class ForecastItem:
    key: Hashable
    name: str
    expires_at: datetime
    renew_from: datetime
    standing: Standing
    days_left: int  # whole days left, rounded down (negative once a day past its end)


def renewal_forecast(held: Iterable[Held], *, now: datetime) -> list[ForecastItem]:
    """Every credential that runs out, soonest end first (then by name): what to renew when.

    Revoked credentials are left out (there is nothing to renew), and so are those that never
    expire. Expired ones stay in, first, so the holder sees what has already lapsed; a
    suspended one stays in, since its end date still comes.
    """
    _aware(now, "now")
    items: list[ForecastItem] = []
    for credential in held:
        if credential.expires_at is None or credential.state == REVOKED:
            continue
        current = standing(
            state=credential.state,
            expires_at=credential.expires_at,
            renewal_window_days=credential.renewal_window_days,
            now=now,
        )
        days_left = (credential.expires_at - now).days  # floored: -1 within a day after the end
        items.append(
            ForecastItem(
                key=credential.key,
                name=credential.name,
                expires_at=credential.expires_at,
                renew_from=renews_from(credential.expires_at, credential.renewal_window_days),
                standing=current,
                days_left=days_left,
            )
        )
    items.sort(key=lambda item: (item.expires_at, item.name))
    return items


def retention_cutoff(now: datetime) -> datetime:
    """Events at or before this moment are past their retention period."""
    _aware(now, "now")
    return now - timedelta(days=RETENTION_DAYS)


def content_purge_due(
    *,
    state: str,
    state_changed_at: datetime | None,
    expires_at: datetime | None,
    now: datetime,
) -> bool:
    """Whether a credential's issued content (its sealed SD-JWT) must now be erased: it was
    revoked, or it expired, more than the retention period ago. A suspended credential is kept
    (it may be reinstated), as is one still valid."""
    cutoff = retention_cutoff(now)
    if state == REVOKED and state_changed_at is not None and state_changed_at <= cutoff:
        return True
    return expires_at is not None and expires_at <= cutoff


def evidence_purge_due(*, issued_at: datetime, now: datetime) -> bool:
    """Whether the note about the evidence checked for a credential must now be erased."""
    return issued_at <= retention_cutoff(now)
