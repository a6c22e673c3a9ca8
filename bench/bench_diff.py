"""Diff of two dates for Donetsk oblast, from the store: Frontwatch (change boxes, then only
the changed pieces clipped to the region) vs the same computation done naively in geopandas
(clip both dates to the region, overlay difference both ways, to_crs, .area), same run.

    python -m bench.bench_diff [--repeat 5] [--postgis postgresql://…]

With --postgis (a database the PostGIS backend can use, e.g. a throwaway cluster), the same
store is loaded there too and `PostgisStore.postgis_diff_km2` (ST_Difference on the server,
geography areas) is timed as a third row.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import date
from pathlib import Path

import geopandas as gpd

from bench.bench_stats import build, fill
from bench.common import median_seconds
from frontwatch.analytics import diff
from frontwatch.analytics.changes import changes_between
from frontwatch.geometry import THEATRE_CRS, area_km2

SOURCE = "deepstate-archive"
PAIRS = [(date(2025, 6, 1), date(2025, 6, 2)), (date(2025, 5, 1), date(2025, 6, 1)),
         (date(2024, 7, 8), date(2025, 6, 30))]


def naive(store, region, a, b) -> float:
    """Occupied km² gained, the geopandas way."""
    la = gpd.GeoDataFrame(geometry=[store.layer(a.id, "occupied")], crs="EPSG:4326")
    lb = gpd.GeoDataFrame(geometry=[store.layer(b.id, "occupied")], crs="EPSG:4326")
    r = gpd.GeoDataFrame(geometry=[region.geometry], crs="EPSG:4326")
    ca, cb = gpd.clip(la, r), gpd.clip(lb, r)
    gained = gpd.overlay(cb, ca, how="difference")
    gpd.overlay(ca, cb, how="difference")
    return float(gained.to_crs(THEATRE_CRS).area.sum() / 1e6)


def measure(store, pg, region, d1: date, d2: date, repeat: int) -> tuple:
    """One pair of dates: check equal results, then time each way."""
    a, b = store.resolve(SOURCE, d1), store.resolve(SOURCE, d2)
    ref = naive(store, region, a, b)
    got = float(area_km2(changes_between(store, a, b, region.geometry)
                         ["occupied_gained"]).sum())
    assert abs(got - ref) <= 1e-6 * max(ref, 1.0), (got, ref)
    t_naive = median_seconds(lambda: naive(store, region, a, b), repeat)
    t_core = median_seconds(lambda: changes_between(store, a, b, region.geometry), repeat)
    t_full = median_seconds(lambda: diff(store, region, d1, d2, SOURCE), repeat)
    t_pg = None
    if pg is not None:
        pa, pb = pg.resolve(SOURCE, d1), pg.resolve(SOURCE, d2)
        t_pg = median_seconds(lambda: pg.postgis_diff_km2(pa.id, pb.id, "donetsk-oblast"),
                              repeat)
    return d1, d2, ref, t_naive, t_core, t_full, t_pg


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--postgis", help="PostgreSQL URL for the PostGIS comparison")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = build(Path(tmp))
        region = store.region("donetsk-oblast")
        pg = _postgis(args.postgis) if args.postgis else None
        rows = [measure(store, pg, region, d1, d2, args.repeat) for d1, d2 in PAIRS]
        store.close()
    print("| Donetsk oblast, occupied | gained km² | geopandas s | frontwatch pieces s | "
          "ratio | frontwatch diff() s | PostGIS s |")
    print("|---|---|---|---|---|---|---|")
    for d1, d2, ref, tn, tc, tf, tp in rows:
        print(f"| {d1} → {d2} | {ref:,.1f} | {tn:.3f} | {tc:.3f} | {tn / tc:.1f}× | "
              f"{tf:.3f} | {'not run' if tp is None else f'{tp:.3f}'} |")


def _postgis(url: str):
    """The same data in a PostGIS store (the backend of frontwatch.store.postgis): the hook
    for comparing with ST_Difference on the server."""
    from frontwatch.store import open_store

    return fill(open_store(url))


if __name__ == "__main__":
    main()
