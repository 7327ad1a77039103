"""Bid evaluation: weights and floors, every price method, moderation, conflicts, ties, the
explaining sentence and the notice; then properties over random tenders.

Expected figures are worked out by hand from the formulas in the module docstring.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from covenant.commissioning.evaluation import (
    Bid,
    Criterion,
    CriterionKind,
    EvaluationRefused,
    EvaluatorScore,
    ModeratedScore,
    PriceMethod,
    ScoreScale,
    award_criteria,
    evaluate,
    format_money,
    format_points,
    ordinal,
    price_points,
    unsuccessful_notice,
    unsuccessful_notices,
)
from covenant.core.errors import ValidationFailed

PRICE, QUALITY, SOCIAL = CriterionKind.PRICE, CriterionKind.QUALITY, CriterionKind.SOCIAL_VALUE


def simple_criteria(method: PriceMethod = PriceMethod.RELATIVE, **kwargs: object):
    return award_criteria(
        [
            Criterion("price", "Price", PRICE, 40),
            Criterion("q1", "Service delivery", QUALITY, 40),
            Criterion("sv1", "Local jobs", SOCIAL, 20, "MAC 2.1"),
        ],
        price_method=method,
        **kwargs,  # type: ignore[arg-type]
    )


def scores_for(bid: str, *, q1: list[int], sv1: list[int]) -> list[EvaluatorScore]:
    out = [EvaluatorScore(f"e{i}", bid, "q1", s) for i, s in enumerate(q1, 1)]
    out += [EvaluatorScore(f"e{i}", bid, "sv1", s) for i, s in enumerate(sv1, 1)]
    return out


# ------------------------------------------------------------------------------ the sentence


def test_the_sentence_that_explains_a_score():
    criteria = simple_criteria()
    bids = [Bid("A", "Bid A", 100_000_000), Bid("B", "Bid B", 125_000_000)]
    scores = scores_for("A", q1=[2, 2, 2, 2, 2], sv1=[2, 2, 2, 2, 2])
    # Quality: mean of 4, 4, 4, 3, 4 is 3.8 -> 40 x 3.8 / 5 = 30.4; social value 4 -> 16.0.
    scores += scores_for("B", q1=[4, 4, 4, 3, 4], sv1=[4, 4, 4, 4, 4])
    evaluation = evaluate(criteria, bids, scores)

    b = evaluation.result_for("B")
    assert b.price_points == 32  # 40 x 1.00m / 1.25m
    assert b.quality_points == Fraction(152, 5)
    assert b.social_value_points == 16
    assert b.total == Fraction(392, 5)
    assert b.explanation == (
        "Bid B scored 78.4 of 100: price 32.0 of 40 (£1.25m against the lowest £1.00m), "
        "quality 30.4 of 40, social value 16.0 of 20; ranked 1st of 2."
    )
    a = evaluation.result_for("A")
    assert a.explanation == (
        "Bid A scored 64.0 of 100: price 40.0 of 40 (£1.00m, the lowest price), "
        "quality 16.0 of 40, social value 8.0 of 20; ranked 2nd of 2."
    )
    assert [r.bid.id for r in evaluation.ranking] == ["B", "A"]
    assert evaluation.winner.bid.id == "B"
    assert not evaluation.winner_undecided


def test_award_criteria_describe_themselves_for_publication():
    text = simple_criteria().describe()
    assert text == (
        "Price 40% (relative: lowest price / bid price x maximum). "
        "Quality 40% (Service delivery 40%). "
        "Social value 20% (Local jobs [MAC 2.1] 20%). "
        "Quality and social value scored 0-5 with moderation."
    )


# ---------------------------------------------------------------------- weights and the floor


@pytest.mark.parametrize(
    ("criteria", "kwargs", "reason", "message"),
    [
        (
            [("p", PRICE, 50), ("q", QUALITY, 30), ("s", SOCIAL, 15)],
            {},
            "weights_total",
            "The weights add up to 95%; they must add up to exactly 100%.",
        ),
        (
            [("p", PRICE, 50), ("q", QUALITY, 45), ("s", SOCIAL, 10), ("s2", SOCIAL, 5)],
            {},
            "weights_total",
            "The weights add up to 110%; they must add up to exactly 100%.",
        ),
        (
            [("p", PRICE, 50), ("q", QUALITY, 42), ("s", SOCIAL, 8)],
            {},
            "social_value_floor",
            "Social value carries 8% of the weighting; it must carry at least 10%.",
        ),
        (
            [("p", PRICE, 50), ("q", QUALITY, 50)],
            {},
            "social_value_floor",
            "Social value carries 0% of the weighting; it must carry at least 10%.",
        ),
        (
            [("p", PRICE, 40), ("q", QUALITY, 48), ("s", SOCIAL, 12)],
            {"social_value_floor": 15},
            "social_value_floor",
            "Social value carries 12% of the weighting; it must carry at least 15%.",
        ),
        (
            [("p", PRICE, 40), ("q", QUALITY, 50), ("s", SOCIAL, 10)],
            {"social_value_floor": 5},
            "floor",
            "The social value floor cannot be below 10% (the Social Value Model's minimum); "
            "a node may only raise it.",
        ),
        (
            [("p", PRICE, 40), ("q", QUALITY, 50), ("s", SOCIAL, 10)],
            {"social_value_floor": 101},
            "floor",
            "The social value floor cannot be above 100%.",
        ),
        (
            [("p", PRICE, 40), ("p2", PRICE, 10), ("q", QUALITY, 40), ("s", SOCIAL, 10)],
            {},
            "price_criteria",
            "A tender has at most one price criterion; put the whole price weighting on it.",
        ),
        (
            [("p", PRICE, 40), ("q", QUALITY, 0), ("s", SOCIAL, 60)],
            {},
            "weight",
            "The weight of 'q' must be more than 0%; remove the criterion if it should not count.",
        ),
        (
            [("p", PRICE, 40), ("q", QUALITY, -10), ("s", SOCIAL, 70)],
            {},
            "weight",
            "The weight of 'q' must be more than 0%; remove the criterion if it should not count.",
        ),
        (
            [("p", PRICE, 40), ("p", QUALITY, 50), ("s", SOCIAL, 10)],
            {},
            "duplicate_criterion",
            "Two criteria have the id 'p'; give each its own.",
        ),
        (
            [("p", PRICE, True), ("q", QUALITY, 89), ("s", SOCIAL, 10)],
            {},
            "number",
            "The weight of 'p' must be a number, not True.",
        ),
        (
            [("p", PRICE, "NaN"), ("q", QUALITY, 90), ("s", SOCIAL, 10)],
            {},
            "number",
            "The weight of 'p' must be a finite number.",
        ),
        (
            [("p", PRICE, "forty"), ("q", QUALITY, 50), ("s", SOCIAL, 10)],
            {},
            "number",
            "The weight of 'p' must be a number, not 'forty'.",
        ),
    ],
)
def test_bad_weights_are_refused_with_the_reason(criteria, kwargs, reason, message):
    kwargs = {"price_method": PriceMethod.RELATIVE, **kwargs}
    with pytest.raises(EvaluationRefused) as caught:
        award_criteria([Criterion(i, i, kind, w) for i, kind, w in criteria], **kwargs)
    assert caught.value.reason == reason
    assert caught.value.message == message
    assert isinstance(caught.value, ValidationFailed)  # a 422 with the field, in the API


def test_weights_may_be_decimal_fractions_that_add_up_exactly():
    criteria = award_criteria(
        [
            Criterion("p", "Price", PRICE, Decimal("33.3")),
            Criterion("q", "Quality", QUALITY, "33.4"),
            Criterion("s", "Social value", SOCIAL, 33.3),
        ],
        price_method="relative",
    )
    assert criteria.weights == {
        "p": Fraction(333, 10),
        "q": Fraction(334, 10),
        "s": Fraction(333, 10),
    }
    # 0.1 + 0.2 is not 0.3 in binary floating point; here it is, so this adds to 100.
    award_criteria(
        [
            Criterion("p", "Price", PRICE, 69.9),
            Criterion("q", "Quality", QUALITY, 0.1),
            Criterion("s", "Social value", SOCIAL, 30),
        ],
        price_method="relative",
    )


def test_a_higher_node_floor_is_honoured():
    criteria = award_criteria(
        [Criterion("p", "Price", PRICE, 50), Criterion("s", "Social value", SOCIAL, 50)],
        price_method="relative",
        social_value_floor=50,
    )
    assert criteria.social_value_floor == 50
    assert criteria.weight_of_kind(SOCIAL) == 50


@pytest.mark.parametrize(
    ("method", "has_price", "budget", "reason"),
    [
        (None, True, None, "price_method"),
        ("relative", False, None, "price_method"),
        ("difference_from_budget", True, None, "budget"),
        ("difference_from_budget", True, 0, "budget"),
    ],
)
def test_price_method_and_budget_must_fit_the_criteria(method, has_price, budget, reason):
    items = [Criterion("q", "Quality", QUALITY, 60), Criterion("s", "Social value", SOCIAL, 40)]
    if has_price:
        items = [Criterion("p", "Price", PRICE, 40), Criterion("q", "Quality", QUALITY, 40)]
        items.append(Criterion("s", "Social value", SOCIAL, 20))
    with pytest.raises(EvaluationRefused) as caught:
        award_criteria(items, price_method=method, budget_pence=budget)
    assert caught.value.reason == reason


def test_an_unknown_price_method_is_refused():
    with pytest.raises(ValueError, match="cheapest"):
        simple_criteria("cheapest")  # type: ignore[arg-type]


@pytest.mark.parametrize("maximum", [0, 101, True])
def test_the_scale_must_be_sensible(maximum):
    with pytest.raises(EvaluationRefused) as caught:
        simple_criteria(scale=ScoreScale(maximum=maximum))
    assert caught.value.reason == "scale"


# ------------------------------------------------------------------------------------- price


@pytest.mark.parametrize(
    ("method", "price", "expected"),
    [
        # lowest 100, highest 200, mean 140 (100, 120, 200), budget 150, maximum 40
        (PriceMethod.RELATIVE, 100, 40),
        (PriceMethod.RELATIVE, 120, Fraction(100, 3)),
        (PriceMethod.RELATIVE, 200, 20),
        (PriceMethod.DIFFERENCE_FROM_LOWEST, 120, 32),
        (PriceMethod.DIFFERENCE_FROM_LOWEST, 200, 0),
        (PriceMethod.DIFFERENCE_FROM_MEAN, 100, 40),  # below the mean: full marks, no more
        (PriceMethod.DIFFERENCE_FROM_MEAN, 200, Fraction(40 * 4, 7)),  # 1 - 60/140 = 4/7
        (PriceMethod.DIFFERENCE_FROM_BUDGET, 120, 40),
        (PriceMethod.DIFFERENCE_FROM_BUDGET, 200, Fraction(80, 3)),  # 1 - 50/150 = 2/3
        (PriceMethod.LINEAR_RANGE, 100, 40),
        (PriceMethod.LINEAR_RANGE, 120, 32),
        (PriceMethod.LINEAR_RANGE, 200, 0),
    ],
)
def test_price_methods_by_their_published_formulas(method, price, expected):
    criteria = simple_criteria(method, budget_pence=150)
    bids = [Bid(str(p), f"Bid {p}", p) for p in (100, 120, 200)]
    scores = [s for b in bids for s in scores_for(b.id, q1=[3], sv1=[3])]
    evaluation = evaluate(criteria, bids, scores)
    assert evaluation.result_for(str(price)).price_points == expected
    assert evaluation.mean_price_pence == 140


def test_difference_from_lowest_never_goes_below_zero():
    assert (
        price_points(
            PriceMethod.DIFFERENCE_FROM_LOWEST,
            price=1000,
            maximum=Fraction(40),
            lowest=100,
            highest=1000,
            mean=Fraction(550),
            budget=None,
        )
        == 0
    )


def test_linear_range_with_one_price_gives_full_marks():
    criteria = simple_criteria(PriceMethod.LINEAR_RANGE)
    bids = [Bid("a", "A", 500), Bid("b", "B", 500)]
    evaluation = evaluate(
        criteria, bids, [s for b in bids for s in scores_for(b.id, q1=[1], sv1=[1])]
    )
    assert {r.price_points for r in evaluation.ranking} == {40}


@pytest.mark.parametrize(
    ("method", "context"),
    [
        (PriceMethod.DIFFERENCE_FROM_MEAN, "£1,200 against the mean £1,400"),
        (PriceMethod.DIFFERENCE_FROM_BUDGET, "£1,200 against the budget £1,500"),
        (PriceMethod.LINEAR_RANGE, "£1,200 between the lowest £1,000 and the highest £2,000"),
        (PriceMethod.DIFFERENCE_FROM_LOWEST, "£1,200 against the lowest £1,000"),
    ],
)
def test_the_sentence_names_the_price_the_method_compares_with(method, context):
    criteria = simple_criteria(method, budget_pence=150_000)
    bids = [Bid(str(p), f"Bid {p}", p * 100) for p in (1000, 1200, 2000)]
    scores = [s for b in bids for s in scores_for(b.id, q1=[3], sv1=[3])]
    evaluation = evaluate(criteria, bids, scores)
    assert f"({context})" in evaluation.result_for("1200").explanation


@pytest.mark.parametrize(
    ("price", "reason"), [(None, "bid_price"), (0, "bid_price"), (-5, "bid_price")]
)
def test_a_bid_without_a_usable_price_is_refused(price, reason):
    with pytest.raises(EvaluationRefused) as caught:
        evaluate(simple_criteria(), [Bid("a", "Bid A", price)], scores_for("a", q1=[3], sv1=[3]))
    assert caught.value.reason == reason


def test_bids_must_exist_and_have_distinct_ids():
    with pytest.raises(EvaluationRefused, match="no bids"):
        evaluate(simple_criteria(), [], [])
    with pytest.raises(EvaluationRefused, match="Two bids have the id 'a'"):
        evaluate(simple_criteria(), [Bid("a", "A", 1), Bid("a", "A again", 2)], [])


def test_a_quality_only_tender_has_no_price_in_the_sentence():
    criteria = award_criteria(
        [Criterion("q", "Quality", QUALITY, 70), Criterion("s", "Social value", SOCIAL, 30)]
    )
    bids = [Bid("a", "Bid A"), Bid("b", "Bid B")]
    scores = [EvaluatorScore("e", b, c, 5 if b == "a" else 4) for b in "ab" for c in "qs"]
    evaluation = evaluate(criteria, bids, scores)
    assert evaluation.result_for("a").explanation == (
        "Bid A scored 100.0 of 100: quality 70.0 of 70, social value 30.0 of 30; ranked 1st of 2."
    )
    assert evaluation.lowest_price_pence is None


# ---------------------------------------------------------------- evaluators and moderation


def test_moderation_overrides_individual_scores_and_the_range_is_recorded():
    criteria = simple_criteria()
    bids = [Bid("a", "Bid A", 100)]
    scores = scores_for("a", q1=[1, 5, 3], sv1=[3, 3, 4])
    evaluation = evaluate(
        criteria,
        bids,
        scores,
        moderated=[ModeratedScore("a", "q1", 4, "Agreed: strong method statement", "chair")],
    )
    q1 = next(c for c in evaluation.result_for("a").criteria if c.criterion.id == "q1")
    assert q1.score == 4
    assert q1.moderated
    assert q1.points == 32
    assert q1.spread == 4
    assert q1.large_disagreement
    assert q1.individual == (("e1", 1), ("e2", 5), ("e3", 3))
    sv1 = next(c for c in evaluation.result_for("a").criteria if c.criterion.id == "sv1")
    assert sv1.score == Fraction(10, 3)  # the mean stands without moderation
    assert not sv1.moderated
    assert sv1.spread == 1
    assert not sv1.large_disagreement
    assert evaluation.unresolved == ()
    assert "moderated: Service delivery" in evaluation.result_for("a").explanation


def test_a_large_disagreement_left_unmoderated_is_listed():
    evaluation = evaluate(
        simple_criteria(), [Bid("a", "A", 1)], scores_for("a", q1=[1, 3], sv1=[2, 2])
    )
    assert evaluation.unresolved == (("a", "q1"),)  # a range of 2 on 0-5 is large


def test_a_hundred_point_scale():
    criteria = simple_criteria(scale=ScoreScale(maximum=100))
    evaluation = evaluate(criteria, [Bid("a", "A", 1)], scores_for("a", q1=[70, 80], sv1=[50]))
    result = evaluation.result_for("a")
    assert result.quality_points == 30  # 40 x 75 / 100
    assert result.social_value_points == 10
    with pytest.raises(EvaluationRefused) as caught:
        evaluate(criteria, [Bid("a", "A", 1)], scores_for("a", q1=[101], sv1=[50]))
    assert caught.value.reason == "score_range"


def test_fractional_scores_only_when_the_scale_allows_them():
    bids = [Bid("a", "A", 1)]
    with pytest.raises(EvaluationRefused, match=r"is 3\.5; this tender scores in whole numbers"):
        evaluate(
            simple_criteria(),
            bids,
            [*scores_for("a", q1=[3], sv1=[3]), EvaluatorScore("e9", "a", "q1", 3.5)],
        )
    criteria = simple_criteria(scale=ScoreScale(maximum=5, whole_numbers=False))
    result = evaluate(criteria, bids, scores_for("a", q1=[Decimal("3.5")], sv1=["2.5"]))  # type: ignore[list-item]
    assert result.winner.quality_points == 28


def test_a_conflicted_evaluator_cannot_score_and_a_conflicted_moderator_cannot_moderate():
    criteria = simple_criteria()
    bids = [Bid("a", "Bid A", 1), Bid("b", "Bid B", 2)]
    scores = scores_for("a", q1=[3], sv1=[3]) + scores_for("b", q1=[3], sv1=[3])
    conflicts = [("e1", "b")]
    with pytest.raises(EvaluationRefused) as caught:
        evaluate(criteria, bids, scores, conflicts=conflicts)
    assert caught.value.reason == "conflict_of_interest"
    assert caught.value.message.startswith(
        "Evaluator 'e1' declared a conflict of interest with Bid B, so their score for "
        "'Service delivery' cannot count; another evaluator must score that bid."
    )
    # both of e1's scores on bid B, and with them gone bid B has no scores at all
    assert [m.split(",")[0] for m in caught.value.errors["scores"]] == [
        "Evaluator 'e1' declared a conflict of interest with Bid B",
        "Evaluator 'e1' declared a conflict of interest with Bid B",
        "Bid B has no score for 'Service delivery'.",
        "Bid B has no score for 'Local jobs'.",
    ]

    clean = [
        *scores_for("a", q1=[3], sv1=[3]),
        EvaluatorScore("e2", "b", "q1", 3),
        EvaluatorScore("e2", "b", "sv1", 3),
    ]
    assert evaluate(criteria, bids, clean, conflicts=conflicts).ranking
    with pytest.raises(EvaluationRefused, match="Moderator 'e1' declared a conflict"):
        evaluate(
            criteria,
            bids,
            clean,
            moderated=[ModeratedScore("b", "q1", 4, "agreed", moderator="e1")],
            conflicts=conflicts,
        )


@pytest.mark.parametrize(
    ("extra", "moderated", "reason"),
    [
        ([EvaluatorScore("e1", "zz", "q1", 3)], [], "unknown_bid"),
        ([EvaluatorScore("e1", "a", "zz", 3)], [], "unknown_criterion"),
        ([EvaluatorScore("e1", "a", "price", 3)], [], "price_scored"),
        ([EvaluatorScore("e1", "a", "q1", 4)], [], "duplicate_score"),
        ([EvaluatorScore("e5", "a", "sv1", -1)], [], "score_range"),
        ([EvaluatorScore("e5", "a", "sv1", 6)], [], "score_range"),
        ([EvaluatorScore("", "a", "sv1", 3)], [], "evaluator"),
        ([EvaluatorScore("e5", "a", "sv1", "three")], [], "number"),
        ([], [ModeratedScore("a", "q1", 4, "  ")], "moderation_rationale"),
        ([], [ModeratedScore("a", "price", 4, "x")], "unknown_criterion"),
        ([], [ModeratedScore("zz", "q1", 4, "x")], "unknown_bid"),
        (
            [],
            [ModeratedScore("a", "q1", 4, "x"), ModeratedScore("a", "q1", 3, "y")],
            "duplicate_moderation",
        ),
        ([], [ModeratedScore("a", "q1", 9, "x")], "score_range"),
    ],
)
def test_bad_scores_are_refused(extra, moderated, reason):
    scores = scores_for("a", q1=[3], sv1=[3]) + extra
    with pytest.raises(EvaluationRefused) as caught:
        evaluate(simple_criteria(), [Bid("a", "Bid A", 100)], scores, moderated=moderated)
    assert caught.value.reason == reason


def test_a_bid_without_any_score_for_a_criterion_is_refused_and_every_gap_is_listed():
    bids = [Bid("a", "Bid A", 1), Bid("b", "Bid B", 1)]
    with pytest.raises(EvaluationRefused) as caught:
        evaluate(simple_criteria(), bids, [EvaluatorScore("e1", "a", "q1", 3)])
    assert caught.value.reason == "missing_score"
    assert caught.value.errors["scores"] == [
        "Bid A has no score for 'Local jobs'.",
        "Bid B has no score for 'Service delivery'.",
        "Bid B has no score for 'Local jobs'.",
    ]
    assert caught.value.message == "Bid A has no score for 'Local jobs'. (and 2 more problems)"


def test_a_moderated_score_alone_is_enough():
    evaluation = evaluate(
        simple_criteria(),
        [Bid("a", "A", 1)],
        [EvaluatorScore("e1", "a", "sv1", 2)],
        moderated=[ModeratedScore("a", "q1", 5, "consensus")],
    )
    assert evaluation.winner.quality_points == 40


# -------------------------------------------------------------------------------------- ties


def _tie_case(bids: list[Bid], q1: dict[str, int], sv1: dict[str, int]):
    criteria = award_criteria(
        [
            Criterion("price", "Price", PRICE, 20),
            Criterion("q1", "Quality", QUALITY, 40),
            Criterion("sv1", "Social value", SOCIAL, 40),
        ],
        price_method=PriceMethod.DIFFERENCE_FROM_BUDGET,  # everyone within budget: 20
        budget_pence=1000,
    )
    scores = [EvaluatorScore("e", b.id, "q1", q1[b.id]) for b in bids]
    scores += [EvaluatorScore("e", b.id, "sv1", sv1[b.id]) for b in bids]
    return evaluate(criteria, bids, scores)


def test_level_totals_are_decided_by_quality_first():
    # total 20 + 32 + 24 = 76 for x; 20 + 24 + 32 = 76 for y
    bids = [Bid("y", "Bid Y", 100), Bid("x", "Bid X", 100)]
    evaluation = _tie_case(bids, q1={"x": 4, "y": 3}, sv1={"x": 3, "y": 4})
    assert [r.bid.id for r in evaluation.ranking] == ["x", "y"]
    assert evaluation.ranking[0].total == evaluation.ranking[1].total
    assert (
        "(level on total with Bid Y, ahead of it on quality)" in evaluation.ranking[0].explanation
    )
    assert "(level on total with Bid X, behind it on quality)" in evaluation.ranking[1].explanation
    assert evaluation.ranking[0].level_with == ()


def test_level_on_everything_scored_then_lower_price_then_reference():
    bids = [Bid("c", "Bid C", 100), Bid("b", "Bid B", 100), Bid("a", "Bid A", 90)]
    # a's lower price still scores 20, all being within budget, so all totals are level
    evaluation = _tie_case(bids, q1=dict.fromkeys("abc", 3), sv1=dict.fromkeys("abc", 3))
    assert [r.bid.id for r in evaluation.ranking] == ["a", "b", "c"]
    assert "ahead of it on price" in evaluation.ranking[0].explanation
    assert "ahead of it on bid reference" in evaluation.ranking[1].explanation
    assert evaluation.ranking[1].level_with == ("c",)
    assert evaluation.ranking[2].level_with == ("b",)
    assert not evaluation.winner_undecided


def test_a_winner_decided_only_by_reference_is_flagged():
    bids = [Bid("b", "Bid B", 100), Bid("a", "Bid A", 100)]
    evaluation = _tie_case(bids, q1=dict.fromkeys("ab", 3), sv1=dict.fromkeys("ab", 3))
    assert evaluation.winner.bid.id == "a"
    assert evaluation.winner_undecided


# ------------------------------------------------------------------------------------ notices


def test_the_notice_to_an_unsuccessful_bidder_compares_every_criterion_with_the_winner():
    criteria = simple_criteria()
    bids = [
        Bid("A", "Bid A", 100_000_000),
        Bid("B", "Bid B", 125_000_000),
        Bid("C", "Bid C", 90_000_000),
    ]
    scores = scores_for("A", q1=[2], sv1=[2]) + scores_for("B", q1=[4], sv1=[4])
    scores += scores_for("C", q1=[1], sv1=[1])
    evaluation = evaluate(criteria, bids, scores)
    notice = unsuccessful_notice(evaluation, "A")
    assert notice.winner.id == "B"
    assert (notice.rank, notice.of) == (2, 3)
    assert [(line.label, line.maximum, line.yours, line.winners) for line in notice.lines] == [
        ("Price", 40, 36, Fraction(144, 5)),  # 40 x 0.9/1.0 against 40 x 0.9/1.25
        ("Service delivery (quality)", 40, 16, 32),
        ("Local jobs (social value)", 20, 8, 16),
    ]
    assert (notice.total.yours, notice.total.winners) == (60, Fraction(384, 5))
    assert notice.text.splitlines()[:3] == [
        "Your bid (Bid A) was not successful: it ranked 2nd of 3.",
        "The contract is to be awarded to Bid B.",
        "Scores, yours against the successful bid's:",
    ]
    assert "- Total, out of 100: yours 60.0, successful bid 76.8" in notice.text
    assert notice.text.endswith(evaluation.result_for("A").explanation)
    assert [n.bid.id for n in unsuccessful_notices(evaluation)] == ["A", "C"]
    with pytest.raises(EvaluationRefused, match="highest-ranked"):
        unsuccessful_notice(evaluation, "B")
    with pytest.raises(EvaluationRefused, match="no bid"):
        unsuccessful_notice(evaluation, "Z")


# ---------------------------------------------------------------------------------- display


@pytest.mark.parametrize(
    ("pence", "text"),
    [
        (125_000_000, "£1.25m"),
        (100_000_000, "£1.00m"),
        (12_500_000, "£125,000"),
        (123_456, "£1,234.56"),
        (5, "£0.05"),
        (Fraction(1_000_001, 3), "£3,333.34"),
    ],
)
def test_money_as_people_read_it(pence, text):
    assert format_money(pence) == text


def test_points_round_half_up_and_ordinals():
    assert format_points(Fraction(7845, 100)) == "78.5"
    assert format_points(Fraction(7844, 100)) == "78.4"
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd",
        "101st", "111th", "112th",
    ]  # fmt: skip


# ------------------------------------------------------------------------------- properties


@st.composite
def split(draw: st.DrawFn, total: int, parts: int) -> list[int]:
    """`parts` positive whole numbers adding up to `total`."""
    if parts == 1:
        return [total]
    cuts = sorted(
        draw(
            st.lists(st.integers(1, total - 1), min_size=parts - 1, max_size=parts - 1, unique=True)
        )
    )
    edges = [0, *cuts, total]
    return [b - a for a, b in itertools.pairwise(edges)]


@st.composite
def tenders(draw: st.DrawFn):
    social = draw(st.integers(10, 100))
    price = draw(st.integers(0, 100 - social))
    quality = 100 - social - price
    items = []
    if price:
        items.append(Criterion("price", "Price", PRICE, price))
    if quality:
        n = draw(st.integers(1, min(3, quality)))
        items += [
            Criterion(f"q{i}", f"Quality {i}", QUALITY, w)
            for i, w in enumerate(draw(split(quality, n)))
        ]
    n = draw(st.integers(1, min(3, social)))
    items += [
        Criterion(f"s{i}", f"Social {i}", SOCIAL, w) for i, w in enumerate(draw(split(social, n)))
    ]
    method = draw(st.sampled_from(PriceMethod)) if price else None
    maximum = draw(st.sampled_from([5, 10, 100]))
    criteria = award_criteria(
        items,
        price_method=method,
        scale=ScoreScale(maximum=maximum),
        budget_pence=draw(st.integers(1, 10**9)),
    )
    n_bids = draw(st.integers(1, 8))
    bids = [Bid(f"b{i}", f"Bid {i}", draw(st.integers(1, 10**9))) for i in range(n_bids)]
    evaluators = draw(st.integers(1, 4))
    scores = [
        EvaluatorScore(f"e{e}", bid.id, c.id, draw(st.integers(0, maximum)))
        for bid in bids
        for c in items
        if c.kind is not PRICE
        for e in range(evaluators)
    ]
    moderated = [
        ModeratedScore(bid.id, c.id, draw(st.integers(0, maximum)), "agreed")
        for bid in bids
        for c in items
        if c.kind is not PRICE and draw(st.booleans())
    ]
    return criteria, bids, scores, moderated


@settings(max_examples=300, deadline=None)
@given(tenders())
def test_totals_stay_between_0_and_100_and_add_up(case):
    criteria, bids, scores, moderated = case
    evaluation = evaluate(criteria, bids, scores, moderated=moderated)
    for result in evaluation.ranking:
        assert 0 <= result.total <= 100
        assert result.total == sum(c.points for c in result.criteria)
        assert (
            result.total == result.price_points + result.quality_points + result.social_value_points
        )
        for c in result.criteria:
            assert 0 <= c.points <= c.maximum
        assert result.explanation.startswith(
            f"{result.bid.name} scored {format_points(result.total)} of 100"
        )


@settings(max_examples=300, deadline=None)
@given(tenders())
def test_ranking_is_a_permutation_consistent_with_totals(case):
    criteria, bids, scores, moderated = case
    ranking = evaluate(criteria, bids, scores, moderated=moderated).ranking
    assert sorted(r.bid.id for r in ranking) == sorted(b.id for b in bids)
    assert [r.rank for r in ranking] == list(range(1, len(bids) + 1))
    for higher, lower in itertools.pairwise(ranking):
        assert higher.total >= lower.total
        if higher.total == lower.total:
            assert (higher.quality_points, higher.social_value_points) >= (
                lower.quality_points,
                lower.social_value_points,
            )


@settings(max_examples=300, deadline=None)
@given(tenders())
def test_the_lowest_price_gets_full_price_marks(case):
    criteria, bids, scores, moderated = case
    assume(criteria.price_criterion is not None)
    evaluation = evaluate(criteria, bids, scores, moderated=moderated)
    maximum = criteria.weight_of_kind(PRICE)
    by_price = sorted(evaluation.ranking, key=lambda r: r.bid.price_pence or 0)
    lowest = by_price[0]
    if criteria.price_method is not PriceMethod.DIFFERENCE_FROM_BUDGET:
        assert lowest.price_points == maximum
    elif lowest.bid.price_pence is not None and criteria.budget_pence is not None:
        assert (lowest.price_points == maximum) == (lowest.bid.price_pence <= criteria.budget_pence)
    # and a lower price never scores fewer price points, whatever the method
    for cheaper, dearer in itertools.pairwise(by_price):
        assert cheaper.price_points >= dearer.price_points


@settings(max_examples=300, deadline=None)
@given(
    weights=st.lists(st.integers(-5, 60), min_size=3, max_size=3),
    floor=st.integers(0, 60),
)
def test_weights_and_floors_are_validated(weights, floor):
    price, quality, social = weights
    items = [
        Criterion("p", "Price", PRICE, price),
        Criterion("q", "Quality", QUALITY, quality),
        Criterion("s", "Social value", SOCIAL, social),
    ]
    valid = min(weights) > 0 and sum(weights) == 100 and 10 <= floor <= social
    if valid:
        criteria = award_criteria(items, price_method="relative", social_value_floor=floor)
        assert sum(criteria.weights.values()) == 100
        assert criteria.weight_of_kind(SOCIAL) >= max(floor, 10)
    else:
        with pytest.raises(EvaluationRefused) as caught:
            award_criteria(items, price_method="relative", social_value_floor=floor)
        assert caught.value.reason in {"weight", "weights_total", "floor", "social_value_floor"}


@settings(max_examples=200, deadline=None)
@given(tenders(), st.data())
def test_a_conflicted_score_is_always_refused(case, data):
    criteria, bids, scores, moderated = case
    entry = data.draw(st.sampled_from(scores))
    with pytest.raises(EvaluationRefused) as caught:
        evaluate(
            criteria, bids, scores, moderated=moderated, conflicts=[(entry.evaluator, entry.bid)]
        )
    assert caught.value.reason == "conflict_of_interest"
