"""Serving under load: the heavy-request limiter (503 + Retry-After when its queue is full,
cheap requests served while heavy ones run), byte-bounded caches reported on /healthz, and
`frontwatch serve` starting one worker per core. Order-based: a heavy job blocks on an event
the test releases, never on a timer."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import inspect
import os
import pickle
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import Request
from fastapi.routing import APIRoute

from frontwatch import memo
from frontwatch.api.app import create_app
from frontwatch.api.deps import StoreDep
from frontwatch.api.heavy import HEAVY, HeavyLimiter, offload, on_render_threads
from frontwatch.errors import InputError, LimitExceeded, NotFound
from frontwatch.settings import CACHES, Settings, cores
from tests.helpers import free_port, until

GEOMETRY_READS = ("/v1/snapshots/latest?simplify=100", "/v1/snapshots/latest?region=x",
                  "/collections/control/items?bbox=30,45,40,50", "/v1/places?near_front_km=5")


def _app(store_path: Path, **overrides):
    settings = dataclasses.replace(Settings(database_url=str(store_path)), **overrides)
    app = create_app(settings)
    started, release = threading.Event(), threading.Event()

    @app.get("/test/slow", dependencies=[HEAVY])
    def slow(request: Request) -> dict[str, bool]:  # a deliberately slow heavy job
        started.set()
        return {"released": release.wait(timeout=30)}

    return app, started, release


def test_full_queue_answers_503_with_retry_after_and_cheap_requests_flow(store):
    app, started, release = _app(store.path, heavy_jobs=1, heavy_queue=1)
    limiter = app.state.heavy

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            # distinct URLs: identical ones would share one job (api.heavy.SingleFlight)
            first = asyncio.create_task(http.get("/test/slow?n=1"))
            await anyio.to_thread.run_sync(started.wait, 30)  # running, holding the slot
            second = asyncio.create_task(http.get("/test/slow?n=2"))
            await until(lambda: limiter.admitted == 2, "the second job queued")

            # the queue is full: a third heavy request is refused at once...
            refused = await http.get("/test/slow?n=3")
            assert refused.status_code == 503
            assert refused.headers["content-type"] == "application/problem+json"
            assert int(refused.headers["retry-after"]) >= 1
            assert "busy" in refused.json()["detail"]
            # ...and so is a real heavy route, before it touches the store
            assert (await http.get("/v1/frontline")).status_code == 503

            # geometry reads asked through a parameter have their own limiter: they never
            # queue behind a render (these answer from the empty store, not 503)
            for url in GEOMETRY_READS:
                assert (await http.get(url)).status_code != 503, url
            assert (await http.get("/v1/snapshots/latest")).status_code == 404  # no data: read

            # cheap requests (a store read, the health check) complete while the heavy job
            # still runs: neither the event loop nor the thread pool is held by the queue
            cheap = await http.get("/collections/places/items?limit=3")
            assert cheap.status_code == 200 and len(cheap.json()["features"]) == 3
            health = (await http.get("/healthz")).json()
            assert health["heavy"]["admitted"] == 2 and health["heavy"]["refused"] == 2
            assert not first.done() and not second.done() and not release.is_set()

            release.set()
            done = await asyncio.gather(first, second)
            assert [r.status_code for r in done] == [200, 200]
            assert all(r.json() == {"released": True} for r in done)
        assert limiter.admitted == 0

    anyio.run(scenario)


def test_a_request_that_cannot_get_a_slot_in_time_is_refused(store):
    app, started, release = _app(store.path, heavy_jobs=1, heavy_queue=4, heavy_wait_s=0.05)

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            first = asyncio.create_task(http.get("/test/slow?n=1"))
            await anyio.to_thread.run_sync(started.wait, 30)
            late = await http.get("/test/slow?n=2")  # the slot is held until release: must give up
            assert late.status_code == 503 and int(late.headers["retry-after"]) >= 1
            assert "no heavy-request slot came free" in late.json()["detail"]
            release.set()
            assert (await first).status_code == 200
        assert app.state.heavy.admitted == 0

    anyio.run(scenario)


def test_geometry_reads_are_refused_when_their_own_queue_is_full(store):
    app, _, _ = _app(store.path)
    app.state.geometry = HeavyLimiter(1, 0)  # no place at all: the next geometry read is shed
    app.state.geometry.admitted = 1

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            for url in GEOMETRY_READS:
                answer = await http.get(url)
                assert answer.status_code == 503 and "retry-after" in answer.headers, url
            assert (await http.get("/v1/snapshots/latest")).status_code == 404  # plain read
            assert (await http.get("/healthz")).json()["geometry"]["refused"] == 4

    anyio.run(scenario)


def _routes(routes) -> list[APIRoute]:
    """Every APIRoute, also those of included routers (FastAPI keeps them nested)."""
    found = []
    for r in routes:
        if isinstance(r, APIRoute):
            found.append(r)
        elif hasattr(r, "original_router"):
            found += _routes(r.original_router.routes)
    return found


def test_every_heavy_route_runs_on_lowered_render_threads(store):
    """Each route taking a HEAVY slot runs its body on the render threads, whose OS priority
    is below the process's, so cheap reads get the cores first under contention."""
    app, _, _ = _app(store.path)
    heavy = [r for r in _routes(app.routes)
             if HEAVY in r.dependencies and not r.path.startswith("/test/")]
    assert len(heavy) >= 10
    sync = [r.path for r in heavy if not getattr(r.endpoint, "on_render_threads", False)
            and not inspect.iscoroutinefunction(r.endpoint)]
    assert sync == [], "heavy sync routes outside the render threads"

    seen = {}

    @app.get("/test/where", dependencies=[HEAVY])
    @on_render_threads
    def where(request: Request, n: int = 1) -> dict[str, Any]:
        seen["thread"] = threading.current_thread().name
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        return {"n": n, "path": request.url.path}

    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        assert client.get("/test/where?n=3").json() == {"n": 3, "path": "/test/where"}
        assert client.get("/test/where?n=x").status_code == 400  # parameters still validated
    assert seen["thread"].startswith("frontwatch-render")
    assert seen["nice"] >= min(19, os.getpriority(os.PRIO_PROCESS, 0) + 1)


def where_it_ran(store, n: int) -> dict[str, Any]:
    """A render-process job (module-level, so it pickles by name): where it ran."""
    return {"n": n, "pid": os.getpid(), "nice": os.getpriority(os.PRIO_PROCESS, 0),
            "store": str(store.path)}


def stop_the_process(store) -> None:
    os._exit(3)  # as if the kernel had killed it (out of memory)


def _job_route(app) -> None:
    @app.get("/test/job", dependencies=[HEAVY])
    @on_render_threads
    def job(request: Request, store: StoreDep, n: int = 1, die: bool = False) -> Any:
        return offload(request, store, stop_the_process if die else where_it_ran,
                       *(() if die else (n,)))


def test_offloaded_work_runs_in_a_lowered_render_process_that_is_replaced_if_it_dies(store):
    """Renders and diffs leave the worker: they run in a child process (own GIL) at a lower
    OS priority; a child that dies costs its request a 503 + Retry-After, not the worker."""
    from fastapi.testclient import TestClient

    app, _, _ = _app(store.path)
    _job_route(app)
    with TestClient(app) as client:
        ran = client.get("/test/job?n=3").json()
        assert ran["n"] == 3 and ran["store"] == str(store.path)
        assert ran["pid"] != os.getpid()
        assert ran["nice"] >= min(19, os.getpriority(os.PRIO_PROCESS, 0) + 1)
        assert client.get("/test/job?n=x").status_code == 400  # parsed in the worker
        died = client.get("/test/job?die=true")
        assert died.status_code == 503 and int(died.headers["retry-after"]) >= 1
        assert died.headers["content-type"] == "application/problem+json"
        again = client.get("/test/job?n=4").json()  # a new process took its place
        assert again["n"] == 4 and again["pid"] not in (ran["pid"], os.getpid())
        health = client.get("/healthz").json()["render_processes"]
        assert health["processes"] == 1 and health["failures"] >= 1
        assert app.state.heavy.admitted == 0

    threads, _, _ = _app(store.path, render_processes=0)  # FRONTWATCH_RENDER_PROCESSES=0
    _job_route(threads)
    with TestClient(threads) as client:
        assert client.get("/test/job?n=5").json()["pid"] == os.getpid()


def sleep_then_note(store, seconds: float, note: str) -> str:
    """A render-process job that takes `seconds`, then leaves `note` (a file) behind."""
    time.sleep(seconds)
    Path(note).write_text("ran")
    return note


def test_a_render_past_its_deadline_is_a_503_and_a_job_it_delayed_is_skipped(store, tmp_path):
    """A render process's answer later than FRONTWATCH_RENDER_DEADLINE_S is a 503 +
    Retry-After (not a client's timeout); a job whose deadline passed while it waited behind
    it is never started (its request was answered already)."""
    from concurrent.futures import ThreadPoolExecutor

    from fastapi.testclient import TestClient

    app, _, _ = _app(store.path, render_deadline_s=3, heavy_jobs=2)

    @app.get("/test/sleep", dependencies=[HEAVY])
    @on_render_threads
    def sleep(request: Request, store: StoreDep, seconds: float, note: str) -> Any:
        return offload(request, store, sleep_then_note, seconds, note)

    first, second = tmp_path / "first", tmp_path / "second"
    procs = app.state.render_processes
    with TestClient(app) as client:
        procs.deadline_s = 300  # the first job imports this module in the child: not timed
        warm = client.get("/test/sleep", params={"seconds": 0, "note": str(tmp_path / "warm")})
        assert warm.status_code == 200, warm.text
        procs.deadline_s = 3
        with ThreadPoolExecutor(2) as pool:
            slow = pool.submit(client.get, "/test/sleep",
                               params={"seconds": 5, "note": str(first)})
            time.sleep(0.5)  # the second waits behind the first in the one render process
            queued = pool.submit(client.get, "/test/sleep",
                                 params={"seconds": 0, "note": str(second)})
            answers = [slow.result(), queued.result()]
        for r in answers:
            assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1
            assert r.headers["content-type"] == "application/problem+json"
            assert "did not finish within 3 s" in r.json()["detail"]
        for _ in range(60):  # the first ends in the child meanwhile; the second never starts
            if first.exists():
                break
            time.sleep(0.5)
        time.sleep(1)
        assert first.exists() and not second.exists()
        assert procs.stats()["late"] == 2


def test_renders_and_diffs_run_in_the_render_process_and_their_errors_come_back(real_db):
    """Every route whose body is offloaded does its work in the child; a 404 or 400 raised
    there is the same problem+json as in the worker (the errors pickle)."""
    from fastapi.testclient import TestClient

    app = create_app(Settings(database_url=str(real_db)))
    procs = app.state.render_processes
    on, region = "2025-06-01", "region=donetsk-oblast"
    with TestClient(app) as client:
        for url, status, detail in [
                (f"/maps/{on}.html?{region}", 200, ""),
                (f"/maps/{on}.png?{region}&width=400&height=300", 200, ""),
                (f"/maps/{on}.svg?{region}&width=400&height=300", 200, ""),
                (f"/charts/areas.png?{region}&width=400&height=300", 200, ""),
                (f"/v1/diff?from=2025-05-01&to={on}&{region}", 200, ""),
                (f"/maps/{on}.png?region=Atlantis", 404, "unknown region"),
                (f"/v1/diff?from=2025-05-01&to={on}&region=Atlantis", 404, "unknown region"),
                (f"/maps/{on}.png?from=2025-05-01", 400, "no static image")]:
            before = procs.jobs
            r = client.get(url)
            assert r.status_code == status, (url, r.text)
            assert procs.jobs == before + 1, f"{url} did not run in the render process"
            if detail:
                assert r.headers["content-type"] == "application/problem+json"
                assert detail in r.json()["detail"], url


def test_domain_errors_survive_pickling():
    """What a render process raises reaches the worker whole: message, code, attributes."""
    for exc in (InputError("width: too wide", origin="q"),
                NotFound("unknown region 'x'", suggestions=["donbas", "donetsk-oblast"]),
                LimitExceeded("too many features", origin="f.geojson",
                              limit="FRONTWATCH_MAX_FEATURES")):
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc) and str(back) == str(exc)
        assert vars(back) == vars(exc) and back.status_code == exc.status_code

def test_queued_heavy_jobs_run_one_at_a_time(store):
    app, _, release = _app(store.path, heavy_jobs=1, heavy_queue=4)
    running = []

    @app.get("/test/count", dependencies=[HEAVY])
    def count() -> dict[str, int]:
        running.append(1)
        peak = len(running)
        release.wait(timeout=30)
        running.pop()
        return {"peak": peak}

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            tasks = [asyncio.create_task(http.get(f"/test/count?n={i}")) for i in range(4)]
            await until(lambda: app.state.heavy.admitted == 4, "four jobs admitted")
            release.set()
            answers = await asyncio.gather(*tasks)
        assert [r.json()["peak"] for r in answers] == [1, 1, 1, 1]

    anyio.run(scenario)


def test_cache_is_bounded_in_bytes_and_evicts_least_recently_used():
    cache = memo.Cache("test", max_bytes=1000, sizeof=len, register=False)
    for i in range(5):
        cache.put(i, b"x" * 200)
    assert len(cache) == 5 and cache.bytes == 1000
    assert cache.get(0) is not None  # 0 is now the most recently used
    cache.put(5, b"y" * 200)
    assert cache.bytes <= 1000 and cache.get(1) is None and cache.get(0) is not None
    assert cache.stats()["evictions"] == 1
    cache.put("huge", b"z" * 300)  # more than a quarter of the bound: computed, not kept
    assert cache.get("huge") is None and cache.bytes <= 1000
    cache.resize(450)
    assert cache.bytes <= 450 and len(cache) == 2
    made = []
    assert cache.get_or_make("k", lambda: made.append(1) or b"v") == b"v"
    assert cache.get_or_make("k", lambda: made.append(1) or b"w") == b"v" and made == [1]


def test_every_cache_has_a_byte_bound_from_the_settings(monkeypatch):
    for module in ("frontwatch.analytics.areas", "frontwatch.analytics.front",
                   "frontwatch.render", "frontwatch.analytics.placestatus",
                   "frontwatch.feed"):  # importing them registers their caches
        importlib.import_module(module)

    assert set(memo.stats()) == set(CACHES) - {"response"}
    monkeypatch.setenv("FRONTWATCH_RENDER_CACHE_MB", "3")
    assert Settings().cache_bounds()["render"] == 3 * 2**20


def test_healthz_reports_cache_sizes(store):
    importlib.import_module("frontwatch.render")  # registers "render"
    settings = Settings(database_url=str(store.path))
    settings = dataclasses.replace(settings, cache_mb=(*settings.cache_mb, ("response", 2)))
    app = create_app(settings)
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        assert client.get("/collections/places/items?limit=2").status_code == 200
        caches = client.get("/healthz").json()["caches"]
    assert set(caches) >= set(CACHES)
    # one naming: each key is the cache FRONTWATCH_<KEY>_CACHE_MB bounds, and says so
    for name, (variable, _) in CACHES.items():
        assert variable == f"FRONTWATCH_{name.upper()}_CACHE_MB"
        assert caches[name]["setting"] == variable
    responses = caches["response"]
    assert responses["max_bytes"] == 2 * 2**20
    assert responses["entries"] >= 1 and 0 < responses["bytes"] <= responses["max_bytes"]
    for stats in caches.values():
        assert stats["bytes"] <= stats["max_bytes"]


def test_settings_default_to_one_worker_per_core_and_share_the_cores(monkeypatch):
    monkeypatch.delenv("FRONTWATCH_WORKERS", raising=False)
    monkeypatch.delenv("FRONTWATCH_HEAVY_JOBS", raising=False)
    assert Settings().workers == cores()
    assert Settings().heavy_jobs == 1  # cores ÷ workers
    monkeypatch.setenv("FRONTWATCH_WORKERS", "1")
    assert Settings().workers == 1 and Settings().heavy_jobs == cores()


def test_serve_starts_one_worker_per_core(store, tmp_path):
    """The real `frontwatch serve`, no --workers: as many worker processes as cores."""

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "FRONTWATCH_WORKERS"}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1] / "src"),
                                         str(Path(__file__).parents[1])])
    log = tmp_path / "serve.log"
    with log.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "frontwatch", "serve", "--db",
                                 str(store.path), "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).is_success:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"serve did not start: {log.read_text()}")
            time.sleep(0.3)
        workers = [pid for pid in _children(proc.pid)
                   if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(workers) == (cores() if cores() > 1 else 0)  # 1 core: in-process
        assert f"with {cores()} worker" in log.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


def test_serve_hands_its_settings_to_the_workers_not_the_environment(store, tmp_path):
    """`serve --db X --workers 2`: both workers serve X with the cores shared out between
    them, though neither the serving process nor its workers have the store in their
    environment (the settings travel with the app factory)."""

    from frontwatch.ingest import ImportOptions, import_paths
    from tests.helpers import OCC, deepstate_fc, square, wait_until_serving, write

    import_paths(store, [write(tmp_path / "1735732800.geojson", deepstate_fc((OCC, square())))],
                 ImportOptions())
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("FRONTWATCH_WORKERS", "FRONTWATCH_HEAVY_JOBS", "FRONTWATCH_DATABASE_URL")}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1] / "src"),
                                         str(Path(__file__).parents[1])])
    log = tmp_path / "serve.log"
    renders: list[int] = []
    with log.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "frontwatch", "serve", "--db",
                                 str(store.path), "--port", str(port), "--workers", "2"],
                                env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        wait_until_serving(proc, f"http://127.0.0.1:{port}")
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30)
        assert health.json()["heavy"]["running_max"] == max(1, cores() // 2)
        first = httpx.get(f"http://127.0.0.1:{port}/v1/snapshots/latest", timeout=30)
        assert first.status_code == 200, first.text  # the --db store, not the default one
        workers = [pid for pid in _children(proc.pid)
                   if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(workers) == 2
        for pid in (proc.pid, *workers):
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            assert b"FRONTWATCH_DATABASE_URL" not in environ
            assert b"FRONTWATCH_WORKERS" not in environ
        # each worker's render process (started with the worker) ...
        for _ in range(1200):
            renders = [pid for w in workers for pid in _children(w)
                       if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
            if len(renders) == 2:
                break
            time.sleep(0.1)
        assert len(renders) == 2
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    # ... ends with it: none is left behind, orphaned
    for _ in range(600):
        if not any(_running(pid) for pid in renders):
            break
        time.sleep(0.1)
    assert not any(_running(pid) for pid in renders), "render processes outlived the server"


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
