"""The travel models: straight line with a road factor and speed bands, matrix files, and a
routing engine's table (an OSRM client against a small local HTTP server, no network)."""

from __future__ import annotations

import json
import math
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from covenant.transport.distance import (
    EARTH_RADIUS_M,
    UNREACHABLE,
    EngineError,
    EngineModel,
    MatrixFile,
    OsrmTable,
    Point,
    SpeedBand,
    StraightLine,
    TravelMatrix,
    haversine_m,
    write_json,
)

ONE_DEGREE_M = EARTH_RADIUS_M * math.pi / 180  # 111,195 m along a meridian


# Straight line ------------------------------------------------------------------------------


def test_one_degree_of_latitude_is_111_km_of_straight_line() -> None:
    points = [Point("a", 0.0, 0.0), Point("b", 1.0, 0.0)]
    assert haversine_m(points)[0, 1] == pytest.approx(ONE_DEGREE_M)


def test_road_distance_is_straight_line_times_the_road_factor_at_one_speed() -> None:
    # 36 km/h is 10 m/s, so seconds are a tenth of the metres.
    model = StraightLine.single_speed(36.0, road_factor=1.5)
    travel = model.matrix([Point("a", 0.0, 0.0), Point("b", 0.1, 0.0)])
    road = ONE_DEGREE_M * 0.1 * 1.5
    assert travel.metres[0, 1] == round(road)
    assert travel.seconds[0, 1] == round(road / 10)
    assert travel.metres[1, 0] == travel.metres[0, 1]
    assert travel.metres[0, 0] == travel.seconds[0, 0] == 0


def test_default_speed_bands_by_hand() -> None:
    model = StraightLine()
    # 12 km of road: 2 km at 20 km/h (360 s), 8 km at 35 km/h (822.9 s), 2 km at 55 km/h
    # (130.9 s).
    seconds = model.seconds_for(np.array([1_000.0, 12_000.0]))
    assert seconds[0] == pytest.approx(180.0)
    assert seconds[1] == pytest.approx(360 + 8000 / (35 / 3.6) + 2000 / (55 / 3.6))


def test_default_model_gives_ten_km_in_about_twenty_minutes() -> None:
    assert StraightLine().seconds_for(np.array([10_000.0]))[0] / 60 == pytest.approx(19.7, 0.01)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"road_factor": 0.9}, "at least 1"),
        ({"road_factor": math.nan}, "at least 1"),
        ({"bands": ()}, "at least one"),
        ({"bands": (SpeedBand(1000, 30.0),)}, "open-ended"),
        ({"bands": (SpeedBand(None, 30.0), SpeedBand(None, 40.0))}, "only the last"),
        ({"bands": (SpeedBand(1000, 50.0), SpeedBand(None, 30.0))}, "slower"),
        ({"bands": (SpeedBand(1000, 0.0), SpeedBand(None, 30.0))}, "above 0"),
        (
            {"bands": (SpeedBand(2000, 20.0), SpeedBand(1000, 30.0), SpeedBand(None, 40.0))},
            "increasing",
        ),
    ],
)
def test_straight_line_refuses_nonsense(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StraightLine(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("latitude", "longitude"), [(91.0, 0.0), (0.0, 181.0), (math.nan, 0.0), (0.0, math.inf)]
)
def test_point_refuses_impossible_coordinates(latitude: float, longitude: float) -> None:
    with pytest.raises(ValueError, match="itude"):
        Point("x", latitude, longitude)


def test_points_must_have_distinct_names() -> None:
    with pytest.raises(ValueError, match="given twice"):
        StraightLine().matrix([Point("a", 53.4, -3.0), Point("a", 53.5, -3.0)])


# Around Wirral; far enough apart that rounding to whole seconds is small against each leg.
coordinates = st.tuples(
    st.floats(53.30, 53.45, allow_nan=False), st.floats(-3.2, -2.95, allow_nan=False)
)


@settings(max_examples=60, deadline=None)
@given(st.lists(coordinates, min_size=3, max_size=8))
def test_straight_line_keeps_the_triangle_inequality(where: list[tuple[float, float]]) -> None:
    """The solver assumes going via a third place is never quicker; speed bands that never
    slow down keep that (to within rounding to whole metres and seconds)."""
    travel = StraightLine().matrix([Point(f"p{i}", lat, lon) for i, (lat, lon) in enumerate(where)])
    for array in (travel.metres, travel.seconds):
        assert np.array_equal(array, array.T)
        via = array[:, :, None] + array[None, :, :]  # i -> j -> k
        assert np.all(array[:, None, :] <= via + 1)


# Travel matrix ------------------------------------------------------------------------------


def square(values: list[list[int]]) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def test_travel_matrix_is_read_only_and_indexed_by_name() -> None:
    travel = TravelMatrix(("a", "b"), square([[0, 5], [6, 0]]), square([[0, 1], [2, 0]]))
    assert travel.index("b") == 1
    assert "a" in travel
    assert "z" not in travel
    with pytest.raises(ValueError, match="read-only"):
        travel.metres[0, 1] = 1
    with pytest.raises(ValueError, match="'z' is not in the travel matrix"):
        travel.index("z")
    flipped = travel.subset(["b", "a"])
    assert flipped.metres.tolist() == [[0, 6], [5, 0]]


@pytest.mark.parametrize(
    ("names", "metres", "seconds", "message"),
    [
        (("a", "b"), [[0, 1]], [[0, 1], [1, 0]], "expected 2x2"),
        (("a", "a"), [[0, 1], [1, 0]], [[0, 1], [1, 0]], "given twice"),
        (("a", "b"), [[0, -1], [1, 0]], [[0, 1], [1, 0]], "outside"),
        (("a", "b"), [[0, 1], [1, 0]], [[3, 1], [1, 0]], "to itself"),
        (("a", ""), [[0, 1], [1, 0]], [[0, 1], [1, 0]], "non-empty name"),
        ((), [], [], "at least one"),
    ],
)
def test_travel_matrix_refuses_bad_arrays(
    names: tuple[str, ...], metres: list[list[int]], seconds: list[list[int]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        TravelMatrix(names, np.array(metres, dtype=np.int64), np.array(seconds, dtype=np.int64))


def test_travel_matrix_refuses_fractions() -> None:
    with pytest.raises(ValueError, match="whole numbers"):
        TravelMatrix(("a", "b"), np.array([[0, 1.5], [1, 0]]), square([[0, 1], [1, 0]]))


# Matrix files -------------------------------------------------------------------------------


def test_json_matrix_file_round_trip_keeps_unreachable(tmp_path: Path) -> None:
    metres = square([[0, 1200, UNREACHABLE], [1100, 0, 900], [UNREACHABLE, 950, 0]])
    seconds = square([[0, 180, UNREACHABLE], [170, 0, 120], [UNREACHABLE, 125, 0]])
    path = tmp_path / "travel.json"
    write_json(TravelMatrix(("a", "b", "c"), metres, seconds), path)
    assert json.loads(path.read_text())["metres"][0][2] is None
    model = MatrixFile.read(path)
    travel = model.matrix([Point("c", 0, 0), Point("a", 0, 0)])
    assert travel.names == ("c", "a")
    assert travel.metres.tolist() == [[0, UNREACHABLE], [UNREACHABLE, 0]]
    assert not travel.reachable("a", "c")
    with pytest.raises(ValueError, match="no row for 'x'"):
        model.matrix([Point("x", 0, 0)])


def test_csv_matrix_file_uses_the_reverse_pair_and_rounds(tmp_path: Path) -> None:
    path = tmp_path / "travel.csv"
    path.write_text(
        "\ufefffrom,to,metres,seconds\nbase,clinic,5000.4,600.6\nclinic,home,,\nhome,base,2000,240\n",
        encoding="utf-8",
    )
    travel = MatrixFile.read(path).travel
    assert travel.names == ("base", "clinic", "home")
    i, j, k = (travel.index(n) for n in ("base", "clinic", "home"))
    assert (travel.metres[i, j], travel.seconds[i, j]) == (5000, 601)
    assert (travel.metres[j, i], travel.seconds[j, i]) == (5000, 601)  # the reverse pair
    assert travel.seconds[j, k] == UNREACHABLE  # empty cells: no route
    assert travel.metres[i, k] == 2000


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("m.csv", "from,to,metres\na,b,1\n", "needs the columns"),
        ("m.csv", "from,to,metres,seconds\na,b,1,1\nb,c,1,1\n", "no row from a to c"),
        ("m.csv", "from,to,metres,seconds\na,b,-1,1\n", "negative"),
        ("m.csv", "from,to,metres,seconds\na,b,x,1\n", "not a number"),
        ("m.csv", "from,to,metres,seconds\na,b,1,1\na,b,2,2\n", "given twice"),
        (
            "m.json",
            '{"names": ["a", "b"], "metres": [[0, 1]], "seconds": [[0, 1], [1, 0]]}',
            "2 rows",
        ),
        ("m.json", "[1, 2]", "JSON object"),
        ("m.json", "{", "not valid JSON"),
        ("m.txt", "", "must end .json or .csv"),
    ],
)
def test_matrix_files_refuse_bad_content(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        MatrixFile.read(path)


# Routing engines ----------------------------------------------------------------------------


class LineEngine:
    """A stand-in engine (no server needed): places on a line, 1 km of road per 0.01 degree of
    longitude, 100 s per km; no route to or from anywhere east of longitude 1."""

    def table(
        self, coordinates: list[tuple[float, float]]
    ) -> tuple[list[list[float | None]], list[list[float | None]]]:
        def leg(a: tuple[float, float], b: tuple[float, float], per_km: float) -> float | None:
            if max(a[1], b[1]) > 1:
                return None
            return abs(a[1] - b[1]) * 100 * per_km

        seconds = [[leg(a, b, 100.0) for b in coordinates] for a in coordinates]
        metres = [[leg(a, b, 1000.0) for b in coordinates] for a in coordinates]
        return seconds, metres


def test_engine_model_turns_a_table_into_whole_numbers_and_unreachable() -> None:
    travel = EngineModel(LineEngine()).matrix(
        [Point("a", 0, 0.0), Point("b", 0, 0.025), Point("far", 0, 2.0)]
    )
    assert travel.metres[0, 1] == 2500
    assert travel.seconds[1, 0] == 250
    assert travel.seconds[0, 2] == UNREACHABLE
    assert travel.seconds[2, 2] == 0


class _Osrm(BaseHTTPRequestHandler):
    """Answers /table/v1/driving/... like OSRM, from the coordinates in the request: each
    leg is 10 m and 1 s per 0.0001 degree of longitude."""

    requests: list[str] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        parsed = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(parsed.query)
        where = parsed.path.split("/")[-1]
        if where == "fail":
            body = {"code": "InvalidQuery", "message": "Query string malformed"}
        else:
            lons = [float(pair.split(",")[0]) for pair in where.split(";")]
            sources = (
                [int(i) for i in query["sources"][0].split(";")]
                if "sources" in query
                else range(len(lons))
            )
            targets = (
                [int(i) for i in query["destinations"][0].split(";")]
                if "destinations" in query
                else range(len(lons))
            )
            body = {
                "code": "Ok",
                "durations": [
                    [round(abs(lons[i] - lons[j]) * 10_000, 3) for j in targets] for i in sources
                ],
                "distances": [
                    [round(abs(lons[i] - lons[j]) * 100_000, 3) for j in targets] for i in sources
                ],
            }
        data = json.dumps(body).encode()
        self.send_response(200 if body["code"] == "Ok" else 400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def osrm() -> Iterator[str]:
    _Osrm.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Osrm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_osrm_client_asks_longitude_first() -> None:
    url = OsrmTable("https://osrm.example.org/").url([(53.4, -3.05), (53.41, -3.0)])
    assert url == (
        "https://osrm.example.org/table/v1/driving/-3.050000,53.400000;-3.000000,53.410000"
        "?annotations=duration,distance"
    )


def test_osrm_client_reads_a_table_from_a_server(osrm: str) -> None:
    points = [Point(f"p{i}", 53.4, -3.0 + 0.001 * i) for i in range(3)]
    travel = EngineModel(OsrmTable(osrm)).matrix(points)
    assert travel.metres[0, 2] == 200
    assert travel.seconds[2, 1] == 10
    assert len(_Osrm.requests) == 1


def test_osrm_client_splits_a_big_table_into_blocks(osrm: str) -> None:
    points = [Point(f"p{i}", 53.4, -3.0 + 0.001 * i) for i in range(7)]
    travel = EngineModel(OsrmTable(osrm, max_coordinates=4)).matrix(points)
    expected = np.abs(np.subtract.outer(np.arange(7), np.arange(7))) * 100
    assert np.array_equal(travel.metres, expected)
    assert np.array_equal(travel.seconds, expected // 10)
    # Blocks of two origins by two destinations: four blocks a side.
    assert len(_Osrm.requests) == 16
    assert all(request.count(";") <= 3 + 2 for request in _Osrm.requests)


def test_osrm_client_reports_a_refusal(osrm: str) -> None:
    client = OsrmTable(osrm)
    with pytest.raises(EngineError, match="refused the table: InvalidQuery Query string malformed"):
        client._fetch(f"{osrm}/table/v1/driving/fail")


def test_osrm_client_reports_a_server_that_is_down() -> None:
    client = OsrmTable("http://127.0.0.1:9", timeout_s=2)
    with pytest.raises(EngineError, match="did not answer"):
        client.table([(53.4, -3.0), (53.5, -3.0)])


def test_osrm_client_refuses_other_schemes() -> None:
    with pytest.raises(ValueError, match="http"):
        OsrmTable("file:///etc/passwd")
