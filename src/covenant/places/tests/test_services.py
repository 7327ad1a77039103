"""Importing places: real Knowsley rows, re-imports, bad rows and unusable files."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from covenant.core.errors import NotAuthenticated, PermissionDenied, ValidationFailed
from covenant.core.models import AuditEntry
from covenant.core.tests.factories import NodeRoleFactory, UserFactory
from covenant.places import selectors, services
from covenant.places.models import LSOA, LocalAuthority, Region, Ward

from .conftest import IOD_FILES, KNOWSLEY, write_csv

pytestmark = pytest.mark.django_db

FILE_1_HEADER = [
    "LSOA code (2011)",
    "LSOA name (2011)",
    "Local Authority District code (2019)",
    "Local Authority District name (2019)",
    "Index of Multiple Deprivation (IMD) Rank",
    "Index of Multiple Deprivation (IMD) Decile",
]


def nothing_written() -> bool:
    return (
        not LSOA.objects.exists()
        and not LocalAuthority.objects.exists()
        and not Ward.objects.exists()
        and not Region.objects.exists()
        and not AuditEntry.objects.filter(action="places.import").exists()
    )


def test_knowsley_imports_with_every_attribute(knowsley_dir: Path) -> None:
    report = services.places_import(actor=None, paths=[knowsley_dir])

    assert report.refused == []
    assert report.created == {"regions": 1, "local authorities": 1, "wards": 15, "LSOAs": 98}
    assert LSOA.objects.count() == 98
    lsoa = selectors.lsoa_get("e01006456")
    assert lsoa.name == "Knowsley 002B"
    assert lsoa.local_authority.name == "Knowsley"
    assert lsoa.local_authority.region is not None
    assert lsoa.local_authority.region.name == "North West"
    assert lsoa.ward is not None
    assert lsoa.ward.local_authority_code == KNOWSLEY
    assert (lsoa.latitude, lsoa.longitude) == (53.487171571736084, -2.906569432057639)
    assert lsoa.population == 1540
    assert lsoa.rural_urban == "Urban major conurbation"
    assert lsoa.imd_score == 33.737
    assert (lsoa.imd_rank, lsoa.imd_decile) == (6358, 2)
    assert (lsoa.housing_rank, lsoa.housing_decile) == (9422, 3)
    assert (lsoa.environment_rank, lsoa.environment_decile) == (14259, 5)
    for field in ("latitude", "population", "imd_score", "crime_decile", "ward"):
        assert not LSOA.objects.filter(**{f"{field}__isnull": True}).exists(), field

    entry = AuditEntry.objects.get(action="places.import")
    assert entry.actor_label == "system"
    assert entry.detail["created"]["LSOAs"] == 98
    assert entry.detail["refused"] == 0


def test_reimport_updates_instead_of_duplicating(knowsley_dir: Path) -> None:
    services.places_import(actor=None, paths=[knowsley_dir])
    again = services.places_import(actor=None, paths=[knowsley_dir])
    assert again.created["LSOAs"] == 0
    assert again.unchanged["LSOAs"] == 98
    assert LSOA.objects.count() == 98

    # A corrected release changes one LSOA's population: only that row is updated.
    file_6 = knowsley_dir / "imd2019" / IOD_FILES[2]
    data = file_6.read_bytes()
    before = b'Knowsley 002B,E08000011,Knowsley,"1,540",'
    assert before in data
    file_6.write_bytes(data.replace(before, b'Knowsley 002B,E08000011,Knowsley,"1,541",'))
    third = services.places_import(actor=None, paths=[knowsley_dir])
    assert third.updated["LSOAs"] == 1
    assert third.unchanged["LSOAs"] == 97
    assert LSOA.objects.get(code="E01006456").population == 1541
    assert AuditEntry.objects.filter(action="places.import").count() == 3


def test_a_file_given_alone_sets_only_what_it_gives(knowsley_dir: Path) -> None:
    services.places_import(actor=None, paths=[knowsley_dir])
    LSOA.objects.update(latitude=None, longitude=None, population=7)
    file_1 = knowsley_dir / "imd2019" / IOD_FILES[0]
    centroids = next((knowsley_dir / "geo").glob("*Centroids*"))
    report = services.places_import(actor=None, paths=[file_1, centroids])
    assert report.updated["LSOAs"] == 98
    assert not LSOA.objects.filter(latitude__isnull=True).exists()
    assert set(LSOA.objects.values_list("population", flat=True)) == {7}
    assert any("File 6" in note for note in report.notes)


def test_only_la_with_an_unknown_or_malformed_code(knowsley_dir: Path) -> None:
    with pytest.raises(ValidationFailed, match="No LSOA in these files is in E08000012"):
        services.places_import(actor=None, paths=[knowsley_dir], only_la=["E08000012"])
    with pytest.raises(ValidationFailed, match="'Knowsley' is not an ONS local authority"):
        services.places_import(actor=None, paths=[knowsley_dir], only_la=["Knowsley"])
    assert nothing_written()


def test_bad_rows_are_refused_and_the_rest_imported(tmp_path: Path) -> None:
    rows = [
        ["E01006456", "Knowsley 002B", KNOWSLEY, "Knowsley", "6,358", "2"],
        ["X", "Knowsley 002C", KNOWSLEY, "Knowsley", "100", "1"],
        ["E01006458", "Knowsley 002D", KNOWSLEY, "Knowsley", "29,199", "11"],
        ["E01006459", "Knowsley 002E", KNOWSLEY, "Knowsley", "12", "1"],
    ]
    write_csv(tmp_path / "f1.csv", FILE_1_HEADER, rows)
    report = services.places_import(actor=None, paths=[tmp_path])
    assert [str(r) for r in report.refused] == [
        "f1.csv line 3: LSOA code 'X' is not an ONS LSOA code (E01 or W01 and 6 digits)",
        "f1.csv line 4: IMD decile 11 is not between 1 and 10",
    ]
    assert sorted(LSOA.objects.values_list("code", flat=True)) == ["E01006456", "E01006459"]
    assert LocalAuthority.objects.get().name == "Knowsley"
    assert AuditEntry.objects.get(action="places.import").detail["refused"] == 2


def test_strict_writes_nothing_when_a_row_is_refused(tmp_path: Path) -> None:
    rows = [
        ["E01006456", "Knowsley 002B", KNOWSLEY, "Knowsley", "6,358", "2"],
        ["E01006458", "Knowsley 002D", KNOWSLEY, "Knowsley", "29,199", "11"],
    ]
    write_csv(tmp_path / "f1.csv", FILE_1_HEADER, rows)
    with pytest.raises(services.ImportRefused) as caught:
        services.places_import(actor=None, paths=[tmp_path], strict=True)
    assert caught.value.code == "rows_refused"
    assert [r.line for r in caught.value.report.refused] == [3]
    assert nothing_written()


def test_files_that_disagree_refuse_the_later_row(knowsley_dir: Path) -> None:
    score = knowsley_dir / "imd2019" / IOD_FILES[3]
    data = score.read_bytes()
    line = next(li for li in data.splitlines() if li.startswith(b'"E01006456"'))
    assert line == b'"E01006456",2,33.737'
    score.write_bytes(data.replace(line, b'"E01006456",3,33.737'))
    report = services.places_import(actor=None, paths=[knowsley_dir])
    assert len(report.refused) == 1
    assert report.refused[0].file == IOD_FILES[3]
    assert report.refused[0].reason == "imd decile 3 disagrees with 2 read earlier"
    assert LSOA.objects.get(code="E01006456").imd_decile == 2


def test_a_missing_column_makes_the_whole_set_unusable(knowsley_dir: Path) -> None:
    file_2 = knowsley_dir / "imd2019" / IOD_FILES[1]
    lines = file_2.read_bytes().splitlines(keepends=True)
    header = lines[0].replace(b",Crime Rank (where 1 is most deprived)", b",Crime")
    file_2.write_bytes(b"".join([header, *lines[1:]]))
    with pytest.raises(ValidationFailed) as caught:
        services.places_import(actor=None, paths=[knowsley_dir])
    assert caught.value.message.startswith(
        f"{IOD_FILES[1]} looks like IoD2019 File 2 (Domains of Deprivation) but has no column "
        "'Crime Rank (where 1 is most deprived)'."
    )
    assert nothing_written()


def test_a_file_that_breaks_halfway_leaves_nothing_behind(knowsley_dir: Path) -> None:
    """The last file read turns out not to be UTF-8 after 64 kB: everything read and written
    before it is rolled back."""
    rural = next((knowsley_dir / "geo").glob("Rural*"))
    data = gzip.decompress(rural.read_bytes())
    padding = b"".join(data.splitlines(keepends=True)[1:]) * 100
    rural.write_bytes(gzip.compress(data + padding + b"E01006999,\xff\xfe broken,A1,x,1\r\n"))
    with pytest.raises(ValidationFailed, match="is not UTF-8 text"):
        services.places_import(actor=None, paths=[knowsley_dir])
    assert nothing_written()


def test_an_unreadable_csv_in_the_folder_is_not_passed_over(knowsley_dir: Path) -> None:
    (knowsley_dir / "notes.csv").write_bytes(b"Notes\r\n\xa3 paid\r\n")
    with pytest.raises(ValidationFailed, match=r"notes\.csv is not UTF-8 text"):
        services.places_import(actor=None, paths=[knowsley_dir])
    assert nothing_written()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty.csv is empty"),
        (b"Code,Title\r\nopen,Open\r\n", "No file in .* lists LSOAs with their local authority"),
        (
            b"LSOA11CD,IMD_2019_decile,IMD_2019_score\nE01006456,2,33.737\n",
            "No file in .* lists LSOAs",
        ),
    ],
)
def test_empty_or_wrong_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    target = path if content == b"" else tmp_path
    with pytest.raises(ValidationFailed, match=message):
        services.places_import(actor=None, paths=[target])
    assert nothing_written()


def test_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="nowhere does not exist"):
        services.places_import(actor=None, paths=[tmp_path / "nowhere"])


def test_two_copies_of_one_file_must_be_resolved(knowsley_dir: Path) -> None:
    file_1 = knowsley_dir / "imd2019" / IOD_FILES[0]
    (knowsley_dir / "copy.csv.gz").write_bytes(gzip.compress(file_1.read_bytes()))
    with pytest.raises(ValidationFailed, match=r"are both IoD2019 File 1.*keep one of them"):
        services.places_import(actor=None, paths=[knowsley_dir])
    assert nothing_written()


def test_welsh_rows_are_skipped_not_refused(knowsley_dir: Path) -> None:
    ward = write_csv(
        knowsley_dir / "wales" / "ward.csv",
        ["LSOA11CD", "LSOA11NM", "WD17CD", "WD17NM", "LAD17CD"],
        [["W01000009", "Isle of Anglesey 007C", "W05000985", "Canolbarth Môn", "W06000001"]],
    )
    lookup = next((knowsley_dir / "geo").glob("*Ward*"))
    lookup.unlink()
    report = services.places_import(actor=None, paths=[knowsley_dir])
    assert report.files["the ONS LSOA (2011) to ward to local authority lookup"] == ward.name
    assert report.skipped == {services.OUTSIDE_ENGLAND: 1}
    assert report.refused == []


def test_node_admins_may_import_and_others_may_not(knowsley_dir: Path) -> None:
    with pytest.raises(NotAuthenticated):
        services.places_import(actor=UserFactory(is_active=False), paths=[knowsley_dir])
    with pytest.raises(PermissionDenied):
        services.places_import(actor=NodeRoleFactory(role="cvs_staff").user, paths=[knowsley_dir])
    admin = NodeRoleFactory(role="node_admin").user
    report = services.places_import(actor=admin, paths=[knowsley_dir], only_la=f" {KNOWSLEY},")
    assert report.created["LSOAs"] == 98
    assert AuditEntry.objects.get(action="places.import").actor_id == admin.pk


def test_selectors_over_imported_places(knowsley_dir: Path) -> None:
    services.places_import(actor=None, paths=[knowsley_dir])
    [knowsley] = selectors.local_authorities_with_lsoas()
    assert knowsley.lsoa_count == 98  # type: ignore[attr-defined]
    assert selectors.lsoas_in([KNOWSLEY]).count() == 98
    assert selectors.place_counts()["wards"] == 15
    with pytest.raises(Exception, match="No LSOA with the code 'E01999999'"):
        selectors.lsoa_get("E01999999")
