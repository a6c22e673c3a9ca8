"""A year of daily DeepStateMap-vs-NZZ comparison figures for Donetsk oblast: read from the
precomputed pairwise table (filled at import) vs computed from geometry (one overlay per
distinct pair of revisions), in the same run on the same store.

    python -m bench.bench_compare [--repeat 21] [--db STORE]

Without --db it builds a store (oblasts, DeepStateMap raw snapshots from 2024-06-24, NZZ maps
from 2024-03-15) in a temporary folder: several minutes on a busy machine.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.common import build_real_store, median_cpu_seconds, median_seconds, need_shared
from frontwatch.analytics.compare import compare_series
from frontwatch.ingest import ImportOptions, import_paths
from frontwatch.store import open_store

PAIR = ("deepstate", "nzz")
START, END = date(2024, 7, 1), date(2025, 6, 30)
RAW_FROM = 1719187200  # 2024-06-24T00:00:00Z


def build(folder: Path):
    data = need_shared()
    store = build_real_store(folder / "bench.sqlite", data, luhansk=False, raw_from=RAW_FROM)
    import_nzz(store, data)
    return store


def import_nzz(store, data: Path) -> None:
    """NZZ's maps from 2024-03-15, in one import (the pairs are filled once for all of its
    revisions, so each map is paired only up to the next one)."""
    import_paths(store, sorted(f for f in (data / "nzz").iterdir() if f.name >= "2024-03-15"),
                 ImportOptions())


def run(store, repeat: int) -> None:
    def read():
        return compare_series(store, PAIR, "Donetsk Oblast", START, END, 1)

    def compute():
        return compare_series(store, PAIR, "Donetsk Oblast", START, END, 1, precomputed=False)

    rows, doc = read()
    t_geom = time.perf_counter()
    slow_rows, slow_doc = compute()  # one run: minutes on a busy machine
    t_geom = time.perf_counter() - t_geom
    worst = max(abs(a[k] - b[k]) for a, b in zip(rows, slow_rows) for k in a
                if k.endswith("_km2"))
    load_before = os.getloadavg()[0]
    t_read, c_read = median_seconds(read, repeat), median_cpu_seconds(read, repeat)
    load_after = os.getloadavg()[0]
    print(f"| {len(rows)} daily rows, {START} → {END}, Donetsk oblast, {PAIR[0]} vs {PAIR[1]} "
          "| ms (wall) | ms (CPU) | ratio (wall) |")
    print("|---|---|---|---|")
    print(f"| computed from geometry ({slow_doc['computed_pairs']} overlays) | "
          f"{t_geom * 1000:,.0f} | | 1.00 |")
    print(f"| read from the precomputed table ({doc['precomputed_pairs']} pairs) | "
          f"{t_read * 1000:.1f} | {c_read * 1000:.1f} | {t_read / t_geom:.5f} |")
    verdict = "under" if t_read < 0.020 else "OVER"
    print(f"\nthe year's read: {t_read * 1000:.1f} ms wall, {c_read * 1000:.1f} ms CPU "
          f"(medians of {repeat}): {verdict} the 20 ms target (wall); load average "
          f"{load_before:.1f} → {load_after:.1f} on {os.cpu_count()} cores")
    print(f"\nlargest difference between the two: {worst:.3f} km²")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=21,
                    help="runs of the read (the geometry runs once)")
    ap.add_argument("--db", help="an existing store holding deepstate and nzz")
    args = ap.parse_args()
    if args.db:
        store = open_store(args.db)
        run(store, args.repeat)
        store.close()
        return
    with tempfile.TemporaryDirectory() as tmp:
        store = build(Path(tmp))
        run(store, args.repeat)
        store.close()


if __name__ == "__main__":
    main()
