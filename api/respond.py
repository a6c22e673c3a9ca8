"""How data routes answer: build the body once per (data version, URL), then serve the cached
bytes with ETag, conditional GET and precomputed compression (see api.cache)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import date
from typing import Any

import orjson
from fastapi import Request
from starlette.responses import Response

from frontwatch.api import negotiate
from frontwatch.api.cache import Entry, make_entry, render
from frontwatch.model import DEMO_NOTICE
from frontwatch.precision import fixed_point
from frontwatch.sources import attribution
from frontwatch.store.base import SqlStore

GEOJSON = "application/geo+json"
JSON = "application/json"
IMMUTABLE = "public, max-age=31536000, immutable"
DATED = "public, max-age=300"  # the state on a date can still gain a revision
LATEST = "public, max-age=60"
ORJSON_OPTS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def request_key(scope: dict[str, Any], version: Hashable) -> Hashable:
    """Everything a cached body depends on: the data, the URL as the client wrote it (the
    host appears in absolute links) and, for OGC resources, whether a browser asked (HTML).
    Not the calendar: the few answers that count an age to today carry their day in their
    entry instead (Entry.day, see :func:`cached`), so no other URL is cached once a day."""
    host = next((v for k, v in scope["headers"] if k == b"host"), b"")
    return (version, scope.get("scheme"), host, scope["path"],
            scope.get("query_string", b""), negotiate.variant(scope))


class Prebuilt(Response):
    """A response whose status, raw headers and body were made by api.cache.render."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes):
        self.status_code = status
        self.raw_headers = headers
        self.body = body
        self.background = None


def send(request: Request, entry: Entry) -> Response:
    status, headers, body = render(entry, request.headers.get("accept-encoding", ""),
                                   request.headers.get("if-none-match"),
                                   request.method == "HEAD")
    return Prebuilt(status, headers, body)


def cached(request: Request, store: SqlStore, build: Callable[[], Entry],
           day: date | None = None) -> Response:
    """The response for this URL from the cache, built with `build()` on a miss.

    `day`: the UTC day the answer holds for, ``dates.today_part(on)`` from a route that
    counts the age of what it shows to the date asked for, `on` (the latest state: today,
    so it is rebuilt tomorrow; a date: None). The one calendar rule of every cache; the
    routes whose answer does not depend on today leave it None and are cached across days.
    Taken by the caller before `build()` runs, so it is never later than the age counted."""
    cache = request.app.state.cache
    key = request_key(request.scope, store.data_version())
    entry = cache.get(key)
    fresh = entry is None or not entry.holds()
    if fresh:
        entry = build()
        entry.day = day
    size = entry.size
    response = send(request, entry)
    if fresh or entry.size != size:
        cache.put(key, entry)  # new, or it grew an encoding: the cache counts its bytes again
    return response


def credit_headers(source: str | Sequence[str], illustrative: bool = False
                   ) -> dict[str, str]:
    """Attribution in a header too, for clients that only look at the body's geometry;
    several sources (a comparison): their credits joined by "; ", as the body's."""
    names = [source] if isinstance(source, str) else list(dict.fromkeys(source))
    out = {"X-Data-Attribution": "; ".join(attribution(s) for s in names)}
    if illustrative:
        out["X-Data-Notice"] = DEMO_NOTICE
    return out


def credit(doc: dict[str, Any], source: str, illustrative: bool = False) -> dict[str, Any]:
    """Add the attribution (and the demo notice) members a data document must carry."""
    doc["attribution"] = attribution(source)
    if illustrative:
        doc["illustrative"] = True
        doc["notice"] = DEMO_NOTICE
    return doc


def csv_entry(frame: Any, name: str, headers: dict[str, str] | None = None) -> Entry:
    """A DataFrame as `name`.csv (shown inline, named for a save), without its index, its
    quantities fixed-point with their decimals (frontwatch.precision.fixed_point)."""
    return make_entry(fixed_point(frame).to_csv(index=False).encode(),
                      "text/csv; charset=utf-8",
                      {**(headers or {}), "Content-Disposition": f'inline; filename="{name}.csv"'})


def json_entry(doc: Any, headers: dict[str, str] | None = None,
               media_type: str = JSON) -> Entry:
    return make_entry(orjson.dumps(doc, option=ORJSON_OPTS), media_type, headers)
