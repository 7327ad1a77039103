"""The places_import command: what a node administrator sees on the command line."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from covenant.places.models import LSOA, LocalAuthority

from .conftest import KNOWSLEY, write_csv

pytestmark = pytest.mark.django_db

FILE_1_HEADER = [
    "LSOA code (2011)",
    "LSOA name (2011)",
    "Local Authority District code (2019)",
    "Local Authority District name (2019)",
    "Index of Multiple Deprivation (IMD) Rank",
    "Index of Multiple Deprivation (IMD) Decile",
]


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("places_import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_shipped_data_for_one_borough_is_the_default() -> None:
    """What `manage.py demo --places area` runs: the shipped copies, one local authority."""
    out, err = run("--only-la", KNOWSLEY)
    assert LSOA.objects.filter(local_authority_id=KNOWSLEY).count() == 98
    assert LocalAuthority.objects.count() == 1
    lines = out.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Imported places from ")
    assert "LSOAs: 98 created, 0 updated, 0 unchanged" in lines[0]
    assert "0 rows refused" in lines[0]
    assert "Reading" in err  # the progress bar
    assert "refused:" not in err


def test_a_folder_laid_out_like_the_shared_data(knowsley_dir: Path) -> None:
    out, _ = run("--dir", str(knowsley_dir))
    assert "LSOAs: 98 created" in out
    out, _ = run("--dir", str(knowsley_dir))
    assert "LSOAs: 0 created, 0 updated, 98 unchanged" in out


def test_every_refused_row_is_printed_with_its_reason(tmp_path: Path) -> None:
    rows = [
        ["E01006456", "Knowsley 002B", KNOWSLEY, "Knowsley", "6,358", "2"],
        ["X", "Knowsley 002C", KNOWSLEY, "Knowsley", "100", "1"],
        ["E01006458", "Knowsley 002D", KNOWSLEY, "Knowsley", "29,199", "11"],
    ]
    write_csv(tmp_path / "f1.csv", FILE_1_HEADER, rows)
    out, err = run("--dir", str(tmp_path))
    assert "refused: f1.csv line 3: LSOA code 'X' is not an ONS LSOA code" in err
    assert "refused: f1.csv line 4: IMD decile 11 is not between 1 and 10" in err
    assert "2 rows refused" in out
    assert LSOA.objects.count() == 1


def test_strict_exits_non_zero_and_imports_nothing(tmp_path: Path) -> None:
    rows = [
        ["E01006456", "Knowsley 002B", KNOWSLEY, "Knowsley", "6,358", "2"],
        ["E01006458", "Knowsley 002D", KNOWSLEY, "Knowsley", "29,199", "11"],
    ]
    write_csv(tmp_path / "f1.csv", FILE_1_HEADER, rows)
    err = StringIO()
    with pytest.raises(CommandError, match="1 row refused, so nothing was imported"):
        call_command("places_import", "--dir", str(tmp_path), "--strict", stderr=err)
    assert "refused: f1.csv line 3: IMD decile 11" in err.getvalue()
    assert not LSOA.objects.exists()


def test_unusable_input_is_one_line_and_non_zero(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist") as caught:
        run("--dir", str(tmp_path / "missing"))
    assert "\n" not in str(caught.value)
    write_csv(tmp_path / "f1.csv", FILE_1_HEADER[:5], [])
    with pytest.raises(CommandError, match="has no column 'Index of Multiple Deprivation"):
        run("--dir", str(tmp_path))
    with pytest.raises(CommandError, match="'E0800001' is not an ONS local authority"):
        run("--only-la", "E0800001")
    assert not LSOA.objects.exists()
