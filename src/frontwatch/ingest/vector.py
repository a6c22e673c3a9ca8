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

from frontwatch.errors import InputError, OptionConflict, brief, described, echo, exclusive
from frontwatch.ingest.crs import geojson_crs, to_lonlat
from frontwatch.ingest.limits import Limits, check_features, check_vertices
from frontwatch.ingest.prepare import RawZone
from frontwatch.ingest.reader import read_vector
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
# `--status-map VALUE=ignore`: features with that value are not part of the control layer
# (e.g. the Ukrainian-held polygon of a two-colour KML).
IGNORE = "ignore"
# Properties that, when they differ between features, say the features are not all of one
# status: a single `--status` over them would claim more than the file does.
STATUS_LIKE = ("status", "type", "styleurl", "control", "controlled_by", "side", "category",
               "class", "zone", "kind", "state", "legend", "layer", "folder")


@dataclass(slots=True)
class StatusMapping:
    """How to read each feature's status: one status for all, or a field plus a mapping."""

    status: str | None = None
    field: str | None = None
    mapping: dict[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, status: str | None, field: str | None, pairs: list[str] | None
           ) -> StatusMapping:
        """The mapping `frontwatch import` and the upload are given, refused (OptionConflict)
        when its options contradict: --status (one status for every feature) with
        --status-field (each feature's own), or --status-map without the field it maps."""
        mapping = parse_mapping(pairs or [])  # a malformed pair is named first
        exclusive(status=status, status_field=field)
        if mapping and not field:
            raise OptionConflict("--status-map needs --status-field (the field whose values "
                                 "it maps)" + (": --status gives every feature one status"
                                               if status else ""))
        return cls(status=status, field=field, mapping=mapping)

    def resolve(self, value: str, origin: str) -> tuple[Status, str, int | None] | None:
        """The status a value stands for; None for a value mapped to `ignore`."""
        key = str(value).strip().lower()
        target = self.mapping.get(key, key)
        if target == IGNORE:
            return None
        try:
            return VOCABULARY[target]
        except KeyError:
            raise InputError(
                f"unknown status {brief(value)}; accepted: {', '.join(sorted(VOCABULARY))} "
                "(map others with --status-map VALUE=STATUS or VALUE=ignore)", origin=origin
            ) from None

    def known(self, value: object) -> bool:
        key = str(value).strip().lower()
        target = self.mapping.get(key, key)
        return target == IGNORE or target in VOCABULARY


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """['Grey=contested', 'UA=ignore', …] → {'grey': 'contested', 'ua': 'ignore'}; refuses
    targets outside the vocabulary."""
    out: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise InputError(f"--status-map {echo(pair)}: expected VALUE=STATUS")
        value, target = (s.strip() for s in pair.split("=", 1))
        if target.lower() not in VOCABULARY and target.lower() != IGNORE:
            raise InputError(f"--status-map {echo(pair)}: unknown status {echo(target)}; accepted: "
                             f"{', '.join(sorted(VOCABULARY))}, or {IGNORE} to skip the "
                             "features")
        out[value.lower()] = target.lower()
    return out


def read_features(data: bytes, origin: str, status: StatusMapping, limits: Limits
                  ) -> list[tuple[dict, Any]]:
    """(properties, geometry in lon/lat) of a GeoPackage, FlatGeobuf or zipped Shapefile,
    after checking that a status is given and its field exists."""
    if not status.status and not status.field:
        raise InputError("generic vector files need --status STATUS or --status-field FIELD "
                         "(with --status-map VALUE=STATUS for other values)", origin=origin)
    df = read_vector(data, origin, limits)
    check_field(status.field, [c for c in df.columns if c != "geometry"], origin)
    records = df.drop(columns="geometry").to_dict("records")
    return list(zip(records, df.geometry.values))


def check_field(name: str | None, fields: list[str], origin: str) -> None:
    """Refuse a status or date field the features do not have, listing the ones they do."""
    if name and name not in fields:
        shown = [brief(c, 30) for c in fields]
        raise InputError(f"no field {echo(name)}; fields are: {', '.join(shown[:12]) or '(none)'}"
                         + (" …" if len(shown) > 12 else ""), origin=origin)


def with_statuses(features: list[tuple[dict, Any]], status: StatusMapping, origin: str,
                  notes: list[str] | None = None) -> list[RawZone]:
    """Raw zones from (properties, geometry) pairs, each given its status by the user's
    mapping; points and lines are not zones and are passed over, features mapped to
    `ignore` are skipped (counted in `notes`).

    Refuses, naming the values, a mapping that would claim more than the file says: one
    `--status` over features whose status-like property differs, or field values that are
    neither a status nor mapped."""
    polygons = [(i, p, g) for i, (p, g) in enumerate(features)
                if g is not None and shapely.get_type_id(g) in (3, 6, 7)]
    if not status.field:
        _refuse_single_status_over_many(polygons, status.status or "", origin)
    else:
        unknown = sorted({str(v) for _, p, _ in polygons
                          if not _missing(v := p.get(status.field)) and not status.known(v)})
        if unknown:
            raise InputError(
                f"unknown status{'es' if len(unknown) > 1 else ''} "
                f"{', '.join(brief(v) for v in unknown[:8])}{' …' if len(unknown) > 8 else ''}"
                f" in {echo(status.field)}: map each with --status-map VALUE=STATUS or "
                f"VALUE=ignore (accepted: {', '.join(sorted(VOCABULARY))})", origin=origin)
    out: list[RawZone] = []
    ignored: dict[str, int] = {}
    for i, props, geom in polygons:
        value = status.status if not status.field else props.get(status.field)
        if _missing(value):
            raise InputError(f"feature {i} has no {echo(status.field)} property", origin=origin)
        meaning = status.resolve(value, f"{origin} (feature {i})")
        if meaning is None:
            ignored[str(value)] = ignored.get(str(value), 0) + 1
            continue
        st, kind, since = meaning
        out.append(RawZone(st, kind, geom, since, str(value)[:200]))
    if ignored and notes is not None:
        notes.append(f"ignored {sum(ignored.values())} feature(s) mapped to ignore: "
                     + ", ".join(f"{brief(v)} ×{n}" for v, n in ignored.items()))
    return out


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))  # null → NaN


def _refuse_single_status_over_many(polygons: list[tuple[int, dict, Any]], status: str,
                                    origin: str) -> None:
    values: dict[str, set[str]] = {}
    for _, props, _ in polygons:
        for key, v in props.items():
            if str(key).lower() in STATUS_LIKE and not _missing(v) and str(v).strip():
                values.setdefault(str(key), set()).add(str(v))
    for key, found in values.items():
        if len(found) > 1:
            shown = sorted(found)
            given = status if status in VOCABULARY else echo(status)
            raise InputError(
                f"--status {given} would mark every feature {given}, but their {brief(key)} "
                f"holds {len(found)} different values ({', '.join(brief(v) for v in shown[:6])}"
                f"{' …' if len(shown) > 6 else ''}): give --status-field {key} with "
                "--status-map VALUE=STATUS (or VALUE=ignore) for each", origin=origin)


def geojson_zones(doc: Any, origin: str, limits: Limits | None = None,
                  notes: list[str] | None = None) -> list[tuple[dict, Any]]:
    """(properties, shapely geometry in lon/lat) of every feature of a GeoJSON document,
    within the feature and vertex limits, with precise errors for JSON that is not GeoJSON.
    A GeoJSON 2008 ``crs`` member naming another CRS is honoured: the geometries are
    reprojected and a note added to `notes`."""
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
                         f"{described(doc['type'])})", origin=origin)
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
    crs = geojson_crs(doc, origin)
    geoms = shapely.from_geojson(texts, on_invalid="ignore")
    bad = np.flatnonzero(shapely.is_missing(geoms))
    if len(bad):
        raise _malformed(int(bad[0]), origin)
    if crs is not None:
        geoms, note = to_lonlat(list(geoms), crs, origin)
        if notes is not None:
            notes.append(note)
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
