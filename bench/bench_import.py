"""Whether an import's cost grows with what the store already holds: NZZ's maps imported into
a store holding every DeepStateMap revision (raw and daily archive) against the same maps
imported into a store holding only the regions, per revision, in the same run; with the time
of each phase (files read, revisions stored, each derived table).

    python -m bench.bench_import [--nzz-every 1] [--full-db store.sqlite] [--keep DIR]

Without --full-db it builds the full store (timing the import of deepstate-raw and
deepstate-daily into a store holding only the regions). Times are CPU seconds of this process
(the machine is shared: wall time mostly measures the neighbours); the target is a ratio
full/empty ≤ 1.5 per NZZ revision.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from bench.common import need_shared
from frontwatch.analytics import precompute  # noqa: F401  (registers ingest's hooks)
from frontwatch.bootstrap import ensure_places
from frontwatch.ingest import ImportOptions, import_paths
from frontwatch.ingest.regions import import_regions
from frontwatch.store import open_store

TARGET = 1.5


def regions_store(path: Path, data: Path) -> None:
    """Places, all oblasts (the theatre) and the Donetsk and Luhansk raions: what
    bench.common.build_real_store starts with, without any snapshot."""
    store = open_store(path)
    try:
        ensure_places(store)
        b = data / "boundaries"
        import_regions(store, b / "Ukraine.geojson.gz", "oblast")
        import_regions(store, b / "donetska_oblast.geojson.gz", "raion")
        import_regions(store, b / "luhanska_oblast.geojson.gz", "raion")
    finally:
        store.close()


def timed_import(path: Path, inputs: list[Path]) -> dict:
    """Import `inputs` into the store at `path`: CPU and wall seconds, revisions added, and
    the CPU seconds of each phase (from the progress callback, in the order they ran)."""
    phases: dict[str, float] = {}
    last = [time.process_time()]

    def progress(phase: str, done: int, total: int | None) -> None:
        now = time.process_time()
        phases[phase] = phases.get(phase, 0.0) + now - last[0]
        last[0] = now

    store = open_store(path)
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        report = import_paths(store, inputs, ImportOptions(), progress)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        store.close()
    return {"cpu": cpu, "wall": wall, "added": len(report.added), "phases": phases}


def show(name: str, res: dict) -> None:
    per = res["cpu"] / max(res["added"], 1)
    print(f"| {name} | {res['added']} | {res['cpu']:.1f} | {res['wall']:.1f} | "
          f"{per * 1000:.0f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nzz-every", type=int, default=1,
                    help="import every n-th NZZ file (1: all 254)")
    ap.add_argument("--full-db", type=Path, help="a store already holding the regions and "
                    "every DeepStateMap revision (skips building it)")
    ap.add_argument("--keep", type=Path, help="folder for the stores (default: a temp dir)")
    args = ap.parse_args()
    data = need_shared()
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="bench_import_"))
    tmp.mkdir(parents=True, exist_ok=True)
    base = tmp / "regions.sqlite"
    regions_store(base, data)
    nzz = sorted((data / "nzz").glob("*.json.gz"))[::args.nzz_every]

    print("| import | revisions | CPU s | wall s | CPU ms / revision |")
    print("|---|---|---|---|---|")
    full = tmp / "full.sqlite"
    if args.full_db:
        shutil.copyfile(args.full_db, full)
    else:
        shutil.copyfile(base, full)
        dsm = timed_import(full, [data / "deepstate-raw", data / "deepstate-daily"])
        show("deepstate-raw + deepstate-daily into regions only", dsm)
    empty = tmp / "nzz-empty.sqlite"
    shutil.copyfile(base, empty)
    into_empty = timed_import(empty, nzz)
    show(f"{len(nzz)} NZZ files into regions only", into_empty)
    into_full = timed_import(full, nzz)
    show(f"{len(nzz)} NZZ files into regions + all DeepStateMap", into_full)

    for name, res in (("into regions only", into_empty), ("into all DeepStateMap", into_full)):
        print(f"\nNZZ {name}, CPU s per phase: " + ", ".join(
            f"{phase} {s:.1f}" for phase, s in res["phases"].items()))
    ratio = (into_full["cpu"] / max(into_full["added"], 1)) / (
        into_empty["cpu"] / max(into_empty["added"], 1))
    verdict = "meets" if ratio <= TARGET else "MISSES"
    print(f"\nper-revision CPU, NZZ into all DeepStateMap / into regions only: {ratio:.2f}× "
          f"({verdict} the target ≤ {TARGET}×; the extra is the source comparison, which "
          "exists only when both sources do)")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
