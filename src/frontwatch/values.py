"""Numbers users type (URL parameters, CLI options): finite floats and whole numbers in a
range, ids, and lon/lat boxes, with errors that name the parameter and the accepted values.
Non-ASCII digits (``²``, ``٣``), ``inf``/``nan`` and overflowing values are refused here, so
no route meets them as a ValueError, an OverflowError or a non-finite geometry. A number past
a bound is refused in one wording (`past_bound`), whether the API, its validation or the CLI
refuses it."""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from frontwatch.errors import InputError, echo


class Limit(NamedTuple):
    """The accepted range of one number a user types, shared by its URL parameter and its CLI
    option so both refuse the same values."""
    lo: float
    hi: float


STEP_DAYS = Limit(1, 3660)  # days between sampled dates of a series (10 years: one step)
MIN_KM2 = Limit(0, 1e6)  # smallest piece kept, km² (Ukraine is ~0.6 million km²)
MIN_CHANGE_KM2 = Limit(0.01, 1e6)  # smallest change piece a lag measure counts, km²
SIMPLIFY_M = Limit(0, 50_000)  # simplification tolerance, metres
RADIUS_KM = Limit(0.5, 300)  # a map around a place
PIXELS = Limit(200, 4000)  # image width or height
DPI = Limit(50, 600)
SNAPSHOT_ID = Limit(1, 2**62)  # a revision's id (SQLite and PostgreSQL store 64-bit ints)

# A bound this large guards a type (a 64-bit id, a 32-bit offset), not a range a user chooses:
# "at most 4611686018427387904" would tell them nothing, so it is not named.
INTERNAL_BOUND = 10**9


def past_bound(kind: str, bound: float) -> str:
    """Why a number past `bound` is refused: the one wording of the API (its validation
    errors, api.problems), the CLI (typer's, cli.strict) and `number`/`whole`. `kind` is
    pydantic's name for the bound: "less_than_equal" (at most), "greater_than_equal" (at
    least), "less_than" and "greater_than" (the bound itself refused).

    >>> past_bound("less_than_equal", 3660)
    'too large: at most 3660'
    >>> past_bound("greater_than_equal", 0.5)
    'too small: at least 0.5'
    >>> past_bound("greater_than", 0.0)
    'too small: must be greater than 0'
    >>> past_bound("less_than_equal", 2**62)
    'too large'
    """
    large = kind.startswith("less")
    word = "too large" if large else "too small"
    if abs(bound) >= INTERNAL_BOUND:
        return word
    shown = f"{int(bound)}" if float(bound).is_integer() else f"{bound:g}"
    if kind.endswith("_equal"):
        return f"{word}: {'at most' if large else 'at least'} {shown}"
    return f"{word}: must be {'less' if large else 'greater'} than {shown}"


_INT = re.compile(r"[+-]?[0-9]{1,19}")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,3})?")


def number(text: str | float | int, name: str, lo: float, hi: float) -> float:
    """A finite decimal number in [lo, hi]."""
    s = str(text).strip()
    if not _FLOAT.fullmatch(s):
        raise InputError(f"invalid {name} {echo(text)}: expected a number from {lo:g} to {hi:g}")
    v = float(s)
    if not (math.isfinite(v) and lo <= v <= hi):
        shown = f"{v:g}" if math.isfinite(v) else echo(s)  # 1e999: not its 5,000 digits
        raise InputError(f"{name} {shown} is {_past(v, lo, hi)}")
    return v


def whole(text: str | int, name: str, lo: int, hi: int) -> int:
    """A whole number in [lo, hi] (ASCII digits only)."""
    s = str(text).strip()
    if not _INT.fullmatch(s):
        raise InputError(f"invalid {name} {echo(text)}: expected a whole number from {lo} to {hi}")
    v = int(s)
    if not lo <= v <= hi:
        raise InputError(f"{name} {v} is {_past(v, lo, hi)}")
    return v


def _past(v: float, lo: float, hi: float) -> str:
    """The reason `v` (infinite when the text overflowed a float) is outside [lo, hi]."""
    if v > hi or v == math.inf:
        return past_bound("less_than_equal", hi)
    return past_bound("greater_than_equal", lo)


def bbox(text: str, name: str = "bbox", *, heights: bool = False
         ) -> tuple[float, float, float, float]:
    """`minlon,minlat,maxlon,maxlat` in WGS84 (with `heights`, also the 6-number form
    minlon,minlat,minh,maxlon,maxlat,maxh); min ≤ max (no antimeridian crossing)."""
    parts = text.split(",")
    expected = "expected 4 numbers minlon,minlat,maxlon,maxlat"
    if len(parts) == 6 and heights:
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4:
        raise InputError(f"invalid {name} {echo(text)}: {expected}")
    try:
        x0, y0, x1, y1 = (number(p, name, -math.inf, math.inf) for p in parts)
    except InputError:
        raise InputError(f"invalid {name} {echo(text)}: {expected}") from None
    if not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= 90 and -90 <= y1 <= 90):
        raise InputError(f"invalid {name} {echo(text)}: outside WGS84 longitude [-180, 180] / "
                         "latitude [-90, 90]")
    if y0 > y1 or x0 > x1:
        raise InputError(f"invalid {name} {echo(text)}: minimum greater than maximum "
                         "(antimeridian-crossing boxes are not supported)")
    return x0, y0, x1, y1
