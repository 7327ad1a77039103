"""Make the shipped copies in this folder from the ONS and MHCLG originals.

    python src/covenant/places/data/trim_england.py /work/shared/data src/covenant/places/data

Each original keeps its header, byte-order mark and line endings byte for byte; only the rows
outside England are dropped (the node weighs need with the English Indices of Deprivation, so
Welsh, Scottish and Northern Irish rows would never be used). A row is English when the code in
its first code column starts with "E". Output is gzip with a zero timestamp, so re-running the
script on the same input gives the same bytes and git sees no change.
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

# original path under the data folder -> the header column whose code decides the country
SHIPPED: dict[str, str] = {
    "geo/Lower_Layer_Super_Output_Area_2011_to_Ward_2017_Lookup_in_England_and_Wales.csv": (
        "LSOA11CD"
    ),
    "geo/Lower_Layer_Super_Output_Areas_December_2011_Population_Weighted_Centroids.csv": (
        "lsoa11cd"
    ),
    "geo/Rural_Urban_Classification_2011_of_Lower_Layer_Super_Output_Areas_in_England_and_Wales.csv": (  # noqa: E501
        "LSOA11CD"
    ),
    "geo/Local_Authority_District_to_Region_April_2019_Lookup_in_England.csv": "LAD19CD",
    "geo/Local_Authority_Districts_April_2019_Names_and_Codes_in_the_United_Kingdom.csv": (
        "LAD19CD"
    ),
    "imd2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv": "LSOA code (2011)",
    "imd2019/File_2_-_IoD2019_Domains_of_Deprivation.csv": "LSOA code (2011)",
    "imd2019/File_6_-_IoD2019_Population_Denominators.csv": "LSOA code (2011)",
    "imd2019/imd2019_for_aow.csv": "LSOA11CD",
}


def trim(source: Path, target: Path, code_column: str) -> tuple[int, int]:
    """Copy the header and the English rows; return (rows kept, rows dropped)."""
    raw = source.read_bytes()
    lines = raw.splitlines(keepends=True)
    header = next(csv.reader([lines[0].decode("utf-8-sig")]))
    index = [h.strip() for h in header].index(code_column)
    kept = [lines[0]]
    dropped = 0
    for line in lines[1:]:
        if not line.strip():
            continue
        cells = next(csv.reader([line.decode("utf-8")]))
        if cells[index].strip().startswith("E"):
            kept.append(line)
        else:
            dropped += 1
    with target.open("wb") as out, gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as packed:
        packed.write(b"".join(kept))
    return len(kept) - 1, dropped


def main(argv: list[str]) -> int:
    source_dir, target_dir = Path(argv[1]), Path(argv[2])
    for relative, column in SHIPPED.items():
        source = source_dir / relative
        target = target_dir / (source.name + ".gz")
        kept, dropped = trim(source, target, column)
        print(f"{target.name}: {kept} rows kept, {dropped} dropped, {target.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
