"""Who may answer a call-out, who is asked first, and who goes where when many come at once.

Pure: numpy and SciPy, no Django. Reserve members and call-outs are plain dataclasses (or, for
a whole node's reserve, plain arrays in a `Roster`); the passport layer supplies each member's
credentials as plain data (type, level, workforce, validity, state) and the dispatch layer
supplies the counters (offers, call-outs this week). Nothing here reads a clock: the caller
passes `now`.

**Eligible** (`ineligibility` is the executable specification, one member at a time): a member
may answer a call-out when

1. the call-out's place is within their own travel radius (great-circle metres);
2. they are on duty;
3. they have answered fewer call-outs this week than their weekly cap;
4. they are available for the whole window: every hour of the week it touches (local time,
   Europe/London by default) is in their weekly availability, or an "available" exception
   covers the whole window; and no "unavailable" exception overlaps it (that wins);
5. for every required credential they hold one of that type which is active (not suspended or
   revoked), valid from no later than the window's start until no earlier than its end, at
   the required level or above (DBS basic < standard < enhanced; safeguarding and food hygiene
   levels 1 < 2 < ...; a type without an order needs the exact level), for the required
   workforce (an enhanced check for the "child and adult" workforce covers "adult" and
   "child"), with the required barred lists checked;
6. they speak at least one of the call-out's languages (if it names any) and have every skill
   it names.

**Rank** (`rank_key`): first travel distance in bands of `RankingPolicy.band_m` (1 km: a
volunteer 300 m further away is not meaningfully worse, and exact metres would leave fairness
nothing to decide), then fairness, then recency, then member id (so the order is total and
repeatable). All three are small integers and the key is one integer per member:
``cost = (band * FAIRNESS_LEVELS + fairness_penalty) * RECENCY_LEVELS + recency_penalty``.

*Fairness* spreads offers so that nobody waits months for a first task and nobody is
overloaded. The penalty (0..2879, lower is asked first; the fairness score shown to people is
``100 - 100 * penalty // 2880``) adds three integer terms, weighted about 50:30:20:

- waiting, up to 1440: ``1440 - min(hours waiting, 1440)``, where the wait counts from the
  last offer, or from joining the reserve for someone never offered a task. Someone who has
  waited two months (1440 hours) scores 0 here and goes ahead of everyone who has not; an hour
  is fine enough that two people offered on different days never tie.
- load this week, up to 863: ``864 * call-outs this week // weekly cap``: a member near their
  cap is asked after one who has done nothing this week.
- offers in the last four weeks, up to 576: ``72 * min(offers, 8)``.

*Recency* (0..52): whole weeks since the member was last active (signed in, answered an
offer), capped at a year; never active counts as a year. Among equally fair candidates the
recently active go first, because they are the likeliest to answer quickly; fairness, not
recency, is what protects the long-waiting.

**Escalation rings.** Every candidate carries a ring: 0 for members of the call-out's own node,
1 for members of a neighbouring node (`CallOut.neighbour_nodes`), 2 for the wider pool.
Ring 0 candidates always come before ring 1, and ring 1 before ring 2; a query or a joint
assignment can be limited to some rings (`rings=(0,)` is "this node only"), so a federation can
later ask another node to answer the outer rings with the same rules.

**Top-k for one call-out** (`ReserveIndex.top_k`). The index splits members into buckets by
travel radius (up to 1, 2, 4, 8, 16, 32 km and beyond) and builds a SciPy `cKDTree` over the
unit-sphere 3D coordinates of each bucket, storing every column in the trees' leaf order so
that a query reads neighbouring memory. A query searches a radius R that starts at two bands
and doubles: each bucket is searched to min(R, its largest radius), because a member further
than their own radius can never be eligible. Each round filters the newly found members in one
numpy pass: chord lengths against each member's reach (no trigonometry), on duty and under
cap, then bit-packed masks (availability hours, credential types held, languages, skills),
then exactly (great-circle metres, credential validity and levels, exceptions) over the few
left. Anyone not found yet is further than R, so the search stops when the k-th best found
lies in a distance band wholly inside R and every ring before the k-th's ring is complete
(each node's members live within a known extent of its centre, so a ring is complete once R
passes its nodes' centre distance plus extent), or when R reaches the largest radius anyone
has (or all allowed rings are complete). Build: O(n log n) time, O(n + credentials) memory.
Query: O(B log n + m) where B is the number of buckets (7) and m the members within the final
search radius of the bucket trees (each doubling searches four times the area, so all rounds
together cost at most 4/3 of the last); the exact checks cost O(credentials and exceptions of
the members that pass the masks). In a city the 20 best are usually found within 2-4 km; a
call-out asking for something rare searches out to the largest radius, still only among
members who could reach it. `bench/matching.py` measures a million members.

**Joint assignment** (`assign_jointly`), for an emergency's many call-outs at once: one
volunteer per call-out slot (a call-out needing n volunteers has n slots), at most one slot
per volunteer in a batch (the call-outs are simultaneous, so that is what "not double-booked"
means; a volunteer at their weekly cap is not eligible at all), maximising the number of slots
filled and, among those assignments, minimising the total rank cost (ring first). Each call-out
gets a pool of its best candidates; call-outs that share candidates form connected components,
and each component is one `scipy.optimize.linear_sum_assignment` over a cost matrix with
forbidden pairs at infinity and one "unfilled" row per slot at a cost larger than any possible
difference in distance costs. A pool is only the call-out's best few, so the result is then
certified optimal for the whole reserve with the LP dual: shortest paths over the solved
matching give each slot its marginal cost w, and a slot whose call-out has candidates outside
its pool is fine when w is no more than the best outside candidate's cost (every outside
pair then has a non-negative reduced cost). Pools that fail are doubled and the batch solved
again. Unfilled call-outs come back with a reason: nobody in reach, nobody on duty, nobody
with the credentials, ..., fewer eligible than needed, or their eligible volunteers were all
needed elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any, Final, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from covenant.core.errors import ValidationFailed

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
U64 = npt.NDArray[np.uint64]
U8 = npt.NDArray[np.uint8]
I8 = npt.NDArray[np.int8]
F64 = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

EARTH_RADIUS_M: Final = 6_371_008.8  # the IUGG mean radius
HOURS_PER_WEEK: Final = 168
AVAILABILITY_WORDS: Final = 3  # 168 hours in three 64-bit words
DEFAULT_TIMEZONE: Final = "Europe/London"
DEFAULT_K: Final = 20

MICROS_PER_HOUR: Final = 3_600_000_000
MICROS_PER_DAY: Final = 24 * MICROS_PER_HOUR
MICROS_PER_WEEK: Final = 7 * MICROS_PER_DAY
#: A credential that does not expire is valid until this instant (microseconds).
NO_END: Final = int(np.iinfo(np.int64).max)
#: A member never active is stored with this last-active instant.
NEVER: Final = int(np.iinfo(np.int64).min)

# Levels that have an order, from the passport's built-in credential types. Any other type's
# level is compared for equality.
LEVEL_ORDERS: Final[Mapping[str, tuple[str, ...]]] = {
    "dbs-check": ("basic", "standard", "enhanced"),
    "safeguarding-adults": ("1", "2", "3", "4"),
    "safeguarding-children": ("1", "2", "3", "4"),
    "food-hygiene": ("1", "2", "3"),
}
# A workforce as the set of workforces it covers: "child and adult" covers both.
WORKFORCE_BITS: Final[Mapping[str, int]] = {
    "adult": 1,
    "child": 2,
    "child_and_adult": 3,
    "other": 4,
}
BARRED_LIST_BITS: Final[Mapping[str, int]] = {"adults": 1, "children": 2}

ACTIVE: Final = "active"
SUSPENDED: Final = "suspended"
REVOKED: Final = "revoked"
CREDENTIAL_STATES: Final = (ACTIVE, SUSPENDED, REVOKED)

OWN_RING: Final = 0
NEIGHBOUR_RING: Final = 1
WIDER_RING: Final = 2
ALL_RINGS: Final = (OWN_RING, NEIGHBOUR_RING, WIDER_RING)

# Fairness (see the module docstring): integer terms so every implementation, SQL included,
# computes the same penalty.
WAIT_CAP_HOURS: Final = 60 * 24
LOAD_WEIGHT: Final = 864
OFFER_CAP: Final = 8
OFFER_WEIGHT: Final = 72
FAIRNESS_LEVELS: Final = WAIT_CAP_HOURS + LOAD_WEIGHT + OFFER_CAP * OFFER_WEIGHT  # 0..2879
RECENCY_CAP_WEEKS: Final = 52
RECENCY_LEVELS: Final = RECENCY_CAP_WEEKS + 1

# Travel-radius buckets of the index: a bucket holds members whose radius is at most its edge.
DEFAULT_BUCKET_EDGES_M: Final = (1_000.0, 2_000.0, 4_000.0, 8_000.0, 16_000.0, 32_000.0)

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND: Final = timedelta(microseconds=1)
_QUARTER_HOUR: Final = 15 * 60 * 1_000_000


# --- input: members, credentials, call-outs ----------------------------------------------------


def micros(moment: datetime, what: str = "time") -> int:
    """Microseconds since 1970 UTC, exactly: the unit of every time in the arrays."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationFailed(f"{what} must be an aware datetime (with a time zone).", field=what)
    return (moment - _EPOCH) // _ONE_MICROSECOND


def _check_range(value: float, low: float, high: float, what: str) -> None:
    if not (math.isfinite(value) and low <= value <= high):
        raise ValidationFailed(f"{what} must be between {low} and {high}, not {value}.", field=what)


@dataclass(frozen=True)
class HeldCredential:
    """A credential in a member's passport, as the passport layer reports it."""

    type: str
    valid_from: datetime
    valid_until: datetime | None = None  # None: does not expire
    state: str = ACTIVE
    level: str | None = None
    workforce: str | None = None
    barred_lists: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        micros(self.valid_from, "valid_from")
        if self.valid_until is not None and micros(self.valid_until, "valid_until") < micros(
            self.valid_from
        ):
            raise ValidationFailed("A credential cannot end before it starts.", field="valid_until")
        if self.state not in CREDENTIAL_STATES:
            raise ValidationFailed(
                f"Credential state must be one of {', '.join(CREDENTIAL_STATES)}.", field="state"
            )
        _check_level(self.type, self.level, "level")
        if self.workforce is not None and self.workforce not in WORKFORCE_BITS:
            raise ValidationFailed(
                f"Unknown workforce {self.workforce!r}: use one of {', '.join(WORKFORCE_BITS)}.",
                field="workforce",
            )
        _check_barred(self.barred_lists)


def _check_level(type_: str, level: str | None, what: str) -> None:
    order = LEVEL_ORDERS.get(type_)
    if order is not None and level is not None and level not in order:
        raise ValidationFailed(
            f"Level {level!r} is not a level of {type_}: use one of {', '.join(order)}.",
            field=what,
        )


def _check_barred(lists: frozenset[str]) -> None:
    unknown = sorted(set(lists) - set(BARRED_LIST_BITS))
    if unknown:
        raise ValidationFailed(
            f"Unknown barred list {unknown[0]!r}: use {', '.join(BARRED_LIST_BITS)}.",
            field="barred_lists",
        )


@dataclass(frozen=True)
class AvailabilityException:
    """A dated change to the weekly pattern: away on holiday, or free on a day they usually
    are not."""

    starts_at: datetime
    ends_at: datetime
    available: bool

    def __post_init__(self) -> None:
        if micros(self.ends_at, "ends_at") <= micros(self.starts_at, "starts_at"):
            raise ValidationFailed("An exception must end after it starts.", field="ends_at")


@dataclass(frozen=True)
class ReserveMember:
    """One reserve member, as the matcher needs them.

    `weekly_hours` are hours of the week in local time, 0 = Monday 00:00-01:00 ... 167 =
    Sunday 23:00-24:00. `offers_recent` counts offers in the last four weeks; `joined_at` and
    `last_offered_at` give how long they have waited; `node` is the node (local area) they
    belong to, for escalation rings.
    """

    id: int
    latitude: float
    longitude: float
    radius_m: float
    joined_at: datetime
    weekly_hours: frozenset[int] = frozenset()
    exceptions: tuple[AvailabilityException, ...] = ()
    on_duty: bool = True
    weekly_cap: int = 3
    callouts_this_week: int = 0
    credentials: tuple[HeldCredential, ...] = ()
    languages: frozenset[str] = frozenset()
    skills: frozenset[str] = frozenset()
    offers_recent: int = 0
    last_offered_at: datetime | None = None
    last_active_at: datetime | None = None
    node: str = ""

    def __post_init__(self) -> None:
        _check_range(self.latitude, -90.0, 90.0, "latitude")
        _check_range(self.longitude, -180.0, 180.0, "longitude")
        _check_range(self.radius_m, 0.0, math.pi * EARTH_RADIUS_M, "radius_m")
        micros(self.joined_at, "joined_at")
        if self.last_offered_at is not None:
            micros(self.last_offered_at, "last_offered_at")
        if self.last_active_at is not None:
            micros(self.last_active_at, "last_active_at")
        if any(not 0 <= h < HOURS_PER_WEEK for h in self.weekly_hours):
            raise ValidationFailed("Weekly hours run from 0 to 167.", field="weekly_hours")
        for number, what in (
            (self.weekly_cap, "weekly_cap"),
            (self.callouts_this_week, "callouts_this_week"),
            (self.offers_recent, "offers_recent"),
        ):
            if not 0 <= number <= 10_000:
                raise ValidationFailed(f"{what} must be between 0 and 10000.", field=what)

    @property
    def waiting_since(self) -> datetime:
        """When their current wait for an offer began."""
        return self.last_offered_at or self.joined_at


@dataclass(frozen=True)
class Requirement:
    """A credential a call-out needs. `min_level` is a minimum for types whose levels have an
    order (`LEVEL_ORDERS`) and an exact level otherwise; `workforce` and `barred_lists` apply
    to DBS checks."""

    type: str
    min_level: str | None = None
    workforce: str | None = None
    barred_lists: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        _check_level(self.type, self.min_level, "min_level")
        if self.workforce is not None and self.workforce not in WORKFORCE_BITS:
            raise ValidationFailed(
                f"Unknown workforce {self.workforce!r}: use one of {', '.join(WORKFORCE_BITS)}.",
                field="workforce",
            )
        _check_barred(self.barred_lists)

    def describe(self) -> str:
        """The requirement in words, for reasons shown to a coordinator."""
        details = []
        if self.min_level is not None:
            ordered = self.type in LEVEL_ORDERS
            details.append(f"level {self.min_level}{' or above' if ordered else ''}")
        if self.workforce is not None:
            details.append(f"{self.workforce.replace('_', ' ')} workforce")
        if self.barred_lists:
            details.append(f"{' and '.join(sorted(self.barred_lists))} barred list checked")
        return self.type + (f" ({', '.join(details)})" if details else "")


@dataclass(frozen=True)
class CallOut:
    """A task or shift that needs volunteers at a place and time."""

    id: int
    latitude: float
    longitude: float
    starts_at: datetime
    ends_at: datetime
    requirements: tuple[Requirement, ...] = ()
    languages: frozenset[str] = frozenset()  # any one of them
    skills: frozenset[str] = frozenset()  # all of them
    volunteers_needed: int = 1
    node: str = ""
    neighbour_nodes: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        _check_range(self.latitude, -90.0, 90.0, "latitude")
        _check_range(self.longitude, -180.0, 180.0, "longitude")
        if micros(self.ends_at, "ends_at") <= micros(self.starts_at, "starts_at"):
            raise ValidationFailed("A call-out must end after it starts.", field="ends_at")
        if not 1 <= self.volunteers_needed <= 1_000:
            raise ValidationFailed(
                "A call-out needs between 1 and 1000 volunteers.", field="volunteers_needed"
            )

    def ring_of(self, node: str) -> int:
        """The escalation ring of a member of `node` for this call-out."""
        if node == self.node:
            return OWN_RING
        if node in self.neighbour_nodes:
            return NEIGHBOUR_RING
        return WIDER_RING


@dataclass(frozen=True)
class RankingPolicy:
    """How candidates are ordered. Switching fairness or recency off is for comparisons (the
    fairness simulation), not for production."""

    band_m: float = 1_000.0
    fairness: bool = True
    recency: bool = True

    def __post_init__(self) -> None:
        _check_range(self.band_m, 1.0, 1_000_000.0, "band_m")


# --- geometry, time and bit helpers ------------------------------------------------------------


def unit_vectors(latitude: npt.ArrayLike, longitude: npt.ArrayLike) -> F64:
    """Points on the unit sphere, shape (n, 3): the space the KD-trees search."""
    lat = np.radians(np.asarray(latitude, dtype=np.float64))
    lon = np.radians(np.asarray(longitude, dtype=np.float64))
    cos_lat = np.cos(lat)
    return np.stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)], axis=-1)


def metres_from_chord2(chord2: F64) -> F64:
    """Great-circle metres from squared chord lengths on the unit sphere."""
    half = np.minimum(np.sqrt(chord2) / 2.0, 1.0)
    return 2.0 * EARTH_RADIUS_M * np.arcsin(half)


def _chord2(xyz: F64, point: F64) -> F64:
    # Written out term by term, in the order the SQL reference computes it.
    dx = xyz[:, 0] - point[0]
    dy = xyz[:, 1] - point[1]
    dz = xyz[:, 2] - point[2]
    return cast(F64, dx * dx + dy * dy + dz * dz)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle metres between two points (computed as the index computes it)."""
    a = unit_vectors([lat1], [lon1])
    b = unit_vectors(lat2, lon2)
    return float(metres_from_chord2(_chord2(a, b))[0])


def _chord_for_metres(metres: float) -> float:
    return 2.0 * math.sin(min(metres, math.pi * EARTH_RADIUS_M) / (2.0 * EARTH_RADIUS_M))


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(f"Unknown time zone {name!r}.", field="timezone") from None


def window_week_hours(
    starts_at: datetime, ends_at: datetime, timezone: str = DEFAULT_TIMEZONE
) -> frozenset[int]:
    """The hours of the week (local time) that the window [starts_at, ends_at) touches."""
    start, end = micros(starts_at, "starts_at"), micros(ends_at, "ends_at")
    if end - start >= MICROS_PER_WEEK:
        return frozenset(range(HOURS_PER_WEEK))
    zone = _zone(timezone)
    hours: set[int] = set()
    # Quarter-hour steps: every time zone's offset is a whole number of quarter hours, so
    # each local hour the window touches contains one of these instants.
    moment = start - start % _QUARTER_HOUR
    while moment < end:
        local = (_EPOCH + timedelta(microseconds=moment)).astimezone(zone)
        hours.add(local.weekday() * 24 + local.hour)
        moment += _QUARTER_HOUR
    return frozenset(hours)


def _bitset(codes: Iterable[int], words: int) -> U64:
    out = np.zeros(words, dtype=np.uint64)
    for code in codes:
        out[code >> 6] |= np.uint64(1) << np.uint64(code & 63)
    return out


def _words(count: int) -> int:
    return max(1, (count + 63) // 64)


def _covers(masks: U64, need: U64) -> Bools:
    """Rows of `masks` (n, w) that have every bit of `need` (w,)."""
    ok = np.ones(len(masks), dtype=np.bool_)
    for word in np.flatnonzero(need):
        bits = need[word]
        ok &= (masks[:, word] & bits) == bits
    return ok


def _meets(masks: U64, need: U64) -> Bools:
    """Rows of `masks` (n, w) that share at least one bit with `need` (w,)."""
    ok = np.zeros(len(masks), dtype=np.bool_)
    for word in np.flatnonzero(need):
        ok |= (masks[:, word] & need[word]) != 0
    return ok


# --- the rank key ------------------------------------------------------------------------------


def fairness_penalty(
    waited_us: npt.ArrayLike,
    callouts_this_week: npt.ArrayLike,
    weekly_cap: npt.ArrayLike,
    offers_recent: npt.ArrayLike,
) -> I64:
    """0..2879, lower is asked first (see the module docstring). Integer arithmetic only,
    so SQL or any other implementation computes the same number."""
    waited = np.maximum(np.asarray(waited_us, dtype=np.int64), 0)
    hours = np.minimum(waited // MICROS_PER_HOUR, WAIT_CAP_HOURS)
    calls = np.asarray(callouts_this_week, dtype=np.int64)
    cap = np.maximum(np.asarray(weekly_cap, dtype=np.int64), 1)
    load = np.minimum((LOAD_WEIGHT * calls) // cap, LOAD_WEIGHT - 1)
    offers = np.minimum(np.maximum(np.asarray(offers_recent, dtype=np.int64), 0), OFFER_CAP)
    return cast(
        I64,
        (WAIT_CAP_HOURS - hours) + load + OFFER_WEIGHT * offers,
    )


def recency_penalty(last_active_us: npt.ArrayLike, now_us: int) -> I64:
    """0..52: whole weeks since last active, capped at a year (never active: a year)."""
    last = np.asarray(last_active_us, dtype=np.int64)
    never = last == NEVER
    idle = np.maximum(np.int64(now_us) - np.where(never, np.int64(now_us), last), 0)
    weeks = np.minimum(idle // MICROS_PER_WEEK, RECENCY_CAP_WEEKS)
    return cast(I64, np.where(never, RECENCY_CAP_WEEKS, weeks))


def _cost(band: I64, fairness: I64, recency: I64) -> I64:
    return cast(I64, (band * FAIRNESS_LEVELS + fairness) * RECENCY_LEVELS + recency)


@dataclass(frozen=True)
class RankKey:
    """Where a member stands for a call-out: smaller sorts first."""

    ring: int
    cost: int
    member_id: int
    distance_m: float
    band: int
    fairness_penalty: int
    recency_penalty: int

    def sort_key(self) -> tuple[int, int, int]:
        return (self.ring, self.cost, self.member_id)


def rank_key(
    member: ReserveMember,
    callout: CallOut,
    *,
    now: datetime,
    policy: RankingPolicy = RankingPolicy(),
) -> RankKey:
    """The member's rank key for the call-out (the specification `ReserveIndex` follows)."""
    now_us = micros(now, "now")
    metres = distance_m(callout.latitude, callout.longitude, member.latitude, member.longitude)
    band = int(np.floor(np.float64(metres) / np.float64(policy.band_m)))
    fair = (
        int(
            fairness_penalty(
                now_us - micros(member.waiting_since),
                member.callouts_this_week,
                member.weekly_cap,
                member.offers_recent,
            )
        )
        if policy.fairness
        else 0
    )
    last = NEVER if member.last_active_at is None else micros(member.last_active_at)
    recent = int(recency_penalty(last, now_us)) if policy.recency else 0
    cost = (band * FAIRNESS_LEVELS + fair) * RECENCY_LEVELS + recent
    return RankKey(
        ring=callout.ring_of(member.node),
        cost=cost,
        member_id=member.id,
        distance_m=metres,
        band=band,
        fairness_penalty=fair,
        recency_penalty=recent,
    )


# --- eligibility, one member at a time: the specification -------------------------------------


class Reason(StrEnum):
    """Why one member may not answer one call-out."""

    OUT_OF_REACH = "out_of_reach"
    OFF_DUTY = "off_duty"
    AT_WEEKLY_CAP = "at_weekly_cap"
    UNAVAILABLE = "unavailable"
    CREDENTIAL_MISSING = "credential_missing"
    CREDENTIAL_REVOKED = "credential_revoked"
    CREDENTIAL_SUSPENDED = "credential_suspended"
    CREDENTIAL_EXPIRED = "credential_expired"
    CREDENTIAL_NOT_YET_VALID = "credential_not_yet_valid"
    CREDENTIAL_WRONG_LEVEL = "credential_wrong_level"
    CREDENTIAL_WRONG_WORKFORCE = "credential_wrong_workforce"
    BARRED_LIST_NOT_CHECKED = "barred_list_not_checked"
    LANGUAGE = "language"
    SKILL = "skill"


# When a member holds the type but no credential of it qualifies, the reason reported is the
# first of these that applies to one of their credentials: the nearest miss.
_CREDENTIAL_REASON_ORDER: Final = (
    Reason.CREDENTIAL_REVOKED,
    Reason.CREDENTIAL_SUSPENDED,
    Reason.CREDENTIAL_EXPIRED,
    Reason.CREDENTIAL_NOT_YET_VALID,
    Reason.CREDENTIAL_WRONG_LEVEL,
    Reason.CREDENTIAL_WRONG_WORKFORCE,
    Reason.BARRED_LIST_NOT_CHECKED,
)


def _level_fits(type_: str, held: str | None, wanted: str | None) -> bool:
    if wanted is None:
        return True
    if held is None:
        return False
    order = LEVEL_ORDERS.get(type_)
    if order is None:
        return held == wanted
    return order.index(held) >= order.index(wanted)


def _credential_problem(
    credential: HeldCredential, requirement: Requirement, start_us: int, end_us: int
) -> Reason | None:
    if not _level_fits(requirement.type, credential.level, requirement.min_level):
        return Reason.CREDENTIAL_WRONG_LEVEL
    if requirement.workforce is not None:
        need = WORKFORCE_BITS[requirement.workforce]
        if WORKFORCE_BITS.get(credential.workforce or "", 0) & need != need:
            return Reason.CREDENTIAL_WRONG_WORKFORCE
    if not requirement.barred_lists <= credential.barred_lists:
        return Reason.BARRED_LIST_NOT_CHECKED
    if credential.state == REVOKED:
        return Reason.CREDENTIAL_REVOKED
    if credential.state == SUSPENDED:
        return Reason.CREDENTIAL_SUSPENDED
    if micros(credential.valid_from) > start_us:
        return Reason.CREDENTIAL_NOT_YET_VALID
    if credential.valid_until is not None and micros(credential.valid_until) < end_us:
        return Reason.CREDENTIAL_EXPIRED
    return None


def requirement_problem(
    credentials: Iterable[HeldCredential],
    requirement: Requirement,
    starts_at: datetime,
    ends_at: datetime,
) -> Reason | None:
    """None if one of `credentials` meets `requirement` for the whole window, else the
    nearest miss."""
    start_us, end_us = micros(starts_at), micros(ends_at)
    problems = set()
    for credential in credentials:
        if credential.type != requirement.type:
            continue
        problem = _credential_problem(credential, requirement, start_us, end_us)
        if problem is None:
            return None
        problems.add(problem)
    if not problems:
        return Reason.CREDENTIAL_MISSING
    return next(r for r in _CREDENTIAL_REASON_ORDER if r in problems)


def is_available(
    member: ReserveMember,
    starts_at: datetime,
    ends_at: datetime,
    timezone: str = DEFAULT_TIMEZONE,
) -> bool:
    """Rule 4 of the module docstring."""
    start_us, end_us = micros(starts_at), micros(ends_at)
    spans = [(micros(x.starts_at), micros(x.ends_at), x.available) for x in member.exceptions]
    if any(not free and s < end_us and e > start_us for s, e, free in spans):
        return False
    if any(free and s <= start_us and e >= end_us for s, e, free in spans):
        return True
    return window_week_hours(starts_at, ends_at, timezone) <= member.weekly_hours


def ineligibility(
    member: ReserveMember, callout: CallOut, *, timezone: str = DEFAULT_TIMEZONE
) -> tuple[Reason, ...]:
    """Every reason this member may not answer this call-out; empty when they may.

    One member at a time and slow on purpose: this is the rule the index must agree with,
    and what a coordinator is shown when they ask "why not her?".
    """
    reasons: list[Reason] = []
    metres = distance_m(callout.latitude, callout.longitude, member.latitude, member.longitude)
    if metres > member.radius_m:
        reasons.append(Reason.OUT_OF_REACH)
    if not member.on_duty:
        reasons.append(Reason.OFF_DUTY)
    if member.callouts_this_week >= member.weekly_cap:
        reasons.append(Reason.AT_WEEKLY_CAP)
    if not is_available(member, callout.starts_at, callout.ends_at, timezone):
        reasons.append(Reason.UNAVAILABLE)
    for requirement in callout.requirements:
        problem = requirement_problem(
            member.credentials, requirement, callout.starts_at, callout.ends_at
        )
        if problem is not None:
            reasons.append(problem)
    if callout.languages and not callout.languages & member.languages:
        reasons.append(Reason.LANGUAGE)
    if not callout.skills <= member.skills:
        reasons.append(Reason.SKILL)
    return tuple(reasons)


def reference_top_k(
    members: Iterable[ReserveMember],
    callout: CallOut,
    k: int = DEFAULT_K,
    *,
    now: datetime,
    policy: RankingPolicy = RankingPolicy(),
    rings: Collection[int] = ALL_RINGS,
    exclude: Collection[int] = (),
    timezone: str = DEFAULT_TIMEZONE,
) -> list[RankKey]:
    """The best k eligible members by brute force, one at a time: what `ReserveIndex.top_k`
    must return, for tests and for checking a benchmark."""
    excluded = set(exclude)
    keys = [
        rank_key(m, callout, now=now, policy=policy)
        for m in members
        if m.id not in excluded
        and callout.ring_of(m.node) in rings
        and not ineligibility(m, callout, timezone=timezone)
    ]
    keys.sort(key=RankKey.sort_key)
    return keys[:k]


# --- the columnar reserve ---------------------------------------------------------------------


def _index_of(values: Sequence[str]) -> dict[str, int]:
    return {value: i for i, value in enumerate(values)}


@dataclass(frozen=True)
class Vocabulary:
    """The strings a roster's integer codes stand for."""

    credential_types: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    # Levels of types whose levels have no order (compared for equality), coded 1, 2, ...
    free_levels: tuple[str, ...] = ()
    _type_code: dict[str, int] = field(init=False, repr=False, compare=False)
    _language_code: dict[str, int] = field(init=False, repr=False, compare=False)
    _skill_code: dict[str, int] = field(init=False, repr=False, compare=False)
    _node_code: dict[str, int] = field(init=False, repr=False, compare=False)
    _free_level_code: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("credential_types", "languages", "skills", "nodes", "free_levels"):
            values = getattr(self, name)
            if len(set(values)) != len(values):
                raise ValidationFailed(f"The {name} vocabulary repeats a value.", field=name)
        object.__setattr__(self, "_type_code", _index_of(self.credential_types))
        object.__setattr__(self, "_language_code", _index_of(self.languages))
        object.__setattr__(self, "_skill_code", _index_of(self.skills))
        object.__setattr__(self, "_node_code", _index_of(self.nodes))
        object.__setattr__(self, "_free_level_code", _index_of(self.free_levels))

    def type_code(self, type_: str) -> int | None:
        return self._type_code.get(type_)

    def language_code(self, language: str) -> int | None:
        return self._language_code.get(language)

    def skill_code(self, skill: str) -> int | None:
        return self._skill_code.get(skill)

    def node_code(self, node: str) -> int | None:
        return self._node_code.get(node)

    def level_code(self, type_: str, level: str | None) -> int | None:
        """The stored level: 0 for none, the 1-based position in `LEVEL_ORDERS` for an
        ordered type, the 1-based free-level code otherwise (None if no one holds it)."""
        if level is None:
            return 0
        order = LEVEL_ORDERS.get(type_)
        if order is not None:
            return order.index(level) + 1
        code = self._free_level_code.get(level)
        return None if code is None else code + 1


@dataclass(frozen=True, eq=False)
class Roster:
    """A whole reserve as columns: one row per member, credentials and exceptions as rows that
    point at their member's row. Build it with `from_members`, or directly from arrays (the
    benchmark does, for a million members). Times are microseconds since 1970 UTC."""

    vocabulary: Vocabulary
    ids: I64
    latitude: F64
    longitude: F64
    radius_m: F64
    on_duty: Bools
    weekly_cap: I32
    callouts_this_week: I32
    availability: U64  # (n, 3): bit h = hour h of the week, local time
    languages: U64  # (n, words)
    skills: U64  # (n, words)
    offers_recent: I32
    waiting_since_us: I64
    last_active_us: I64  # NEVER for never
    node: I32
    credential_member: I64  # row of the member who holds it
    credential_type: I32
    credential_level: I32  # Vocabulary.level_code
    credential_workforce: U8  # WORKFORCE_BITS
    credential_barred: U8  # BARRED_LIST_BITS
    credential_from_us: I64
    credential_until_us: I64  # NO_END when it does not expire
    credential_state: I8  # index in CREDENTIAL_STATES
    exception_member: I64
    exception_start_us: I64
    exception_end_us: I64
    exception_available: Bools

    def __post_init__(self) -> None:
        n = len(self.ids)
        for name in (
            "latitude",
            "longitude",
            "radius_m",
            "on_duty",
            "weekly_cap",
            "callouts_this_week",
            "offers_recent",
            "waiting_since_us",
            "last_active_us",
            "node",
            "availability",
            "languages",
            "skills",
        ):
            if len(getattr(self, name)) != n:
                raise ValidationFailed(f"{name} must have one entry per member.", field=name)
        if self.availability.shape[1:] != (AVAILABILITY_WORDS,):
            raise ValidationFailed("availability must be (members, 3) words.", field="availability")
        if self.languages.shape[1] < _words(len(self.vocabulary.languages)):
            raise ValidationFailed("languages has too few words.", field="languages")
        if self.skills.shape[1] < _words(len(self.vocabulary.skills)):
            raise ValidationFailed("skills has too few words.", field="skills")
        if len(np.unique(self.ids)) != n:
            raise ValidationFailed("Member ids must be unique.", field="ids")
        if n and not (
            np.isfinite(self.latitude).all()
            and np.isfinite(self.longitude).all()
            and (np.abs(self.latitude) <= 90).all()
            and (np.abs(self.longitude) <= 180).all()
        ):
            raise ValidationFailed("Coordinates must be finite degrees.", field="latitude")
        if n and not (np.isfinite(self.radius_m).all() and (self.radius_m >= 0).all()):
            raise ValidationFailed(
                "Travel radii must be finite and not negative.", field="radius_m"
            )
        if n and ((self.node < 0).any() or (self.node >= len(self.vocabulary.nodes)).any()):
            raise ValidationFailed("A node code is not in the vocabulary.", field="node")
        m = len(self.credential_member)
        for name in (
            "credential_type",
            "credential_level",
            "credential_workforce",
            "credential_barred",
            "credential_from_us",
            "credential_until_us",
            "credential_state",
        ):
            if len(getattr(self, name)) != m:
                raise ValidationFailed(f"{name} must have one entry per credential.", field=name)
        if m and ((self.credential_member < 0).any() or (self.credential_member >= n).any()):
            raise ValidationFailed("A credential points at no member.", field="credential_member")
        if m and (
            (self.credential_type < 0).any()
            or (self.credential_type >= len(self.vocabulary.credential_types)).any()
        ):
            raise ValidationFailed("A credential type is not in the vocabulary.", field="type")
        e = len(self.exception_member)
        for name in ("exception_start_us", "exception_end_us", "exception_available"):
            if len(getattr(self, name)) != e:
                raise ValidationFailed(f"{name} must have one entry per exception.", field=name)
        if e and ((self.exception_member < 0).any() or (self.exception_member >= n).any()):
            raise ValidationFailed("An exception points at no member.", field="exception_member")

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_members(cls, members: Sequence[ReserveMember]) -> Roster:
        """Columns from dataclasses (for a node's reserve read from the database, and tests)."""
        types = sorted({c.type for m in members for c in m.credentials})
        free = sorted(
            {
                c.level
                for m in members
                for c in m.credentials
                if c.level is not None and c.type not in LEVEL_ORDERS
            }
        )
        vocabulary = Vocabulary(
            credential_types=tuple(types),
            languages=tuple(sorted({x for m in members for x in m.languages})),
            skills=tuple(sorted({x for m in members for x in m.skills})),
            nodes=tuple(sorted({m.node for m in members})),
            free_levels=tuple(free),
        )
        v = vocabulary
        lw, sw = _words(len(v.languages)), _words(len(v.skills))
        credentials = [(row, c) for row, m in enumerate(members) for c in m.credentials]
        exceptions = [(row, x) for row, m in enumerate(members) for x in m.exceptions]

        def codes(values: Iterable[int | None]) -> list[int]:
            return [cast(int, c) for c in values]

        return cls(
            vocabulary=v,
            ids=np.array([m.id for m in members], dtype=np.int64),
            latitude=np.array([m.latitude for m in members], dtype=np.float64),
            longitude=np.array([m.longitude for m in members], dtype=np.float64),
            radius_m=np.array([m.radius_m for m in members], dtype=np.float64),
            on_duty=np.array([m.on_duty for m in members], dtype=np.bool_),
            weekly_cap=np.array([m.weekly_cap for m in members], dtype=np.int32),
            callouts_this_week=np.array([m.callouts_this_week for m in members], dtype=np.int32),
            availability=np.array(
                [_bitset(m.weekly_hours, AVAILABILITY_WORDS) for m in members], dtype=np.uint64
            ).reshape(len(members), AVAILABILITY_WORDS),
            languages=np.array(
                [_bitset(codes(map(v.language_code, m.languages)), lw) for m in members],
                dtype=np.uint64,
            ).reshape(len(members), lw),
            skills=np.array(
                [_bitset(codes(map(v.skill_code, m.skills)), sw) for m in members],
                dtype=np.uint64,
            ).reshape(len(members), sw),
            offers_recent=np.array([m.offers_recent for m in members], dtype=np.int32),
            waiting_since_us=np.array([micros(m.waiting_since) for m in members], dtype=np.int64),
            last_active_us=np.array(
                [NEVER if m.last_active_at is None else micros(m.last_active_at) for m in members],
                dtype=np.int64,
            ),
            node=np.array(codes(v.node_code(m.node) for m in members), dtype=np.int32),
            credential_member=np.array([row for row, _ in credentials], dtype=np.int64),
            credential_type=np.array(codes(v.type_code(c.type) for _, c in credentials), np.int32),
            credential_level=np.array(
                codes(v.level_code(c.type, c.level) for _, c in credentials), dtype=np.int32
            ),
            credential_workforce=np.array(
                [WORKFORCE_BITS.get(c.workforce or "", 0) for _, c in credentials], dtype=np.uint8
            ),
            credential_barred=np.array(
                [sum(BARRED_LIST_BITS[b] for b in c.barred_lists) for _, c in credentials],
                dtype=np.uint8,
            ),
            credential_from_us=np.array([micros(c.valid_from) for _, c in credentials], np.int64),
            credential_until_us=np.array(
                [
                    NO_END if c.valid_until is None else micros(c.valid_until)
                    for _, c in credentials
                ],
                dtype=np.int64,
            ),
            credential_state=np.array(
                [CREDENTIAL_STATES.index(c.state) for _, c in credentials], dtype=np.int8
            ),
            exception_member=np.array([row for row, _ in exceptions], dtype=np.int64),
            exception_start_us=np.array([micros(x.starts_at) for _, x in exceptions], np.int64),
            exception_end_us=np.array([micros(x.ends_at) for _, x in exceptions], np.int64),
            exception_available=np.array([x.available for _, x in exceptions], dtype=np.bool_),
        )


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One eligible member for a call-out, in rank order."""

    member_id: int
    distance_m: float
    ring: int
    band: int
    fairness_score: int  # 0..100: higher is owed an offer more
    weeks_since_active: int
    cost: int  # the rank key within the ring


@dataclass(frozen=True, eq=False)
class Shortlist:
    """Eligible members for a call-out, best first (ring, then cost, then member id)."""

    member_ids: I64
    positions: I64  # rows in the index's order, for the joint assignment
    distance_m: F64
    ring: I64
    band: I64
    fairness_penalty: I64
    recency_penalty: I64
    cost: I64

    def __len__(self) -> int:
        return len(self.member_ids)

    def ring_cost(self, stride: int) -> I64:
        """One integer per candidate that sorts as the shortlist does: ring first."""
        return cast(I64, self.ring * stride + self.cost)

    def head(self, k: int) -> Shortlist:
        return self.take(slice(0, k))

    def take(self, which: slice | I64) -> Shortlist:
        return Shortlist(
            member_ids=self.member_ids[which],
            positions=self.positions[which],
            distance_m=self.distance_m[which],
            ring=self.ring[which],
            band=self.band[which],
            fairness_penalty=self.fairness_penalty[which],
            recency_penalty=self.recency_penalty[which],
            cost=self.cost[which],
        )

    def candidates(self) -> list[Candidate]:
        return [
            Candidate(
                member_id=int(self.member_ids[i]),
                distance_m=float(self.distance_m[i]),
                ring=int(self.ring[i]),
                band=int(self.band[i]),
                fairness_score=100 - 100 * int(self.fairness_penalty[i]) // FAIRNESS_LEVELS,
                weeks_since_active=int(self.recency_penalty[i]),
                cost=int(self.cost[i]),
            )
            for i in range(len(self))
        ]


def _empty_shortlist() -> Shortlist:
    none = np.zeros(0, dtype=np.int64)
    return Shortlist(none, none, np.zeros(0), none, none, none, none, none)


class Stage(StrEnum):
    """The eligibility funnel's stages, in the order they are applied."""

    IN_REACH = "in_reach"
    ON_DUTY = "on_duty"
    UNDER_WEEKLY_CAP = "under_weekly_cap"
    AVAILABLE = "available"
    CREDENTIALS = "credentials"
    LANGUAGES = "languages"
    SKILLS = "skills"
    IN_RINGS = "in_rings"


@dataclass(frozen=True)
class Funnel:
    """How many members pass each stage for a call-out, cumulatively: what a coordinator sees
    when nobody can go. `requirements` counts, for each required credential, the members who
    passed the stages before CREDENTIALS and hold it."""

    stages: tuple[tuple[Stage, int], ...]
    requirements: tuple[tuple[Requirement, int], ...]

    def count(self, stage: Stage) -> int:
        return dict(self.stages)[stage]

    @property
    def eligible(self) -> int:
        return self.stages[-1][1]

    def first_empty(self) -> Stage | None:
        return next((stage for stage, count in self.stages if count == 0), None)


# --- the index ---------------------------------------------------------------------------------


@dataclass
class _Query:
    point: F64
    start_us: int
    end_us: int
    now_us: int
    hours: U64
    types_needed: U64
    languages: U64 | None
    skills: U64
    requirements: list[tuple[int, int, int, int, int]]  # type, level mode, level, wf, barred
    ring_of_node: I64
    ring_allowed: Bools
    # Metres within which every member of the allowed rings below ring r lives (inf: unknown).
    complete_below: tuple[float, float, float, float]
    exclude: I64
    impossible: bool


_LEVEL_ANY: Final = 0
_LEVEL_MIN: Final = 1
_LEVEL_EQUAL: Final = 2


class ReserveIndex:
    """A reserve prepared for fast queries (see the module docstring for how and how fast).

    The index is a snapshot of the roster: rebuild it when members change (a node of tens of
    thousands rebuilds in well under a second). Dispatch checks a member again when they
    accept, so a credential revoked after the snapshot never sends anyone out.
    """

    def __init__(
        self,
        roster: Roster,
        *,
        policy: RankingPolicy = RankingPolicy(),
        timezone: str = DEFAULT_TIMEZONE,
        bucket_edges_m: Sequence[float] = DEFAULT_BUCKET_EDGES_M,
    ) -> None:
        _zone(timezone)
        self.policy = policy
        self.timezone = timezone
        self.vocabulary = roster.vocabulary
        n = len(roster)
        self._n = n
        edges = np.asarray(sorted(bucket_edges_m), dtype=np.float64)
        bucket = np.searchsorted(edges, roster.radius_m, side="left")
        xyz0 = unit_vectors(roster.latitude, roster.longitude)

        # Members grouped by radius bucket, each group in its KD-tree's leaf order.
        order_parts: list[I64] = []
        self._buckets: list[tuple[int, int, float, Any]] = []  # start, stop, max radius, tree
        start = 0
        for b in range(len(edges) + 1):
            rows = np.flatnonzero(bucket == b)
            if not len(rows):
                continue
            leaf_order = cKDTree(xyz0[rows], leafsize=32, balanced_tree=False).indices
            rows = rows[np.asarray(leaf_order, dtype=np.int64)]
            order_parts.append(rows)
            stop = start + len(rows)
            tree = cKDTree(xyz0[rows], leafsize=32, balanced_tree=False)
            self._buckets.append((start, stop, float(roster.radius_m[rows].max()), tree))
            start = stop
        order = np.concatenate(order_parts) if order_parts else np.zeros(0, dtype=np.int64)
        self._bucket_start = np.array([b[0] for b in self._buckets], dtype=np.int64)
        self._bucket_max = np.array([b[2] for b in self._buckets], dtype=np.float64)
        position = np.empty(n, dtype=np.int64)
        position[order] = np.arange(n, dtype=np.int64)

        self._xyz = np.ascontiguousarray(xyz0[order])
        self.ids = roster.ids[order]
        self._radius = roster.radius_m[order]
        self._on_duty = roster.on_duty[order]
        self._cap = roster.weekly_cap[order].astype(np.int64)
        self._calls = roster.callouts_this_week[order].astype(np.int64)
        self._free = (self._cap > self._calls) & self._on_duty
        self._availability = np.ascontiguousarray(roster.availability[order])
        self._languages = np.ascontiguousarray(roster.languages[order])
        self._skills = np.ascontiguousarray(roster.skills[order])
        self._offers = roster.offers_recent[order].astype(np.int64)
        self._waiting_since = roster.waiting_since_us[order]
        self._last_active = roster.last_active_us[order]
        self._node = roster.node[order].astype(np.int64)
        self._max_radius = float(roster.radius_m.max()) if n else 0.0
        self._reach_chord2 = (
            2.0 * np.sin(np.minimum(self._radius, math.pi * EARTH_RADIUS_M) / (2 * EARTH_RADIUS_M))
        ) ** 2 * (1 + 1e-9)
        # Each node's centre (on the sphere) and the furthest its members live from it; a node
        # whose members' mean is too close to the sphere's centre to give a direction (members
        # all over the globe) gets no bound, and a node with no members needs none.
        nodes = len(self.vocabulary.nodes)
        sums = np.stack([np.bincount(self._node, self._xyz[:, i], nodes) for i in range(3)], 1)
        length = np.linalg.norm(sums, axis=1)
        counts = np.bincount(self._node, minlength=nodes)
        usable = length > 1e-6 * counts
        self._node_centre = np.zeros((nodes, 3))
        self._node_centre[usable] = sums[usable] / length[usable, None]
        self._node_extent = np.where(counts > 0, math.inf, -math.inf)
        if usable.any():
            mine = usable[self._node]
            from_centre = metres_from_chord2(
                ((self._xyz[mine] - self._node_centre[self._node[mine]]) ** 2).sum(axis=1)
            )
            self._node_extent[usable] = -math.inf
            np.maximum.at(self._node_extent, self._node[mine], from_centre)
        self._id_order = np.argsort(self.ids, kind="stable")

        # Credentials that can count (active ones), grouped by member position.
        active = roster.credential_state == CREDENTIAL_STATES.index(ACTIVE)
        owner = position[roster.credential_member[active]]
        by_owner = np.argsort(owner, kind="stable")
        self._cred_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(owner, minlength=n), out=self._cred_ptr[1:])
        self._cred_type = roster.credential_type[active][by_owner].astype(np.int64)
        self._cred_level = roster.credential_level[active][by_owner].astype(np.int64)
        self._cred_workforce = roster.credential_workforce[active][by_owner]
        self._cred_barred = roster.credential_barred[active][by_owner]
        self._cred_from = roster.credential_from_us[active][by_owner]
        self._cred_until = roster.credential_until_us[active][by_owner]
        type_words = _words(len(self.vocabulary.credential_types))
        self._types_held = np.zeros((n, type_words), dtype=np.uint64)
        types = roster.credential_type[active].astype(np.int64)
        np.bitwise_or.at(
            self._types_held,
            (owner, types >> 6),
            np.left_shift(np.uint64(1), (types & 63).astype(np.uint64)),
        )

        exc_owner = position[roster.exception_member]
        by_exc = np.argsort(exc_owner, kind="stable")
        self._exc_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(exc_owner, minlength=n), out=self._exc_ptr[1:])
        self._exc_start = roster.exception_start_us[by_exc]
        self._exc_end = roster.exception_end_us[by_exc]
        self._exc_available = roster.exception_available[by_exc]
        self._has_exceptions = self._exc_ptr[1:] > self._exc_ptr[:-1]

        self.max_band = int(self._max_radius // policy.band_m) + 1
        #: Costs are below this, so ``ring * ring_stride + cost`` sorts ring first.
        self.ring_stride = (self.max_band + 1) * FAIRNESS_LEVELS * RECENCY_LEVELS

    def __len__(self) -> int:
        return self._n

    # -- compiling a call-out --

    def _compile(
        self, callout: CallOut, *, now: datetime, rings: Collection[int], exclude: Collection[int]
    ) -> _Query:
        v = self.vocabulary
        impossible = False
        bad_rings = set(rings) - set(ALL_RINGS)
        if bad_rings or not rings:
            raise ValidationFailed("Rings are 0 (own node), 1 (neighbours) and 2.", field="rings")
        requirements: list[tuple[int, int, int, int, int]] = []
        needed_types: list[int] = []
        for requirement in callout.requirements:
            code = v.type_code(requirement.type)
            level = v.level_code(requirement.type, requirement.min_level)
            if code is None or level is None:
                impossible = True
                continue
            if requirement.min_level is None:
                mode = _LEVEL_ANY
            elif requirement.type in LEVEL_ORDERS:
                mode = _LEVEL_MIN
            else:
                mode = _LEVEL_EQUAL
            workforce = WORKFORCE_BITS[requirement.workforce] if requirement.workforce else 0
            barred = sum(BARRED_LIST_BITS[b] for b in requirement.barred_lists)
            requirements.append((code, mode, level, workforce, barred))
            needed_types.append(code)
        languages: U64 | None = None
        if callout.languages:
            known = [c for c in map(v.language_code, callout.languages) if c is not None]
            impossible |= not known
            languages = _bitset(known, self._languages.shape[1])
        skill_codes = [v.skill_code(s) for s in callout.skills]
        impossible |= any(c is None for c in skill_codes)
        ring_of_node = np.full(len(v.nodes), WIDER_RING, dtype=np.int64)
        for node in callout.neighbour_nodes:
            code = v.node_code(node)
            if code is not None:
                ring_of_node[code] = NEIGHBOUR_RING
        own = v.node_code(callout.node)
        if own is not None:
            ring_of_node[own] = OWN_RING
        ring_allowed = np.zeros(len(ALL_RINGS), dtype=np.bool_)
        ring_allowed[list(rings)] = True
        point = unit_vectors([callout.latitude], [callout.longitude])[0]
        # Every member of a node lives within its extent of the node's centre, so all of a
        # ring's members are within (distance to the centre + extent) of the call-out: once
        # the search radius passes that, the ring is complete. The wider ring has no bound.
        reach = metres_from_chord2(_chord2(self._node_centre, point)) + self._node_extent
        reach = reach * (1 + 1e-9) + 1.0
        ring_reach = [-math.inf, -math.inf, math.inf]
        for node_code in np.flatnonzero(ring_of_node < WIDER_RING):
            ring = int(ring_of_node[node_code])
            ring_reach[ring] = max(ring_reach[ring], float(reach[node_code]))
        below = [-math.inf]
        for ring in ALL_RINGS:
            below.append(max(below[-1], ring_reach[ring] if ring in rings else -math.inf))
        exclude_ids = np.fromiter(exclude, dtype=np.int64)
        found = np.searchsorted(self.ids, exclude_ids, sorter=self._id_order)
        found = np.minimum(found, max(self._n - 1, 0))
        exclude_positions = (
            self._id_order[found][self.ids[self._id_order[found]] == exclude_ids]
            if self._n
            else np.zeros(0, dtype=np.int64)
        )
        return _Query(
            point=point,
            start_us=micros(callout.starts_at),
            end_us=micros(callout.ends_at),
            now_us=micros(now, "now"),
            hours=_bitset(
                window_week_hours(callout.starts_at, callout.ends_at, self.timezone),
                AVAILABILITY_WORDS,
            ),
            types_needed=_bitset(needed_types, self._types_held.shape[1]),
            languages=languages,
            skills=_bitset((c for c in skill_codes if c is not None), self._skills.shape[1]),
            requirements=requirements,
            ring_of_node=ring_of_node,
            ring_allowed=ring_allowed,
            complete_below=(below[0], below[1], below[2], below[3]),
            exclude=np.sort(exclude_positions),
            impossible=impossible,
        )

    # -- filtering --

    def _distances(self, positions: I64, q: _Query) -> F64:
        return metres_from_chord2(_chord2(self._xyz[positions], q.point))

    def _credentials_ok(self, positions: I64, q: _Query) -> Bools:
        ok = np.ones(len(positions), dtype=np.bool_)
        if not q.requirements or not len(positions):
            return ok
        first = self._cred_ptr[positions]
        counts = self._cred_ptr[positions + 1] - first
        owner = np.repeat(np.arange(len(positions)), counts)
        rows = np.arange(int(counts.sum())) + np.repeat(
            first - (np.cumsum(counts) - counts), counts
        )
        types = self._cred_type[rows]
        levels = self._cred_level[rows]
        workforce = self._cred_workforce[rows]
        barred = self._cred_barred[rows]
        valid = (self._cred_from[rows] <= q.start_us) & (self._cred_until[rows] >= q.end_us)
        for code, mode, level, workforce_need, barred_need in q.requirements:
            fits = valid & (types == code)
            if mode == _LEVEL_MIN:
                fits &= levels >= level
            elif mode == _LEVEL_EQUAL:
                fits &= levels == level
            if workforce_need:
                fits &= (workforce & np.uint8(workforce_need)) == workforce_need
            if barred_need:
                fits &= (barred & np.uint8(barred_need)) == barred_need
            met = np.zeros(len(positions), dtype=np.bool_)
            met[owner[fits]] = True
            ok &= met
        return ok

    def _available(self, positions: I64, q: _Query) -> Bools:
        weekly = _covers(self._availability[positions], q.hours)
        with_exceptions = np.flatnonzero(self._has_exceptions[positions])
        if not len(with_exceptions):
            return weekly
        chosen = positions[with_exceptions]
        first = self._exc_ptr[chosen]
        counts = self._exc_ptr[chosen + 1] - first
        owner = np.repeat(np.arange(len(chosen)), counts)
        rows = np.arange(int(counts.sum())) + np.repeat(
            first - (np.cumsum(counts) - counts), counts
        )
        starts, ends, free = self._exc_start[rows], self._exc_end[rows], self._exc_available[rows]
        away = ~free & (starts < q.end_us) & (ends > q.start_us)
        cover = free & (starts <= q.start_us) & (ends >= q.end_us)
        blocked = np.zeros(len(chosen), dtype=np.bool_)
        blocked[owner[away]] = True
        covered = np.zeros(len(chosen), dtype=np.bool_)
        covered[owner[cover]] = True
        out = weekly.copy()
        out[with_exceptions] = (weekly[with_exceptions] | covered) & ~blocked
        return out

    def _eligible(self, positions: I64, q: _Query, limit_m: float) -> tuple[I64, F64, I64]:
        """The eligible among `positions` (within `limit_m`), with distances and rings."""
        # Chords first (no square root or arcsine), a hair generous; metres decide below.
        chord2 = _chord2(self._xyz[positions], q.point)
        keep = chord2 <= self._reach_chord2[positions]
        keep &= self._free[positions]
        positions, chord2 = positions[keep], chord2[keep]
        metres = metres_from_chord2(chord2)
        keep = (metres <= self._radius[positions]) & (metres <= limit_m)
        positions, metres = positions[keep], metres[keep]
        ring = q.ring_of_node[self._node[positions]]
        keep = q.ring_allowed[ring]
        keep &= _covers(self._types_held[positions], q.types_needed)
        if q.languages is not None:
            keep &= _meets(self._languages[positions], q.languages)
        keep &= _covers(self._skills[positions], q.skills)
        keep &= _covers(self._availability[positions], q.hours) | self._has_exceptions[positions]
        if len(q.exclude):
            keep &= ~np.isin(positions, q.exclude, assume_unique=False)
        positions, metres, ring = positions[keep], metres[keep], ring[keep]
        keep = self._credentials_ok(positions, q)
        keep &= self._available(positions, q)
        return positions[keep], metres[keep], ring[keep]

    def _shortlist(
        self, positions: I64, metres: F64, ring: I64, q: _Query, k: int | None
    ) -> Shortlist:
        band = np.floor(metres / self.policy.band_m).astype(np.int64)
        zero = np.zeros(len(positions), dtype=np.int64)
        fair = (
            fairness_penalty(
                q.now_us - self._waiting_since[positions],
                self._calls[positions],
                self._cap[positions],
                self._offers[positions],
            )
            if self.policy.fairness
            else zero
        )
        recent = (
            recency_penalty(self._last_active[positions], q.now_us) if self.policy.recency else zero
        )
        cost = _cost(band, fair, recent)
        ids = self.ids[positions]
        order = np.lexsort((ids, cost, ring))[:k]
        return Shortlist(
            member_ids=ids[order],
            positions=positions[order],
            distance_m=metres[order],
            ring=ring[order],
            band=band[order],
            fairness_penalty=fair[order],
            recency_penalty=recent[order],
            cost=cost[order],
        )

    # -- queries --

    def _in_radius(self, bucket: int, q: _Query, radius_m: float) -> I64:
        start, _stop, _max, tree = self._buckets[bucket]
        # A hair wider than the radius so rounding never loses a member; the exact distance
        # check in `_eligible` decides.
        found = tree.query_ball_point(
            q.point, _chord_for_metres(radius_m) * (1 + 1e-9) + 1e-15, return_sorted=False
        )
        return np.asarray(found, dtype=np.int64) + start

    def top_k(
        self,
        callout: CallOut,
        k: int = DEFAULT_K,
        *,
        now: datetime,
        rings: Collection[int] = ALL_RINGS,
        exclude: Collection[int] = (),
    ) -> Shortlist:
        """The k best eligible members for the call-out, best first (fewer if fewer are
        eligible). `exclude` names members not to return (already offered, declined)."""
        if k < 0:
            raise ValidationFailed("k cannot be negative.", field="k")
        q = self._compile(callout, now=now, rings=rings, exclude=exclude)
        if q.impossible or k == 0 or not self._n:
            return self._shortlist(*self._nothing(), q, 0)
        band_m = self.policy.band_m
        radius = 2.0 * band_m
        searched = np.full(len(self._buckets), -1.0)
        positions, metres, ring = self._nothing()
        while True:
            radius = min(radius, self._max_radius)
            reach = np.minimum(radius, self._bucket_max)
            changed = reach > searched
            if changed.any():
                # Search the buckets whose reach grew, filter their members in one pass (a
                # member's own radius is within their bucket's, so `radius` is the limit for
                # all), and keep what the unchanged buckets found before.
                candidates = np.concatenate(
                    [self._in_radius(int(b), q, float(reach[b])) for b in np.flatnonzero(changed)]
                )
                new_positions, new_metres, new_ring = self._eligible(candidates, q, radius)
                kept = ~changed[np.searchsorted(self._bucket_start, positions, side="right") - 1]
                positions = np.concatenate([positions[kept], new_positions])
                metres = np.concatenate([metres[kept], new_metres])
                ring = np.concatenate([ring[kept], new_ring])
                searched = np.where(changed, reach, searched)
            if radius >= self._max_radius:
                break
            # Everyone not found yet is further than `radius`. The k found are the best if every
            # member of a ring before the k-th's ring has been found (the ring bounds) and the
            # k-th's distance band lies wholly within `radius`.
            if len(positions) >= k:
                shortlist = self._shortlist(positions, metres, ring, q, k)
                kth_band, kth_ring = int(shortlist.band[-1]), int(shortlist.ring[-1])
                if (kth_band + 1) * band_m * (1 + 1e-12) <= radius and q.complete_below[
                    kth_ring
                ] <= radius:
                    return shortlist
            elif q.complete_below[len(ALL_RINGS)] <= radius:
                break
            radius *= 2.0
        return self._shortlist(positions, metres, ring, q, k)

    def scan(
        self,
        callout: CallOut,
        k: int | None = None,
        *,
        now: datetime,
        rings: Collection[int] = ALL_RINGS,
        exclude: Collection[int] = (),
    ) -> Shortlist:
        """Every eligible member (or the best k) by a vectorised pass over the whole reserve,
        with no tree: the O(n) reference `top_k` is checked and timed against."""
        q = self._compile(callout, now=now, rings=rings, exclude=exclude)
        if q.impossible or not self._n:
            return self._shortlist(*self._nothing(), q, 0)
        everyone = np.arange(self._n, dtype=np.int64)
        return self._shortlist(*self._eligible(everyone, q, math.inf), q, k)

    def funnel(self, callout: CallOut, *, rings: Collection[int] = ALL_RINGS) -> Funnel:
        """How many members within reach pass each stage, for the reason a call-out is
        unfilled."""
        q = self._compile(callout, now=callout.starts_at, rings=rings, exclude=())
        parts = [
            self._in_radius(b, q, bucket_max)
            for b, (_, _, bucket_max, _) in enumerate(self._buckets)
        ]
        positions = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        metres = self._distances(positions, q)
        positions = positions[metres <= self._radius[positions]]
        passed = np.ones(len(positions), dtype=np.bool_)
        stages: list[tuple[Stage, int]] = [(Stage.IN_REACH, len(positions))]
        requirement_counts: list[tuple[Requirement, int]] = []

        def step(stage: Stage, ok: Bools) -> None:
            nonlocal passed
            passed = passed & ok
            stages.append((stage, int(passed.sum())))

        step(Stage.ON_DUTY, self._on_duty[positions])
        step(Stage.UNDER_WEEKLY_CAP, self._cap[positions] > self._calls[positions])
        step(Stage.AVAILABLE, self._available(positions, q))
        before = passed.copy()
        credentials_ok = np.ones(len(positions), dtype=np.bool_)
        for requirement in callout.requirements:
            one = CallOut(
                id=callout.id,
                latitude=callout.latitude,
                longitude=callout.longitude,
                starts_at=callout.starts_at,
                ends_at=callout.ends_at,
                requirements=(requirement,),
            )
            single = self._compile(one, now=callout.starts_at, rings=ALL_RINGS, exclude=())
            held = (
                np.zeros(len(positions), dtype=np.bool_)
                if single.impossible
                else self._credentials_ok(positions, single)
            )
            requirement_counts.append((requirement, int((held & before).sum())))
            credentials_ok &= held
        step(Stage.CREDENTIALS, credentials_ok)
        step(
            Stage.LANGUAGES,
            np.ones(len(positions), dtype=np.bool_)
            if q.languages is None
            else _meets(self._languages[positions], q.languages),
        )
        skills_known = all(self.vocabulary.skill_code(s) is not None for s in callout.skills)
        step(
            Stage.SKILLS,
            _covers(self._skills[positions], q.skills)
            if skills_known
            else np.zeros(len(positions), dtype=np.bool_),
        )
        step(Stage.IN_RINGS, q.ring_allowed[q.ring_of_node[self._node[positions]]])
        return Funnel(stages=tuple(stages), requirements=tuple(requirement_counts))

    def _nothing(self) -> tuple[I64, F64, I64]:
        return (
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.float64),
            np.zeros(0, dtype=np.int64),
        )


# --- joint assignment --------------------------------------------------------------------------


class UnfilledReason(StrEnum):
    NOBODY_IN_REACH = "nobody_in_reach"
    NOBODY_ON_DUTY = "nobody_on_duty"
    ALL_AT_WEEKLY_CAP = "all_at_weekly_cap"
    NOBODY_AVAILABLE = "nobody_available"
    NOBODY_WITH_CREDENTIALS = "nobody_with_credentials"
    NOBODY_WITH_LANGUAGE = "nobody_with_language"
    NOBODY_WITH_SKILLS = "nobody_with_skills"
    ONLY_IN_OUTER_RINGS = "only_in_outer_rings"
    FEWER_ELIGIBLE_THAN_NEEDED = "fewer_eligible_than_needed"
    NEEDED_ELSEWHERE = "needed_elsewhere"


_EMPTY_STAGE_REASON: Final = {
    Stage.IN_REACH: UnfilledReason.NOBODY_IN_REACH,
    Stage.ON_DUTY: UnfilledReason.NOBODY_ON_DUTY,
    Stage.UNDER_WEEKLY_CAP: UnfilledReason.ALL_AT_WEEKLY_CAP,
    Stage.AVAILABLE: UnfilledReason.NOBODY_AVAILABLE,
    Stage.CREDENTIALS: UnfilledReason.NOBODY_WITH_CREDENTIALS,
    Stage.LANGUAGES: UnfilledReason.NOBODY_WITH_LANGUAGE,
    Stage.SKILLS: UnfilledReason.NOBODY_WITH_SKILLS,
    Stage.IN_RINGS: UnfilledReason.ONLY_IN_OUTER_RINGS,
}


@dataclass(frozen=True)
class Assignment:
    callout_id: int
    member_id: int
    distance_m: float
    ring: int
    cost: int


@dataclass(frozen=True)
class Unfilled:
    """A call-out the batch could not fill (or not fully), and why."""

    callout_id: int
    volunteers_missing: int
    eligible: int
    reason: UnfilledReason
    message: str


@dataclass(frozen=True)
class JointAssignment:
    assignments: tuple[Assignment, ...]
    unfilled: tuple[Unfilled, ...]
    total_cost: int  # sum of ring * ring_stride + cost over the assignments
    rounds: int  # solves needed before the optimality certificate held

    def for_callout(self, callout_id: int) -> list[Assignment]:
        return [a for a in self.assignments if a.callout_id == callout_id]


def _unfilled_message(reason: UnfilledReason, callout: CallOut, funnel: Funnel | None) -> str:
    if reason == UnfilledReason.NOBODY_WITH_CREDENTIALS and funnel is not None:
        missing = [r for r, count in funnel.requirements if count == 0]
        wanted = missing[0] if missing else None
        if wanted is not None:
            return (
                f"Nobody in reach who is on duty and available holds {wanted.describe()} "
                "valid for the whole call-out."
            )
        return (
            "Nobody in reach who is on duty and available holds every credential the call-out "
            "needs."
        )
    return {
        UnfilledReason.NOBODY_IN_REACH: "No reserve member's travel radius reaches this place.",
        UnfilledReason.NOBODY_ON_DUTY: "Nobody who can reach this place is on duty.",
        UnfilledReason.ALL_AT_WEEKLY_CAP: (
            "Everyone on duty who can reach this place has done their call-outs for the week."
        ),
        UnfilledReason.NOBODY_AVAILABLE: "Nobody in reach is available for the whole time.",
        UnfilledReason.NOBODY_WITH_CREDENTIALS: "Nobody in reach holds the credentials needed.",
        UnfilledReason.NOBODY_WITH_LANGUAGE: (
            f"Nobody who could go speaks {' or '.join(sorted(callout.languages))}."
        ),
        UnfilledReason.NOBODY_WITH_SKILLS: (
            f"Nobody who could go has {', '.join(sorted(callout.skills))}."
        ),
        UnfilledReason.ONLY_IN_OUTER_RINGS: (
            "Only members of other areas could go: escalate the call-out to the next ring."
        ),
        UnfilledReason.FEWER_ELIGIBLE_THAN_NEEDED: (
            "Fewer volunteers could go than the call-out needs; all who could are assigned."
        ),
        UnfilledReason.NEEDED_ELSEWHERE: (
            "The volunteers who could go were needed for other call-outs in the same batch, "
            "which nobody else could fill."
        ),
    }[reason]


def _potentials(rows: I64, cols: I64, costs: F64, holder: I64, n_rows: int, n_cols: int) -> F64:
    """Dual values of the slots (w) for an optimal assignment: shortest paths over the
    exchange graph (member r takes slot s from its holder) from a root joined to every row at
    cost 0, by Bellman-Ford. Edges are the eligible pairs `rows`, `cols`, `costs`, sorted by
    row; every row has one."""
    held = np.full(n_cols, np.nan)
    for_holder = rows == holder[cols]
    held[cols[for_holder]] = costs[for_holder]
    dist = np.zeros(n_rows)
    segment = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    segment_rows = rows[segment]
    for _ in range(n_rows + 1):
        a = dist[holder] - held
        best = np.minimum.reduceat(costs + a[cols], segment)
        new = dist.copy()
        new[segment_rows] = np.minimum(dist[segment_rows], best)
        if np.array_equal(new, dist):
            return cast(F64, held - dist[holder])
        dist = new
    raise AssertionError("the assignment was not optimal: a negative exchange cycle remains")


def assign_jointly(
    index: ReserveIndex,
    callouts: Sequence[CallOut],
    *,
    now: datetime,
    rings: Collection[int] = ALL_RINGS,
    pool_factor: int = 3,
    pool_extra: int = 5,
) -> JointAssignment:
    """Assign volunteers to many simultaneous call-outs at once, optimally (see the module
    docstring): most slots filled, then least total cost, each volunteer at most once.

    Each call-out starts with a pool of its best ``pool_factor * needed + pool_extra``
    candidates; pools that the optimality certificate rejects are doubled and the batch solved
    again, so the answer is optimal over the whole reserve whatever the pool sizes (they only
    change how much work it takes).
    """
    ids = [c.id for c in callouts]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("Each call-out in a batch must have its own id.", field="callouts")
    if pool_factor < 1 or pool_extra < 0:
        raise ValidationFailed("Pools need at least one candidate per slot.", field="pool_factor")
    stride = index.ring_stride
    n_calls = len(callouts)
    needed = np.array([c.volunteers_needed for c in callouts], dtype=np.int64)
    total_slots = int(needed.sum())
    max_cost = (max(rings, default=0) + 1) * stride
    unfilled_cost = float(max_cost) * (total_slots + 1)
    if unfilled_cost * (total_slots + 1) >= 2.0**52:
        raise ValidationFailed("Too many call-outs for one batch: split it.", field="callouts")
    pool = [int(pool_factor * n + pool_extra) for n in needed]
    shortlists = [_empty_shortlist()] * n_calls
    threshold: list[int | None] = [None] * n_calls  # best cost outside a truncated pool
    stale = set(range(n_calls))
    rounds = 0
    while True:
        rounds += 1
        for j in stale:
            found = index.top_k(callouts[j], pool[j] + 1, now=now, rings=rings)
            if len(found) > pool[j]:
                threshold[j] = int(found.ring_cost(stride)[pool[j]])
                found = found.head(pool[j])
            else:
                threshold[j] = None
            shortlists[j] = found
        holders, duals, slot_owner, members = _solve(
            shortlists, needed, stride=stride, unfilled_cost=unfilled_cost
        )
        highest = np.full(n_calls, -math.inf)
        np.maximum.at(highest, slot_owner, duals)
        stale = set()
        for j in range(n_calls):
            limit = threshold[j]
            if limit is not None and float(highest[j]) > limit:
                stale.add(j)
                pool[j] *= 2
        if not stale:
            break

    assignments: list[Assignment] = []
    unfilled: list[Unfilled] = []
    total = 0
    first_slot = np.cumsum(needed) - needed
    for j, callout in enumerate(callouts):
        shortlist = shortlists[j]
        where = {int(p): i for i, p in enumerate(shortlist.positions)}
        filled = 0
        for member in holders[first_slot[j] : first_slot[j] + needed[j]]:
            if member < 0:
                continue
            i = where[int(members[member])]
            cost = int(shortlist.ring_cost(stride)[i])
            total += cost
            filled += 1
            assignments.append(
                Assignment(
                    callout_id=callout.id,
                    member_id=int(shortlist.member_ids[i]),
                    distance_m=float(shortlist.distance_m[i]),
                    ring=int(shortlist.ring[i]),
                    cost=int(shortlist.cost[i]),
                )
            )
        missing = callout.volunteers_needed - filled
        if not missing:
            continue
        eligible = len(shortlist)  # complete: an unfilled slot fails the certificate otherwise
        funnel: Funnel | None = None
        if eligible == 0:
            funnel = index.funnel(callout, rings=rings)
            stage = funnel.first_empty() or Stage.IN_RINGS
            reason = _EMPTY_STAGE_REASON[stage]
        elif filled == eligible:
            reason = UnfilledReason.FEWER_ELIGIBLE_THAN_NEEDED
        else:
            reason = UnfilledReason.NEEDED_ELSEWHERE
        unfilled.append(
            Unfilled(
                callout_id=callout.id,
                volunteers_missing=missing,
                eligible=eligible,
                reason=reason,
                message=_unfilled_message(reason, callout, funnel),
            )
        )
    return JointAssignment(
        assignments=tuple(assignments), unfilled=tuple(unfilled), total_cost=total, rounds=rounds
    )


def _solve(
    shortlists: Sequence[Shortlist], needed: I64, *, stride: int, unfilled_cost: float
) -> tuple[I64, F64, I64, I64]:
    """Solve the batch over the pools, component by component.

    Returns, per slot: the member (an index into the returned positions, -1 if unfilled) and
    its dual value; the call-out each slot belongs to; and the positions of all members in any
    pool.
    """
    n_calls = len(shortlists)
    slot_owner = np.repeat(np.arange(n_calls, dtype=np.int64), needed)
    first_slot = np.cumsum(needed) - needed
    all_positions = (
        np.concatenate([s.positions for s in shortlists])
        if shortlists
        else np.zeros(0, dtype=np.int64)
    )
    members, member_of = np.unique(all_positions, return_inverse=True)
    sizes = np.array([len(s) for s in shortlists], dtype=np.int64)
    first_member = np.cumsum(sizes) - sizes
    call_of = np.repeat(np.arange(n_calls), sizes)
    n_members = len(members)
    graph = coo_matrix(
        (np.ones(len(call_of)), (call_of, n_calls + member_of)),
        shape=(n_calls + n_members, n_calls + n_members),
    )
    _count, label = connected_components(graph, directed=False)
    holders = np.full(len(slot_owner), -1, dtype=np.int64)
    duals = np.zeros(len(slot_owner), dtype=np.float64)
    call_label = label[:n_calls]
    for component in np.unique(call_label):
        calls = np.flatnonzero(call_label == component)
        slots = np.concatenate([first_slot[j] + np.arange(needed[j]) for j in calls])
        local_slot = {int(s): i for i, s in enumerate(slots)}
        comp_members = np.flatnonzero(label[n_calls:] == component)
        local_member = np.full(n_members, -1, dtype=np.int64)
        local_member[comp_members] = np.arange(len(comp_members))
        n_real, n_slots = len(comp_members), len(slots)
        n_rows = n_real + n_slots
        edge_rows: list[I64] = []
        edge_cols: list[I64] = []
        edge_costs: list[F64] = []
        for j in calls:
            size, offset = int(sizes[j]), int(first_member[j])
            if not size:
                continue
            rows = local_member[member_of[offset : offset + size]]
            costs = shortlists[int(j)].ring_cost(stride).astype(np.float64)
            for s in range(int(needed[j])):
                col = local_slot[int(first_slot[j]) + s]
                edge_rows.append(rows)
                edge_cols.append(np.full(size, col, dtype=np.int64))
                edge_costs.append(costs)
        dummy = np.arange(n_slots, dtype=np.int64)
        edge_rows.append(n_real + dummy)
        edge_cols.append(dummy)
        edge_costs.append(np.full(n_slots, unfilled_cost))
        rows_all = np.concatenate(edge_rows)
        cols_all = np.concatenate(edge_cols)
        costs_all = np.concatenate(edge_costs)
        matrix = np.full((n_rows, n_slots), np.inf)
        matrix[rows_all, cols_all] = costs_all
        row_ind, col_ind = linear_sum_assignment(matrix)
        holder = np.empty(n_slots, dtype=np.int64)
        holder[col_ind] = row_ind
        by_row = np.argsort(rows_all, kind="stable")
        w = _potentials(
            rows_all[by_row], cols_all[by_row], costs_all[by_row], holder, n_rows, n_slots
        )
        real = holder < n_real
        holders[slots[real]] = comp_members[holder[real]]
        duals[slots] = w
    return holders, duals, slot_owner, members
