"""Sharing a round's budget among recommended applications, weighted by need.

Pure: plain values in, plain values out, no Django. A funder must be able to read the rule it
applies, check any award by hand, and see what a different weighting would have done, so the
rule is written out here in full and every award carries a sentence saying why.

THE RULE
========

1. Eligibility. An application is eligible only if its organisation is of a kind the round
   funds, its beneficiary area lies (at least partly) inside the round's area, its request is
   within the round's smallest and largest grant, its organisation's annual income is within the
   round's limit, and, where the round asks for it, the CVS has verified the organisation. An
   ineligible application gets nothing, and its sentence says which test it failed.

2. Need. Every beneficiary area is a set of neighbourhoods (LSOAs) with their English Indices
   of Deprivation 2019 rank, decile and population, as the caller supplies them: one LSOA, a
   handful, or every LSOA of a local authority. Its need is the population-weighted average of
   how deprived its neighbourhoods are, on a scale of 0 to 100: 100 for the most deprived of
   England's 32,844 neighbourhoods (rank 1), 0 for the least deprived (rank 32,844). A need of
   73 means its people live, on average, in neighbourhoods more deprived than 73% of England's.

3. Priority. priority = (100% - need weight) x score + need weight x need, plus the funder's
   left-behind points if the application serves a left-behind area. The score is the
   assessment score as a share of the rubric's maximum, on the same 0 to 100 scale. The need
   weight (0% to 100%) is the funder's choice. An application serves a left-behind area if it
   is on the funder's own list (for example the Community Needs Index wards) or, unless the
   funder turns this off, at least half of its beneficiaries live in IMD decile 1
   neighbourhoods.

4. Order. Applications are considered from the highest priority down. Equal priorities are
   settled by higher need, then higher score, then the smaller request, then the application
   reference in alphabetical order, so the same inputs always give the same awards, whatever
   order they arrive in.

5. The ring-fence for the most deprived areas. If the funder sets a minimum share (say 40%),
   that share of the budget, rounded up to the penny, is set aside first. An application counts
   toward it when at least half of its beneficiaries live in neighbourhoods in the most deprived
   deciles the funder names (1 and 2 unless it says otherwise). Going down the order, those
   applications alone are funded, until what they have been awarded reaches the ring-fence.
   Then the open round begins.

6. The open round. Going down the order again, every eligible application not yet funded is
   offered its award from what is left of the budget.

7. The amount. An award is the full request while the budget allows. When less is left than
   the request, the application is offered what is left if that is at least its minimum viable
   amount; if it gave no minimum viable amount, it needs its whole request. Otherwise it is
   passed over, and the next application (which may ask for less) is considered. No award is
   ever more than the request, and the awards never add up to more than the budget.

What if
-------

`what_if` runs the same round again with another need weight and gives, for every application,
what it would get and where it would rank instead, in a sentence ("With need counted at 70%
instead of 40%: £12,000 instead of £0 (£12,000 more); ranked 31st instead of 58th."), and for
the round how many would gain or lose and what the most deprived areas would get.

What is guaranteed
------------------

- The ring-fence is met whenever the eligible applications that count toward it asked for at
  least the ring-fence in total and none of them needs more than (budget - ring-fence) as its
  minimum viable amount (or, with no minimum, its request). When it is not met, the result says
  exactly why: how much they asked for, and which could not be fitted.
- Raising the need weight never moves an application below one that has less (or equal) need
  and a higher (or equal) score. It is exact: the arithmetic is in whole numbers, so there is no
  rounding to tip a near tie.
- When every application accepts a partial award (a minimum viable amount of 1p), raising the
  need weight never lowers the award of the application with the largest need-minus-score in
  the round, unless a ring-fence applies and that application does not count toward it (the
  ring-fence can then spend differently before its turn).

Money is integer pence throughout; scores and need are kept as whole parts per million.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from fractions import Fraction
from typing import Final

from covenant.core.errors import ValidationFailed
from covenant.funds.money import ordinal, percent, pounds

#: England's LSOAs (2011) in the Indices of Deprivation 2019: ranks run 1 to 32,844.
ENGLAND_LSOAS: Final = 32_844
#: Scores, need and weights are held as whole parts per million, so priorities compare exactly.
PPM: Final = 1_000_000
_PPM2: Final = PPM * PPM


class Binding(StrEnum):
    """A rule that decided (or capped) what an application got."""

    ELIGIBILITY = "eligibility"  # not eligible, so nothing
    REQUEST = "request"  # got all it asked for: the request was the limit
    BUDGET = "budget"  # got less than it asked for because the budget ran short
    MINIMUM = "minimum"  # the budget left was below what it could work with
    SHARE = "share"  # the ring-fence for the most deprived areas funded it, or went first


# Inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    """One LSOA (2011) as the English Indices of Deprivation 2019 describe it."""

    lsoa_code: str
    imd_rank: int  # 1 is the most deprived of England's 32,844
    imd_decile: int  # 1 is the most deprived tenth
    population: int
    lad_code: str = ""


@dataclass(frozen=True, slots=True)
class Area:
    """A beneficiary area, reduced to what the rule needs. Build it with `Area.of`, once per
    area: applications serving the same local authority can share one."""

    name: str
    codes: frozenset[str]  # its LSOA codes and local authority codes, for the area test
    population: int
    need_ppm: int  # 0 (least deprived) to 1,000,000 (most deprived)
    population_by_decile: tuple[int, ...]  # ten counts, IMD decile 1 first
    neighbourhoods: int

    @classmethod
    def of(
        cls,
        name: str,
        neighbourhoods: Iterable[Neighbourhood],
        *,
        local_authority: str | None = None,
    ) -> Area:
        """The area made of these neighbourhoods. `local_authority` adds that code to the
        codes the round's area test looks at (the LSOAs' own `lad_code`s are added anyway)."""
        codes: set[str] = set()
        by_decile = [0] * 10
        population = 0
        weighted_rank_gap = 0
        count = 0
        for place in neighbourhoods:
            if place.lsoa_code in codes:
                raise ValidationFailed(
                    f"{name} lists neighbourhood {place.lsoa_code} twice; list each once.",
                    field="area",
                )
            if not 1 <= place.imd_rank <= ENGLAND_LSOAS:
                raise ValidationFailed(
                    f"{place.lsoa_code} has IMD rank {place.imd_rank}; ranks run from 1 (most "
                    f"deprived) to {ENGLAND_LSOAS:,}.",
                    field="area",
                )
            if not 1 <= place.imd_decile <= 10:
                raise ValidationFailed(
                    f"{place.lsoa_code} has IMD decile {place.imd_decile}; deciles run 1 to 10.",
                    field="area",
                )
            if place.population < 0:
                raise ValidationFailed(
                    f"{place.lsoa_code} has a negative population ({place.population}).",
                    field="area",
                )
            codes.add(place.lsoa_code)
            if place.lad_code:
                codes.add(place.lad_code)
            by_decile[place.imd_decile - 1] += place.population
            population += place.population
            weighted_rank_gap += place.population * (ENGLAND_LSOAS - place.imd_rank)
            count += 1
        if count == 0:
            raise ValidationFailed(
                f"{name} has no neighbourhoods: give the LSOAs its beneficiaries live in.",
                field="area",
            )
        if population == 0:
            raise ValidationFailed(
                f"{name} has no population: give each neighbourhood its IoD2019 population.",
                field="area",
            )
        if local_authority:
            codes.add(local_authority)
        denominator = population * (ENGLAND_LSOAS - 1)
        need_ppm = (2 * weighted_rank_gap * PPM + denominator) // (2 * denominator)
        return cls(
            name=name,
            codes=frozenset(codes),
            population=population,
            need_ppm=need_ppm,
            population_by_decile=tuple(by_decile),
            neighbourhoods=count,
        )

    @property
    def need(self) -> float:
        """Need on the 0-100 scale of the rule."""
        return self.need_ppm * 100 / PPM

    def population_in_deciles(self, deciles: int) -> int:
        """How many of its people live in neighbourhoods in IMD deciles 1..`deciles`."""
        return sum(self.population_by_decile[:deciles])

    def mostly_in_deciles(self, deciles: int) -> bool:
        """At least half its people live in IMD deciles 1..`deciles` (exact, in whole people)."""
        return 2 * self.population_in_deciles(deciles) >= self.population


@dataclass(frozen=True, slots=True)
class Application:
    """A recommended application, as the allocation sees it."""

    id: str
    organisation_kind: str
    requested_pence: int
    score: float  # the assessment score, out of `Rules.score_out_of`
    area: Area
    minimum_pence: int | None = None  # the least it could work with; None: the whole request
    left_behind: bool = False  # on the funder's own left-behind list
    verified: bool = False  # the CVS has verified the organisation
    annual_income_pence: int | None = None


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Who may be funded. None means the round sets no such test."""

    organisation_kinds: frozenset[str] | None = None
    area_codes: frozenset[str] | None = None  # LSOA or local authority codes
    smallest_request_pence: int = 1
    largest_request_pence: int | None = None
    largest_income_pence: int | None = None
    verified_only: bool = False


@dataclass(frozen=True, slots=True)
class Rules:
    """The funder's settings for one allocation."""

    budget_pence: int
    eligibility: Eligibility = field(default_factory=Eligibility)
    need_weight: float = 0.5  # 0.0 (score only) to 1.0 (need only)
    score_out_of: float = 100.0
    left_behind_points: float = 0.0  # points out of 100 added to a left-behind application
    decile_one_is_left_behind: bool = True
    most_deprived_share: float = 0.0  # share of the budget ring-fenced, 0.0 to 1.0
    most_deprived_deciles: int = 2


# Results -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Award:
    """What one application got, and why."""

    application_id: str
    requested_pence: int
    awarded_pence: int
    eligible: bool
    ineligible_because: tuple[str, ...]
    rank: int | None  # 1 is first in the order; None if not eligible
    priority: float | None  # on the 0-100 scale (more with left-behind points)
    score: float  # 0-100
    need: float  # 0-100
    left_behind: bool
    counts_toward_share: bool
    ring_fenced: bool  # funded from the ring-fence for the most deprived areas
    budget_left_at_turn_pence: int | None
    binding: frozenset[Binding]
    explanation: str

    @property
    def funded(self) -> bool:
        return self.awarded_pence > 0


@dataclass(frozen=True, slots=True)
class ShareOutcome:
    """How the ring-fence for the most deprived areas went."""

    minimum_share: float
    deciles: int
    required_pence: int
    achieved_pence: int  # awarded to applications that count toward it
    met: bool
    explanation: str


@dataclass(frozen=True, slots=True)
class Allocation:
    rules: Rules
    awards: tuple[Award, ...]  # in the order the applications were given
    awarded_pence: int
    unallocated_pence: int
    share: ShareOutcome | None
    summary: str

    def by_id(self) -> dict[str, Award]:
        return {award.application_id: award for award in self.awards}


@dataclass(frozen=True, slots=True)
class Change:
    """One application under two need weights."""

    application_id: str
    awarded_before_pence: int
    awarded_after_pence: int
    rank_before: int | None
    rank_after: int | None
    sentence: str

    @property
    def difference_pence(self) -> int:
        return self.awarded_after_pence - self.awarded_before_pence


@dataclass(frozen=True, slots=True)
class WhatIf:
    need_weight_before: float
    need_weight_after: float
    before: Allocation
    after: Allocation
    changes: tuple[Change, ...]  # in the order the applications were given
    summary: str


# The rule ----------------------------------------------------------------------------------


def _check_rules(rules: Rules) -> None:
    if rules.budget_pence < 0:
        raise ValidationFailed("The budget cannot be negative.", field="budget_pence")
    if not 0.0 <= rules.need_weight <= 1.0:
        raise ValidationFailed(
            "The need weight must be between 0% (score only) and 100% (need only).",
            field="need_weight",
        )
    if not rules.score_out_of > 0 or not math.isfinite(rules.score_out_of):
        raise ValidationFailed("The rubric's maximum score must be above 0.", field="score_out_of")
    if not 0.0 <= rules.left_behind_points <= 100.0:
        raise ValidationFailed(
            "Left-behind priority must be between 0 and 100 points.", field="left_behind_points"
        )
    if not 0.0 <= rules.most_deprived_share <= 1.0:
        raise ValidationFailed(
            "The minimum share for the most deprived areas must be between 0% and 100%.",
            field="most_deprived_share",
        )
    if not 1 <= rules.most_deprived_deciles <= 10:
        raise ValidationFailed(
            "The most deprived areas are IMD deciles 1 to n, with n from 1 to 10.",
            field="most_deprived_deciles",
        )
    rule = rules.eligibility
    if rule.smallest_request_pence < 1:
        raise ValidationFailed(
            "The smallest grant must be at least 1p.", field="smallest_request_pence"
        )
    if rule.largest_request_pence is not None and (
        rule.largest_request_pence < rule.smallest_request_pence
    ):
        raise ValidationFailed(
            "The largest grant is smaller than the smallest grant.", field="largest_request_pence"
        )


def _check_application(app: Application, rules: Rules) -> None:
    where = f"Application {app.id}"
    if not app.id:
        raise ValidationFailed("Every application needs a reference.", field="id")
    if app.requested_pence < 1:
        raise ValidationFailed(
            f"{where} asks for {pounds(app.requested_pence)}; a request must be at least 1p.",
            field="requested_pence",
        )
    if app.minimum_pence is not None and not 1 <= app.minimum_pence <= app.requested_pence:
        raise ValidationFailed(
            f"{where} gives a minimum viable amount of {pounds(app.minimum_pence)}; it must be "
            f"between 1p and its request of {pounds(app.requested_pence)}.",
            field="minimum_pence",
        )
    if not math.isfinite(app.score) or not 0 <= app.score <= rules.score_out_of:
        raise ValidationFailed(
            f"{where} has a score of {app.score}; scores run from 0 to {rules.score_out_of:g}.",
            field="score",
        )
    if app.annual_income_pence is not None and app.annual_income_pence < 0:
        raise ValidationFailed(f"{where} has a negative annual income.", field="annual_income")


def _ineligible_because(app: Application, rule: Eligibility) -> tuple[str, ...]:
    reasons: list[str] = []
    if rule.organisation_kinds is not None and app.organisation_kind not in rule.organisation_kinds:
        kinds = ", ".join(sorted(rule.organisation_kinds)) or "none"
        reasons.append(
            f"its organisation kind ({app.organisation_kind}) is not one this round funds ({kinds})"
        )
    if rule.area_codes is not None and not (app.area.codes & rule.area_codes):
        reasons.append(f"its beneficiary area ({app.area.name}) is outside the round's area")
    if app.requested_pence < rule.smallest_request_pence:
        reasons.append(
            f"it asks for {pounds(app.requested_pence)} and the round's smallest grant is "
            f"{pounds(rule.smallest_request_pence)}"
        )
    if rule.largest_request_pence is not None and app.requested_pence > rule.largest_request_pence:
        reasons.append(
            f"it asks for {pounds(app.requested_pence)} and the round's largest grant is "
            f"{pounds(rule.largest_request_pence)}"
        )
    if rule.largest_income_pence is not None:
        if app.annual_income_pence is None:
            reasons.append(
                "its organisation's annual income is not known and the round has an income "
                f"limit of {pounds(rule.largest_income_pence)}"
            )
        elif app.annual_income_pence > rule.largest_income_pence:
            reasons.append(
                f"its organisation's annual income ({pounds(app.annual_income_pence)}) is above "
                f"the round's limit of {pounds(rule.largest_income_pence)}"
            )
    if rule.verified_only and not app.verified:
        reasons.append("its organisation has not been verified by the CVS, which this round asks")
    return tuple(reasons)


def _ring_fence(rules: Rules) -> int:
    """The share of the budget set aside, rounded up to the penny. The share is read as the
    decimal the funder typed (0.4 is 40%), not as its binary approximation, so 40% of £1,000
    is £400 and not £400.01."""
    if rules.most_deprived_share <= 0 or rules.budget_pence == 0:
        return 0
    share = Fraction(repr(rules.most_deprived_share))
    return min(rules.budget_pence, math.ceil(share * rules.budget_pence))


def _deciles_label(deciles: int) -> str:
    return "IMD decile 1" if deciles == 1 else f"IMD deciles 1 to {deciles}"


@dataclass(slots=True)
class _Entry:
    app: Application
    score_ppm: int
    priority: int
    left_behind_why: str | None
    counts: bool
    rank: int = 0
    awarded: int = 0
    ring_fenced: bool = False
    passed_over_by_fence: bool = False
    left_at_turn: int = 0


def allocate(applications: Sequence[Application], rules: Rules) -> Allocation:
    """Apply THE RULE (see the module docstring) to these applications.

    Raises ValidationFailed for input no rule can apply to (a duplicate reference, a request
    under 1p, a score outside the rubric, settings out of range); ineligible applications are
    not errors, they are answered with the reason.
    """
    _check_rules(rules)
    seen: set[str] = set()
    for app in applications:
        _check_application(app, rules)
        if app.id in seen:
            raise ValidationFailed(
                f"Application {app.id} appears twice; each application is allocated once.",
                field="id",
            )
        seen.add(app.id)

    weight = round(rules.need_weight * PPM)
    bonus = round(rules.left_behind_points / 100 * PPM) * PPM
    deciles = rules.most_deprived_deciles
    share_active = rules.most_deprived_share > 0
    ineligible: dict[str, tuple[str, ...]] = {}
    entries: list[_Entry] = []
    entry_of: dict[str, _Entry] = {}
    for app in applications:
        score_ppm = min(PPM, round(app.score / rules.score_out_of * PPM))
        why_left_behind: str | None = None
        if app.left_behind:
            why_left_behind = "it is on the funder's left-behind list"
        elif rules.decile_one_is_left_behind and app.area.mostly_in_deciles(1):
            why_left_behind = "at least half its beneficiaries live in IMD decile 1 neighbourhoods"
        priority = (PPM - weight) * score_ppm + weight * app.area.need_ppm
        if why_left_behind is not None:
            priority += bonus
        entry = _Entry(
            app=app,
            score_ppm=score_ppm,
            priority=priority,
            left_behind_why=why_left_behind,
            counts=share_active and app.area.mostly_in_deciles(deciles),
        )
        entry_of[app.id] = entry
        reasons = _ineligible_because(app, rules.eligibility)
        if reasons:
            ineligible[app.id] = reasons
        else:
            entries.append(entry)

    entries.sort(
        key=lambda e: (
            -e.priority,
            -e.app.area.need_ppm,
            -e.score_ppm,
            e.app.requested_pence,
            e.app.id,
        )
    )
    for position, entry in enumerate(entries, start=1):
        entry.rank = position

    def offer(app: Application, left: int) -> int:
        if left >= app.requested_pence:
            return app.requested_pence
        floor = app.requested_pence if app.minimum_pence is None else app.minimum_pence
        return left if left > 0 and left >= floor else 0

    remaining = rules.budget_pence
    ring_fence = _ring_fence(rules)
    reserved_so_far = 0
    if ring_fence:
        for entry in entries:
            if reserved_so_far >= ring_fence or remaining == 0:
                break
            if not entry.counts:
                continue
            entry.left_at_turn = remaining
            amount = offer(entry.app, remaining)
            if amount:
                entry.awarded = amount
                entry.ring_fenced = True
                remaining -= amount
                reserved_so_far += amount
            else:
                entry.passed_over_by_fence = True
    for entry in entries:
        if entry.awarded:
            continue
        entry.left_at_turn = remaining
        amount = offer(entry.app, remaining)
        entry.awarded = amount
        remaining -= amount

    # Ring-fenced money below each rank, to say when the ring-fence went first.
    ring_fenced_below: list[int] = [0] * (len(entries) + 1)
    for index in range(len(entries) - 1, -1, -1):
        entry = entries[index]
        ring_fenced_below[index] = ring_fenced_below[index + 1] + (
            entry.awarded if entry.ring_fenced else 0
        )

    share = _share_outcome(rules, entries, ring_fence) if share_active else None
    eligible_count = len(entries)
    weight_text = percent(weight / PPM)
    score_weight_text = percent((PPM - weight) / PPM)
    awards: list[Award] = []
    for app in applications:
        entry = entry_of[app.id]
        if app.id in ineligible:
            reasons = ineligible[app.id]
            awards.append(
                Award(
                    application_id=app.id,
                    requested_pence=app.requested_pence,
                    awarded_pence=0,
                    eligible=False,
                    ineligible_because=reasons,
                    rank=None,
                    priority=None,
                    score=entry.score_ppm * 100 / PPM,
                    need=app.area.need,
                    left_behind=entry.left_behind_why is not None,
                    counts_toward_share=entry.counts,
                    ring_fenced=False,
                    budget_left_at_turn_pence=None,
                    binding=frozenset({Binding.ELIGIBILITY}),
                    explanation="Not eligible, so not funded: " + "; ".join(reasons) + ".",
                )
            )
            continue
        displaced_by = 0
        if not entry.counts and entry.awarded < app.requested_pence:
            displaced_by = ring_fenced_below[entry.rank]
        binding, outcome = _outcome(entry, ring_fence, rules, displaced_by)
        lb_text = ""
        if entry.left_behind_why is not None and bonus:
            lb_text = (
                f", plus {rules.left_behind_points:g} points for a left-behind area "
                f"({entry.left_behind_why})"
            )
        share_text = ""
        if share_active:
            in_deciles = app.area.population_in_deciles(deciles) / app.area.population
            label = _deciles_label(deciles)
            if entry.counts:
                share_text = (
                    f" It counts toward the ring-fence for the most deprived areas: "
                    f"{percent(in_deciles)} of its beneficiaries live in {label} "
                    "neighbourhoods."
                )
            else:
                share_text = (
                    f" It does not count toward the ring-fence for the most deprived areas: "
                    f"{percent(in_deciles)} of its beneficiaries live in {label} "
                    "neighbourhoods, and counting takes at least half."
                )
        explanation = (
            f"Ranked {ordinal(entry.rank)} of {eligible_count:,} eligible applications, with "
            f"priority {entry.priority * 100 / _PPM2:.1f} (score {entry.score_ppm * 100 / PPM:.0f}"
            f" of 100 counted at {score_weight_text}, need {app.area.need:.0f} of 100 counted at "
            f"{weight_text}{lb_text}).{share_text} {outcome}"
        )
        awards.append(
            Award(
                application_id=app.id,
                requested_pence=app.requested_pence,
                awarded_pence=entry.awarded,
                eligible=True,
                ineligible_because=(),
                rank=entry.rank,
                priority=entry.priority * 100 / _PPM2,
                score=entry.score_ppm * 100 / PPM,
                need=app.area.need,
                left_behind=entry.left_behind_why is not None,
                counts_toward_share=entry.counts,
                ring_fenced=entry.ring_fenced,
                budget_left_at_turn_pence=entry.left_at_turn,
                binding=binding,
                explanation=explanation,
            )
        )

    awarded = rules.budget_pence - remaining
    summary = _summary(rules, entries, len(ineligible), awarded, remaining, share)
    return Allocation(
        rules=rules,
        awards=tuple(awards),
        awarded_pence=awarded,
        unallocated_pence=remaining,
        share=share,
        summary=summary,
    )


def _outcome(
    entry: _Entry, ring_fence: int, rules: Rules, displaced_by: int
) -> tuple[frozenset[Binding], str]:
    app = entry.app
    binding: set[Binding] = set()
    fence = ""
    if entry.ring_fenced:
        binding.add(Binding.SHARE)
        fence = (
            f", from the {pounds(ring_fence)} ring-fence kept for the most deprived areas "
            f"({percent(rules.most_deprived_share)} of the budget)"
        )
    if entry.awarded == app.requested_pence:
        binding.add(Binding.REQUEST)
        text = f"Awarded the full {pounds(app.requested_pence)} requested{fence}."
    elif entry.awarded > 0:
        binding.add(Binding.BUDGET)
        minimum = app.minimum_pence if app.minimum_pence is not None else app.requested_pence
        text = (
            f"Awarded {pounds(entry.awarded)} of the {pounds(app.requested_pence)} requested"
            f"{fence}: that was all the budget left when its turn came, and it is no less than "
            f"its minimum viable amount of {pounds(minimum)}."
        )
    elif entry.left_at_turn == 0:
        binding.add(Binding.BUDGET)
        text = "Not funded: the budget had all been awarded before its turn."
    else:
        binding.update((Binding.BUDGET, Binding.MINIMUM))
        left = pounds(entry.left_at_turn)
        if app.minimum_pence is None:
            text = (
                f"Not funded: {left} of the budget was left when its turn came, less than the "
                f"{pounds(app.requested_pence)} it asked for, and it gave no smaller minimum "
                "viable amount it could work with."
            )
        else:
            text = (
                f"Not funded: {left} of the budget was left when its turn came, less than its "
                f"minimum viable amount of {pounds(app.minimum_pence)}."
            )
    if displaced_by:
        binding.add(Binding.SHARE)
        text += (
            f" The ring-fence for the most deprived areas had first given {pounds(displaced_by)} "
            "to lower-ranked applications serving those areas."
        )
    return frozenset(binding), text


def _share_outcome(rules: Rules, entries: Sequence[_Entry], ring_fence: int) -> ShareOutcome:
    label = _deciles_label(rules.most_deprived_deciles)
    achieved = sum(e.awarded for e in entries if e.counts)
    share_text = percent(rules.most_deprived_share)
    budget = pounds(rules.budget_pence)
    if achieved >= ring_fence:
        of_budget = achieved / rules.budget_pence if rules.budget_pence else 1.0
        text = (
            f"{pounds(achieved)} ({percent(of_budget)} of the {budget} budget) went to "
            f"applications serving the most deprived areas ({label}), meeting the minimum of "
            f"{share_text} ({pounds(ring_fence)})."
        )
        met = True
    else:
        met = False
        counting = [e for e in entries if e.counts]
        asked = sum(e.app.requested_pence for e in counting)
        text = (
            f"The minimum share was not met: {share_text} of the {budget} budget "
            f"({pounds(ring_fence)}) is kept for applications serving the most deprived areas "
            f"({label}), and {pounds(achieved)} went to them."
        )
        if asked < ring_fence:
            text += (
                f" The eligible applications serving those areas asked for only {pounds(asked)} "
                "in all."
            )
        passed_over = [e for e in counting if e.passed_over_by_fence]
        if passed_over:
            listed = ", ".join(e.app.id for e in passed_over[:10])
            more = f" and {len(passed_over) - 10:,} more" if len(passed_over) > 10 else ""
            text += (
                " These serve them but were passed over, because the budget left at their turn "
                "was less than their minimum viable amount (or their whole request, where they "
                f"gave none): {listed}{more}."
            )
        text += " The rest of the budget went to the open round."
    return ShareOutcome(
        minimum_share=rules.most_deprived_share,
        deciles=rules.most_deprived_deciles,
        required_pence=ring_fence,
        achieved_pence=achieved,
        met=met,
        explanation=text,
    )


def _summary(
    rules: Rules,
    entries: Sequence[_Entry],
    ineligible: int,
    awarded: int,
    remaining: int,
    share: ShareOutcome | None,
) -> str:
    funded = sum(1 for e in entries if e.awarded)
    total = len(entries) + ineligible
    text = (
        f"Awarded {pounds(awarded)} of the {pounds(rules.budget_pence)} budget to {funded:,} of "
        f"{total:,} applications ({ineligible:,} not eligible), with need counted at "
        f"{percent(rules.need_weight)} and the assessment score at "
        f"{percent(1 - rules.need_weight)}."
    )
    if remaining:
        if any(e.awarded < e.app.requested_pence for e in entries):
            text += (
                f" {pounds(remaining)} is left unallocated: no application still waiting could "
                "work with that little."
            )
        else:
            text += f" Every eligible application was funded in full; {pounds(remaining)} is left."
    if share is not None:
        text += " " + share.explanation
    return text


def what_if(
    applications: Sequence[Application],
    rules: Rules,
    *,
    need_weight: float,
    before: Allocation | None = None,
) -> WhatIf:
    """Run the same round with another need weight and say, for each application, what would
    change. Pass `before` if the allocation under `rules` is already at hand."""
    if before is None:
        before = allocate(applications, rules)
    after = allocate(applications, replace(rules, need_weight=need_weight))
    was = percent(rules.need_weight)
    now = percent(need_weight)
    lead = f"With need counted at {now} instead of {was}"
    changes: list[Change] = []
    more = less = newly_funded = newly_unfunded = 0
    gained = lost = 0
    after_by_id: Mapping[str, Award] = after.by_id()
    for old in before.awards:
        new = after_by_id[old.application_id]
        if not old.eligible:
            sentence = f"{lead}: still not eligible, so still nothing."
        else:
            rank = (
                f"ranked {ordinal(new.rank or 0)} instead of {ordinal(old.rank or 0)}"
                if new.rank != old.rank
                else f"still ranked {ordinal(new.rank or 0)}"
            )
            difference = new.awarded_pence - old.awarded_pence
            if difference > 0:
                sentence = (
                    f"{lead}: {pounds(new.awarded_pence)} instead of {pounds(old.awarded_pence)} "
                    f"({pounds(difference)} more); {rank}."
                )
                more += 1
                gained += difference
            elif difference < 0:
                sentence = (
                    f"{lead}: {pounds(new.awarded_pence)} instead of {pounds(old.awarded_pence)} "
                    f"({pounds(-difference)} less); {rank}."
                )
                less += 1
                lost -= difference
            else:
                sentence = f"{lead}: no change to its award of {pounds(new.awarded_pence)}; {rank}."
            if new.awarded_pence and not old.awarded_pence:
                newly_funded += 1
            elif old.awarded_pence and not new.awarded_pence:
                newly_unfunded += 1
        changes.append(
            Change(
                application_id=old.application_id,
                awarded_before_pence=old.awarded_pence,
                awarded_after_pence=new.awarded_pence,
                rank_before=old.rank,
                rank_after=new.rank,
                sentence=sentence,
            )
        )
    summary = (
        f"{lead}, {more:,} applications would get more ({pounds(gained)} in all) and {less:,} "
        f"less ({pounds(lost)} in all); {newly_funded:,} would be funded that are not now, and "
        f"{newly_unfunded:,} funded now would not be."
    )
    if before.share is not None and after.share is not None:
        summary += (
            f" The most deprived areas would get {pounds(after.share.achieved_pence)} instead of "
            f"{pounds(before.share.achieved_pence)}."
        )
    return WhatIf(
        need_weight_before=rules.need_weight,
        need_weight_after=need_weight,
        before=before,
        after=after,
        changes=tuple(changes),
        summary=summary,
    )
