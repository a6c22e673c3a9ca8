"""Settlement outlines for the gazetteer, from OpenStreetMap boundary files (the hromada files
of `darmat1/ukraine-geo-data`: admin_level 9/10 polygons with `katotth` codes).

A polygon attaches to a place by its KATOTTG code (`katotth`); one whose code no place carries
(no code in OSM, or a place whose code the gazetteer left empty among namesakes) attaches to
the only place bearing its Ukrainian name whose point it contains. Points, other geometry
and polygons matching no place are counted, not stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import shapely

from frontwatch import geometry
from frontwatch.errors import InputError
from frontwatch.ingest.reader import load_json, read_bytes
from frontwatch.model import Place
from frontwatch.placenames import fold


@dataclass
class OutlineReport:
    attached: list[str] = field(default_factory=list)  # place slugs
    unmatched: int = 0  # polygons of settlements the gazetteer lacks
    skipped: int = 0  # points and other non-polygon features

    def to_dict(self) -> dict:
        return {"attached": len(self.attached), "places": sorted(self.attached),
                "unmatched": self.unmatched, "skipped": self.skipped}


def read_outlines(path: Path, places: list[Place]) -> tuple[list[tuple], OutlineReport]:
    """Rows for SqlStore.set_place_polygons (slug, katottg, km², origin, geometry) from one
    GeoJSON file (gzip read transparently), and what happened to each feature."""
    doc = load_json(read_bytes(path), str(path))
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InputError("not a GeoJSON FeatureCollection", origin=str(path))
    by_code = {p.katottg: p for p in places if p.katottg}
    by_name: dict[str, list[Place]] = {}
    for p in places:
        if p.name_uk:
            by_name.setdefault(fold(p.name_uk), []).append(p)
    rows: list[tuple] = []
    report = OutlineReport()
    for feature in doc.get("features") or []:
        geom_json = (feature or {}).get("geometry") or {}
        if geom_json.get("type") not in ("Polygon", "MultiPolygon"):
            report.skipped += 1
            continue
        props = feature.get("properties") or {}
        try:
            geom, _ = geometry.repair(shapely.geometry.shape(geom_json))  # valid, 2-D
        except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException):
            report.skipped += 1
            continue
        if geom.is_empty:
            report.skipped += 1
            continue
        place = by_code.get(props.get("katotth"))
        if place is None:
            name = props.get("name:uk") or props.get("name") or ""
            inside = [p for p in by_name.get(fold(name), [])
                      if shapely.contains_xy(geom, p.lon, p.lat)]
            place = inside[0] if len(inside) == 1 else None
        if place is None:
            report.unmatched += 1
            continue
        rows.append((place.slug, props.get("katotth") or place.katottg,
                     float(geometry.area_km2(geom)), path.name, geom))
        report.attached.append(place.slug)
    return rows, report


def codes_from_outlines(rows: list[tuple], places: list[Place]) -> dict[str, str]:
    """slug → KATOTTG code for places the bundled gazetteer left without one (namesakes in
    one oblast) whose attached outline carries one (OSM's `katotth`): a well-formed code of
    the place's oblast that no other place holds. What the user's file says, for their store
    (`set_place_codes`); the bundled gazetteer stays as built."""
    from frontwatch.oblasts import BY_KATOTTG

    held = {p.katottg for p in places if p.katottg}
    by_slug = {p.slug: p for p in places}
    found: dict[str, str] = {}
    for slug, code, *_ in rows:
        p = by_slug.get(slug)
        oblast = BY_KATOTTG.get(code[:4]) if code else None
        if p is not None and p.katottg is None and code and code not in held \
                and len(code) == 19 and oblast is not None and oblast.slug == p.region:
            found[slug] = code
    twice = {c for c in found.values() if list(found.values()).count(c) > 1}
    return {s: c for s, c in found.items() if c not in twice}
