"""An endowment's sustainable spend: the total-return spending rule, its ledger, and what
multi-year commitments leave in each year.

Pure: plain values in, plain values out, no Django. Money is integer pence.

THE SPENDING RULE
=================

Each year the fund may distribute a fixed percentage (the rate, for example 4%) of the
average value of the endowment at the ends of the previous 12 quarters. Averaging over three
years smooths the markets: one bad quarter does not halve next year's grants, one good one does
not tempt the fund to spend capital it may need later.

- Years are the fund's financial years, each of four quarters, named by the calendar year they
  start in (2025 is 2025/26). The first recorded quarter starts the first year.
- A young endowment has fewer than 12 quarter-ends behind it. Then the average is taken over
  those it has; in its first year, when it has none, over the single value it started with.
  So year 1 may distribute rate x opening value, year 2 rate x the average of its four
  quarter-ends, and from year 4 on the full 12 are used. A fund that moves onto the platform
  with a history can give its earlier quarter-end values instead.
- The distributable amount is rounded down to the penny, so the rule never allows more than
  its percentage.

THE LEDGER
==========

Each quarter records capital added (new gifts to the endowment), the investment return (net of
fees; it may be negative) and grants paid. The value at the end of a quarter is the value at its
start plus capital added plus return minus grants paid. Grants that would take the value below
zero are refused: an endowment cannot pay out money it does not have.

LOOKING AHEAD
=============

Multi-year grants are committed against future years' distributable amounts, which are not
known yet. The plan projects each year not yet recorded on two stated assumptions: the
endowment earns the assumed annual return (compounded quarterly), and it pays out its whole
distributable amount, in equal quarterly parts (the remainder of a year already partly recorded
is spread over its remaining quarters). Paying out in full is the cautious assumption: it gives
the lowest value, and so the lowest distributable amounts, the rule allows.

What is left in a year is its distributable amount minus what has been committed to it. A new
commitment fits only if it leaves nothing negative in any year, and every year it draws on must
be inside the plan.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from covenant.core.errors import ValidationFailed
from covenant.funds.money import pounds

QUARTERS_PER_YEAR: Final = 4
BASIS_POINTS: Final = 10_000


def year_label(year: int) -> str:
    """2025 -> '2025/26': the financial year starting in 2025."""
    return f"{year}/{(year + 1) % 100:02d}"


@dataclass(frozen=True, slots=True)
class SpendingRule:
    """A fixed percentage (in basis points: 400 is 4%) of the average of the last `quarters`
    quarter-end values."""

    rate_basis_points: int = 400
    quarters: int = 12

    def __post_init__(self) -> None:
        if not 0 <= self.rate_basis_points <= BASIS_POINTS:
            raise ValidationFailed(
                "The spending rate must be between 0% and 100% (0 to 10,000 basis points).",
                field="rate_basis_points",
            )
        if not 1 <= self.quarters <= 40:
            raise ValidationFailed(
                "The rule averages between 1 and 40 quarters (12 is usual).", field="quarters"
            )

    def distributable(self, quarter_end_values: Sequence[int]) -> int:
        """rate x the average of these values, rounded down to the penny."""
        if not quarter_end_values:
            raise ValueError("the rule needs at least one value to average")
        total = sum(quarter_end_values)
        if total <= 0:
            return 0
        return total * self.rate_basis_points // (BASIS_POINTS * len(quarter_end_values))


@dataclass(frozen=True, slots=True)
class Quarter:
    """What happened to the endowment in one quarter."""

    capital_added_pence: int = 0
    return_pence: int = 0
    grants_paid_pence: int = 0


@dataclass(frozen=True, slots=True)
class Commitment:
    """A grant promised over several years: how much it draws on each year's distributable
    amount."""

    reference: str
    amounts_pence: Mapping[int, int]


@dataclass(frozen=True, slots=True)
class YearLine:
    year: int
    label: str
    opening_value_pence: int
    capital_added_pence: int
    returns_pence: int
    grants_paid_pence: int
    closing_value_pence: int
    window_quarters: int  # how many values the rule averaged (0: the opening value alone)
    average_value_pence: int  # rounded down; the rule divides the exact sum
    distributable_pence: int
    committed_pence: int
    left_pence: int  # distributable - committed; negative means over-committed
    recorded_quarters: int  # 4: all recorded; fewer: the rest projected
    paid_over_rule_pence: int  # recorded grants paid above the distributable amount
    explanation: str

    @property
    def projected(self) -> bool:
        return self.recorded_quarters < QUARTERS_PER_YEAR


@dataclass(frozen=True, slots=True)
class Plan:
    rule: SpendingRule
    first_year: int
    opening_value_pence: int
    assumed_annual_return: float
    quarters: tuple[Quarter, ...]
    prior_quarter_values: tuple[int, ...]
    commitments: tuple[Commitment, ...]
    years_ahead: int
    years: tuple[YearLine, ...]
    quarter_end_values: tuple[int, ...]  # recorded then projected, one per quarter
    summary: str = field(default="")

    @property
    def last_year(self) -> int:
        return self.years[-1].year

    def year(self, year: int) -> YearLine:
        for line in self.years:
            if line.year == year:
                return line
        raise ValidationFailed(
            f"{year_label(year)} is outside the plan ({year_label(self.first_year)} to "
            f"{year_label(self.last_year)}).",
            field="year",
        )

    def refusals(self, commitment: Commitment) -> list[str]:
        """Why this commitment does not fit, one reason per year it breaks; empty if it fits."""
        reasons = _commitment_problems(commitment, self.first_year)
        if reasons:
            return reasons
        for year in sorted(commitment.amounts_pence):
            amount = commitment.amounts_pence[year]
            if amount == 0:
                continue
            if year > self.last_year:
                reasons.append(
                    f"{year_label(year)}: the plan reaches only {year_label(self.last_year)}; "
                    "extend it before committing further ahead."
                )
                continue
            line = self.year(year)
            if amount > line.left_pence:
                kind = "projected " if line.projected else ""
                reasons.append(
                    f"{line.label}: {commitment.reference} needs {pounds(amount)}, but only "
                    f"{pounds(max(0, line.left_pence))} is left of the {kind}"
                    f"{pounds(line.distributable_pence)} the spending rule allows."
                )
        return reasons

    def with_commitment(self, commitment: Commitment) -> Plan:
        """The plan with this commitment added, or ValidationFailed saying which years it
        breaks. Nothing is changed when it is refused."""
        reasons = self.refusals(commitment)
        if reasons:
            raise ValidationFailed(
                f"{commitment.reference} does not fit the spending rule: " + " ".join(reasons),
                errors={"amounts": reasons},
            )
        return plan(
            opening_value_pence=self.opening_value_pence,
            first_year=self.first_year,
            quarters=self.quarters,
            rule=self.rule,
            commitments=(*self.commitments, commitment),
            years_ahead=self.years_ahead,
            assumed_annual_return=self.assumed_annual_return,
            prior_quarter_values=self.prior_quarter_values,
        )


def _commitment_problems(commitment: Commitment, first_year: int) -> list[str]:
    problems: list[str] = []
    if not commitment.reference:
        problems.append("A commitment needs a reference.")
    for year, amount in sorted(commitment.amounts_pence.items()):
        if amount < 0:
            problems.append(
                f"{commitment.reference or 'A commitment'} has a negative amount for "
                f"{year_label(year)}."
            )
        if year < first_year:
            problems.append(
                f"{commitment.reference or 'A commitment'} draws on {year_label(year)}, before "
                f"the endowment's first year ({year_label(first_year)})."
            )
    return problems


def _quarterly_factor(annual_return: float) -> float:
    return float((1.0 + annual_return) ** 0.25 - 1.0)


def plan(
    *,
    opening_value_pence: int,
    first_year: int,
    quarters: Sequence[Quarter] = (),
    rule: SpendingRule | None = None,
    commitments: Iterable[Commitment] = (),
    years_ahead: int = 5,
    assumed_annual_return: float = 0.0,
    prior_quarter_values: Sequence[int] = (),
) -> Plan:
    """The ledger of the recorded quarters, projected `years_ahead` years past the last year
    with a recorded quarter (and far enough to cover every commitment), with each year's
    distributable amount, commitments and what is left.

    Raises ValidationFailed for a ledger that cannot be: negative capital or grants, a quarter
    that takes the value below zero, a commitment before the first year.
    """
    rule = rule or SpendingRule()
    commitments = tuple(commitments)
    quarters = tuple(quarters)
    prior = tuple(prior_quarter_values)
    if opening_value_pence < 0:
        raise ValidationFailed("The opening value cannot be negative.", field="opening_value")
    if not 0 <= years_ahead <= 100:
        raise ValidationFailed("Project between 0 and 100 years ahead.", field="years_ahead")
    if not math.isfinite(assumed_annual_return) or not -1.0 < assumed_annual_return <= 1.0:
        raise ValidationFailed(
            "The assumed annual return must be above -100% and at most 100%.",
            field="assumed_annual_return",
        )
    if any(value < 0 for value in prior):
        raise ValidationFailed(
            "Earlier quarter-end values cannot be negative.", field="prior_quarter_values"
        )
    problems: list[str] = []
    for commitment in commitments:
        problems += _commitment_problems(commitment, first_year)
    if problems:
        raise ValidationFailed(" ".join(problems), field="commitments")

    value = opening_value_pence
    for index, quarter in enumerate(quarters):
        year = first_year + index // QUARTERS_PER_YEAR
        where = f"Quarter {index % QUARTERS_PER_YEAR + 1} of {year_label(year)}"
        if quarter.capital_added_pence < 0:
            raise ValidationFailed(
                f"{where}: capital added cannot be negative; record a withdrawal of capital as a "
                "grant paid or a negative return.",
                field="capital_added",
            )
        if quarter.grants_paid_pence < 0:
            raise ValidationFailed(f"{where}: grants paid cannot be negative.", field="grants_paid")
        after = value + quarter.capital_added_pence + quarter.return_pence
        if after < 0:
            raise ValidationFailed(
                f"{where}: a return of {pounds(quarter.return_pence)} takes the endowment below "
                "zero.",
                field="return",
            )
        if quarter.grants_paid_pence > after:
            raise ValidationFailed(
                f"{where}: grants paid of {pounds(quarter.grants_paid_pence)} are more than the "
                f"endowment holds ({pounds(after)}).",
                field="grants_paid",
            )
        value = after - quarter.grants_paid_pence

    recorded_years = -(-len(quarters) // QUARTERS_PER_YEAR)
    last_year = first_year + max(recorded_years, 1) - 1 + years_ahead
    for commitment in commitments:
        if commitment.amounts_pence:
            last_year = max(last_year, max(commitment.amounts_pence))

    committed: dict[int, int] = {}
    for commitment in commitments:
        for year, amount in commitment.amounts_pence.items():
            committed[year] = committed.get(year, 0) + amount

    factor = _quarterly_factor(assumed_annual_return)
    history: list[int] = list(prior)  # quarter-end values, oldest first
    ends: list[int] = []
    lines: list[YearLine] = []
    value = opening_value_pence
    for year in range(first_year, last_year + 1):
        window = history[-rule.quarters :]
        if window:
            distributable = rule.distributable(window)
            average = sum(window) // len(window)
        else:
            distributable = rule.distributable([value])
            average = value
        opening = value
        added = returns = paid = 0
        recorded = 0
        start = (year - first_year) * QUARTERS_PER_YEAR
        for step in range(QUARTERS_PER_YEAR):
            index = start + step
            if index < len(quarters):
                quarter = quarters[index]
                recorded += 1
                added += quarter.capital_added_pence
                returns += quarter.return_pence
                paid += quarter.grants_paid_pence
                value += quarter.capital_added_pence + quarter.return_pence
                value -= quarter.grants_paid_pence
            else:
                gain = round(value * factor)
                value = max(0, value + gain)
                quarters_left = QUARTERS_PER_YEAR - step
                due = max(0, distributable - paid)
                payment = min(value, due // quarters_left)
                if step == QUARTERS_PER_YEAR - 1:
                    payment = min(value, due)
                returns += gain
                paid += payment
                value -= payment
            history.append(value)
            ends.append(value)
        commit = committed.get(year, 0)
        over = max(0, paid - distributable) if recorded else 0
        line_label = year_label(year)
        if window:
            plural = "s" if len(window) > 1 else ""
            basis = (
                f"the average of the {len(window)} quarter-end value{plural} before it began, "
                f"{pounds(average)}"
            )
        else:
            basis = f"the {pounds(opening)} it started with"
        text = (
            f"{line_label}: the rule allows {pounds(distributable)} "
            f"({rule.rate_basis_points / 100:g}% of {basis}); {pounds(commit)} is committed, "
            f"leaving {pounds(distributable - commit)}."
        )
        if distributable - commit < 0:
            text = text[:-1] + ": over-committed."
        if recorded < QUARTERS_PER_YEAR:
            text += (
                f" {QUARTERS_PER_YEAR - recorded} of its quarters are projected at a "
                f"{assumed_annual_return * 100:g}% annual return, paying out the rest of what the "
                "rule allows."
            )
        if over:
            text += f" Grants paid were {pounds(over)} more than the rule allows."
        lines.append(
            YearLine(
                year=year,
                label=line_label,
                opening_value_pence=opening,
                capital_added_pence=added,
                returns_pence=returns,
                grants_paid_pence=paid,
                closing_value_pence=value,
                window_quarters=len(window),
                average_value_pence=average,
                distributable_pence=distributable,
                committed_pence=commit,
                left_pence=distributable - commit,
                recorded_quarters=recorded,
                paid_over_rule_pence=over,
                explanation=text,
            )
        )
    over_committed = [line.label for line in lines if line.left_pence < 0]
    summary = (
        f"{pounds(opening_value_pence)} at the start of {year_label(first_year)}; "
        f"{pounds(lines[-1].closing_value_pence)} projected at the end of "
        f"{lines[-1].label}. {pounds(sum(committed.values()))} committed across "
        f"{len(commitments)} commitment{'s' if len(commitments) != 1 else ''}."
    )
    if over_committed:
        summary += " Over-committed in " + ", ".join(over_committed) + "."
    return Plan(
        rule=rule,
        first_year=first_year,
        opening_value_pence=opening_value_pence,
        assumed_annual_return=assumed_annual_return,
        quarters=quarters,
        prior_quarter_values=prior,
        commitments=commitments,
        years_ahead=years_ahead,
        years=tuple(lines),
        quarter_end_values=tuple(ends),
        summary=summary,
    )
