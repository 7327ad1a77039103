"""Time the community-transport scheduler on a realistic day over one real borough.

    python bench/transport.py [--quick] [--seconds S] [--lad E08000015] [--seed 7]

The day (seeded, so every run builds the same one): the Metropolitan Borough of Wirral
(E08000015, 206 LSOAs, about 30 km across), with places at the ONS population-weighted
centroids of its LSOAs (the gzip copies shipped in ``src/covenant/places/data``). Passengers
live in LSOAs drawn in proportion to population (IoD2019 File 6). Eight destinations (three
clinics, three day centres, two shopping centres) and three vehicle bases are LSOAs drawn
once. 100 return journeys make 200 bookings:

- half are clinic appointments between 09:00 and 15:00: out arriving by the appointment (at
  most 45 minutes early), back with a one-hour pick-up window starting when the appointment
  should be over (60 to 120 minutes later);
- 30% are day-centre days: picked up 08:15-09:45 to arrive 09:00-10:00, home from 15:00 with
  a 45-minute window;
- 20% are shopping trips: picked up in a one-hour window between 09:30 and 11:30, home two to
  three hours later in a one-hour window.

One party in seven travels with a wheelchair, one in ten with an escort, one in eight is two
passengers. Boarding takes 2 minutes (5 with a wheelchair), alighting 1 (4). The maximum ride
is the larger of 30 minutes and 1.5 times the direct journey plus 15 minutes. 15 vehicles:
five minibuses (12 seats, 2 wheelchair spaces, 07:30-18:30), five accessible MPVs (4 seats, 1
space, 08:00-18:00), five cars (3 passenger seats, 08:00-17:30), spread over the three bases.
20 volunteer drivers: eight free all day, six mornings (07:30-13:30), six afternoons
(12:30-18:30); all may drive cars and MPVs, eight may drive the minibuses (MiDAS). Travel
times are the default straight-line model (haversine x 1.3, speed rising with leg length).

It schedules the day twice, in the same process: with the target time limit (10 s; with
``--quick`` a smaller day and 0.3 s) and with ten times as long, and reports both. A full run
also schedules it a third time, ten times as long without cutting the day in two first
(``cut_day=False``, see ``routing._Router``): the plain search, slower to converge, is the
better yardstick of how short a plan the solver can find given time
(``distance_over_plain_long``). The OR-Tools
time limit is wall-clock; the figures also give each solve's CPU time, because this machine
has two cores shared with other work, and a solve that waited for a core got less search than
its wall-clock says. Targets: ``solve_s`` <= 10, every booking that passes the pre-checks
served, ``distance_over_long`` <= 1.03.

The answer is checked: both plans must keep every rule (``routing.check_plan``: windows,
capacities, ride times, pick-up before drop-off on one route, drivers eligible and available,
every booking served or listed with a reason), or the benchmark exits non-zero.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from covenant.places import ons  # noqa: E402
from covenant.transport.distance import Point, StraightLine, TravelMatrix  # noqa: E402
from covenant.transport.routing import (  # noqa: E402
    Booking,
    Driver,
    Plan,
    Vehicle,
    Window,
    arrive_by,
    check_plan,
    schedule,
)

DATA = ROOT / "src" / "covenant" / "places" / "data"
LOOKUP = DATA / "Lower_Layer_Super_Output_Area_2011_to_Ward_2017_Lookup_in_England_and_Wales.csv.gz"
CENTROIDS = (
    DATA / "Lower_Layer_Super_Output_Areas_December_2011_Population_Weighted_Centroids.csv.gz"
)
POPULATION = DATA / "File_6_-_IoD2019_Population_Denominators.csv.gz"
H = 3600
M = 60


def lsoas(lad: str) -> tuple[str, list[tuple[str, float, float, int]]]:
    """(borough name, [(LSOA code, latitude, longitude, population)]) in code order."""
    name = ""
    codes: set[str] = set()
    with ons.open_table(LOOKUP, expect=ons.Kind.LSOA_WARD) as table:
        for row in table:
            if isinstance(row, ons.LsoaWardRow) and row.lad_code == lad:
                codes.add(row.lsoa_code)
                name = row.lad_name
    if not codes:
        raise SystemExit(f"no LSOAs for local authority {lad}")
    where: dict[str, tuple[float, float]] = {}
    with ons.open_table(CENTROIDS, expect=ons.Kind.CENTROIDS) as table:
        for row in table:
            if isinstance(row, ons.CentroidRow) and row.lsoa_code in codes:
                where[row.lsoa_code] = (row.latitude, row.longitude)
    people: dict[str, int] = {}
    with ons.open_table(POPULATION, expect=ons.Kind.POPULATION) as table:
        for row in table:
            if isinstance(row, ons.PopulationRow) and row.lsoa_code in codes:
                people[row.lsoa_code] = row.population
    return name, [(c, *where[c], people.get(c, 1)) for c in sorted(codes) if c in where]


def instance(
    lad: str, trips: int, vehicles_per_kind: int, drivers: tuple[int, int, int, int], seed: int
) -> tuple[str, TravelMatrix, list[Booking], list[Vehicle], list[Driver]]:
    """The seeded day described in the module docstring."""
    rng = random.Random(seed)
    borough, areas = lsoas(lad)
    points = {code: Point(code, lat, lon) for code, lat, lon, _ in areas}
    codes = [code for code, *_ in areas]
    weights = [population for *_, population in areas]
    special = rng.sample(codes, 11)
    clinics, centres, shops, bases = special[:3], special[3:6], special[6:8], special[8:11]
    places = list(points.values())
    travel = StraightLine().matrix(places)

    def direct(a: str, b: str) -> int:
        return int(travel.seconds[travel.index(a), travel.index(b)])

    bookings: list[Booking] = []
    for trip in range(trips):
        home = rng.choices(codes, weights)[0]
        wheelchairs = 1 if rng.random() < 1 / 7 else 0
        party = {
            "passengers": 2 if rng.random() < 1 / 8 else 1,
            "wheelchairs": wheelchairs,
            "escorts": 1 if rng.random() < 0.1 else 0,
            "boarding_s": 300 if wheelchairs else 120,
            "alighting_s": 240 if wheelchairs else 60,
        }
        kind = rng.random()
        if kind < 0.5:
            there = rng.choice(clinics)
            appointment = 9 * H + 10 * M * rng.randrange(37)
            out = {"dropoff_window": arrive_by(appointment, allowance_s=45 * M)}
            ready = appointment + rng.randrange(60, 121, 15) * M
            back = {"pickup_window": Window(ready, ready + H)}
        elif kind < 0.8:
            there = rng.choice(centres)
            start = 8 * H + 15 * M + 15 * M * rng.randrange(3)
            out = {
                "pickup_window": Window(start, start + H),
                "dropoff_window": Window(start + 45 * M, start + 105 * M),
            }
            home_time = 15 * H + 15 * M * rng.randrange(4)
            back = {"pickup_window": Window(home_time, home_time + 45 * M)}
        else:
            there = rng.choice(shops)
            start = 9 * H + 30 * M + 15 * M * rng.randrange(9)
            out = {"pickup_window": Window(start, start + H)}
            ready = start + rng.randrange(120, 181, 15) * M
            back = {"pickup_window": Window(ready, ready + H)}
        for leg, (a, b, windows) in enumerate(((home, there, out), (there, home, back))):
            ride = max(30 * M, round(1.5 * direct(a, b)) + 15 * M)
            bookings.append(
                Booking(
                    id=f"t{trip:03d}{'ab'[leg]}",
                    pickup=a,
                    dropoff=b,
                    max_ride_s=ride,
                    **windows,
                    **party,
                )
            )

    kinds = (
        ("minibus", 12, 2, Window(7 * H + 30 * M, 18 * H + 30 * M)),
        ("mpv", 4, 1, Window(8 * H, 18 * H)),
        ("car", 3, 0, Window(8 * H, 17 * H + 30 * M)),
    )
    fleet = [
        Vehicle(f"{kind}{i + 1}", seats, spaces, bases[(i + k) % len(bases)], shift)
        for k, (kind, seats, spaces, shift) in enumerate(kinds)
        for i in range(vehicles_per_kind)
    ]
    everyone = frozenset(v.id for v in fleet if not v.id.startswith("minibus"))
    minibuses = frozenset(v.id for v in fleet if v.id.startswith("minibus"))
    all_day, mornings, afternoons, midas = drivers
    pattern = (
        [(Window(7 * H + 30 * M, 18 * H + 30 * M),)] * all_day
        + [(Window(7 * H + 30 * M, 13 * H + 30 * M),)] * mornings
        + [(Window(12 * H + 30 * M, 18 * H + 30 * M),)] * afternoons
    )
    rng.shuffle(pattern)
    volunteers = [
        Driver(f"driver{i + 1:02d}", windows, everyone | (minibuses if i < midas else frozenset()))
        for i, windows in enumerate(pattern)
    ]
    names = set(clinics) | set(centres) | set(shops) | set(bases)
    names |= {b.pickup for b in bookings} | {b.dropoff for b in bookings}
    used = [p for p in places if p.name in names]
    return borough, StraightLine().matrix(used), bookings, fleet, volunteers


def solve(
    travel: TravelMatrix,
    bookings: list[Booking],
    fleet: list[Vehicle],
    volunteers: list[Driver],
    seconds: float,
    *,
    cut_day: bool = True,
) -> tuple[Plan, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    plan = schedule(
        bookings=bookings,
        vehicles=fleet,
        drivers=volunteers,
        travel=travel,
        time_limit_s=seconds,
        cut_day=cut_day,
    )
    return plan, time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=float, default=None, help="the target time limit")
    parser.add_argument("--lad", default="E08000015")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.quick:
        trips, per_kind, crew, seconds = 15, 1, (2, 1, 1, 1), 0.3
    else:
        trips, per_kind, crew, seconds = 100, 5, (8, 6, 6, 8), 10.0
    if args.seconds is not None:
        seconds = args.seconds

    borough, travel, bookings, fleet, volunteers = instance(
        args.lad, trips, per_kind, crew, args.seed
    )
    print(
        f"{borough} ({args.lad}): {len(bookings)} bookings, {len(fleet)} vehicles, "
        f"{len(volunteers)} drivers, {len(travel)} places"
    )
    short, short_wall, short_cpu = solve(travel, bookings, fleet, volunteers, seconds)
    long, long_wall, long_cpu = solve(travel, bookings, fleet, volunteers, 10 * seconds)
    runs = [("short", short), ("long", long)]
    plain = None
    if not args.quick:
        plain, plain_wall, plain_cpu = solve(
            travel, bookings, fleet, volunteers, 10 * seconds, cut_day=False
        )
        runs.append(("plain long", plain))

    problems = []
    for label, plan in runs:
        broken = check_plan(
            plan, bookings=bookings, vehicles=fleet, travel=travel, drivers=volunteers
        )
        problems += [f"{label}: {p}" for p in broken]
        reasons = Counter(str(u.reason) for u in plan.unserved)
        print(
            f"{label} ({plan.solve_s:.1f} s, {plan.status}): served {len(plan.served)}, "
            f"{plan.distance_m / 1000:.1f} km, {plan.vehicles_used} vehicles, "
            f"{len(plan.routes)} routes, {len(plan.duties)} duties; unserved {dict(reasons)}"
        )
    if problems:
        print("transport: WRONG ANSWER: " + "; ".join(problems[:10]), file=sys.stderr)
        return 1
    for route in short.routes:
        print(
            f"  {route.vehicle_id:9} {route.driver_id} {route.duty}: "
            f"{len(route.booking_ids):2} bookings, {route.distance_m / 1000:5.1f} km"
        )
    prechecked = len(bookings) - sum(u.found_before_solving for u in short.unserved)
    result = {
        "benchmark": "transport",
        "figures": {
            "bookings": len(bookings),
            "vehicles": len(fleet),
            "drivers": len(volunteers),
            "time_limit_s": seconds,
            "bookings_feasible": prechecked,
            "bookings_served": len(short.served),
            "total_distance_km": round(short.distance_m / 1000, 2),
            "vehicles_used": short.vehicles_used,
            "solve_s": round(short_wall, 2),
            "solve_cpu_s": round(short_cpu, 2),
            "long_time_limit_s": 10 * seconds,
            "long_bookings_served": len(long.served),
            "long_total_distance_km": round(long.distance_m / 1000, 2),
            "long_vehicles_used": long.vehicles_used,
            "long_solve_s": round(long_wall, 2),
            "long_solve_cpu_s": round(long_cpu, 2),
        },
        "ratios": {
            "served_over_feasible": round(len(short.served) / max(prechecked, 1), 4),
            "distance_over_long": round(short.distance_m / max(long.distance_m, 1), 4),
            "cpu_over_wall": round(short_cpu / short_wall, 2),
        },
    }
    if plain is not None:
        result["figures"].update(
            {
                "plain_long_bookings_served": len(plain.served),
                "plain_long_total_distance_km": round(plain.distance_m / 1000, 2),
                "plain_long_solve_s": round(plain_wall, 2),
                "plain_long_solve_cpu_s": round(plain_cpu, 2),
            }
        )
        result["ratios"]["distance_over_plain_long"] = round(
            short.distance_m / max(plain.distance_m, 1), 4
        )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
