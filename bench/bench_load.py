"""Load benchmark: 64 clients for 60 s against a real `frontwatch serve` on loopback, mixed
endpoints with random dates and regions (mostly uncached), while `frontwatch import` writes
the rest of the raw DeepStateMap history and the daily archive into the same store from
another process. Reports per-endpoint p50/p99, errors (5xx, timeouts, connection failures),
requests shed with 503 + Retry-After, the server's peak RSS (its whole process tree, from
/proc) and how the import did.

    python -m bench.bench_load [--clients 64] [--duration 60] [--workers N] [--no-import]
                               [--copy-store STORE] [--code CHECKOUT]

Targets (2 cores): 0 errors, p99 ≤ 2 s for the data endpoints (snapshots, areas, OGC items),
peak RSS ≤ 1.5 GB, the import finishes. Clients are closed-loop (each sends its next request
when the previous one is answered) and honour Retry-After. Builds a throwaway store from
../shared/data in a temporary folder; everything runs on 127.0.0.1 and is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx

from bench.bench_serving import free_port, wait_for
from bench.common import REPO, build_real_store, need_shared

FIRST, LAST = date(2025, 1, 7), date(2025, 6, 30)  # the 2025 DeepStateMap revisions stored
REGIONS = ["donetsk-oblast", "luhansk-oblast", "donbas", "zaporizhzhia-oblast",
           "kharkiv-oblast", "kherson-oblast", "pokrovskyi-raion", "kramatorskyi-raion",
           "bakhmutskyi-raion", "volnovaskyi-raion", "svativskyi-raion",
           "siverskodonetskyi-raion"]
DATA = ("snapshot", "areas", "ogc items")  # the endpoints with the p99 ≤ 2 s target
TIMEOUT = 30.0
STARTUP = 300.0  # seconds for the workers to start: imports take a minute on a busy machine


def _day(rng: random.Random) -> date:
    return FIRST + timedelta(days=rng.randrange((LAST - FIRST).days + 1))


def request_for(kind: str, rng: random.Random) -> str:
    """A random URL of one endpoint kind (random dates and regions: mostly uncached)."""
    d, r = _day(rng), rng.choice(REGIONS)
    if kind == "snapshot":
        return f"/v1/snapshots/{d}" + (f"?region={r}" if rng.random() < 0.5 else "")
    if kind == "areas":
        return f"/v1/areas?region={r}&from={d - timedelta(days=rng.randrange(1, 120))}&to={d}"
    if kind == "ogc items":
        return (f"/collections/control/items?datetime={d}&limit={rng.choice((10, 50, 100))}"
                f"&offset={rng.randrange(0, 40)}")
    if kind == "diff":
        start = FIRST + timedelta(days=rng.randrange((d - FIRST).days + 1))
        return f"/v1/diff?from={start}&to={d}&region={r}"
    if kind == "map page":
        return f"/maps/{d}.html?region={r}"
    if kind == "png":
        return f"/maps/{d}.png?region={r}"
    raise ValueError(kind)


KINDS = ("snapshot", "areas", "ogc items", "diff", "map page", "png")


@dataclass
class Tally:
    seconds: list[float] = field(default_factory=list)  # answered (2xx/304)
    shed: int = 0  # 503 with Retry-After
    client_errors: int = 0  # 4xx: a bug in this benchmark or the server's parsing
    server_errors: int = 0  # 5xx other than a shed 503
    timeouts: int = 0
    transport: int = 0
    examples: list[str] = field(default_factory=list)


def _note(t: Tally, what: str) -> None:
    if len(t.examples) < 3:
        t.examples.append(what)


async def client(http: httpx.AsyncClient, rng: random.Random, deadline: float,
                 tallies: dict[str, Tally]) -> None:
    while time.monotonic() < deadline:
        kind = rng.choice(KINDS)
        url, t = request_for(kind, rng), tallies[kind]
        started = time.monotonic()
        try:
            async with http.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as r:
                async for _ in r.aiter_raw():
                    pass
        except httpx.TimeoutException:
            t.timeouts += 1
            _note(t, f"timeout {url}")
            continue
        except httpx.TransportError as exc:
            t.transport += 1
            _note(t, f"{type(exc).__name__} {url}")
            await asyncio.sleep(0.1)
            continue
        took = time.monotonic() - started
        if r.status_code == 503 and "retry-after" in r.headers:
            t.shed += 1
            await asyncio.sleep(min(float(r.headers["retry-after"]),
                                    max(0.0, deadline - time.monotonic())))
        elif r.status_code >= 500:
            t.server_errors += 1
            _note(t, f"{r.status_code} {url}")
        elif r.status_code >= 400:
            t.client_errors += 1
            _note(t, f"{r.status_code} {url}")
        else:
            t.seconds.append(took)


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its live descendants."""
    total, todo, tick = 0.0, [pid], os.sysconf("SC_CLK_TCK")
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return total


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (Linux /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(status.split("VmRSS:")[1].split()[0]) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return total


class RssWatch(threading.Thread):
    """Samples a process tree's RSS every 0.25 s; `peak` in bytes."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.25):
            self.peak = max(self.peak, tree_rss(self.pid))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(
        values) > 1 else values[0]


async def load(base: str, clients: int, duration: float, seed: int) -> dict[str, Tally]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    # idle connections are dropped before uvicorn's 5 s keep-alive timeout closes them, so a
    # client never reuses a connection the server is closing (a ReadError that is not the
    # server's fault)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients,
                          keepalive_expiry=4.0)
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT, limits=limits) as http:
        deadline = time.monotonic() + duration
        await asyncio.gather(*(client(http, random.Random(seed + i), deadline, tallies)
                               for i in range(clients)))
    return tallies


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=None, help="default: serve's (one per core)")
    ap.add_argument("--no-import", action="store_true", help="no concurrent import")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--copy-store", type=Path, help="start from a copy of this store (made by "
                    "bench.common.build_real_store) instead of building one")
    ap.add_argument("--code", type=Path, default=REPO, help="run the server and the import "
                    "from this checkout (an A/B against another branch in the same run)")
    args = ap.parse_args()
    data = need_shared()
    env = {**os.environ, "FRONTWATCH_SOURCE": "deepstate",
           "PYTHONPATH": os.pathsep.join([str(args.code / "src"), str(args.code)])}
    with tempfile.TemporaryDirectory(prefix="fw-load-") as tmp:
        db = Path(tmp) / "store.sqlite"
        if args.copy_store:
            shutil.copyfile(args.copy_store, db)
        else:
            build_real_store(db, data).close()
        port = free_port()
        cmd = [sys.executable, "-m", "frontwatch", "serve", "--db", str(db), "--port", str(port)]
        if args.workers:
            cmd += ["--workers", str(args.workers)]
        server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                  stderr=open(Path(tmp) / "server.log", "wb"))  # noqa: SIM115
        importer = None
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/healthz", server, timeout=STARTUP)
            watch = RssWatch(server.pid)
            watch.start()
            idle_rss = tree_rss(server.pid)
            if not args.no_import:
                importer = subprocess.Popen(
                    [sys.executable, "-m", "frontwatch", "import", "--db", str(db),
                     str(data / "deepstate-raw"), str(data / "deepstate-daily")],
                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            t_import = time.monotonic()
            cpu0, me0, load0 = tree_cpu(server.pid), time.process_time(), os.getloadavg()[0]
            tallies = asyncio.run(load(base, args.clients, args.duration, args.seed))
            cpu = {"server": tree_cpu(server.pid) - cpu0, "clients": time.process_time() - me0,
                   "load average": os.getloadavg()[0], "load before": load0}
            import_rc, import_s, import_err = None, None, ""
            if importer is not None:
                _, err = importer.communicate(timeout=900)
                import_rc, import_s = importer.returncode, time.monotonic() - t_import
                import_err = err.decode(errors="replace").strip().splitlines()[-3:]
            time.sleep(1.0)
            end_rss = tree_rss(server.pid)
            watch.stop.set()
            watch.join()
            health = httpx.get(f"{base}/healthz", timeout=10).json()
        finally:
            if importer is not None and importer.poll() is None:
                importer.kill()
            server.terminate()
            server.wait(timeout=30)
        log = (Path(tmp) / "server.log").read_text(errors="replace")
    report(args, tallies, idle_rss, watch.peak, end_rss, import_rc, import_s, import_err,
           health, log, cpu)


def report(args, tallies, idle_rss, peak_rss, end_rss, import_rc, import_s, import_err,
           health, log, cpu) -> None:
    mb = 2**20
    print(f"\ncode: {args.code.resolve().name}; {args.clients} clients, {args.duration:.0f} s, "
          "workers: "
          f"{args.workers or 'default (one per core)'}, import: "
          f"{'no' if args.no_import else 'yes'}\n")
    print("| endpoint | answered | p50 ms | p99 ms | max ms | shed 503 | 5xx | timeouts | "
          "conn. errors | 4xx |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    errors = 0
    for kind in KINDS:
        t = tallies[kind]
        s = [x * 1000 for x in t.seconds]
        errors += t.server_errors + t.timeouts + t.transport
        print(f"| {kind}{' (data)' if kind in DATA else ''} | {len(s)} | {pct(s, 50):.0f} | "
              f"{pct(s, 99):.0f} | {max(s, default=float('nan')):.0f} | {t.shed} | "
              f"{t.server_errors} | {t.timeouts} | {t.transport} | {t.client_errors} |")
    total = sum(len(t.seconds) for t in tallies.values())
    print(f"\nanswered {total} ({total / args.duration:.0f}/s); errors (5xx, timeouts, "
          f"connection): {errors}; shed with 503 + Retry-After: "
          f"{sum(t.shed for t in tallies.values())}")
    worst = max(pct([x for x in tallies[k].seconds], 99) for k in DATA)
    print(f"data endpoints p99: {worst * 1000:.0f} ms")
    print(f"server RSS (process tree): idle {idle_rss / mb:.0f} MB, peak {peak_rss / mb:.0f} "
          f"MB, after the run {end_rss / mb:.0f} MB")
    print(f"CPU during the load: server {cpu['server']:.0f} s, clients {cpu['clients']:.0f} s "
          f"of {os.cpu_count()} cores × {args.duration:.0f} s; machine load average "
          f"{cpu['load before']:.1f} at the start, {cpu['load average']:.1f} at the end (other "
          "processes share the cores)")
    if import_rc is not None:
        print(f"import: exit {import_rc} after {import_s:.0f} s (started with the load)"
              + (f"; last lines: {import_err}" if import_rc else ""))
    print("one worker's caches after the run (entries, MB held / bound): " + ", ".join(
        f"{k} {v['entries']}, {v['bytes'] / mb:.1f}/{v['max_bytes'] / mb:.0f}"
        for k, v in health["caches"].items()))
    for kind in KINDS:
        for ex in tallies[kind].examples:
            print(f"  e.g. {kind}: {ex}")
    locked = log.count("database is locked")
    if locked:
        print(f"server log: {locked} 'database is locked'")


if __name__ == "__main__":
    main()
