"""What changed between two dates: polygons gained and lost by each side, ranked and described
by their nearest place, and the places whose status changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from frontwatch.model import Region
from frontwatch.store.base import SqlStore

CHANGES = ("occupied_gained", "occupied_lost", "contested_gained", "contested_lost")


@dataclass(slots=True)
class DiffResult:
    """The diff of a region between two dates.

    features: (lon/lat polygon, properties) with properties `change` (one of CHANGES), `km2`,
    `nearest_place` (slug), `place_name`, `direction` (compass point from the place),
    `distance_km`, `description` ("12.4 km² west of Toretsk"), `rank` (1 = largest).
    summary: region, source, dates, snapshot ids, totals per change and net occupied km².
    places_changed: {slug, name, before, after} for places whose status differs."""

    features: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    places_changed: list[dict[str, Any]] = field(default_factory=list)


def diff(store: SqlStore, region: Region | str | None, d1: date, d2: date,
         source: str | None = None, min_km2: float = 0.01) -> DiffResult:
    """Gained/lost polygons inside `region` (None = the whole theatre) from `d1` to `d2`."""
    raise NotImplementedError


def changelog(store: SqlStore, region: Region | str, start: date, end: date,
              source: str | None = None) -> pd.DataFrame:
    """Daily km² gained and lost (columns date, occupied_gained_km2, occupied_lost_km2,
    contested_gained_km2, contested_lost_km2, occupied_net_km2)."""
    raise NotImplementedError
