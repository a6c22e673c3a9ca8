"""Coordinate reference systems the OGC API offers (Features Part 2): lon/lat CRS84 (stored),
EPSG:4326 (the same datum with its authority's axis order, latitude first) and Web Mercator.

Pure functions: a CRS URI in, vectorized reprojection of shapely geometries with pyproj, and
bounding boxes given in any of them brought to lon/lat. An unknown CRS is an InputError naming
the parameter and listing the supported URIs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer

from frontwatch import values
from frontwatch.errors import InputError, echo

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"


@dataclass(frozen=True, slots=True)
class Crs:
    uri: str
    pyproj: str  # what pyproj.CRS.from_user_input takes
    decimals: int  # coordinates written with at most this many decimals (~10 cm / 1 cm)
    bounds: tuple[float, float, float, float]  # valid area of use, in its own axis order


SUPPORTED: dict[str, Crs] = {c.uri: c for c in (
    Crs(CRS84, "OGC:CRS84", 6, (-180.0, -90.0, 180.0, 90.0)),
    Crs(EPSG_4326, "EPSG:4326", 6, (-90.0, -180.0, 90.0, 180.0)),
    Crs(EPSG_3857, "EPSG:3857", 2, (-20037508.35, -20048966.11, 20037508.35, 20048966.11)),
)}
# other spellings clients send: the safe CURIE (Part 2 allows it) and the short forms
_ALIASES = {"[OGC:CRS84]": CRS84, "OGC:CRS84": CRS84, "CRS84": CRS84,
            "http://www.opengis.net/def/crs/OGC/0/CRS84": CRS84,
            "[EPSG:4326]": EPSG_4326, "EPSG:4326": EPSG_4326,
            "[EPSG:3857]": EPSG_3857, "EPSG:3857": EPSG_3857,
            "https://www.opengis.net/def/crs/OGC/1.3/CRS84": CRS84,
            "https://www.opengis.net/def/crs/EPSG/0/4326": EPSG_4326,
            "https://www.opengis.net/def/crs/EPSG/0/3857": EPSG_3857}


def parse(text: str | None, name: str) -> Crs:
    """The CRS a `crs`/`bbox-crs`/`filter-crs` parameter names (default CRS84)."""
    if text is None or text == "":
        return SUPPORTED[CRS84]
    uri = _ALIASES.get(text.strip(), text.strip())
    if uri not in SUPPORTED:
        raise InputError(f"{name}={echo(text)}: unsupported CRS; supported: "
                         f"{', '.join(SUPPORTED)}")
    return SUPPORTED[uri]


@lru_cache(maxsize=8)
def _transformer(src: str, dst: str) -> Transformer:
    # no always_xy: EPSG:4326's authority order (lat, lon) is what Part 2 asks for
    return Transformer.from_crs(src, dst)


def from_crs84(geoms, crs: Crs):
    """Lon/lat geometries (scalar or array; None stays None) in `crs`, vectorized."""
    if crs.uri == CRS84:
        return geoms
    tr = _transformer("OGC:CRS84", crs.pyproj)
    return shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0],
                                                                            xy[:, 1])))


def to_crs84(geoms, crs: Crs):
    """Geometries given in `crs` (e.g. a filter's literals) as lon/lat."""
    if crs.uri == CRS84:
        return geoms
    tr = _transformer(crs.pyproj, "OGC:CRS84")
    return shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0],
                                                                            xy[:, 1])))


def bbox(text: str, crs: Crs, name: str = "bbox") -> tuple[float, float, float, float]:
    """A `bbox` given in `crs` (4 numbers, or 6 with heights, in that CRS's axis order) as
    lon/lat minlon,minlat,maxlon,maxlat; edges are densified so the box covers what the
    projected one does."""
    if crs.uri == CRS84:
        return values.bbox(text, name, heights=True)
    parts = text.split(",")
    if len(parts) == 6:
        parts = [parts[0], parts[1], parts[3], parts[4]]
    expected = f"expected 4 numbers in {crs.pyproj} axis order"
    if len(parts) != 4:
        raise InputError(f"invalid {name} {echo(text)}: {expected}")
    try:
        a0, b0, a1, b1 = (values.number(p, name, -math.inf, math.inf) for p in parts)
    except InputError:
        raise InputError(f"invalid {name} {echo(text)}: {expected}") from None
    lo0, lo1, hi0, hi1 = crs.bounds
    if not (lo0 <= a0 <= hi0 and lo0 <= a1 <= hi0 and lo1 <= b0 <= hi1 and lo1 <= b1 <= hi1):
        raise InputError(f"invalid {name} {echo(text)}: outside the area of {crs.pyproj}")
    if a0 > a1 or b0 > b1:
        raise InputError(f"invalid {name} {echo(text)}: minimum greater than maximum")
    x0, y0, x1, y1 = _transformer(crs.pyproj, "OGC:CRS84").transform_bounds(
        a0, b0, a1, b1, densify_pts=21)
    return (max(x0, -180.0), max(y0, -90.0), min(x1, 180.0), min(y1, 90.0))


def header(crs: Crs) -> str:
    """The `Content-Crs` header value (Part 2: the URI in angle brackets)."""
    return f"<{crs.uri}>"
