"""The scheduler: small days worked out by hand, every reason a booking can be refused, bad
input, the roster, and properties of plans for random small days.

Most hand-checked days are on a line: places at whole kilometres from the base, 100 seconds a
kilometre (36 km/h), so a route's metres and times can be added up in one's head.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from covenant.transport.distance import UNREACHABLE, Point, StraightLine, TravelMatrix
from covenant.transport.routing import (
    Booking,
    Driver,
    Duty,
    Pin,
    Plan,
    Reason,
    Route,
    StopKind,
    Vehicle,
    Window,
    arrive_by,
    check_plan,
    roster,
    schedule,
)

H = 3600
M = 60
DAY = Window(8 * H, 17 * H)


def line(**km: float) -> TravelMatrix:
    """Places on a straight road, `km` from the base; 100 s per km."""
    names = tuple(km)
    at = np.array([km[n] for n in names], dtype=np.float64)
    gap = np.abs(at[:, None] - at[None, :])
    return TravelMatrix(
        names, np.rint(gap * 1000).astype(np.int64), np.rint(gap * 100).astype(np.int64)
    )


ROAD = line(base=0, a=1, a2=1, b=2, c=3, h=5, hc=6, far=10, west=-5)


def car(name: str = "car", base: str = "base", shift: Window = DAY) -> Vehicle:
    return Vehicle(name, seats=4, wheelchair_spaces=0, base=base, shift=shift)


def van(name: str = "van", base: str = "base", shift: Window = DAY) -> Vehicle:
    return Vehicle(name, seats=2, wheelchair_spaces=1, base=base, shift=shift)


def driver(name: str, *vehicles: str, free: Sequence[Window] = (DAY,)) -> Driver:
    return Driver(name, tuple(free), frozenset(vehicles))


def trip(name: str, pickup: str, dropoff: str, **kwargs: object) -> Booking:
    kwargs.setdefault("pickup_window", Window(9 * H, 10 * H))
    return Booking(name, pickup, dropoff, **kwargs)  # type: ignore[arg-type]


def solve(
    bookings: Sequence[Booking],
    vehicles: Sequence[Vehicle],
    drivers: Sequence[Driver] | None = None,
    travel: TravelMatrix = ROAD,
    **kwargs: object,
) -> Plan:
    if drivers is None:
        drivers = [driver(f"d-{v.id}", v.id) for v in vehicles]
    kwargs.setdefault("time_limit_s", 0.5)
    plan = schedule(
        bookings=bookings,
        vehicles=vehicles,
        drivers=drivers,
        travel=travel,
        **kwargs,  # type: ignore[arg-type]
    )
    assert_keeps_rules(plan, bookings, vehicles, drivers, travel, kwargs.get("pins", ()))  # type: ignore[arg-type]
    return plan


def route_of(plan: Plan, booking_id: str) -> Route:
    (route,) = [r for r in plan.routes if booking_id in r.booking_ids]
    return route


def sequence(route: Route) -> list[tuple[str, str]]:
    return [(stop.kind.value, stop.booking_id) for stop in route.stops]


def assert_keeps_rules(
    plan: Plan,
    bookings: Sequence[Booking],
    vehicles: Sequence[Vehicle],
    drivers: Sequence[Driver],
    travel: TravelMatrix,
    pins: Sequence[Pin] = (),
) -> None:
    """The rules, checked here from scratch rather than with the module's own check_plan."""
    by_id = {b.id: b for b in bookings}
    fleet = {v.id: v for v in vehicles}
    crew = {d.id: d for d in drivers}
    served: dict[str, str] = {}
    for route in plan.routes:
        vehicle = fleet[route.vehicle_id]
        assert route.vehicle_id in crew[route.driver_id].vehicles
        assert any(
            w.start <= route.duty.start and route.duty.end <= w.end
            for w in crew[route.driver_id].availability
        )
        assert vehicle.shift.start <= route.duty.start <= route.leave_s
        assert route.return_s <= route.duty.end <= vehicle.shift.end
        seats = spaces = 0
        boarded: dict[str, int] = {}
        t, place, metres = route.leave_s, route.base, 0
        for stop in route.stops:
            booking = by_id[stop.booking_id]
            leg = travel.index(place), travel.index(stop.point)
            metres += int(travel.metres[leg])
            assert stop.arrive_s >= t + travel.seconds[leg]
            assert stop.start_s >= stop.arrive_s
            if stop.kind is StopKind.PICKUP:
                assert stop.point == booking.pickup
                assert booking.id not in served
                served[booking.id] = route.vehicle_id
                boarded[booking.id] = stop.start_s
                window = booking.pickup_window
                seats += booking.passengers - booking.wheelchairs + booking.escorts
                spaces += booking.wheelchairs
                t = stop.start_s + booking.boarding_s
            else:
                assert stop.point == booking.dropoff
                assert booking.id in boarded, "dropped off before being picked up"
                ride = stop.start_s - boarded.pop(booking.id)
                assert booking.max_ride_s is None or ride <= booking.max_ride_s
                window = booking.dropoff_window
                seats -= booking.passengers - booking.wheelchairs + booking.escorts
                spaces -= booking.wheelchairs
                t = stop.start_s + booking.alighting_s
            if window is not None:
                assert window.start <= stop.start_s <= window.end
            assert 0 <= seats <= vehicle.seats
            assert 0 <= spaces <= vehicle.wheelchair_spaces
            place = stop.point
        assert not boarded, "someone is never dropped off"
        back = travel.index(place), travel.index(route.end_base)
        assert route.return_s >= t + travel.seconds[back]
        assert metres + travel.metres[back] == route.distance_m
    assert plan.distance_m == sum(r.distance_m for r in plan.routes)
    assert plan.vehicles_used == len({r.vehicle_id for r in plan.routes})
    unserved = [u.booking_id for u in plan.unserved]
    assert len(unserved) == len(set(unserved))
    assert set(served) | set(unserved) == set(by_id)
    assert not set(served) & set(unserved)
    for pin in pins:
        if pin.booking_id in served:
            assert served[pin.booking_id] == pin.vehicle_id
    assert (
        check_plan(
            plan, bookings=bookings, vehicles=vehicles, travel=travel, drivers=drivers, pins=pins
        )
        == []
    )


# Days worked out by hand ---------------------------------------------------------------------


def test_one_vehicle_two_bookings_shares_the_trip() -> None:
    plan = solve([trip("p", "a", "h"), trip("q", "b", "h")], [car()])
    (route,) = plan.routes
    # base -> a -> b -> h -> base: 1 + 1 + 3 + 5 km.
    assert plan.distance_m == 10_000
    assert plan.vehicles_used == 1
    assert sequence(route)[:2] == [("pickup", "p"), ("pickup", "q")]
    assert {b for _, b in sequence(route)[2:]} == {"p", "q"}
    first = route.stops[0]
    assert first.start_s == 9 * H  # the window opens
    assert route.leave_s == 9 * H - 100  # leaves the base just in time
    assert route.stops[1].arrive_s == 9 * H + 120 + 100  # boarding, then 1 km
    assert route.stops[1].seats_used == 2
    assert plan.unserved == ()


def test_wheelchair_user_only_fits_the_accessible_vehicle() -> None:
    vehicles = [car(), van(base="far")]
    plan = solve(
        [trip("chair", "a", "h", wheelchairs=1), trip("walks", "west", "base")],
        vehicles,
    )
    assert route_of(plan, "chair").vehicle_id == "van"
    assert route_of(plan, "walks").vehicle_id == "car"  # the van would go 12 km out of its way
    pickup = route_of(plan, "chair").stops[0]
    assert (pickup.seats_used, pickup.wheelchair_spaces_used) == (0, 1)


def test_wheelchair_and_escort_take_a_space_and_a_seat() -> None:
    plan = solve([trip("chair", "a", "h", wheelchairs=1, escorts=1, passengers=1)], [van()])
    stop = plan.routes[0].stops[0]
    assert (stop.seats_used, stop.wheelchair_spaces_used) == (1, 1)


def test_time_windows_force_the_order() -> None:
    # On the map x (from a) comes first; its window makes it second, and y may not wait on
    # board for x until 10:00.
    plan = solve(
        [
            trip("x", "a", "h", pickup_window=Window(10 * H, 10 * H + 10 * M)),
            trip("y", "b", "c", pickup_window=Window(9 * H, 9 * H + 10 * M), max_ride_s=20 * M),
        ],
        [car()],
    )
    (route,) = plan.routes
    assert sequence(route) == [("pickup", "y"), ("dropoff", "y"), ("pickup", "x"), ("dropoff", "x")]
    assert route.stops[2].start_s == 10 * H


def test_arrive_by_appointment_is_kept() -> None:
    plan = solve(
        [
            trip(
                "appt",
                "a",
                "h",
                pickup_window=None,
                dropoff_window=arrive_by(11 * H, allowance_s=15 * M),
            )
        ],
        [car()],
    )
    dropoff = plan.routes[0].stops[1]
    assert 11 * H - 15 * M <= dropoff.start_s <= 11 * H


def test_maximum_ride_time_stops_sharing() -> None:
    bookings = [trip("p", "a", "h"), trip("q", "a2", "hc")]
    # Sharing: base -> a -> a2 -> h -> hc -> base, 1 + 0 + 4 + 1 + 6 = 12 km.
    assert solve(bookings, [car()]).distance_m == 12_000
    # A direct ride is 120 s boarding + 400 or 500 s; 650 s leaves room for no one else's
    # boarding or drop-off, so the car takes them one at a time: 20 km.
    strict = [dataclasses.replace(b, max_ride_s=650) for b in bookings]
    plan = solve(strict, [car()])
    assert plan.distance_m == 20_000
    assert max(stop.seats_used for stop in plan.routes[0].stops) == 1


def test_pinned_trip_is_respected_and_the_rest_reoptimised() -> None:
    vehicles = [car("near"), car("distant", base="far")]
    bookings = [trip("mine", "a", "b"), trip("other", "c", "h")]
    assert route_of(solve(bookings, vehicles), "mine").vehicle_id == "near"
    plan = solve(bookings, vehicles, pins=[Pin("mine", "distant")])
    assert route_of(plan, "mine").vehicle_id == "distant"
    assert route_of(plan, "other").vehicle_id in {"near", "distant"}


def test_pinned_order_puts_pick_ups_in_that_order() -> None:
    bookings = [trip("first", "a", "h"), trip("second", "b", "h")]
    (route,) = solve(bookings, [car()]).routes
    assert [s.booking_id for s in route.stops if s.kind is StopKind.PICKUP] == ["first", "second"]
    pins = [Pin("second", "car", order=1), Pin("first", "car", order=2)]
    (route,) = solve(bookings, [car()], pins=pins).routes
    assert [s.booking_id for s in route.stops if s.kind is StopKind.PICKUP] == ["second", "first"]


def test_caller_can_give_the_duties() -> None:
    vehicles = [car()]
    drivers = [driver("ann", "car"), driver("bob", "car")]
    duties = [Duty("car", "bob", Window(9 * H - 30 * M, 12 * H))]
    plan = solve([trip("p", "a", "h")], vehicles, drivers, duties=duties)
    assert plan.duties == tuple(duties)
    assert plan.routes[0].driver_id == "bob"


def test_same_input_gives_the_same_plan() -> None:
    bookings = [trip(f"t{i}", place, "h") for i, place in enumerate(["a", "b", "c", "west", "far"])]
    vehicles = [car(), van(base="far")]
    one = solve(bookings, vehicles, solution_limit=20, time_limit_s=30)
    two = solve(bookings, vehicles, solution_limit=20, time_limit_s=30)
    assert one == two


# Why a booking is not served ---------------------------------------------------------------


def reason_for(
    booking: Booking,
    vehicles: Sequence[Vehicle] = (car(), van()),
    drivers: Sequence[Driver] | None = None,
    travel: TravelMatrix = ROAD,
) -> tuple[Reason, str]:
    plan = solve([booking], vehicles, drivers, travel)
    (unserved,) = plan.unserved
    assert unserved.booking_id == booking.id
    return unserved.reason, unserved.detail


def test_window_too_short_for_the_journey() -> None:
    # a to h is 400 s of driving after 120 s of boarding: 9:00 + 520 s is after 9:06.
    reason, detail = reason_for(
        trip(
            "late",
            "a",
            "h",
            pickup_window=Window(9 * H, 9 * H + 5 * M),
            dropoff_window=Window(9 * H, 9 * H + 6 * M),
        )
    )
    assert reason is Reason.TIME_WINDOW
    assert "cannot arrive by 09:06" in detail


def test_windows_too_far_apart_for_the_maximum_ride() -> None:
    reason, detail = reason_for(
        trip("gap", "a", "h", dropoff_window=Window(11 * H, 12 * H), max_ride_s=30 * M)
    )
    assert reason is Reason.TIME_WINDOW
    assert "longer than 30 min" in detail


def test_direct_journey_longer_than_the_maximum_ride() -> None:
    reason, detail = reason_for(trip("long", "a", "h", max_ride_s=5 * M))
    assert reason is Reason.RIDE_TIME
    assert "9 min" in detail


def test_no_vehicle_with_enough_wheelchair_spaces() -> None:
    reason, _ = reason_for(trip("two chairs", "a", "h", passengers=2, wheelchairs=2))
    assert reason is Reason.NO_WHEELCHAIR_VEHICLE


def test_party_too_big_for_any_vehicle() -> None:
    reason, detail = reason_for(trip("group", "a", "h", passengers=4, escorts=1))
    assert reason is Reason.CAPACITY
    assert "5 seat(s)" in detail


def test_wheelchair_and_too_many_seats_for_the_accessible_vehicle() -> None:
    reason, _ = reason_for(trip("family", "a", "h", passengers=3, wheelchairs=1, escorts=1))
    assert reason is Reason.CAPACITY  # the van has the space but 2 seats, the car no space


def test_outside_every_vehicle_shift() -> None:
    reason, _ = reason_for(trip("evening", "a", "h", pickup_window=Window(18 * H, 18 * H + 30 * M)))
    assert reason is Reason.OUTSIDE_VEHICLE_HOURS


def test_shift_ends_before_the_vehicle_could_get_back() -> None:
    # Picked up at 16:50 at the earliest, at h by 16:58 and back at base by 17:06: too late.
    reason, _ = reason_for(trip("last", "a", "h", pickup_window=Window(16 * H + 50 * M, 17 * H)))
    assert reason is Reason.OUTSIDE_VEHICLE_HOURS


def test_open_drop_off_window_is_not_what_refuses_a_late_pick_up() -> None:
    # Picked up at 17:00 when every shift ends: the vehicles' hours refuse it, not a window.
    reason, _ = reason_for(trip("at five", "a", "h", pickup_window=Window(17 * H, 17 * H)))
    assert reason is Reason.OUTSIDE_VEHICLE_HOURS


def test_no_driver_eligible_for_the_only_vehicle_that_fits() -> None:
    drivers = [driver("ann", "car")]
    reason, detail = reason_for(trip("chair", "a", "h", wheelchairs=1), drivers=drivers)
    assert reason is Reason.NO_ELIGIBLE_DRIVER
    assert "no driver is eligible to drive van" in detail


def test_no_eligible_driver_available_at_the_time() -> None:
    drivers = [driver("ann", "car", "van", free=[Window(8 * H, 12 * H)])]
    reason, detail = reason_for(
        trip("afternoon", "a", "h", pickup_window=Window(14 * H, 15 * H)), drivers=drivers
    )
    assert reason is Reason.NO_ELIGIBLE_DRIVER
    assert "available" in detail


def test_eligible_driver_rostered_on_another_vehicle() -> None:
    # Ann may drive both, but only one at a time; the van (a wheelchair space) wins the roster.
    drivers = [driver("ann", "car", "van")]
    plan = solve([trip("group", "a", "h", passengers=3)], [car(), van()], drivers)
    (unserved,) = plan.unserved
    assert unserved.reason is Reason.NO_ELIGIBLE_DRIVER
    assert "ann" in unserved.detail
    assert "rostered elsewhere" in unserved.detail


def test_no_route_to_the_drop_off() -> None:
    metres = np.array([[0, 1000, UNREACHABLE], [1000, 0, UNREACHABLE], [UNREACHABLE] * 2 + [0]])
    seconds = np.where(metres == UNREACHABLE, UNREACHABLE, metres // 10)
    island = TravelMatrix(("base", "a", "island"), metres, seconds)
    reason, _ = reason_for(trip("ferry", "a", "island"), vehicles=[car()], travel=island)
    assert reason is Reason.UNREACHABLE


def test_solver_drop_is_told_apart_from_pre_checks() -> None:
    # Each fits the one car alone; both want picking up at 9:00 sharp, 6 km apart.
    bookings = [
        trip("east", "a", "h", pickup_window=Window(9 * H, 9 * H + 60)),
        trip("west", "west", "base", pickup_window=Window(9 * H, 9 * H + 60)),
    ]
    plan = solve(bookings, [car()])
    assert len(plan.served) == 1
    (unserved,) = plan.unserved
    assert unserved.reason is Reason.NOT_SCHEDULED
    assert not unserved.found_before_solving
    alone = solve([b for b in bookings if b.id == unserved.booking_id], [car()])
    assert alone.served == (unserved.booking_id,)


def test_pinned_vehicle_not_on_the_road_then() -> None:
    morning = car("morning", shift=Window(8 * H, 12 * H))
    bookings = [trip("p", "a", "h", pickup_window=Window(14 * H, 15 * H))]
    plan = solve(bookings, [morning, car()], pins=[Pin("p", "morning")])
    assert plan.unserved[0].reason is Reason.OUTSIDE_VEHICLE_HOURS
    assert "pinned" in plan.unserved[0].detail


# Bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"dropoff_window": Window(8 * H, 8 * H + 30 * M)}, "closes before the pick-up window"),
        ({"dropoff": "a"}, "same place"),
        ({"dropoff": "nowhere"}, "'nowhere' is not a place"),
        ({"passengers": 0}, "at least 1"),
        ({"passengers": 1, "wheelchairs": 2}, "only 1 passengers"),
        ({"escorts": -1}, "at least 0"),
        ({"max_ride_s": 0}, "at least 1"),
        ({"boarding_s": 1.5}, "whole number"),
        ({"id": ""}, "needs an id"),
    ],
)
def test_bad_bookings_are_refused(change: dict[str, object], message: str) -> None:
    booking = dataclasses.replace(trip("p", "a", "h"), **change)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        solve([booking], [car()])


def test_window_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="cannot end"):
        Window(10 * H, 9 * H)
    with pytest.raises(ValueError, match="at least 0"):
        Window(-1, 9 * H)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bookings": [trip("p", "a", "h"), trip("p", "b", "h")]}, "booking 'p' is given twice"),
        ({"vehicles": []}, "no vehicles"),
        ({"vehicles": [car(), car()]}, "vehicle 'car' is given twice"),
        ({"vehicles": [Vehicle("empty", 0, 0, "base", DAY)]}, "no seats"),
        ({"vehicles": [car(base="depot")]}, "'depot' is not a place"),
        ({"drivers": [driver("ann", "bus")]}, "unknown vehicles: bus"),
        ({"pins": [Pin("p", "bus")]}, "unknown vehicle 'bus'"),
        ({"pins": [Pin("zz", "car")]}, "unknown booking"),
        ({"pins": [Pin("p", "car"), Pin("p", "car")]}, "given twice"),
        ({"pins": [Pin("chair", "car")]}, "pinned to car, which has 0"),
        ({"pins": [Pin("p", "car", 1), Pin("chair", "van", 1), Pin("q", "car", 1)]}, "order 1"),
        ({"duties": [Duty("van", "ann", DAY)]}, "not eligible"),
        ({"duties": [Duty("car", "ann", Window(7 * H, 9 * H))]}, "outside the vehicle's shift"),
        (
            {"duties": [Duty("car", "ann", DAY), Duty("car", "bob", Window(12 * H, 13 * H))]},
            "already has a duty",
        ),
        (
            {"duties": [Duty("car", "bob", DAY), Duty("van", "bob", Window(12 * H, 13 * H))]},
            "driver already",
        ),
        ({"duties": [Duty("car", "cat", DAY)]}, "outside the driver's availability"),
        ({"time_limit_s": 0}, "above 0"),
        ({"solution_limit": 0}, "at least 1"),
    ],
)
def test_bad_days_are_refused(kwargs: dict[str, object], message: str) -> None:
    day: dict[str, object] = {
        "bookings": [
            trip("p", "a", "h"),
            trip("q", "b", "h"),
            trip("chair", "c", "h", wheelchairs=1),
        ],
        "vehicles": [car(), van()],
        "drivers": [
            driver("ann", "car"),
            driver("bob", "car", "van"),
            driver("cat", "car", free=[Window(9 * H, 10 * H)]),
        ],
        "travel": ROAD,
    }
    day.update(kwargs)
    with pytest.raises(ValueError, match=message):
        schedule(**day)  # type: ignore[arg-type]


# Roster ----------------------------------------------------------------------------------------


def test_morning_and_afternoon_drivers_share_a_vehicle() -> None:
    drivers = [
        driver("morning", "car", free=[Window(7 * H, 13 * H)]),
        driver("afternoon", "car", free=[Window(12 * H, 18 * H)]),
    ]
    duties = roster([car()], drivers)
    # Both are free 12:00-13:00; the morning driver carries on rather than hand over twice.
    assert duties == (
        Duty("car", "morning", Window(8 * H, 13 * H)),
        Duty("car", "afternoon", Window(13 * H, 17 * H)),
    )


def test_roster_covers_the_accessible_vehicle_first_and_the_rest_after() -> None:
    drivers = [
        driver("both", "car", "van"),
        driver("car only", "car", free=[Window(12 * H, 17 * H)]),
    ]
    duties = roster([car(), van()], drivers)
    assert Duty("van", "both", DAY) in duties
    assert Duty("car", "car only", Window(12 * H, 17 * H)) in duties
    assert len(duties) == 2


def test_roster_merges_touching_availability_and_drops_short_duties() -> None:
    drivers = [driver("split", "car", free=[Window(8 * H, 12 * H), Window(11 * H, 17 * H)])]
    assert roster([car()], drivers) == (Duty("car", "split", DAY),)
    brief = [driver("brief", "car", free=[Window(9 * H, 9 * H + 30 * M)])]
    assert roster([car()], brief) == ()
    assert roster([car()], brief, min_duty_s=10 * M) == (
        Duty("car", "brief", Window(9 * H, 9 * H + 30 * M)),
    )


def test_roster_never_puts_a_driver_in_two_places_or_two_drivers_in_one() -> None:
    vehicles = [car("c1"), car("c2"), van("v1"), van("v2", shift=Window(10 * H, 16 * H))]
    drivers = [
        driver("a", "c1", "c2", "v1", "v2", free=[Window(7 * H, 12 * H)]),
        driver("b", "c2", "v2", free=[Window(11 * H, 18 * H)]),
        driver("c", "c1", "v1", free=[Window(9 * H, 10 * H), Window(13 * H, 15 * H)]),
        driver("d", "v1", "v2"),
    ]
    duties = roster(vehicles, drivers)
    for one, two in itertools.combinations(duties, 2):
        if one.driver_id == two.driver_id or one.vehicle_id == two.vehicle_id:
            assert not one.window.overlaps(two.window)


# Random small days -----------------------------------------------------------------------------


@st.composite
def days(draw: st.DrawFn) -> tuple[list[Booking], list[Vehicle], list[Driver], TravelMatrix]:
    n_places = draw(st.integers(3, 7))
    where = draw(
        st.lists(
            st.tuples(st.floats(53.33, 53.42), st.floats(-3.15, -3.0)),
            min_size=n_places,
            max_size=n_places,
        )
    )
    places = [Point(f"p{i}", lat, lon) for i, (lat, lon) in enumerate(where)]
    travel = StraightLine().matrix(places)
    names = [p.name for p in places]
    vehicles = []
    for i in range(draw(st.integers(1, 3))):
        start = draw(st.integers(7, 10)) * H
        vehicles.append(
            Vehicle(
                f"v{i}",
                seats=draw(st.integers(0, 6)),
                wheelchair_spaces=draw(st.integers(0, 2)),
                base=draw(st.sampled_from(names)),
                shift=Window(start, start + draw(st.integers(3, 9)) * H),
            )
        )
    vehicles = [
        v if v.seats + v.wheelchair_spaces else dataclasses.replace(v, seats=1) for v in vehicles
    ]
    ids = [v.id for v in vehicles]
    drivers = []
    for i in range(draw(st.integers(1, 3))):
        start = draw(st.integers(7, 12)) * H
        drivers.append(
            Driver(
                f"d{i}",
                (Window(start, start + draw(st.integers(2, 8)) * H),),
                frozenset(draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))),
            )
        )
    bookings = []
    for i in range(draw(st.integers(1, 8))):
        pickup, dropoff = draw(
            st.lists(st.sampled_from(names), min_size=2, max_size=2, unique=True)
        )
        passengers = draw(st.integers(1, 3))
        start = draw(st.integers(8 * 4, 16 * 4)) * 15 * M
        kind = draw(st.sampled_from(["pickup", "appointment", "both", "none"]))
        pickup_window = (
            Window(start, start + draw(st.integers(0, 90)) * M)
            if kind in ("pickup", "both")
            else None
        )
        dropoff_window = arrive_by(start + H) if kind in ("appointment", "both") else None
        bookings.append(
            Booking(
                f"b{i}",
                pickup,
                dropoff,
                pickup_window=pickup_window,
                dropoff_window=dropoff_window,
                passengers=passengers,
                wheelchairs=draw(st.integers(0, min(passengers, 1))),
                escorts=draw(st.integers(0, 1)),
                max_ride_s=draw(st.one_of(st.none(), st.integers(5, 60).map(lambda m: m * M))),
                boarding_s=draw(st.sampled_from([0, 60, 120, 300])),
                alighting_s=draw(st.sampled_from([0, 60, 240])),
            )
        )
    return bookings, vehicles, drivers, travel


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days())
def test_plans_for_random_days_keep_every_rule(
    day: tuple[list[Booking], list[Vehicle], list[Driver], TravelMatrix],
) -> None:
    """Every served booking is picked up before it is dropped off, on one route; no vehicle is
    ever over its seats or spaces; every stop is inside its window; no ride is over its
    maximum; drivers drive only what and when they may; and a booking refused before solving
    is refused for a reason that holds."""
    bookings, vehicles, drivers, travel = day
    plan = solve(bookings, vehicles, drivers, travel, time_limit_s=0.2)
    fleet_spaces = max(v.wheelchair_spaces for v in vehicles)
    for unserved in plan.unserved:
        booking = next(b for b in bookings if b.id == unserved.booking_id)
        direct = booking.boarding_s + int(
            travel.seconds[travel.index(booking.pickup), travel.index(booking.dropoff)]
        )
        if unserved.reason is Reason.RIDE_TIME:
            assert booking.max_ride_s is not None
            assert direct > booking.max_ride_s
        elif unserved.reason is Reason.NO_WHEELCHAIR_VEHICLE:
            assert booking.wheelchairs > fleet_spaces
        elif unserved.reason is Reason.CAPACITY:
            assert not any(
                v.seats >= booking.passengers - booking.wheelchairs + booking.escorts
                and v.wheelchair_spaces >= booking.wheelchairs
                for v in vehicles
            )
        elif unserved.reason is Reason.TIME_WINDOW:
            pick = booking.pickup_window or Window(0, 10**6)
            drop = booking.dropoff_window or Window(0, 10**6)
            ride = booking.max_ride_s or 10**9
            assert drop.end - pick.start < direct or drop.start - pick.end > ride
    # A booking the solver dropped could have been served on its own.
    dropped = [u.booking_id for u in plan.unserved if not u.found_before_solving]
    if dropped:
        alone = [b for b in bookings if b.id == dropped[0]]
        again = solve(alone, vehicles, drivers, travel, time_limit_s=0.2, duties=plan.duties)
        assert again.served == (dropped[0],)


# A day large enough to be cut in two ---------------------------------------------------------


def test_large_day_is_cut_in_two_joined_and_keeps_every_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from covenant.transport import routing

    cuts: list[list[tuple[list[int], list[Window | None], list[list[int]]]] | None] = []
    real_cut = routing._Router.cut

    def spy(self: routing._Router, *args: object) -> object:
        found = real_cut(self, *args)  # type: ignore[arg-type]
        cuts.append(found)
        return found

    monkeypatch.setattr(routing._Router, "cut", spy)
    places = {f"s{i}": (i * 7919 % 23) - 11 for i in range(24)}
    road = line(base=0, **places)
    names = sorted(places)
    bookings = []
    for i in range(70):
        a, b = names[i % 24], names[(i * 5 + 7) % 24]
        if a == b:
            b = names[(i + 1) % 24]
        start = (8 * H + 30 * M + (i % 12) * 10 * M) if i < 35 else (14 * H + (i % 12) * 10 * M)
        bookings.append(
            trip(f"b{i:02d}", a, b, pickup_window=Window(start, start + 30 * M), max_ride_s=45 * M)
        )
    # Four that could go either side of the cut.
    bookings += [
        trip(f"x{i}", names[i], names[i + 12], pickup_window=Window(11 * H, 15 * H))
        for i in range(4)
    ]
    vehicles = [car(f"car{i}") for i in range(4)] + [van(f"van{i}") for i in range(2)]
    plan = solve(bookings, vehicles, travel=road, time_limit_s=4)
    (halves,) = cuts
    assert halves is not None
    morning, afternoon = (set(ids) for ids, _, _ in halves)
    assert len(morning) >= 35
    assert len(afternoon) >= 35
    assert not morning & afternoon
    for _, windows, _ in halves:
        assert all(w is None or w.length > 0 for w in windows)
    assert len(plan.served) == len(bookings)


def test_a_left_over_booking_is_put_where_it_adds_least() -> None:
    """The placement used for bookings that fit neither half of a cut day."""
    from covenant.transport import routing

    everything = Window(0, 24 * H)

    def leg(booking: Booking) -> routing._Leg:
        pickup, dropoff = ROAD.index(booking.pickup), ROAD.index(booking.dropoff)
        return routing._Leg(
            booking=booking,
            pickup=pickup,
            dropoff=dropoff,
            pick=booking.pickup_window or everything,
            drop=booking.dropoff_window or everything,
            direct_s=int(ROAD.seconds[pickup, dropoff]),
            ride_max=booking.max_ride_s or 10 * UNREACHABLE,
        )

    legs = [
        leg(trip("p", "a", "h", pickup_window=Window(9 * H, 9 * H + 60))),
        leg(trip("q", "b", "c")),
        leg(trip("r", "west", "base", pickup_window=Window(9 * H, 9 * H + 60))),
    ]
    duties = [Duty("car", "ann", DAY)]
    router = routing._Router(
        legs=legs,
        duties=duties,
        travel=ROAD,
        vehicles={"car": car()},
        pins={},
        horizon=24 * H,
        route_cost_m=0,
    )
    routes = [[0, 1]]  # p: a -> h
    # q (b to c) lies on p's way: nothing added, both on board together.
    assert router.insert(routes, 1, [0], [DAY])
    assert routes == [[0, 2, 3, 1]]
    # r must be picked up at 9:00 sharp in the west, when p is being picked up in the east.
    assert not router.insert(routes, 2, [0], [DAY])
    assert routes == [[0, 2, 3, 1]]
