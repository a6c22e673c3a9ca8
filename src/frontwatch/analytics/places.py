"""Places over time: status on a date, status periods, distance to the front line."""

from __future__ import annotations

from datetime import date

import pandas as pd

from frontwatch.model import Place
from frontwatch.store.base import SqlStore


def place_status(store: SqlStore, place: Place | str, on: date, source: str | None = None
                 ) -> str:
    """"occupied", "contested" or "ukrainian" (the layer containing the point) on a date."""
    raise NotImplementedError


def place_timeline(store: SqlStore, place: Place | str, start: date | None = None,
                   end: date | None = None, source: str | None = None) -> list[dict]:
    """Periods of constant status: [{status, start, end (None = still), days}], oldest first."""
    raise NotImplementedError


def distance_to_front_km(store: SqlStore, place: Place | str, on: date,
                         source: str | None = None) -> float:
    """Geodesic km from the place to the nearest point of the front line on a date."""
    raise NotImplementedError


def distance_series(store: SqlStore, place: Place | str, start: date, end: date,
                    source: str | None = None, step_days: int = 7) -> pd.DataFrame:
    """Distance to the front over time (columns date, distance_km, status)."""
    raise NotImplementedError


def places_near_front(store: SqlStore, km: float, on: date, source: str | None = None
                      ) -> list[dict]:
    """Places within `km` of the front line on a date, nearest first:
    [{slug, name_en, name_uk, lon, lat, population, status, distance_km}]."""
    raise NotImplementedError
