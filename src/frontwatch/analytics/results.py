"""The typed results of the public analytics functions (and of ``frontwatch.open()``'s
methods): the keys of each document, their types and units. TypedDicts, so the results stay
plain dicts (JSON as they are) while a type checker and a reader know every key."""

from __future__ import annotations

from datetime import date
from typing import TypedDict


class AreaFigures(TypedDict):
    """One region on one date (:func:`frontwatch.analytics.area`). Areas are geodesic km² on
    WGS84 (the precomputed stats table, see :mod:`frontwatch.geometry`), shares % of the
    region."""

    region: str  # slug
    region_name: str
    source: str
    date: str  # the date asked for, YYYY-MM-DD
    snapshot_id: int
    valid_at: str  # the snapshot shown, ISO 8601 UTC ("…Z")
    region_km2: float
    occupied_km2: float
    contested_km2: float
    ukrainian_km2: float
    occupied_pct: float
    contested_pct: float
    ukrainian_pct: float
    attribution: str
    data_through: str  # the source's newest snapshot, ISO 8601 UTC
    stale_days: int  # days the date lies past data_through (0 when it does not)
    illustrative: bool  # demo data, not an assessment of control
    # what `ukrainian_*` means when the source maps only part of the occupied ground (NZZ:
    # since 2022, so the rest is not Ukrainian-held); None for a source that maps all of it
    note: str | None


class PlaceChange(TypedDict):
    """A settlement whose status differs between a diff's two dates
    (:attr:`frontwatch.analytics.DiffResult.places_changed`)."""

    slug: str
    name: str
    name_uk: str | None  # None: no source spells the place in Ukrainian
    before: str | None  # occupied | contested | ukrainian; None: no status on the first date
    after: str
    population: int | None  # None where the gazetteer has no figure


class StatusPeriod(TypedDict):
    """A period of constant status of a settlement (:func:`frontwatch.analytics.place_timeline`)."""

    status: str  # occupied | contested | ukrainian
    start: date  # the first revision's day showing it (clamped to the range asked for)
    end: date | None  # the last day before the next period; None while it still holds
    days: int  # start to end (or the newest revision's day), both included


class PlaceNearFront(TypedDict):
    """A settlement near the front line (:func:`frontwatch.analytics.places_near_front`)."""

    slug: str
    name_en: str
    name_uk: str | None  # None: no source spells the place in Ukrainian
    lon: float  # degrees, WGS84
    lat: float
    population: int | None
    status: str  # occupied | contested | ukrainian
    distance_km: float  # geodesic km on WGS84 to the nearest point of the line, 2 decimals
