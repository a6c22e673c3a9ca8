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

import contextlib
from collections.abc import Callable

import shapely

from frontwatch.analytics.areas import region_set
from frontwatch.analytics.compare import SINCE_2022, layer_of
from frontwatch.analytics.incremental import RegionSet
from frontwatch.errors import InputError, NotFound
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


def compute_pair(store: SqlStore, x: SnapshotInfo, y: SnapshotInfo, regions: RegionSet,
                 layer: str = SINCE_2022) -> bool:
    """Store one pair's figures for every region of `regions` (added to what the pair has);
    False when a revision cannot give the layer (e.g. an NZZ map that mixes in ORDLO)."""
    a, b = ordered(x, y)
    try:
        la, lb = layer_of(store, a, layer), layer_of(store, b, layer)
    except InputError:
        return False
    both = shapely.intersection(la, lb)
    store.put_compare_stats(a.id, b.id, layer, list(zip(
        (int(i) for i in regions.ids), regions.full_km2(la), regions.full_km2(lb),
        regions.full_km2(both))))
    return True


def pairs_of(store: SqlStore, info: SnapshotInfo, other: str) -> list[SnapshotInfo]:
    """Revisions of `other` that `info` is in force with at one of the two's moments."""
    out = []
    with contextlib.suppress(NotFound):
        out.append(store.resolve(other, info.valid_at))
    for y in store.snapshots(other):
        if y.valid_at <= info.valid_at:
            continue
        if store.resolve(info.source, y.valid_at).id != info.id:
            break
        out.append(y)
    return out


def on_snapshot(store: SqlStore, info: SnapshotInfo) -> None:
    """Add the pairs a new revision forms (inside the import transaction)."""
    sources = paired_sources(store)
    if info.source not in sources:
        return
    regions = region_set(store)
    if not len(regions.ids):
        return
    for other in sources:
        if other == info.source:
            continue
        for y in pairs_of(store, info, other):
            for layer in PRECOMPUTED_LAYERS:
                a, b = ordered(info, y)
                if not store.compare_stats_regions(a.id, b.id, layer):
                    compute_pair(store, info, y, regions, layer)


def on_delete(store: SqlStore, info: SnapshotInfo) -> None:
    """After a revision was deleted: its pairs went with it; the revision of its source
    that is in force again forms the pairs it had (missing ones are computed)."""
    try:
        back = store.resolve(info.source, info.valid_at)
    except NotFound:
        return
    on_snapshot(store, back)


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
        if len(regions.ids):
            for i, s in enumerate(sources):
                for other in sources[i + 1:]:
                    for first, second in ((s, other), (other, s)):
                        for x in store.snapshots(first):
                            for y in pairs_of(store, x, second):
                                a, b = ordered(x, y)
                                if (a.id, b.id) in done:
                                    continue
                                done.add((a.id, b.id))
                                for layer in PRECOMPUTED_LAYERS:
                                    compute_pair(store, a, b, regions, layer)
                                if progress:
                                    progress(1)
    return {"sources": sources, "pairs": len(done), "regions": len(regions.ids)}
