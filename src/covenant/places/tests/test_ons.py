"""The ONS/MHCLG file reader: value rules (property-based), header recognition, and real rows.

The oracles here are written independently of the module's regular expressions, so a mistake
in one of them shows up as a counter-example rather than agreeing with itself.
"""

from __future__ import annotations

import csv
import gzip
import io
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from covenant.places import ons
from covenant.places.ons import Kind

from .conftest import IOD_FILES, SHIPPED, shipped_lines, write_csv

FILE_1_HEADER = [
    "LSOA code (2011)",
    "LSOA name (2011)",
    "Local Authority District code (2019)",
    "Local Authority District name (2019)",
    "Index of Multiple Deprivation (IMD) Rank",
    "Index of Multiple Deprivation (IMD) Decile",
]


def read_all(path: Path, expect: Kind | None = None) -> tuple[Kind, list[ons.Item]]:
    with ons.open_table(path, expect=expect) as table:
        return table.kind, list(table)


# Numbers ---------------------------------------------------------------------------------------


def grouped_ok(text: str) -> bool:
    """Independent rule: digits, optionally split by commas into a head of 1-3 digits and
    tails of exactly 3."""
    parts = text.split(",")
    if not all(p and all(ch in string.digits for ch in p) for p in parts):
        return False
    return len(parts) == 1 or (len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:]))


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_whole_numbers_read_with_or_without_thousands_separators(n: int) -> None:
    assert ons.parse_whole(f"{n:,}") == n
    assert ons.parse_whole(str(n)) == n
    assert ons.parse_whole(f"  {n:,} ") == n


@given(st.text(alphabet="0123456789,", min_size=1, max_size=12))
@example("29,199")
@example("2,91,99")
@example(",123")
@example("1,")
def test_only_well_placed_separators_are_accepted(text: str) -> None:
    if grouped_ok(text):
        assert ons.parse_whole(text) == int(text.replace(",", ""))
    else:
        with pytest.raises(ValueError, match="is not a whole number"):
            ons.parse_whole(text)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_decimals_round_trip_as_written_with_and_without_separators(x: float) -> None:
    assert ons.parse_decimal(repr(x)) == x
    assert ons.parse_decimal(f"{x:,}") == x


@pytest.mark.parametrize("text", ["", " ", "nan", "inf", "-Infinity", "1,2.5", "12a", "1..2"])
def test_decimals_refuse_what_is_not_a_finite_number(text: str) -> None:
    with pytest.raises(ValueError, match="is not a number"):
        ons.parse_decimal(text)


# Codes -----------------------------------------------------------------------------------------

LSOA_CODES = st.builds(
    lambda country, digits: f"{country}01{digits}",
    st.sampled_from("EW"),
    st.text(alphabet=string.digits, min_size=6, max_size=6),
)


@given(LSOA_CODES, st.sampled_from(["", " ", "\t"]), st.booleans())
def test_lsoa_codes_are_accepted_in_any_case_and_spacing(code: str, pad: str, lower: bool) -> None:
    typed = pad + (code.lower() if lower else code) + pad
    assert ons.lsoa_code_check(typed) == code


def lsoa_shaped(text: str) -> bool:
    code = text.strip().upper()
    return (
        len(code) == 9
        and code[0] in "EW"
        and code[1:3] == "01"
        and all(ch in string.digits for ch in code[3:])
    )


@given(st.text(alphabet="EWS0123456789eX ", max_size=11))
@example("E0100645")
@example("S01012345")
@example("E02000001")
def test_anything_else_is_refused_with_the_rule(text: str) -> None:
    if lsoa_shaped(text):
        assert ons.lsoa_code_check(text) == text.strip().upper()
    else:
        with pytest.raises(ValueError, match=r"(E01 or W01 and 6 digits|is blank)"):
            ons.lsoa_code_check(text)


@given(
    st.sampled_from(["E06", "E07", "E08", "E09", "W06", "S12", "N09"]),
    st.text(alphabet=string.digits, min_size=6, max_size=6),
)
def test_local_authority_codes_of_every_uk_country(prefix: str, digits: str) -> None:
    assert ons.lad_code_check(prefix + digits) == prefix + digits


@pytest.mark.parametrize("code", ["E05000001", "E10000001", "E0800001", "E080000111", "Knowsley"])
def test_other_codes_are_not_local_authority_districts(code: str) -> None:
    with pytest.raises(ValueError, match="not an ONS local authority district code"):
        ons.lad_code_check(code)


def test_refusal_reads_as_line_and_reason() -> None:
    assert str(ons.Refusal(12, "IMD decile 11 is not between 1 and 10")) == (
        "line 12: IMD decile 11 is not between 1 and 10"
    )


# Whole files -----------------------------------------------------------------------------------

File1Row = tuple[str, str, int, int]
FILE_1_ROWS = st.lists(
    st.tuples(
        LSOA_CODES.filter(lambda c: c.startswith("E")),
        st.text(alphabet=string.ascii_letters + " ", min_size=1, max_size=30).filter(str.strip),
        st.integers(min_value=1, max_value=ons.ENGLAND_LSOAS),
        st.integers(min_value=1, max_value=10),
    ),
    min_size=1,
    max_size=20,
)


def file_1_bytes(rows: list[File1Row], *, bom: bool, crlf: bool, grouped: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(FILE_1_HEADER)
    for code, name, rank, decile in rows:
        shown = f"{rank:,}" if grouped else str(rank)
        writer.writerow([code, name, "E08000011", "Knowsley", shown, str(decile)])
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode()


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(FILE_1_ROWS, st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_file_1_round_trips_in_every_shape_it_is_saved_in(
    tmp_path: Path, rows: list[File1Row], bom: bool, crlf: bool, grouped: bool, packed: bool
) -> None:
    data = file_1_bytes(rows, bom=bom, crlf=crlf, grouped=grouped)
    path = tmp_path / ("f.csv.gz" if packed else "f.csv")
    path.write_bytes(gzip.compress(data) if packed else data)
    kind, items = read_all(path)
    assert kind is Kind.IMD
    assert items == [
        ons.DeprivationRow(code, name.strip(), "E08000011", "Knowsley", {"imd": r}, {"imd": d})
        for code, name, r, d in rows
    ]


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.permutations(FILE_1_HEADER),
    st.lists(st.sampled_from(["FID", "Notes", "objectid", "IMD Score"]), unique=True),
)
def test_columns_are_found_by_name_in_any_order_among_extra_columns(
    tmp_path: Path, header: list[str], extra: list[str]
) -> None:
    full = [*header, *extra]
    values = {
        "LSOA code (2011)": "E01006456",
        "LSOA name (2011)": "Knowsley 002B",
        "Local Authority District code (2019)": "E08000011",
        "Local Authority District name (2019)": "Knowsley",
        "Index of Multiple Deprivation (IMD) Rank": "6,358",
        "Index of Multiple Deprivation (IMD) Decile": "2",
    }
    path = write_csv(tmp_path / "any.csv", full, [[values.get(h, "x") for h in full]])
    kind, items = read_all(path)
    assert kind is Kind.IMD
    assert items == [
        ons.DeprivationRow(
            "E01006456", "Knowsley 002B", "E08000011", "Knowsley", {"imd": 6358}, {"imd": 2}
        )
    ]


def test_bad_rows_are_refused_with_their_line_and_the_rest_read(tmp_path: Path) -> None:
    rows = [
        ["E01006456", "Knowsley 002B", "E08000011", "Knowsley", "6,358", "2"],
        ["X", "Knowsley 002C", "E08000011", "Knowsley", "100", "1"],
        ["E01006458", "Knowsley 002D", "E08000011", "Knowsley", "29,199", "11"],
        ["E01006459", "Knowsley 002E", "E08000011", "Knowsley", "0", "ten"],
        ["E01006460", "Knowsley 002F"],
    ]
    _, items = read_all(write_csv(tmp_path / "f1.csv", FILE_1_HEADER, rows))
    assert [type(i) for i in items] == [ons.DeprivationRow, *[ons.Refusal] * 4]
    assert [str(i) for i in items[1:]] == [
        "line 3: LSOA code 'X' is not an ONS LSOA code (E01 or W01 and 6 digits)",
        "line 4: IMD decile 11 is not between 1 and 10",
        "line 5: IMD rank 0 is not between 1 and 32,844; IMD decile 'ten' is not a whole number",
        "line 6: has 2 values where 6 or more were expected; the row may be cut short",
    ]


def test_blank_lines_are_not_rows(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        ",".join(FILE_1_HEADER) + "\n\nE01006456,Knowsley 002B,E08000011,Knowsley,1,1\n\n"
    )
    _, items = read_all(path)
    assert len(items) == 1


# Whole-file problems -----------------------------------------------------------------------------


def test_a_missing_column_is_one_error_naming_it_and_the_file_expected(tmp_path: Path) -> None:
    header = shipped_lines(IOD_FILES[1])[0].decode("utf-8-sig").strip()
    columns = next(csv.reader([header]))
    crime = [c for c in columns if c.startswith("Crime Rank")]
    kept = [c for c in columns if c not in crime]
    path = write_csv(tmp_path / "domains.csv", kept, [])
    with pytest.raises(ons.MissingColumns) as caught:
        ons.open_table(path)
    message = str(caught.value)
    assert message.startswith(
        "domains.csv looks like IoD2019 File 2 (Domains of Deprivation) but has no column "
        "'Crime Rank (where 1 is most deprived)'."
    )
    assert caught.value.missing == ["Crime Rank (where 1 is most deprived)"]


def test_two_missing_columns_are_both_named(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ["lsoa11cd", "objectid"], [])
    with pytest.raises(ons.UnknownFile):
        ons.open_table(path)
    path = write_csv(tmp_path / "r.csv", ["LSOA11CD", "LSOA11NM", "RUC11CD"], [])
    with pytest.raises(ons.MissingColumns, match="has no column 'RUC11'"):
        ons.open_table(path)
    path = write_csv(tmp_path / "p.csv", ["pcds", "lat", "lsoa21"], [])
    with pytest.raises(ons.MissingColumns, match="has no columns 'lsoa11', 'long'"):
        ons.open_table(path, expect=Kind.POSTCODES)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\xef\xbb\xbf\r\n", "is empty"),
        (b"PK\x03\x04rest-of-a-workbook", "spreadsheet or zip archive, not CSV"),
        (b"Code,Title,Description\r\nx,y,z\r\n", "is not a file this import reads"),
        (b"LSOA11CD,IMD_2019_score\n\xa3,1\n", None),
    ],
)
def test_unusable_files_say_what_is_wrong(
    tmp_path: Path, content: bytes, message: str | None
) -> None:
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    if message is None:
        with pytest.raises(ons.UnusableFile, match="is not UTF-8 text"):
            read_all(path)
    else:
        with pytest.raises(ons.UnusableFile, match=message):
            ons.open_table(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ons.UnusableFile, match="does not exist"):
        ons.open_table(tmp_path / "nowhere.csv")


# The real files ----------------------------------------------------------------------------------

EXPECTED_KINDS = {
    "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz": Kind.IMD,
    "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz": Kind.DOMAINS,
    "File_6_-_IoD2019_Population_Denominators.csv.gz": Kind.POPULATION,
    "imd2019_for_aow.csv.gz": Kind.IMD_SCORE,
    "Lower_Layer_Super_Output_Area_2011_to_Ward_2017_Lookup_in_England_and_Wales.csv.gz": (
        Kind.LSOA_WARD
    ),
    "Lower_Layer_Super_Output_Areas_December_2011_Population_Weighted_Centroids.csv.gz": (
        Kind.CENTROIDS
    ),
    "Rural_Urban_Classification_2011_of_Lower_Layer_Super_Output_Areas_in_England_and_Wales.csv.gz": (  # noqa: E501
        Kind.RURAL_URBAN
    ),
    "Local_Authority_District_to_Region_April_2019_Lookup_in_England.csv.gz": Kind.LAD_REGION,
    "Local_Authority_Districts_April_2019_Names_and_Codes_in_the_United_Kingdom.csv.gz": (
        Kind.LAD_NAMES
    ),
}


def test_every_shipped_file_is_recognised_by_its_header() -> None:
    found = ons.find_tables([SHIPPED])
    assert {path.name: kind for kind, path in found.files.items()} == EXPECTED_KINDS
    assert found.ignored == []


def test_shipped_domains_file_covers_all_of_england() -> None:
    _, items = read_all(SHIPPED / "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz")
    rows = [i for i in items if isinstance(i, ons.DeprivationRow)]
    assert len(rows) == len(items) == ons.ENGLAND_LSOAS
    assert len({r.lsoa_code for r in rows}) == ons.ENGLAND_LSOAS
    assert len({r.lad_code for r in rows}) == 317
    ranks = [r.ranks["imd"] for r in rows]
    assert (min(ranks), max(ranks)) == (1, ons.ENGLAND_LSOAS)


def test_real_first_rows_with_bom_crlf_and_separators(knowsley_source: Path) -> None:
    file_1 = knowsley_source / "imd2019" / IOD_FILES[0]
    raw = file_1.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw
    assert b'"6,358"' in raw
    _, items = read_all(file_1)
    assert len(items) == 98
    assert (
        ons.DeprivationRow(
            "E01006456", "Knowsley 002B", "E08000011", "Knowsley", {"imd": 6358}, {"imd": 2}
        )
        in items
    )

    _, population = read_all(knowsley_source / "imd2019" / IOD_FILES[2])
    assert ons.PopulationRow("E01006456", 1540, "Knowsley 002B", "E08000011", "Knowsley") in (
        population
    )
    _, centroids = read_all(
        knowsley_source
        / "geo"
        / "Lower_Layer_Super_Output_Areas_December_2011_Population_Weighted_Centroids.csv.gz"
    )
    assert ons.CentroidRow("E01006456", -2.906569432057639, 53.487171571736084) in centroids


def test_welsh_and_scottish_rows_are_read_as_what_they_are(tmp_path: Path) -> None:
    ward = write_csv(
        tmp_path / "ward.csv",
        ["LSOA11CD", "LSOA11NM", "WD17CD", "WD17NM", "WD17NMW", "LAD17CD", "LAD17NM", "FID"],
        [
            [
                "W01000009",
                "Isle of Anglesey 007C",
                "W05000985",
                "Canolbarth Môn",
                "Canolbarth Môn",
                "W06000001",
                "Isle of Anglesey",
                "32803",
            ]
        ],
        bom=False,
    )
    _, items = read_all(ward)
    assert items == [
        ons.LsoaWardRow(
            "W01000009",
            "Isle of Anglesey 007C",
            "W05000985",
            "Canolbarth Môn",
            "W06000001",
            "Isle of Anglesey",
        )
    ]
    names = write_csv(
        tmp_path / "names.csv",
        ["LAD19CD", "LAD19NM", "LAD19NMW", "FID"],
        [
            ["S12000036", "City of Edinburgh", "", "300"],
            ["W06000001", "Isle of Anglesey", "Ynys Môn", "3"],
        ],
    )
    kind, items = read_all(names)
    assert kind is Kind.LAD_NAMES
    assert [i.lad_code for i in items if isinstance(i, ons.LadNameRow)] == [
        "S12000036",
        "W06000001",
    ]


def test_a_file_of_both_file_1_and_file_2_columns_is_file_2() -> None:
    header = next(csv.reader([shipped_lines(IOD_FILES[1])[0].decode("utf-8-sig")]))
    spec, index = ons.detect(header)
    assert spec.kind is Kind.DOMAINS
    assert len(index) == 20


def test_postcode_directory_rows(tmp_path: Path) -> None:
    header = ["pcd", "pcds", "doterm", "oslaua", "lsoa11", "lat", "long", "lsoa21"]
    path = write_csv(
        tmp_path / "onspd.csv",
        header,
        [
            ["L36 9YU", "L36 9YU", "", "E08000011", "E01006456", "53.412300", "-2.840100", "x"],
            ["L369YA", "L36 9YA", "201001", "E08000011", "E01006456", "53.4", "-2.8", ""],
            ["L36 9YB", "L36 9YB", "", "E08000011", "E01006456", "99.999999", "0.000000", ""],
            ["EH1 1AA", "EH1 1AA", "", "S12000036", "S01008677", "55.95", "-3.19", ""],
            ["GY1 1AA", "GY1 1AA", "", "L99999999", "", "99.999999", "0.000000", ""],
            ["L36 9Y", "L36 9Y", "", "E08000011", "E01006456", "53.4", "-2.8", ""],
        ],
        bom=False,
    )
    kind, items = read_all(path, expect=Kind.POSTCODES)
    assert kind is Kind.POSTCODES
    assert items[0] == ons.PostcodeRow(
        "L36 9YU", "L36", "E01006456", 53.4123, -2.8401, False, "E08000011"
    )
    assert items[1] == ons.PostcodeRow("L36 9YA", "L36", "E01006456", 53.4, -2.8, True, "E08000011")
    assert items[2] == ons.PostcodeRow(
        "L36 9YB", "L36", "E01006456", None, None, False, "E08000011"
    )
    assert items[3] == ons.Skipped(5, "outside England and Wales")
    assert items[4] == ons.Skipped(
        6, "no LSOA (a postcode outside England and Wales, or not yet placed)"
    )
    assert items[5] == ons.Refusal(7, "postcode 'L36 9Y' is not a UK postcode")


def test_postcode_directory_with_only_the_seven_character_postcode(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "nspl.csv",
        ["pcd", "laua", "lsoa11", "lat", "long"],
        [["L369YU ", "E08000011", "E01006456", "53.4123", "-2.8401"]],
    )
    _, items = read_all(path, expect=Kind.POSTCODES)
    assert items == [
        ons.PostcodeRow("L36 9YU", "L36", "E01006456", 53.4123, -2.8401, False, "E08000011")
    ]
