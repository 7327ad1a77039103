"""The Community Right to Challenge: relevant bodies, the expression of interest, windows, the
clock and reminders, and the decision with reasons and permitted grounds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from covenant.challenges.challenge import (
    BodyKind,
    Challenger,
    ChallengeRefused,
    Decision,
    DecisionPolicy,
    Employee,
    ExpressionOfInterest,
    Outcome,
    RejectionGround,
    SubmissionWindow,
    challenge_clock,
    check_challenger,
    check_decision,
    check_expression_of_interest,
    check_policy,
    check_windows,
    clock_state,
    window_for,
)

AUTHORITY = "Westshire County Council"
D = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)
TRANSPORT = Challenger(BodyKind.VOLUNTARY_OR_COMMUNITY_BODY, "Westshire Community Transport")
POLICY = DecisionPolicy(decide_within_days=60, procurement_min_days=90, procurement_max_days=180)
REASONS = "The body has the vehicles, drivers and finance to bid for this service."


def days(n: int) -> timedelta:
    return timedelta(days=n)


# ----------------------------------------------------------------------------- who may challenge


@pytest.mark.parametrize(
    "challenger",
    [
        TRANSPORT,
        Challenger(
            BodyKind.VOLUNTARY_OR_COMMUNITY_BODY,
            "Riverside CIC",
            for_profit=True,
            primarily_for_community_benefit=True,
        ),
        Challenger(
            BodyKind.CHARITABLE_BODY_OR_TRUST, "Valley Trust", charitable_purposes_only=True
        ),
        Challenger(BodyKind.PARISH_COUNCIL, "Upper Wick Parish Council"),
        Challenger(
            BodyKind.AUTHORITY_EMPLOYEES,
            "Transport team mutual",
            employees=(Employee("Asha", AUTHORITY), Employee("Ben", "westshire county council ")),
        ),
    ],
)
def test_relevant_bodies_may_challenge(challenger):
    check_challenger(challenger, authority=AUTHORITY)


@pytest.mark.parametrize(
    ("challenger", "message"),
    [
        (
            Challenger(BodyKind.BUSINESS, "BigCo Transport Ltd"),
            "BigCo Transport Ltd is a business run for profit; only a voluntary or community body, "
            "a body or trust established for charitable purposes only, a parish council, or two or "
            "more of the authority's employees (Localism Act 2011, section 81(6)) may challenge.",
        ),
        (Challenger(BodyKind.INDIVIDUAL, "A Resident"), "A Resident is one person; only"),
        (
            Challenger(BodyKind.PUBLIC_BODY, "Next Door District Council"),
            "is a public or local authority; only",
        ),
        (
            Challenger(BodyKind.VOLUNTARY_OR_COMMUNITY_BODY, "Fake Friends Ltd", for_profit=True),
            "Fake Friends Ltd carries on its activities for profit and not primarily for the "
            "benefit of the community, so it is neither a voluntary nor a community body.",
        ),
        (
            Challenger(
                BodyKind.VOLUNTARY_OR_COMMUNITY_BODY, "Town Council", public_or_local_authority=True
            ),
            "Town Council is a public or local authority, so it is not a voluntary or "
            "community body.",
        ),
        (
            Challenger(BodyKind.CHARITABLE_BODY_OR_TRUST, "Mixed Purposes Trust"),
            "Mixed Purposes Trust must be established for charitable purposes only",
        ),
        (
            Challenger(
                BodyKind.AUTHORITY_EMPLOYEES, "Solo", employees=(Employee("Asha", AUTHORITY),)
            ),
            "An employee challenge needs two or more employees of Westshire County Council; "
            "1 is named.",
        ),
        (
            Challenger(
                BodyKind.AUTHORITY_EMPLOYEES,
                "Same person twice",
                employees=(Employee("Asha", AUTHORITY), Employee(" asha", AUTHORITY)),
            ),
            "needs two or more employees",
        ),
        (
            Challenger(
                BodyKind.AUTHORITY_EMPLOYEES,
                "Mixed",
                employees=(Employee("Asha", AUTHORITY), Employee("Cal", "Eastshire Council")),
            ),
            "Cal is not employed by Westshire County Council",
        ),
    ],
)
def test_a_challenge_from_a_body_that_is_not_eligible_is_refused(challenger, message):
    with pytest.raises(ChallengeRefused) as caught:
        check_challenger(challenger, authority=AUTHORITY)
    assert caught.value.reason == "not_relevant_body"
    assert message in caught.value.message


EOI = ExpressionOfInterest(
    service="Non-emergency patient transport, north of the river",
    area="Westshire north",
    financial_resources="Accounts attached: reserves of £240,000.",
    capability="Twelve accessible minibuses and 40 MiDAS-trained volunteer drivers.",
    outcomes="Local jobs and fewer missed appointments.",
    user_needs="Door-to-door help for wheelchair users.",
)


def test_the_expression_of_interest_must_have_what_schedule_1_requires():
    check_expression_of_interest(EOI, TRANSPORT)
    with pytest.raises(ChallengeRefused, match="financial resources") as caught:
        check_expression_of_interest(_without(EOI, "financial_resources"), TRANSPORT)
    assert caught.value.field == "financial_resources"
    employees = Challenger(
        BodyKind.AUTHORITY_EMPLOYEES,
        "Mutual",
        employees=(Employee("A", AUTHORITY), Employee("B", AUTHORITY)),
    )
    with pytest.raises(ChallengeRefused, match="engage the other employees"):
        check_expression_of_interest(EOI, employees)
    check_expression_of_interest(
        _with(EOI, employee_engagement="Staff meetings in every depot."), employees
    )


def _with(eoi: ExpressionOfInterest, **changes: str) -> ExpressionOfInterest:
    return replace(eoi, **changes)


def _without(eoi: ExpressionOfInterest, field: str) -> ExpressionOfInterest:
    return _with(eoi, **{field: "  "})


@pytest.mark.parametrize(
    "field", ["service", "area", "financial_resources", "capability", "outcomes", "user_needs"]
)
def test_each_required_part_is_checked(field):
    with pytest.raises(ChallengeRefused) as caught:
        check_expression_of_interest(_without(EOI, field), TRANSPORT)
    assert caught.value.field == field
    assert caught.value.reason == "incomplete"


# ------------------------------------------------------------------------------------ windows

UK = ZoneInfo("Europe/London")
# Windows as an authority publishes them: from the 1st to 23:59 on the last day, UK time.
WINDOWS = (
    SubmissionWindow(datetime(2026, 8, 1, tzinfo=UK), datetime(2026, 8, 31, 23, 59, tzinfo=UK)),
    SubmissionWindow(datetime(2026, 2, 1, tzinfo=UK), datetime(2026, 2, 28, 23, 59, tzinfo=UK)),
)


def test_without_windows_a_challenge_may_come_at_any_time():
    assert window_for(D, ()) is None


def test_a_challenge_inside_a_published_window_is_taken_and_the_clock_starts_at_its_close():
    clock = challenge_clock(D, POLICY, WINDOWS)
    assert clock.window == WINDOWS[1]
    assert clock.starts == datetime(2026, 2, 28, 23, 59, tzinfo=UK)
    assert clock.tell_decision_date_by == clock.starts + days(30)
    assert clock.decision_due == clock.starts + days(60)


def test_a_challenge_outside_the_windows_is_refused_naming_the_next_one():
    with pytest.raises(ChallengeRefused) as caught:
        window_for(datetime(2026, 5, 5, tzinfo=UTC), WINDOWS)
    assert caught.value.reason == "outside_window"
    assert caught.value.message == (
        "The authority considers expressions of interest only in the windows it publishes, and "
        "this one arrived on 5 May 2026, outside them. The next window runs from "
        "1 August 2026 to 31 August 2026."
    )
    with pytest.raises(ChallengeRefused, match=r"No further window is published yet\."):
        window_for(datetime(2026, 12, 1, tzinfo=UTC), WINDOWS)


@pytest.mark.parametrize(
    "windows",
    [
        (SubmissionWindow(D, D),),
        (SubmissionWindow(D, D - days(1)),),
        (SubmissionWindow(D, D + days(10)), SubmissionWindow(D + days(5), D + days(20))),
    ],
)
def test_bad_windows_are_refused(windows):
    with pytest.raises(ChallengeRefused) as caught:
        check_windows(windows)
    assert caught.value.reason == "window"


def test_dates_in_messages_are_uk_days():
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (summer time)
    late_evening = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    with pytest.raises(ChallengeRefused, match="arrived on 1 July 2026"):
        window_for(late_evening, WINDOWS)


def test_naive_times_are_refused():
    with pytest.raises(ChallengeRefused, match="time zone"):
        challenge_clock(datetime(2026, 2, 2, 10), POLICY)
    with pytest.raises(ChallengeRefused, match="time zone"):
        check_windows([SubmissionWindow(datetime(2026, 2, 2), D)])


# -------------------------------------------------------------------------------------- clock


def test_the_clock_runs_from_receipt_with_reminders_before_it_is_due():
    clock = challenge_clock(D, POLICY)
    assert clock.starts == D
    assert clock.tell_decision_date_by == D + days(30)
    assert clock.decision_due == D + days(60)
    assert clock.reminders == (D + days(46), D + days(53), D + days(59))

    assert clock_state(clock, D + days(1)).stage == "deciding"
    assert clock_state(clock, D + days(1)).next_reminder == D + days(46)
    assert clock_state(clock, D + days(1)).days_left == 59
    soon = clock_state(clock, D + days(50))
    assert (soon.stage, soon.days_left, soon.next_reminder) == ("due_soon", 10, D + days(53))
    late = clock_state(clock, D + days(61))
    assert (late.stage, late.days_left, late.next_reminder) == ("overdue", -1, None)
    assert clock_state(clock, D + days(61), decided_at=D + days(40)).stage == "decided"


def test_reminders_before_the_clock_starts_are_dropped():
    clock = challenge_clock(D, DecisionPolicy(decide_within_days=10, reminder_days=(30, 14, 7, 0)))
    assert clock.reminders == (D + days(3), D + days(10))


@pytest.mark.parametrize(
    "policy",
    [
        DecisionPolicy(decide_within_days=0),
        DecisionPolicy(decide_within_days=True),  # type: ignore[arg-type]
        DecisionPolicy(decide_within_days=5000),
        DecisionPolicy(decide_within_days=30, procurement_min_days=100, procurement_max_days=50),
        DecisionPolicy(decide_within_days=30, reminder_days=(-1,)),
    ],
)
def test_bad_periods_are_refused(policy):
    with pytest.raises(ChallengeRefused) as caught:
        check_policy(policy)
    assert caught.value.reason == "period"


@settings(max_examples=200, deadline=None)
@given(
    received=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    period=st.integers(1, 400),
    reminders=st.lists(st.integers(0, 400), max_size=5),
)
def test_reminders_always_fall_after_the_start_and_no_later_than_the_due_date(
    received, period, reminders
):
    clock = challenge_clock(
        received, DecisionPolicy(decide_within_days=period, reminder_days=tuple(reminders))
    )
    assert clock.decision_due - clock.starts == days(period)
    assert list(clock.reminders) == sorted(set(clock.reminders))
    for reminder in clock.reminders:
        assert clock.starts < reminder <= clock.decision_due


# ----------------------------------------------------------------------------------- decision


def decide(decision: Decision, clock=None):
    return check_decision(
        decision,
        clock or challenge_clock(D, POLICY),
        POLICY,
        challenger=TRANSPORT,
        authority=AUTHORITY,
    )


def test_an_acceptance_opens_the_procurement_window_and_says_so():
    checked = decide(Decision(Outcome.ACCEPTED, REASONS, D + days(40)))
    assert not checked.late
    assert checked.procurement_from == D + days(130)
    assert checked.procurement_by == D + days(220)
    assert checked.notice == (
        "Westshire County Council has accepted the expression of interest from Westshire "
        "Community Transport on 14 March 2026.\n"
        f"Reasons: {REASONS}\n"
        "A procurement exercise for the service will start between 12 June 2026 and "
        "10 September 2026."
    )


def test_a_rejection_names_its_permitted_grounds():
    checked = decide(
        Decision(
            Outcome.REJECTED,
            "The service is out to tender already, closing next month.",
            D + days(70),
            grounds=(RejectionGround.ALREADY_PROCURING, RejectionGround.ALREADY_PROCURING),
        )
    )
    assert checked.late  # the duty to decide outlives the date; the register shows it was late
    assert checked.procurement_from is None
    assert checked.decision.grounds == (RejectionGround.ALREADY_PROCURING,)
    assert (
        "Grounds (SI 2012/1647, Schedule): (6) The service is already the subject of a "
        "procurement exercise." in checked.notice
    )


def test_an_agreed_modification_is_allowed_where_it_would_otherwise_be_rejected():
    checked = decide(
        Decision(
            Outcome.ACCEPTED_WITH_MODIFICATIONS,
            "The financial information covered only one of the two lots.",
            D + days(20),
            grounds=(RejectionGround.INADEQUATE_OR_INACCURATE,),
            modifications="The expression of interest now covers the north lot only.",
            modifications_agreed=True,
        )
    )
    assert "Otherwise grounds for rejection (SI 2012/1647, Schedule): (2)" in checked.notice
    assert "Modifications, agreed with Westshire Community Transport:" in checked.notice
    assert checked.procurement_from == D + days(110)


@pytest.mark.parametrize(
    ("decision", "reason"),
    [
        (Decision(Outcome.ACCEPTED, "", D), "reasons"),
        (
            Decision(Outcome.REJECTED, "   no.   ", D, grounds=(RejectionGround.UNLAWFUL,)),
            "reasons",
        ),
        (Decision(Outcome.REJECTED, REASONS, D), "ground"),
        (Decision(Outcome.ACCEPTED, REASONS, D, grounds=(RejectionGround.UNLAWFUL,)), "ground"),
        (Decision(Outcome.REJECTED, REASONS, D, grounds=("we prefer BigCo",)), "ground"),  # type: ignore[arg-type]
        (
            Decision(
                Outcome.ACCEPTED_WITH_MODIFICATIONS,
                REASONS,
                D,
                grounds=(RejectionGround.NOT_SUITABLE,),
            ),
            "modifications",
        ),
        (
            Decision(
                Outcome.ACCEPTED_WITH_MODIFICATIONS,
                REASONS,
                D,
                grounds=(RejectionGround.NOT_SUITABLE,),
                modifications="Drop the south lot.",
            ),
            "modifications",
        ),
        (
            Decision(
                Outcome.ACCEPTED_WITH_MODIFICATIONS,
                REASONS,
                D,
                modifications="Drop the south lot.",
                modifications_agreed=True,
            ),
            "ground",
        ),
        (Decision(Outcome.ACCEPTED, REASONS, D - days(1)), "decided_at"),
        (Decision(Outcome.ACCEPTED, REASONS, datetime(2026, 3, 1)), "naive_time"),
    ],
)
def test_decisions_the_act_does_not_allow_are_refused(decision, reason):
    with pytest.raises(ChallengeRefused) as caught:
        decide(decision)
    assert caught.value.reason == reason


def test_there_are_exactly_the_ten_grounds_of_the_schedule():
    assert [g.paragraph for g in RejectionGround] == list(range(1, 11))
    assert RejectionGround.FRIVOLOUS_OR_VEXATIOUS.paragraph == 9
    assert all(g.summary.endswith(".") for g in RejectionGround)
