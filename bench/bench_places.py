"""Every settlement's status changes over a year: reading them from the place-status table
(filled at import) against computing them from the geometry, in the same run, on the 353
daily archive snapshots (2024-07-08 → 2025-06-30) and the 5,490 places of the gazetteer. Also:
every place's status on one day (table vs geometry), what the table costs at import (one new
revision, incremental, and the whole history from scratch), and how many places a revision
looks at.

    python -m bench.bench_places [--repeat 5] [--db SCRATCH_COPY]
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

from bench.common import median_seconds, need_shared
from frontwatch.analytics import placestatus
from frontwatch.analytics.geo import point_status
from frontwatch.analytics.incremental import change_boxes
from frontwatch.bootstrap import ensure_places
from frontwatch.ingest import ImportOptions, import_paths
from frontwatch.ingest.regions import import_regions
from frontwatch.store import open_store

SOURCE = "deepstate-archive"
START, END = date(2024, 7, 8), date(2025, 6, 30)


def build(folder: Path):
    """A fresh store: places, every oblast (the theatre, for distances to the front), the
    daily archive (the import fills the table)."""
    data = need_shared()
    store = open_store(folder / "bench.sqlite")
    ensure_places(store)
    import_regions(store, data / "boundaries" / "Ukraine.geojson.gz", "oblast")
    t = time.perf_counter()
    import_paths(store, [data / "deepstate-daily"], ImportOptions())
    print(f"import of {len(store.snapshots(SOURCE))} revisions (every table): "
          f"{time.perf_counter() - t:.1f} s")
    return store


def from_geometry(store):
    """The year's changes as a reader without the table computes them: every day's
    revision (each distinct one once), every place's point in its layers, consecutive
    days compared. Returns {(slug, day, from, to)}."""
    places = store.places()
    lon = np.array([p.lon for p in places])
    lat = np.array([p.lat for p in places])
    snaps = [s for s in store.snapshots(SOURCE) if s.date <= END]
    out, before = set(), None
    for s in snaps:
        status = point_status(store.layer(s.id, "occupied"), store.layer(s.id, "contested"),
                              lon, lat)
        if before is not None and s.date > START:
            for i in np.flatnonzero(status != before):
                out.add((places[i].slug, s.date, before[i], status[i]))
        before = status
    return out


def status_on_times(store, source: str, day: date, repeat: int) -> tuple[float, float]:
    """Median seconds to read every place's status on `day` from the table, and to compute
    it from the points in the revision's layers."""
    info = store.resolve(source, day)
    places = store.places()
    lon = np.array([p.lon for p in places])
    lat = np.array([p.lat for p in places])
    t_table = median_seconds(lambda: placestatus.status_on(store, day, source=source), repeat)
    t_geom = median_seconds(lambda: point_status(
        store.layer(info.id, "occupied"), store.layer(info.id, "contested"), lon, lat), repeat)
    return t_table, t_geom


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--db", type=Path, help="a scratch copy of a store already holding the "
                    "archive (changed by the run) instead of building one")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(args.db) if args.db else build(Path(tmp))
        n_places = len(store.places())

        def table():
            return placestatus.changes(store, START, END, source=SOURCE)

        table()  # the gazetteer's Place objects are built once per store (as a server does)
        t_table = median_seconds(table, args.repeat)
        t_geom = median_seconds(lambda: from_geometry(store), max(1, args.repeat // 2))
        got = {(c.slug, c.date, c.from_status, c.to_status) for c in table()}
        assert got == from_geometry(store), "the table and the geometry disagree"
        print(f"a year of changes, {n_places:,} places: {len(got)} changes")
        print(f"  table read      {t_table * 1000:8.1f} ms   1.000")
        print(f"  from geometry   {t_geom * 1000:8.1f} ms   {t_geom / t_table:8.1f}x slower")

        day = date(2025, 3, 1)
        t_on, t_on_geom = status_on_times(store, SOURCE, day, args.repeat)
        print(f"every place's status on {day}: table {t_on * 1000:.1f} ms, geometry "
              f"{t_on_geom * 1000:.1f} ms ({t_on_geom / t_on:.1f}x)")
        if "deepstate" in store.sources():  # a --db store with the detailed layers too
            t_on, t_on_geom = status_on_times(store, "deepstate", END, args.repeat)
            print(f"  deepstate on {END}: table {t_on * 1000:.1f} ms, geometry "
                  f"{t_on_geom * 1000:.1f} ms ({t_on_geom / t_on:.1f}x)")

        # At import: the newest revision again (incremental), and the whole history.
        snaps = store.snapshots(SOURCE)
        last = snaps[-1]

        def one_revision():
            with store.transaction():
                store._execute("DELETE FROM place_status_marks WHERE snapshot_id=?", (last.id,))
                placestatus.refresh(store, SOURCE)

        t_one = median_seconds(one_revision, args.repeat)
        t0 = time.perf_counter()
        n = placestatus.rebuild(store, SOURCE)
        t_all = time.perf_counter() - t0
        looked = []
        gaz = placestatus.Gazetteer.of(store)
        for a, b in itertools.pairwise(snaps):
            boxes = [x for st in placestatus.LAYERS for x in change_boxes(
                store.layer(a.id, st), store.layer(b.id, st))]
            looked.append(len(gaz.near(boxes)))
        print(f"at import: one new revision {t_one * 1000:.0f} ms; all {n} revisions "
              f"{t_all:.1f} s ({t_all / n * 1000:.0f} ms each, the front line of a revision "
              "with changes included)")
        print(f"places looked at per revision: median {np.median(looked):.0f}, max "
              f"{max(looked)} of {n_places:,}")


if __name__ == "__main__":
    main()
