"""Serialize snapshots and layers to GeoJSON (RFC 7946): lon/lat, right-hand rule, at most
6 decimals, no `crs` member, every geometry valid (:func:`frontwatch.geometry.publishable`).

Coordinates are written by orjson (shortest round-trip text of each double), not by GEOS's
GeoJSON writer, which prints 17 significant digits and so writes ~0.15 % of 6-decimal
values as e.g. 48.418017999999996. Still ~20× faster than GeoDataFrame.to_json."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import orjson
import shapely

from frontwatch import geometry, memo
from frontwatch.dates import iso
from frontwatch.model import DEMO_NOTICE, SnapshotInfo
from frontwatch.settings import cache_bytes
from frontwatch.sources import attribution


def mapping(geom) -> dict[str, Any]:
    """The GeoJSON geometry object of a shapely geometry, as plain lists (no rounding or
    repair here: give it what :func:`frontwatch.geometry.publishable` returns)."""
    kind = geom.geom_type
    if kind == "GeometryCollection":
        return {"type": kind, "geometries": [mapping(g) for g in geom.geoms]}
    if geom.is_empty:
        return {"type": kind, "coordinates": []}
    if kind in ("Polygon", "MultiPolygon"):
        return {"type": kind, "coordinates": _polygons(geom, kind == "MultiPolygon")}
    _, coords, offsets = shapely.to_ragged_array([geom])
    nested: Any = coords.tolist()
    for off in offsets:  # innermost first: rings/parts, then polygons, then collections
        nested = [nested[a:b] for a, b in zip(off[:-1].tolist(), off[1:].tolist())]
    return {"type": kind, "coordinates": nested[0]}


def _polygons(geom, multi: bool) -> list:
    """The coordinates of a (multi)polygon: every ring's vertices in one array, cut by the
    rings' sizes — 3× faster than to_ragged_array, which builds its offsets level by level
    with numpy.insert (a zone's text, made on a cache miss, was 5 ms; now under 2)."""
    polys = shapely.get_parts(geom)
    rings, owner = shapely.get_rings(polys, return_index=True)
    coords = shapely.get_coordinates(rings).tolist()
    ends = np.cumsum(shapely.get_num_coordinates(rings)).tolist()
    cut = [coords[a:b] for a, b in zip([0, *ends[:-1]], ends)]
    out, first = [], 0
    for n in np.bincount(owner, minlength=len(polys)).tolist():
        out.append(cut[first:first + n])
        first += n
    return out if multi else out[0]


def geometry_object(geom, decimals: int = 6) -> dict[str, Any]:
    """One geometry as a GeoJSON object, made publishable first (for writers that build
    their own documents, e.g. the web maps' embedded layers)."""
    return mapping(geometry.publishable(geom, decimals))


# Geometry texts keyed by (hash of the input geometry's WKB, decimals): the text is a pure
# function of those. Revisions repeat most zones of the one before (the 104 DeepStateMap
# revisions of 2025 hold 9,969 zones but 879 distinct geometries), so snapshots and OGC pages
# of a new date mostly reuse texts instead of snap-rounding and writing them again.
_texts: memo.Cache[bytes] = memo.Cache("geojson", cache_bytes("geojson"))


def _keys(geoms: Sequence[Any], decimals: int) -> list[tuple[bytes, int] | None]:
    """The text cache's keys of `geoms` (None for a missing geometry, written `null`)."""
    wkbs = shapely.to_wkb(np.array(geoms, dtype=object)) if len(geoms) else []
    return [None if w is None else (hashlib.blake2b(w, digest_size=16).digest(), decimals)
            for w in wkbs]


def _texts_of(geoms: Sequence[Any], decimals: int) -> list[bytes]:
    """Snap-round, repair and write `geoms` (the work a cache miss costs)."""
    return [b"null" if g.is_empty else orjson.dumps(mapping(g))
            for g in geometry.publishable(list(geoms), decimals)]


def rfc7946(geoms: Sequence[Any], decimals: int = 6) -> list[bytes]:
    """GeoJSON geometry texts: valid, counter-clockwise shells, at most `decimals` decimals.
    A geometry that is empty once rounded (a sliver thinner than the grid) is `null`, an
    unlocated feature (RFC 7946 §3.2), rather than an empty coordinate array."""
    geoms = list(geoms)
    keys = _keys(geoms, decimals)
    out = [b"null" if k is None else _texts.get(k) for k in keys]
    todo = [i for i, t in enumerate(out) if t is None]
    if todo:
        for i, text in zip(todo, _texts_of([geoms[i] for i in todo], decimals)):
            out[i] = text
            _texts.put(keys[i], text)
    return out  # type: ignore[return-value]


def cache_stats() -> dict[str, int]:
    """The geometry-text cache's entries, bytes, bound, hits and misses."""
    return _texts.stats()


def prefill_room(share: float = 0.5) -> int:
    """Bytes the text cache may hold before a prefill stops: `share` of its bound, leaving
    the rest to what requests make (clipped, simplified or reprojected geometries)."""
    return int(_texts.max_bytes * share)


def prefill(geoms: Sequence[Any], room: int, decimals: int = 6) -> tuple[int, bool]:
    """Write and keep the texts of those of `geoms` not cached yet — the same keys and bytes
    as :func:`rfc7946`, so a later request is a hit — while the cache holds at most `room`
    bytes. Looking does not count as a hit or a miss (the stats stay the requests').

    Returns
    -------
    (int, bool)
        texts added, and whether `room` was reached (a text that did not fit is not kept).
    """
    keys = _keys(list(geoms), decimals)
    seen: set[tuple[bytes, int]] = set()
    todo = []
    for i, k in enumerate(keys):
        if k is not None and k not in seen and k not in _texts:
            seen.add(k)
            todo.append(i)
    added = 0
    for i, text in zip(todo, _texts_of([geoms[i] for i in todo], decimals)):
        if _texts.bytes + _texts.sizeof(text) > room:
            return added, True
        _texts.put(keys[i], text)
        added += 1
    return added, _texts.bytes >= room


def feature_collection(features: Iterable[tuple[Any, dict[str, Any]]],
                       meta: dict[str, Any] | None = None, ids: Sequence[Any] | None = None,
                       decimals: int = 6) -> bytes:
    """A FeatureCollection from (geometry, properties) pairs, with extra top-level members
    (`decimals`: of the coordinates' units, e.g. 2 for metres of a projected CRS)."""
    items = list(features)
    texts = rfc7946([g for g, _ in items], decimals) if items else []
    parts = []
    for i, ((_, props), text) in enumerate(zip(items, texts)):
        head = b'{"type":"Feature"'
        if ids is not None:
            head += b',"id":' + orjson.dumps(ids[i])
        parts.append(head + b',"geometry":' + text + b',"properties":'
                     + orjson.dumps(props) + b"}")
    body = b'{"type":"FeatureCollection","features":[' + b",".join(parts) + b"]"
    for key, value in (meta or {}).items():
        body += b"," + orjson.dumps(key) + b":" + orjson.dumps(value)
    return body + b"}"


def snapshot_meta(info: SnapshotInfo) -> dict[str, Any]:
    """What every response made from a snapshot says about it, attribution included."""
    meta = {
        "source": info.source,
        "valid_at": iso(info.valid_at),
        "recorded_at": iso(info.recorded_at),
        "revision": info.revision,
        "content_hash": info.content_hash,
        "attribution": attribution(info.source),
    }
    if info.illustrative:
        meta["illustrative"] = True
        meta["notice"] = DEMO_NOTICE
    return meta
