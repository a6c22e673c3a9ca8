"""The bundled gazetteer: settlements of the Donbas as points, read from places.csv.

Kept as plain CSV in the data folder (built by data/geo/build_places.py from GeoNames) so
that every store gets the same facts, a reviewer can diff them, and no network is needed.
"""

from __future__ import annotations

import csv
from pathlib import Path

from frontwatch.model import Place
from frontwatch.paths import data_dir

PLACES_FILE = "places.csv"


def _int_or_none(value: str) -> int | None:
    value = value.strip()
    return int(value) if value else None


def load_places(path: Path) -> list[Place]:
    """Places from a gazetteer CSV (columns as written by build_places.py)."""
    with path.open(newline="", encoding="utf-8") as f:
        return [
            Place(
                slug=row["slug"],
                name_en=row["name_en"],
                name_uk=row["name_uk"],
                kind=row["kind"],
                population=_int_or_none(row["population"]),
                region=row["region"],
                lon=float(row["lon"]),
                lat=float(row["lat"]),
                geonameid=_int_or_none(row["geonameid"]),
            )
            for row in csv.DictReader(f)
        ]


def load_bundled_places() -> list[Place]:
    """The gazetteer shipped with Frontwatch, from $FRONTWATCH_DATA_DIR or data/geo."""
    return load_places(data_dir() / PLACES_FILE)
