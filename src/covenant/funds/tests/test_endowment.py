"""The endowment's spending rule: worked examples by hand, and the ledger's invariants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from covenant.core.errors import ValidationFailed
from covenant.funds.endowment import (
    Commitment,
    Quarter,
    SpendingRule,
    plan,
    year_label,
)

MILLION = 100_000_000  # £1,000,000 in pence


def worked_example_quarters() -> list[Quarter]:
    # Year 1: +£20,000 a quarter, £10,000 paid a quarter. Year 2: no return, £10,250 paid.
    return [Quarter(return_pence=2_000_000, grants_paid_pence=1_000_000)] * 4 + [
        Quarter(grants_paid_pence=1_025_000)
    ] * 4


def test_worked_example_the_first_three_years() -> None:
    result = plan(
        opening_value_pence=MILLION,
        first_year=2025,
        quarters=worked_example_quarters(),
        years_ahead=0,
    )
    first, second = result.years
    # Year 1: nothing behind it, so 4% of the £1,000,000 it started with.
    assert first.distributable_pence == 4_000_000
    assert first.window_quarters == 0
    # Quarter-ends: £1,010,000, £1,020,000, £1,030,000, £1,040,000; average £1,025,000.
    assert result.quarter_end_values[:4] == (101_000_000, 102_000_000, 103_000_000, 104_000_000)
    assert second.window_quarters == 4
    assert second.distributable_pence == 4_100_000  # 4% of £1,025,000 = £41,000
    assert second.closing_value_pence == 99_900_000  # £1,040,000 - 4 x £10,250
    assert "£41,000 (4% of the average of the 4 quarter-end values" in second.explanation
    assert not first.projected
    assert not second.projected
    # Year 3 (projected with a 0% return): 8 quarter-ends summing to £8,157,500.
    ahead = plan(
        opening_value_pence=MILLION,
        first_year=2025,
        quarters=worked_example_quarters(),
        years_ahead=1,
    )
    third = ahead.year(2027)
    assert third.window_quarters == 8
    assert third.distributable_pence == 4_078_750  # £40,787.50
    assert third.projected
    # Paying the whole £40,787.50 in four parts (the last takes the odd pennies).
    assert third.grants_paid_pence == 4_078_750
    assert third.closing_value_pence == 99_900_000 - 4_078_750


def test_full_window_uses_only_the_last_twelve_quarters() -> None:
    # A value of £1m for 12 quarters, then it doubles: year 5 looks at quarters 5..16 only.
    quarters = [Quarter()] * 12 + [Quarter(capital_added_pence=MILLION)] + [Quarter()] * 3
    result = plan(opening_value_pence=MILLION, first_year=2020, quarters=quarters, years_ahead=1)
    year4, year5 = result.year(2023), result.year(2024)
    assert year4.window_quarters == 12
    assert year4.distributable_pence == 4_000_000
    # Quarters 5..16: eight at £1m and four at £2m: average £1,333,333.33.
    assert year5.window_quarters == 12
    assert year5.distributable_pence == (8 * MILLION + 4 * 2 * MILLION) * 400 // (10_000 * 12)


def test_prior_history_is_used_from_the_first_year() -> None:
    result = plan(
        opening_value_pence=MILLION,
        first_year=2025,
        prior_quarter_values=[80_000_000, 120_000_000],
        years_ahead=0,
    )
    assert result.years[0].window_quarters == 2
    assert result.years[0].distributable_pence == 4_000_000  # average £1m


def test_commitments_draw_on_future_years_and_say_what_is_left() -> None:
    base = plan(
        opening_value_pence=MILLION,
        first_year=2025,
        quarters=worked_example_quarters(),
        years_ahead=2,
    )
    grant = Commitment("G-1", {2026: 1_000_000, 2027: 3_000_000})
    after = base.with_commitment(grant)
    assert after.year(2026).committed_pence == 1_000_000
    assert after.year(2026).left_pence == 3_100_000
    assert after.year(2027).left_pence == base.year(2027).left_pence - 3_000_000
    too_much = Commitment("G-2", {2027: after.year(2027).left_pence + 1, 2030: 100})
    reasons = after.refusals(too_much)
    assert len(reasons) == 2
    assert reasons[0].startswith("2027/28: G-2 needs")
    assert "projected" in reasons[0]
    assert "the plan reaches only 2028/29" in reasons[1]
    with pytest.raises(ValidationFailed, match="does not fit the spending rule") as caught:
        after.with_commitment(too_much)
    assert caught.value.errors["amounts"] == reasons
    exact = Commitment("G-3", {2027: after.year(2027).left_pence})
    assert after.refusals(exact) == []
    assert after.with_commitment(exact).year(2027).left_pence == 0


def test_a_commitment_given_to_the_plan_extends_it_and_shows_over_commitment() -> None:
    result = plan(
        opening_value_pence=MILLION,
        first_year=2025,
        years_ahead=0,
        commitments=[Commitment("G", {2025: 5_000_000, 2028: 1})],
    )
    assert result.last_year == 2028
    assert result.year(2025).left_pence == -1_000_000
    assert "over-committed" in result.year(2025).explanation
    assert "Over-committed in 2025/26" in result.summary


@pytest.mark.parametrize(
    ("quarters", "message"),
    [
        ([Quarter(capital_added_pence=-1)], "capital added cannot be negative"),
        ([Quarter(grants_paid_pence=-1)], "grants paid cannot be negative"),
        ([Quarter(return_pence=-MILLION - 1)], "below zero"),
        ([Quarter(grants_paid_pence=MILLION + 1)], "more than the endowment holds"),
    ],
)
def test_impossible_ledgers_are_refused(quarters: list[Quarter], message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        plan(opening_value_pence=MILLION, first_year=2025, quarters=quarters)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="spending rate"):
        SpendingRule(rate_basis_points=10_001)
    with pytest.raises(ValidationFailed, match="before the endowment's first year"):
        plan(
            opening_value_pence=MILLION,
            first_year=2025,
            commitments=[Commitment("old", {2024: 1})],
        )
    with pytest.raises(ValidationFailed, match="outside the plan"):
        plan(opening_value_pence=MILLION, first_year=2025, years_ahead=0).year(2030)
    assert year_label(2099) == "2099/00"


def test_paying_more_than_the_rule_allows_is_reported() -> None:
    result = plan(
        opening_value_pence=MILLION,
        first_year=2025,
        quarters=[Quarter(grants_paid_pence=5_000_000)] * 4,
        years_ahead=0,
    )
    assert result.years[0].paid_over_rule_pence == 16_000_000
    assert "£160,000 more than the rule allows" in result.years[0].explanation


# Invariants --------------------------------------------------------------------------------

quarters = st.lists(
    st.builds(
        Quarter,
        capital_added_pence=st.integers(0, 10**9),
        return_pence=st.integers(-(10**7), 10**8),
        grants_paid_pence=st.integers(0, 10**7),
    ),
    max_size=20,
)


def buildable(opening: int, records: list[Quarter]) -> bool:
    value = opening
    for quarter in records:
        value += quarter.capital_added_pence + quarter.return_pence
        if value < 0 or quarter.grants_paid_pence > value:
            return False
        value -= quarter.grants_paid_pence
    return True


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 10**11),
    quarters,
    st.integers(0, 2000),
    st.integers(1, 16),
    st.floats(-0.3, 0.3),
    st.integers(0, 4),
)
def test_ledger_invariants(
    opening: int,
    records: list[Quarter],
    rate: int,
    window: int,
    annual_return: float,
    years_ahead: int,
) -> None:
    if not buildable(opening, records):
        with pytest.raises(ValidationFailed):
            plan(opening_value_pence=opening, first_year=2030, quarters=records)
        return
    rule = SpendingRule(rate_basis_points=rate, quarters=window)
    result = plan(
        opening_value_pence=opening,
        first_year=2030,
        quarters=records,
        rule=rule,
        years_ahead=years_ahead,
        assumed_annual_return=annual_return,
    )
    ends = result.quarter_end_values
    assert len(ends) == 4 * len(result.years)
    previous_close = opening
    for index, line in enumerate(result.years):
        # The books balance, year by year and into the next.
        assert line.opening_value_pence == previous_close
        assert line.closing_value_pence == (
            line.opening_value_pence
            + line.capital_added_pence
            + line.returns_pence
            - line.grants_paid_pence
        )
        assert line.closing_value_pence == ends[4 * index + 3] >= 0
        previous_close = line.closing_value_pence
        # The rule: rate x the average of the quarter-ends before the year, rounded down.
        before = list(ends[: 4 * index])[-window:]
        basis = before or [opening]
        assert line.window_quarters == len(before)
        exact_numerator = sum(basis) * rate
        assert line.distributable_pence == exact_numerator // (10_000 * len(basis))
        assert min(basis) * rate // 10_000 <= line.distributable_pence
        assert line.distributable_pence <= max(basis) * rate // 10_000
        assert line.left_pence == line.distributable_pence - line.committed_pence
        # Recorded quarters are what was recorded; projected ones never pay beyond the rule.
        recorded = records[4 * index : 4 * index + 4]
        assert line.recorded_quarters == len(recorded)
        if len(recorded) == 4:
            assert line.grants_paid_pence == sum(q.grants_paid_pence for q in recorded)
        elif line.paid_over_rule_pence == 0:
            assert line.grants_paid_pence <= line.distributable_pence


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 10**11), st.integers(0, 2000), st.integers(1, 12))
def test_a_steady_endowment_distributes_exactly_its_rate(
    value: int, rate: int, window: int
) -> None:
    # Returns exactly replace what is paid: every quarter-end is the opening value.
    rule = SpendingRule(rate_basis_points=rate, quarters=window)
    first = plan(opening_value_pence=value, first_year=2025, rule=rule, years_ahead=0)
    allowed = first.years[0].distributable_pence
    assert allowed == value * rate // 10_000
    part, rest = divmod(allowed, 4)
    records = [Quarter(return_pence=part, grants_paid_pence=part)] * 3 + [
        Quarter(return_pence=part + rest, grants_paid_pence=part + rest)
    ]
    result = plan(
        opening_value_pence=value, first_year=2025, quarters=records * 4, rule=rule, years_ahead=0
    )
    assert all(line.distributable_pence == allowed for line in result.years)
    assert set(result.quarter_end_values) == {value}


@settings(max_examples=100, deadline=None)
@given(
    st.integers(10**6, 10**11),
    st.dictionaries(st.integers(2025, 2031), st.integers(0, 10**8), max_size=5),
)
def test_commitments_fit_exactly_when_every_year_has_room(
    value: int, amounts: dict[int, int]
) -> None:
    base = plan(opening_value_pence=value, first_year=2025, years_ahead=6)
    commitment = Commitment("C", amounts)
    fits = all(amount <= base.year(year).left_pence for year, amount in amounts.items())
    assert (base.refusals(commitment) == []) == fits
    if fits:
        after = base.with_commitment(commitment)
        for line, old in zip(after.years, base.years, strict=True):
            assert line.left_pence == old.left_pence - amounts.get(line.year, 0)
    else:
        with pytest.raises(ValidationFailed):
            base.with_commitment(commitment)
