"""Pairwise comparison figures precomputed at import, so a comparison series reads rows.

For two sources, the pairs of revisions in force together change only when either source
gets a new revision: the pair in force on a day is the pair at the later of its two
revisions' moments. So each new revision adds the pair it forms with the other source's
revision in force at its moment, and (when it is imported out of order) the pairs it forms
with the other source's later revisions until its own next one. Each pair stores, per region
version, the km² of the since-2022 layer each source calls occupied and both do (the layer
both DeepStateMap and NZZ cover; other layers are computed from geometry on request).
Sources that cannot give the layer (the archive, the demo) are not paired.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from shapely.errors import GEOSException

from frontwatch.analytics.areas import ANCHOR_EVERY, region_set
from frontwatch.analytics.compare import SINCE_2022, layer_of
from frontwatch.analytics.incremental import RegionSet
from frontwatch.errors import InputError, NotFound
from frontwatch.geometry import polygonal
from frontwatch.model import SnapshotInfo
from frontwatch.sources import publisher
from frontwatch.store.base import SqlStore

PRECOMPUTED_LAYERS = (SINCE_2022,)


def paired_sources(store: SqlStore) -> list[str]:
    """Sources whose zones can give the since-2022 layer (a layer that is since-2022 by
    definition, or occupied zones with Crimea/ORDLO told apart); illustrative ones never
    are. Cheap: it runs on every import."""
    names = store.sources()
    if len(names) < 2:
        return []
    out = []
    for name in names:
        terms = publisher(name)
        covers = terms.occupied if terms else "all"
        tells_apart = covers == "all" and store.source_has_kind(name, ("ordlo", "crimea"))
        if covers == SINCE_2022 or tells_apart:
            out.append(name)
    return out


def ordered(x: SnapshotInfo, y: SnapshotInfo) -> tuple[SnapshotInfo, SnapshotInfo]:
    """A pair is stored with the source first in name order as `a`."""
    return (x, y) if x.source < y.source else (y, x)


class Timelines:
    """Each source's revisions in store order with their moments, read once, so pairing
    many revisions costs no query per candidate (the store must not change meanwhile)."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self._by: dict[str, tuple[list[SnapshotInfo], list[datetime]]] = {}

    def __call__(self, source: str) -> tuple[list[SnapshotInfo], list[datetime]]:
        if source not in self._by:
            snaps = self.store.snapshots(source)
            self._by[source] = (snaps, [s.valid_at for s in snaps])
        return self._by[source]


class LayerFigures:
    """km² per region (of one region set) of each pair's layers and of their intersection.

    A revision in several pairs (one source's day between the other's) is measured once. Each
    track (a source's layer, the intersection of two sources' layers) is measured like the
    area stats (:mod:`frontwatch.analytics.incremental`): from the previous geometry of the
    same track, overlaying only the change boxes, with a full intersection every ANCHOR_EVERY
    steps; pairs come in time order, so consecutive geometries differ only locally. Where
    GEOS refuses the update (clipping can meet a degenerate ring), that step is measured in
    full instead, and the track starts again from it."""

    def __init__(self, store: SqlStore, regions: RegionSet, keep: int = 16) -> None:
        self.store, self.regions, self.keep = store, regions, keep
        self._cache: dict[tuple[int, str], tuple[Any, np.ndarray] | None] = {}
        self._last: dict[tuple[str, ...], tuple[Any, np.ndarray, int]] = {}
        self.fallbacks = 0

    def __call__(self, info: SnapshotInfo, layer: str) -> tuple[Any, np.ndarray] | None:
        """(layer geometry, km² per region) of one revision; None if it cannot give it."""
        key = (info.id, layer)
        if key not in self._cache:
            if len(self._cache) >= self.keep:
                self._cache.pop(next(iter(self._cache)))
            try:
                geom = layer_of(self.store, info, layer)
                self._cache[key] = (geom, self.km2((info.source, layer), geom))
            except InputError:
                self._cache[key] = None
        return self._cache[key]

    def km2(self, track: tuple[str, ...], geom: Any) -> np.ndarray:
        """km² of `geom` in each region, from the track's previous geometry when it can."""
        prev = self._last.get(track)
        out, steps = None, 0
        if prev is not None and prev[2] + 1 < ANCHOR_EVERY:
            try:
                out, steps = self.regions.update_km2(prev[1], prev[0], geom), prev[2] + 1
            except GEOSException:
                self.fallbacks += 1
        if out is None:
            out, steps = self.regions.full_km2(geom), 0
        self._last[track] = (geom, out, steps)
        return out


def compute_pair(store: SqlStore, x: SnapshotInfo, y: SnapshotInfo, regions: RegionSet,
                 layer: str = SINCE_2022, figures: LayerFigures | None = None) -> bool:
    """Store one pair's figures for every region of `regions` (added to what the pair has);
    False when a revision cannot give the layer (e.g. an NZZ map that mixes in ORDLO).
    `figures` (for the same `regions`) carries on from the pairs measured before."""
    a, b = ordered(x, y)
    figures = figures or LayerFigures(store, regions, keep=2)
    fa, fb = figures(a, layer), figures(b, layer)
    if fa is None or fb is None:
        return False
    (la, ka), (lb, kb) = fa, fb
    both = polygonal(shapely.intersection(la, lb))
    store.put_compare_stats(a.id, b.id, layer, list(zip(
        (int(i) for i in regions.ids), ka, kb, figures.km2((a.source, b.source, layer), both))))
    return True


def pairs_of(store: SqlStore, info: SnapshotInfo, other: str,
             timelines: Timelines | None = None) -> list[SnapshotInfo]:
    """Revisions of `other` that `info` is in force with at one of the two's moments: the
    one in force at `info`'s moment, then the later ones until `info`'s source moves on."""
    timelines = timelines or Timelines(store)
    others, other_at = timelines(other)
    own, own_at = timelines(info.source)
    first_after = bisect.bisect_right(other_at, info.valid_at)
    out = [others[first_after - 1]] if first_after else []
    for y in others[first_after:]:
        if own[bisect.bisect_right(own_at, y.valid_at) - 1].id != info.id:
            break
        out.append(y)
    return out


def on_snapshot(store: SqlStore, info: SnapshotInfo) -> None:
    """Add the pairs a new revision forms (see :func:`on_snapshots`)."""
    on_snapshots(store, [info])


def on_snapshots(store: SqlStore, infos: Sequence[SnapshotInfo],
                 advance: Callable[[int], None] | None = None) -> None:
    """Add the pairs new revisions form (all stored, inside the import transaction): each
    against the other sources' revisions it is in force with once the import is complete,
    so an import's cost grows with the pairs it makes, not with what the store holds."""
    sources = paired_sources(store)
    if len(sources) < 2 or not any(i.source in sources for i in infos):
        return
    regions = region_set(store)
    if not len(regions.ids):
        return
    timelines, figures = Timelines(store), LayerFigures(store, regions)
    for info in infos:
        for other in sources if info.source in sources else ():
            if other == info.source:
                continue
            for y in pairs_of(store, info, other, timelines):
                for layer in PRECOMPUTED_LAYERS:
                    a, b = ordered(info, y)
                    if not store.compare_stats_regions(a.id, b.id, layer):
                        compute_pair(store, info, y, regions, layer, figures)
        if advance:
            advance(1)


def on_delete(store: SqlStore, info: SnapshotInfo) -> None:
    """After a revision was deleted: its pairs went with it; the revision of its source
    that is in force again forms the pairs it had (missing ones are computed)."""
    try:
        back = store.resolve(info.source, info.valid_at)
    except NotFound:
        return
    on_snapshots(store, [back])


def on_regions(store: SqlStore) -> int:
    """After a regions import: figures of the stored pairs for region versions they lack.
    Returns how many pairs were completed."""
    rows = store.stats_regions()
    all_ids = {r[0] for r in rows}
    n = 0
    for layer in PRECOMPUTED_LAYERS:
        for a_id, b_id in store.compare_stats_pairs(layer):
            missing = all_ids - store.compare_stats_regions(a_id, b_id, layer)
            if missing:
                compute_pair(store, store.snapshot(a_id), store.snapshot(b_id),
                             region_set(store, missing), layer)
                n += 1
    return n


def rebuild(store: SqlStore, progress: Callable[[int], None] | None = None) -> dict:
    """Recompute every pair, in one transaction. Returns {"sources", "pairs", "regions"}."""
    regions = region_set(store)
    sources = paired_sources(store)
    done: set[tuple[int, int]] = set()
    with store.transaction():
        store.clear_compare_stats()
        timelines, figures = Timelines(store), LayerFigures(store, regions)
        if len(regions.ids):
            for i, s in enumerate(sources):
                for other in sources[i + 1:]:
                    for first, second in ((s, other), (other, s)):
                        for x in timelines(first)[0]:
                            for y in pairs_of(store, x, second, timelines):
                                a, b = ordered(x, y)
                                if (a.id, b.id) in done:
                                    continue
                                done.add((a.id, b.id))
                                for layer in PRECOMPUTED_LAYERS:
                                    compute_pair(store, a, b, regions, layer, figures)
                                if progress:
                                    progress(1)
    return {"sources": sources, "pairs": len(done), "regions": len(regions.ids)}
