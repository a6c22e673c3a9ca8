"""The line of contact: where occupied/contested ground meets the rest of Ukraine, leaving
out Ukraine's international border and coastline."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from frontwatch.store.base import SqlStore


def frontline(store: SqlStore, on: date, source: str | None = None) -> tuple[Any, float]:
    """(MultiLineString in lon/lat, geodesic length in km) of the front line on a date."""
    raise NotImplementedError


def frontline_series(store: SqlStore, start: date, end: date, source: str | None = None,
                     step_days: int = 1) -> pd.DataFrame:
    """Front-line length per date (columns date, snapshot_id, length_km)."""
    raise NotImplementedError
