"""The bundled gazetteer: Ukraine's settlements as points, read from places.csv.

Kept as plain CSV in the data folder (built by data/geo/build_places.py from GeoNames and the
KATOTTG codifier) so that every store gets the same facts, a reviewer can diff them, and no
network is needed.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
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
                # "" for the few places no source spells in Ukrainian (outputs say null;
                # labels use the English name): never a Latin name posing as Ukrainian.
                name_uk=row["name_uk"],
                kind=row["kind"],
                population=_int_or_none(row["population"]),
                region=row["region"],
                lon=float(row["lon"]),
                lat=float(row["lat"]),
                geonameid=_int_or_none(row["geonameid"]),
                katottg=row.get("katottg") or None,  # columns added in 2026: optional
                raion=row.get("raion") or None,
                hromada=row.get("hromada") or None,
                alt_names=tuple(row["alt_names"].split("|")) if row.get("alt_names") else (),
            )
            for row in csv.DictReader(f)
        ]


def with_former_names(places: list[Place], path: Path) -> list[Place]:
    """Version places by name: before its renaming a place carries its former name, from the
    renaming date its current one (so a query for 2015 says Artemivsk, for 2023 Bakhmut)."""
    if not path.exists():
        return places
    by_slug = {p.slug: p for p in places}
    renamed: list[Place] = []
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            current = by_slug.pop(row["slug"])
            renamed.append(dataclasses.replace(current, name_en=row["name_en"],
                                               name_uk=row["name_uk"], valid_from=None))
            renamed.append(dataclasses.replace(current, valid_from=date.fromisoformat(
                row["renamed_on"])))
    return list(by_slug.values()) + renamed


def load_bundled_places() -> list[Place]:
    """The gazetteer shipped with Frontwatch, from $FRONTWATCH_DATA_DIR or data/geo (read
    once per process and file version: every new store loads it)."""
    folder = data_dir()
    files = (folder / PLACES_FILE, folder / FORMER_NAMES_FILE)
    stamps = tuple(f.stat().st_mtime_ns if f.exists() else 0 for f in files)
    return list(_read_bundled(files, stamps))


@functools.lru_cache(maxsize=4)
def _read_bundled(files: tuple[Path, Path], stamps: tuple[int, int]) -> tuple[Place, ...]:
    return tuple(with_former_names(load_places(files[0]), files[1]))
