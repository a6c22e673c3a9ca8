"""Coordinate reference systems named inside JSON inputs, and reprojection to lon/lat.

GeoJSON (RFC 7946) is always WGS 84 lon/lat, but the 2008 specification let a document name
another CRS in a top-level ``crs`` member, and QGIS still writes one
(``urn:ogc:def:crs:EPSG::3857`` for a Web Mercator project). Esri JSON names its CRS in
``spatialReference`` (``wkid`` 102100 is Esri's code for Web Mercator). Both are honoured:
coordinates are reprojected with pyproj and the import says so; a CRS pyproj does not know is
refused by name, never guessed.

A CRS is only ever taken from a registry, by its identifier: `EPSG:n`, its OGC URN or URL
(`urn:ogc:def:crs:EPSG::3857`, `http://www.opengis.net/def/crs/EPSG/0/3857`), CRS84, or
Esri's `wkid`. A PROJ string, a WKT or a file path in the ``crs`` member is refused: PROJ
would follow what they name (`+nadgrids=/etc/passwd` made it open a server file). A WKT an
input carries in a place made for it (Esri JSON's ``wkt``, a Shapefile's ``.prj``, a
GeoPackage's CRS table) is used only when PROJ identifies it with full confidence as a
registered CRS, and then the registry's definition is used, never the file's text (so a grid
or PROJ string named inside it is never opened).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from frontwatch.errors import InputError, brief, described

WGS84 = CRS.from_epsg(4326)
# Esri's own codes for CRSs that EPSG later numbered.
ESRI_ALIASES = {102100: 3857, 102113: 3857}


def geojson_crs(doc: Any, origin: str) -> CRS | None:
    """The CRS a GeoJSON document's 2008 ``crs`` member names; None when it has none or it
    names lon/lat WGS 84 (CRS84, EPSG:4326 — written by tools in lon/lat order)."""
    member = doc.get("crs") if isinstance(doc, dict) else None
    if isinstance(doc, dict) and any(isinstance(k, str) and k != "crs" and k.lower() == "crs"
                                     for k in doc):  # GDAL would read it; we would not
        raise InputError("a CRS member spelt other than 'crs' is not read (GeoJSON member "
                         "names are case-sensitive): name it 'crs'", origin=origin)
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
        raise InputError(f"the 'crs' member has type {described(member.get('type'))}: only named "
                         "CRSs (type 'name') are read; linked ones are not fetched",
                         origin=origin)
    return known(name, "the 'crs' member names", origin)


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
        return from_wkt(reference["wkt"], "'spatialReference' names", origin)
    else:
        raise InputError("'spatialReference' has neither a numeric 'wkid' nor a 'wkt'",
                         origin=origin)
    return known(name, "'spatialReference' names", origin)


# What in a CRS definition makes PROJ open a file or fetch a URL: an EXTENSION (GDAL's
# PROJ4 / PROJ4_GRIDS), a WKT2 PARAMETERFILE or GEOIDMODEL, a PROJ string's grids or +init.
# GDAL follows them while it parses the definition, before any check of ours on its result.
GRID_REFERENCE = re.compile(
    rb"EXTENSION\s*[\[(]|PROJ4|PARAMETERFILE|GEOIDMODEL|grids|\+\s*(?:proj|init)\b|/vsi",
    re.IGNORECASE)


def check_no_grids(text: str | bytes, what: str, origin: str) -> None:
    """Refuse a CRS definition an input carries that names a grid file, a PROJ string or a
    GDAL virtual path, before GDAL or PROJ reads it (its text is never repeated)."""
    raw = text.encode("utf-8", "replace") if isinstance(text, str) else text
    if GRID_REFERENCE.search(raw):
        raise InputError(f"{what} a CRS definition that refers to a grid file, PROJ string "
                         f"or GDAL path ({len(raw):,} characters): only a registered CRS (an "
                         "EPSG code) is read", origin=origin)


def from_wkt(text: str, what: str, origin: str) -> CRS | None:
    """A WKT (only a WKT: not a PROJ string, JSON or path), as the registered CRS it is
    (None for lon/lat WGS 84). PROJ only parses it here (it opens no grid to build a CRS);
    what is used is the registry's definition."""
    if len(text) > 20_000:
        raise InputError(f"{what} a {len(text):,}-character WKT: too long", origin=origin)
    check_no_grids(text, what, origin)
    try:
        crs = CRS.from_wkt(text)
    except CRSError:
        raise InputError(f"{what} {_kind(text)} that is not a WKT PROJ can read",
                         origin=origin) from None
    return registered(crs, what, origin)


# What a CRS may be named by: an authority and a code, as EPSG:n, an OGC URN or URL (and the
# older spellings GeoServer and GML wrote), or CRS84.
IDENTIFIER = re.compile(
    r"(?:(?P<a1>EPSG|ESRI):(?P<c1>[0-9]{1,6})"
    r"|urn:(?:x-)?ogc:def:crs:(?P<a2>EPSG|OGC):[0-9.]*:(?P<c2>[0-9]{1,6}|CRS84)"
    r"|https?://www\.opengis\.net/def/crs/(?P<a3>EPSG|OGC)/[0-9.]+/(?P<c3>[0-9]{1,6}|CRS84)"
    r"|https?://www\.opengis\.net/gml/srs/(?P<a4>EPSG)\.xml#(?P<c4>[0-9]{1,6})"
    r"|(?:OGC:)?(?P<c5>CRS84))", re.IGNORECASE)
EXAMPLES = ("EPSG:3857, urn:ogc:def:crs:EPSG::3857 or "
            "http://www.opengis.net/def/crs/EPSG/0/3857")


def known(name: object, what: str, origin: str) -> CRS | None:
    """The registered CRS an identifier names (None for lon/lat WGS 84)."""
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{what} no CRS", origin=origin)
    m = IDENTIFIER.fullmatch(name.strip())
    if m is None:
        raise InputError(f"{what} {_kind(name)}: only a CRS identifier is read ({EXAMPLES}), "
                         "never a PROJ string, a WKT or a file path", origin=origin)
    auth = next((v for k, v in m.groupdict().items() if k[0] == "a" and v), "OGC").upper()
    code = next(v for k, v in m.groupdict().items() if k[0] == "c" and v).upper()
    try:
        crs = WGS84 if code == "CRS84" else CRS.from_authority(auth, code)
    except CRSError:
        raise InputError(f"{what} an unknown CRS {brief(name, 60)}: save the file in lon/lat "
                         "(EPSG:4326) or a CRS with an EPSG code", origin=origin) from None
    return None if _is_lonlat(crs) else horizontal(crs, what, origin)


def horizontal(crs: CRS, what: str, origin: str) -> CRS:
    """The CRS when it is 2D horizontal (lon/lat or projected x/y); a vertical, compound,
    3D or geocentric one is refused (its coordinates would be taken for lon/lat)."""
    if len(crs.axis_info) != 2 or not (crs.is_geographic or crs.is_projected):
        raise InputError(f"{what} {crs.name}, which is not a 2D horizontal CRS (vertical, "
                         "compound, 3D or geocentric): save the file in lon/lat (EPSG:4326)",
                         origin=origin)
    return crs


def _kind(text: str) -> str:
    """What a CRS text that is no identifier looks like, without repeating it."""
    t = text.strip()
    kind = ("a PROJ string" if t.startswith("+") or "+proj" in t
            else "a WKT" if re.match(r"[A-Z_]+[0-9]*\s*\[", t)
            else "a file path" if t.startswith(("/", "\\", ".")) or ":\\" in t
            else "text that is no CRS identifier")
    return f"{kind} ({len(t):,} characters)"


def registered(crs: CRS, what: str, origin: str) -> CRS | None:
    """The registry's own definition of a CRS an input described (a WKT): used only when PROJ
    identifies it with full confidence, so nothing the input says beyond "which CRS" (a grid
    file, a PROJ string in an EXTENSION) reaches PROJ. None for lon/lat WGS 84."""
    if _is_lonlat(crs):
        return None
    try:
        found = crs.list_authority(min_confidence=100)
    except CRSError:
        found = []
    if not found:
        raise InputError(f"{what} a CRS with no EPSG code: save the file in lon/lat "
                         "(EPSG:4326) or a CRS with an EPSG code", origin=origin)
    match = CRS.from_authority(found[0].auth_name, found[0].code)
    return None if _is_lonlat(match) else horizontal(match, what, origin)


def _is_lonlat(crs: CRS) -> bool:
    return crs.is_geographic and crs.equals(WGS84, ignore_axis_order=True)


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
