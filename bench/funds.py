"""Time allocation by need and 360Giving publishing, on England's real places.

    python bench/funds.py [--quick]

Places: the IoD2019 files shipped in covenant/places/data (IMD rank and decile, population,
and the LSOA -> ward -> local authority lookup), read with covenant.places.ons.

Allocation: a round of 10,000 applications (``--quick``: 500) across 300 local authorities
(``--quick``: 20): seven in ten serve a whole local authority (every one of its LSOAs, so
its need is the population-weighted IMD of the borough), the rest one to three of its LSOAs
(six times in ten from its IMD decile 1-2 neighbourhoods: the most deprived ask most).
Kinds, requests, minimum viable amounts, scores and left-behind flags are drawn from a fixed
seed; one application in ten is from an individual, which the round does not fund. The budget
is a quarter of what is asked, need counts 40%, left-behind areas get 5 points and 40% of the
budget is ring-fenced for IMD deciles 1-2. Two paths, same applications:

- ``allocation``: `allocation.allocate` in full: checks, eligibility, need, ring-fence and a
  sentence for every application (target: 2 s);
- ``naive``: the rule funders use without this module: sort by score, fund in full while the
  budget lasts, written as one plain loop. To check the answer, `allocate` is also run in the
  configuration where the two rules coincide (need 0%, no ring-fence, no left-behind points,
  no eligibility test, whole requests only) and must give exactly the naive awards.

Publishing: 100,000 awarded grants (``--quick``: 2,000) to 20,000 organisations (charities,
companies and unregistered groups) and, one in twenty, to individuals, with beneficiary
locations at local authority or LSOA level; exported with `giving360.build_package` and
`to_json`, then validated with `validate_package` (target for both: 20 s). The reference is
plain `json.dumps` of the same records as flat dicts. A second reference times plain
jsonschema against our validator on the first 500 grants (``--quick``: 100), where both must
agree, on the valid package and on a damaged copy (plain jsonschema compares every pair of
grants for `uniqueItems`, so its share of that figure grows with the square of the sample).

Times are CPU seconds of this process (allocation: best of three rounds). The benchmark exits
non-zero if any award breaks the money rules, the ring-fence is missed, the package does not
validate, an individual's name appears in the output, or the paths disagree.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from covenant.funds import allocation, giving360  # noqa: E402
from covenant.funds.allocation import (  # noqa: E402
    Application,
    Area,
    Eligibility,
    Neighbourhood,
    Rules,
)
from covenant.places import ons  # noqa: E402

CLOCK = time.process_time
DATA = ROOT / "src" / "covenant" / "places" / "data"
KINDS = ("charity", "charity", "charity", "charity", "charity", "cic", "cic", "group", "group")


class BenchFailure(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise BenchFailure(message)


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    started = CLOCK()
    result = run()
    return CLOCK() - started, result


def load_places() -> tuple[dict[str, list[Neighbourhood]], dict[str, str], dict[str, Any]]:
    """Neighbourhoods by local authority, local authority names, and each LSOA's ward."""
    population: dict[str, int] = {}
    with ons.open_table(DATA / "File_6_-_IoD2019_Population_Denominators.csv.gz") as table:
        for row in table:
            if isinstance(row, ons.PopulationRow):
                population[row.lsoa_code] = row.population
    by_la: dict[str, list[Neighbourhood]] = defaultdict(list)
    names: dict[str, str] = {}
    with ons.open_table(DATA / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz") as table:
        for row in table:
            if isinstance(row, ons.DeprivationRow):
                by_la[row.lad_code].append(
                    Neighbourhood(
                        row.lsoa_code,
                        row.ranks["imd"],
                        row.deciles["imd"],
                        population[row.lsoa_code],
                        row.lad_code,
                    )
                )
                names[row.lad_code] = row.lad_name
    wards: dict[str, Any] = {}
    ward_file = (
        DATA / "Lower_Layer_Super_Output_Area_2011_to_Ward_2017_Lookup_in_England_and_Wales.csv.gz"
    )
    with ons.open_table(ward_file) as table:
        for row in table:
            if isinstance(row, ons.LsoaWardRow):
                wards[row.lsoa_code] = row
    return dict(by_la), names, wards


# Allocation --------------------------------------------------------------------------------


def make_applications(
    rng: Random,
    by_la: dict[str, list[Neighbourhood]],
    names: dict[str, str],
    las: list[str],
    n: int,
) -> list[Application]:
    la_areas = {la: Area.of(names[la], by_la[la], local_authority=la) for la in las}
    apps = []
    for index in range(n):
        la = rng.choice(las)
        if rng.random() < 0.7:
            area = la_areas[la]
        else:
            # Community funds hear most from the most deprived neighbourhoods.
            deprived = [h for h in by_la[la] if h.imd_decile <= 2]
            pool = deprived if deprived and rng.random() < 0.6 else by_la[la]
            hoods = rng.sample(pool, min(len(pool), rng.randint(1, 3)))
            area = Area.of(f"{names[la]} ({len(hoods)} LSOAs)", hoods, local_authority=la)
        requested = rng.randrange(1_000, 50_001) * 100
        minimum = None if rng.random() < 0.5 else requested * rng.randint(40, 100) // 100
        apps.append(
            Application(
                id=f"A{index:06d}",
                organisation_kind="individual" if rng.random() < 0.1 else rng.choice(KINDS),
                requested_pence=requested,
                score=float(rng.randint(20, 100)),
                area=area,
                minimum_pence=minimum,
                left_behind=rng.random() < 0.05,
                verified=rng.random() < 0.9,
                annual_income_pence=rng.randrange(0, 2_000_000) * 100,
            )
        )
    return apps


def naive_allocate(apps: list[Application], budget: int) -> dict[str, int]:
    """Score order, whole requests, while the budget lasts (ties as the rule settles them)."""
    order = sorted(
        apps,
        key=lambda a: (
            -min(allocation.PPM, round(a.score / 100 * allocation.PPM)),
            -a.area.need_ppm,
            a.requested_pence,
            a.id,
        ),
    )
    left = budget
    awards = {}
    for app in order:
        if app.requested_pence <= left:
            awards[app.id] = app.requested_pence
            left -= app.requested_pence
        else:
            awards[app.id] = 0
    return awards


def check_allocation(apps: list[Application], rules: Rules, result: allocation.Allocation) -> None:
    total = 0
    for app, award in zip(apps, result.awards, strict=True):
        check(award.awarded_pence <= app.requested_pence, f"{app.id} got more than it asked")
        check(award.eligible or award.awarded_pence == 0, f"{app.id} is ineligible but funded")
        check(bool(award.explanation), f"{app.id} has no explanation")
        total += award.awarded_pence
    check(total == result.awarded_pence <= rules.budget_pence, "the awards overspend the budget")
    # The scenario is built so the ring-fence can be met (see the rule's guarantee).
    share = result.share
    check(share is not None, "no ring-fence outcome")
    assert share is not None
    counting = [
        app
        for app, award in zip(apps, result.awards, strict=True)
        if award.eligible and award.counts_toward_share
    ]
    room = rules.budget_pence - share.required_pence
    check(
        sum(a.requested_pence for a in counting) >= share.required_pence
        and all((a.minimum_pence or a.requested_pence) <= room for a in counting),
        "the scenario cannot meet its ring-fence, so it does not test it",
    )
    check(share.met, f"the ring-fence was not met: {share.explanation}")


def run_allocation(
    quick: bool, by_la: dict[str, list[Neighbourhood]], names: dict[str, str]
) -> dict[str, Any]:
    rng = Random(2019)
    las = sorted(by_la)[: 20 if quick else 300]
    n = 500 if quick else 10_000
    apps = make_applications(rng, by_la, names, las, n)
    budget = sum(a.requested_pence for a in apps) // 4
    rules = Rules(
        budget_pence=budget,
        eligibility=Eligibility(
            organisation_kinds=frozenset({"charity", "cic", "group"}),
            largest_request_pence=4_000_000,
        ),
        need_weight=0.4,
        left_behind_points=5.0,
        most_deprived_share=0.4,
        most_deprived_deciles=2,
    )
    plain_rules = Rules(budget_pence=budget, need_weight=0.0, decile_one_is_left_behind=False)
    whole = [
        Application(a.id, a.organisation_kind, a.requested_pence, a.score, a.area) for a in apps
    ]
    # The answer, before anything is timed: the rule equals the naive loop where they coincide.
    coinciding = allocation.allocate(whole, plain_rules)
    expected = naive_allocate(whole, budget)
    check(
        {a.application_id: a.awarded_pence for a in coinciding.awards} == expected,
        "allocate and the naive loop disagree where their rules coincide",
    )

    best = {"allocation": float("inf"), "naive": float("inf"), "what_if": float("inf")}
    first: allocation.Allocation | None = None
    for _ in range(3):
        seconds, result = timed(lambda: allocation.allocate(apps, rules))
        best["allocation"] = min(best["allocation"], seconds)
        check_allocation(apps, rules, result)
        if first is None:
            first = result
        check(
            [a.awarded_pence for a in result.awards] == [a.awarded_pence for a in first.awards],
            "two runs gave different awards",
        )
        seconds, _ = timed(lambda: naive_allocate(whole, budget))
        best["naive"] = min(best["naive"], seconds)
        seconds, _ = timed(
            functools.partial(allocation.what_if, apps, rules, need_weight=0.7, before=first)
        )
        best["what_if"] = min(best["what_if"], seconds)
    assert first is not None
    assert first.share is not None
    print(first.summary)
    funded = sum(1 for a in first.awards if a.awarded_pence)
    print(f"allocation: {n:,} applications, {len(las)} local authorities, {funded:,} funded")
    return {
        "applications": n,
        "local_authorities": len(las),
        "funded": funded,
        "allocation_s": round(best["allocation"], 3),
        "allocation_target_s": 2.0,
        "what_if_s": round(best["what_if"], 3),
        "naive_allocation_s": round(best["naive"], 4),
        "ring_fence_share": round(first.share.achieved_pence / budget, 3),
    }


# Publishing --------------------------------------------------------------------------------


def make_records(
    rng: Random,
    by_la: dict[str, list[Neighbourhood]],
    names: dict[str, str],
    wards: dict[str, Any],
    n: int,
) -> list[giving360.GrantRecord]:
    las = sorted(by_la)
    la_place = {la: giving360.Place(la, names[la]) for la in las}
    organisations = []
    for index in range(min(20_000, max(50, n // 5))):
        kind = rng.random()
        organisations.append(
            giving360.RecipientOrganisation(
                reference=f"ORG{index:05d}",
                name=f"Community group {index:05d}",
                charity_number=str(1_000_000 + index) if kind < 0.5 else "",
                company_number=f"{index:08d}" if 0.5 <= kind < 0.7 else "",
                location=(la_place[rng.choice(las)],),
            )
        )
    programmes = [giving360.Programme(f"P{n}", f"Programme {n}") for n in range(1, 6)]
    records = []
    modified = datetime(2025, 4, 1, tzinfo=UTC)
    for index in range(n):
        la = rng.choice(las)
        hood = rng.choice(by_la[la])
        ward = wards[hood.lsoa_code]
        lsoa_place = giving360.Place(
            hood.lsoa_code, ward.lsoa_name, ward.ward_code, ward.ward_name, la, names[la]
        )
        beneficiary = (la_place[la],) if rng.random() < 0.6 else (lsoa_place,)
        recipient: giving360.RecipientOrganisation | giving360.RecipientIndividual
        if rng.random() < 0.05:
            recipient = giving360.RecipientIndividual(
                f"PERSON{index:06d}",
                name=f"Person Name{index:06d}",
                postcode="L34 5QW",
                place=lsoa_place,
            )
        else:
            recipient = rng.choice(organisations)
        start = date(2024, rng.randint(1, 12), 1)
        records.append(
            giving360.GrantRecord(
                reference=f"G{index:07d}",
                title=f"Grant {index}",
                description="Community activities for local residents",
                amount_pence=rng.randrange(500, 50_001) * 100,
                award_date=start - timedelta(days=rng.randint(1, 90)),
                recipient=recipient,
                beneficiary=beneficiary,
                planned_start=start,
                planned_end=start + timedelta(days=364),
                duration_months=12,
                programme=rng.choice(programmes),
                from_open_call=True,
                modified=modified,
            )
        )
    return records


def flat(record: giving360.GrantRecord) -> dict[str, Any]:
    recipient = record.recipient
    return {
        "reference": record.reference,
        "title": record.title,
        "description": record.description,
        "amount_pence": record.amount_pence,
        "award_date": record.award_date.isoformat(),
        "recipient": recipient.reference,
        "recipient_name": getattr(recipient, "name", ""),
        "beneficiary": [p.code for p in record.beneficiary],
        "planned_start": record.planned_start.isoformat() if record.planned_start else None,
        "planned_end": record.planned_end.isoformat() if record.planned_end else None,
        "programme": record.programme.code if record.programme else None,
    }


def run_publishing(
    quick: bool, by_la: dict[str, list[Neighbourhood]], names: dict[str, str], wards: dict[str, Any]
) -> dict[str, Any]:
    rng = Random(360)
    n = 2_000 if quick else 100_000
    records = make_records(rng, by_la, names, wards, n)
    funder = giving360.Funder(
        prefix="360G-benchcf", name="Bench Community Foundation", charity_number="1123456"
    )
    key = b"bench anonymisation key, 32 byt"

    build_s, package = timed(
        lambda: giving360.build_package(
            records, funder=funder, issued=date(2025, 4, 1), anonymisation_key=key
        )
    )
    serialise_s, text = timed(lambda: giving360.to_json(package))
    validate_s, errors = timed(lambda: giving360.validate_package(package))
    check(errors == [], f"the package does not validate: {errors[:3]}")
    check(len(package["grants"]) == n, "grants went missing")
    check("Person Name" not in text and "PERSON0" not in text, "an individual is named")
    reference_s, _ = timed(lambda: json.dumps([flat(r) for r in records]))

    sample = dict(package, grants=package["grants"][: 100 if quick else 500])
    damaged = json.loads(json.dumps(sample))
    damaged["grants"][0]["awardDate"] = "2025-13-01"
    del damaged["grants"][1]["title"]
    damaged["grants"][2]["currency"] = "XYZ"
    check(
        giving360.validate_package(damaged) == giving360.validate_package(damaged, fast=False),
        "our validator and plain jsonschema disagree on a damaged package",
    )
    check(len(giving360.validate_package(damaged)) == 3, "damage went unnoticed")
    fast_sample_s, fast_errors = timed(lambda: giving360.validate_package(sample))
    plain_sample_s, plain_errors = timed(lambda: giving360.validate_package(sample, fast=False))
    check(fast_errors == plain_errors == [], "our validator and plain jsonschema disagree")
    export_validate = build_s + serialise_s + validate_s
    print(
        f"publishing: {n:,} grants, {len(text) / 1e6:.1f} MB of JSON; build {build_s:.2f} s, "
        f"serialise {serialise_s:.2f} s, validate {validate_s:.2f} s"
    )
    return {
        "grants": n,
        "json_mb": round(len(text) / 1e6, 1),
        "build_s": round(build_s, 3),
        "serialise_s": round(serialise_s, 3),
        "validate_s": round(validate_s, 3),
        "export_validate_s": round(export_validate, 3),
        "export_validate_target_s": 20.0,
        "plain_json_s": round(reference_s, 3),
        "validation_sample_grants": len(sample["grants"]),
        "validate_sample_s": round(fast_sample_s, 4),
        "plain_jsonschema_sample_s": round(plain_sample_s, 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    args = parser.parse_args()
    started = CLOCK()
    by_la, names, wards = load_places()
    print(
        f"places: {sum(map(len, by_la.values())):,} LSOAs in {len(by_la)} local authorities "
        f"read in {CLOCK() - started:.1f} s"
    )
    try:
        allocating = run_allocation(args.quick, by_la, names)
        publishing = run_publishing(args.quick, by_la, names, wards)
    except BenchFailure as failure:
        print(f"funds benchmark failed: {failure}", file=sys.stderr)
        return 1
    figures = {**allocating, **publishing}
    ratios = {
        "allocation_over_naive": round(
            allocating["allocation_s"] / allocating["naive_allocation_s"], 1
        ),
        "allocation_over_target": round(allocating["allocation_s"] / 2.0, 3),
        "export_validate_over_plain_json": round(
            publishing["export_validate_s"] / publishing["plain_json_s"], 1
        ),
        "export_validate_over_target": round(publishing["export_validate_s"] / 20.0, 3),
        "plain_jsonschema_over_ours": round(
            publishing["plain_jsonschema_sample_s"] / publishing["validate_sample_s"], 1
        ),
    }
    print(json.dumps({"benchmark": "funds", "figures": figures, "ratios": ratios}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
