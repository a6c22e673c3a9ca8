"""Esri JSON, as an ArcGIS REST layer returns it to ``query?f=json`` (how ISW/CTP publish
their layers): ``{"geometryType", "spatialReference": {"wkid"}, "features": [{"attributes",
"geometry": {"rings"}}]}``.

Polygons follow Esri's rules: a ring is a list of positions; clockwise rings are outer
boundaries and counter-clockwise rings holes, each hole belonging to the outer ring that
contains it. Coordinates are in the layer's ``spatialReference`` (often 102100, Esri's code
for Web Mercator) and reprojected to lon/lat. Statuses come from `--status` or
`--status-field` (an attribute), like any vector file.

The module has the shape of one format (frontwatch.ingest.base): :data:`FORMAT`.
"""

from __future__ import annotations

from typing import Any

import shapely

from frontwatch.errors import InputError
from frontwatch.ingest import dated
from frontwatch.ingest.base import Format, Input
from frontwatch.ingest.crs import esri_crs, to_lonlat
from frontwatch.ingest.limits import Limits, check_features, check_vertices
from frontwatch.model import Snapshot

LABEL = "Esri JSON"

Feature = tuple[dict, Any]


def detect(doc: Any) -> bool:
    """Parsed JSON with Esri's feature set shape: a ``features`` list of objects with
    ``attributes`` or ``geometry``, and no GeoJSON ``type``."""
    if not isinstance(doc, dict) or "type" in doc:
        return False
    feats = doc.get("features")
    if not isinstance(feats, list):
        return False
    if "geometryType" in doc or "spatialReference" in doc:
        return True
    return bool(feats) and isinstance(feats[0], dict) and "attributes" in feats[0]


def read(doc: Any, origin: str, limits: Limits, notes: list[str]) -> list[Feature]:
    """(attributes, geometry in lon/lat) of every feature; points and paths are read too
    (and later passed over as not zones)."""
    if not detect(doc):
        raise InputError("not Esri JSON: expected {\"features\": [{\"attributes\", "
                         "\"geometry\"}]}", origin=origin)
    feats = doc["features"]
    check_features(len(feats), origin, limits)
    reference = doc.get("spatialReference")
    if reference is None:
        reference = next((f["geometry"].get("spatialReference") for f in feats
                          if isinstance(f, dict) and isinstance(f.get("geometry"), dict)
                          and f["geometry"].get("spatialReference")), None)
    crs = esri_crs(reference, origin)
    if doc.get("exceededTransferLimit"):
        notes.append("the ArcGIS server returned only part of the layer "
                     "(exceededTransferLimit): page through it with resultOffset")
    out: list[Feature] = []
    total = 0
    for i, f in enumerate(feats):
        if not isinstance(f, dict):
            raise InputError(f"feature {i} is not an object", origin=origin)
        attrs = f.get("attributes") or {}
        if not isinstance(attrs, dict):
            raise InputError(f"feature {i}: 'attributes' is not an object", origin=origin)
        g = f.get("geometry")
        total += _positions(g)
        check_vertices(total, origin, limits)
        out.append((attrs, _geometry(g, i, origin)))
    if crs is not None:
        present = [k for k, (_, g) in enumerate(out) if g is not None]
        moved, note = to_lonlat([out[k][1] for k in present], crs, origin)
        for k, g in zip(present, moved):
            out[k] = (out[k][0], g)
        notes.append(note)
    return out


def _positions(g: Any) -> int:
    if not isinstance(g, dict):
        return 0
    parts = g.get("rings") or g.get("paths") or []
    return sum(len(p) for p in parts if isinstance(p, list)) if isinstance(parts, list) else 0


def _geometry(g: Any, i: int, origin: str) -> Any:
    if g is None or g == {}:
        return None
    if not isinstance(g, dict):
        raise InputError(f"feature {i}: 'geometry' is not an object", origin=origin)
    try:
        if "rings" in g:
            return polygon_from_rings([_xy(r) for r in g["rings"]])
        if "paths" in g:
            return shapely.MultiLineString([_xy(p) for p in g["paths"]])
        if "x" in g and "y" in g:
            if g["x"] is None or g["x"] == "NaN":  # Esri's empty point
                return None
            return shapely.Point(float(g["x"]), float(g["y"]))
    except (TypeError, ValueError, IndexError, shapely.errors.GEOSException):
        raise InputError(f"feature {i} has malformed geometry (not Esri rings, paths or "
                         "x/y)", origin=origin) from None
    raise InputError(f"feature {i}: geometry has no rings, paths or x/y (multipoints and "
                     "envelopes are not zones)", origin=origin)


def _xy(positions: list) -> list[tuple[float, float]]:
    """[[x, y, (z, m)], …] → [(x, y), …]."""
    return [(float(p[0]), float(p[1])) for p in positions]


def polygon_from_rings(rings: list[list[tuple[float, float]]]) -> Any:
    """A Polygon or MultiPolygon from Esri rings: clockwise rings are shells, the others
    holes of the smallest shell containing them. A hole no shell contains is kept as a shell
    of its own (what ArcGIS draws), never dropped."""
    if not rings:
        return None
    lrings = [shapely.LinearRing(r) for r in rings if len(r) >= 3]
    shells = [r for r in lrings if not r.is_ccw]
    holes = [r for r in lrings if r.is_ccw]
    if not shells:  # some writers ignore orientation: every ring a shell
        shells, holes = holes, []
    polys = [shapely.Polygon(s) for s in shells]
    owned: list[list[Any]] = [[] for _ in shells]
    for h in holes:
        inside = [k for k, p in enumerate(polys)
                  if p.contains(shapely.Point(h.coords[0])) or p.covers(shapely.Polygon(h))]
        if inside:
            owned[min(inside, key=lambda k: polys[k].area)].append(h)
        else:
            shells.append(h)
            owned.append([])
    parts = [shapely.Polygon(s, o) for s, o in zip(shells, owned)]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _snapshots(inp: Input) -> list[Snapshot]:
    notes: list[str] = []
    feats = read(inp.doc, inp.name, inp.opts.limits, notes)
    return dated.given_statuses(feats, inp, FORMAT.source(inp.opts), LABEL, notes)


# An ArcGIS layer names no assessor: name the source with --source.
FORMAT = Format("esrijson", LABEL, lambda inp: inp.is_json and detect(inp.doc), _snapshots,
                (".json",))
