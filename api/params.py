"""Parse query parameters into domain values with errors that name the parameter and say why
(raised as InputError → 400 problem+json)."""

from __future__ import annotations

import math
from datetime import date, datetime

from fastapi import Request
from fastapi.routing import APIRoute

from frontwatch import dates, values
from frontwatch.errors import InputError, NotFound
from frontwatch.snapshots import STATUS_CHOICES

MAX_SIMPLIFY_M = 50_000.0


def day(text: str, name: str) -> date:
    """A day that is not in the future (frontwatch.dates holds the rules)."""
    return dates.day(text, name)


def instant(text: str, name: str) -> datetime:
    """A day (→ its end, 23:59:59Z, as 'the state on that date') or an ISO 8601 date-time
    (UTC unless an offset is given); not in the future."""
    return dates.instant(text, name)


def day_or_instant(text: str, name: str) -> date | datetime:
    """What `store.resolve` takes: a calendar date (state at its end) or an exact instant."""
    return dates.day_or_instant(text, name)


def interval(start: str | None, end: str | None, start_name: str = "from",
             end_name: str = "to") -> tuple[date | None, date | None]:
    rng = dates.day_range(start, end, start_name, end_name)
    return rng.start, rng.end


def statuses(values: list[str] | None, name: str = "status") -> list[str] | None:
    """Repeatable and/or comma-separated: ?status=occupied&status=contested or
    ?status=occupied,contested."""
    out = [v.strip().lower() for raw in values or [] for v in raw.split(",") if v.strip()]
    for v in out:
        if v not in STATUS_CHOICES:
            raise InputError(f"{name}={v!r}: unknown status; choose from "
                             f"{', '.join(STATUS_CHOICES)}")
    return sorted(set(out)) or None


def simplify(value: float | None) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or value < 0 or value > MAX_SIMPLIFY_M:
        raise InputError(f"simplify={value}: a tolerance in metres between 0 and "
                         f"{MAX_SIMPLIFY_M:.0f}")
    return value or None


def bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """OGC API bbox: minlon,minlat,maxlon,maxlat (or the 6-number form with heights)."""
    return values.bbox(text, heights=True) if text else None


def datetime_param(text: str | None) -> tuple[datetime | None, datetime | None] | None:
    """OGC API `datetime`: an instant, or a closed/open interval `a/b`, `../b`, `a/..`.
    Returns (start, end) with None for an open end; an instant is (t, t)."""
    if not text:
        return None
    if "/" not in text:
        t = instant(text, "datetime")
        return t, t
    a, _, b = text.partition("/")
    start = None if a in ("..", "") else dates.instant(a, "datetime", day_start=True)
    end = None if b in ("..", "") else dates.instant(b, "datetime")
    if start and end and start > end:
        raise InputError(f"datetime={text!r}: the interval is inverted (start after end)")
    return start, end


def declared_query(route: APIRoute) -> frozenset[str]:
    """The query parameter names (aliases) a route and its dependencies declare."""
    key = id(route)
    if key not in _DECLARED:
        names, todo = set(), [route.dependant]
        while todo:  # the route's own parameters and those of every dependency
            d = todo.pop()
            names.update(p.alias for p in d.query_params)
            todo.extend(d.dependencies)
        _DECLARED[key] = frozenset(names)
    return _DECLARED[key]


_DECLARED: dict[int, frozenset[str]] = {}


def no_unknown_query(request: Request) -> None:
    """A dependency for the render routes (maps, charts, embeds, oEmbed) and OGC API routes:
    a query parameter the route does not declare is a 400 naming it, so made-up parameters
    cannot bust the render cache (each distinct URL would otherwise cost a render), and an
    OGC client's filter we do not implement is refused, not silently ignored."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(request.query_params) - declared_query(route))
    if unknown:
        known = sorted(declared_query(route))
        raise InputError(f"unknown query parameter(s) {', '.join(map(repr, unknown))}; "
                         + (f"this route accepts: {', '.join(known)}" if known else
                            "this route takes no query parameters"))


def feature_index(text: str, name: str, hi: int = 2**62) -> int:
    """A non-negative whole number in an id (ASCII digits); anything else is NotFound."""
    if not (text.isascii() and text.isdigit()) or int(text) > hi:
        raise NotFound(f"{name} {text!r}: no such feature (ids are <snapshot id>-<n>)")
    return int(text)
