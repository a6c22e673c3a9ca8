"""What the tables filled at import buy: the whole-history front-line series and the
all-time change log read from them, against computing the same figures from the geometry
(what a cold request did before), on every stored revision of both sources, in the same
run; and what each table costs an import per revision.

    python -m bench.bench_precompute [--repeat 3] [--db store.sqlite]

Without --db it builds a throwaway store with all of ../shared/data (regions, the daily
archive and every raw DeepStateMap snapshot), timing the import.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import build_real_store, median_seconds, need_shared
from frontwatch.analytics import areas, changelog, front, frontline_series
from frontwatch.analytics import changelog_table as ct
from frontwatch.analytics.areas import region_set
from frontwatch.analytics.common import region_of
from frontwatch.store import open_store

SOURCES = ("deepstate", "deepstate-archive")
REGION = "donetsk-oblast"


def lengths_from_geometry(store, source: str) -> list[float]:
    """The old cold path: one front line per distinct revision of the whole history."""
    snaps = store.snapshots(source)
    return [front.line_of(store, s)[1] for s in snaps]


def changelog_from_geometry(store, source: str) -> np.ndarray:
    """The old cold path: diff each day's last revision with the day before, in the region."""
    snaps = store.snapshots(source)
    region = region_of(store, REGION, snaps[-1].date)
    last = {s.date: s for s in snaps}
    days = sorted(last)
    return np.array([ct._measure(store, last[a], last[b], region)
                     for a, b in itertools.pairwise(days)])


def per_revision_costs(store, source: str, n: int = 20) -> dict[str, float]:
    """Median ms per revision of what an import adds, over the source's last n revisions
    (inside a transaction that is rolled back)."""
    snaps = store.snapshots(source)[-n - 1:]
    regions = region_set(store)
    layers = ct._Layers(store)
    costs: dict[str, list[float]] = {"area statistics": [], "front line": [],
                                     "change log": []}
    try:
        with store.transaction():
            _time_revisions(store, snaps, regions, layers, costs)
            raise _Rollback
    except _Rollback:
        pass
    return {k: 1000 * statistics.median(v) for k, v in costs.items()}


class _Rollback(Exception):
    """Leaves the store as it was after timing writes."""


def _time_revisions(store, snaps, regions, layers, costs) -> None:
    for prev, info in itertools.pairwise(snaps):
        t = time.perf_counter()
        areas.on_snapshot(store, info)
        costs["area statistics"].append(time.perf_counter() - t)
        t = time.perf_counter()
        front.line_of(store, info)
        costs["front line"].append(time.perf_counter() - t)
        t = time.perf_counter()
        ct.changes_km2(regions, layers(prev), layers(info))
        costs["change log"].append(time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--db", type=Path, help="an existing store with the real data")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.db:
            store = open_store(args.db)
        else:
            t = time.perf_counter()
            store = build_real_store(Path(tmp) / "bench.sqlite", need_shared(), archive=True,
                                     raw_from=0)
            print(f"import of all regions, {len(store.snapshots())} revisions: "
                  f"{time.perf_counter() - t:.0f} s\n")
        report(store, args.repeat)
        store.close()


def report(store, repeat: int) -> None:
    print("| whole history | revisions | from geometry s | table read s | ratio |")
    print("|---|---|---|---|---|")
    worst = [0.0, 0.0]
    for source in SOURCES:
        for i, d in enumerate(compare(store, source, repeat)):
            worst[i] = max(worst[i], d)
    print(f"\nlargest difference from the geometry: {worst[0]:.1e} km (lengths), "
          f"{worst[1]:.1e} km² (change log)\n")
    print("| added to an import, per revision (median of 20) | `deepstate` ms | "
          "`deepstate-archive` ms |")
    print("|---|---|---|")
    costs = {s: per_revision_costs(store, s) for s in SOURCES}
    for k in costs[SOURCES[0]]:
        print(f"| {k} | {costs[SOURCES[0]][k]:.0f} | {costs[SOURCES[1]][k]:.0f} |")


def compare(store, source: str, repeat: int) -> tuple[float, float]:
    """Print the two rows of one source; returns the largest differences (km, km²)."""
    snaps = store.snapshots(source)
    first, last = snaps[0].date, snaps[-1].date
    t = time.perf_counter()
    computed = lengths_from_geometry(store, source)
    t_geo = time.perf_counter() - t
    t_tab = median_seconds(lambda: frontline_series(store, first, last, source, 1,
                                                    max_lines=0), repeat)
    df = frontline_series(store, first, last, source, 1, max_lines=0)
    by_id = dict(zip(df["snapshot_id"], df["length_km"]))
    d_km = max(abs(by_id[s.id] - km) for s, km in zip(snaps, computed) if s.id in by_id)
    print(f"| front-line series, every day, `{source}` | {len(snaps)} | {t_geo:.1f} | "
          f"{t_tab:.3f} | {t_geo / t_tab:,.0f}× |")
    t = time.perf_counter()
    measured = changelog_from_geometry(store, source)
    t_geo = time.perf_counter() - t
    t_tab = median_seconds(lambda: changelog(store, REGION, first, last, source), repeat)
    log = changelog(store, REGION, first, last, source)
    cols = [f"{c}_km2" for c in ct.CHANGES]
    d_km2 = float(np.abs(log[cols].to_numpy() - measured).max())
    print(f"| change log of {REGION}, all time, `{source}` | {len(snaps)} | {t_geo:.1f} | "
          f"{t_tab:.3f} | {t_geo / t_tab:,.0f}× |")
    return d_km, d_km2


if __name__ == "__main__":
    main()
