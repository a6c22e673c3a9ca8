"""The Python API for notebooks: ``fw = frontwatch.open("frontwatch.sqlite")``, then
``fw.areas("Donetsk Oblast", "2024-07-08", "2025-06-30")`` and friends, all returning pandas
DataFrames or GeoDataFrames (lon/lat, EPSG:4326)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from frontwatch import analytics, dates
from frontwatch.analytics.common import region_of, snapshot_on, source_of
from frontwatch.snapshots import features
from frontwatch.store import SqlStore, open_store

When = date | str


def _day(value: When | None, what: str = "date") -> date | None:
    if value is None or isinstance(value, date):
        return value
    return dates.day(value, what)


class Frontwatch:
    """A store opened for analysis. Dates are `date`s or 'YYYY-MM-DD'; regions and places
    are names (en/uk), codes or slugs; `source=None` uses the store's default source."""

    def __init__(self, store: SqlStore):
        self.store = store

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Frontwatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sources(self) -> list[str]:
        return self.store.sources()

    def areas(self, region: str = "donbas", start: When | None = None,
              end: When | None = None, source: str | None = None) -> pd.DataFrame:
        """Daily area series (km², %, change, rolling rates); default: the whole history."""
        snaps = self.store.snapshots(source_of(self.store, source))
        first, last = snaps[0].date, snaps[-1].date
        return analytics.series(self.store, region, _day(start) or first, _day(end) or last,
                                source)

    def area(self, region: str, on: When, source: str | None = None) -> dict[str, Any]:
        return analytics.area(self.store, region, _day(on), source)

    def diff(self, region: str | None, d1: When, d2: When, source: str | None = None
             ) -> gpd.GeoDataFrame:
        """Changed polygons (column `change`, km2, description…); the summary and the places
        that changed status are in ``.attrs``."""
        res = analytics.diff(self.store, region, _day(d1), _day(d2), source)
        df = _frame(res.features)
        df.attrs["summary"] = res.summary
        df.attrs["places_changed"] = res.places_changed
        return df

    def snapshot(self, on: When, region: str | None = None, source: str | None = None
                 ) -> gpd.GeoDataFrame:
        """The zones in force on a date (clipped to a region when given)."""
        day = _day(on)
        info = snapshot_on(self.store, day, source)
        r = region_of(self.store, region, day) if region else None
        df = _frame(features(self.store, info, r))
        df.attrs["snapshot"] = {"id": info.id, "source": info.source,
                                "valid_at": info.valid_at.isoformat()}
        return df

    def frontline(self, on: When, source: str | None = None) -> gpd.GeoDataFrame:
        line, km = analytics.frontline(self.store, _day(on), source)
        return gpd.GeoDataFrame({"date": [_day(on)], "length_km": [km]}, geometry=[line],
                                crs="EPSG:4326")

    def changelog(self, region: str, start: When, end: When, source: str | None = None
                  ) -> pd.DataFrame:
        return analytics.changelog(self.store, region, _day(start), _day(end), source)

    def place(self, place: str, start: When | None = None, end: When | None = None,
              source: str | None = None) -> pd.DataFrame:
        """A place's status periods."""
        return pd.DataFrame(analytics.place_timeline(self.store, place, _day(start),
                                                     _day(end), source))

    def near_front(self, km: float, on: When, source: str | None = None) -> pd.DataFrame:
        return pd.DataFrame(analytics.places_near_front(self.store, km, _day(on), source))


def _frame(items: list[tuple[Any, dict[str, Any]]]) -> gpd.GeoDataFrame:
    props = pd.DataFrame([p for _, p in items])
    return gpd.GeoDataFrame(props, geometry=[g for g, _ in items], crs="EPSG:4326")


def open(db: str | Path) -> Frontwatch:
    """Open a store (path, sqlite:///path or postgresql://…) for analysis."""
    return Frontwatch(open_store(db))
