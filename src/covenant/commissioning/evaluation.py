"""Evaluate tenders: price, quality and social value into one transparent total per bid.

Plain Python, no Django. Every figure is an exact fraction (`fractions.Fraction`) until it is
shown, so a total can never drift past 100 by rounding, two bids that are level are exactly
level, and the tie-break rules below decide them rather than the last bit of a float.

Award criteria
    Each criterion has a kind (price, quality or social value) and a weight in percentage
    points; the weights of all criteria add up to exactly 100. Quality and social value are
    usually split into sub-criteria (each its own `Criterion`, with an optional `reference`
    such as "MAC 2.1" from the Social Value Model). Social value must carry at least 10% of
    the total weighting, the minimum PPN 06/20 sets; a node may raise that floor, never lower
    it. There is at most one price criterion; a quality-only tender has none.

Price (a published method; M is the price weight, P the bid's price, L the lowest price among
the bids scored, H the highest, mu their mean, B the tender's budget)
    relative                M * L / P. The lowest price gets full marks; a bid twice the
                            lowest gets half.
    difference_from_lowest  M * max(0, 1 - (P - L) / L). Each 1% above the lowest costs 1% of
                            the marks; a bid at twice the lowest or more gets nothing.
    difference_from_mean    M * min(1, max(0, 1 - (P - mu) / mu)). Bids at or below the mean
                            get full marks, so an abnormally low bid cannot crush the others.
    difference_from_budget  M * min(1, max(0, 1 - (P - B) / B)). Bids at or within budget get
                            full marks; each 1% over budget costs 1% of the marks.
    linear_range            M * (H - P) / (H - L): the lowest gets full marks, the highest
                            none, the rest in proportion (all get M when H = L).
    Abnormally low tenders must be investigated before they are scored; this module scores
    the bids it is given.

Quality and social value
    Evaluators score each bid against each sub-criterion on the tender's scale (0 to 5 or
    0 to 100, whole numbers unless the scale allows fractions). A moderated score, agreed at
    the moderation meeting with a written rationale, overrides the individual scores; without
    one, the mean of the individual scores stands. The range of individual scores is recorded
    and a range of `disagreement_at` of the scale or more (two points on 0-5) is flagged as a
    large disagreement; one left unmoderated is listed in `Evaluation.unresolved`. Points for
    a sub-criterion are its weight * score / scale maximum. An evaluator who declared a
    conflict of interest with a bid cannot score it or moderate it: such a score is refused.

Ranking and ties (applied in this order; the first that differs decides)
    1. the higher total;
    2. the higher quality points;
    3. the higher social value points;
    4. the lower price;
    5. the bid's id, in character order, so the order is reproducible. Bids still level at
       this step are marked `level_with` each other, for the commissioner to decide by the
       rule their tender documents published (for example drawing lots).

Display: points are shown to one decimal place, rounded half up; a shown total is the exact
total rounded, so the shown parts may not add up to it by a tenth.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Final

from covenant.core.errors import ValidationFailed

TOTAL_WEIGHT: Final = Fraction(100)
SOCIAL_VALUE_MINIMUM: Final = Fraction(10)
DEFAULT_DISAGREEMENT: Final = Fraction(2, 5)
MAX_SCALE: Final = 100

Number = int | float | Decimal | Fraction | str
# A checked score on the scale: whole-number scores stay ints (exact, and cheaper to add up).
Score = int | Fraction


class EvaluationRefused(ValidationFailed):
    """Award criteria, bids or scores that cannot be evaluated, with the exact reason.

    `reason` is a stable short name for callers and tests that branch on the cause.
    """

    code = "evaluation_refused"

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        field: str | None = None,
        errors: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(message, field=field, errors=errors)
        self.reason = reason


class CriterionKind(enum.StrEnum):
    PRICE = "price"
    QUALITY = "quality"
    SOCIAL_VALUE = "social_value"

    @property
    def label(self) -> str:
        return "social value" if self is CriterionKind.SOCIAL_VALUE else self.value


class PriceMethod(enum.StrEnum):
    RELATIVE = "relative"
    DIFFERENCE_FROM_LOWEST = "difference_from_lowest"
    DIFFERENCE_FROM_MEAN = "difference_from_mean"
    DIFFERENCE_FROM_BUDGET = "difference_from_budget"
    LINEAR_RANGE = "linear_range"


PRICE_METHOD_FORMULAS: Final[Mapping[PriceMethod, str]] = {
    PriceMethod.RELATIVE: "lowest price / bid price x maximum",
    PriceMethod.DIFFERENCE_FROM_LOWEST: (
        "maximum x (1 - (bid price - lowest price) / lowest price), not below 0"
    ),
    PriceMethod.DIFFERENCE_FROM_MEAN: (
        "maximum x (1 - (bid price - mean price) / mean price), between 0 and the maximum"
    ),
    PriceMethod.DIFFERENCE_FROM_BUDGET: (
        "maximum x (1 - (bid price - budget) / budget), between 0 and the maximum"
    ),
    PriceMethod.LINEAR_RANGE: (
        "maximum x (highest price - bid price) / (highest price - lowest price)"
    ),
}


@dataclass(frozen=True, slots=True)
class Criterion:
    """One award criterion or sub-criterion; `weight` is in percentage points of 100."""

    id: str
    name: str
    kind: CriterionKind
    weight: Number
    reference: str = ""


@dataclass(frozen=True, slots=True)
class ScoreScale:
    """The scale evaluators score on: 0 to `maximum`."""

    maximum: int = 5
    whole_numbers: bool = True


@dataclass(frozen=True, slots=True)
class AwardCriteria:
    """Checked award criteria: build with `award_criteria()`, which refuses bad weights."""

    criteria: tuple[Criterion, ...]
    weights: Mapping[str, Fraction]
    price_method: PriceMethod | None
    scale: ScoreScale
    social_value_floor: Fraction
    budget_pence: int | None
    disagreement_at: Fraction

    @property
    def price_criterion(self) -> Criterion | None:
        return next((c for c in self.criteria if c.kind is CriterionKind.PRICE), None)

    def weight_of_kind(self, kind: CriterionKind) -> Fraction:
        return sum((self.weights[c.id] for c in self.criteria if c.kind is kind), Fraction(0))

    def describe(self) -> str:
        """The criteria in one line, as a tender notice or an OCDS release publishes them."""
        parts = []
        for kind in CriterionKind:
            members = [c for c in self.criteria if c.kind is kind]
            if not members:
                continue
            weight = format_weight(self.weight_of_kind(kind))
            if kind is CriterionKind.PRICE:
                assert self.price_method is not None
                parts.append(
                    f"Price {weight}% ({self.price_method.value}: "
                    f"{PRICE_METHOD_FORMULAS[self.price_method]})"
                )
                continue
            inner = "; ".join(
                f"{c.name}{f' [{c.reference}]' if c.reference else ''} "
                f"{format_weight(self.weights[c.id])}%"
                for c in members
            )
            parts.append(f"{kind.label.capitalize()} {weight}% ({inner})")
        scale = f"0-{self.scale.maximum}"
        return ". ".join(parts) + f". Quality and social value scored {scale} with moderation."


@dataclass(frozen=True, slots=True)
class Bid:
    """A bid to evaluate. `name` is how sentences and notices name it ("Bid B", a bidder)."""

    id: str
    name: str
    price_pence: int | None = None


@dataclass(frozen=True, slots=True)
class EvaluatorScore:
    evaluator: str
    bid: str
    criterion: str
    score: Number
    comment: str = ""


@dataclass(frozen=True, slots=True)
class ModeratedScore:
    """The score agreed at moderation; it overrides the individual scores."""

    bid: str
    criterion: str
    score: Number
    rationale: str
    moderator: str = ""


@dataclass(frozen=True, slots=True)
class CriterionResult:
    criterion: Criterion
    maximum: Fraction
    points: Fraction
    # The final score on the scale (None for price): the moderated score or the mean.
    score: Fraction | None
    individual: tuple[tuple[str, Score], ...]
    moderated: bool
    spread: Score | None
    large_disagreement: bool


@dataclass(frozen=True, slots=True)
class BidResult:
    bid: Bid
    criteria: tuple[CriterionResult, ...]
    price_points: Fraction
    quality_points: Fraction
    social_value_points: Fraction
    total: Fraction
    rank: int
    level_with: tuple[str, ...]
    explanation: str

    def points_of_kind(self, kind: CriterionKind) -> Fraction:
        return {
            CriterionKind.PRICE: self.price_points,
            CriterionKind.QUALITY: self.quality_points,
            CriterionKind.SOCIAL_VALUE: self.social_value_points,
        }[kind]


@dataclass(frozen=True, slots=True)
class Evaluation:
    criteria: AwardCriteria
    ranking: tuple[BidResult, ...]
    lowest_price_pence: int | None
    highest_price_pence: int | None
    mean_price_pence: Fraction | None
    # (bid id, criterion id) pairs with a large disagreement and no moderated score.
    unresolved: tuple[tuple[str, str], ...]

    @property
    def winner(self) -> BidResult:
        return self.ranking[0]

    @property
    def winner_undecided(self) -> bool:
        """True when the top bids are level on every scored rule (placed by reference only):
        the commissioner must apply the tie rule their tender documents published."""
        return bool(self.ranking[0].level_with)

    def result_for(self, bid_id: str) -> BidResult:
        for result in self.ranking:
            if result.bid.id == bid_id:
                return result
        raise EvaluationRefused(f"There is no bid {bid_id!r} in this evaluation.", reason="bid")


@dataclass(frozen=True, slots=True)
class NoticeLine:
    label: str
    maximum: Fraction
    yours: Fraction
    winners: Fraction


@dataclass(frozen=True, slots=True)
class UnsuccessfulNotice:
    """What an unsuccessful bidder is told: their scores per criterion against the winner's."""

    bid: Bid
    winner: Bid
    rank: int
    of: int
    lines: tuple[NoticeLine, ...]
    total: NoticeLine
    text: str


# ----------------------------------------------------------------------------------- numbers


def as_fraction(value: object, *, what: str, field: str) -> Fraction:
    """An exact fraction from a whole number, decimal, fraction, decimal string or float.

    Floats are read by their shortest decimal form (0.1 is one tenth), so a score typed as
    3.5 is exactly three and a half.
    """
    if isinstance(value, bool):
        raise EvaluationRefused(
            f"{what} must be a number, not {value!r}.", reason="number", field=field
        )
    if isinstance(value, int | Fraction):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise EvaluationRefused(
                f"{what} must be a finite number.", reason="number", field=field
            )
        return Fraction(Decimal(repr(value)))
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            raise EvaluationRefused(
                f"{what} must be a number, not {value!r}.", reason="number", field=field
            ) from None
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise EvaluationRefused(
                f"{what} must be a finite number.", reason="number", field=field
            )
        return Fraction(value)
    raise EvaluationRefused(
        f"{what} must be a number, not {value!r}.", reason="number", field=field
    )


def format_points(value: Fraction) -> str:
    """One decimal place, half up: 78.45 shows as 78.5."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def format_weight(value: Fraction) -> str:
    """A weight as written on a tender: 40, 33.3, 12.5 (at most two places, no trailing 0)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    text = str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_money(pence: int | Fraction) -> str:
    """Money as people read it: £1.25m from a million up, else £125,000 or £1,234.56."""
    exact = Decimal(Fraction(pence).numerator) / Decimal(Fraction(pence).denominator) / 100
    if abs(exact) >= 1_000_000:
        millions = (exact / 1_000_000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return f"£{millions}m"
    pounds = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if pounds == pounds.to_integral_value():
        return f"£{int(pounds):,}"
    return f"£{pounds:,}"


def _show(value: Fraction) -> str:
    """A number as typed: 3, 3.5, 0.3333 (four places at most)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    text = str(exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))
    return text.rstrip("0").rstrip(".") if "." in text else text


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# ---------------------------------------------------------------------------------- criteria


def award_criteria(
    criteria: Iterable[Criterion],
    *,
    price_method: PriceMethod | str | None = None,
    scale: ScoreScale | None = None,
    social_value_floor: Number = SOCIAL_VALUE_MINIMUM,
    budget_pence: int | None = None,
    disagreement_at: Number = DEFAULT_DISAGREEMENT,
) -> AwardCriteria:
    """Check award criteria and fix their weights as exact fractions.

    Refuses: no criteria, a blank or repeated id, a weight that is not a positive number,
    more than one price criterion, a price criterion without a method (or a method without
    one), the budget method without a positive budget, weights that do not add up to exactly
    100, a floor below the Social Value Model's 10% or above 100%, and social value weighted
    below the floor.
    """
    items = tuple(criteria)
    scale = scale or ScoreScale()
    if not items:
        raise EvaluationRefused(
            "Add the award criteria: price, quality and social value with their weights.",
            reason="no_criteria",
            field="criteria",
        )
    if isinstance(scale.maximum, bool) or not isinstance(scale.maximum, int):
        raise EvaluationRefused(
            "The scoring scale's maximum must be a whole number.", reason="scale", field="scale"
        )
    if not 1 <= scale.maximum <= MAX_SCALE:
        raise EvaluationRefused(
            f"The scoring scale must run from 0 to between 1 and {MAX_SCALE}, "
            f"not 0 to {scale.maximum}.",
            reason="scale",
            field="scale",
        )
    weights: dict[str, Fraction] = {}
    for criterion in items:
        if not isinstance(criterion.kind, CriterionKind):
            raise EvaluationRefused(
                f"Criterion {criterion.id!r} must be price, quality or social value.",
                reason="kind",
                field="criteria",
            )
        if not criterion.id or not criterion.id.strip():
            raise EvaluationRefused(
                "Every criterion needs an id.", reason="criterion_id", field="criteria"
            )
        if not criterion.name or not criterion.name.strip():
            raise EvaluationRefused(
                f"Criterion {criterion.id!r} needs a name.",
                reason="criterion_name",
                field="criteria",
            )
        if criterion.id in weights:
            raise EvaluationRefused(
                f"Two criteria have the id {criterion.id!r}; give each its own.",
                reason="duplicate_criterion",
                field="criteria",
            )
        weight = as_fraction(
            criterion.weight, what=f"The weight of {criterion.name!r}", field="weights"
        )
        if weight <= 0:
            raise EvaluationRefused(
                f"The weight of {criterion.name!r} must be more than 0%; remove the criterion "
                "if it should not count.",
                reason="weight",
                field="weights",
            )
        weights[criterion.id] = weight

    prices = [c for c in items if c.kind is CriterionKind.PRICE]
    if len(prices) > 1:
        raise EvaluationRefused(
            "A tender has at most one price criterion; put the whole price weighting on it.",
            reason="price_criteria",
            field="criteria",
        )
    method = PriceMethod(price_method) if price_method is not None else None
    if prices and method is None:
        raise EvaluationRefused(
            "Choose how price is scored (for example relative: lowest price / bid price x "
            "maximum).",
            reason="price_method",
            field="price_method",
        )
    if method is not None and not prices:
        raise EvaluationRefused(
            "A price scoring method was given but there is no price criterion to apply it to.",
            reason="price_method",
            field="price_method",
        )
    if budget_pence is not None and (
        isinstance(budget_pence, bool) or not isinstance(budget_pence, int) or budget_pence <= 0
    ):
        raise EvaluationRefused(
            "The budget must be a positive amount in pence.", reason="budget", field="budget"
        )
    if method is PriceMethod.DIFFERENCE_FROM_BUDGET and budget_pence is None:
        raise EvaluationRefused(
            "Scoring price against the budget needs the budget.", reason="budget", field="budget"
        )

    total = sum(weights.values(), Fraction(0))
    if total != TOTAL_WEIGHT:
        raise EvaluationRefused(
            f"The weights add up to {format_weight(total)}%; they must add up to exactly 100%.",
            reason="weights_total",
            field="weights",
        )
    floor = as_fraction(
        social_value_floor, what="The social value floor", field="social_value_floor"
    )
    if floor < SOCIAL_VALUE_MINIMUM:
        raise EvaluationRefused(
            f"The social value floor cannot be below {format_weight(SOCIAL_VALUE_MINIMUM)}% "
            "(the Social Value Model's minimum); a node may only raise it.",
            reason="floor",
            field="social_value_floor",
        )
    if floor > TOTAL_WEIGHT:
        raise EvaluationRefused(
            "The social value floor cannot be above 100%.",
            reason="floor",
            field="social_value_floor",
        )
    social = sum(
        (weights[c.id] for c in items if c.kind is CriterionKind.SOCIAL_VALUE), Fraction(0)
    )
    if social < floor:
        raise EvaluationRefused(
            f"Social value carries {format_weight(social)}% of the weighting; it must carry at "
            f"least {format_weight(floor)}%.",
            reason="social_value_floor",
            field="weights",
        )
    disagreement = as_fraction(disagreement_at, what="The disagreement threshold", field="scale")
    if not 0 < disagreement <= 1:
        raise EvaluationRefused(
            "The disagreement threshold is a share of the scale, more than 0 and at most 1.",
            reason="disagreement",
            field="scale",
        )
    return AwardCriteria(
        criteria=items,
        weights=weights,
        price_method=method,
        scale=scale,
        social_value_floor=floor,
        budget_pence=budget_pence,
        disagreement_at=disagreement,
    )


# --------------------------------------------------------------------------------- evaluation


def price_points(
    method: PriceMethod,
    *,
    price: int,
    maximum: Fraction,
    lowest: int,
    highest: int,
    mean: Fraction,
    budget: int | None,
) -> Fraction:
    """The price points for one bid by the published method (formulas in the module docstring)."""
    one = Fraction(1)
    if method is PriceMethod.RELATIVE:
        return maximum * Fraction(lowest, price)
    if method is PriceMethod.DIFFERENCE_FROM_LOWEST:
        return maximum * max(Fraction(0), one - Fraction(price - lowest, lowest))
    if method is PriceMethod.DIFFERENCE_FROM_MEAN:
        return maximum * min(one, max(Fraction(0), one - (price - mean) / mean))
    if method is PriceMethod.DIFFERENCE_FROM_BUDGET:
        if budget is None:
            raise EvaluationRefused(
                "Scoring price against the budget needs the budget.",
                reason="budget",
                field="budget",
            )
        return maximum * min(one, max(Fraction(0), one - Fraction(price - budget, budget)))
    if highest == lowest:
        return maximum
    return maximum * Fraction(highest - price, highest - lowest)


def _check_bids(criteria: AwardCriteria, bids: Sequence[Bid]) -> None:
    if not bids:
        raise EvaluationRefused("There are no bids to evaluate.", reason="no_bids", field="bids")
    seen: set[str] = set()
    needs_price = criteria.price_criterion is not None
    for bid in bids:
        if not bid.id or not bid.id.strip():
            raise EvaluationRefused("Every bid needs an id.", reason="bid_id", field="bids")
        if bid.id in seen:
            raise EvaluationRefused(
                f"Two bids have the id {bid.id!r}.", reason="duplicate_bid", field="bids"
            )
        seen.add(bid.id)
        if not needs_price:
            continue
        price = bid.price_pence
        if price is None or isinstance(price, bool) or not isinstance(price, int):
            raise EvaluationRefused(
                f"{bid.name} has no price in pence; price carries weight in this tender.",
                reason="bid_price",
                field="bids",
            )
        if price <= 0:
            raise EvaluationRefused(
                f"{bid.name}'s price must be more than £0 to be scored.",
                reason="bid_price",
                field="bids",
            )


def _scored_criteria(criteria: AwardCriteria) -> dict[str, Criterion]:
    return {c.id: c for c in criteria.criteria if c.kind is not CriterionKind.PRICE}


def _check_score_value(
    criteria: AwardCriteria, value: Number, *, what: str, problems: list[tuple[str, str]]
) -> Score | None:
    try:
        score = as_fraction(value, what=what, field="scores")
    except EvaluationRefused as exc:
        problems.append(("number", exc.message))
        return None
    scale = criteria.scale
    if not 0 <= score <= scale.maximum:
        problems.append(
            ("score_range", f"{what} is {_show(score)}; scores run from 0 to {scale.maximum}.")
        )
        return None
    if scale.whole_numbers and score.denominator != 1:
        problems.append(
            ("score_whole", f"{what} is {_show(score)}; this tender scores in whole numbers.")
        )
        return None
    return score.numerator if score.denominator == 1 else score


def _refuse(problems: list[tuple[str, str]]) -> None:
    if not problems:
        return
    reason, first = problems[0]
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    raise EvaluationRefused(
        first + more, reason=reason, errors={"scores": [message for _, message in problems]}
    )


def evaluate(
    criteria: AwardCriteria,
    bids: Sequence[Bid],
    scores: Iterable[EvaluatorScore],
    *,
    moderated: Iterable[ModeratedScore] = (),
    conflicts: Iterable[tuple[str, str]] = (),
) -> Evaluation:
    """Score, total and rank the bids, and write the sentence that explains each score.

    `conflicts` holds the (evaluator, bid id) pairs declared as conflicts of interest. Every
    problem with the scores is collected and refused together: a conflicted evaluator's or
    moderator's score, a score for an unknown bid or criterion or for price (price is
    computed), a repeated score, a score off the scale, a moderation without a rationale and a
    bid left without any score for a criterion.
    """
    _check_bids(criteria, bids)
    bids_by_id = {bid.id: bid for bid in bids}
    scored = _scored_criteria(criteria)
    conflicted = set(conflicts)
    problems: list[tuple[str, str]] = []

    individual: dict[tuple[str, str], list[tuple[str, Score]]] = {}
    seen: set[tuple[str, str, str]] = set()
    maximum = criteria.scale.maximum
    for entry in scores:
        value = entry.score
        key = (entry.evaluator, entry.bid, entry.criterion)
        # The common case, checked first and cheaply: a known evaluator's first whole-number
        # score on the scale for a known bid and criterion, with no conflict declared.
        if (
            type(value) is int
            and 0 <= value <= maximum
            and entry.bid in bids_by_id
            and entry.criterion in scored
            and key not in seen
            and (entry.evaluator, entry.bid) not in conflicted
            and entry.evaluator
            and not entry.evaluator.isspace()
        ):
            seen.add(key)
            individual.setdefault((entry.bid, entry.criterion), []).append((entry.evaluator, value))
            continue
        who = entry.evaluator or "an evaluator"
        label = f"{who}'s score for {entry.criterion!r} on bid {entry.bid!r}"
        if not entry.evaluator or not entry.evaluator.strip():
            problems.append(("evaluator", f"A score for bid {entry.bid!r} names no evaluator."))
            continue
        bid = bids_by_id.get(entry.bid)
        if bid is None:
            problems.append(("unknown_bid", f"{label}: there is no such bid."))
            continue
        criterion = scored.get(entry.criterion)
        if criterion is None:
            if entry.criterion in criteria.weights:
                problems.append(
                    ("price_scored", f"{label}: price is scored by its formula, not by evaluators.")
                )
            else:
                problems.append(("unknown_criterion", f"{label}: there is no such criterion."))
            continue
        if (entry.evaluator, entry.bid) in conflicted:
            problems.append(
                (
                    "conflict_of_interest",
                    f"Evaluator {entry.evaluator!r} declared a conflict of interest with "
                    f"{bid.name}, so their score for {criterion.name!r} cannot count; another "
                    "evaluator must score that bid.",
                )
            )
            continue
        if key in seen:
            problems.append(
                ("duplicate_score", f"{label} was given twice; keep one score per evaluator.")
            )
            continue
        seen.add(key)
        checked = _check_score_value(criteria, value, what=label, problems=problems)
        if checked is not None:
            individual.setdefault((entry.bid, entry.criterion), []).append(
                (entry.evaluator, checked)
            )

    agreed: dict[tuple[str, str], Score] = {}
    for moderation in moderated:
        label = f"The moderated score for {moderation.criterion!r} on bid {moderation.bid!r}"
        bid = bids_by_id.get(moderation.bid)
        if bid is None:
            problems.append(("unknown_bid", f"{label}: there is no such bid."))
            continue
        if moderation.criterion not in scored:
            problems.append(("unknown_criterion", f"{label}: no scored criterion has that id."))
            continue
        if moderation.moderator and (moderation.moderator, moderation.bid) in conflicted:
            problems.append(
                (
                    "conflict_of_interest",
                    f"Moderator {moderation.moderator!r} declared a conflict of interest with "
                    f"{bid.name} and cannot moderate its scores.",
                )
            )
            continue
        if not moderation.rationale or not moderation.rationale.strip():
            problems.append(
                ("moderation_rationale", f"{label} needs the rationale agreed at moderation.")
            )
            continue
        key2 = (moderation.bid, moderation.criterion)
        if key2 in agreed:
            problems.append(("duplicate_moderation", f"{label} was given twice."))
            continue
        settled = _check_score_value(criteria, moderation.score, what=label, problems=problems)
        if settled is not None:
            agreed[key2] = settled

    for bid in bids:
        for criterion in scored.values():
            key2 = (bid.id, criterion.id)
            if key2 not in agreed and key2 not in individual:
                problems.append(
                    ("missing_score", f"{bid.name} has no score for {criterion.name!r}.")
                )
    _refuse(problems)
    return _total_and_rank(criteria, bids, individual, agreed)


# A bid with its criterion results and points per kind; and its place in the ranking order.
_Row = tuple[Bid, tuple[CriterionResult, ...], dict[CriterionKind, Fraction]]
_Key = tuple[Fraction, Fraction, Fraction, int, str]


def _total_and_rank(
    criteria: AwardCriteria,
    bids: Sequence[Bid],
    individual: Mapping[tuple[str, str], list[tuple[str, Score]]],
    agreed: Mapping[tuple[str, str], Score],
) -> Evaluation:
    scale_max = criteria.scale.maximum
    large = criteria.disagreement_at * scale_max
    price_criterion = criteria.price_criterion
    lowest = highest = None
    mean: Fraction | None = None
    if price_criterion is not None:
        prices = [bid.price_pence for bid in bids if bid.price_pence is not None]
        lowest, highest = min(prices), max(prices)
        mean = Fraction(sum(prices), len(prices))

    unresolved: list[tuple[str, str]] = []
    rows: list[_Row] = []
    for bid in bids:
        results: list[CriterionResult] = []
        by_kind: dict[CriterionKind, Fraction] = dict.fromkeys(CriterionKind, Fraction(0))
        for criterion in criteria.criteria:
            weight = criteria.weights[criterion.id]
            if criterion.kind is CriterionKind.PRICE:
                assert criteria.price_method is not None
                assert bid.price_pence is not None
                assert lowest is not None
                assert highest is not None
                assert mean is not None
                points = price_points(
                    criteria.price_method,
                    price=bid.price_pence,
                    maximum=weight,
                    lowest=lowest,
                    highest=highest,
                    mean=mean,
                    budget=criteria.budget_pence,
                )
                results.append(
                    CriterionResult(criterion, weight, points, None, (), False, None, False)
                )
                by_kind[criterion.kind] += points
                continue
            key = (bid.id, criterion.id)
            given = tuple(sorted(individual.get(key, ())))
            values = [value for _, value in given]
            spread = max(values) - min(values) if values else None
            # spread >= large, without building a Fraction for every comparison
            disagree = spread is not None and spread * large.denominator >= large.numerator
            if key in agreed:
                score = Fraction(agreed[key])
                points = weight * score / scale_max
            else:
                # weight x mean / maximum as one fraction: one normalisation, not three
                total = sum(values)
                score = Fraction(total, len(values))
                points = Fraction(
                    weight.numerator * total, weight.denominator * len(values) * scale_max
                )
                if disagree:
                    unresolved.append(key)
            results.append(
                CriterionResult(
                    criterion, weight, points, score, given, key in agreed, spread, disagree
                )
            )
            by_kind[criterion.kind] += points
        rows.append((bid, tuple(results), by_kind))

    def order(row: _Row) -> _Key:
        bid, _, by_kind = row
        total = sum(by_kind.values(), Fraction(0))
        return (
            -total,
            -by_kind[CriterionKind.QUALITY],
            -by_kind[CriterionKind.SOCIAL_VALUE],
            bid.price_pence if price_criterion is not None and bid.price_pence else 0,
            bid.id,
        )

    keyed = sorted(((order(row), row) for row in rows), key=lambda pair: pair[0])
    kinds = [
        (kind, format_weight(weight))
        for kind in CriterionKind
        if (weight := criteria.weight_of_kind(kind))
    ]
    shown = _PriceFigures(
        lowest_pence=lowest,
        lowest=format_money(lowest) if lowest is not None else "",
        highest=format_money(highest) if highest is not None else "",
        mean=format_money(mean) if mean is not None else "",
        budget=format_money(criteria.budget_pence) if criteria.budget_pence is not None else "",
    )
    n = len(keyed)
    groups: dict[tuple[Fraction, Fraction, Fraction, int], list[str]] = {}
    for rank_key, (bid, _, _) in keyed:
        groups.setdefault(rank_key[:4], []).append(bid.id)
    ranking: list[BidResult] = []
    for index, (rank_key, (bid, bid_results, by_kind)) in enumerate(keyed):
        result = BidResult(
            bid=bid,
            criteria=bid_results,
            price_points=by_kind[CriterionKind.PRICE],
            quality_points=by_kind[CriterionKind.QUALITY],
            social_value_points=by_kind[CriterionKind.SOCIAL_VALUE],
            total=-rank_key[0],
            rank=index + 1,
            level_with=tuple(other for other in groups[rank_key[:4]] if other != bid.id),
            explanation="",
        )
        neighbours = [keyed[i] for i in (index - 1, index + 1) if 0 <= i < n]
        sentence = _explain(criteria, result, n, kinds, shown, rank_key, neighbours)
        ranking.append(replace(result, explanation=sentence))
    return Evaluation(
        criteria=criteria,
        ranking=tuple(ranking),
        lowest_price_pence=lowest,
        highest_price_pence=highest,
        mean_price_pence=mean,
        unresolved=tuple(unresolved),
    )


_TIE_RULES: Final = ("total", "quality", "social value", "price", "bid reference")


def _explain(
    criteria: AwardCriteria,
    result: BidResult,
    n: int,
    kinds: Sequence[tuple[CriterionKind, str]],
    prices: _PriceFigures,
    key: _Key,
    neighbours: list[tuple[_Key, _Row]],
) -> str:
    """`kinds` pairs each weighted kind with its maximum as shown; `prices` holds the lowest,
    highest, mean and budget as shown, worked out once per evaluation rather than per bid."""
    parts: list[str] = []
    for kind, maximum in kinds:
        text = f"{kind.label} {format_points(result.points_of_kind(kind))} of {maximum}"
        if kind is CriterionKind.PRICE:
            text += f" ({_price_context(criteria, result.bid, prices)})"
        parts.append(text)
    sentence = (
        f"{result.bid.name} scored {format_points(result.total)} of 100: "
        + ", ".join(parts)
        + f"; ranked {ordinal(result.rank)} of {n}"
    )
    ties = []
    for other_key, (other_bid, _, _) in neighbours:
        if other_key[0] != key[0]:
            continue
        decided = next(i for i in range(1, 5) if other_key[i] != key[i])
        side = "ahead of" if key < other_key else "behind"
        ties.append(f"level on total with {other_bid.name}, {side} it on {_TIE_RULES[decided]}")
    if ties:
        sentence += " (" + "; ".join(ties) + ")"
    moderated = [c.criterion.name for c in result.criteria if c.moderated]
    if moderated:
        sentence += "; moderated: " + ", ".join(moderated)
    return sentence + "."


@dataclass(frozen=True, slots=True)
class _PriceFigures:
    lowest_pence: int | None
    lowest: str
    highest: str
    mean: str
    budget: str


def _price_context(criteria: AwardCriteria, bid: Bid, prices: _PriceFigures) -> str:
    assert bid.price_pence is not None
    price = format_money(bid.price_pence)
    method = criteria.price_method
    if method is PriceMethod.DIFFERENCE_FROM_MEAN:
        return f"{price} against the mean {prices.mean}"
    if method is PriceMethod.DIFFERENCE_FROM_BUDGET:
        return f"{price} against the budget {prices.budget}"
    if method is PriceMethod.LINEAR_RANGE:
        return f"{price} between the lowest {prices.lowest} and the highest {prices.highest}"
    if bid.price_pence == prices.lowest_pence:
        return f"{price}, the lowest price"
    return f"{price} against the lowest {prices.lowest}"


# ------------------------------------------------------------------------------------ notices


def unsuccessful_notice(evaluation: Evaluation, bid_id: str) -> UnsuccessfulNotice:
    """The notice to an unsuccessful bidder: each criterion, theirs against the winner's."""
    result = evaluation.result_for(bid_id)
    winner = evaluation.winner
    if result.bid.id == winner.bid.id:
        raise EvaluationRefused(
            f"{result.bid.name} is the highest-ranked bid; it gets the award notice, not this one.",
            reason="winner",
            field="bid",
        )
    winners_points = {c.criterion.id: c.points for c in winner.criteria}
    lines = tuple(
        NoticeLine(
            label=c.criterion.name
            + (
                f" ({c.criterion.kind.label})"
                if c.criterion.kind is not CriterionKind.PRICE
                else ""
            ),
            maximum=c.maximum,
            yours=c.points,
            winners=winners_points[c.criterion.id],
        )
        for c in result.criteria
    )
    total = NoticeLine("Total", TOTAL_WEIGHT, result.total, winner.total)
    n = len(evaluation.ranking)
    body = [
        f"Your bid ({result.bid.name}) was not successful: "
        f"it ranked {ordinal(result.rank)} of {n}.",
        f"The contract is to be awarded to {winner.bid.name}.",
        "Scores, yours against the successful bid's:",
    ]
    body += [
        f"- {line.label}, out of {format_weight(line.maximum)}: yours {format_points(line.yours)}, "
        f"successful bid {format_points(line.winners)}"
        for line in (*lines, total)
    ]
    body.append(result.explanation)
    return UnsuccessfulNotice(
        bid=result.bid,
        winner=winner.bid,
        rank=result.rank,
        of=n,
        lines=lines,
        total=total,
        text="\n".join(body),
    )


def unsuccessful_notices(evaluation: Evaluation) -> tuple[UnsuccessfulNotice, ...]:
    return tuple(unsuccessful_notice(evaluation, r.bid.id) for r in evaluation.ranking[1:])
