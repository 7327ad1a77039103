"""Time bid evaluation (covenant.commissioning.evaluation) against a naive reference.

    python bench/commissioning.py [--quick]

Builds 200 tenders (``--quick``: 10), each with 50 bids (``--quick``: 10) scored by 5
evaluators (``--quick``: 3) on five sub-criteria (three quality, two social value) plus price,
the price method cycling through all five published methods; about one score in ten is
moderated and each tender declares conflicts of interest for an observer who scores nothing.
Then, on one core, it times two paths over the same tenders:

- ``ours``: ``evaluation.award_criteria`` and ``evaluation.evaluate`` in full: every check
  (conflicts, repeats, scale, completeness), exact totals, the ranking with its tie-break
  rules and the sentence explaining each bid's score;
- ``naive``: the formulas transcribed the way a spreadsheet does them: for every bid it
  recomputes the lowest, highest and mean price and, for every criterion, scans all of the
  tender's scores and moderations for that bid's; exact fractions too, so the answers must
  agree exactly. It writes no sentences and checks nothing, so it does less work per bid than
  ours, but scans grow with the square of the bids.

Times are CPU seconds of this process; each path runs three rounds and keeps its best. The
answer is checked before timing: every tender's totals and ranking must be identical in both
paths, every total at most 100, or the benchmark exits non-zero. A second figure,
``per_bid_time_large_over_small``, compares ours' time per bid at the full bid count with
ten times fewer bids per tender (same number of scores overall): near 1 means evaluation
grows linearly with the bids.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from covenant.commissioning.evaluation import (  # noqa: E402
    Bid,
    Criterion,
    CriterionKind,
    EvaluatorScore,
    ModeratedScore,
    PriceMethod,
    ScoreScale,
    award_criteria,
    evaluate,
)

CLOCK = time.process_time
METHODS = tuple(PriceMethod)
CRITERIA = (
    Criterion("price", "Price", CriterionKind.PRICE, 40),
    Criterion("q1", "Service delivery", CriterionKind.QUALITY, 15),
    Criterion("q2", "Safeguarding", CriterionKind.QUALITY, 15),
    Criterion("q3", "Vehicles and drivers", CriterionKind.QUALITY, 10),
    Criterion("sv1", "Local jobs", CriterionKind.SOCIAL_VALUE, 12, "MAC 2.1"),
    Criterion("sv2", "Net zero fleet", CriterionKind.SOCIAL_VALUE, 8, "MAC 4.1"),
)
SCORED = tuple(c for c in CRITERIA if c.kind is not CriterionKind.PRICE)


@dataclass(frozen=True)
class TenderCase:
    method: PriceMethod
    budget: int
    bids: tuple[Bid, ...]
    scores: tuple[EvaluatorScore, ...]
    moderated: tuple[ModeratedScore, ...]
    conflicts: tuple[tuple[str, str], ...]


def build(tenders: int, bids: int, evaluators: int, seed: int = 2026) -> list[TenderCase]:
    rng = Random(seed)
    cases = []
    for t in range(tenders):
        base = rng.randint(50_000_00, 5_000_000_00)
        tender_bids = tuple(
            Bid(f"T{t}-B{b:03d}", f"Bid {b}", int(base * rng.uniform(0.8, 1.6)))
            for b in range(bids)
        )
        scores = tuple(
            EvaluatorScore(f"e{e}", bid.id, c.id, rng.randint(0, 5))
            for bid in tender_bids
            for c in SCORED
            for e in range(evaluators)
        )
        moderated = tuple(
            ModeratedScore(bid.id, c.id, rng.randint(0, 5), "agreed at moderation", "chair")
            for bid in tender_bids
            for c in SCORED
            if rng.random() < 0.1
        )
        conflicts = tuple(("observer", bid.id) for bid in rng.sample(tender_bids, min(2, bids)))
        cases.append(
            TenderCase(
                METHODS[t % len(METHODS)],
                int(base * 1.2),
                tender_bids,
                scores,
                moderated,
                conflicts,
            )
        )
    return cases


# ------------------------------------------------------------------------------------ paths

Answer = list[tuple[str, Fraction]]


def ours(case: TenderCase) -> Answer:
    criteria = award_criteria(
        CRITERIA, price_method=case.method, budget_pence=case.budget, scale=ScoreScale(5)
    )
    result = evaluate(
        criteria, case.bids, case.scores, moderated=case.moderated, conflicts=case.conflicts
    )
    return [(r.bid.id, r.total) for r in result.ranking]


def naive(case: TenderCase) -> Answer:
    rows = []
    for bid in case.bids:
        prices = [b.price_pence for b in case.bids if b.price_pence is not None]
        lowest, highest = min(prices), max(prices)
        mean = Fraction(sum(prices), len(prices))
        price = bid.price_pence
        assert price is not None
        m = Fraction(40)
        if case.method is PriceMethod.RELATIVE:
            price_pts = m * lowest / price
        elif case.method is PriceMethod.DIFFERENCE_FROM_LOWEST:
            price_pts = m * max(Fraction(0), 1 - Fraction(price - lowest, lowest))
        elif case.method is PriceMethod.DIFFERENCE_FROM_MEAN:
            price_pts = m * min(Fraction(1), max(Fraction(0), 1 - (price - mean) / mean))
        elif case.method is PriceMethod.DIFFERENCE_FROM_BUDGET:
            ratio = 1 - Fraction(price - case.budget, case.budget)
            price_pts = m * min(Fraction(1), max(Fraction(0), ratio))
        else:
            price_pts = m if highest == lowest else m * Fraction(highest - price, highest - lowest)
        quality = social = Fraction(0)
        for c in SCORED:
            agreed = [s.score for s in case.moderated if s.bid == bid.id and s.criterion == c.id]
            given = [
                Fraction(s.score) for s in case.scores if s.bid == bid.id and s.criterion == c.id
            ]
            score = Fraction(agreed[0]) if agreed else sum(given, Fraction(0)) / len(given)
            points = Fraction(c.weight) * score / 5  # type: ignore[arg-type]
            if c.kind is CriterionKind.QUALITY:
                quality += points
            else:
                social += points
        total = price_pts + quality + social
        rows.append(((-total, -quality, -social, price, bid.id), total))
    rows.sort()
    return [(key[4], total) for key, total in rows]


def timed(path: Callable[[TenderCase], Answer], cases: Sequence[TenderCase]) -> float:
    start = CLOCK()
    for case in cases:
        path(case)
    return CLOCK() - start


def check(cases: Sequence[TenderCase]) -> None:
    for case in cases:
        mine, theirs = ours(case), naive(case)
        if mine != theirs:
            raise SystemExit(f"ours and naive disagree on a tender priced by {case.method.value}")
        if any(not 0 <= total <= 100 for _, total in mine):
            raise SystemExit("a total fell outside 0 to 100")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 tenders of 10 bids, 3 evaluators")
    args = parser.parse_args()
    tenders, bids, evaluators, rounds = (10, 10, 3, 2) if args.quick else (200, 50, 5, 3)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    cases = build(tenders, bids, evaluators)
    # The same number of bids overall, in tenders a tenth the size, for the scaling figure.
    small = build(tenders * 10, max(1, bids // 10), evaluators, seed=7)
    check(cases)
    check(small[: max(1, len(small) // 10)])
    gc.collect()
    gc.freeze()

    best = {"ours": float("inf"), "naive": float("inf"), "ours_small": float("inf")}
    for round_number in range(1, rounds + 1):
        spent = {
            "ours": timed(ours, cases),
            "naive": timed(naive, cases),
            "ours_small": timed(ours, small),
        }
        for path, seconds in spent.items():
            best[path] = min(best[path], seconds)
        print(
            f"round {round_number}: " + ", ".join(f"{p} {s:.2f} s" for p, s in spent.items()),
            flush=True,
        )

    n_bids = tenders * bids
    n_scores = n_bids * len(SCORED) * evaluators
    per_bid_large = best["ours"] / n_bids
    per_bid_small = best["ours_small"] / (len(small) * max(1, bids // 10))
    result = {
        "benchmark": "commissioning",
        "figures": {
            "tenders": tenders,
            "bids_per_tender": bids,
            "evaluators": evaluators,
            "scores": n_scores,
            "ours_seconds": round(best["ours"], 3),
            "naive_seconds": round(best["naive"], 3),
            "ours_bids_per_s": round(n_bids / best["ours"], 1),
            "naive_bids_per_s": round(n_bids / best["naive"], 1),
            "ours_scores_per_s": round(n_scores / best["ours"], 1),
        },
        "ratios": {
            "ours_over_naive": round(best["naive"] / best["ours"], 2),
            "per_bid_time_large_over_small": round(per_bid_large / per_bid_small, 2),
        },
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
