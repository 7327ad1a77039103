"""A day's community-transport bookings scheduled into vehicle routes: plain Python, no Django.

The problem is the dial-a-ride problem with time windows: each booking is a pick-up and a
drop-off that one vehicle must do in that order, inside the booking's time windows, with the
passenger on board no longer than their maximum ride time, without a vehicle ever carrying
more people than it has seats or more wheelchairs than it has spaces. The solver is OR-Tools'
routing library (`pywrapcp`); this module turns bookings, vehicles and drivers into its model
and its answer back into run sheets, and says why every booking it leaves out was left out.

Times are whole seconds from the start of the service day (midnight, local time, for the
caller to convert; a time past 24:00 is the small hours of the next day). Distances are whole
metres. Travel comes from a `TravelMatrix` (see `distance`), between points named in it.

How a day is solved, and the choices made:

1. Validate. Anything that cannot be right (a drop-off window that closes before the pick-up
   window opens, a wheelchair user pinned to a car, an unknown place) raises ValueError naming
   the booking and what to change. Nothing is solved on bad input.
2. Roster: who drives what, when. A vehicle moves only with a driver the caller says may
   drive it (the caller reads that from the passport: licence category, MiDAS, DBS; here it is
   a set of vehicle ids per driver) and only when both the vehicle's shift and the driver's
   availability allow. A *duty* is one driver on one vehicle for one unbroken stretch of time;
   a vehicle may have several duties in a day (a morning and an afternoon driver), a driver
   may drive different vehicles at different times. Unless the caller gives the duties, they
   are chosen before routing (`roster`: a maximum-weight matching of free drivers to
   vehicles for each stretch of the day, exact) to cover as much vehicle time as possible,
   weighting each vehicle by what it can carry (a wheelchair space counts as three seats,
   because an accessible vehicle is the scarce one), then with as few handovers as possible.
   Routing then uses each duty as one route, which starts and ends at the vehicle's base.
   Choosing the roster before the bookings is a simplification: a roster chosen with the
   bookings in view could sometimes serve more of them; the coordinator can pass `duties` to
   override it.
3. Pre-check every booking on its own, so the reason it cannot be served is the real one and
   the solver never spends time on it: its windows against the direct journey, the maximum
   ride time against the direct journey, a vehicle big enough (and with wheelchair spaces), a
   vehicle on the road then, an eligible driver available then. Only a booking that one duty
   could serve alone goes to the solver, and only onto the duties that could serve it alone.
4. Route with OR-Tools: minimise total distance driven (plus an optional fixed cost per route
   used), with each booking optional at a penalty far above any route's cost, so the solver
   serves every booking it can fit and drops one only when it finds no room for it alongside
   the rest. Pinned bookings stay on their vehicle (pick-ups in the pinned order, if one is
   given) at ten times the penalty; everything else is re-optimised around them. A day of
   60 bookings or more is first cut in two by time and each half routed on its own, and
   the whole day searched from the two joined (see `_Router`): on the benchmark's 200
   bookings, 10 s of that comes within a few per cent of 100 s of it, where 10 s of the
   whole-day search alone ends 7-12% above its own 100 s result.
5. Time the run sheet. For each route, in the solver's order, the earliest times that keep
   every window, travel time and ride time (a simple temporal network, solved exactly), then
   the driver leaves the base as late as that allows. The plan is checked against every rule
   before it is returned; a broken rule is a bug and raises RuntimeError.

Ride time runs from the start of boarding at the pick-up to the start of alighting at the
drop-off (boarding time and any wait with the passenger on board count). Seats: every
passenger not travelling in their wheelchair, and every escort, takes a seat; a passenger who
travels in their wheelchair takes a wheelchair space instead of a seat.

Determinism: neither the roster nor OR-Tools' routing search has a random element (the
routing search takes no seed), so the same input gives the same plan whenever the search
stops on `solution_limit` rather than on the clock. A search the clock stops (`time_limit_s`)
may go further on a faster or quieter machine and return a better plan.
"""

from __future__ import annotations

import bisect
import enum
import itertools
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from scipy.optimize import linear_sum_assignment

from covenant.transport.distance import UNREACHABLE, TravelMatrix

DAY_S: Final = 86_400
# A dropped booking costs more than any route can: 100,000 km. Pinned ones ten times that.
DROP_PENALTY: Final = 100_000_000
PIN_PENALTY: Final = 10 * DROP_PENALTY
# A wheelchair space counts as this many seats when the roster weighs vehicles.
ROSTER_SPACE_WEIGHT: Final = 3
# Days with at least this many bookings are cut in two by time and each half routed first
# (see _Router), each half with this share of the time left; halves are cut again this deep.
SLICE_MIN: Final = 60
SLICE_SHARE: Final = 0.2
SLICE_DEPTH: Final = 1


# Input ---------------------------------------------------------------------------------------


def _whole(value: object, what: str, *, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{what} must be a whole number, not {value!r}")
    number = int(value)
    if number < low:
        raise ValueError(f"{what} must be at least {low}, not {number}")
    return number


def _clock(seconds: int) -> str:
    """08:05 (or 00:30+1d past midnight) for messages."""
    days, rest = divmod(int(seconds), DAY_S)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return text + (f"+{days}d" if days else "")


def _minutes(seconds: int) -> str:
    return f"{math.ceil(seconds / 60)} min"


@dataclass(frozen=True)
class Window:
    """From `start` to `end` inclusive, in seconds from the start of the service day."""

    start: int
    end: int

    def __post_init__(self) -> None:
        _whole(self.start, "a window's start")
        _whole(self.end, "a window's end")
        if self.end < self.start:
            raise ValueError(
                f"a window cannot end ({_clock(self.end)}) before it starts ({_clock(self.start)})"
            )

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"

    @property
    def length(self) -> int:
        return self.end - self.start

    def contains(self, other: Window) -> bool:
        return self.start <= other.start and other.end <= self.end

    def overlaps(self, other: Window) -> bool:
        """True if they share more than an instant (a handover at 13:00 is not an overlap)."""
        return self.start < other.end and other.start < self.end


def arrive_by(appointment_s: int, *, allowance_s: int = 3600) -> Window:
    """The drop-off window for an appointment: no earlier than `allowance_s` before it."""
    _whole(appointment_s, "the appointment time")
    _whole(allowance_s, "the allowance")
    return Window(max(0, appointment_s - allowance_s), appointment_s)


@dataclass(frozen=True)
class Booking:
    """One journey for one party: the passenger(s), in wheelchairs or not, and escorts.

    `pickup_window` is when boarding may start; `dropoff_window` is when alighting may start
    (`arrive_by` builds one for an appointment). Either may be None: any time the vehicle is
    on the road. `max_ride_s` None means no limit beyond the windows.
    """

    id: str
    pickup: str
    dropoff: str
    pickup_window: Window | None = None
    dropoff_window: Window | None = None
    passengers: int = 1
    wheelchairs: int = 0
    escorts: int = 0
    max_ride_s: int | None = None
    boarding_s: int = 120
    alighting_s: int = 60

    @property
    def seats(self) -> int:
        return self.passengers - self.wheelchairs + self.escorts


@dataclass(frozen=True)
class Vehicle:
    """A vehicle that can run today: what it carries, where it is kept, when it may run."""

    id: str
    seats: int
    wheelchair_spaces: int
    base: str
    shift: Window
    end_base: str | None = None

    @property
    def returns_to(self) -> str:
        return self.base if self.end_base is None else self.end_base


@dataclass(frozen=True)
class Driver:
    """A volunteer driver: when they are free today and which vehicles they may drive.

    `vehicles` is the caller's reading of the passport for today's trips (licence category,
    the minibus conditions, MiDAS, DBS where the passengers need it).
    """

    id: str
    availability: tuple[Window, ...]
    vehicles: frozenset[str]


@dataclass(frozen=True)
class Pin:
    """A booking the coordinator has fixed to a vehicle. Pins on one vehicle that have an
    `order` have their pick-ups in ascending order of it (other stops may come between)."""

    booking_id: str
    vehicle_id: str
    order: int | None = None


@dataclass(frozen=True)
class Duty:
    """One driver on one vehicle for one unbroken stretch of the day."""

    vehicle_id: str
    driver_id: str
    window: Window


# Output --------------------------------------------------------------------------------------


class StopKind(enum.StrEnum):
    PICKUP = "pickup"
    DROPOFF = "dropoff"


class Reason(enum.StrEnum):
    """Why a booking is not in the plan. All but NOT_SCHEDULED are found before solving,
    from the booking alone; NOT_SCHEDULED is the solver finding no room for it."""

    UNREACHABLE = "unreachable"
    RIDE_TIME = "ride_time"
    TIME_WINDOW = "time_window"
    NO_WHEELCHAIR_VEHICLE = "no_wheelchair_vehicle"
    CAPACITY = "capacity"
    OUTSIDE_VEHICLE_HOURS = "outside_vehicle_hours"
    NO_ELIGIBLE_DRIVER = "no_eligible_driver"
    NOT_SCHEDULED = "not_scheduled"


@dataclass(frozen=True)
class Unserved:
    booking_id: str
    reason: Reason
    detail: str

    @property
    def found_before_solving(self) -> bool:
        return self.reason is not Reason.NOT_SCHEDULED


@dataclass(frozen=True)
class Stop:
    """A stop on a run sheet. The vehicle arrives at `arrive_s`, waits if it is early, starts
    boarding or alighting at `start_s` and leaves at `depart_s`. The loads are after the stop."""

    booking_id: str
    kind: StopKind
    point: str
    arrive_s: int
    start_s: int
    depart_s: int
    seats_used: int
    wheelchair_spaces_used: int


@dataclass(frozen=True)
class Route:
    vehicle_id: str
    driver_id: str
    duty: Window
    base: str
    end_base: str
    leave_s: int
    return_s: int
    stops: tuple[Stop, ...]
    distance_m: int

    @property
    def booking_ids(self) -> tuple[str, ...]:
        return tuple(stop.booking_id for stop in self.stops if stop.kind is StopKind.PICKUP)


@dataclass(frozen=True)
class Plan:
    routes: tuple[Route, ...]
    unserved: tuple[Unserved, ...]
    duties: tuple[Duty, ...]
    distance_m: int
    vehicles_used: int
    status: str
    solve_s: float = field(compare=False)

    @property
    def served(self) -> tuple[str, ...]:
        return tuple(b for route in self.routes for b in route.booking_ids)

    def reason(self, booking_id: str) -> Reason | None:
        for item in self.unserved:
            if item.booking_id == booking_id:
                return item.reason
        return None


# Validation ----------------------------------------------------------------------------------


def _check_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"every {what} needs an id")
    return value


def _unique(ids: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"{what} {item!r} is given twice")
        seen.add(item)


def _point(travel: TravelMatrix, name: object, what: str) -> int:
    if not isinstance(name, str) or name not in travel:
        raise ValueError(f"{what}: {name!r} is not a place in the travel matrix")
    return travel.index(name)


def _merged(windows: Iterable[Window]) -> tuple[Window, ...]:
    """Overlapping or touching availability windows as one (a person free 9-12 and 11-15 is
    free 9-15)."""
    out: list[Window] = []
    for window in sorted(windows, key=lambda w: (w.start, w.end)):
        if out and window.start <= out[-1].end:
            out[-1] = Window(out[-1].start, max(out[-1].end, window.end))
        else:
            out.append(window)
    return tuple(out)


def _validate_booking(booking: Booking, travel: TravelMatrix) -> None:
    name = _check_id(booking.id, "booking")
    what = f"booking {name}"
    _point(travel, booking.pickup, f"{what} pick-up")
    _point(travel, booking.dropoff, f"{what} drop-off")
    if booking.pickup == booking.dropoff:
        raise ValueError(f"{what}: the pick-up and drop-off are the same place")
    for label, window in (("pick-up", booking.pickup_window), ("drop-off", booking.dropoff_window)):
        if window is not None and not isinstance(window, Window):
            raise ValueError(f"{what}: the {label} window must be a Window")
    passengers = _whole(booking.passengers, f"{what}: passengers", low=1)
    wheelchairs = _whole(booking.wheelchairs, f"{what}: wheelchairs")
    if wheelchairs > passengers:
        raise ValueError(
            f"{what}: {wheelchairs} wheelchair users but only {passengers} passengers; "
            "count every passenger, in a wheelchair or not"
        )
    _whole(booking.escorts, f"{what}: escorts")
    _whole(booking.boarding_s, f"{what}: boarding time")
    _whole(booking.alighting_s, f"{what}: alighting time")
    if booking.max_ride_s is not None:
        _whole(booking.max_ride_s, f"{what}: maximum ride time", low=1)
    pick, drop = booking.pickup_window, booking.dropoff_window
    if pick is not None and drop is not None and drop.end < pick.start:
        raise ValueError(
            f"{what}: the drop-off window ({drop}) closes before the pick-up window ({pick}) "
            "opens; the drop-off must come after the pick-up"
        )


def _validate_vehicle(vehicle: Vehicle, travel: TravelMatrix) -> None:
    name = _check_id(vehicle.id, "vehicle")
    what = f"vehicle {name}"
    seats = _whole(vehicle.seats, f"{what}: seats")
    spaces = _whole(vehicle.wheelchair_spaces, f"{what}: wheelchair spaces")
    if seats + spaces == 0:
        raise ValueError(f"{what} has no seats and no wheelchair spaces")
    if not isinstance(vehicle.shift, Window):
        raise ValueError(f"{what}: the shift must be a Window")
    _point(travel, vehicle.base, f"{what} base")
    _point(travel, vehicle.returns_to, f"{what} end base")


def _validate_driver(driver: Driver, vehicle_ids: set[str]) -> None:
    name = _check_id(driver.id, "driver")
    if not all(isinstance(w, Window) for w in driver.availability):
        raise ValueError(f"driver {name}: availability must be Windows")
    unknown = sorted(set(driver.vehicles) - vehicle_ids)
    if unknown:
        raise ValueError(f"driver {name} is eligible for unknown vehicles: {', '.join(unknown)}")


def _validate_duties(
    duties: Sequence[Duty], vehicles: dict[str, Vehicle], drivers: dict[str, Driver]
) -> None:
    by_vehicle: dict[str, list[Window]] = defaultdict(list)
    by_driver: dict[str, list[Window]] = defaultdict(list)
    for duty in duties:
        vehicle = vehicles.get(duty.vehicle_id)
        driver = drivers.get(duty.driver_id)
        if vehicle is None:
            raise ValueError(f"a duty names unknown vehicle {duty.vehicle_id!r}")
        if driver is None:
            raise ValueError(f"a duty names unknown driver {duty.driver_id!r}")
        what = f"duty of {driver.id} on {vehicle.id} ({duty.window})"
        if vehicle.id not in driver.vehicles:
            raise ValueError(f"{what}: {driver.id} is not eligible to drive {vehicle.id}")
        if not vehicle.shift.contains(duty.window):
            raise ValueError(f"{what}: outside the vehicle's shift ({vehicle.shift})")
        if not any(w.contains(duty.window) for w in _merged(driver.availability)):
            raise ValueError(f"{what}: outside the driver's availability")
        for other in by_vehicle[vehicle.id]:
            if other.overlaps(duty.window):
                raise ValueError(f"{what}: the vehicle already has a duty at {other}")
        for other in by_driver[driver.id]:
            if other.overlaps(duty.window):
                raise ValueError(f"{what}: the driver already has a duty at {other}")
        by_vehicle[vehicle.id].append(duty.window)
        by_driver[driver.id].append(duty.window)


def _validate_pins(
    pins: Sequence[Pin], bookings: dict[str, Booking], vehicles: dict[str, Vehicle]
) -> None:
    _unique((pin.booking_id for pin in pins), "pinned booking")
    orders: dict[str, set[int]] = defaultdict(set)
    for pin in pins:
        booking = bookings.get(pin.booking_id)
        vehicle = vehicles.get(pin.vehicle_id)
        if booking is None:
            raise ValueError(f"a pin names unknown booking {pin.booking_id!r}")
        if vehicle is None:
            raise ValueError(
                f"booking {booking.id} is pinned to unknown vehicle {pin.vehicle_id!r}"
            )
        if booking.wheelchairs > vehicle.wheelchair_spaces:
            raise ValueError(
                f"booking {booking.id} needs {booking.wheelchairs} wheelchair space(s) but is "
                f"pinned to {vehicle.id}, which has {vehicle.wheelchair_spaces}"
            )
        if booking.seats > vehicle.seats:
            raise ValueError(
                f"booking {booking.id} needs {booking.seats} seat(s) but is pinned to "
                f"{vehicle.id}, which has {vehicle.seats}"
            )
        if pin.order is not None:
            order = _whole(pin.order, f"booking {booking.id}: pin order")
            if order in orders[vehicle.id]:
                raise ValueError(f"two bookings are pinned to {vehicle.id} at order {order}")
            orders[vehicle.id].add(order)


# Roster --------------------------------------------------------------------------------------


def roster(
    vehicles: Sequence[Vehicle],
    drivers: Sequence[Driver],
    *,
    min_duty_s: int = 3600,
) -> tuple[Duty, ...]:
    """Duties that cover the most weighted vehicle time, then with the fewest handovers.

    Between two consecutive moments at which some shift or availability starts or ends, the
    same drivers and vehicles are free throughout, so the best roster for that stretch is a
    maximum-weight matching of free drivers to free vehicles they may drive (weight: what the
    vehicle carries, times the stretch's length), and the best roster for the day is the best
    one for each stretch: coverage is exactly optimal. Among equally good matchings, a driver
    keeps the vehicle they had in the stretch before (a bonus too small to cost any
    coverage), so a duty runs on unbroken. Stretches that join up with the same driver and
    vehicle are one duty; a duty shorter than `min_duty_s` is not worth a volunteer's trip to
    the base and is dropped.
    """
    events = sorted(
        {t for v in vehicles for t in (v.shift.start, v.shift.end)}
        | {t for d in drivers for w in d.availability for t in (w.start, w.end)}
    )
    availability = {d.id: _merged(d.availability) for d in drivers}
    weight = {v.id: v.seats + ROSTER_SPACE_WEIGHT * v.wheelchair_spaces for v in vehicles}
    # Coverage first: the most any stretch's continuity bonuses add up to is len(vehicles).
    scale = len(vehicles) + 1
    open_duties: dict[tuple[str, str], int] = {}  # (driver, vehicle) -> start, running now
    duties: list[Duty] = []
    for start, end in itertools.pairwise(events):
        free_vehicles = [v for v in vehicles if v.shift.start <= start and end <= v.shift.end]
        free_drivers = [
            d for d in drivers if any(w.start <= start and end <= w.end for w in availability[d.id])
        ]
        pairs: set[tuple[str, str]] = set()
        if free_vehicles and free_drivers:
            gain = np.zeros((len(free_drivers), len(free_vehicles)), dtype=np.float64)
            for r, driver in enumerate(free_drivers):
                for c, vehicle in enumerate(free_vehicles):
                    if vehicle.id in driver.vehicles:
                        gain[r, c] = scale * weight[vehicle.id] * (end - start) + (
                            1 if (driver.id, vehicle.id) in open_duties else 0
                        )
            rows, columns = linear_sum_assignment(gain, maximize=True)
            pairs = {
                (free_drivers[r].id, free_vehicles[c].id)
                for r, c in zip(rows, columns, strict=True)
                if gain[r, c] > 0
            }
        for pair in sorted(set(open_duties) - pairs):
            duties.append(Duty(pair[1], pair[0], Window(open_duties.pop(pair), start)))
        for pair in sorted(pairs - set(open_duties)):
            open_duties[pair] = start
    if events:
        for pair, began in sorted(open_duties.items()):
            duties.append(Duty(pair[1], pair[0], Window(began, events[-1])))
    kept = [duty for duty in duties if duty.window.length >= min_duty_s]
    return tuple(sorted(kept, key=lambda d: (d.vehicle_id, d.window.start, d.driver_id)))


# Pre-check -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Leg:
    """One booking's numbers, in matrix indices and seconds, for the checks and the model."""

    booking: Booking
    pickup: int
    dropoff: int
    pick: Window
    drop: Window
    direct_s: int
    ride_max: int

    @property
    def shortest_ride(self) -> int:
        return self.booking.boarding_s + self.direct_s


def _fits_alone(leg: _Leg, travel: TravelMatrix, base: int, end_base: int, span: Window) -> bool:
    """Can one vehicle on duty in `span`, from `base` back to `end_base`, do this booking
    with nothing else on board? Exact: pick-up time in [a, b], drop-off in [c, e], and the
    gap between them in [shortest ride, maximum ride]."""
    seconds = travel.seconds
    out, back = int(seconds[base, leg.pickup]), int(seconds[leg.dropoff, end_base])
    if out >= UNREACHABLE or back >= UNREACHABLE:
        return False
    a = max(leg.pick.start, span.start + out)
    b = leg.pick.end
    c = leg.drop.start
    e = min(leg.drop.end, span.end - leg.booking.alighting_s - back)
    return a <= b and c <= e and max(c - b, leg.shortest_ride) <= min(e - a, leg.ride_max)


def _booking_check(leg: _Leg) -> tuple[Reason, str] | None:
    """The booking against itself: can even a direct trip keep its windows and ride time?"""
    if leg.direct_s >= UNREACHABLE:
        return Reason.UNREACHABLE, "there is no route from the pick-up to the drop-off"
    if leg.shortest_ride > leg.ride_max:
        return Reason.RIDE_TIME, (
            f"the direct journey takes {_minutes(leg.shortest_ride)} with boarding, longer "
            f"than the maximum ride of {_minutes(leg.ride_max)}"
        )
    if leg.drop.end - leg.pick.start < leg.shortest_ride:
        return Reason.TIME_WINDOW, (
            f"picked up at {_clock(leg.pick.start)}, the earliest allowed, a direct trip "
            f"({_minutes(leg.shortest_ride)} with boarding) cannot arrive by "
            f"{_clock(leg.drop.end)}"
        )
    if leg.drop.start - leg.pick.end > leg.ride_max:
        return Reason.TIME_WINDOW, (
            f"picked up at {_clock(leg.pick.end)}, the latest allowed, the passenger would "
            f"ride longer than {_minutes(leg.ride_max)} to be dropped off at "
            f"{_clock(leg.drop.start)} or later"
        )
    return None


def _join(ids: Sequence[str]) -> str:
    return ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def _precheck(
    leg: _Leg,
    travel: TravelMatrix,
    vehicles: Sequence[Vehicle],
    duties: Sequence[Duty],
    drivers: dict[str, Driver],
    pinned: Vehicle | None,
    bases: dict[str, tuple[int, int]],
    rostered: bool,
) -> tuple[Reason, str] | list[int]:
    """A reason, or the indices (into `duties`) of the duties that could serve it alone."""
    found = _booking_check(leg)
    if found is not None:
        return found
    booking = leg.booking
    if pinned is None:
        if booking.wheelchairs > max(v.wheelchair_spaces for v in vehicles):
            return Reason.NO_WHEELCHAIR_VEHICLE, (
                f"needs {booking.wheelchairs} wheelchair space(s); no vehicle has that many"
            )
        carriers = [
            v
            for v in vehicles
            if v.seats >= booking.seats and v.wheelchair_spaces >= booking.wheelchairs
        ]
        if not carriers:
            return Reason.CAPACITY, (
                f"needs {booking.seats} seat(s)"
                + (f" and {booking.wheelchairs} wheelchair space(s)" if booking.wheelchairs else "")
                + "; no vehicle has room for the whole party"
            )
    else:
        carriers = [pinned]
    on_road = [v for v in carriers if _fits_alone(leg, travel, *bases[v.id], v.shift)]
    if not on_road:
        if pinned is not None:
            return Reason.OUTSIDE_VEHICLE_HOURS, (
                f"{pinned.id}, the vehicle it is pinned to, is not on the road at the times "
                "it needs (from its base, keeping the windows, and back)"
            )
        return Reason.OUTSIDE_VEHICLE_HOURS, (
            "no vehicle that can carry the party is on the road at the times it needs "
            "(from its base, keeping the windows, and back)"
        )
    usable = {v.id for v in on_road}
    allowed = [
        i
        for i, duty in enumerate(duties)
        if duty.vehicle_id in usable
        and _fits_alone(leg, travel, *bases[duty.vehicle_id], duty.window)
    ]
    if allowed:
        return allowed
    names = sorted(usable)
    eligible = [d for d in drivers.values() if d.vehicles & usable]
    if not eligible:
        return Reason.NO_ELIGIBLE_DRIVER, f"no driver is eligible to drive {_join(names)}"
    available: set[str] = set()
    for driver in eligible:
        for vehicle in on_road:
            if vehicle.id not in driver.vehicles:
                continue
            for window in _merged(driver.availability):
                start = max(window.start, vehicle.shift.start)
                end = min(window.end, vehicle.shift.end)
                if start <= end and _fits_alone(
                    leg, travel, *bases[vehicle.id], Window(start, end)
                ):
                    available.add(driver.id)
    if not available:
        return Reason.NO_ELIGIBLE_DRIVER, (
            f"no driver eligible for {_join(names)} is available at the times it needs"
        )
    return Reason.NO_ELIGIBLE_DRIVER, (
        f"the drivers eligible and available then ({_join(sorted(available))}) are "
        + ("rostered elsewhere" if rostered else "not given a duty that covers it")
    )


# Solve ---------------------------------------------------------------------------------------


def schedule(
    *,
    bookings: Sequence[Booking],
    vehicles: Sequence[Vehicle],
    drivers: Sequence[Driver],
    travel: TravelMatrix,
    pins: Sequence[Pin] = (),
    duties: Sequence[Duty] | None = None,
    time_limit_s: float = 10.0,
    solution_limit: int | None = None,
    min_duty_s: int = 3600,
    route_cost_m: int = 0,
    cut_day: bool = True,
) -> Plan:
    """Schedule a day's bookings into routes; see the module docstring for how and why.

    `time_limit_s` bounds the whole solve: the routing search gets what the roster and the
    pre-checks leave of it. Building the model and timing the run sheets come on top.
    `cut_day` False searches a large day whole instead of half by half first (see _Router):
    given several times longer, that can find a shorter plan.
    """
    started = time.perf_counter()
    if not (isinstance(time_limit_s, int | float) and math.isfinite(time_limit_s)):
        raise ValueError("the time limit must be a number of seconds")
    if time_limit_s <= 0:
        raise ValueError("the time limit must be above 0 seconds")
    if solution_limit is not None:
        _whole(solution_limit, "the solution limit", low=1)
    _whole(min_duty_s, "the shortest duty")
    _whole(route_cost_m, "the cost of a route")
    for booking in bookings:
        _validate_booking(booking, travel)
    _unique((b.id for b in bookings), "booking")
    if not vehicles:
        raise ValueError("there are no vehicles to schedule")
    for vehicle in vehicles:
        _validate_vehicle(vehicle, travel)
    _unique((v.id for v in vehicles), "vehicle")
    vehicle_by_id = {v.id: v for v in vehicles}
    for driver in drivers:
        _validate_driver(driver, set(vehicle_by_id))
    _unique((d.id for d in drivers), "driver")
    driver_by_id = {d.id: d for d in drivers}
    booking_by_id = {b.id: b for b in bookings}
    _validate_pins(pins, booking_by_id, vehicle_by_id)
    if duties is not None:
        _validate_duties(duties, vehicle_by_id, driver_by_id)
    pin_of = {pin.booking_id: pin for pin in pins}

    rostered = duties is None
    if duties is None:
        duties = roster(vehicles, drivers, min_duty_s=min_duty_s)
    duties = tuple(duties)

    # A booking without a window may be served at any time, so its open side must never be
    # what refuses it: a day beyond every shift and window stands for "any time".
    horizon = DAY_S + max(
        [v.shift.end for v in vehicles]
        + [w.end for b in bookings for w in (b.pickup_window, b.dropoff_window) if w is not None]
    )
    everything = Window(0, horizon)
    bases = {v.id: (travel.index(v.base), travel.index(v.returns_to)) for v in vehicles}
    legs: list[_Leg] = []
    allowed: list[list[int]] = []
    unserved: dict[str, Unserved] = {}
    for booking in bookings:
        pickup, dropoff = travel.index(booking.pickup), travel.index(booking.dropoff)
        leg = _Leg(
            booking=booking,
            pickup=pickup,
            dropoff=dropoff,
            pick=booking.pickup_window or everything,
            drop=booking.dropoff_window or everything,
            direct_s=int(travel.seconds[pickup, dropoff]),
            ride_max=booking.max_ride_s if booking.max_ride_s is not None else 10 * UNREACHABLE,
        )
        pin = pin_of.get(booking.id)
        verdict = _precheck(
            leg,
            travel,
            vehicles,
            duties,
            driver_by_id,
            vehicle_by_id[pin.vehicle_id] if pin else None,
            bases,
            rostered,
        )
        if isinstance(verdict, tuple):
            unserved[booking.id] = Unserved(booking.id, *verdict)
        else:
            legs.append(leg)
            allowed.append(verdict)

    routes: tuple[Route, ...] = ()
    status = "NOTHING_TO_SOLVE"
    if legs:
        router = _Router(
            legs=legs,
            duties=duties,
            travel=travel,
            vehicles=vehicle_by_id,
            pins=pin_of,
            horizon=horizon,
            route_cost_m=route_cost_m,
        )
        found = router.solve(
            list(range(len(legs))),
            [duty.window for duty in duties],
            allowed,
            deadline=started + time_limit_s,
            depth=SLICE_DEPTH if cut_day else 0,
            improve=True,
            solution_limit=solution_limit,
        )
        status = router.status
        timed = [
            _timed_route(duty, stops, legs, travel, vehicle_by_id[duty.vehicle_id])
            for duty, stops in zip(duties, found or [[] for _ in duties], strict=True)
            if stops
        ]
        routes = tuple(sorted(timed, key=lambda r: (r.vehicle_id, r.leave_s)))
        served = {b for route in routes for b in route.booking_ids}
        dropped = [leg.booking.id for leg in legs if leg.booking.id not in served]
        for booking_id in dropped:
            unserved[booking_id] = Unserved(
                booking_id,
                Reason.NOT_SCHEDULED,
                "it could be served on its own, but the solver found no room for it "
                "alongside the other bookings"
                + (f" (pinned to {pin_of[booking_id].vehicle_id})" if booking_id in pin_of else ""),
            )
    plan = Plan(
        routes=routes,
        unserved=tuple(unserved[b.id] for b in bookings if b.id in unserved),
        duties=duties,
        distance_m=sum(route.distance_m for route in routes),
        vehicles_used=len({route.vehicle_id for route in routes}),
        status=status,
        solve_s=time.perf_counter() - started,
    )
    problems = check_plan(
        plan, bookings=bookings, vehicles=vehicles, travel=travel, drivers=drivers, pins=pins
    )
    if problems:
        raise RuntimeError("the scheduler broke its own rules: " + "; ".join(problems[:5]))
    return plan


@dataclass
class _Model:
    """One OR-Tools model over some of the day's bookings (`ids`, indices into the legs) and
    some of its duties (`duties`, indices into the duties), with the windows it gives them."""

    routing: pywrapcp.RoutingModel
    manager: pywrapcp.RoutingIndexManager
    ids: list[int]
    duties: list[int]
    first: int
    keep: list[object]


class _Router:
    """Builds and searches the routing models for one day.

    A large day is first cut in two at a time that few bookings straddle (the morning and the
    afternoon, say); each half is routed on its own, on the duties clipped to it (a vehicle
    back at base by the cut, out again after it), with a plain descent to its first local
    optimum; a booking that straddles the cut goes to the half that holds more of it if it
    fits there. The halves' routes are joined duty by duty (a joined route goes straight from
    its last morning stop to its first afternoon one, never slower than via the base), any
    booking that fitted neither half is put where it adds the fewest metres, and the whole
    day is then searched (guided local search) from that plan for the time left.

    Why: OR-Tools' local search spends nearly all its time proposing moves that do not pay
    (most of them relocating a pick-up and drop-off pair), and a pass over those moves grows
    with the number of bookings times the square of a route's length. On the benchmark's day
    (200 bookings, 20 duties) a descent from the first insertion heuristic, which starts
    about 45% above the local optimum it reaches, needs some 30 million proposals and about
    20 s; each half reaches its own in 1-3 s, and the joined plan starts some 5-8% above a
    local optimum of the whole day. The optimum it leads to is sometimes better, sometimes
    worse (by 2-8% either way on the benchmark's days) than the one the plain search finds.
    Small days are searched directly.
    """

    def __init__(
        self,
        *,
        legs: Sequence[_Leg],
        duties: Sequence[Duty],
        travel: TravelMatrix,
        vehicles: dict[str, Vehicle],
        pins: dict[str, Pin],
        horizon: int,
        route_cost_m: int,
    ) -> None:
        self.legs = legs
        self.duties = duties
        self.travel = travel
        self.vehicles = vehicles
        self.pins = pins
        self.horizon = horizon
        self.route_cost_m = route_cost_m
        self.bases = [
            (
                travel.index(vehicles[d.vehicle_id].base),
                travel.index(vehicles[d.vehicle_id].returns_to),
            )
            for d in duties
        ]
        self.status = "NOT_SOLVED"

    def build(
        self, ids: Sequence[int], windows: Sequence[Window | None], allowed: Sequence[Sequence[int]]
    ) -> _Model:
        """The model for bookings `ids` (with `allowed[i]` the duties open to ids[i]) on the
        duties whose window is not None."""
        legs, travel, horizon = self.legs, self.travel, self.horizon
        duty_ids = [i for i, w in enumerate(windows) if w is not None]
        local = {d: v for v, d in enumerate(duty_ids)}
        depot_points = sorted({p for d in duty_ids for p in self.bases[d]})
        depot_node = {point: node for node, point in enumerate(depot_points)}
        first = len(depot_points)
        chosen = [legs[k] for k in ids]
        # Node first + 2i is booking ids[i]'s pick-up, first + 2i + 1 its drop-off.
        points = np.array(
            depot_points + [p for leg in chosen for p in (leg.pickup, leg.dropoff)], dtype=np.intp
        )
        service = np.array(
            [0] * first
            + [s for leg in chosen for s in (leg.booking.boarding_s, leg.booking.alighting_s)],
            dtype=np.int64,
        )
        seat_demand = [0] * first + [
            s for leg in chosen for s in (leg.booking.seats, -leg.booking.seats)
        ]
        space_demand = [0] * first + [
            s for leg in chosen for s in (leg.booking.wheelchairs, -leg.booking.wheelchairs)
        ]
        grid = np.ix_(points, points)
        metres = travel.metres[grid]
        seconds = travel.seconds[grid] + service[:, None]

        starts = [depot_node[self.bases[d][0]] for d in duty_ids]
        ends = [depot_node[self.bases[d][1]] for d in duty_ids]
        manager = pywrapcp.RoutingIndexManager(len(points), len(duty_ids), starts, ends)
        routing = pywrapcp.RoutingModel(manager)
        solver = routing.solver()
        keep: list[object] = []

        distance_cb = routing.RegisterTransitMatrix(metres.tolist())
        routing.SetArcCostEvaluatorOfAllVehicles(distance_cb)
        if self.route_cost_m:
            routing.SetFixedCostOfAllVehicles(self.route_cost_m)
        time_cb = routing.RegisterTransitMatrix(seconds.tolist())
        routing.AddDimension(time_cb, horizon, horizon, False, "time")
        clock = routing.GetDimensionOrDie("time")
        duty_vehicles = [self.vehicles[self.duties[d].vehicle_id] for d in duty_ids]
        seats_cb = routing.RegisterUnaryTransitVector(seat_demand)
        routing.AddDimensionWithVehicleCapacity(
            seats_cb, 0, [v.seats for v in duty_vehicles], True, "seats"
        )
        spaces_cb = routing.RegisterUnaryTransitVector(space_demand)
        routing.AddDimensionWithVehicleCapacity(
            spaces_cb, 0, [v.wheelchair_spaces for v in duty_vehicles], True, "spaces"
        )
        for v, d in enumerate(duty_ids):
            window = windows[d]
            assert window is not None
            clock.CumulVar(routing.Start(v)).SetRange(window.start, window.end)
            clock.CumulVar(routing.End(v)).SetRange(window.start, window.end)

        ordered: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
        for pair, (leg, open_to) in enumerate(zip(chosen, allowed, strict=True)):
            pickup = manager.NodeToIndex(first + 2 * pair)
            dropoff = manager.NodeToIndex(first + 2 * pair + 1)
            # The same route, the pick-up first (OR-Tools enforces and filters both).
            routing.AddPickupAndDelivery(pickup, dropoff)
            if leg.ride_max < horizon:
                # The maximum ride twice: as a constraint, which is the rule, and as the
                # pair's pick-up-to-delivery limit, which the local search filters check
                # before trying a move (the constraint alone is found broken only after,
                # which made the search several times slower; the limit alone is not part of
                # OR-Tools' model, and some first-solution strategies break it).
                solver.Add(clock.CumulVar(dropoff) - clock.CumulVar(pickup) <= leg.ride_max)
                limit = _constant(leg.ride_max)
                keep.append(limit)
                clock.SetPickupToDeliveryLimitFunctionForPair(limit, pair)
            clock.CumulVar(pickup).SetRange(leg.pick.start, min(leg.pick.end, horizon))
            clock.CumulVar(dropoff).SetRange(leg.drop.start, min(leg.drop.end, horizon))
            # Only the duties that could serve it alone (-1: not served). OR-Tools 9.15's
            # Python binding of SetAllowedVehiclesForIndex takes no Python sequence, so the
            # vehicle variables are narrowed directly, which its vehicle filter reads too.
            vehicles = [-1, *(local[d] for d in open_to if d in local)]
            routing.VehicleVar(pickup).SetValues(vehicles)
            routing.VehicleVar(dropoff).SetValues(vehicles)
            pin = self.pins.get(leg.booking.id)
            penalty = PIN_PENALTY if pin else DROP_PENALTY
            routing.AddDisjunction([pickup, dropoff], penalty, 2)
            if pin is not None and pin.order is not None:
                ordered[pin.vehicle_id].append((pin.order, pickup, leg.booking.boarding_s))
        for chain in ordered.values():
            chain.sort()
            for (_, before, boarding), (_, after, _) in itertools.pairwise(chain):
                # Boarding (at least a second) must finish before the next pinned pick-up
                # starts, which puts them in order; only binds when both are served.
                clock.AddNodePrecedence(before, after, max(1, boarding))
        return _Model(routing, manager, list(ids), duty_ids, first, keep)

    def search(
        self,
        model: _Model,
        *,
        seconds: float,
        initial: Sequence[Sequence[int]] | None = None,
        improve: bool = True,
        solution_limit: int | None = None,
    ) -> list[list[int]] | None:
        """Search `model` for `seconds` (guided local search, or with `improve` False a plain
        descent that stops at its first local optimum) from `initial` (per duty, the global
        stop codes 2k and 2k + 1 of booking k's pick-up and drop-off) or from a first
        insertion heuristic; the routes found, in the same codes, or None."""
        routing, manager = model.routing, model.manager
        parameters = pywrapcp.DefaultRoutingSearchParameters()
        parameters.first_solution_strategy = (
            routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
        )
        # Inserting each booking near its closest places only, not everywhere: a first plan
        # five times faster and no worse.
        insertion = parameters.global_cheapest_insertion_first_solution_parameters
        insertion.neighbors_ratio = 0.1
        insertion.min_neighbors = 10
        parameters.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
            if improve
            else routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
        )
        parameters.time_limit.FromMilliseconds(max(1, round(seconds * 1000)))
        if solution_limit is not None:
            parameters.solution_limit = solution_limit
        start = None
        if initial is not None:
            where = {k: i for i, k in enumerate(model.ids)}
            routes = [
                [
                    manager.NodeToIndex(model.first + 2 * where[code // 2] + code % 2)
                    for code in initial[d]
                ]
                for d in model.duties
            ]
            start = routing.ReadAssignmentFromRoutes(routes, True)
        if start is not None:
            solution = routing.SolveFromAssignmentWithParameters(start, parameters)
        else:
            solution = routing.SolveWithParameters(parameters)
        self.status = routing_enums_pb2.RoutingSearchStatus.Value.Name(routing.status())
        if solution is None:
            return None
        found: list[list[int]] = [[] for _ in self.duties]
        for v, d in enumerate(model.duties):
            index = solution.Value(routing.NextVar(routing.Start(v)))
            while not routing.IsEnd(index):
                node = manager.IndexToNode(index) - model.first
                found[d].append(2 * model.ids[node // 2] + node % 2)
                index = solution.Value(routing.NextVar(index))
        return found

    def solve(
        self,
        ids: Sequence[int],
        windows: Sequence[Window | None],
        allowed: Sequence[Sequence[int]],
        *,
        deadline: float,
        depth: int,
        improve: bool,
        solution_limit: int | None = None,
    ) -> list[list[int]] | None:
        """Route bookings `ids` on the duties' `windows` by `deadline` (perf_counter)."""
        cut = self.cut(ids, windows, allowed) if depth > 0 and len(ids) >= SLICE_MIN else None
        initial = None
        if cut is not None:
            # Each half gets its share of the time; a half that reaches its local optimum
            # early leaves the rest to the next.
            half_deadline = time.perf_counter()
            share = SLICE_SHARE * (deadline - half_deadline)
            joined: list[list[int]] = [[] for _ in self.duties]
            for part in cut:
                sub_ids, sub_windows, sub_allowed = part
                half_deadline += share
                found = self.solve(
                    sub_ids,
                    sub_windows,
                    sub_allowed,
                    deadline=half_deadline,
                    depth=depth - 1,
                    improve=False,
                )
                if found is not None:
                    for d, stops in enumerate(found):
                        joined[d].extend(stops)
            placed = {code // 2 for stops in joined for code in stops}
            where = dict(zip(ids, allowed, strict=True))
            for k in sorted((k for k in ids if k not in placed), key=lambda k: len(where[k])):
                self.insert(joined, k, where[k], windows)
            initial = joined
        model = self.build(ids, windows, allowed)
        return self.search(
            model,
            seconds=max(deadline - time.perf_counter(), 0.01),
            initial=initial,
            improve=improve,
            solution_limit=solution_limit,
        )

    def insert(
        self,
        routes: list[list[int]],
        k: int,
        open_to: Sequence[int],
        windows: Sequence[Window | None],
    ) -> bool:
        """Put booking k where it adds the fewest metres to `routes` and keeps every rule.

        For the few bookings that straddle a cut and so fit neither half: OR-Tools' search
        fits in a left-out booking only by trial moves, slowly and not where it costs least,
        so they are placed before the search starts. Every pick-up and drop-off position on
        every open duty is tried."""
        metres = self.travel.metres
        leg = self.legs[k]
        best: tuple[int, int, int, int] | None = None
        for d in open_to:
            window = windows[d]
            if window is None:
                continue
            stops = routes[d]
            base, end_base = self.bases[d]
            where = [base] + [self._point(code) for code in stops] + [end_base]
            for i in range(len(stops) + 1):
                for j in range(i, len(stops) + 1):
                    if j == i:
                        added = (
                            metres[where[i], leg.pickup]
                            + metres[leg.pickup, leg.dropoff]
                            + metres[leg.dropoff, where[i + 1]]
                            - metres[where[i], where[i + 1]]
                        )
                    else:
                        added = (
                            metres[where[i], leg.pickup]
                            + metres[leg.pickup, where[i + 1]]
                            - metres[where[i], where[i + 1]]
                            + metres[where[j], leg.dropoff]
                            + metres[leg.dropoff, where[j + 1]]
                            - metres[where[j], where[j + 1]]
                        )
                    if best is not None and added >= best[0]:
                        continue
                    trial = [*stops[:i], 2 * k, *stops[i:j], 2 * k + 1, *stops[j:]]
                    if self.feasible(d, trial, window):
                        best = (int(added), d, i, j)
        if best is None:
            return False
        _, d, i, j = best
        stops = routes[d]
        routes[d] = [*stops[:i], 2 * k, *stops[i:j], 2 * k + 1, *stops[j:]]
        return True

    def _point(self, code: int) -> int:
        leg = self.legs[code // 2]
        return leg.dropoff if code % 2 else leg.pickup

    def feasible(self, d: int, stops: Sequence[int], window: Window) -> bool:
        """Whether these stops, in this order, can be run on duty d.

        One pass at the earliest times settles most orders: too many on board, or a stop
        reached after its window closes even going as early as possible, cannot be mended;
        earliest times that also keep every ride are a timing. Only an order whose earliest
        timing breaks a ride needs the exact test (a later pick-up may shorten the ride)."""
        vehicle = self.vehicles[self.duties[d].vehicle_id]
        seconds = self.travel.seconds
        place, clock = self.bases[d][0], window.start
        seats = spaces = 0
        boarded: dict[int, int] = {}
        rides_kept = True
        for code in stops:
            leg = self.legs[code // 2]
            point = leg.dropoff if code % 2 else leg.pickup
            bounds = leg.drop if code % 2 else leg.pick
            clock = max(clock + int(seconds[place, point]), bounds.start)
            if clock > min(bounds.end, window.end):
                return False
            if code % 2 == 0:
                boarded[code // 2] = clock
                seats += leg.booking.seats
                spaces += leg.booking.wheelchairs
                if seats > vehicle.seats or spaces > vehicle.wheelchair_spaces:
                    return False
                clock += leg.booking.boarding_s
            else:
                if clock - boarded.pop(code // 2, clock) > leg.ride_max:
                    rides_kept = False
                seats -= leg.booking.seats
                spaces -= leg.booking.wheelchairs
                clock += leg.booking.alighting_s
            place = point
        if clock + int(seconds[place, self.bases[d][1]]) > window.end:
            return False
        if rides_kept:
            return True
        return _earliest_times(window, stops, self.legs, self.travel, *self.bases[d]) is not None

    def cut(
        self, ids: Sequence[int], windows: Sequence[Window | None], allowed: Sequence[Sequence[int]]
    ) -> list[tuple[list[int], list[Window | None], list[list[int]]]] | None:
        """The two halves of a day, or None if no time splits it into two big enough parts.

        The cut is the time that the fewest bookings straddle (a booking straddles it if it
        could be picked up before it and dropped off after it), among those that leave each
        side at least a quarter of the bookings."""
        early = {
            k: max(self.legs[k].pick.start, self.legs[k].drop.start - self.legs[k].ride_max)
            for k in ids
        }
        late = {
            k: min(self.legs[k].drop.end, self.legs[k].pick.end + self.legs[k].ride_max)
            for k in ids
        }
        candidates = sorted(set(early.values()) | set(late.values()))
        ends = sorted(late.values())
        starts = sorted(early.values())
        n = len(ids)
        best: tuple[int, int, int] | None = None
        for t in candidates:
            before = bisect.bisect_right(ends, t)
            after = n - bisect.bisect_left(starts, t)
            if min(before, after) < n / 4:
                continue
            score = (2 * (n - before - after) + abs(before - after), abs(before - after))
            if best is None or score < best[:2]:
                best = (*score, t)
        if best is None:
            return None
        t = best[2]
        sides: list[list[Window | None]] = []
        for side in (0, 1):
            clipped: list[Window | None] = []
            for window in windows:
                if window is None:
                    clipped.append(None)
                    continue
                start, end = (
                    (window.start, min(window.end, t))
                    if side == 0
                    else (max(window.start, t), window.end)
                )
                clipped.append(Window(start, end) if start < end else None)
            sides.append(clipped)
        halves: list[tuple[list[int], list[Window | None], list[list[int]]]] = [
            ([], sides[0], []),
            ([], sides[1], []),
        ]
        for k, open_to in zip(ids, allowed, strict=True):
            # A booking goes to the half it lies in; one that straddles the cut to the half
            # that holds more of it, or else the other, if a duty there could serve it alone
            # (the whole day's search places any left over).
            if late[k] <= t:
                order = [0]
            elif early[k] >= t:
                order = [1]
            else:
                order = [0, 1] if early[k] + late[k] < 2 * t else [1, 0]
            for side in order:
                fits = [
                    d
                    for d in open_to
                    if (w := sides[side][d]) is not None
                    and _fits_alone(self.legs[k], self.travel, *self.bases[d], w)
                ]
                if fits:
                    halves[side][0].append(k)
                    halves[side][2].append(fits)
                    break
        return halves


def _constant(value: int) -> Callable[[int, int], int]:
    """A pick-up-to-delivery limit function (OR-Tools passes the pair's alternatives)."""

    def limit(pickup_alternative: int, delivery_alternative: int) -> int:
        return value

    return limit


def _earliest_times(
    window: Window,
    sequence: Sequence[int],
    legs: Sequence[_Leg],
    travel: TravelMatrix,
    base: int,
    end_base: int,
) -> tuple[list[int], list[int], list[int]] | None:
    """The earliest times that keep every rule for stops in this order, or None if none do;
    with the places and service times, base first and last.

    The times form a simple temporal network (every rule is "this time at least that much
    after that one"), so the earliest consistent times are longest paths from the duty's
    start, found by relaxing the rules until none moves a time (Bellman-Ford). Times only
    grow, so the first one past its window's end, or a rule still moving a time after n
    rounds, means the order cannot be timed.
    """
    # Variables: 0 = leave base, 1..n = stops, n + 1 = back at base.
    where, service, low, high = [base], [0], [window.start], [window.end]
    for code in sequence:
        leg = legs[code // 2]
        bounds = leg.drop if code % 2 else leg.pick
        where.append(leg.dropoff if code % 2 else leg.pickup)
        service.append(leg.booking.alighting_s if code % 2 else leg.booking.boarding_s)
        low.append(max(bounds.start, window.start))
        high.append(min(bounds.end, window.end))
    where.append(end_base)
    service.append(0)
    low.append(window.start)
    high.append(window.end)
    n = len(where)
    # Edges (i, j, w): time[j] >= time[i] + w.
    edges = [
        (i, i + 1, service[i] + int(travel.seconds[where[i], where[i + 1]])) for i in range(n - 1)
    ]
    pickup_at: dict[int, int] = {}
    for position, code in enumerate(sequence, start=1):
        leg = legs[code // 2]
        if code % 2 == 0:
            pickup_at[code // 2] = position
        elif leg.ride_max < UNREACHABLE and code // 2 in pickup_at:
            edges.append((position, pickup_at[code // 2], -leg.ride_max))
    times = list(low)
    for _ in range(n + 1):
        moved = False
        for i, j, w in edges:
            if times[i] + w > times[j]:
                times[j] = times[i] + w
                if times[j] > high[j]:
                    return None
                moved = True
        if not moved:
            return times, where, service
    return None


def _timed_route(
    duty: Duty,
    sequence: Sequence[int],
    legs: Sequence[_Leg],
    travel: TravelMatrix,
    vehicle: Vehicle,
) -> Route:
    """The run sheet for stops in this order: the earliest times that keep every rule (see
    `_earliest_times`), with the driver leaving the base as late as those allow. OR-Tools'
    answer can always be timed; a route that cannot is a bug."""
    base, end_base = travel.index(vehicle.base), travel.index(vehicle.returns_to)
    stops = [(legs[s // 2], StopKind.PICKUP if s % 2 == 0 else StopKind.DROPOFF) for s in sequence]
    found = _earliest_times(duty.window, sequence, legs, travel, base, end_base)
    if found is None:
        raise RuntimeError(f"the route of {duty.vehicle_id} cannot be timed inside its windows")
    times, where, service = found
    n = len(where)
    # Leave the base as late as still reaches the first stop in time.
    first_leg = int(travel.seconds[where[0], where[1]])
    times[0] = max(times[0], times[1] - first_leg)

    timed = []
    seats = spaces = 0
    for position, (leg, kind) in enumerate(stops, start=1):
        sign = 1 if kind is StopKind.PICKUP else -1
        seats += sign * leg.booking.seats
        spaces += sign * leg.booking.wheelchairs
        arrive = (
            times[position - 1]
            + service[position - 1]
            + int(travel.seconds[where[position - 1], where[position]])
        )
        timed.append(
            Stop(
                booking_id=leg.booking.id,
                kind=kind,
                point=travel.names[where[position]],
                arrive_s=arrive,
                start_s=times[position],
                depart_s=times[position] + service[position],
                seats_used=seats,
                wheelchair_spaces_used=spaces,
            )
        )
    distance = sum(int(travel.metres[where[i], where[i + 1]]) for i in range(n - 1))
    return Route(
        vehicle_id=duty.vehicle_id,
        driver_id=duty.driver_id,
        duty=duty.window,
        base=vehicle.base,
        end_base=vehicle.returns_to,
        leave_s=times[0],
        return_s=times[-1],
        stops=tuple(timed),
        distance_m=distance,
    )


# Checking ------------------------------------------------------------------------------------


def check_plan(
    plan: Plan,
    *,
    bookings: Sequence[Booking],
    vehicles: Sequence[Vehicle],
    travel: TravelMatrix,
    drivers: Sequence[Driver] | None = None,
    pins: Sequence[Pin] = (),
) -> list[str]:
    """Every rule a plan must keep, checked from the plan alone; the broken ones, in words.

    `schedule` runs this on its own answer; tests and the benchmark run it too. With
    `drivers`, it also checks each route's driver may drive its vehicle and is free then.
    """
    problems: list[str] = []
    booking_by_id = {b.id: b for b in bookings}
    vehicle_by_id = {v.id: v for v in vehicles}
    driver_by_id = {d.id: d for d in drivers} if drivers is not None else None
    duties = set(plan.duties)
    rides_on: dict[str, Route] = {}
    pickup_position: dict[str, int] = {}
    for route in plan.routes:
        vehicle = vehicle_by_id[route.vehicle_id]
        label = f"{route.vehicle_id} driven by {route.driver_id}"
        if Duty(route.vehicle_id, route.driver_id, route.duty) not in duties:
            problems.append(f"{label} has no duty in the roster")
        if not (route.duty.start <= route.leave_s and route.return_s <= route.duty.end):
            problems.append(f"{label} runs outside its duty {route.duty}")
        if driver_by_id is not None:
            driver = driver_by_id.get(route.driver_id)
            if driver is None or route.vehicle_id not in driver.vehicles:
                problems.append(f"{label}: the driver may not drive this vehicle")
            elif not any(w.contains(route.duty) for w in _merged(driver.availability)):
                problems.append(f"{label}: the driver is not available for {route.duty}")
        if not vehicle.shift.contains(route.duty):
            problems.append(f"{label} runs outside the vehicle's shift")
        clock, place = route.leave_s, route.base
        seats = spaces = 0
        picked: dict[str, int] = {}
        distance = 0
        for position, stop in enumerate(route.stops):
            booking = booking_by_id.get(stop.booking_id)
            if booking is None:
                problems.append(f"{label} visits unknown booking {stop.booking_id}")
                continue
            i, j = travel.index(place), travel.index(stop.point)
            distance += int(travel.metres[i, j])
            if stop.arrive_s < clock + int(travel.seconds[i, j]) or stop.start_s < stop.arrive_s:
                problems.append(f"{label} reaches {stop.point} for {booking.id} too soon")
            pickup = stop.kind is StopKind.PICKUP
            if stop.point != (booking.pickup if pickup else booking.dropoff):
                problems.append(f"{label} stops for {booking.id} at the wrong place")
            window = booking.pickup_window if pickup else booking.dropoff_window
            if window is not None and not (window.start <= stop.start_s <= window.end):
                problems.append(
                    f"{label}: {booking.id} {stop.kind} at {_clock(stop.start_s)} "
                    f"is outside {window}"
                )
            service = booking.boarding_s if pickup else booking.alighting_s
            if stop.depart_s != stop.start_s + service:
                problems.append(f"{label}: {booking.id} {stop.kind} service time is wrong")
            if pickup:
                if booking.id in rides_on:
                    problems.append(f"{booking.id} is picked up twice")
                rides_on[booking.id] = route
                pickup_position[booking.id] = position
                picked[booking.id] = stop.start_s
                seats += booking.seats
                spaces += booking.wheelchairs
            else:
                if booking.id not in picked:
                    problems.append(f"{label} drops off {booking.id} before picking them up")
                else:
                    ride = stop.start_s - picked.pop(booking.id)
                    if booking.max_ride_s is not None and ride > booking.max_ride_s:
                        problems.append(f"{booking.id} rides {ride} s, over {booking.max_ride_s}")
                seats -= booking.seats
                spaces -= booking.wheelchairs
            if seats > vehicle.seats or spaces > vehicle.wheelchair_spaces:
                problems.append(f"{label} is over capacity at {stop.point}")
            if (seats, spaces) != (stop.seats_used, stop.wheelchair_spaces_used):
                problems.append(f"{label}: the load shown at {stop.point} is wrong")
            clock, place = stop.depart_s, stop.point
        if picked:
            problems.append(f"{label} never drops off {', '.join(sorted(picked))}")
        i, j = travel.index(place), travel.index(route.end_base)
        distance += int(travel.metres[i, j])
        if route.return_s < clock + int(travel.seconds[i, j]):
            problems.append(f"{label} gets back to base too soon")
        if distance != route.distance_m:
            problems.append(f"{label}: distance {route.distance_m} m should be {distance} m")
    unserved = {item.booking_id for item in plan.unserved}
    for booking in bookings:
        if booking.id in rides_on and booking.id in unserved:
            problems.append(f"{booking.id} is both served and unserved")
        elif booking.id not in rides_on and booking.id not in unserved:
            problems.append(f"{booking.id} is neither served nor listed as unserved")
    ordered: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for pin in pins:
        route_of = rides_on.get(pin.booking_id)
        if route_of is None:
            continue
        if route_of.vehicle_id != pin.vehicle_id:
            problems.append(
                f"{pin.booking_id} is pinned to {pin.vehicle_id} but rides {route_of.vehicle_id}"
            )
        elif pin.order is not None:
            ordered[pin.vehicle_id].append((pin.order, pin.booking_id))
    for chain in ordered.values():
        chain.sort()
        for (_, before), (_, after) in itertools.pairwise(chain):
            same = rides_on[before] is rides_on[after]
            if same and pickup_position[before] > pickup_position[after]:
                problems.append(f"{after} is picked up before {before}, against the pinned order")
    if plan.distance_m != sum(route.distance_m for route in plan.routes):
        problems.append("the plan's total distance is not the sum of its routes")
    if plan.vehicles_used != len({route.vehicle_id for route in plan.routes}):
        problems.append("the plan's count of vehicles used is wrong")
    return problems
