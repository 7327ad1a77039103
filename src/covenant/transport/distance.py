"""Travel distances and times between the places of a day's bookings: plain Python, no Django.

The scheduler needs, for every ordered pair of places, how far a vehicle drives (whole metres)
and how long that takes (whole seconds). Where the numbers come from is a node's choice, behind
one small interface, `TravelModel.matrix(points) -> TravelMatrix`:

- `StraightLine`, the default, needs nothing but coordinates: the great-circle (haversine)
  distance times a road factor. Measured detour indices on British roads mostly fall between
  1.2 and 1.4, so the default is 1.3. There is no road network, so there are no road types to
  take speeds from; the length of a leg stands in for them instead (`SpeedBand`): the first
  2 km of any leg at 20 km/h (residential streets, junctions, pulling away and parking), the
  next 8 km at 35 km/h (urban main roads), the rest at 55 km/h (A roads and dual
  carriageways). A 1 km hop takes 3 minutes, a 10 km trip 20 minutes, a 25 km one 36.
  Because the speed never falls as a leg grows, time is a concave function of distance, so the
  triangle inequality the solver relies on survives (up to rounding to whole seconds).
  `StraightLine.single_speed(speed_kmh)` is the one-average-speed model, for when a node
  prefers numbers it can explain in one sentence.
- `MatrixFile`: distances and times computed elsewhere (a routing engine run offline, a
  commercial service, a spreadsheet), as JSON or CSV between named points.
- `EngineModel` over any `TableEngine`: a routing engine's many-to-many table, such as OSRM's
  `/table` or Valhalla's `sources_to_targets`. `OsrmTable` is a small OSRM client (plain HTTP,
  standard library); a Valhalla client implements the same one-method protocol.

A pair of places with no route between them (an island without a ferry in the model, a
point the engine cannot snap to a road) gets `UNREACHABLE` metres and seconds, which no time
window can absorb, so the scheduler reports the booking instead of failing the day.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final, Protocol

import numpy as np
import numpy.typing as npt

# Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M: Final = 6_371_008.8
DEFAULT_ROAD_FACTOR: Final = 1.3
# Larger than any real leg in metres or seconds (a million kilometres; 31 years), small enough
# that a route's sum of them stays far inside a 64-bit integer.
UNREACHABLE: Final = 1_000_000_000

IntMatrix = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Point:
    """A named place: a booking's pick-up or drop-off, or a vehicle's base."""

    name: str
    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("a point needs a name")
        if not (math.isfinite(self.latitude) and -90.0 <= self.latitude <= 90.0):
            raise ValueError(f"point {self.name!r}: latitude {self.latitude} is not in -90..90")
        if not (math.isfinite(self.longitude) and -180.0 <= self.longitude <= 180.0):
            raise ValueError(f"point {self.name!r}: longitude {self.longitude} is not in -180..180")


@dataclass(frozen=True, eq=False)
class TravelMatrix:
    """Whole metres and seconds from every named point (row) to every other (column).

    The arrays are read-only int64 copies, so a matrix can be shared between solves without
    anyone changing it underneath another. `UNREACHABLE` marks a pair with no route.
    """

    names: tuple[str, ...]
    metres: IntMatrix
    seconds: IntMatrix
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        names = tuple(self.names)
        if not names:
            raise ValueError("a travel matrix needs at least one point")
        for name in names:
            if not isinstance(name, str) or not name:
                raise ValueError("every point in a travel matrix needs a non-empty name")
        _names_unique(names)
        index = {name: i for i, name in enumerate(names)}
        n = len(names)
        arrays = []
        for label, given in (("metres", self.metres), ("seconds", self.seconds)):
            array = np.asarray(given)
            if array.shape != (n, n):
                raise ValueError(
                    f"the {label} matrix is {array.shape}, but there are {n} points "
                    f"(expected {n}x{n})"
                )
            if not np.issubdtype(array.dtype, np.integer):
                raise ValueError(f"the {label} matrix must hold whole numbers")
            array = array.astype(np.int64, copy=True)
            if n and (array.min() < 0 or array.max() > UNREACHABLE):
                raise ValueError(f"the {label} matrix holds values outside 0..{UNREACHABLE}")
            if np.any(np.diagonal(array) != 0):
                i = int(np.flatnonzero(np.diagonal(array))[0])
                raise ValueError(f"the {label} from {names[i]!r} to itself must be 0")
            array.flags.writeable = False
            arrays.append(array)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "metres", arrays[0])
        object.__setattr__(self, "seconds", arrays[1])
        object.__setattr__(self, "_index", index)

    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def index(self, name: str) -> int:
        """The row and column of a point; ValueError naming it if the matrix lacks it."""
        try:
            return self._index[name]
        except KeyError:
            raise ValueError(f"point {name!r} is not in the travel matrix") from None

    def reachable(self, origin: str, destination: str) -> bool:
        i, j = self.index(origin), self.index(destination)
        return bool(self.seconds[i, j] < UNREACHABLE and self.metres[i, j] < UNREACHABLE)

    def subset(self, names: Sequence[str]) -> TravelMatrix:
        """The matrix between just these points, in this order."""
        rows = np.array([self.index(name) for name in names], dtype=np.intp)
        grid = np.ix_(rows, rows)
        return TravelMatrix(tuple(names), self.metres[grid], self.seconds[grid])


class TravelModel(Protocol):
    """Anything that can give a travel matrix between points."""

    def matrix(self, points: Sequence[Point]) -> TravelMatrix: ...


def _names_unique(names: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"point {name!r} is given twice")
        seen.add(name)


def _names(points: Sequence[Point]) -> tuple[str, ...]:
    names = tuple(point.name for point in points)
    _names_unique(names)
    return names


def haversine_m(points: Sequence[Point]) -> npt.NDArray[np.float64]:
    """Great-circle distances in metres between every pair of points (float, symmetric)."""
    lat = np.radians(np.array([p.latitude for p in points], dtype=np.float64))
    lon = np.radians(np.array([p.longitude for p in points], dtype=np.float64))
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    distance: npt.NDArray[np.float64] = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
    return distance


@dataclass(frozen=True)
class SpeedBand:
    """Drive the part of a leg up to `up_to_m` metres (of road, from the leg's start) at
    `speed_kmh`; `up_to_m=None` is the last band, for the rest of any leg."""

    up_to_m: float | None
    speed_kmh: float


DEFAULT_SPEED_BANDS: Final = (
    SpeedBand(2_000, 20.0),
    SpeedBand(10_000, 35.0),
    SpeedBand(None, 55.0),
)


@dataclass(frozen=True)
class StraightLine:
    """Haversine distance times a road factor, driven at speeds that rise with a leg's length.

    See the module docstring for why the defaults are what they are.
    """

    road_factor: float = DEFAULT_ROAD_FACTOR
    bands: tuple[SpeedBand, ...] = DEFAULT_SPEED_BANDS

    def __post_init__(self) -> None:
        if not (math.isfinite(self.road_factor) and self.road_factor >= 1.0):
            raise ValueError(
                f"the road factor must be at least 1 (roads are never shorter than a straight "
                f"line), not {self.road_factor}"
            )
        bands = tuple(self.bands)
        if not bands:
            raise ValueError("give at least one speed band")
        previous = 0.0
        for i, band in enumerate(bands):
            if not (math.isfinite(band.speed_kmh) and band.speed_kmh > 0):
                raise ValueError(f"speed band {i + 1}: the speed must be above 0 km/h")
            last = i == len(bands) - 1
            if band.up_to_m is None:
                if not last:
                    raise ValueError("only the last speed band may be open-ended (up_to_m=None)")
            elif last:
                raise ValueError("the last speed band must be open-ended (up_to_m=None)")
            elif not (math.isfinite(band.up_to_m) and band.up_to_m > previous):
                raise ValueError("speed bands must end at increasing distances above 0")
            else:
                previous = band.up_to_m
        for slower, faster in itertools.pairwise(bands):
            if faster.speed_kmh < slower.speed_kmh:
                # A slower band after a faster one would make a long leg quicker as two
                # short ones, breaking the triangle inequality the solver relies on.
                raise ValueError("speed bands must not get slower as a leg gets longer")
        object.__setattr__(self, "bands", bands)

    @classmethod
    def single_speed(
        cls, speed_kmh: float, *, road_factor: float = DEFAULT_ROAD_FACTOR
    ) -> StraightLine:
        """One average speed for every leg."""
        return cls(road_factor=road_factor, bands=(SpeedBand(None, speed_kmh),))

    def seconds_for(self, road_m: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Driving seconds for road distances in metres, band by band."""
        total = np.zeros_like(road_m, dtype=np.float64)
        start = 0.0
        for band in self.bands:
            end = math.inf if band.up_to_m is None else band.up_to_m
            part = np.clip(road_m - start, 0.0, end - start)
            total += part / (band.speed_kmh / 3.6)
            start = end
        return total

    def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        names = _names(points)
        road = haversine_m(points) * self.road_factor
        metres = np.rint(road).astype(np.int64)
        seconds = np.rint(self.seconds_for(road)).astype(np.int64)
        np.fill_diagonal(metres, 0)
        np.fill_diagonal(seconds, 0)
        return TravelMatrix(names, metres, seconds)


# Matrix files -------------------------------------------------------------------------------


def _whole(value: object, what: str) -> int:
    """A JSON or CSV number as whole metres or seconds; None or "" means no route."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return UNREACHABLE
    if isinstance(value, bool):
        raise ValueError(f"{what}: {value!r} is not a number")
    try:
        number = float(value) if isinstance(value, str) else value
    except ValueError:
        raise ValueError(f"{what}: {value!r} is not a number") from None
    if not isinstance(number, int | float) or not math.isfinite(number):
        raise ValueError(f"{what}: {value!r} is not a number")
    if number < 0:
        raise ValueError(f"{what}: {value!r} is negative")
    return min(round(number), UNREACHABLE)


@dataclass(frozen=True)
class MatrixFile:
    """Travel distances and times read from a file, looked up by point name.

    JSON: ``{"names": [...], "metres": [[...]], "seconds": [[...]]}``, rows are origins; a
    ``null`` is a pair with no route. CSV: a header ``from,to,metres,seconds`` and one row per
    ordered pair; a pair the file does not give takes the reverse pair's values if it gives
    those (roads are mostly two-way, and listing each pair once halves the file), and an empty
    cell is a pair with no route. Numbers may have decimals; they are rounded.
    """

    travel: TravelMatrix

    @classmethod
    def read(cls, path: Path | str) -> MatrixFile:
        path = Path(path)
        suffix = path.suffix.lower()
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                if suffix == ".json":
                    return cls(_read_json(handle, path.name))
                if suffix == ".csv":
                    return cls(_read_csv(handle, path.name))
        except UnicodeDecodeError:
            raise ValueError(f"{path.name} is not UTF-8 text") from None
        raise ValueError(f"{path.name}: a travel matrix file must end .json or .csv")

    def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        names = _names(points)
        missing = [name for name in names if name not in self.travel]
        if missing:
            raise ValueError(
                f"the travel matrix file has no row for {', '.join(map(repr, missing[:5]))}"
                + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            )
        return self.travel.subset(names)


def _read_json(handle: IO[str], label: str) -> TravelMatrix:
    try:
        document = json.load(handle)
    except json.JSONDecodeError as error:
        raise ValueError(f"{label} is not valid JSON ({error})") from None
    if not isinstance(document, dict):
        raise ValueError(f"{label} must hold a JSON object with names, metres and seconds")
    names = document.get("names")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{label}: 'names' must be a list of point names")
    arrays = []
    for key in ("metres", "seconds"):
        rows = document.get(key)
        if not isinstance(rows, list) or len(rows) != len(names):
            raise ValueError(f"{label}: '{key}' must be a list of {len(names)} rows")
        out = np.empty((len(names), len(names)), dtype=np.int64)
        for i, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != len(names):
                raise ValueError(f"{label}: {key} row {i + 1} must have {len(names)} values")
            for j, value in enumerate(row):
                out[i, j] = 0 if i == j else _whole(value, f"{label}: {key}[{i}][{j}]")
        arrays.append(out)
    return TravelMatrix(tuple(names), arrays[0], arrays[1])


CSV_COLUMNS: Final = ("from", "to", "metres", "seconds")


def _read_csv(handle: IO[str], label: str) -> TravelMatrix:
    reader = csv.reader(handle)
    header = [cell.strip().lower() for cell in next(reader, [])]
    missing = [column for column in CSV_COLUMNS if column not in header]
    if missing:
        raise ValueError(f"{label}: the header needs the columns {', '.join(CSV_COLUMNS)}")
    at = {column: header.index(column) for column in CSV_COLUMNS}
    pairs: dict[tuple[str, str], tuple[int, int]] = {}
    order: dict[str, None] = {}
    for cells in reader:
        if not cells or all(not cell.strip() for cell in cells):
            continue
        line = reader.line_num
        if len(cells) < len(header):
            raise ValueError(f"{label} line {line}: expected {len(header)} values")
        origin, destination = cells[at["from"]].strip(), cells[at["to"]].strip()
        if not origin or not destination:
            raise ValueError(f"{label} line {line}: 'from' and 'to' need point names")
        if (origin, destination) in pairs:
            raise ValueError(f"{label} line {line}: {origin} to {destination} is given twice")
        pairs[(origin, destination)] = (
            _whole(cells[at["metres"]], f"{label} line {line} metres"),
            _whole(cells[at["seconds"]], f"{label} line {line} seconds"),
        )
        order[origin] = None
        order[destination] = None
    names = tuple(order)
    if not names:
        raise ValueError(f"{label} has no rows")
    n = len(names)
    metres = np.zeros((n, n), dtype=np.int64)
    seconds = np.zeros((n, n), dtype=np.int64)
    for i, origin in enumerate(names):
        for j, destination in enumerate(names):
            if i == j:
                continue
            value = pairs.get((origin, destination)) or pairs.get((destination, origin))
            if value is None:
                raise ValueError(f"{label} has no row from {origin} to {destination}")
            metres[i, j], seconds[i, j] = value
    return TravelMatrix(names, metres, seconds)


def write_json(travel: TravelMatrix, path: Path | str) -> None:
    """Save a matrix as a `MatrixFile` JSON file (to keep an engine's answer, for example)."""

    def cells(array: IntMatrix) -> list[list[int | None]]:
        return [[None if v >= UNREACHABLE else int(v) for v in row] for row in array]

    document = {
        "names": list(travel.names),
        "metres": cells(travel.metres),
        "seconds": cells(travel.seconds),
    }
    Path(path).write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")


# Routing engines ----------------------------------------------------------------------------

Table = Sequence[Sequence[float | None]]


class TableEngine(Protocol):
    """A routing engine's many-to-many table (OSRM `/table`, Valhalla `sources_to_targets`).

    `table` takes (latitude, longitude) pairs and returns (seconds, metres), each a square
    table with a row per origin; None where the engine found no route.
    """

    def table(self, coordinates: Sequence[tuple[float, float]]) -> tuple[Table, Table]: ...


class EngineError(RuntimeError):
    """The routing engine could not answer (down, refused the request, or said nonsense)."""


@dataclass(frozen=True)
class EngineModel:
    """A `TravelModel` over a routing engine's table."""

    engine: TableEngine

    def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        names = _names(points)
        n = len(names)
        seconds_table, metres_table = self.engine.table(
            [(point.latitude, point.longitude) for point in points]
        )
        arrays = []
        for label, table in (("metres", metres_table), ("seconds", seconds_table)):
            if len(table) != n or any(len(row) != n for row in table):
                raise EngineError(f"the routing engine's {label} table is not {n}x{n}")
            out = np.empty((n, n), dtype=np.int64)
            for i, row in enumerate(table):
                for j, value in enumerate(row):
                    try:
                        out[i, j] = 0 if i == j else _whole(value, f"{label}[{i}][{j}]")
                    except ValueError as error:
                        raise EngineError(f"the routing engine answered {error}") from None
            arrays.append(out)
        return TravelMatrix(names, arrays[0], arrays[1])


Opener = Callable[..., Any]


@dataclass(frozen=True)
class OsrmTable:
    """An OSRM server's table service (http://project-osrm.org/docs/v5.24.0/api/#table-service).

    A server accepts a limited number of coordinates per request (`--max-table-size`, 100 by
    default), so a larger table is asked for in blocks of origins by destinations.
    """

    base_url: str
    profile: str = "driving"
    max_coordinates: int = 100
    timeout_s: float = 30.0
    opener: Opener = urllib.request.urlopen

    def __post_init__(self) -> None:
        scheme = urllib.parse.urlsplit(self.base_url).scheme
        if scheme not in ("http", "https"):
            raise ValueError(
                f"an OSRM server address must start http:// or https://, not {scheme!r}"
            )
        if self.max_coordinates < 2:
            raise ValueError("max_coordinates must be at least 2")

    def url(
        self,
        coordinates: Sequence[tuple[float, float]],
        sources: Sequence[int] | None = None,
        destinations: Sequence[int] | None = None,
    ) -> str:
        """The request for one block. OSRM writes longitude first."""
        where = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in coordinates)
        query = {"annotations": "duration,distance"}
        if sources is not None:
            query["sources"] = ";".join(map(str, sources))
        if destinations is not None:
            query["destinations"] = ";".join(map(str, destinations))
        return (
            f"{self.base_url.rstrip('/')}/table/v1/{urllib.parse.quote(self.profile)}/{where}"
            f"?{urllib.parse.urlencode(query, safe=';,')}"
        )

    def _fetch(self, url: str) -> Mapping[str, Any]:
        try:
            with self.opener(url, timeout=self.timeout_s) as response:
                document = json.load(response)
        except urllib.error.HTTPError as error:
            # OSRM answers a request it refuses with a 400 and a JSON body that says why.
            try:
                document = json.load(error)
            except ValueError:
                raise EngineError(f"the OSRM server refused the table: {error}") from None
        except (OSError, ValueError) as error:
            raise EngineError(f"the OSRM server did not answer: {error}") from None
        if not isinstance(document, dict) or document.get("code") != "Ok":
            code = document.get("code") if isinstance(document, dict) else None
            message = document.get("message") if isinstance(document, dict) else None
            raise EngineError(f"the OSRM server refused the table: {code} {message or ''}".strip())
        return document

    def table(self, coordinates: Sequence[tuple[float, float]]) -> tuple[Table, Table]:
        n = len(coordinates)
        seconds: list[list[float | None]] = [[None] * n for _ in range(n)]
        metres: list[list[float | None]] = [[None] * n for _ in range(n)]
        block = n if n <= self.max_coordinates else self.max_coordinates // 2
        for origins in _blocks(n, block):
            for targets in _blocks(n, block):
                together = sorted(set(origins) | set(targets))
                position = {k: i for i, k in enumerate(together)}
                single = len(together) == n and n <= self.max_coordinates
                document = self._fetch(
                    self.url(
                        [coordinates[k] for k in together],
                        None if single else [position[k] for k in origins],
                        None if single else [position[k] for k in targets],
                    )
                )
                durations, distances = document.get("durations"), document.get("distances")
                if not (
                    _shaped(durations, origins, targets) and _shaped(distances, origins, targets)
                ):
                    raise EngineError("the OSRM server's table has the wrong shape")
                for a, i in enumerate(origins):
                    for b, j in enumerate(targets):
                        seconds[i][j] = durations[a][b]  # type: ignore[index]
                        metres[i][j] = distances[a][b]  # type: ignore[index]
        return seconds, metres


def _blocks(n: int, size: int) -> Iterable[list[int]]:
    for start in range(0, n, size):
        yield list(range(start, min(start + size, n)))


def _shaped(table: object, origins: Sequence[int], targets: Sequence[int]) -> bool:
    return (
        isinstance(table, list)
        and len(table) == len(origins)
        and all(isinstance(row, list) and len(row) == len(targets) for row in table)
    )
