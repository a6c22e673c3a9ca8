"""Controlled km² per region and date, from the precomputed stats table.

The table holds, for every stored snapshot revision and every region version, the km² of the
region that is occupied and contested. It is filled inside the import transaction (so it
never lags behind the snapshots) by an incremental update: consecutive revisions differ only
locally, so only the gained/lost pieces are intersected with the regions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from frontwatch import coverage, dates, memo
from frontwatch.analytics.common import region_of, source_of
from frontwatch.analytics.incremental import RegionSet
from frontwatch.analytics.results import AreaFigures
from frontwatch.dates import iso
from frontwatch.errors import InputError, NotFound, echo
from frontwatch.model import CONTROL_STATUSES, Region, SnapshotInfo
from frontwatch.provenance import of_range, shown
from frontwatch.settings import cache_bytes
from frontwatch.sources import attribution, remainder_note
from frontwatch.store.base import SqlStore

# A full intersection re-anchors each chain of incremental updates this often.
ANCHOR_EVERY = 30

SERIES_COLUMNS = [
    "date", "snapshot_id", "region_km2",
    "occupied_km2", "contested_km2", "ukrainian_km2",
    "occupied_pct", "contested_pct", "ukrainian_pct",
    "occupied_change_km2", "contested_change_km2",
    "occupied_rate_7d", "occupied_rate_30d", "contested_rate_7d", "contested_rate_30d",
]




def area(store: SqlStore, region: Region | str, on: date, source: str | None = None,
         name: str = "date") -> AreaFigures:
    """km² and % of `region` occupied, contested and Ukrainian-held on a date.

    Parameters
    ----------
    store : SqlStore
        read: the stats table (precomputed at import) and the snapshot's metadata.
    region : Region or str
        a region, or its name (English or Ukrainian), KATOTTG code or slug.
    on : datetime.date
        a date after the newest snapshot gets that snapshot's state, with ``stale_days``.
    source : str, optional
        None: the store's default source.
    name : str
        how the caller spells the date (``date`` of the API, ``--date`` of the CLI): named
        when it lies before the source's history.

    Returns
    -------
    AreaFigures
        geodesic km² on WGS84 from the precomputed stats table, % of the region, the
        snapshot shown, the source's attribution, how fresh it is (``data_through``,
        ``stale_days``), whether it is demo data (``illustrative``) and ``note``: what
        ``ukrainian`` means for a source that maps only ground taken since 2022 (NZZ), else
        None.

    Raises
    ------
    NotFound
        an unknown region or source, or a date before the source's history.
    """
    src = source_of(store, source)
    coverage.check_day(store, src, on, name)
    fresh = coverage.freshness(store, src, on)
    day = on - timedelta(days=fresh["stale_days"])  # the newest snapshot's day when past it
    df = series(store, region, day, day, src)
    row = df.iloc[0]
    r = region_of(store, region, day)
    info = store.snapshot(int(row["snapshot_id"]))
    return {"region": r.slug, "region_name": r.name_en, "source": src, "date": on.isoformat(),
            "snapshot_id": info.id, "valid_at": iso(info.valid_at),
            "region_km2": float(row["region_km2"]), "occupied_km2": float(row["occupied_km2"]),
            "contested_km2": float(row["contested_km2"]),
            "ukrainian_km2": float(row["ukrainian_km2"]),
            "occupied_pct": float(row["occupied_pct"]),
            "contested_pct": float(row["contested_pct"]),
            "ukrainian_pct": float(row["ukrainian_pct"]),
            "attribution": attribution(src),
            "data_through": fresh["data_through"], "stale_days": fresh["stale_days"],
            "illustrative": info.illustrative, "note": remainder_note(src)}


def series(store: SqlStore, region: Region | str, start: date, end: date,
           source: str | None = None) -> pd.DataFrame:
    """Daily series of a region's controlled km², each day's state carried forward from the
    last revision on or before it. Read from the stats table: never touches geometry.

    Parameters
    ----------
    store : SqlStore
        read: the stats table (precomputed at import).
    region : Region or str
        a region, or its name, KATOTTG code or slug.
    start, end : datetime.date
        inclusive; clamped to the source's first and newest day.
    source : str, optional
        None: the store's default source.

    Returns
    -------
    pandas.DataFrame
        One row per day, columns SERIES_COLUMNS: ``date`` (datetime.date objects),
        ``snapshot_id`` int64; float64 ``region_km2``, ``occupied_km2``, ``contested_km2``,
        ``ukrainian_km2`` (geodesic km² on WGS84), ``*_pct`` (% of the region),
        ``*_change_km2`` (km² since the day before), ``*_rate_7d`` / ``*_rate_30d``
        (trailing means, km²/day; NaN until the window is full).
        ``.attrs``: a :data:`frontwatch.provenance.Provenance` (source, ``snapshot``: the
        newest revision in the range, ``from``/``to`` as answered, ``data_through``,
        ``stale_days``, ``attribution``).

    Raises
    ------
    InputError
        `end` before `start`.
    NotFound
        an unknown region or source, or a range wholly outside the data.
    """
    if end < start:
        raise InputError(f"the range ends ({end}) before it starts ({start})")
    src = source_of(store, source)
    span = coverage.span(store, src, dates.DayRange(start, end))  # never past the data
    start, end = span.start, span.end
    slug = region.slug if isinstance(region, Region) else region_of(store, region, end).slug
    rows = store.stats_series(slug, src)
    if not rows:
        if not store.snapshots(src):
            raise NotFound(f"no snapshots from source {echo(src)}", suggestions=store.sources())
        raise NotFound(f"no area statistics for {echo(slug)} from {echo(src)}: run "
                       "`frontwatch stats rebuild`")
    first = date.fromisoformat(rows[0][0][:10])
    if end < first:
        raise NotFound(f"no {echo(src)} snapshot on or before {end}; its history starts {first}")
    begin = max(start, first)
    # Days before `start` feed the change and rolling columns; trimmed in _derive.
    grid = np.arange(np.datetime64(begin - timedelta(days=30)), np.datetime64(end + timedelta(1)))
    day = np.array([r[0][:10] for r in rows], dtype="datetime64[D]")
    vf = np.array([r[2] for r in rows])
    values = np.array([(r[1], r[3], r[4], r[5]) for r in rows], dtype=float)
    picked = np.full(len(grid), -1)
    # Each day takes the version in force (latest valid_from ≤ day) and, of that version,
    # the last revision valid by the end of the day (rows are in revision order).
    for version in sorted(set(vf)):
        idx = np.flatnonzero(vf == version)
        pos = np.searchsorted(day[idx], grid, side="right") - 1
        since = np.datetime64("0001-01-01") if version == "0001-01-01" \
            else np.datetime64(version)
        applies = (grid >= since) & (pos >= 0)
        picked[applies] = idx[pos[applies]]
    ok = picked >= 0
    return shown(_derive(grid[ok], values[picked[ok]], start), of_range(store, src, span))


def _rolling_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over `window` values (NaN until the window is full or holds a NaN)."""
    out = np.full(len(x), np.nan)
    if len(x) >= window:
        c = np.concatenate([[0.0], np.cumsum(np.nan_to_num(x))])
        nans = np.concatenate([[0], np.cumsum(np.isnan(x))])
        sums = c[window:] - c[:-window]
        full = (nans[window:] - nans[:-window]) == 0
        out[window - 1:] = np.where(full, sums / window, np.nan)
    return out


def _derive(days: np.ndarray, values: np.ndarray, start: date) -> pd.DataFrame:
    """Percentages, day-on-day changes and rolling rates, computed column-wise in numpy (a
    whole history takes ~1 ms), then trimmed to the requested start."""
    snapshot_id, region, occupied, contested = values.T
    # incremental updates leave float noise (−2e-7 km² where a region has no grey zone)
    occupied, contested = np.clip(occupied, 0.0, None), np.clip(contested, 0.0, None)
    ukrainian = np.clip(region - occupied - contested, 0.0, None)
    cols: dict[str, np.ndarray] = {
        "snapshot_id": snapshot_id.astype(int), "region_km2": region,
        "occupied_km2": occupied, "contested_km2": contested, "ukrainian_km2": ukrainian,
    }
    for name, km2 in (("occupied", occupied), ("contested", contested),
                      ("ukrainian", ukrainian)):
        cols[f"{name}_pct"] = 100.0 * km2 / region
    for name, km2 in (("occupied", occupied), ("contested", contested)):
        change = np.concatenate([[np.nan], np.diff(km2)])
        cols[f"{name}_change_km2"] = change
        cols[f"{name}_rate_7d"] = _rolling_mean(change, 7)
        cols[f"{name}_rate_30d"] = _rolling_mean(change, 30)
    keep = days >= np.datetime64(start)
    frame = {k: v[keep] for k, v in cols.items()}
    frame["date"] = days[keep].astype("datetime64[D]").astype(object)
    return pd.DataFrame(frame, columns=SERIES_COLUMNS)


# --- computing the stats table ------------------------------------------------------------
# Prepared region sets by (store, regions signature, thread): a new region version is a new
# key. Per thread because GEOS prepares geometries lazily, which is not safe to share.
_CACHE: memo.Cache[RegionSet] = memo.Cache(
    "region", cache_bytes("region"), lambda rs: memo.geometry_bytes(rs.geoms), largest=1.0)


def region_set(store: SqlStore, only: set[int] | None = None) -> RegionSet:
    """Prepared geometries of the region versions (cached until regions change)."""
    key = (store.url, store.stats_signature(), threading.get_ident())
    cached = _CACHE.get(key) if only is None else None
    if cached is not None:
        return cached
    rows = [r for r in store.stats_regions() if only is None or r[0] in only]
    rs = RegionSet(np.array([r[0] for r in rows], dtype=np.int64),
                   np.asarray(shapely.from_wkb([r[4] for r in rows]) if rows else [],
                              dtype=object),
                   np.array([r[3] for r in rows], dtype=float))
    if only is None:
        _CACHE.put(key, rs)
    return rs


def _layers(store: SqlStore, ids: Sequence[int], status: str) -> list[BaseGeometry]:
    wkb = store.layers_wkb(ids, status)
    empty = shapely.MultiPolygon()
    return [shapely.from_wkb(wkb[i]) if i in wkb else empty for i in ids]


def compute_chain(store: SqlStore, snaps: Sequence[SnapshotInfo], regions: RegionSet,
                  progress: Callable[[int], None] | None = None) -> float:
    """Stats of `regions` for consecutive revisions of one source, written to the store.

    The first revision and every ANCHOR_EVERY-th are full intersections; the ones between are
    incremental. Returns the largest drift seen at an anchor (|incremental − full| / region
    km²), the check that the incremental path stays exact."""
    if not len(regions.ids) or not snaps:
        return 0.0
    ids = [s.id for s in snaps]
    layers = {st: _layers(store, ids, st) for st in CONTROL_STATUSES}
    region_km2 = np.maximum(regions.area_km2, 1e-9)
    drift = 0.0
    current: dict[str, np.ndarray] = {}
    for i in range(len(ids)):
        anchor = i % ANCHOR_EVERY == 0
        for st in CONTROL_STATUSES:
            new = layers[st][i]
            if anchor:
                full = regions.full_km2(new)
                if st in current:
                    inc = regions.update_km2(current[st], layers[st][i - 1], new)
                    drift = max(drift, float(np.max(np.abs(inc - full) / region_km2)))
                current[st] = full
            else:
                current[st] = regions.update_km2(current[st], layers[st][i - 1], new)
        steps = i % ANCHOR_EVERY
        store.put_stats([(ids[i], int(rid), float(o), float(c), steps) for rid, o, c in
                         zip(regions.ids, current["occupied"], current["contested"])])
        if progress:
            progress(1)
    return drift


def on_snapshot(store: SqlStore, info: SnapshotInfo) -> None:
    """Update every region's stats for a new revision (inside the import transaction):
    incrementally from the nearest earlier revision of the same source when it has stats."""
    regions = region_set(store)
    if not len(regions.ids):
        return
    prev = store.stats_previous(info)
    have = store.stats_of_snapshot(prev.id) if prev else {}
    got = [have.get(int(r)) for r in regions.ids]
    rows = [r for r in got if r is not None]
    if prev is None or len(rows) < len(got) or rows[0][2] + 1 >= ANCHOR_EVERY:
        steps = 0
        current = {st: regions.full_km2(store.layer(info.id, st)) for st in CONTROL_STATUSES}
    else:
        steps = rows[0][2] + 1
        current = {st: regions.update_km2(np.array([r[k] for r in rows]),
                                          store.layer(prev.id, st), store.layer(info.id, st))
                   for k, st in enumerate(CONTROL_STATUSES)}
    store.put_stats([(info.id, int(rid), float(o), float(c), steps) for rid, o, c in
                     zip(regions.ids, current["occupied"], current["contested"])])


def on_regions(store: SqlStore, progress: Callable[[int], None] | None = None) -> int:
    """Compute stats for region versions that lack them (after a regions import)."""
    n = 0
    for source in store.sources():
        missing = store.stats_missing_regions(source)
        if missing:
            snaps = store.snapshots(source)
            compute_chain(store, snaps, region_set(store, missing), progress)
            n += len(snaps) * len(missing)
    return n


def rebuild(store: SqlStore, source: str | None = None,
            progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Recompute the whole stats table (or one source's part) in one transaction.

    Parameters
    ----------
    store : SqlStore
        written: the stats table, from every revision's layers.
    source : str, optional
        None: every source.
    progress : callable, optional
        called with the number of revisions done since the last call.

    Returns
    -------
    dict
        ``sources`` (list of str), ``snapshots``, ``regions``, ``rows`` (int), ``max_drift``
        (float: the largest |incremental − full| / region km² seen at an anchor).

    Raises
    ------
    NotFound
        an unknown source.
    """
    sources = [source_of(store, source)] if source else store.sources()
    regions = region_set(store)
    n_snaps = 0
    drift = 0.0
    with store.transaction():
        for src in sources:
            store.clear_stats(src)
            snaps = store.snapshots(src)
            drift = max(drift, compute_chain(store, snaps, regions, progress))
            n_snaps += len(snaps)
    return {"sources": sources, "snapshots": n_snaps, "regions": len(regions.ids),
            "rows": n_snaps * len(regions.ids), "max_drift": drift}


def snapshot_count(store: SqlStore, source: str | None = None) -> int:
    """How many revisions a rebuild walks (for a progress bar's total)."""
    sources = [source_of(store, source)] if source else store.sources()
    return sum(len(store.snapshots(s)) for s in sources)

