"""Full-history area statistics for Donetsk and Luhansk oblasts and all their raions over the
353 daily archive snapshots: Frontwatch's incremental computation vs the obvious geopandas
loop (intersect each snapshot with each region, to_crs to the theatre LAEA, .area), both
reading the same store, in the same run. Also: updating every region for one new day, and
reading a region's whole precomputed series.

    python -m bench.bench_stats [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from bench.common import median_seconds, need_shared
from frontwatch.analytics.areas import compute_chain, on_snapshot, region_set, series
from frontwatch.geometry import THEATRE_CRS
from frontwatch.ingest import ImportOptions, import_paths
from frontwatch.ingest.regions import import_regions
from frontwatch.store import open_store

SOURCE = "deepstate-archive"


def build(folder: Path):
    """A fresh SQLite store with the Donbas raions and the daily archive."""
    return fill(open_store(folder / "bench.sqlite"))


def fill(store):
    """Import the Donbas raions (and so their oblasts) and the daily archive into `store`."""
    data = need_shared()
    for name in ("donetska_oblast", "luhanska_oblast"):
        import_regions(store, data / "boundaries" / f"{name}.geojson.gz", "raion")
    import_paths(store, [data / "deepstate-daily"], ImportOptions())
    return store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = build(Path(tmp))
        regions = [r for r in store.regions(with_geometry=True)
                   if r.level == "raion" or r.slug in ("donetsk-oblast", "luhansk-oblast")]
        wanted = {r[0] for r in store.stats_regions() if r[1] in {x.slug for x in regions}}
        snaps = store.snapshots(SOURCE)
        ids = [s.id for s in snaps]

        def baseline() -> np.ndarray:
            wkb = store.layers_wkb(ids, "occupied")
            out = np.zeros((len(ids), len(regions)))
            for i, sid in enumerate(ids):
                layer = gpd.GeoSeries(shapely.from_wkb([wkb[sid]]), crs="EPSG:4326")
                for j, r in enumerate(regions):
                    out[i, j] = layer.intersection(r.geometry).to_crs(THEATRE_CRS).area.sum()
            return out / 1e6

        def ours() -> None:
            with store.transaction():
                compute_chain(store, snaps, region_set(store, wanted))

        t_base = median_seconds(baseline, args.repeat)
        t_ours = median_seconds(ours, args.repeat)
        # Equal results: every snapshot × region against the baseline.
        base = baseline()
        rs = region_set(store, wanted)
        col = {int(rid): j for j, rid in enumerate(rs.ids)}
        order = [col[next(r[0] for r in store.stats_regions() if r[1] == x.slug)]
                 for x in regions]
        got = np.array([[store.stats_of_snapshot(sid)[int(rs.ids[k])][0] for k in order]
                        for sid in ids])
        area = np.array([x.area_km2 for x in regions])
        rel = float(np.max(np.abs(got - base) / area))

        # One new day: every region of the store (oblasts, raions, groups) updated.
        # Timed as it runs: inside the import's transaction (the commit is the import's).
        hook = []
        with store.transaction():
            for info in snaps[-40:]:
                t = time.perf_counter()
                on_snapshot(store, info)
                hook.append(time.perf_counter() - t)
        t_hook = statistics.median(hook)
        reads, raw = [], []
        for _ in range(20):
            t = time.perf_counter()
            store.stats_series("donetsk-oblast", SOURCE)
            raw.append(time.perf_counter() - t)
            t = time.perf_counter()
            series(store, "donetsk-oblast", date(2024, 7, 8), date(2025, 6, 30), SOURCE)
            reads.append(time.perf_counter() - t)
        t_read, t_raw = statistics.median(reads), statistics.median(raw)
        n_regions = len(store.stats_regions())
        store.close()
    cells = len(ids) * len(regions)
    print(f"| full-history stats: {len(ids)} snapshots × {len(regions)} regions "
          f"({cells:,} areas) | s | ratio |")
    print("|---|---|---|")
    print(f"| geopandas loop (intersection, to_crs LAEA, .area) | {t_base:.2f} | 1.00 |")
    print(f"| frontwatch incremental (change boxes, anchored every 30) | {t_ours:.2f} | "
          f"{t_base / t_ours:.1f}× faster |")
    print(f"\nlargest difference from the baseline: {rel:.1e} of the region's area")
    print(f"one new day, all {n_regions} regions updated: {t_hook * 1000:.1f} ms (median of "
          f"{len(hook)})")
    print(f"whole Donetsk-oblast series read: {t_raw * 1000:.1f} ms (stored rows), "
          f"{t_read * 1000:.1f} ms (daily DataFrame of 358 days with rates; medians)")


if __name__ == "__main__":
    main()
