"""The walk that prefills the geometry-text cache (:func:`frontwatch.geojson.prefill`) from a
store: the GeoJSON texts of the stored zones, as the routes publish them, newest revisions
first, until a share of the cache's bound or a deadline.

Texts are cached by content and revisions repeat most zones, so the benchmark store's 104
revisions are 879 texts (5.3 MB); without them, a worker's first minute of OGC items and
snapshots of older dates spent half its CPU writing them, request by request.

The walk is a generator of small steps (one store read, or `batch` texts written): whoever
drives it decides where each step runs — the server's warm-up (api.warm) runs each on a
thread, so its event loop keeps its turns between them. Each step checks out a store from
`stores` and returns it, so no connection is held between steps.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from frontwatch import geojson, geometry
from frontwatch.store.base import SqlStore

SHARE = 0.5  # of the text cache's bound: the rest is left to what requests make
BATCH = 8  # geometries written per step (~2 ms each): short holds of the GIL
Stores = Callable[[], AbstractContextManager[SqlStore]]  # e.g. api.deps.StorePool.store


def walk(stores: Stores, deadline: float, report: dict[str, Any], share: float = SHARE,
         batch: int = BATCH, done: set[int] | None = None) -> Iterator[None]:
    """Fill the text cache with the texts of every stored revision's zones, newest first,
    one step per ``next()``, until `share` of its bound is held or `deadline`
    (time.monotonic) passes. `done` (kept by the caller across walks) holds the revisions
    already walked to the end: a walk after new data writes only the new revisions' texts
    (a re-walk of the benchmark's 104 cached revisions cost 0.8 s CPU).

    `report` is filled as it goes: ``texts`` (added) and ``stopped`` ("done", "bound": the
    share reached, "budget": the deadline passed). Errors (an unreadable store) propagate."""
    room = geojson.prefill_room(share)
    report.update(texts=0, stopped="done")
    with stores() as store:
        ids = newest_first(store)
    yield
    for sid in ids:
        if done is not None and sid in done:
            continue
        with stores() as store:
            geoms = published_geometries(store, sid)
        yield
        for at in range(0, len(geoms), batch):
            if time.monotonic() >= deadline:
                report["stopped"] = "budget"
                return
            added, full = geojson.prefill(geoms[at:at + batch], room)
            report["texts"] += added
            if full:
                report["stopped"] = "bound"
                return
            yield
        if done is not None:
            done.add(sid)


def newest_first(store: SqlStore) -> list[int]:
    """The ids of every stored revision, the newest state first."""
    infos = sorted(store.snapshots(), key=lambda s: (s.valid_at, s.recorded_at), reverse=True)
    return [s.id for s in infos]


def published_geometries(store: SqlStore, snapshot_id: int) -> list[Any]:
    """A revision's zones as the routes publish them (providers, snapshots: polygonal)."""
    return [geometry.polygonal(z.geometry) for z in store.zones(snapshot_id)]
