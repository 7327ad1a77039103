"""Postcode import from an ONSPD-shaped file built on real Knowsley LSOA codes.

The postcodes are synthetic (no postcode data is shipped), but the columns are the ONS Postcode
Directory's, with the many columns the import does not read left in place.
"""

from __future__ import annotations

import gzip
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from covenant.core.errors import ValidationFailed
from covenant.core.models import AuditEntry
from covenant.places import services
from covenant.places.models import Postcode, PostcodeDistrict
from covenant.places.selectors import place_for_postcode

from .conftest import KNOWSLEY, write_csv

pytestmark = pytest.mark.django_db

ONSPD_COLUMNS = [
    "pcd",
    "pcd2",
    "pcds",
    "dointr",
    "doterm",
    "oscty",
    "ced",
    "oslaua",
    "osward",
    "parish",
    "usertype",
    "oseast1m",
    "osnrth1m",
    "osgrdind",
    "oshlthau",
    "nhser",
    "ctry",
    "rgn",
    "streg",
    "pcon",
    "eer",
    "teclec",
    "ttwa",
    "pct",
    "itl",
    "statsward",
    "oa01",
    "casward",
    "park",
    "lsoa01",
    "msoa01",
    "ur01ind",
    "oac01",
    "oa11",
    "lsoa11",
    "msoa11",
    "wz11",
    "sicbl",
    "bua11",
    "buasd11",
    "ru11ind",
    "oac11",
    "lat",
    "long",
    "lep1",
    "lep2",
    "pfa",
    "imd",
    "calncv",
    "icb",
    "oa21",
    "lsoa21",
    "msoa21",
]


def onspd_row(
    postcode: str, lsoa: str, lat: str, long: str, *, la: str = KNOWSLEY, doterm: str = ""
) -> list[str]:
    values = dict.fromkeys(ONSPD_COLUMNS, "")
    squashed = postcode.replace(" ", "")
    values.update(
        pcd=f"{squashed[:-3]:<4}{squashed[-3:]}",
        pcd2=postcode,
        pcds=postcode,
        dointr="198001",
        doterm=doterm,
        oslaua=la,
        ctry="E92000001" if lsoa.startswith("E") else "S92000003",
        lsoa11=lsoa,
        lsoa21="E01999999",
        lat=lat,
        long=long,
    )
    return [values[c] for c in ONSPD_COLUMNS]


@pytest.fixture
def knowsley_places(knowsley_source: Path) -> None:
    services.places_import(actor=None, paths=[knowsley_source])


@pytest.fixture
def onspd(tmp_path: Path, knowsley_lsoas: list[str]) -> Path:
    a, b, c = knowsley_lsoas[:3]
    rows = [
        onspd_row("L36 9YU", a, "53.410000", "-2.840000"),
        onspd_row("L36 9YA", b, "53.420000", "-2.850000"),
        onspd_row("L36 9YB", c, "53.430000", "-2.860000"),
        # terminated, far away: not part of the district's centre
        onspd_row("L36 9YD", c, "53.000000", "-2.000000", doterm="201001"),
        # no grid reference: stored without coordinates
        onspd_row("L36 9YE", a, "99.999999", "0.000000"),
        onspd_row("L35 1AB", a, "53.400000", "-2.800000"),
        onspd_row("L35 1AD", b, "53.402000", "-2.802000"),
        # Scotland, Wales, and a Liverpool LSOA this node has not imported
        onspd_row("EH1 1AA", "S01008677", "55.95", "-3.19", la="S12000036"),
        onspd_row("LL77 7AA", "W01000009", "53.25", "-4.30", la="W06000001"),
        onspd_row("L1 0AA", "E01006512", "53.40", "-2.98", la="E08000012"),
        # refused
        onspd_row("L36 9Y", a, "53.41", "-2.84"),
        onspd_row("L36 9YF", "E0100645", "53.41", "-2.84"),
    ]
    return write_csv(tmp_path / "ONSPD_NOV_2026_UK.csv", ONSPD_COLUMNS, rows, bom=False)


def test_postcodes_and_districts_are_placed(
    knowsley_places: None, onspd: Path, knowsley_lsoas: list[str]
) -> None:
    report = services.postcodes_import(actor=None, path=onspd)

    assert report.created["postcodes"] == 7
    assert report.created["postcode districts"] == 2
    assert [(r.line, r.reason) for r in report.refused] == [
        (12, "postcode 'L36 9Y' is not a UK postcode"),
        (13, "LSOA code 'E0100645' is not an ONS LSOA code (E01 or W01 and 6 digits)"),
    ]
    assert report.skipped == {
        "outside England and Wales": 1,
        services.LSOA_NOT_HELD: 2,
    }

    l36 = PostcodeDistrict.objects.get(code="L36")
    assert l36.latitude == pytest.approx(53.42)
    assert l36.longitude == pytest.approx(-2.85)
    assert l36.local_authority_id == KNOWSLEY
    l35 = PostcodeDistrict.objects.get(code="L35")
    assert (l35.latitude, l35.longitude) == (pytest.approx(53.401), pytest.approx(-2.801))

    assert Postcode.objects.get(postcode="L36 9YD").terminated
    assert Postcode.objects.get(postcode="L36 9YE").latitude is None
    placed = place_for_postcode("l369ya")
    assert placed.lsoa is not None
    assert placed.lsoa.code == knowsley_lsoas[1]
    assert placed.local_authority is not None
    assert placed.local_authority.code == KNOWSLEY
    assert (placed.latitude, placed.longitude) == (53.42, -2.85)

    entry = AuditEntry.objects.filter(action="places.import").latest("seq")
    assert entry.detail["kind"] == "postcodes"
    assert entry.detail["created"]["postcodes"] == 7


def test_reimport_is_idempotent_and_updates_what_changed(
    knowsley_places: None, onspd: Path
) -> None:
    services.postcodes_import(actor=None, path=onspd)
    again = services.postcodes_import(actor=None, path=onspd)
    assert again.created["postcodes"] == 0
    assert again.unchanged["postcodes"] == 7
    assert again.unchanged["postcode districts"] == 2
    assert Postcode.objects.count() == 7

    packed = onspd.with_name("onspd.csv.gz")
    text = onspd.read_text().replace("53.410000,-2.840000", "53.416000,-2.846000")
    packed.write_bytes(gzip.compress(text.encode()))
    third = services.postcodes_import(actor=None, path=packed)
    assert third.updated["postcodes"] == 1
    assert third.updated["postcode districts"] == 1
    assert PostcodeDistrict.objects.get(code="L36").latitude == pytest.approx(53.422)


def test_only_la_and_strict(knowsley_places: None, onspd: Path) -> None:
    report = services.postcodes_import(actor=None, path=onspd, only_la=["E08000012"])
    assert report.created["postcodes"] == 0
    assert report.skipped[services.OUTSIDE_CHOSEN] == 8

    with pytest.raises(services.ImportRefused):
        services.postcodes_import(actor=None, path=onspd, strict=True)
    assert not Postcode.objects.exists()
    assert not PostcodeDistrict.objects.exists()


def test_unusable_postcode_files(knowsley_places: None, tmp_path: Path) -> None:
    no_lsoa = write_csv(tmp_path / "a.csv", ["pcds", "lat", "long", "lsoa21"], [])
    with pytest.raises(ValidationFailed, match="has no column 'lsoa11'"):
        services.postcodes_import(actor=None, path=no_lsoa)
    places_file = write_csv(tmp_path / "b.csv", ["LAD19CD", "LAD19NM"], [])
    with pytest.raises(ValidationFailed, match="is not the ONS Postcode Directory"):
        services.postcodes_import(actor=None, path=places_file)
    with pytest.raises(ValidationFailed, match="does not exist"):
        services.postcodes_import(actor=None, path=tmp_path / "missing.csv")
    assert not PostcodeDistrict.objects.exists()


def test_postcodes_need_places_first(onspd: Path) -> None:
    with pytest.raises(ValidationFailed, match="run places_import first"):
        services.postcodes_import(actor=None, path=onspd)


def test_command_prints_refusals_and_a_summary(knowsley_places: None, onspd: Path) -> None:
    out, err = StringIO(), StringIO()
    call_command("postcodes_import", str(onspd), "--only-la", KNOWSLEY, stdout=out, stderr=err)
    assert "refused: ONSPD_NOV_2026_UK.csv line 12: postcode 'L36 9Y' is not a UK postcode" in (
        err.getvalue()
    )
    [summary] = out.getvalue().strip().splitlines()
    assert "postcodes: 7 created" in summary
    assert "2 rows refused" in summary

    with pytest.raises(CommandError, match="2 rows refused, so nothing was imported"):
        call_command("postcodes_import", str(onspd), "--strict", stdout=out, stderr=err)
    with pytest.raises(CommandError, match="does not exist"):
        call_command("postcodes_import", str(onspd.with_name("nope.csv")), stderr=err)
