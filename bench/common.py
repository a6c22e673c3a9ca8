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
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)
