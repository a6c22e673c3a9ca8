"""Web-size geometry: simplified for the scale it is shown at, coordinates rounded to what
the screen can show, with no gaps or overlaps between adjacent zones.

Adjacent layers (occupied, contested, and the regions) are simplified together as a coverage
(`shapely.coverage_simplify`), in the theatre's equal-area plane so tolerances are metres.
"""

from __future__ import annotations

import math

import numpy as np
import shapely

from frontwatch import geometry


def tolerance_for(bounds: tuple[float, float, float, float], pixels: int) -> float:
    """Metres per screen pixel when `bounds` (lon/lat) spans `pixels` across its longer side."""
    minx, miny, maxx, maxy = bounds
    mid = (miny + maxy) / 2
    width = (maxx - minx) * 111_320 * math.cos(math.radians(mid))
    height = (maxy - miny) * 110_574
    return max(width, height) / max(pixels, 1)


def decimals_for(tolerance_m: float) -> int:
    """Decimal places of a degree that keep rounding within about one tolerance."""
    return int(min(6, max(2, math.ceil(math.log10(111_000 / max(tolerance_m, 0.1))))))


def coverage(geoms, tolerance_m: float, decimals: int | None = None) -> np.ndarray:
    """Simplify lon/lat polygons that tile the plane together (shared edges stay shared),
    then round coordinates. Empty/None entries stay empty."""
    arr = np.asarray(geoms, dtype=object)
    out = np.array([geometry.EMPTY] * len(arr), dtype=object)
    keep = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    if not keep.any():
        return out
    planar = geometry.to_equal_area(arr[keep])
    try:
        simple = shapely.coverage_simplify(planar, tolerance_m)
    except shapely.errors.GEOSException:  # not a valid coverage: simplify one by one
        simple = shapely.simplify(planar, tolerance_m, preserve_topology=True)
    back = geometry.from_equal_area(simple)
    grid = 10.0 ** -(decimals if decimals is not None else decimals_for(tolerance_m))
    rounded = shapely.make_valid(shapely.set_precision(back, grid))
    out[keep] = [geometry.polygonal(g) for g in rounded]
    return out


def lines(geoms, tolerance_m: float, decimals: int | None = None) -> np.ndarray:
    """Simplify and round outline geometries (boundaries drawn as lines)."""
    arr = np.asarray(geoms, dtype=object)
    if not len(arr):
        return arr
    planar = shapely.simplify(geometry.to_equal_area(arr), tolerance_m, preserve_topology=True)
    grid = 10.0 ** -(decimals if decimals is not None else decimals_for(tolerance_m))
    return shapely.set_precision(geometry.from_equal_area(planar), grid)
