"""The Community Right to Challenge: who may challenge, when, the clock and the decision.

Plain Python, no Django; times are aware `datetime`s, periods whole calendar days, and dates
in messages and notices are the day in UK local time.

The law (Localism Act 2011, Part 5, Chapter 2, sections 81 to 86, and two sets of regulations):

- Who may submit an expression of interest (section 81(6)): a voluntary or community body; a
  body of persons or a trust established for charitable purposes only; a parish council; or
  two or more employees of the authority. A voluntary body is one, other than a public or local
  authority, whose activities are not carried on for profit (section 81(7)); a community body
  is one, other than a public or local authority, that carries on activities primarily for the
  benefit of the community.
- What it must contain (the Community Right to Challenge (Expressions of Interest and Excluded
  Services) (England) Regulations 2012, SI 2012/1313, regulation 3 and Schedule 1): the
  financial resources of the body (and of any consortium members and sub-contractors);
  evidence that it will be capable of providing the service by the time of the procurement
  exercise; enough about the service to identify it and the area it covers; the outcomes it
  would achieve, in particular for the social, economic or environmental well-being of the
  authority's area and for the needs of the service's users; and, from employees, how they
  would engage the other employees affected. It must be in writing (section 81(1)(b)).
- When (section 82): the authority may publish periods in which it will consider expressions
  of interest; then one received outside them need not be considered. Without periods, one
  may be submitted at any time.
- The clock (sections 83 and 84 and the statutory guidance): the authority sets the period
  within which it will decide, and tells the body, within 30 days of receiving the expression
  of interest (or of the end of the submission period it came in), when it will do so. It
  also publishes the minimum and maximum time between accepting an expression of interest and
  starting the procurement exercise that follows.
- The decision (section 83): accept it, accept it with modifications the body agrees to (only
  where it would otherwise be rejected), or reject it, only on the grounds in the Schedule to
  the Community Right to Challenge (Fire and Rescue Authorities and Rejection of Expressions of
  Interest) (England) Regulations 2012 (SI 2012/1647, regulation 4; listed in
  `RejectionGround`). The body is told the decision in writing, with reasons where it is
  rejected or modified, and the decision is published.

This module asks for reasons with every decision, acceptance included, so the public register
always says why. The ten grounds are summarised, not quoted; the regulations have the exact
words.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from covenant.core.errors import ValidationFailed

ACKNOWLEDGE_WITHIN_DAYS: Final = 30
DEFAULT_REMINDERS: Final = (14, 7, 1)
MIN_REASONS: Final = 20
MAX_PERIOD_DAYS: Final = 3 * 366
UK: Final = ZoneInfo("Europe/London")


class ChallengeRefused(ValidationFailed):
    """An expression of interest, a window or a decision the Act does not allow, and why."""

    code = "challenge_refused"

    def __init__(self, message: str, *, reason: str, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.reason = reason


class BodyKind(enum.StrEnum):
    VOLUNTARY_OR_COMMUNITY_BODY = "voluntary_or_community_body"
    CHARITABLE_BODY_OR_TRUST = "charitable_body_or_trust"
    PARISH_COUNCIL = "parish_council"
    AUTHORITY_EMPLOYEES = "authority_employees"
    # Not relevant bodies; named so the refusal can say so plainly.
    BUSINESS = "business"
    INDIVIDUAL = "individual"
    PUBLIC_BODY = "public_body"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS: Final = {
    BodyKind.VOLUNTARY_OR_COMMUNITY_BODY: "a voluntary or community body",
    BodyKind.CHARITABLE_BODY_OR_TRUST: "a body or trust established for charitable purposes only",
    BodyKind.PARISH_COUNCIL: "a parish council",
    BodyKind.AUTHORITY_EMPLOYEES: "two or more of the authority's employees",
    BodyKind.BUSINESS: "a business run for profit",
    BodyKind.INDIVIDUAL: "one person",
    BodyKind.PUBLIC_BODY: "a public or local authority",
}
RELEVANT_BODIES: Final = (
    BodyKind.VOLUNTARY_OR_COMMUNITY_BODY,
    BodyKind.CHARITABLE_BODY_OR_TRUST,
    BodyKind.PARISH_COUNCIL,
    BodyKind.AUTHORITY_EMPLOYEES,
)
_WHO_MAY: Final = (
    "a voluntary or community body, a body or trust established for charitable purposes only, "
    "a parish council, or two or more of the authority's employees (Localism Act 2011, "
    "section 81(6))"
)


class RejectionGround(enum.StrEnum):
    """The only grounds for rejecting an expression of interest (SI 2012/1647, Schedule)."""

    NON_COMPLIANT = "non_compliant"
    INADEQUATE_OR_INACCURATE = "inadequate_or_inaccurate"
    NOT_SUITABLE = "not_suitable"
    SERVICE_TO_STOP = "service_to_stop"
    NHS_INTEGRATION = "nhs_integration"
    ALREADY_PROCURING = "already_procuring"
    IN_NEGOTIATION = "in_negotiation"
    EMPLOYEE_BODY_PUBLISHED = "employee_body_published"
    FRIVOLOUS_OR_VEXATIOUS = "frivolous_or_vexatious"
    UNLAWFUL = "unlawful"

    @property
    def paragraph(self) -> int:
        return list(RejectionGround).index(self) + 1

    @property
    def summary(self) -> str:
        return _GROUNDS[self]


_GROUNDS: Final = {
    RejectionGround.NON_COMPLIANT: (
        "It does not meet the requirements of section 81(1) of the Act or of regulations "
        "made under it."
    ),
    RejectionGround.INADEQUATE_OR_INACCURATE: (
        "Information in it is, in the authority's opinion, inadequate or inaccurate in a "
        "material respect."
    ),
    RejectionGround.NOT_SUITABLE: (
        "On its information, the body, a member of its consortium or a named sub-contractor "
        "is not suitable to provide or help provide the service."
    ),
    RejectionGround.SERVICE_TO_STOP: (
        "The authority has decided, in writing, to stop providing the service."
    ),
    RejectionGround.NHS_INTEGRATION: (
        "The service is integrated with an NHS service that the same people receive, and "
        "keeping them integrated is, in the authority's opinion, critical to their wellbeing."
    ),
    RejectionGround.ALREADY_PROCURING: (
        "The service is already the subject of a procurement exercise."
    ),
    RejectionGround.IN_NEGOTIATION: (
        "The authority and a third party are negotiating, at least partly in writing, for the "
        "provision of the service."
    ),
    RejectionGround.EMPLOYEE_BODY_PUBLISHED: (
        "The authority has published its intention to consider having the service provided by "
        "a body that two or more named employees propose to set up."
    ),
    RejectionGround.FRIVOLOUS_OR_VEXATIOUS: "The authority considers it frivolous or vexatious.",
    RejectionGround.UNLAWFUL: (
        "Accepting it would be likely to lead to a breach of the law or of a statutory duty."
    ),
}


class Outcome(enum.StrEnum):
    ACCEPTED = "accepted"
    ACCEPTED_WITH_MODIFICATIONS = "accepted_with_modifications"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Employee:
    name: str
    employer: str


@dataclass(frozen=True, slots=True)
class Challenger:
    """Who submits the expression of interest, with the facts that decide if they may."""

    kind: BodyKind
    name: str
    for_profit: bool = False
    public_or_local_authority: bool = False
    primarily_for_community_benefit: bool = False
    charitable_purposes_only: bool = False
    employees: tuple[Employee, ...] = ()


@dataclass(frozen=True, slots=True)
class ExpressionOfInterest:
    """What the body sends (SI 2012/1313, Schedule 1), each a written answer."""

    service: str
    area: str
    financial_resources: str
    capability: str
    outcomes: str
    user_needs: str
    employee_engagement: str = ""


@dataclass(frozen=True, slots=True)
class SubmissionWindow:
    opens: datetime
    closes: datetime


@dataclass(frozen=True, slots=True)
class DecisionPolicy:
    """The periods the authority sets and publishes."""

    decide_within_days: int
    procurement_min_days: int = 0
    procurement_max_days: int = 365
    acknowledge_within_days: int = ACKNOWLEDGE_WITHIN_DAYS
    reminder_days: tuple[int, ...] = DEFAULT_REMINDERS


@dataclass(frozen=True, slots=True)
class ChallengeClock:
    received_at: datetime
    window: SubmissionWindow | None
    starts: datetime
    tell_decision_date_by: datetime
    decision_due: datetime
    reminders: tuple[datetime, ...]


@dataclass(frozen=True, slots=True)
class ClockState:
    stage: str  # "deciding", "due_soon", "overdue" or "decided"
    days_left: int
    next_reminder: datetime | None


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    reasons: str
    decided_at: datetime
    grounds: tuple[RejectionGround, ...] = ()
    modifications: str = ""
    modifications_agreed: bool = False


@dataclass(frozen=True, slots=True)
class CheckedDecision:
    decision: Decision
    late: bool
    # For an acceptance: the earliest and latest start of the procurement exercise.
    procurement_from: datetime | None
    procurement_by: datetime | None
    notice: str


# --------------------------------------------------------------------------------- eligibility


def _day(moment: datetime) -> str:
    """A date as people in England read it: the day in UK local time, 5 March 2026."""
    local = moment.astimezone(UK)
    return f"{local.day} {local:%B %Y}"


def _aware(moment: datetime, field: str) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ChallengeRefused(
            f"{field} must be a date and time with a time zone.", reason="naive_time", field=field
        )
    return moment


def check_challenger(challenger: Challenger, *, authority: str) -> None:
    """Refuse a challenger that is not a relevant body for this authority (section 81(6))."""
    name = challenger.name.strip() or "This challenger"
    kind = challenger.kind
    if kind not in RELEVANT_BODIES:
        raise ChallengeRefused(
            f"{name} is {kind.label}; only {_WHO_MAY} may challenge.",
            reason="not_relevant_body",
            field="kind",
        )
    if kind is BodyKind.VOLUNTARY_OR_COMMUNITY_BODY:
        if challenger.public_or_local_authority:
            raise ChallengeRefused(
                f"{name} is a public or local authority, so it is not a voluntary or community "
                "body.",
                reason="not_relevant_body",
                field="kind",
            )
        if challenger.for_profit and not challenger.primarily_for_community_benefit:
            raise ChallengeRefused(
                f"{name} carries on its activities for profit and not primarily for the benefit "
                "of the community, so it is neither a voluntary nor a community body.",
                reason="not_relevant_body",
                field="kind",
            )
    if kind is BodyKind.CHARITABLE_BODY_OR_TRUST and not challenger.charitable_purposes_only:
        raise ChallengeRefused(
            f"{name} must be established for charitable purposes only to challenge as a "
            "charitable body or trust.",
            reason="not_relevant_body",
            field="kind",
        )
    if kind is BodyKind.AUTHORITY_EMPLOYEES:
        wanted = authority.strip().casefold()
        names = {e.name.strip().casefold() for e in challenger.employees if e.name.strip()}
        outsiders = [
            e.name for e in challenger.employees if e.employer.strip().casefold() != wanted
        ]
        if outsiders:
            raise ChallengeRefused(
                f"{', '.join(outsiders)} {'is' if len(outsiders) == 1 else 'are'} not employed by "
                f"{authority}; an employee challenge comes from the authority's own employees.",
                reason="not_relevant_body",
                field="employees",
            )
        if len(names) < 2:
            raise ChallengeRefused(
                f"An employee challenge needs two or more employees of {authority}; "
                f"{len(names)} {'is' if len(names) == 1 else 'are'} named.",
                reason="not_relevant_body",
                field="employees",
            )


def check_expression_of_interest(eoi: ExpressionOfInterest, challenger: Challenger) -> None:
    """Refuse an expression of interest missing what Schedule 1 of SI 2012/1313 requires."""
    required = [
        ("service", eoi.service, "which service it is about"),
        ("area", eoi.area, "the geographical area it covers"),
        ("financial_resources", eoi.financial_resources, "the body's financial resources"),
        (
            "capability",
            eoi.capability,
            "evidence the body will be able to provide the service by the procurement",
        ),
        (
            "outcomes",
            eoi.outcomes,
            "the outcomes, for the area's social, economic or environmental well-being",
        ),
        ("user_needs", eoi.user_needs, "how it will meet the needs of the service's users"),
    ]
    if challenger.kind is BodyKind.AUTHORITY_EMPLOYEES:
        required.append(
            (
                "employee_engagement",
                eoi.employee_engagement,
                "how the employees will engage the other employees affected",
            )
        )
    for field, value, what in required:
        if not value or not value.strip():
            raise ChallengeRefused(
                f"The expression of interest must set out {what}.", reason="incomplete", field=field
            )


# ----------------------------------------------------------------------------------- windows


def check_windows(windows: Iterable[SubmissionWindow]) -> tuple[SubmissionWindow, ...]:
    """The authority's published windows in order; refuses one that closes before it opens or
    overlaps another."""
    ordered = sorted(windows, key=lambda w: _aware(w.opens, "opens"))
    for window in ordered:
        _aware(window.closes, "closes")
        if window.closes <= window.opens:
            raise ChallengeRefused(
                f"A submission window closes ({_day(window.closes)}) before it opens "
                f"({_day(window.opens)}).",
                reason="window",
                field="windows",
            )
    for earlier, later in itertools.pairwise(ordered):
        if later.opens < earlier.closes:
            raise ChallengeRefused(
                f"Submission windows overlap: one opens {_day(later.opens)} before the one "
                f"before it closes {_day(earlier.closes)}.",
                reason="window",
                field="windows",
            )
    return tuple(ordered)


def window_for(
    received_at: datetime, windows: Sequence[SubmissionWindow]
) -> SubmissionWindow | None:
    """The window an expression of interest arrived in, or None when the authority publishes
    none. Refuses one that arrived outside every published window, naming the next one."""
    _aware(received_at, "received_at")
    ordered = check_windows(windows)
    if not ordered:
        return None
    for window in ordered:
        if window.opens <= received_at <= window.closes:
            return window
    upcoming = [w for w in ordered if w.opens > received_at]
    next_one = (
        f" The next window runs from {_day(upcoming[0].opens)} to {_day(upcoming[0].closes)}."
        if upcoming
        else " No further window is published yet."
    )
    raise ChallengeRefused(
        "The authority considers expressions of interest only in the windows it publishes, and "
        f"this one arrived on {_day(received_at)}, outside them." + next_one,
        reason="outside_window",
        field="received_at",
    )


# ------------------------------------------------------------------------------------- clock


def _check_days(value: int, field: str, *, minimum: int) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not minimum <= value <= MAX_PERIOD_DAYS
    ):
        raise ChallengeRefused(
            f"{field} must be a whole number of days from {minimum} to {MAX_PERIOD_DAYS}.",
            reason="period",
            field=field,
        )


def check_policy(policy: DecisionPolicy) -> None:
    _check_days(policy.decide_within_days, "decide_within_days", minimum=1)
    _check_days(policy.acknowledge_within_days, "acknowledge_within_days", minimum=1)
    _check_days(policy.procurement_min_days, "procurement_min_days", minimum=0)
    _check_days(policy.procurement_max_days, "procurement_max_days", minimum=0)
    if policy.procurement_max_days < policy.procurement_min_days:
        raise ChallengeRefused(
            "The longest time to the procurement exercise cannot be shorter than the shortest.",
            reason="period",
            field="procurement_max_days",
        )
    for days in policy.reminder_days:
        _check_days(days, "reminder_days", minimum=0)


def challenge_clock(
    received_at: datetime,
    policy: DecisionPolicy,
    windows: Sequence[SubmissionWindow] = (),
) -> ChallengeClock:
    """The dates that run from receipt: when to tell the body the decision date, when the
    decision is due and when to remind the authority.

    The clock starts at receipt, or at the close of the window it arrived in: an authority
    that uses windows considers everything from one window together.
    """
    check_policy(policy)
    window = window_for(received_at, windows)
    starts = window.closes if window is not None else received_at
    due = starts + timedelta(days=policy.decide_within_days)
    reminders = sorted(
        {due - timedelta(days=days) for days in policy.reminder_days if days}
        | ({due} if 0 in policy.reminder_days else set())
    )
    return ChallengeClock(
        received_at=received_at,
        window=window,
        starts=starts,
        tell_decision_date_by=starts + timedelta(days=policy.acknowledge_within_days),
        decision_due=due,
        reminders=tuple(r for r in reminders if r > starts),
    )


def clock_state(
    clock: ChallengeClock, now: datetime, *, decided_at: datetime | None = None
) -> ClockState:
    """Where the clock stands at `now`: deciding, due soon (a reminder has passed), overdue, or
    decided. `days_left` counts whole days to the due time (negative once overdue)."""
    _aware(now, "now")
    remaining = clock.decision_due - now
    days_left = remaining.days
    upcoming = [r for r in clock.reminders if r > now]
    if decided_at is not None:
        return ClockState("decided", days_left, None)
    if now > clock.decision_due:
        stage = "overdue"
    elif any(r <= now for r in clock.reminders):
        stage = "due_soon"
    else:
        stage = "deciding"
    return ClockState(stage, days_left, upcoming[0] if upcoming else None)


# ---------------------------------------------------------------------------------- decision


def check_decision(
    decision: Decision,
    clock: ChallengeClock,
    policy: DecisionPolicy,
    *,
    challenger: Challenger,
    authority: str,
) -> CheckedDecision:
    """Check a decision against section 83 and write the notice the body is sent.

    Refuses: a decision without reasons; a rejection without a permitted ground; an acceptance
    that cites grounds; a modification the body has not agreed, or with no ground on which the
    expression of interest would otherwise have been rejected; a decision dated before the
    expression of interest arrived. A late decision is allowed (the duty to decide remains)
    and marked `late`.
    """
    _aware(decision.decided_at, "decided_at")
    if decision.decided_at < clock.received_at:
        raise ChallengeRefused(
            "The decision cannot be dated before the expression of interest arrived.",
            reason="decided_at",
            field="decided_at",
        )
    reasons = decision.reasons.strip()
    if len(reasons) < MIN_REASONS:
        raise ChallengeRefused(
            "Give the reasons for the decision in at least a sentence: the body is told them and "
            "they are published.",
            reason="reasons",
            field="reasons",
        )
    grounds = tuple(dict.fromkeys(decision.grounds))
    for ground in grounds:
        if not isinstance(ground, RejectionGround):
            raise ChallengeRefused(
                f"{ground!r} is not a ground the regulations permit.",
                reason="ground",
                field="grounds",
            )
    outcome = decision.outcome
    if outcome is Outcome.REJECTED and not grounds:
        raise ChallengeRefused(
            "A rejection must give one or more of the permitted grounds (SI 2012/1647, Schedule).",
            reason="ground",
            field="grounds",
        )
    if outcome is Outcome.ACCEPTED and grounds:
        raise ChallengeRefused(
            "Grounds are for a rejection or a modification; an outright acceptance has none.",
            reason="ground",
            field="grounds",
        )
    if outcome is Outcome.ACCEPTED_WITH_MODIFICATIONS:
        if not decision.modifications.strip():
            raise ChallengeRefused(
                "Say what the modifications are.", reason="modifications", field="modifications"
            )
        if not decision.modifications_agreed:
            raise ChallengeRefused(
                "An expression of interest may be modified only with the body's agreement "
                "(section 83); record that they agreed.",
                reason="modifications",
                field="modifications_agreed",
            )
        if not grounds:
            raise ChallengeRefused(
                "A modification is allowed only where the expression of interest would otherwise "
                "be rejected: give the ground it would have been rejected on.",
                reason="ground",
                field="grounds",
            )
    accepted = outcome is not Outcome.REJECTED
    start_from = (
        decision.decided_at + timedelta(days=policy.procurement_min_days) if accepted else None
    )
    start_by = (
        decision.decided_at + timedelta(days=policy.procurement_max_days) if accepted else None
    )
    checked = Decision(
        outcome=outcome,
        reasons=reasons,
        decided_at=decision.decided_at,
        grounds=grounds,
        modifications=decision.modifications.strip(),
        modifications_agreed=decision.modifications_agreed,
    )
    return CheckedDecision(
        decision=checked,
        late=decision.decided_at > clock.decision_due,
        procurement_from=start_from,
        procurement_by=start_by,
        notice=_notice(checked, challenger, authority, start_from, start_by),
    )


def _notice(
    decision: Decision,
    challenger: Challenger,
    authority: str,
    start_from: datetime | None,
    start_by: datetime | None,
) -> str:
    verdict = {
        Outcome.ACCEPTED: "accepted",
        Outcome.ACCEPTED_WITH_MODIFICATIONS: "accepted with modifications",
        Outcome.REJECTED: "rejected",
    }[decision.outcome]
    lines = [
        f"{authority} has {verdict} the expression of interest from {challenger.name} "
        f"on {_day(decision.decided_at)}.",
        f"Reasons: {decision.reasons}",
    ]
    if decision.grounds:
        lead = (
            "Grounds" if decision.outcome is Outcome.REJECTED else "Otherwise grounds for rejection"
        )
        lines.append(
            f"{lead} (SI 2012/1647, Schedule): "
            + " ".join(f"({g.paragraph}) {g.summary}" for g in decision.grounds)
        )
    if decision.modifications:
        lines.append(f"Modifications, agreed with {challenger.name}: {decision.modifications}")
    if start_from is not None and start_by is not None:
        lines.append(
            "A procurement exercise for the service will start between "
            f"{_day(start_from)} and {_day(start_by)}."
        )
    return "\n".join(lines)
