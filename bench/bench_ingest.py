"""Bulk import of the 353 daily archive files: Frontwatch's importer vs a plain
`geopandas.read_file` loop over the same files, in the same run.

    python bench/bench_ingest.py [--repeat 3]

The importer does strictly more (validation, repair, hashing, dissolved layers, a
transactional write, and the stats hooks); the baseline only parses.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import geopandas as gpd

from bench.common import median_seconds, need_shared
from frontwatch.ingest import ImportOptions, import_paths
from frontwatch.store import open_store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    files = sorted((need_shared() / "deepstate-daily").glob("*.geojson.gz"))

    def baseline() -> None:
        for f in files:
            gpd.read_file(f"/vsigzip/{f}")

    def frontwatch() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(Path(tmp) / "bench.sqlite")
            import_paths(store, files, ImportOptions())
            store.close()

    base = median_seconds(baseline, args.repeat)
    ours = median_seconds(frontwatch, args.repeat)
    n = len(files)
    print(f"| bulk import of {n} daily files | files/s | ratio |")
    print("|---|---|---|")
    print(f"| geopandas.read_file loop (parse only) | {n / base:,.0f} | 1.00 |")
    print(f"| frontwatch import (parse, validate, store, stats) | {n / ours:,.0f} | "
          f"{base / ours:.2f} |")


if __name__ == "__main__":
    main()
