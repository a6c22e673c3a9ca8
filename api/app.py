"""FastAPI application factory (`uvicorn frontwatch.api.app:create_app --factory`).

Layers, outermost first: the cache fast path (a cached body goes out without routing), CORS
(GET/HEAD only: writes are not cross-origin; api.cors), the framing policy (map pages may be framed
anywhere, API responses nowhere), gzip for the few responses that are not precompressed,
then the routes: OGC API – Features at the root, domain endpoints under /v1, map pages.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import os
import time
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from frontwatch import memo
from frontwatch.analytics import precompute  # noqa: F401  (registers ingest's hooks)
from frontwatch.api import openapi30, problems, warm, wire
from frontwatch.api.cache import ready, render
from frontwatch.api.cors import READ_HEADERS, READ_METHODS, ReadOnlyCors
from frontwatch.api.deps import StorePool
from frontwatch.api.headers import OWN as OWN_HEADERS
from frontwatch.api.heavy import (
    STARTUP_S,
    Flights,
    HeavyLimiter,
    RenderProcesses,
    SingleFlight,
)
from frontwatch.api.respond import request_key
from frontwatch.errors import FrontwatchError, NotFound
from frontwatch.lookup import default_source
from frontwatch.settings import Settings
from frontwatch.store import open_store
from frontwatch.store.base import SqlStore

FRAMEABLE_PREFIXES = ("/maps/", "/embed/", "/oembed", "/charts/", "/assets/")
NOT_FRAMEABLE = [(b"x-frame-options", b"DENY"),
                 (b"content-security-policy", b"frame-ancestors 'none'"),
                 (b"x-content-type-options", b"nosniff")]
EXPOSED = ["ETag", "Link", "Content-Location", "Location", "Content-Crs", *OWN_HEADERS]
CORS_SIMPLE = [(b"access-control-allow-origin", b"*"),
               (b"access-control-expose-headers", ", ".join(EXPOSED).encode())]


class FastPath:
    """Serve a cached response straight from the response cache, before FastAPI's middleware,
    routing, dependency injection and thread hop: one data-version query and a dict lookup. It adds
    what those layers would have (framing policy, CORS for GET). Misses go down the normal
    stack, whose routes fill the same cache under the same key (api.respond.cached).

    Runs only on the event-loop thread, so it keeps one store connection of its own. The
    data version is re-read at most every RECHECK seconds (it costs as much as the rest of
    the fast path); writes through this process reset it at once (`invalidate`), so only
    writes by other processes (CLI imports, other workers) can take up to RECHECK to show."""

    RECHECK = 0.1

    def __init__(self, state: Any):
        self.state = state
        self._store: SqlStore | None = None
        self._version: tuple = ()
        self._checked = -1.0

    def invalidate(self) -> None:
        self._checked = -1.0

    def version(self) -> tuple:
        now = time.monotonic()
        if now - self._checked > self.RECHECK:
            if self._store is None:
                try:
                    self._store = open_store(self.state.settings.database_url, create=False)
                except NotFound:  # no store yet (reads see an empty one): no fast path
                    self._version, self._checked = (), now
                    return self._version
            self._version, self._checked = self._store.data_version(), now
        return self._version

    async def serve(self, scope: Scope, send: Send) -> bool:
        if scope["method"] not in ("GET", "HEAD") or scope["path"].startswith(
                FRAMEABLE_PREFIXES) or not len(self.state.cache):
            return False
        entry = self.state.cache.get(request_key(scope, self.version()))
        if entry is None or not entry.holds():
            return False  # not cached, or an earlier day's `latest`: the route rebuilds it
        headers = dict(scope["headers"])
        accept = headers.get(b"accept-encoding", b"").decode("latin-1")
        if not ready(entry, accept):
            return False  # an encoding not made yet: the route compresses it, off the loop
        status, raw, body = render(
            entry, accept,
            (headers.get(b"if-none-match") or b"").decode("latin-1") or None,
            scope["method"] == "HEAD")
        raw += NOT_FRAMEABLE
        if b"origin" in headers:
            raw += CORS_SIMPLE
        else:  # as Starlette's CORS says on a miss: the answer differs with an Origin
            raw.append((b"vary", b"Origin"))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})
        return True

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def one_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` with a single `Vary` naming each header once. Several layers add to it (a
    cached entry: Accept-Encoding, OGC pages: Accept, Starlette's GZipMiddleware:
    Accept-Encoding again even when it compresses nothing, CORS: Origin), which gave
    `vary: Accept-Encoding, Accept-Encoding, Origin` or two Vary lines."""
    varies = [v for k, v in headers if k.lower() == b"vary"]
    if not varies or (len(varies) == 1 and b"," not in varies[0]):
        return headers
    tokens: dict[bytes, bytes] = {}
    for value in varies:
        for token in value.split(b","):
            if token.strip():
                tokens.setdefault(token.strip().lower(), token.strip())
    return [*(h for h in headers if h[0].lower() != b"vary"),
            (b"vary", b", ".join(tokens.values()))]


class App(FastAPI):
    """FastAPI with the cache fast path in front of everything (OpenTelemetry included),
    and every response's Vary made one header (see one_vary): the one place all responses
    pass, whichever layers added to it."""

    fast_path: FastPath

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            send = _with_one_vary(send)
            if await self.fast_path.serve(scope, send):
                return
        await super().__call__(scope, receive, send)


def _with_one_vary(send: Send) -> Send:
    async def sender(message: dict) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = one_vary(list(message.get("headers", [])))
        await send(message)
    return sender


class FramingPolicy:
    """`X-Frame-Options: DENY` and `frame-ancestors 'none'` on everything but map pages."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(FRAMEABLE_PREFIXES):
            await self.app(scope, receive, send)
            return

        async def with_policy(message: dict) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in NOT_FRAMEABLE if k not in have]
            await send(message)

        await self.app(scope, receive, with_policy)


class HeadAsGet:
    """HEAD on every GET route (RFC 9110 §9.3.2): answered as the GET would be, with the
    same status and headers (Content-Length included) and no body. FastAPI registers GET
    routes without HEAD, so without this a HEAD was a 405 unless the cache fast path had
    the URL."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: dict) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if app.state.render_processes is not None:
            app.state.render_processes.warm()  # imports take seconds: not on a first render
        # the threads that run data requests: a few more than the cores, so that a burst of
        # uncached reads queues (first come, first served) instead of sharing the interpreter
        # lock thirty ways and starving the event loop that answers everything else
        to_thread.current_default_thread_limiter().total_tokens = settings.data_threads
        follower = None
        if settings.warm:
            try:
                version = app.fast_path.version()
            except Exception:  # unreadable now: the first readable version warms
                version = ()
            paths = _warm_paths(app)
            fill = functools.partial(warm.prefill, app.state.pool, done=set())  # texts
            app.state.warm = {**await warm.warm(app, paths, prefill=fill),
                              "data_version": list(version), "round": 1}
            # new data (an import by another process) warms again, in the background
            follower = asyncio.create_task(warm.follow(
                app, app.fast_path.version, lambda: _warm_paths(app), version,
                frozen=warm.has_data(paths), prefill=fill))
        yield
        if follower is not None:
            follower.cancel()
        app.state.pool.close()
        app.fast_path.close()
        if app.state.render_processes is not None:
            app.state.render_processes.close()

    app = App(
        title="Frontwatch", version="0.1.0", lifespan=lifespan,
        docs_url=None, redoc_url=None,  # api.routes.docs: served without a CDN
        description="Territorial control in the Donbas and Ukraine, versioned: GeoJSON "
        "snapshots for any date, area series, diffs, the front line, places, and OGC API – "
        "Features for QGIS/GDAL. Every data response credits its source.")
    app.state.settings = settings
    app.state.warm = None  # the warm-up's report (api.warm), once the lifespan has run it
    app.state.pool = StorePool(settings.database_url)
    bounds = settings.cache_bounds()
    memo.configure(bounds)
    app.state.cache = memo.Cache("response", bounds["response"], register=False)
    app.state.heavy = HeavyLimiter(settings.heavy_jobs, settings.heavy_queue,
                                   settings.heavy_wait_s)
    # geometry reads (api.heavy.heavy_when) run beside the renders, one more at a time
    app.state.geometry = HeavyLimiter(settings.heavy_jobs + 1, 2 * settings.heavy_queue,
                                      settings.geometry_wait_s)
    app.state.render_processes = (RenderProcesses(
        settings.render_processes, bounds, settings.render_deadline_s)
        if settings.render_processes > 0 else None)  # None: renders on the render threads
    # identical heavy requests share one job (api.heavy.SingleFlight): each job holds at most
    # one heavy slot, so twice the limiter's places bound the table; a requester waits for
    # as long as a job can take (a slot, a render process starting, a render) before a 503
    app.state.flights = Flights(2 * (settings.heavy_jobs + settings.heavy_queue),
                                settings.heavy_wait_s + STARTUP_S + settings.render_deadline_s
                                + 5)
    app.fast_path = FastPath(app.state)
    problems.install(app)

    from frontwatch.api.routes import analysis, compare, docs, feeds, ogc, places, upload, v1

    for module in (docs, ogc, v1, upload, analysis, compare, places, feeds):
        app.include_router(module.router)
    if importlib.util.find_spec("frontwatch.api.routes.maps") is not None:
        from frontwatch.api.routes import maps

        app.include_router(maps.router)

    from frontwatch.render import assets

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, Any]:
        """Liveness, plus this worker's caches (entries, bytes, bound), heavy-request queue
        and connections (open, the limit, refused so far: api.wire; null outside `frontwatch
        serve`), and the map assets (what is missing, the fix: the service runs without
        them); on the event loop, so it answers even when every thread is busy."""
        return {"status": "ok", "worker": os.getpid(),
                "data_threads": to_thread.current_default_thread_limiter().total_tokens,
                "assets": assets.health(settings.assets),
                "caches": memo.stats(app.state.cache),
                "heavy": app.state.heavy.stats(), "geometry": app.state.geometry.stats(),
                "flights": app.state.flights.stats(),
                "render_processes": app.state.render_processes.stats()
                if app.state.render_processes is not None else {"processes": 0},
                "connections": wire.connection_stats(), "warm": app.state.warm}

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    # innermost: replays the routes' answers (problem+json included) before gzip and CORS
    app.add_middleware(SingleFlight, flights=app.state.flights, version=app.fast_path.version)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(FramingPolicy)
    app.add_middleware(ReadOnlyCors, allow_origins=["*"], allow_methods=READ_METHODS,
                       allow_headers=READ_HEADERS, expose_headers=EXPOSED, max_age=86400)
    app.add_middleware(HeadAsGet)  # outermost: every layer below sees the GET it answers
    return app


def _warm_paths(app: FastAPI) -> list[str]:
    """The warm-up's reads for this app's store (none when the store cannot be read: the
    routes will say why to the first client that asks)."""
    try:
        with app.state.pool.store() as store:
            return warm.warm_paths(store, default_source(store, app.state.settings.source))
    except FrontwatchError as exc:
        warm.log.warning("warm-up skipped: %s", exc)
        return []


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, description=app.description,
                          routes=app.routes)
        doc.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "the server's FRONTWATCH_API_TOKEN"}}
        from frontwatch.api.routes import ogc

        ogc.refine_openapi(doc)
        app.openapi_schema = openapi30.downgrade(doc)  # what the OGC `oas30` class names
    return app.openapi_schema
