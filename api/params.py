"""Parse query parameters into domain values with errors that name the parameter and say why
(raised as InputError → 400 problem+json)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime

from frontwatch import dates, values
from frontwatch.errors import InputError, NotFound, echo
from frontwatch.snapshots import STATUS_CHOICES

MAX_SIMPLIFY_M = float(values.SIMPLIFY_M.hi)


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
             end_name: str = "to", *, required: bool = False) -> tuple[date | None, date | None]:
    """The days of a range; empty or missing ends are open, unless the route `required`
    both: then an empty one (``to=``, which FastAPI lets through as "given") is a 400
    naming it, not an open end that the route cannot use (a 500 before)."""
    if required:
        for value, name in ((start, start_name), (end, end_name)):
            if not (value or "").strip():
                raise InputError(f"{name}= is empty: a date (YYYY-MM-DD) is required")
    rng = dates.day_range(start, end, start_name, end_name)
    return rng.start, rng.end


def statuses(values: list[str] | None, name: str = "status",
             choices: Sequence[str] = STATUS_CHOICES) -> list[str] | None:
    """Repeatable and/or comma-separated: ?status=occupied&status=contested or
    ?status=occupied,contested; each one of `choices` (400 naming the parameter). None when
    none is given."""
    out = [v.strip().lower() for raw in values or [] for v in raw.split(",") if v.strip()]
    for v in out:
        if v not in choices:
            raise InputError(f"{name}={echo(v)}: unknown status; choose from "
                             f"{', '.join(choices)}")
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
        raise InputError(f"datetime={echo(text)}: the interval is inverted (start after end)")
    return start, end


def feature_index(text: str, name: str, hi: int = 2**62) -> int:
    """A non-negative whole number in an id (ASCII digits); anything else is NotFound."""
    if not (text.isascii() and text.isdigit()) or int(text) > hi:
        raise NotFound(f"{name} {echo(text)}: no such feature (ids are <snapshot id>-<n>)")
    return int(text)
