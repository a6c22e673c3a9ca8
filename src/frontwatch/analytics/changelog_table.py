"""The daily change log (km² gained and lost per day), precomputed at import.

For every revision, the table `region_changes` holds, per region version, the km² that the
occupied area and the grey zone gained and lost from the state in force at the end of the day
before (the row's *base*) to that revision, measured like `diff` (the pieces of the symmetric
difference inside the region). A day's entry in the log is the row of its last revision, so
the entries of a range chain from one day's state to the next and add up to the change of
`area`. A row whose base is no longer the state of the day before (an earlier revision
arrived later) is stale: the import that causes it recomputes it, and a read never trusts it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from frontwatch import coverage, dates, geometry
from frontwatch.analytics.areas import region_set
from frontwatch.analytics.changes import CHANGES, changes_between, region_pieces
from frontwatch.analytics.common import region_of, source_of, version_ids
from frontwatch.analytics.incremental import RegionSet, changed_pieces
from frontwatch.errors import InputError, NotFound
from frontwatch.model import CONTROL_STATUSES, Region, SnapshotInfo
from frontwatch.provenance import of_range, shown
from frontwatch.store.base import SqlStore

COLUMNS = ["date", "snapshot_id", *(f"{c}_km2" for c in CHANGES), "occupied_net_km2"]


def changelog(store: SqlStore, region: Region | str, start: date, end: date,
              source: str | None = None) -> pd.DataFrame:
    """Daily km² gained and lost in a region, one row per day with a new state (days without
    a change of revision are left out). The rows add up to the change of `area` from the day
    before `start` (the source's first day if `start` is not after it) to `end`. Read from
    the table filled at import; a day it lacks (a store from before the table) is measured
    from the geometry.

    Parameters
    ----------
    store : SqlStore
        read: the change table filled at import (the geometry for a day it lacks).
    region : Region or str
        a region, or its name, KATOTTG code or slug.
    start, end : datetime.date
        inclusive; clamped to the source's history.
    source : str, optional
        None: the store's default source.

    Returns
    -------
    pandas.DataFrame
        Columns COLUMNS: ``date`` (datetime.date objects), ``snapshot_id`` int64, float64
        km² (geodesic on WGS84) ``occupied_gained_km2``, ``occupied_lost_km2``,
        ``contested_gained_km2``, ``contested_lost_km2``, ``occupied_net_km2``.
        ``.attrs``: a :data:`frontwatch.provenance.Provenance` (source, ``snapshot``: the
        newest revision in the range, ``from``/``to`` as answered, ``data_through``,
        ``stale_days``, ``attribution``).

    Raises
    ------
    NotFound
        an unknown region or source, or a range wholly outside the data.
    InputError
        `end` before `start`.
    """
    if end < start:
        raise InputError(f"the range ends ({end}) before it starts ({start})")
    src = source_of(store, source)
    span = coverage.span(store, src, dates.DayRange(start, end))
    start, end = span.bounds
    r = region_of(store, region, end)
    snaps = store.snapshots(src)
    base_day = span.base_day  # `from`'s own changes are in (the history's first day: the base)
    prev = store.resolve(src, base_day)
    by_day: dict[date, SnapshotInfo] = {}
    for s in snaps:
        if base_day < s.date <= end:
            by_day[s.date] = s  # the day's last revision
    rid = version_ids(store, r.slug, [end])[0]
    stored = store.region_changes(rid, [s.id for s in by_day.values()]) if rid else {}
    rows = []
    for day, snap in sorted(by_day.items()):
        got = stored.get(snap.id)
        values = got[1:] if got and got[0] == prev.id else _measure(store, prev, snap, r)
        row: dict[str, Any] = {"date": day, "snapshot_id": snap.id,
                               **{f"{c}_km2": v for c, v in zip(CHANGES, values)}}
        row["occupied_net_km2"] = row["occupied_gained_km2"] - row["occupied_lost_km2"]
        rows.append(row)
        prev = snap
    return shown(pd.DataFrame(rows, columns=COLUMNS), of_range(store, src, span))


def _measure(store: SqlStore, a: SnapshotInfo, b: SnapshotInfo, region: Region
             ) -> tuple[float, ...]:
    """km² of each of CHANGES inside `region` from a to b, from the geometry."""
    pieces = changes_between(store, a, b, region.geometry)
    return tuple(float(geometry.area_km2(pieces[c]).sum()) if len(pieces[c]) else 0.0
                 for c in CHANGES)


# --- computing the table (at import) -----------------------------------------------------
def region_km2(regions: RegionSet, pieces: np.ndarray) -> np.ndarray:
    """km² of `pieces` inside each region, measured as `region_pieces` does for one region
    (the STRtree picks the few regions whose box each piece meets; `region_pieces` tests
    them against the prepared region, far cheaper than a predicate in the tree query)."""
    out = np.zeros(len(regions.ids))
    if not len(pieces):
        return out
    piece_idx, region_idx = regions.tree.query(pieces)
    for j in np.unique(region_idx):
        parts = region_pieces(pieces[piece_idx[region_idx == j]], regions.geoms[j])
        out[j] = float(geometry.area_km2(parts).sum()) if len(parts) else 0.0
    return out


def changes_km2(regions: RegionSet, old: dict[str, Any], new: dict[str, Any]) -> np.ndarray:
    """(regions × CHANGES) km² from the layers `old` to `new` (status → geometry)."""
    cols = []
    for st in CONTROL_STATUSES:
        gained, lost = changed_pieces(old[st], new[st])
        cols += [region_km2(regions, gained), region_km2(regions, lost)]
    return np.column_stack(cols)


class _Layers:
    """Layers of the last few revisions read, decoded once (a chain reads each twice)."""

    def __init__(self, store: SqlStore, keep: int = 4) -> None:
        self.store, self.keep = store, keep
        self.cache: dict[int, dict[str, Any]] = {}  # snapshot id → status → layer

    def __call__(self, info: SnapshotInfo) -> dict[str, Any]:
        if info.id not in self.cache:
            if len(self.cache) >= self.keep:
                self.cache.pop(next(iter(self.cache)))
            self.cache[info.id] = {st: self.store.layer(info.id, st) for st in CONTROL_STATUSES}
        return self.cache[info.id]


def _put(store: SqlStore, regions: RegionSet, snap: SnapshotInfo, base: SnapshotInfo,
         layers: _Layers) -> None:
    km2 = changes_km2(regions, layers(base), layers(snap))
    store.put_region_changes([(snap.id, int(rid), base.id, float(gained_occ), float(lost_occ),
                               float(gained_cont), float(lost_cont))
                              for rid, (gained_occ, lost_occ, gained_cont, lost_cont)
                              in zip(regions.ids, km2)])


def _base(store: SqlStore, info: SnapshotInfo) -> SnapshotInfo | None:
    """The state in force at the end of the day before `info`'s day (None: none yet)."""
    try:
        return store.resolve(info.source, info.date - timedelta(days=1))
    except NotFound:
        return None


def _is_current(done: dict[int, int], regions: RegionSet, base: SnapshotInfo) -> bool:
    return all(done.get(int(rid)) == base.id for rid in regions.ids)


def on_snapshot(store: SqlStore, info: SnapshotInfo) -> None:
    """Rows for a new revision (see :func:`on_snapshots`)."""
    on_snapshots(store, [info])


def on_snapshots(store: SqlStore, infos: Sequence[SnapshotInfo],
                 advance: Callable[[int], None] | None = None) -> None:
    """Rows for new revisions (all stored, oldest first; inside the import transaction),
    and for the revisions of the next day with any after each, whose base it may have
    become (an import out of order). Each row is measured once, from its final base."""
    regions = region_set(store)
    if not len(regions.ids):
        return
    todo: dict[int, SnapshotInfo] = {i.id: i for i in infos}
    for info in infos:
        for snap in store.revisions_of_next_day(info.source, info.date):
            todo.setdefault(snap.id, snap)
    done = store.region_changes_done(list(todo))
    layers = _Layers(store)
    new = {i.id for i in infos}
    for snap in sorted(todo.values(), key=lambda i: (i.valid_at, i.recorded_at, i.id)):
        base = _base(store, snap)
        if base is not None and not _is_current(done.get(snap.id, {}), regions, base):
            _put(store, regions, snap, base, layers)
        if advance and snap.id in new:
            advance(1)


def _chain(snaps: Sequence[SnapshotInfo]) -> Iterator[tuple[SnapshotInfo, SnapshotInfo]]:
    """(revision, base) for every revision after a source's first day (revisions in
    store order: by valid_at, recorded_at, id)."""
    base: SnapshotInfo | None = None
    last: SnapshotInfo | None = None
    for s in snaps:
        if last is not None and s.date != last.date:
            base = last
        if base is not None:
            yield s, base
        last = s


def refresh(store: SqlStore, source: str | None = None,
            progress: Callable[[int, int], None] | None = None) -> int:
    """Compute every missing or stale row (of `source`, or all): after a regions import,
    or for a store from before the table. Returns how many revisions were measured."""
    regions = region_set(store)
    if not len(regions.ids):
        return 0
    todo = []
    for src in [source] if source else store.sources():
        snaps = store.snapshots(src)
        done = store.region_changes_done([s.id for s in snaps])
        todo += [(s, b) for s, b in _chain(snaps)
                 if not _is_current(done.get(s.id, {}), regions, b)]
    layers = _Layers(store)
    for n, (snap, base) in enumerate(todo, 1):
        _put(store, regions, snap, base, layers)
        if progress:
            progress(n, len(todo))
    return len(todo)


def rebuild(store: SqlStore, source: str | None = None,
            progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute the whole table (or one source's part), in the caller's transaction."""
    store.clear_region_changes(source)
    return refresh(store, source, progress)
