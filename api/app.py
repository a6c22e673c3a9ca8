"""FastAPI application factory (`uvicorn api.app:create_app --factory`).

Layers, outermost first: CORS (GET/HEAD only: writes are not cross-origin), the framing
policy (map pages may be framed anywhere, API responses nowhere), gzip for the few responses
that are not precompressed, the cache fast path (a cached body goes out without routing),
then the routes: OGC API – Features at the root, domain endpoints under /v1, map pages.
"""

from __future__ import annotations

import importlib.util
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from api import problems
from api.cache import LRU, render
from api.deps import StorePool
from api.respond import request_key
from frontwatch.serving import data_version
from frontwatch.settings import Settings

FRAMEABLE_PREFIXES = ("/maps/", "/embed/", "/oembed", "/charts/", "/assets/")
NOT_FRAMEABLE = [(b"x-frame-options", b"DENY"),
                 (b"content-security-policy", b"frame-ancestors 'none'"),
                 (b"x-content-type-options", b"nosniff")]
EXPOSED = ["ETag", "Link", "Content-Location", "Location", "X-Data-Attribution",
           "X-Data-Notice"]


class FastPath:
    """Serve a cached response straight from the LRU: one data-version query and a dict
    lookup, no routing, no dependency injection, no thread hop. Misses go to the routes,
    which fill the same cache under the same key (api.respond.cached)."""

    def __init__(self, app: ASGIApp, state: Any):
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") \
                and not scope["path"].startswith(FRAMEABLE_PREFIXES):
            with self.state.pool.store() as store:
                version = data_version(store)
            entry = self.state.cache.get(request_key(scope, version))
            if entry is not None:
                headers = dict(scope["headers"])
                status, raw, body = render(
                    entry, headers.get(b"accept-encoding", b"").decode("latin-1"),
                    (headers.get(b"if-none-match") or b"").decode("latin-1") or None,
                    scope["method"] == "HEAD")
                await send({"type": "http.response.start", "status": status, "headers": raw})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


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


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        app.state.pool.close()

    app = FastAPI(
        title="Frontwatch", version="0.1.0", lifespan=lifespan,
        description="Territorial control in the Donbas and Ukraine, versioned: GeoJSON "
        "snapshots for any date, area series, diffs, the front line, places, and OGC API – "
        "Features for QGIS/GDAL. Every data response credits its source.")
    app.state.settings = settings
    app.state.pool = StorePool(settings.database_url)
    app.state.cache = LRU()
    problems.install(app)

    from api.routes import analysis, ogc, places, upload, v1

    for module in (ogc, v1, upload, analysis, places):
        app.include_router(module.router)
    if importlib.util.find_spec("api.routes.maps") is not None:
        from api.routes import maps

        app.include_router(maps.router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(FastPath, state=app.state)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(FramingPolicy)
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "HEAD"],
                       allow_headers=["If-None-Match", "Accept-Encoding"],
                       expose_headers=EXPOSED, max_age=86400)
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, description=app.description,
                          routes=app.routes)
        doc.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "the server's FRONTWATCH_API_TOKEN"}}
        app.openapi_schema = doc
    return app.openapi_schema
