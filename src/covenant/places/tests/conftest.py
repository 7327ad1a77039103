"""Real samples for the places tests: Knowsley's rows (E08000011, 98 LSOAs) cut byte for byte
from the copies shipped in covenant/places/data, so the tests read the real formats (byte-order
marks, CRLF endings, "29,199") without importing all of England each time."""

from __future__ import annotations

import csv
import gzip
import re
import shutil
from pathlib import Path

import pytest

from covenant.places import ons

SHIPPED = Path(ons.__file__).parent / "data"
KNOWSLEY = "E08000011"
IOD_FILES = (
    "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv",
    "File_2_-_IoD2019_Domains_of_Deprivation.csv",
    "File_6_-_IoD2019_Population_Denominators.csv",
    "imd2019_for_aow.csv",
)


def shipped_lines(name: str) -> list[bytes]:
    """The lines of a shipped file (header first), with their original endings."""
    return gzip.decompress((SHIPPED / f"{name}.gz").read_bytes()).splitlines(keepends=True)


def cells(line: bytes) -> list[str]:
    return next(csv.reader([line.decode("utf-8-sig")]))


@pytest.fixture(scope="session")
def knowsley_lsoas() -> list[str]:
    rows = shipped_lines(IOD_FILES[1])[1:]
    return sorted(c[0] for c in map(cells, rows) if c[2] == KNOWSLEY)


@pytest.fixture(scope="session")
def knowsley_source(tmp_path_factory: pytest.TempPathFactory, knowsley_lsoas: list[str]) -> Path:
    """A folder laid out like /work/shared/data: IoD files as plain CSV under imd2019/, the ONS
    files gzip-compressed under geo/."""
    root = tmp_path_factory.mktemp("knowsley")
    (root / "imd2019").mkdir()
    (root / "geo").mkdir()
    # Every row of these files holds an LSOA or local authority code between delimiters.
    wanted = re.compile(
        rb'(?:^|,)"?(?:'
        + b"|".join(c.encode() for c in [*knowsley_lsoas, KNOWSLEY])
        + rb')"?(?:,|\r?$)'
    )
    for path in sorted(SHIPPED.glob("*.csv.gz")):
        name = path.name.removesuffix(".gz")
        lines = shipped_lines(name)
        data = b"".join([lines[0], *(line for line in lines[1:] if wanted.search(line))])
        if name in IOD_FILES:
            (root / "imd2019" / name).write_bytes(data)
        else:
            (root / "geo" / path.name).write_bytes(gzip.compress(data))
    return root


@pytest.fixture
def knowsley_dir(knowsley_source: Path, tmp_path: Path) -> Path:
    """A copy a test may change."""
    return Path(shutil.copytree(knowsley_source, tmp_path / "data"))


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, bom: bool = True) -> Path:
    """A small CSV written the way Excel writes one (BOM, CRLF, quoted where needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path
