"""Generic vector files (GeoJSON, GeoPackage, zipped Shapefile, FlatGeobuf), with a
user-given status mapping and date."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import shapely

from frontwatch.errors import InputError
from frontwatch.ingest.limits import Limits, check_features, check_vertices
from frontwatch.ingest.prepare import RawZone
from frontwatch.ingest.reader import brief, read_vector
from frontwatch.model import Status

# Accepted spellings of each status (case-insensitive), with the zone kind they imply.
VOCABULARY: dict[str, tuple[Status, str, int | None]] = {
    "occupied": (Status.OCCUPIED, "occupied", 2022),
    "ordlo": (Status.OCCUPIED, "ordlo", 2014),
    "crimea": (Status.OCCUPIED, "crimea", 2014),
    "contested": (Status.CONTESTED, "contested", None),
    "grey": (Status.CONTESTED, "contested", None),
    "gray": (Status.CONTESTED, "contested", None),
    "grey zone": (Status.CONTESTED, "contested", None),
    "unknown": (Status.CONTESTED, "contested", None),
    "liberated": (Status.LIBERATED, "liberated", None),
}


@dataclass(slots=True)
class StatusMapping:
    """How to read each feature's status: one status for all, or a field plus a mapping."""

    status: str | None = None
    field: str | None = None
    mapping: dict[str, str] = dataclasses.field(default_factory=dict)

    def resolve(self, value: str, origin: str) -> tuple[Status, str, int | None]:
        key = str(value).strip().lower()
        target = self.mapping.get(key, key)
        try:
            return VOCABULARY[target]
        except KeyError:
            raise InputError(
                f"unknown status {brief(value)}; accepted: {', '.join(sorted(VOCABULARY))} "
                "(map others with --status-map VALUE=STATUS)", origin=origin) from None


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """['Grey=contested', …] → {'grey': 'contested'}; refuses targets outside the vocabulary."""
    out: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise InputError(f"--status-map {pair!r}: expected VALUE=STATUS")
        value, target = (s.strip() for s in pair.split("=", 1))
        if target.lower() not in VOCABULARY:
            raise InputError(f"--status-map {pair!r}: unknown status {target!r}; accepted: "
                             f"{', '.join(sorted(VOCABULARY))}")
        out[value.lower()] = target.lower()
    return out


def read_zones(data: bytes, origin: str, status: StatusMapping, limits: Limits
               ) -> list[RawZone]:
    """Read polygons from a GeoPackage, FlatGeobuf or zipped Shapefile and give each its
    status."""
    if not status.status and not status.field:
        raise InputError("generic vector files need --status STATUS or --status-field FIELD "
                         "(with --status-map VALUE=STATUS for other values)", origin=origin)
    df = read_vector(data, origin, limits)
    if status.field and status.field not in df.columns:
        fields = [brief(c, 30) for c in df.columns if c != "geometry"]
        raise InputError(f"no field {status.field!r}; fields are: {', '.join(fields[:12])}"
                         + (" …" if len(fields) > 12 else ""), origin=origin)
    records = df.drop(columns="geometry").to_dict("records")
    return with_statuses(list(zip(records, df.geometry.values)), status, origin)


def with_statuses(features: list[tuple[dict, Any]], status: StatusMapping, origin: str
                  ) -> list[RawZone]:
    """Raw zones from (properties, geometry) pairs, each given its status by the user's
    mapping; points and lines are not zones and are passed over."""
    out: list[RawZone] = []
    for i, (props, geom) in enumerate(features):
        if geom is None or shapely.get_type_id(geom) not in (3, 6, 7):
            continue
        value = status.status if not status.field else props.get(status.field)
        if value is None or (isinstance(value, float) and math.isnan(value)):  # null → NaN
            raise InputError(f"feature {i} has no {status.field!r} property", origin=origin)
        st, kind, since = status.resolve(value, f"{origin} (feature {i})")
        out.append(RawZone(st, kind, geom, since, str(value)))
    return out


def geojson_zones(doc: Any, origin: str, limits: Limits | None = None
                  ) -> list[tuple[dict, Any]]:
    """(properties, shapely geometry) of every feature of a GeoJSON document, within the
    feature and vertex limits, with precise errors for JSON that is not GeoJSON."""
    if not isinstance(doc, dict) or "type" not in doc:
        found = {list: "an array", dict: "an object without 'type'"}.get(
            type(doc), f"a {type(doc).__name__}")
        raise InputError(f"JSON is not GeoJSON: expected a FeatureCollection, found {found}",
                         origin=origin)
    if doc["type"] == "Feature":
        feats = [doc]
    elif doc["type"] == "FeatureCollection":
        feats = doc.get("features")
        if not isinstance(feats, list):
            raise InputError("FeatureCollection has no 'features' list", origin=origin)
    else:
        raise InputError("JSON is not a GeoJSON FeatureCollection (type "
                         f"{brief(doc['type'])})", origin=origin)
    limits = limits or Limits.from_settings()
    check_features(len(feats), origin, limits)
    props: list[dict] = []
    geometries: list[Any] = []
    for i, f in enumerate(feats):
        if not isinstance(f, dict):
            raise InputError(f"feature {i} is not an object", origin=origin)
        g = f.get("geometry")
        if g is None:
            continue
        props.append(f.get("properties") or {})
        geometries.append(g)
    # Counted before GEOS parses anything: its JSON parser takes ~300 bytes per vertex.
    check_vertices(sum(map(count_positions, geometries)), origin, limits)
    if not geometries:
        return []
    texts = []
    for i, g in enumerate(geometries):
        try:
            texts.append(orjson.dumps(g))
        except (TypeError, orjson.JSONEncodeError):  # nested deeper than any geometry
            raise _malformed(i, origin) from None
    geoms = shapely.from_geojson(texts, on_invalid="ignore")
    bad = np.flatnonzero(shapely.is_missing(geoms))
    if len(bad):
        raise _malformed(int(bad[0]), origin)
    return list(zip(props, geoms))


def _malformed(i: int, origin: str) -> InputError:
    return InputError(f"feature {i} has malformed geometry (not a valid GeoJSON geometry "
                      "object)", origin=origin)


def count_positions(geometry: Any) -> int:
    """Positions in a parsed GeoJSON geometry, without recursion and without visiting each
    position of a well-formed ring or line (counted by its length)."""
    n, stack = 0, [geometry]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.append(item.get("coordinates"))
            parts = item.get("geometries")
            if isinstance(parts, list):
                stack.extend(parts)
        elif isinstance(item, list) and item:
            first = item[0]
            if not isinstance(first, list):
                n += 1  # a position
            elif first and not isinstance(first[0], list | dict):
                n += len(item)  # a ring or line of positions
            else:
                stack.extend(item)
    return n
