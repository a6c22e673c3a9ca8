"""Web-size geometry: simplified for the scale it is shown at, coordinates rounded to what
the screen can show, with no gaps or overlaps between adjacent zones.

Adjacent layers (occupied and contested) are simplified together as a coverage
(`shapely.coverage_simplify`), in the theatre's equal-area plane so tolerances are metres.
Layers built by overlays are almost never a valid coverage as they come (an overlay adds a
vertex where two boundaries cross to one side of a shared edge only), and simplifying an
invalid coverage gives self-intersecting rings; so the layers are first made one
(`shapely.coverage_clean`: shared edges noded identically, overlaps resolved).
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
    then round coordinates; every output is valid after rounding. Empty/None entries stay
    empty."""
    arr = np.asarray(geoms, dtype=object)
    out = np.array([geometry.EMPTY] * len(arr), dtype=object)
    keep = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    if not keep.any():
        return out
    planar = geometry.to_equal_area(arr[keep])
    try:
        simple = shapely.coverage_simplify(clean(planar), tolerance_m)
    except shapely.errors.GEOSException:  # could not be made a coverage: one by one
        simple = shapely.simplify(planar, tolerance_m, preserve_topology=True)
    back = geometry.from_equal_area(simple)
    dec = decimals if decimals is not None else decimals_for(tolerance_m)
    out[keep] = [geometry.polygonal(g) for g in geometry.publishable(back, dec)]
    return out


def clean(planar: np.ndarray) -> np.ndarray:
    """`planar` polygons as a valid coverage (what `coverage_simplify` needs): each made
    valid, then edge-matched and freed of overlaps by GEOS's coverage cleaner (its default
    snapping distance is a tiny fraction of the extent, far below a pixel)."""
    bad = ~shapely.is_valid(planar)
    if bad.any():
        planar = planar.copy()
        planar[bad] = [geometry.polygonal(g) for g in shapely.make_valid(planar[bad])]
    if len(planar) < 2 or shapely.coverage_is_valid(planar):
        return planar
    return shapely.coverage_clean(planar)


def lines(geoms, tolerance_m: float, decimals: int | None = None) -> np.ndarray:
    """Simplify and round outline geometries (boundaries drawn as lines)."""
    arr = np.asarray(geoms, dtype=object)
    if not len(arr):
        return arr
    planar = shapely.simplify(geometry.to_equal_area(arr), tolerance_m, preserve_topology=True)
    dec = decimals if decimals is not None else decimals_for(tolerance_m)
    return geometry.publishable(geometry.from_equal_area(planar), dec)
