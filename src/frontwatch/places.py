"""The bundled gazetteer: settlements of the Donbas as points, read from places.csv.

Kept as plain CSV in the data folder (built by data/geo/build_places.py from GeoNames) so
that every store gets the same facts, a reviewer can diff them, and no network is needed.
"""

from __future__ import annotations

import csv
import dataclasses
from datetime import date
from pathlib import Path

from frontwatch.model import Place
from frontwatch.paths import data_dir

PLACES_FILE = "places.csv"
FORMER_NAMES_FILE = "place_names.csv"


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


def with_former_names(places: list[Place], path: Path) -> list[Place]:
    """Version places by name: before its renaming a place carries its former name, from the
    renaming date its current one (so a query for 2015 says Artemivsk, for 2023 Bakhmut)."""
    if not path.exists():
        return places
    by_slug = {p.slug: p for p in places}
    out = list(places)
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            current = by_slug[row["slug"]]
            renamed = date.fromisoformat(row["renamed_on"])
            out.remove(current)
            out.append(dataclasses.replace(current, name_en=row["name_en"],
                                           name_uk=row["name_uk"], valid_from=None))
            out.append(dataclasses.replace(current, valid_from=renamed))
    return out


def load_bundled_places() -> list[Place]:
    """The gazetteer shipped with Frontwatch, from $FRONTWATCH_DATA_DIR or data/geo."""
    folder = data_dir()
    return with_former_names(load_places(folder / PLACES_FILE), folder / FORMER_NAMES_FILE)
