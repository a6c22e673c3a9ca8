"""Pure, vectorized geometry: the one place the area convention lives.

Convention (used everywhere, tested against ``pyproj.Geod``): overlay operations
(intersection, difference, union) are computed on lon/lat coordinates, and only the result is
projected, to a Lambert azimuthal equal-area projection centred on the theatre, for its area.
That matches geodesic (WGS84) areas to ~1e-8 relative over Ukraine, where a global equal-area
CRS only reaches ~1e-6 and UTM ~1e-3.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import TypeAlias, TypeVar, overload

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod, Transformer
from shapely.geometry.base import BaseGeometry

THEATRE_CRS = "+proj=laea +lat_0=48.5 +lon_0=35 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
# lon/lat extent that any Ukrainian control zone lies in (with a margin); used to reject
# swapped coordinates and to drop far-away annotations.
UKRAINE_BOUNDS = (21.5, 43.8, 41.0, 52.8)
WGS84 = Geod(ellps="WGS84")
EMPTY = shapely.MultiPolygon()

GeometryArray: TypeAlias = NDArray[np.object_]  # shapely geometries (None allowed)
# What the vectorized functions take: one geometry or None, a sequence or an array of them.
Geometries: TypeAlias = BaseGeometry | Sequence[BaseGeometry | None] | GeometryArray | None
Bounds: TypeAlias = tuple[float, float, float, float]  # minx, miny, maxx, maxy
GeomT = TypeVar("GeomT", bound=BaseGeometry | None)


@lru_cache(maxsize=4)
def _transformer(inverse: bool = False) -> Transformer:
    src, dst = ("EPSG:4326", THEATRE_CRS) if not inverse else (THEATRE_CRS, "EPSG:4326")
    return Transformer.from_crs(src, dst, always_xy=True)


def _projection(inverse: bool) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    tr = _transformer(inverse)

    def project(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))

    return project


@overload
def to_equal_area(geoms: GeomT) -> GeomT: ...
@overload
def to_equal_area(geoms: Sequence[BaseGeometry | None] | GeometryArray) -> GeometryArray: ...
def to_equal_area(geoms: Geometries) -> BaseGeometry | GeometryArray | None:
    """Project lon/lat geometries to the theatre's equal-area plane.

    Parameters
    ----------
    geoms : shapely geometry, None, or array_like of them
        lon/lat (EPSG:4326).

    Returns
    -------
    shapely geometry, None, or numpy.ndarray of object
        the input's shape; coordinates in metres on THEATRE_CRS (Lambert azimuthal
        equal-area centred at 48.5° N, 35° E on WGS84).

    Examples
    --------
    >>> import shapely
    >>> to_equal_area(shapely.Point(35, 48.5)).wkt
    'POINT (0 0)'
    """
    return shapely.transform(geoms, _projection(False))


@overload
def from_equal_area(geoms: GeomT) -> GeomT: ...
@overload
def from_equal_area(geoms: Sequence[BaseGeometry | None] | GeometryArray) -> GeometryArray: ...
def from_equal_area(geoms: Geometries) -> BaseGeometry | GeometryArray | None:
    """Inverse of :func:`to_equal_area`: metres on THEATRE_CRS back to lon/lat.

    Parameters
    ----------
    geoms : shapely geometry, None, or array_like of them
        in metres on THEATRE_CRS.

    Returns
    -------
    shapely geometry, None, or numpy.ndarray of object
        the input's shape, lon/lat (EPSG:4326).

    Examples
    --------
    >>> import shapely
    >>> from_equal_area(shapely.Point(0, 0)).wkt
    'POINT (35 48.5)'
    """
    return shapely.transform(geoms, _projection(True))


@overload
def area_km2(geoms: BaseGeometry | None) -> float: ...
@overload
def area_km2(geoms: Sequence[BaseGeometry | None] | GeometryArray) -> NDArray[np.float64]: ...
def area_km2(geoms: Geometries) -> NDArray[np.float64] | float:
    """Area in km² of lon/lat geometries, vectorized; None/empty count as 0.

    Parameters
    ----------
    geoms : shapely geometry or array_like of them
        lon/lat (EPSG:4326) geometries; None and empty ones are allowed.

    Returns
    -------
    float or numpy.ndarray of float
        km², the input's shape (a float for a scalar). Computed on the theatre's
        Lambert equal-area plane: within ~1e-8 of ``pyproj.Geod(ellps="WGS84")`` over Ukraine
        for polygons drawn with dense vertices (see the module docstring and
        ``tests/test_analytics_areas.py``).

    Examples
    --------
    >>> import shapely
    >>> round(area_km2(shapely.box(37.0, 48.0, 38.0, 49.0)), 1)
    8217.4
    >>> area_km2([shapely.box(37.0, 48.0, 37.1, 48.1), None]).round(2)
    array([82.9,  0. ])
    """
    arr = np.asarray(geoms, dtype=object)
    scalar = arr.ndim == 0
    arr = np.atleast_1d(arr)
    out = np.zeros(arr.shape, dtype=float)
    mask = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    if mask.any():
        out[mask] = shapely.area(to_equal_area(arr[mask])) / 1e6
    return float(out[0]) if scalar else out


def geodesic_area_km2(geom: BaseGeometry) -> float:
    """Reference area in km² on the WGS84 ellipsoid (``pyproj.Geod``; slow, for tests and
    checks). Edges are geodesics, so a long edge along a parallel encloses a little more than
    :func:`area_km2`'s straight edge does.

    Parameters
    ----------
    geom : shapely geometry or None
        lon/lat; only its polygonal parts count (oriented before measuring).

    Returns
    -------
    float
        km², 0.0 for None or empty.

    Examples
    --------
    >>> import shapely
    >>> dense = shapely.segmentize(shapely.box(37.0, 48.0, 37.1, 48.1), 0.001)
    >>> round(geodesic_area_km2(dense), 5), round(area_km2(dense), 5)
    (82.89668, 82.89668)
    """
    if geom is None or geom.is_empty:
        return 0.0
    area, _ = WGS84.geometry_area_perimeter(_orient(geom))
    return abs(area) / 1e6


def _orient(geom: BaseGeometry) -> BaseGeometry:
    return shapely.MultiPolygon(
        [shapely.geometry.polygon.orient(p, 1.0) for p in polygons_of(geom)]
    )


def geodesic_length_km(geom: BaseGeometry) -> float:
    """Geodesic length of a lon/lat (Multi)LineString on WGS84 (``pyproj.Geod``).

    Parameters
    ----------
    geom : shapely geometry or None
        lon/lat (EPSG:4326).

    Returns
    -------
    float
        km, 0.0 for None or empty.

    Examples
    --------
    >>> import shapely
    >>> round(geodesic_length_km(shapely.LineString([(37, 48), (38, 48)])), 3)
    74.625
    """
    if geom is None or geom.is_empty:
        return 0.0
    return WGS84.geometry_length(geom) / 1000.0


def polygons_of(geom: BaseGeometry | None) -> list[shapely.Polygon]:
    """The polygonal parts of any geometry (collections included), as a flat list.

    Parameters
    ----------
    geom : shapely geometry or None

    Returns
    -------
    list of shapely.Polygon
        empty for None, empty or non-polygonal input.

    Examples
    --------
    >>> import shapely
    >>> len(polygons_of(shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)])))
    2
    """
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, shapely.Polygon):
        return [geom]
    if isinstance(geom, shapely.MultiPolygon | shapely.GeometryCollection):
        out: list[shapely.Polygon] = []
        for part in geom.geoms:
            out.extend(polygons_of(part))
        return out
    return []


def polygonal(geom: BaseGeometry | None) -> shapely.MultiPolygon:
    """Keep only the polygonal parts, as one MultiPolygon (possibly empty).

    Parameters
    ----------
    geom : shapely geometry or None

    Returns
    -------
    shapely.MultiPolygon
        `geom` itself when it is one; empty for None or non-polygonal input.

    Examples
    --------
    >>> import shapely
    >>> polygonal(shapely.GeometryCollection([shapely.box(0, 0, 1, 1), shapely.Point(5, 5)])).wkt
    'MULTIPOLYGON (((1 0, 1 1, 0 1, 0 0, 1 0)))'
    """
    if isinstance(geom, shapely.MultiPolygon):
        return geom
    parts = polygons_of(geom)
    if not parts:
        return EMPTY
    return shapely.MultiPolygon(parts)


def repair(geom: BaseGeometry) -> tuple[shapely.MultiPolygon, str | None]:
    """2-D, valid, polygonal version of `geom` (``shapely.make_valid`` where needed).

    Parameters
    ----------
    geom : shapely geometry

    Returns
    -------
    tuple of (shapely.MultiPolygon, str or None)
        the repaired geometry, and GEOS's reason it was invalid (None when it was valid).

    Examples
    --------
    >>> import shapely
    >>> bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    >>> fixed, why = repair(bowtie)
    >>> fixed.is_valid, len(fixed.geoms), why
    (True, 2, 'Self-intersection[0.5 0.5]')
    """
    geom = shapely.force_2d(geom)
    if shapely.is_valid(geom):
        return polygonal(geom), None
    reason = shapely.is_valid_reason(geom)
    return polygonal(shapely.make_valid(geom)), reason


def union(geoms: Iterable[BaseGeometry]) -> shapely.MultiPolygon:
    """Polygonal union of many geometries (``shapely.union_all``, in lon/lat).

    Parameters
    ----------
    geoms : iterable of shapely geometry or None
        None and empty ones are skipped.

    Returns
    -------
    shapely.MultiPolygon
        empty when nothing is left.

    Examples
    --------
    >>> import shapely
    >>> union([shapely.box(0, 0, 2, 1), shapely.box(1, 0, 3, 1), None]).area
    3.0
    """
    items = [g for g in geoms if g is not None and not g.is_empty]
    if not items:
        return EMPTY
    if len(items) == 1:
        return polygonal(items[0])
    return polygonal(shapely.union_all(items))


def looks_swapped(bounds: Bounds) -> bool:
    """Whether a lon/lat extent only fits Ukraine once x and y are exchanged.

    Parameters
    ----------
    bounds : tuple of float
        (minx, miny, maxx, maxy), degrees.

    Returns
    -------
    bool
        True when it misses UKRAINE_BOUNDS but its swap meets them.

    Examples
    --------
    >>> looks_swapped((48.0, 37.0, 49.0, 38.0)), looks_swapped((37.0, 48.0, 38.0, 49.0))
    (True, False)
    """
    minx, miny, maxx, maxy = bounds
    return not _overlaps(bounds, UKRAINE_BOUNDS) and _overlaps((miny, minx, maxy, maxx),
                                                               UKRAINE_BOUNDS)


def within_ukraine_extent(bounds: Bounds) -> bool:
    """Whether a lon/lat extent meets UKRAINE_BOUNDS (Ukraine with a margin); an import
    skips the zones that do not (annotations far away).

    Parameters
    ----------
    bounds : Bounds
        as ``geom.bounds`` gives them, in degrees.

    Returns
    -------
    bool

    Examples
    --------
    >>> within_ukraine_extent((37.0, 48.0, 38.0, 49.0)), within_ukraine_extent((0, 0, 1, 1))
    (True, False)
    """
    return _overlaps(bounds, UKRAINE_BOUNDS)


def _overlaps(a: Bounds, b: Bounds) -> bool:
    return not (a[2] < b[0] or a[0] > b[2] or a[3] < b[1] or a[1] > b[3])


@overload
def publishable(geoms: None, decimals: int = 6) -> None: ...
@overload
def publishable(geoms: BaseGeometry, decimals: int = 6) -> BaseGeometry: ...
@overload
def publishable(geoms: Sequence[BaseGeometry | None] | GeometryArray, decimals: int = 6
                ) -> GeometryArray: ...
def publishable(geoms: Geometries, decimals: int = 6) -> BaseGeometry | GeometryArray | None:
    """What every writer hands out (GeoJSON, map layers, exports): the geometry snapped to a
    grid of 10^-decimals degree (6 decimals ≈ 10 cm, RFC 7946's advice), valid by OGC
    simple features (`shapely.is_valid`) *after* that rounding, and with polygon shells
    counter-clockwise, holes clockwise (RFC 7946 right-hand rule).

    Scalar or array in, same shape out; None stays None. Polygonal input stays polygonal
    (parts thinner than the grid collapse and are dropped, never turned into lines); lines
    and points keep their kind. Snapping is GEOS snap-rounding (`set_precision`, valid
    output), which nodes what the grid makes touch instead of moving vertices one by one
    (pointwise rounding is what made ~1 % of published polygons self-intersect). Each
    coordinate is then the double nearest a decimal of at most `decimals` places, so its
    shortest text has at most that many (see :mod:`frontwatch.geojson` for the writer).

    Parameters
    ----------
    geoms : shapely geometry, None, or array_like of them
        lon/lat (EPSG:4326).
    decimals : int
        decimal places of the grid, in degrees (6 ≈ 10 cm).

    Returns
    -------
    shapely geometry, None, or numpy.ndarray of object
        the input's shape; each geometry valid after rounding, oriented by RFC 7946.

    Examples
    --------
    >>> import shapely
    >>> clockwise = shapely.Polygon([(37.00000012, 48), (37, 49), (38, 49), (38, 48)])
    >>> publishable(clockwise).wkt  # snapped, shell turned counter-clockwise
    'POLYGON ((37 49, 37 48, 38 48, 38 49, 37 49))'
    >>> publishable(None) is None
    True
    """
    arr = np.asarray(geoms, dtype=object)
    scalar = arr.ndim == 0
    arr = np.atleast_1d(arr).copy()
    present = ~shapely.is_missing(arr)
    if present.any():
        arr[present] = _publishable_many(arr[present], decimals)
    return arr[0] if scalar else arr


_AREAL = ("Polygon", "MultiPolygon")


def _publishable_many(geoms: np.ndarray, decimals: int) -> np.ndarray:
    """The common case vectorized (repair, snap-round, check, orient: GEOS calls that release
    the GIL), with :func:`_publishable` — the same steps plus fallbacks — for the few
    geometries that need more."""
    grid = 10.0 ** -decimals
    try:
        fixed = geoms.copy()
        invalid = ~shapely.is_valid(fixed)
        if invalid.any():
            fixed[invalid] = shapely.make_valid(fixed[invalid])
        out = shapely.set_precision(fixed, grid)
    except shapely.errors.GEOSException:  # one of them cannot be snap-rounded
        return np.array([_publishable(g, decimals) for g in geoms], dtype=object)
    kinds = shapely.get_type_id(geoms)
    areal = (kinds == 3) | (kinds == 6)
    stays_areal = np.isin(shapely.get_type_id(out), (3, 6))
    redo = ~shapely.is_valid(out) | (areal & ~stays_areal)
    out = shapely.orient_polygons(out, exterior_cw=False)
    if redo.any():
        out[redo] = [_publishable(g, decimals) for g in geoms[redo]]
    return out


def _publishable(geom: BaseGeometry, decimals: int) -> BaseGeometry:
    grid = 10.0 ** -decimals
    areal = geom.geom_type in ("Polygon", "MultiPolygon")
    out = geom
    for _ in range(3):  # one pass suffices in practice; the loop is the safety net
        if not shapely.is_valid(out):
            out = shapely.make_valid(out)
        try:
            out = shapely.set_precision(out, grid)
        except shapely.errors.GEOSException:  # cannot snap-round this one: snap each vertex
            out = shapely.make_valid(shapely.set_precision(out, grid, mode="pointwise"))
        if areal:
            out = _same_kind(geom, out)
        if shapely.is_valid(out):
            break
    if not shapely.is_valid(out):  # never seen; valid beats short numbers
        out = shapely.make_valid(out)
        out = _same_kind(geom, out) if areal else out
    return shapely.orient_polygons(out, exterior_cw=False)


def _same_kind(original: BaseGeometry, geom: BaseGeometry) -> BaseGeometry:
    """The polygonal parts of `geom`, a Polygon again when `original` was one and one part
    is left."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    out = polygonal(geom)
    if original.geom_type == "Polygon" and len(out.geoms) == 1:
        return out.geoms[0]
    return out
