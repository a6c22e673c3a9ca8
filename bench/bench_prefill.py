"""CPU per cold request in a warmed worker, with and without the geometry-text prefill
(frontwatch.prefill, run by api.warm.prefill): one app in-process on a COPY of a store (e.g.
the load benchmark's), warmed as `frontwatch serve` warms it, then 40 URLs drawn as
bench_load draws them (random 2025 dates: each new to the response cache), timed one at a
time by process CPU time.
Single-request CPU, not the load benchmark (bench_load measures that).

    python -m bench.bench_prefill STORE [--kind "ogc items"] [--seed 1] [--no-prefill]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

from fastapi.testclient import TestClient

from bench.bench_load import KINDS, request_for
from frontwatch import geojson
from frontwatch.api import warm
from frontwatch.api.app import create_app
from frontwatch.settings import Settings


def rss_mb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status
                    if line.startswith("VmRSS"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", help="a store file (a copy: the app may migrate it)")
    ap.add_argument("--kind", default="ogc items", choices=KINDS)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--no-prefill", action="store_true", help="warm without the prefill")
    args = ap.parse_args()
    os.environ["FRONTWATCH_WARM"] = "1"
    if args.no_prefill:
        async def nothing(deadline: float) -> dict:
            return {}
        warm.prefill = lambda pool, deadline: nothing(deadline)  # type: ignore[assignment]
    rng = random.Random(args.seed)
    urls = [request_for(args.kind, rng) for _ in range(args.requests)]
    started = time.monotonic()
    with TestClient(create_app(Settings(database_url=args.store, render_processes=0))) as c:
        lifespan = time.monotonic() - started
        report = c.get("/healthz").json()["warm"]
        after_warm, before = rss_mb(), geojson.cache_stats()
        ms = []
        for url in urls:
            t = time.process_time()
            r = c.get(url, headers={"Accept-Encoding": "gzip"})
            ms.append((time.process_time() - t) * 1000)
            assert r.status_code == 200, (url, r.status_code)
        after = geojson.cache_stats()
    first = statistics.mean(ms[:10])
    ms.sort()
    print(f"prefill {report.get('prefill') or 'off'}; start {lifespan:.2f} s; "
          f"RSS after warm-up {after_warm} MB, after the requests {rss_mb()} MB")
    print(f"{args.kind}, seed {args.seed}: CPU ms per request mean {statistics.mean(ms):.1f}, "
          f"median {statistics.median(ms):.1f}, first 10 {first:.1f}, "
          f"p90 {ms[int(len(ms) * 0.9) - 1]:.1f}, max {ms[-1]:.1f}; text cache hits "
          f"{after['hits'] - before['hits']}, misses {after['misses'] - before['misses']}")


if __name__ == "__main__":
    main()
