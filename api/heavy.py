"""Admission control for CPU-heavy requests (map pages, images, charts, diffs, front lines,
uploads): at most `running` of them compute at once in a worker, at most `waiting` more wait
for a slot — without holding a thread, for at most `max_wait` seconds — and any further one
(or one that waited too long) is refused with 503 and `Retry-After` instead of timing out.
Cheap requests (cached bodies, snapshots, area series) never wait here, so they stay fast
while renders queue.

Routes opt in with `dependencies=[HEAVY]`: the slot is taken before the route's other
dependencies (store, parsing) and given back when the route function returns
(`scope="function"`), before its response is sent. Their bodies run on this process's *render
threads* (`@on_render_threads`) at a lower OS priority (nice +10), so under CPU contention the
kernel — not the order requests arrived in — gives the cheap reads the cores first, and a
render only takes what they leave.

The CPU-bound part of the renders and diffs goes further, to this worker's *render
process(es)* (`offload`, :mod:`frontwatch.jobs`; `FRONTWATCH_RENDER_PROCESSES`, default 1,
at nice +10 too): threads of one process share its GIL, so a render on a render thread still
made the worker's data requests wait for the interpreter, whatever the OS priorities. The
render thread only waits for the child's answer (without the GIL), and the limiter's slot is
held meanwhile, so admission and 503s are unchanged.

Geometry reads asked for through a parameter (`heavy_when`: clipping a snapshot to a region,
simplifying, an OGC `bbox`, `near_front_km`) are data requests: they have their own, smaller
limiter (`app.state.geometry`) with a short wait, so they never queue behind a render.

Identical heavy requests arriving together are one job (`SingleFlight`, `Flights`): the
first starts it, the others wait for it and get the same answer, so twenty clients asking for
the same new map cost one render and one slot, not twenty.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import math
import multiprocessing
import re
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Hashable
from concurrent.futures import CancelledError, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from starlette.routing import compile_path, get_route_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontwatch import jobs, priority
from frontwatch.api.problems import Problem, problem_response
from frontwatch.api.respond import request_key
from frontwatch.store.base import SqlStore


class HeavyLimiter:
    """`running` slots and `waiting` queue places for one worker process's event loop(s).

    Counting happens on the event loop thread (no await between test and increment), so it
    needs no lock; the semaphore is per loop because asyncio primitives belong to one."""

    def __init__(self, running: int, waiting: int, max_wait: float = 10.0):
        if running < 1 or waiting < 0 or max_wait <= 0:
            raise ValueError("heavy jobs: running ≥ 1, waiting ≥ 0, max_wait > 0")
        self.running, self.waiting, self.max_wait = running, waiting, max_wait
        self.admitted = 0  # running + waiting now
        self.refused = 0
        self._seconds = 1.0  # moving average of a job's duration, for Retry-After
        self._sems: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        sem = self._sems.get(loop)
        if sem is None:
            sem = self._sems[loop] = asyncio.Semaphore(self.running)
        return sem

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: the queue ahead, at the average job time."""
        return max(1, min(60, math.ceil(self._seconds * self.admitted / self.running)))

    def _busy(self, why: str) -> Problem:
        self.refused += 1
        wait = self.retry_after()
        return Problem(503, f"busy: {why}; retry in {wait} s", headers={"Retry-After": str(wait)})

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a running slot for the body; raise a 503 Problem when the queue is full or
        no slot came free within max_wait."""
        if self.admitted >= self.running + self.waiting:
            raise self._busy(f"{self.running} heavy requests are running and {self.waiting} "
                             "waiting in this worker")
        self.admitted += 1
        try:
            sem = self._semaphore()
            try:
                async with asyncio.timeout(self.max_wait):
                    await sem.acquire()
            except TimeoutError:
                raise self._busy(f"no heavy-request slot came free in {self.max_wait:g} s"
                                 ) from None
            started = time.monotonic()
            try:
                yield
            finally:
                sem.release()
                took = time.monotonic() - started
                self._seconds = 0.8 * self._seconds + 0.2 * took
        finally:
            self.admitted -= 1

    def stats(self) -> dict[str, int]:
        return {"running_max": self.running, "waiting_max": self.waiting,
                "max_wait_s": self.max_wait, "admitted": self.admitted,
                "refused": self.refused}


async def heavy_slot(request: Request) -> AsyncIterator[None]:
    """The dependency: one slot of the app's limiter (app.state.heavy) for this request."""
    async with request.app.state.heavy.slot():
        yield


HEAVY = Depends(heavy_slot, scope="function")


def heavy_when(*names: str) -> Any:
    """A dependency taking a geometry-read slot (`app.state.geometry`) only when the request
    asks for geometry work through one of these query parameters (clipping to a region,
    simplifying, a bbox, a distance): the plain form of the route stays a cheap, cacheable
    read."""

    async def slot_if_asked(request: Request) -> AsyncIterator[None]:
        if any(name in request.query_params for name in names):
            async with request.app.state.geometry.slot():
                yield
        else:
            yield

    return Depends(slot_if_asked, scope="function")


# Render threads: a renice of a thread cannot be undone without privilege, so heavy bodies run
# on threads of their own, lowered once when each starts. The limiter bounds how many run at
# once; the pool only has to be at least that large.
NICE = 10
STARTUP_S = 120.0  # longest wait for a render process to start before a 503
RENDER_THREADS = 16
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
T = TypeVar("T")


def _lower_priority() -> None:
    """Lower the calling render thread's scheduling priority by NICE (Linux: per thread)."""
    priority.lower(NICE, thread=True)


def render_pool() -> ThreadPoolExecutor:
    """This process's render threads (created on first use; a forked worker makes its own)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(RENDER_THREADS, thread_name_prefix="frontwatch-render",
                                       initializer=_lower_priority)
        return _pool


def on_render_threads(endpoint: Callable[..., T]) -> Callable[..., Any]:
    """Run a synchronous route function on the render threads instead of the shared pool.

    FastAPI reads the wrapper's signature through `__wrapped__`, so parameters and
    dependencies are those of `endpoint`; context variables are carried over."""

    @functools.wraps(endpoint)
    async def run(*args: Any, **kwargs: Any) -> T:
        call = functools.partial(contextvars.copy_context().run, endpoint, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(render_pool(), call)

    run.on_render_threads = True  # type: ignore[attr-defined]
    return run


class RenderProcesses:
    """An app's render processes (`size` of them, spawned on first use, at nice +10, their
    caches bounded like the worker's); `create_app` makes them when
    FRONTWATCH_RENDER_PROCESSES is above 0 and closes them at shutdown."""

    def __init__(self, size: int, cache_bounds: dict[str, int], deadline_s: float = 20.0):
        self.size, self.cache_bounds, self.deadline_s = size, dict(cache_bounds), deadline_s
        self.jobs = self.failures = self.late = 0
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                # spawn, not fork: the worker has threads (a fork could copy a held lock)
                self._executor = ProcessPoolExecutor(
                    self.size, mp_context=multiprocessing.get_context("spawn"),
                    initializer=jobs.start, initargs=(self.cache_bounds, NICE))
                self._up = self._executor.submit(int)  # done once a process is up
            return self._executor

    def warm(self) -> None:
        """Start the processes now (their imports take seconds) rather than on the first
        render; returns at once."""
        ex = self.executor()
        for _ in range(self.size):
            ex.submit(int)

    def call(self, url: str, func: Callable[..., T], *args: Any) -> T:
        """`func(store, *args)` in a render process, on the store at `url`; blocks the
        calling (render) thread without holding the GIL. A process that died (killed, out
        of memory) is replaced, and the request answered 503 + Retry-After; so is one whose
        answer takes longer than `deadline_s` (the process skips it if it has not started)."""
        ex = self.executor()
        self.jobs += 1
        try:
            try:  # a process starting (imports: seconds, a minute when loaded) is not late
                self._up.result(timeout=STARTUP_S)
            except FutureTimeout:
                raise Problem(503, "busy: the render process is starting; retry in 10 s",
                              headers={"Retry-After": "10"}) from None
            future = ex.submit(jobs.run, url, time.time() + self.deadline_s, func, *args)
            try:
                return future.result(timeout=self.deadline_s)
            except (FutureTimeout, jobs.Expired):
                self.late += 1
                future.cancel()
                raise Problem(503, f"busy: the render did not finish within "
                              f"{self.deadline_s:g} s; retry in 10 s",
                              headers={"Retry-After": "10"}) from None
        except CancelledError:  # close(): the server stops before the job started
            raise Problem(503, "busy: the server is shutting down; retry in 5 s",
                          headers={"Retry-After": "5"}) from None
        except BrokenProcessPool:
            self.failures += 1
            with self._lock:
                if self._executor is ex:
                    self._executor = None
            ex.shutdown(wait=False, cancel_futures=True)
            raise Problem(503, "busy: a render process stopped; retry in 5 s",
                          headers={"Retry-After": "5"}) from None

    def close(self) -> None:
        with self._lock:
            ex, self._executor = self._executor, None
        if ex is not None:
            ex.shutdown(wait=True, cancel_futures=True)

    def stats(self) -> dict[str, int]:
        return {"processes": self.size, "jobs": self.jobs, "failures": self.failures,
                "late": self.late, "deadline_s": self.deadline_s}


def offload(request: Request, store: SqlStore, func: Callable[..., T], *args: Any) -> T:
    """`func(store, *args)` in this worker's render process (`func` a module-level domain
    function, `args` picklable; see frontwatch.jobs), or right here on `store` when the app
    has none (FRONTWATCH_RENDER_PROCESSES=0). Call it from a render thread."""
    procs = request.app.state.render_processes
    if procs is None:
        return func(store, *args)
    return procs.call(request.app.state.settings.database_url, func, *args)


# --- single flight ------------------------------------------------------------------------
# Request headers a heavy route's answer depends on besides the URL (host: absolute links;
# accept: an OGC page's HTML variant; accept-encoding and if-none-match: api.cache.render).
# Origin is not one: CORS is applied outside, per request.
KEYED_HEADERS = (b"accept", b"accept-encoding", b"if-none-match")


class Flights:
    """The heavy jobs in flight in one worker, by request key: at most `max_flights` (a
    request beyond that runs on its own, still bounded by the heavy limiter), each removed
    when its job ends, however it ends. A requester waits at most `wait_s` for a job (then
    503 + Retry-After; the job goes on and fills the caches). Event-loop thread only."""

    def __init__(self, max_flights: int, wait_s: float):
        if max_flights < 1 or wait_s <= 0:
            raise ValueError("single flight: max_flights ≥ 1, wait_s > 0")
        self.max_flights, self.wait_s = max_flights, wait_s
        self._jobs: dict[Hashable, asyncio.Task[list[Message]]] = {}
        self.leaders = self.followers = self.unmerged = self.gave_up = 0

    def __len__(self) -> int:
        return len(self._jobs)

    def join(self, key: Hashable, start: Callable[[], Any]
             ) -> asyncio.Task[list[Message]] | None:
        """The job in flight for `key`, or a new one (`start()`, a coroutine, as its own
        task: no requester's cancellation reaches it); None when the table is full."""
        job = self._jobs.get(key)
        if job is not None:
            self.followers += 1
            return job
        if len(self._jobs) >= self.max_flights:
            self.unmerged += 1
            return None
        self.leaders += 1
        job = self._jobs[key] = asyncio.get_running_loop().create_task(start())
        job.add_done_callback(functools.partial(self._ended, key))
        return job

    def _ended(self, key: Hashable, job: asyncio.Task) -> None:
        if self._jobs.get(key) is job:
            del self._jobs[key]
        if not job.cancelled():
            job.exception()  # retrieved here: a job whose requesters all left logs nothing

    def stats(self) -> dict[str, float]:
        return {"in_flight": len(self._jobs), "max_flights": self.max_flights,
                "leaders": self.leaders, "followers": self.followers,
                "unmerged": self.unmerged, "gave_up": self.gave_up, "wait_s": self.wait_s}


class SingleFlight:
    """ASGI middleware (innermost, just outside the routes' error handlers): a GET to a
    route that takes a heavy slot (HEAVY) joins the job in flight for the same request —
    same data version, URL, host and KEYED_HEADERS — or starts it. The job runs the rest of
    the app in a task of its own, its response (problem+json errors included) captured and
    replayed to every requester; an exception it raises is raised for each (a 500 each).
    HEAD arrives here as GET (api.app.HeadAsGet) and shares the job too.

    `version()` is the store's data version (api.app.FastPath.version: re-read at most every
    0.1 s), so a request made after an import never joins a job reading the data before it.
    """

    def __init__(self, app: ASGIApp, flights: Flights, version: Callable[[], Hashable]):
        self.app, self.flights, self.version = app, flights, version
        self._heavy: list[APIRoute] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not self._is_heavy(scope):
            await self.app(scope, receive, send)
            return
        try:
            key = (request_key(scope, self.version()), scope.get("root_path", ""),
                   tuple(h for h in scope["headers"] if h[0] in KEYED_HEADERS))
        except Exception:  # the store cannot be read: the route says why, on its own
            await self.app(scope, receive, send)
            return
        job = self.flights.join(key, functools.partial(self._run, dict(scope)))
        if job is None:
            await self.app(scope, receive, send)
            return
        try:
            async with asyncio.timeout(self.flights.wait_s):
                messages = await asyncio.shield(job)  # a requester leaving: not the job
        except TimeoutError:
            self.flights.gave_up += 1
            wait = 10
            response = problem_response(
                503, f"busy: the same request has been computing for over "
                f"{self.flights.wait_s:g} s; retry in {wait} s", scope.get("path"),
                {"Retry-After": str(wait)})
            await response(scope, receive, send)
            return
        except asyncio.CancelledError as exc:
            # uvicorn's graceful-shutdown timeout cancels the requests still waiting (its
            # message says so): answered like a render refused at shutdown, where raising
            # logged a traceback for each. Any other cancellation is the caller's: raised.
            # The shielded job goes on either way until the server stops.
            if not _at_shutdown(exc):
                raise
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            response = problem_response(
                503, "busy: the server is shutting down; retry in 5 s", scope.get("path"),
                {"Retry-After": "5"})
            with contextlib.suppress(Exception):  # the connection may be gone already
                await response(scope, receive, send)
            return
        for message in messages:  # copies: outer layers edit the headers they are sent
            await send({**message, "headers": list(message["headers"])}
                       if "headers" in message else dict(message))

    def _is_heavy(self, scope: Scope) -> bool:
        if self._heavy is None:  # the routes are all registered by the first request
            self._heavy = heavy_get_paths(scope["app"].routes)
        path = get_route_path(scope)
        return any(pattern.match(path) for pattern in self._heavy)

    async def _run(self, scope: Scope) -> list[Message]:
        """The app's answer to a GET, captured: it reads no body, and is never told of a
        disconnect (it answers whoever still waits)."""
        messages: list[Message] = []
        asked = False

        async def receive() -> Message:
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()  # no more body, no disconnect: until cancelled
            raise AssertionError("unreachable")

        async def capture(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, capture)
        return messages


def _at_shutdown(cancel: asyncio.CancelledError) -> bool:
    """The cancellation is uvicorn's at the end of its graceful shutdown (it cancels each
    request task with this message, in every version with `timeout_graceful_shutdown`)."""
    return any("graceful shutdown" in str(arg) for arg in cancel.args)


def heavy_get_paths(routes: list, prefix: str = "") -> list[re.Pattern[str]]:
    """The path patterns of the GET routes taking a heavy slot, included routers' too
    (FastAPI keeps them nested, under their prefix)."""
    found: list[re.Pattern[str]] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found += heavy_get_paths(inner.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute) and "GET" in route.methods and _takes_heavy_slot(
                route):
            found.append(compile_path(prefix + route.path)[0])
    return found


def _takes_heavy_slot(route: APIRoute) -> bool:
    """Whether `heavy_slot` is among the route's dependencies (its router's included)."""
    todo = [route.dependant]
    while todo:
        dependant = todo.pop()
        if dependant.call is heavy_slot:
            return True
        todo.extend(dependant.dependencies)
    return False
