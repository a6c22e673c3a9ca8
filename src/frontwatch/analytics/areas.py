"""Controlled km² per region and date, from the precomputed stats table.

The table holds, for every stored snapshot revision and every region version, the km² of the
region that is occupied and contested. It is filled inside the import transaction (so it
never lags behind the snapshots) by an incremental update: consecutive revisions differ only
locally, so only the gained/lost pieces are intersected with the regions.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from frontwatch.model import Region
from frontwatch.store.base import SqlStore

SERIES_COLUMNS = [
    "date", "snapshot_id", "region_km2",
    "occupied_km2", "contested_km2", "ukrainian_km2",
    "occupied_pct", "contested_pct", "ukrainian_pct",
    "occupied_change_km2", "contested_change_km2",
    "occupied_rate_7d", "occupied_rate_30d", "contested_rate_7d", "contested_rate_30d",
]


def area(store: SqlStore, region: Region | str, on: date, source: str | None = None) -> dict:
    """km² and % of `region` occupied, contested and Ukrainian-held on a date.

    Keys: region, region_name, source, date, snapshot_id, valid_at, region_km2, occupied_km2,
    contested_km2, ukrainian_km2, occupied_pct, contested_pct, ukrainian_pct, attribution."""
    raise NotImplementedError


def series(store: SqlStore, region: Region | str, start: date, end: date,
           source: str | None = None) -> pd.DataFrame:
    """Daily series from `start` to `end` (state carried forward), columns SERIES_COLUMNS.

    Change columns are km²/day (day-on-day); rates are rolling means over 7 and 30 days.
    Read from the stats table: never touches geometry."""
    raise NotImplementedError


def rebuild(store: SqlStore, source: str | None = None, progress=None) -> int:
    """Recompute the whole stats table (or one source's part); returns rows written."""
    raise NotImplementedError
