"""The matcher: each eligibility rule, the rank order, fairness over time, the index against a
brute-force scan, and the joint assignment against exhaustive search.

The oracles are the one-member-at-a-time functions (`ineligibility`, `rank_key`) and plain
enumeration here, never the index itself, so a mistake in the vectorised code shows up as a
counter-example rather than agreeing with itself.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from covenant.core.errors import ValidationFailed
from covenant.reserve.matching import (
    ALL_RINGS,
    CREDENTIAL_STATES,
    NEIGHBOUR_RING,
    OWN_RING,
    WIDER_RING,
    AvailabilityException,
    CallOut,
    HeldCredential,
    RankingPolicy,
    Reason,
    Requirement,
    ReserveIndex,
    ReserveMember,
    Roster,
    Stage,
    UnfilledReason,
    assign_jointly,
    distance_m,
    fairness_penalty,
    ineligibility,
    rank_key,
    recency_penalty,
    reference_top_k,
    window_week_hours,
)

# Monday 2 March 2026; the call-out is on Tuesday 3 March, 10:00-12:00 (GMT, so UTC too).
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
START = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
END = START + timedelta(hours=2)
TUESDAY_10_TO_12 = frozenset({34, 35})
ALL_WEEK = frozenset(range(168))
LAT, LON = 53.41, -2.84  # Knowsley
METRES_PER_DEGREE = 111_195.0


def north(metres: float) -> float:
    return LAT + metres / METRES_PER_DEGREE


def days(n: float) -> timedelta:
    return timedelta(days=n)


DBS_ENHANCED_ADULT = HeldCredential(
    type="dbs-check",
    level="enhanced",
    workforce="adult",
    barred_lists=frozenset({"adults"}),
    valid_from=NOW - days(400),
    valid_until=NOW + days(695),
)
REFERENCE = HeldCredential(type="reference", valid_from=NOW - days(100))
HOME_VISIT = CallOut(
    id=1,
    latitude=LAT,
    longitude=LON,
    starts_at=START,
    ends_at=END,
    requirements=(Requirement("dbs-check", "enhanced", "adult"), Requirement("reference")),
    node="knowsley",
)


def member(id: int = 1, *, metres: float = 500.0, **changes: object) -> ReserveMember:
    """A member who may answer HOME_VISIT, `metres` north of it, changed by `changes`."""
    fields: dict[str, object] = {
        "id": id,
        "latitude": north(metres),
        "longitude": LON,
        "radius_m": 5_000.0,
        "joined_at": NOW - days(30),
        "weekly_hours": ALL_WEEK,
        "credentials": (DBS_ENHANCED_ADULT, REFERENCE),
        "languages": frozenset({"en"}),
        "skills": frozenset({"driving"}),
        "node": "knowsley",
    }
    fields.update(changes)
    return ReserveMember(**fields)  # type: ignore[arg-type]


def index_of(members: Sequence[ReserveMember], **options: object) -> ReserveIndex:
    return ReserveIndex(Roster.from_members(members), **options)  # type: ignore[arg-type]


def top_ids(members: Sequence[ReserveMember], callout: CallOut = HOME_VISIT, **kw: object) -> list:
    index = index_of(members)
    return [int(i) for i in index.top_k(callout, 100, now=NOW, **kw).member_ids]  # type: ignore[arg-type]


def dbs(**changes: object) -> HeldCredential:
    return replace(DBS_ENHANCED_ADULT, **changes)  # type: ignore[arg-type]


# --- eligibility, one rule at a time ----------------------------------------------------------

INELIGIBLE = [
    ("outside their radius", {"metres": 5_001.0}, Reason.OUT_OF_REACH),
    ("radius too small", {"radius_m": 400.0}, Reason.OUT_OF_REACH),
    ("off duty", {"on_duty": False}, Reason.OFF_DUTY),
    ("at weekly cap", {"weekly_cap": 2, "callouts_this_week": 2}, Reason.AT_WEEKLY_CAP),
    ("cap of zero", {"weekly_cap": 0}, Reason.AT_WEEKLY_CAP),
    ("not free that hour", {"weekly_hours": frozenset({34})}, Reason.UNAVAILABLE),
    ("free another day", {"weekly_hours": frozenset({10, 11})}, Reason.UNAVAILABLE),
    (
        "away on holiday",
        {
            "exceptions": (
                AvailabilityException(START + timedelta(hours=1), END + days(7), available=False),
            )
        },
        Reason.UNAVAILABLE,
    ),
    (
        "away, even if also marked free",
        {
            "exceptions": (
                AvailabilityException(START - days(1), END + days(1), available=True),
                AvailabilityException(START, START + timedelta(minutes=1), available=False),
            )
        },
        Reason.UNAVAILABLE,
    ),
    (
        "free exception covers only part",
        {
            "weekly_hours": frozenset(),
            "exceptions": (AvailabilityException(START, END - timedelta(minutes=1), True),),
        },
        Reason.UNAVAILABLE,
    ),
    (
        "DBS expired before the call-out",
        {"credentials": (dbs(valid_until=START - days(1)), REFERENCE)},
        Reason.CREDENTIAL_EXPIRED,
    ),
    (
        "DBS expires during the call-out",
        {"credentials": (dbs(valid_until=END - timedelta(seconds=1)), REFERENCE)},
        Reason.CREDENTIAL_EXPIRED,
    ),
    (
        "DBS not valid until after it starts",
        {"credentials": (dbs(valid_from=START + timedelta(minutes=5)), REFERENCE)},
        Reason.CREDENTIAL_NOT_YET_VALID,
    ),
    (
        "DBS suspended",
        {"credentials": (dbs(state="suspended"), REFERENCE)},
        Reason.CREDENTIAL_SUSPENDED,
    ),
    ("DBS revoked", {"credentials": (dbs(state="revoked"), REFERENCE)}, Reason.CREDENTIAL_REVOKED),
    (
        "standard DBS where enhanced is needed",
        {
            "credentials": (
                dbs(level="standard", workforce=None, barred_lists=frozenset()),
                REFERENCE,
            )
        },
        Reason.CREDENTIAL_WRONG_LEVEL,
    ),
    (
        "basic DBS",
        {"credentials": (dbs(level="basic", workforce=None, barred_lists=frozenset()), REFERENCE)},
        Reason.CREDENTIAL_WRONG_LEVEL,
    ),
    (
        "enhanced DBS for the child workforce only",
        {"credentials": (dbs(workforce="child"), REFERENCE)},
        Reason.CREDENTIAL_WRONG_WORKFORCE,
    ),
    (
        "enhanced DBS for the 'other' workforce",
        {"credentials": (dbs(workforce="other"), REFERENCE)},
        Reason.CREDENTIAL_WRONG_WORKFORCE,
    ),
    ("no DBS at all", {"credentials": (REFERENCE,)}, Reason.CREDENTIAL_MISSING),
    ("no reference", {"credentials": (DBS_ENHANCED_ADULT,)}, Reason.CREDENTIAL_MISSING),
    (
        "revoked reference",
        {"credentials": (DBS_ENHANCED_ADULT, replace(REFERENCE, state="revoked"))},
        Reason.CREDENTIAL_REVOKED,
    ),
]


@pytest.mark.parametrize(
    ("changes", "reason"), [c[1:] for c in INELIGIBLE], ids=[c[0] for c in INELIGIBLE]
)
def test_each_rule_makes_a_member_ineligible(changes: dict, reason: Reason) -> None:
    bad = member(2, **changes)
    assert ineligibility(bad, HOME_VISIT) == (reason,)
    # The index agrees: only the good member comes back.
    assert top_ids([member(1), bad]) == [1]


def test_the_reference_member_is_eligible() -> None:
    assert ineligibility(member(), HOME_VISIT) == ()
    assert top_ids([member()]) == [1]


ELIGIBLE = [
    ("exactly at their radius edge, just inside", {"metres": 4_999.0}),
    (
        "child-and-adult workforce covers adult",
        {"credentials": (dbs(workforce="child_and_adult"), REFERENCE)},
    ),
    ("only the hours the call-out needs", {"weekly_hours": TUESDAY_10_TO_12}),
    (
        "a free exception covers a usually busy time",
        {
            "weekly_hours": frozenset(),
            "exceptions": (AvailabilityException(START, END, available=True),),
        },
    ),
    (
        "an absence that ends as the call-out starts",
        {"exceptions": (AvailabilityException(START - days(3), START, available=False),)},
    ),
    (
        "an expired DBS and its valid renewal",
        {
            "credentials": (
                dbs(valid_from=NOW - days(1200), valid_until=NOW - days(100)),
                dbs(valid_from=NOW - days(120), valid_until=NOW + days(975)),
                REFERENCE,
            )
        },
    ),
    (
        "a revoked DBS and a valid one",
        {"credentials": (dbs(state="revoked"), DBS_ENHANCED_ADULT, REFERENCE)},
    ),
    (
        "valid exactly until the call-out ends",
        {"credentials": (dbs(valid_until=END), REFERENCE)},
    ),
    ("valid from exactly when it starts", {"credentials": (dbs(valid_from=START), REFERENCE)}),
    ("one below their cap", {"weekly_cap": 3, "callouts_this_week": 2}),
]


@pytest.mark.parametrize("changes", [c[1] for c in ELIGIBLE], ids=[c[0] for c in ELIGIBLE])
def test_edge_cases_that_are_eligible(changes: dict) -> None:
    good = member(2, **changes)
    assert ineligibility(good, HOME_VISIT) == ()
    assert top_ids([good]) == [2]


def test_the_nearest_miss_is_reported_when_several_credentials_fail() -> None:
    held = (
        dbs(state="revoked"),
        dbs(valid_until=START - days(1)),
        dbs(level="standard", workforce=None, barred_lists=frozenset()),
        REFERENCE,
    )
    assert ineligibility(member(credentials=held), HOME_VISIT) == (Reason.CREDENTIAL_REVOKED,)
    held = (dbs(valid_until=START - days(1)), dbs(workforce="child"), REFERENCE)
    assert ineligibility(member(credentials=held), HOME_VISIT) == (Reason.CREDENTIAL_EXPIRED,)


def test_barred_list_requirement() -> None:
    callout = replace(
        HOME_VISIT,
        requirements=(Requirement("dbs-check", "enhanced", "adult", frozenset({"adults"})),),
    )
    unchecked = member(2, credentials=(dbs(barred_lists=frozenset()),))
    children_only = member(3, credentials=(dbs(barred_lists=frozenset({"children"})),))
    assert ineligibility(unchecked, callout) == (Reason.BARRED_LIST_NOT_CHECKED,)
    assert ineligibility(children_only, callout) == (Reason.BARRED_LIST_NOT_CHECKED,)
    assert top_ids([member(1), unchecked, children_only], callout) == [1]


def test_a_shopping_task_needs_only_a_self_declaration_and_references() -> None:
    shopping = replace(
        HOME_VISIT,
        requirements=(Requirement("barred-self-declaration"), Requirement("reference")),
    )
    declared = HeldCredential(type="barred-self-declaration", valid_from=NOW - days(10))
    no_dbs = member(2, credentials=(declared, REFERENCE))
    undeclared = member(3, credentials=(REFERENCE, DBS_ENHANCED_ADULT))
    assert ineligibility(no_dbs, shopping) == ()
    assert ineligibility(undeclared, shopping) == (Reason.CREDENTIAL_MISSING,)
    assert top_ids([no_dbs, undeclared], shopping) == [2]


def test_levels_of_ordered_types_are_minimums_and_others_exact() -> None:
    training = HeldCredential(type="safeguarding-adults", level="3", valid_from=NOW - days(5))
    licence = HeldCredential(type="driving-licence-check", level="D1", valid_from=NOW - days(5))
    holder = member(credentials=(training, licence))
    for wanted, ok in (("1", True), ("3", True), ("4", False)):
        callout = replace(HOME_VISIT, requirements=(Requirement("safeguarding-adults", wanted),))
        assert (ineligibility(holder, callout) == ()) is ok
        assert (top_ids([holder], callout) == [1]) is ok
    for wanted, ok in (("D1", True), ("B", False), (None, True)):
        callout = replace(HOME_VISIT, requirements=(Requirement("driving-licence-check", wanted),))
        assert (ineligibility(holder, callout) == ()) is ok
        assert (top_ids([holder], callout) == [1]) is ok


def test_languages_any_of_and_skills_all_of() -> None:
    callout = replace(
        HOME_VISIT, languages=frozenset({"pl", "uk"}), skills=frozenset({"driving", "cooking"})
    )
    polish_cook = member(
        1, languages=frozenset({"en", "pl"}), skills=frozenset({"driving", "cooking"})
    )
    english_cook = member(2, languages=frozenset({"en"}), skills=frozenset({"driving", "cooking"}))
    polish_driver = member(3, languages=frozenset({"pl"}), skills=frozenset({"driving"}))
    assert ineligibility(polish_cook, callout) == ()
    assert ineligibility(english_cook, callout) == (Reason.LANGUAGE,)
    assert ineligibility(polish_driver, callout) == (Reason.SKILL,)
    assert top_ids([polish_cook, english_cook, polish_driver], callout) == [1]


def test_a_credential_type_nobody_holds_makes_nobody_eligible() -> None:
    callout = replace(HOME_VISIT, requirements=(Requirement("midas"),))
    assert top_ids([member(1), member(2)], callout) == []
    callout = replace(HOME_VISIT, languages=frozenset({"cy"}))
    assert top_ids([member(1)], callout) == []


def test_weekly_hours_are_local_time() -> None:
    # 09:00 UTC on Tuesday 7 July 2026 is 10:00 in London (BST): hour 34, not 33.
    summer = datetime(2026, 7, 7, 9, 0, tzinfo=UTC)
    assert window_week_hours(summer, summer + timedelta(minutes=90)) == frozenset({34, 35})
    assert window_week_hours(START, END) == TUESDAY_10_TO_12
    assert window_week_hours(START, START + days(8)) == ALL_WEEK
    # Sunday night into Monday wraps round the week.
    sunday = datetime(2026, 3, 8, 23, 30, tzinfo=UTC)
    assert window_week_hours(sunday, sunday + timedelta(hours=1)) == frozenset({167, 0})


def test_bad_input_is_refused_with_the_field_named() -> None:
    with pytest.raises(ValidationFailed) as caught:
        member(radius_m=-1.0)
    assert caught.value.field == "radius_m"
    with pytest.raises(ValidationFailed) as caught:
        replace(HOME_VISIT, ends_at=START)
    assert caught.value.field == "ends_at"
    with pytest.raises(ValidationFailed) as caught:
        HeldCredential(type="dbs-check", level="super", valid_from=NOW)
    assert caught.value.field == "level"
    with pytest.raises(ValidationFailed) as caught:
        HeldCredential(type="dbs-check", workforce="everyone", valid_from=NOW)
    assert caught.value.field == "workforce"
    with pytest.raises(ValidationFailed) as caught:
        member(joined_at=datetime(2026, 1, 1))  # naive
    assert caught.value.field == "joined_at"
    with pytest.raises(ValidationFailed) as caught:
        Roster.from_members([member(1), member(1)])
    assert caught.value.field == "ids"
    with pytest.raises(ValidationFailed) as caught:
        index_of([member()]).top_k(HOME_VISIT, now=NOW, rings=(3,))
    assert caught.value.field == "rings"


# --- ranking ----------------------------------------------------------------------------------


def test_distance_band_comes_first() -> None:
    # Member 1 is owed an offer far more (waited months) but is in the next 1 km band.
    far_but_waiting = member(1, metres=1_200.0, joined_at=NOW - days(200))
    near_but_busy = member(2, metres=900.0, offers_recent=8, last_offered_at=NOW - days(1))
    assert top_ids([far_but_waiting, near_but_busy]) == [2, 1]


def test_fairness_decides_within_a_band() -> None:
    waited_long = member(1, metres=900.0, last_offered_at=NOW - days(50))
    offered_yesterday = member(2, metres=100.0, last_offered_at=NOW - days(1))
    never_offered = member(3, metres=500.0, joined_at=NOW - days(90))
    busy_this_week = member(
        4, metres=50.0, last_offered_at=NOW - days(50), callouts_this_week=2, weekly_cap=3
    )
    assert top_ids([waited_long, offered_yesterday, never_offered, busy_this_week]) == [3, 1, 4, 2]


def test_recency_then_id_break_ties() -> None:
    same = {"metres": 300.0, "last_offered_at": NOW - days(10)}
    active_today = member(5, last_active_at=NOW - days(0.5), **same)
    active_last_month = member(3, last_active_at=NOW - days(30), **same)
    never_active = member(1, **same)
    also_today = member(4, last_active_at=NOW - days(2), **same)
    members = [never_active, active_last_month, active_today, also_today]
    assert top_ids(members) == [4, 5, 3, 1]


def test_fairness_penalty_follows_the_documented_formula() -> None:
    hour = 3_600_000_000
    day = 24 * hour
    assert int(fairness_penalty(60 * day, 0, 3, 0)) == 0
    assert int(fairness_penalty(600 * day, 0, 3, 0)) == 0
    assert int(fairness_penalty(0, 0, 3, 0)) == 1440
    assert int(fairness_penalty(30 * day + hour - 1, 0, 3, 0)) == 720
    assert int(fairness_penalty(90 * day, 2, 3, 0)) == 576
    assert int(fairness_penalty(90 * day, 0, 3, 4)) == 288
    assert int(fairness_penalty(0, 2, 3, 12)) == 1440 + 576 + 576
    assert int(fairness_penalty(-day, 0, 1, 0)) == 1440  # a wait cannot be negative
    assert int(recency_penalty(0, 3 * 7 * day + 1)) == 3
    assert int(recency_penalty(0, 900 * day)) == 52


def test_rings_order_own_node_first_then_neighbours_then_wider() -> None:
    callout = replace(HOME_VISIT, neighbour_nodes=frozenset({"liverpool"}))
    own_far = member(1, metres=4_000.0)
    neighbour_near = member(2, metres=100.0, node="liverpool")
    wider_nearest = member(3, metres=10.0, node="wirral")
    members = [own_far, neighbour_near, wider_nearest]
    shortlist = index_of(members).top_k(callout, now=NOW)
    assert list(shortlist.member_ids) == [1, 2, 3]
    assert list(shortlist.ring) == [OWN_RING, NEIGHBOUR_RING, WIDER_RING]
    assert top_ids(members, callout, rings=(NEIGHBOUR_RING, WIDER_RING)) == [2, 3]
    assert top_ids(members, callout, rings=(OWN_RING,)) == [1]


def test_exclude_skips_members_already_asked() -> None:
    members = [member(i, metres=100.0 * i) for i in range(1, 6)]
    assert top_ids(members, exclude={1, 3, 99}) == [2, 4, 5]


def test_candidates_carry_what_a_coordinator_sees() -> None:
    index = index_of([member(7, metres=1_500.0, last_active_at=NOW - days(15))])
    (candidate,) = index.top_k(HOME_VISIT, now=NOW).candidates()
    assert candidate.member_id == 7
    assert candidate.distance_m == pytest.approx(1_500.0, rel=1e-3)
    assert candidate.band == 1
    assert candidate.ring == OWN_RING
    assert candidate.weeks_since_active == 2
    assert candidate.fairness_score == 100 - 100 * (1440 - 30 * 24) // 2880


# --- fairness over time -----------------------------------------------------------------------


def simulate(policy: RankingPolicy, *, members: int = 40, days_run: int = 120) -> dict[int, list]:
    """One call-out a day at the same place; the best candidate takes it. Returns the days on
    which each member was offered a task."""
    joined = NOW - days(1)
    state = {
        i: {"offers": [], "calls_by_week": {}, "last_active": None} for i in range(1, members + 1)
    }
    for day in range(days_run):
        at = NOW + days(day)
        week = day // 7
        roster = [
            member(
                i,
                metres=10.0 * i,  # all within the first band
                joined_at=joined,
                weekly_cap=3,
                callouts_this_week=s["calls_by_week"].get(week, 0),
                offers_recent=sum(1 for d in s["offers"] if day - d < 28),
                last_offered_at=NOW + days(s["offers"][-1]) if s["offers"] else None,
                last_active_at=s["last_active"],
            )
            for i, s in state.items()
        ]
        callout = replace(
            HOME_VISIT, starts_at=at + timedelta(hours=2), ends_at=at + timedelta(hours=3)
        )
        best = ReserveIndex(Roster.from_members(roster), policy=policy).top_k(callout, 1, now=at)
        chosen = state[int(best.member_ids[0])]
        chosen["offers"].append(day)
        chosen["calls_by_week"][week] = chosen["calls_by_week"].get(week, 0) + 1
        chosen["last_active"] = at
    return {i: s["offers"] for i, s in state.items()}


def test_fairness_spreads_offers_so_nobody_waits_months() -> None:
    fair = simulate(RankingPolicy())
    first_offer = [offers[0] for offers in fair.values() if offers]
    counts = [len(offers) for offers in fair.values()]
    assert len(first_offer) == 40  # everyone got a first task ...
    assert max(first_offer) < 45  # ... within about a rotation of the reserve
    assert max(counts) - min(counts) <= 1  # and nobody was loaded more than one task above anyone
    gaps = [b - a for offers in fair.values() for a, b in itertools.pairwise(offers)]
    assert min(gaps) >= 30  # nobody asked again until everyone else had been

    # Without the fairness term, recency hands the work to the same few until their caps stop
    # them: most of the reserve never hears from it.
    unfair = simulate(RankingPolicy(fairness=False))
    never = sum(1 for offers in unfair.values() if not offers)
    assert never >= 30
    assert max(len(offers) for offers in unfair.values()) >= 30


# --- the index against brute force ------------------------------------------------------------

TYPES = ("dbs-check", "reference", "barred-self-declaration", "safeguarding-adults", "licence")
NODES = ("knowsley", "liverpool", "wirral")

# Strategies are built once here: building them inside a composite costs more than drawing.
DBS_LEVEL = st.sampled_from(("basic", "standard", "enhanced"))
WORKFORCE = st.sampled_from(("adult", "child", "child_and_adult", "other"))
BARRED = st.frozensets(st.sampled_from(("adults", "children")))
TRAINING_LEVEL = st.sampled_from(("1", "2", "3", "4"))
LICENCE_LEVEL = st.sampled_from((None, "B", "D1"))
CREDENTIAL_START = st.integers(-2_000, 3).map(lambda h: START + timedelta(hours=h))
CREDENTIAL_LENGTH = st.one_of(st.none(), st.integers(0, 6_000))
STATE = st.sampled_from(CREDENTIAL_STATES + (("active",) * 4))


@st.composite
def credentials(draw: st.DrawFn) -> HeldCredential:
    type_ = draw(st.sampled_from(TYPES))
    level = workforce = None
    barred: frozenset[str] = frozenset()
    if type_ == "dbs-check":
        level = draw(DBS_LEVEL)
        if level == "enhanced":
            workforce = draw(WORKFORCE)
            barred = draw(BARRED)
    elif type_ == "safeguarding-adults":
        level = draw(TRAINING_LEVEL)
    elif type_ == "licence":
        level = draw(LICENCE_LEVEL)
    start = draw(CREDENTIAL_START)
    length = draw(CREDENTIAL_LENGTH)
    return HeldCredential(
        type=type_,
        level=level,
        workforce=workforce,
        barred_lists=barred,
        valid_from=start,
        valid_until=None if length is None else start + timedelta(hours=length),
        state=draw(STATE),
    )


EXCEPTIONS = st.lists(
    st.builds(
        lambda start, minutes, free: AvailabilityException(
            start, start + timedelta(minutes=minutes), free
        ),
        st.integers(-3_000, 300).map(lambda m: START + timedelta(minutes=m)),
        st.integers(1, 3_000),
        st.booleans(),
    ),
    max_size=2,
).map(tuple)
HOURS_BEFORE_NOW = st.one_of(
    st.none(), st.integers(0, 9_000).map(lambda h: NOW - timedelta(hours=h))
)
MEMBER = st.builds(
    ReserveMember,
    id=st.just(0),
    latitude=st.floats(LAT - 0.03, LAT + 0.03),
    longitude=st.floats(LON - 0.05, LON + 0.05),
    radius_m=st.sampled_from((0.0, 300.0, 900.0, 1_800.0, 3_500.0, 7_000.0)),
    joined_at=st.integers(0, 3_000).map(lambda h: NOW - timedelta(hours=h)),
    weekly_hours=st.one_of(st.just(ALL_WEEK), st.frozensets(st.integers(30, 40), min_size=6)),
    exceptions=EXCEPTIONS,
    on_duty=st.sampled_from((True, True, True, False)),
    weekly_cap=st.integers(0, 4),
    callouts_this_week=st.integers(0, 2),
    credentials=st.lists(credentials(), max_size=6).map(tuple),
    languages=st.frozensets(st.sampled_from(("en", "pl", "ur"))),
    skills=st.frozensets(st.sampled_from(("driving", "cooking"))),
    offers_recent=st.integers(0, 10),
    last_offered_at=HOURS_BEFORE_NOW,
    last_active_at=HOURS_BEFORE_NOW,
    node=st.sampled_from(NODES),
)


# For the joint assignment: members who can mostly go, so call-outs compete for them.
BUSY_MEMBER = st.builds(
    ReserveMember,
    id=st.just(0),
    latitude=st.floats(LAT - 0.02, LAT + 0.02),
    longitude=st.floats(LON - 0.03, LON + 0.03),
    radius_m=st.sampled_from((1_800.0, 3_500.0, 7_000.0)),
    joined_at=st.integers(0, 3_000).map(lambda h: NOW - timedelta(hours=h)),
    weekly_hours=st.just(ALL_WEEK),
    weekly_cap=st.integers(1, 3),
    credentials=st.lists(credentials(), max_size=4).map(tuple),
    offers_recent=st.integers(0, 10),
    last_offered_at=HOURS_BEFORE_NOW,
    last_active_at=HOURS_BEFORE_NOW,
    node=st.sampled_from(NODES),
)


@st.composite
def members(
    draw: st.DrawFn, *, max_size: int = 30, strategy: st.SearchStrategy = MEMBER
) -> list[ReserveMember]:
    size = draw(st.integers(0, max_size))
    drawn = draw(st.lists(strategy, min_size=size, max_size=size))
    ids = draw(st.permutations(range(1, len(drawn) + 1)))
    return [replace(m, id=i) for m, i in zip(drawn, ids, strict=True)]


REQUIREMENTS = (
    Requirement("dbs-check", "enhanced", "adult"),
    Requirement("dbs-check", "standard"),
    Requirement("dbs-check", "enhanced", "child", frozenset({"children"})),
    Requirement("reference"),
    Requirement("barred-self-declaration"),
    Requirement("safeguarding-adults", "2"),
    Requirement("licence", "D1"),
    Requirement("licence"),
    Requirement("midas"),
)
CALLOUT_START = st.integers(-8, 8).map(lambda q: START + timedelta(minutes=15 * q))
CALLOUT_LANGUAGES = st.one_of(
    st.just(frozenset()), st.frozensets(st.sampled_from(("en", "pl", "ur", "cy")), max_size=2)
)
CALLOUT_SKILLS = st.one_of(
    st.just(frozenset()), st.frozensets(st.sampled_from(("driving", "cooking")), max_size=1)
)


@st.composite
def callouts(draw: st.DrawFn, id: int = 1, *, easy: bool = False) -> CallOut:
    start = draw(CALLOUT_START)
    if easy:
        requirements = draw(st.sampled_from(((), (Requirement("reference"),))))
    else:
        requirements = tuple(draw(st.lists(st.sampled_from(REQUIREMENTS), max_size=2, unique=True)))
    return CallOut(
        id=id,
        latitude=LAT + draw(st.floats(-0.04, 0.04)),
        longitude=LON + draw(st.floats(-0.07, 0.07)),
        starts_at=start,
        ends_at=start + timedelta(minutes=draw(st.integers(15, 240))),
        requirements=requirements,
        languages=frozenset() if easy else draw(CALLOUT_LANGUAGES),
        skills=frozenset() if easy else draw(CALLOUT_SKILLS),
        volunteers_needed=draw(st.integers(1, 2)),
        node=draw(st.sampled_from(NODES)),
        neighbour_nodes=draw(st.frozensets(st.sampled_from(NODES))),
    )


POLICIES = st.sampled_from(
    (
        RankingPolicy(),
        RankingPolicy(band_m=250.0),
        RankingPolicy(band_m=100.0, recency=False),
        RankingPolicy(band_m=3_000.0, fairness=False),
    )
)
RINGS = st.sampled_from((ALL_RINGS, (OWN_RING,), (NEIGHBOUR_RING, WIDER_RING), (WIDER_RING,)))
BUCKETS = st.sampled_from(((1_000.0, 2_000.0, 4_000.0), (500.0,), (), (300.0, 900.0, 3_500.0)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    reserve=members(),
    callout=callouts(),
    k=st.integers(0, 25),
    policy=POLICIES,
    rings=RINGS,
    buckets=BUCKETS,
    data=st.data(),
)
def test_top_k_equals_a_brute_force_scan(
    reserve: list[ReserveMember],
    callout: CallOut,
    k: int,
    policy: RankingPolicy,
    rings: tuple[int, ...],
    buckets: tuple[float, ...],
    data: st.DataObject,
) -> None:
    exclude = data.draw(st.frozensets(st.integers(1, 45), max_size=5))
    expected = reference_top_k(
        reserve, callout, k, now=NOW, policy=policy, rings=rings, exclude=exclude
    )
    index = ReserveIndex(Roster.from_members(reserve), policy=policy, bucket_edges_m=buckets)
    got = index.top_k(callout, k, now=NOW, rings=rings, exclude=exclude)
    assert list(got.member_ids) == [key.member_id for key in expected]
    assert list(got.cost) == [key.cost for key in expected]
    assert list(got.ring) == [key.ring for key in expected]
    np.testing.assert_allclose(got.distance_m, [key.distance_m for key in expected], rtol=1e-9)
    everyone = index.scan(callout, now=NOW, rings=rings, exclude=exclude)
    assert list(everyone.member_ids[:k]) == [key.member_id for key in expected]
    allowed = {m.id for m in reserve if callout.ring_of(m.node) in rings and m.id not in exclude}
    eligible = {m.id for m in reserve if m.id in allowed and not ineligibility(m, callout)}
    assert set(everyone.member_ids.tolist()) == eligible


def town(seed: int, size: int) -> list[ReserveMember]:
    """Members in nine nodes laid out as a 3 x 3 grid of 6 km squares, as local areas are."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(1, size + 1):
        row, col = rng.integers(0, 3, size=2)
        held = [
            c for c, share in ((DBS_ENHANCED_ADULT, 0.4), (REFERENCE, 0.7)) if rng.random() < share
        ]
        if rng.random() < 0.1:
            held.append(dbs(state=str(rng.choice(["suspended", "revoked"]))))
        out.append(
            member(
                i,
                metres=float(row * 6_000 + rng.uniform(0, 6_000)),
                longitude=LON + float(col * 0.09 + rng.uniform(0, 0.09)),
                radius_m=float(rng.choice([800.0, 2_000.0, 5_000.0, 12_000.0])),
                weekly_hours=ALL_WEEK if rng.random() < 0.6 else frozenset({10, 11}),
                on_duty=bool(rng.random() < 0.8),
                callouts_this_week=int(rng.integers(0, 3)),
                credentials=tuple(held),
                offers_recent=int(rng.integers(0, 9)),
                last_offered_at=NOW - days(float(rng.uniform(0, 90))),
                last_active_at=NOW - days(float(rng.uniform(0, 400))),
                node=f"node-{row}-{col}",
            )
        )
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_top_k_equals_the_scan_on_a_larger_reserve(seed: int) -> None:
    """Clustered nodes make the ring bounds stop searches early; they must never stop one
    too early."""
    reserve = town(seed, 3_000)
    index = index_of(reserve)
    rng = np.random.default_rng(seed + 100)
    nodes = [f"node-{r}-{c}" for r in range(3) for c in range(3)]
    requirement_sets = [(), (Requirement("reference"),), HOME_VISIT.requirements]
    for j in range(120):
        own = int(rng.integers(0, 9))
        callout = replace(
            HOME_VISIT,
            id=j,
            latitude=north(float(rng.uniform(-2_000, 20_000))),
            longitude=LON + float(rng.uniform(-0.02, 0.29)),
            requirements=requirement_sets[j % 3],
            node=nodes[own],
            neighbour_nodes=frozenset(
                nodes[n] for n in rng.choice(9, size=int(rng.integers(0, 4)), replace=False)
            ),
        )
        rings = [ALL_RINGS, (OWN_RING,), (OWN_RING, NEIGHBOUR_RING), (WIDER_RING,)][j % 4]
        k = int(rng.choice([1, 5, 20, 200]))
        got = index.top_k(callout, k, now=NOW, rings=rings)
        want = index.scan(callout, k, now=NOW, rings=rings)
        assert got.member_ids.tolist() == want.member_ids.tolist()
        assert got.cost.tolist() == want.cost.tolist()
        if j < 4:  # and the scan is the rule, one member at a time
            expected = reference_top_k(reserve, callout, k, now=NOW, rings=rings)
            assert want.member_ids.tolist() == [key.member_id for key in expected]


@settings(max_examples=60, deadline=None)
@given(reserve=members(max_size=25), callout=callouts())
def test_funnel_counts_agree_with_the_rules(reserve: list[ReserveMember], callout: CallOut) -> None:
    funnel = index_of(reserve).funnel(callout)
    reach = [m for m in reserve if Reason.OUT_OF_REACH not in ineligibility(m, callout)]
    assert funnel.count(Stage.IN_REACH) == len(reach)
    eligible = [m for m in reach if not ineligibility(m, callout)]
    assert funnel.eligible == len(eligible)
    on_duty = [m for m in reach if m.on_duty]
    assert funnel.count(Stage.ON_DUTY) == len(on_duty)


# --- joint assignment -------------------------------------------------------------------------


def brute_force(
    reserve: Sequence[ReserveMember], batch: Sequence[CallOut], stride: int
) -> tuple[int, int]:
    """(most slots filled, least total cost among those) by trying every assignment."""
    slots = [c for c in batch for _ in range(c.volunteers_needed)]
    options = [
        [
            (m.id, rank_key(m, c, now=NOW).ring * stride + rank_key(m, c, now=NOW).cost)
            for m in reserve
            if not ineligibility(m, c)
        ]
        for c in slots
    ]
    best = (0, 0)

    def walk(slot: int, used: frozenset[int], filled: int, cost: int) -> None:
        nonlocal best
        if slot == len(slots):
            if (filled, -cost) > (best[0], -best[1]):
                best = (filled, cost)
            return
        walk(slot + 1, used, filled, cost)
        for member_id, pair_cost in options[slot]:
            if member_id not in used:
                walk(slot + 1, used | {member_id}, filled + 1, cost + pair_cost)

    walk(0, frozenset(), 0, 0)
    return best


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    reserve=st.one_of(members(max_size=6), members(max_size=6, strategy=BUSY_MEMBER)),
    data=st.data(),
    pool=st.sampled_from(((1, 0), (3, 5), (1, 1))),
    easy=st.booleans(),
)
def test_joint_assignment_is_optimal_against_brute_force(
    reserve: list[ReserveMember], data: st.DataObject, pool: tuple[int, int], easy: bool
) -> None:
    # Pools of one candidate a slot make the optimality certificate widen pools (more rounds).
    n = data.draw(st.integers(1, 3))
    batch = [data.draw(callouts(id=j, easy=easy)) for j in range(1, n + 1)]
    if sum(c.volunteers_needed for c in batch) > 4:
        batch = [replace(c, volunteers_needed=1) for c in batch]
    index = index_of(reserve)
    result = assign_jointly(index, batch, now=NOW, pool_factor=pool[0], pool_extra=pool[1])
    filled, cost = brute_force(reserve, batch, index.ring_stride)
    assert len(result.assignments) == filled
    assert result.total_cost == cost
    # Never double-booked, never an ineligible pair, never over a call-out's need.
    assert len({a.member_id for a in result.assignments}) == len(result.assignments)
    by_id = {m.id: m for m in reserve}
    for assignment in result.assignments:
        callout = next(c for c in batch if c.id == assignment.callout_id)
        assert ineligibility(by_id[assignment.member_id], callout) == ()
    for callout in batch:
        got = len(result.for_callout(callout.id))
        missing = sum(u.volunteers_missing for u in result.unfilled if u.callout_id == callout.id)
        assert got + missing == callout.volunteers_needed


def test_joint_beats_greedy_when_volunteers_are_contended() -> None:
    # Greedy (call-out A first) would give A its nearest volunteer, the only one B can use.
    a = replace(HOME_VISIT, id=1)
    b = replace(HOME_VISIT, id=2, latitude=north(3_000.0))
    shared = member(1, metres=1_500.0)  # reaches both
    only_a = member(2, metres=-2_500.0, radius_m=3_000.0)  # reaches A only, and further
    index = index_of([shared, only_a])
    greedy_first = index.top_k(a, 1, now=NOW)
    assert list(greedy_first.member_ids) == [1]
    result = assign_jointly(index, [a, b], now=NOW)
    assert {(x.callout_id, x.member_id) for x in result.assignments} == {(1, 2), (2, 1)}
    assert result.unfilled == ()
    # With pools of one, both call-outs first see only the shared volunteer; the optimality
    # certificate fails for the unfilled one, its pool widens, and the answer is the same.
    narrow = assign_jointly(index, [a, b], now=NOW, pool_factor=1, pool_extra=0)
    assert narrow.assignments == result.assignments
    assert narrow.rounds >= 2


@pytest.mark.parametrize("seed", range(6))
def test_joint_assignment_under_contention_matches_brute_force(seed: int) -> None:
    """Everyone can reach every call-out, so pools overlap and narrow pools must widen."""
    rng = np.random.default_rng(seed)
    widened = 0
    for _ in range(25):
        reserve = [
            member(
                i,
                metres=float(rng.uniform(-1_500, 1_500)),
                joined_at=NOW - days(float(rng.uniform(0, 90))),
                offers_recent=int(rng.integers(0, 9)),
                callouts_this_week=int(rng.integers(0, 3)),
                last_active_at=NOW - days(float(rng.uniform(0, 60))),
                node=str(rng.choice(NODES)),
            )
            for i in range(1, 7)
        ]
        needs = rng.integers(1, 3, size=3)
        while needs.sum() > 4:
            needs[int(np.argmax(needs))] -= 1
        batch = [
            replace(
                HOME_VISIT,
                id=j + 1,
                latitude=north(float(rng.uniform(-1_000, 1_000))),
                volunteers_needed=int(needs[j]),
                neighbour_nodes=frozenset({"liverpool"}),
            )
            for j in range(3)
        ]
        index = index_of(reserve)
        result = assign_jointly(index, batch, now=NOW, pool_factor=1, pool_extra=0)
        assert (len(result.assignments), result.total_cost) == brute_force(
            reserve, batch, index.ring_stride
        )
        assert len({a.member_id for a in result.assignments}) == len(result.assignments)
        widened += result.rounds > 1
    assert widened > 0


def test_a_callout_for_several_volunteers_gets_different_people() -> None:
    steward = replace(HOME_VISIT, id=5, requirements=(), volunteers_needed=3)
    index = index_of([member(i, metres=100.0 * i) for i in range(1, 6)])
    result = assign_jointly(index, [steward], now=NOW)
    assert sorted(a.member_id for a in result.assignments) == [1, 2, 3]


def test_weekly_caps_hold_in_a_batch() -> None:
    capped = member(1, weekly_cap=1, callouts_this_week=1)
    free = member(2, metres=2_000.0)
    index = index_of([capped, free])
    result = assign_jointly(index, [HOME_VISIT], now=NOW)
    assert [a.member_id for a in result.assignments] == [2]


def test_unfilled_callouts_come_back_with_reasons() -> None:
    minibus = replace(HOME_VISIT, id=1, requirements=(Requirement("midas"),))
    stewards = replace(HOME_VISIT, id=2, requirements=(), volunteers_needed=4)
    faraway = replace(HOME_VISIT, id=3, latitude=north(80_000.0))
    urdu = replace(HOME_VISIT, id=4, languages=frozenset({"ur"}))
    night = replace(HOME_VISIT, id=5, starts_at=START + days(1), ends_at=END + days(1))
    home_visit = replace(HOME_VISIT, id=6)
    wednesday = frozenset(range(168)) - frozenset(range(48, 72))
    reserve = [member(i, metres=100.0 * i, weekly_hours=wednesday) for i in range(1, 4)]
    index = index_of(reserve)
    result = assign_jointly(index, [minibus, stewards, faraway, urdu, night, home_visit], now=NOW)
    reasons = {u.callout_id: u for u in result.unfilled}
    assert reasons[1].reason == UnfilledReason.NOBODY_WITH_CREDENTIALS
    assert "midas" in reasons[1].message
    assert reasons[3].reason == UnfilledReason.NOBODY_IN_REACH
    assert reasons[4].reason == UnfilledReason.NOBODY_WITH_LANGUAGE
    assert reasons[5].reason == UnfilledReason.NOBODY_AVAILABLE
    # Three volunteers, seven places wanted by the two call-outs they can do: both get what
    # an optimal assignment gives, and whichever is short says so.
    assert len(result.assignments) == 3
    short = [reasons[j] for j in (2, 6) if j in reasons]
    assert sum(u.volunteers_missing for u in short) == 5 - 3
    assert {u.reason for u in short} <= {
        UnfilledReason.NEEDED_ELSEWHERE,
        UnfilledReason.FEWER_ELIGIBLE_THAN_NEEDED,
    }


def test_fewer_eligible_than_needed() -> None:
    stewards = replace(HOME_VISIT, requirements=(), volunteers_needed=3)
    result = assign_jointly(index_of([member(1), member(2, metres=900.0)]), [stewards], now=NOW)
    (unfilled,) = result.unfilled
    assert unfilled.reason == UnfilledReason.FEWER_ELIGIBLE_THAN_NEEDED
    assert unfilled.volunteers_missing == 1
    assert unfilled.eligible == 2


def test_needed_elsewhere_and_outer_rings() -> None:
    a = replace(HOME_VISIT, id=1)
    b = replace(HOME_VISIT, id=2)
    result = assign_jointly(index_of([member(1)]), [a, b], now=NOW)
    assert len(result.assignments) == 1
    (unfilled,) = result.unfilled
    assert unfilled.reason == UnfilledReason.NEEDED_ELSEWHERE
    outsider = member(1, node="wirral")
    result = assign_jointly(index_of([outsider]), [a], now=NOW, rings=(OWN_RING,))
    assert result.unfilled[0].reason == UnfilledReason.ONLY_IN_OUTER_RINGS


def test_duplicate_callout_ids_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        assign_jointly(index_of([member()]), [HOME_VISIT, HOME_VISIT], now=NOW)


def test_distance_is_great_circle_metres() -> None:
    # One degree of latitude is about 111.2 km on the mean-radius sphere.
    assert distance_m(53.0, -2.0, 54.0, -2.0) == pytest.approx(111_195.0, rel=1e-4)
    assert distance_m(LAT, LON, LAT, LON) == 0.0
