"""A region's authorities as the official statistics list them (data/official/, SPEC §3): the local-authority rows of
the latest year the file has for the region, with their ONS and DfE codes and names."""

import csv
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from region.areas import PARTS

# The newest statistics file the product ships: the one whose authorities are current.
OFFICIAL_FILE = Path(settings.BASE_DIR) / "data" / "official" / "csww_indicators_2017_to_2025.csv"
COLUMNS = ("time_period", "geographic_level", "region_code", "old_la_code", "new_la_code", "la_name")


class OfficialFileError(Exception):
    """The file cannot say which authorities a region has."""


@dataclass(frozen=True)
class ListedAuthority:
    code: str  # ONS
    la_code: str  # DfE
    name: str


def listed_authorities(region_code: str, *, path=OFFICIAL_FILE) -> tuple[int, list[ListedAuthority]]:
    """(the latest year, the region's authorities in it, by name). A merged row (`940 / 941`, two councils reported
    together) is each of its councils; the newest year's codes are the councils' current ones (a council created by
    a reorganisation appears under its new code)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:  # utf-8-sig: the older file starts with a BOM
            reader = csv.DictReader(file)
            missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
            if missing:
                raise OfficialFileError(f"{path.name} has no column {', '.join(missing)}")
            areas = {region_code, *PARTS.get(region_code, ())}
            rows = [
                row
                for row in reader
                if row["geographic_level"].strip() == "Local authority"
                and row["region_code"].strip() in areas
                and row["time_period"].strip().isdigit()
            ]
    except (UnicodeDecodeError, csv.Error) as error:
        raise OfficialFileError(f"{path.name} is not a readable UTF-8 CSV file: {error}") from error
    if not rows:
        return 0, []
    latest = max(int(row["time_period"]) for row in rows)
    found = []
    for row in rows:
        if int(row["time_period"]) != latest:
            continue
        parts = [
            [part.strip() for part in row[column].split("/")] for column in ("new_la_code", "old_la_code", "la_name")
        ]
        if len({len(part) for part in parts}) != 1:
            raise OfficialFileError(f"{path.name}: cannot tell the councils of the merged row {row['la_name']!r} apart")
        found += [ListedAuthority(code, la_code, name) for code, la_code, name in zip(*parts, strict=True)]
    return latest, sorted(found, key=lambda authority: authority.name)
