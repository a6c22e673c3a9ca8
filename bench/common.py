"""Shared plumbing for the benchmarks: where the real data is, and timing by median."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


def need_shared() -> Path:
    if not SHARED.is_dir():
        sys.exit("bench: real data in ../shared/data is absent")
    return SHARED


def median_seconds(fn: Callable[[], object], repeat: int = 3) -> float:
    """Median wall time of `repeat` runs (the machine is noisy: compare ratios)."""
    return _median(fn, repeat, time.perf_counter)


def median_cpu_seconds(fn: Callable[[], object], repeat: int = 3) -> float:
    """Median CPU time of this process over `repeat` runs: what a run costs with the cores
    to itself (wall time on a shared machine also counts the waiting)."""
    return _median(fn, repeat, time.process_time)


def _median(fn: Callable[[], object], repeat: int, clock: Callable[[], float]) -> float:
    times = []
    for _ in range(repeat):
        t = clock()
        fn()
        times.append(clock() - t)
    return statistics.median(times)


RAW_2025 = 1735689600  # 2025-01-01T00:00:00Z: the start of the per-revision DeepStateMap files


def build_real_store(path: Path, data: Path, *, archive: bool = False, luhansk: bool = True,
                     raw_from: int = RAW_2025, raw_until: int | None = None):
    """A store on the real data, as the tests and benchmarks use it: places, all oblasts
    (theatre), Donetsk (and Luhansk) raions, optionally the daily archive, and the raw
    DeepStateMap snapshots published in [raw_from, raw_until). Returns the open store."""
    from frontwatch.analytics import precompute  # noqa: F401  (registers ingest's hooks)
    from frontwatch.bootstrap import ensure_places
    from frontwatch.ingest import ImportOptions, import_paths
    from frontwatch.ingest.regions import import_regions
    from frontwatch.store import open_store

    store = open_store(path)
    ensure_places(store)
    b = data / "boundaries"
    import_regions(store, b / "Ukraine.geojson.gz", "oblast")
    import_regions(store, b / "donetska_oblast.geojson.gz", "raion")
    if luhansk:
        import_regions(store, b / "luhanska_oblast.geojson.gz", "raion")
    if archive:
        import_paths(store, [data / "deepstate-daily"], ImportOptions())
    raw = sorted(f for f in (data / "deepstate-raw").iterdir() if f.name[:10].isdigit()
                 and raw_from <= int(f.name[:10]) < (raw_until or 10**11))
    import_paths(store, raw, ImportOptions())
    return store
