"""Parse query parameters into domain values with errors that name the parameter and say why
(raised as InputError → 400 problem+json)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time

from frontwatch.errors import InputError
from frontwatch.snapshots import STATUS_CHOICES

MAX_SIMPLIFY_M = 50_000.0


def day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{name}={text!r}: invalid date, expected YYYY-MM-DD") from None


def instant(text: str, name: str) -> datetime:
    """A date (→ its end, 23:59:59Z, as 'the state on that date') or an ISO 8601 date-time
    (UTC unless an offset is given)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(23, 59, 59), UTC)
        t = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InputError(f"{name}={text!r}: invalid date, expected YYYY-MM-DD or an ISO 8601 "
                         "date-time such as 2025-06-30T12:00:00Z") from None
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)


def day_or_instant(text: str, name: str) -> date | datetime:
    """What `store.resolve` takes: a calendar date (state at its end) or an exact instant."""
    return day(text, name) if len(text) == 10 else instant(text, name)


def interval(start: str | None, end: str | None, start_name: str = "from",
             end_name: str = "to") -> tuple[date | None, date | None]:
    a = day(start, start_name) if start else None
    b = day(end, end_name) if end else None
    if a and b and a > b:
        raise InputError(f"{start_name}={a} is after {end_name}={b}: the interval is inverted")
    return a, b


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
    if not text:
        return None
    try:
        nums = [float(p) for p in text.split(",")]
    except ValueError:
        raise InputError(f"bbox={text!r}: expected 4 numbers minlon,minlat,maxlon,maxlat"
                         ) from None
    if len(nums) == 6:
        nums = [nums[0], nums[1], nums[3], nums[4]]
    if len(nums) != 4 or not all(math.isfinite(n) for n in nums):
        raise InputError(f"bbox={text!r}: expected 4 numbers minlon,minlat,maxlon,maxlat")
    x0, y0, x1, y1 = nums
    if not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= 90 and -90 <= y1 <= 90):
        raise InputError(f"bbox={text!r}: outside WGS84 longitude [-180, 180] / latitude "
                         "[-90, 90]")
    if y0 > y1 or x0 > x1:
        raise InputError(f"bbox={text!r}: minimum greater than maximum (antimeridian-crossing "
                         "boxes are not supported)")
    return x0, y0, x1, y1


def datetime_param(text: str | None) -> tuple[datetime | None, datetime | None] | None:
    """OGC API `datetime`: an instant, or a closed/open interval `a/b`, `../b`, `a/..`.
    Returns (start, end) with None for an open end; an instant is (t, t)."""
    if not text:
        return None
    if "/" not in text:
        t = instant(text, "datetime")
        return t, t
    a, _, b = text.partition("/")
    start = None if a in ("..", "") else instant(a, "datetime")
    if start is not None and len(a) == 10:
        start = start.replace(hour=0, minute=0, second=0)  # a start date begins at 00:00
    end = None if b in ("..", "") else instant(b, "datetime")
    if start and end and start > end:
        raise InputError(f"datetime={text!r}: the interval is inverted (start after end)")
    return start, end
