"""Coordinate reference systems named inside JSON inputs, and reprojection to lon/lat.

GeoJSON (RFC 7946) is always WGS 84 lon/lat, but the 2008 specification let a document name
another CRS in a top-level ``crs`` member, and QGIS still writes one
(``urn:ogc:def:crs:EPSG::3857`` for a Web Mercator project). Esri JSON names its CRS in
``spatialReference`` (``wkid`` 102100 is Esri's code for Web Mercator). Both are honoured:
coordinates are reprojected with pyproj and the import says so; a CRS pyproj does not know is
refused by name, never guessed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from frontwatch.errors import InputError
from frontwatch.ingest.reader import brief

WGS84 = CRS.from_epsg(4326)
# Esri's own codes for CRSs that EPSG later numbered.
ESRI_ALIASES = {102100: 3857, 102113: 3857}


def geojson_crs(doc: Any, origin: str) -> CRS | None:
    """The CRS a GeoJSON document's 2008 ``crs`` member names; None when it has none or it
    names lon/lat WGS 84 (CRS84, EPSG:4326 — written by tools in lon/lat order)."""
    member = doc.get("crs") if isinstance(doc, dict) else None
    if member is None:
        return None
    props = member.get("properties") if isinstance(member, dict) else None
    if not isinstance(props, dict):
        raise InputError("the 'crs' member is not a GeoJSON 2008 CRS object ({\"type\": "
                         "\"name\", \"properties\": {\"name\": …}})", origin=origin)
    if member.get("type") == "EPSG" and isinstance(props.get("code"), int):  # GeoJSON 2008
        name: object = f"EPSG:{props['code']}"
    elif member.get("type") == "name":
        name = props.get("name")
    else:
        raise InputError(f"the 'crs' member has type {brief(member.get('type'))}: only named "
                         "CRSs (type 'name') are read; linked ones are not fetched",
                         origin=origin)
    return _known(name, "the 'crs' member names", origin)


def esri_crs(reference: Any, origin: str) -> CRS | None:
    """The CRS of an Esri JSON ``spatialReference`` ({"wkid": 102100, "latestWkid": 3857}
    or {"wkt": …}); None for WGS 84 or when absent (Esri's default for query?f=json output
    with outSR=4326)."""
    if reference is None:
        return None
    if not isinstance(reference, dict):
        raise InputError("'spatialReference' is not an object", origin=origin)
    wkid = reference.get("latestWkid") or reference.get("wkid")
    if isinstance(wkid, int):
        wkid = ESRI_ALIASES.get(wkid, wkid)
        name: object = f"EPSG:{wkid}" if wkid < 100000 else f"ESRI:{wkid}"
    elif isinstance(reference.get("wkt"), str):
        name = reference["wkt"]
    else:
        raise InputError("'spatialReference' has neither a numeric 'wkid' nor a 'wkt'",
                         origin=origin)
    return _known(name, "'spatialReference' names", origin)


def _known(name: object, what: str, origin: str) -> CRS | None:
    if not isinstance(name, str) or not name.strip() or len(name) > 4000:
        raise InputError(f"{what} no CRS", origin=origin)
    try:
        crs = CRS.from_user_input(name.strip())
    except CRSError:
        raise InputError(f"{what} an unknown CRS {brief(name, 60)}: save the file in lon/lat "
                         "(EPSG:4326) or a CRS with an EPSG code", origin=origin) from None
    if crs.is_geographic and crs.equals(WGS84, ignore_axis_order=True):
        return None
    return crs


def to_lonlat(geoms: list[Any], crs: CRS, origin: str) -> tuple[list[Any], str]:
    """Geometries reprojected from `crs` to lon/lat, and the note that says so."""
    try:
        transformer = Transformer.from_crs(crs, WGS84, always_xy=True)
    except Exception:
        raise InputError(f"cannot reproject {crs.name} to WGS 84 lon/lat",
                         origin=origin) from None

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    out = list(shapely.transform(np.array(geoms, dtype=object), project))
    if any(g is not None and not np.isfinite(shapely.bounds(g)).all() for g in out):
        raise InputError(f"coordinates fall outside the area {crs.name} can be reprojected "
                         "from", origin=origin)
    code = crs.to_authority()
    label = f"{code[0]}:{code[1]}" if code else crs.name
    return out, f"reprojected from {label} ({crs.name}) to WGS 84 lon/lat"
