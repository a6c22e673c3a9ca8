"""What every GeoJSON document Frontwatch writes must pass, checked by an independent
validator (the `geojson-validator` package: structure, ring closure and orientation,
self-intersections) and by shapely (OGC validity), on the exact bytes written."""

from __future__ import annotations

import re
from typing import Any

import geojson_validator
import orjson
import shapely

geojson_validator.configure_logging(enabled=False)

# The validator's "problematic" criteria that are errors for us. Holes, many vertices and
# repeated nodes are legitimate in control zones and stay allowed.
PROBLEMS = ("inner_and_exterior_ring_intersect", "self_intersection",
            "excessive_coordinate_precision", "3d_coordinates", "outside_lat_lon_boundaries",
            "crosses_antimeridian")
# A number written with more than 6 decimals (the validator reads parsed floats, whose
# shortest text can be short although the document spells them out with 17 digits).
LONG_NUMBER = re.compile(rb"\d\.\d{7,}")


def geometry_problems(body: bytes | dict[str, Any]) -> list[str]:
    """Every problem found in a GeoJSON document (a FeatureCollection, Feature or geometry),
    as readable lines; empty when it is valid."""
    out = []
    if isinstance(body, bytes | bytearray):
        m = LONG_NUMBER.search(body)
        if m:
            out.append(f"number with more than 6 decimals: {body[m.start() - 20:m.end()]!r}")
        doc = orjson.loads(body)
    else:
        doc = body
    structure = geojson_validator.validate_structure(doc)
    if structure:
        out.append(f"structure: {structure}")
    res = geojson_validator.validate_geometries(doc, criteria_problematic=PROBLEMS)
    if res["invalid"] or res["problematic"]:
        out.append(f"geometry: invalid {res['invalid']}, problematic {res['problematic']}")
    features = doc.get("features", [doc] if doc.get("type") == "Feature" else [])
    geoms = [f["geometry"] for f in features] if features or "features" in doc else [doc]
    for i, g in enumerate(geoms):
        if g is None:  # an unlocated feature (RFC 7946 §3.2)
            continue
        shape = shapely.geometry.shape(g)
        if not shapely.is_valid(shape):
            out.append(f"feature {i}: {shapely.is_valid_reason(shape)}")
    return out


def assert_valid_geojson(body: bytes | dict[str, Any]) -> None:
    problems = geometry_problems(body)
    assert not problems, "\n".join(problems[:10])
