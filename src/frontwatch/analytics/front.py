"""The line of contact: where occupied/contested ground meets the rest of Ukraine, leaving
out Ukraine's international border and coastline."""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pandas as pd
import shapely

from frontwatch import geometry, memo
from frontwatch.analytics.common import source_of
from frontwatch.errors import InputError
from frontwatch.model import SnapshotInfo
from frontwatch.oblasts import THEATRE
from frontwatch.settings import cache_bytes
from frontwatch.store.base import SqlStore

# Boundary within this distance of the theatre outline (border, coast) is not front line.
# DeepStateMap's polygons follow the border and coast only roughly.
OUTLINE_BUFFER_M = 2000.0
OUTLINE_SIMPLIFY_M = 50.0
# Holes smaller than this in the controlled area are seams between zones (e.g. along the
# 2014 line of contact, where ORDLO meets ground occupied since 2022), not enclaves.
SEAM_HOLE_KM2 = 5.0
# Fragments shorter than this left between the buffer and the controlled area are noise.
MIN_PIECE_KM = 1.0


# Front-line lengths and outline zones, keyed by content (snapshot hash, theatre digest):
# a line depends on nothing else, so series over overlapping ranges or other steps (API
# requests, notebooks) compute each line once; new data is new keys.
_CACHE: memo.Cache[Any] = memo.Cache(
    "front lines", cache_bytes("front lines"),
    lambda v: 400 if isinstance(v, float) else memo.geometry_bytes(v))


def _outline_zone(theatre_wkb: bytes) -> Any:
    """The theatre's outline (border and coastline) widened by OUTLINE_BUFFER_M, in lon/lat,
    prepared. Buffered in the equal-area plane, so the width is in metres everywhere."""
    key = ("zone", hashlib.sha256(theatre_wkb).digest())
    return _CACHE.get_or_make(key, lambda: _make_outline_zone(theatre_wkb))


def _make_outline_zone(theatre_wkb: bytes) -> Any:
    theatre = shapely.from_wkb(theatre_wkb)
    planar = geometry.to_equal_area(shapely.boundary(theatre))
    # Buffering the detailed outline (~30k vertices) costs ~2.6 s; simplified by 50 m first
    # (a 2.5 % wobble of a 2 km band) it takes ~50 ms, so no request pays for a cold start.
    planar = shapely.simplify(planar, OUTLINE_SIMPLIFY_M)
    zone = geometry.from_equal_area(shapely.buffer(planar, OUTLINE_BUFFER_M, quad_segs=2))
    shapely.prepare(zone)
    return zone


def _theatre(store: SqlStore, on: date) -> tuple[Any, bytes]:
    """The theatre in force on a date and its WKB, the key of what is derived from it."""
    geom = store.region(THEATRE, on).geometry
    return geom, shapely.to_wkb(geom)


def line_length_km(store: SqlStore, info: SnapshotInfo) -> float:
    """Geodesic km of a revision's front line, remembered for the life of the process."""
    theatre = _theatre(store, info.date)
    key = (info.content_hash, hashlib.sha256(theatre[1]).digest())
    return _CACHE.get_or_make(key, lambda: _line(store, info, *theatre)[1])


def line_of(store: SqlStore, info: SnapshotInfo) -> tuple[Any, float]:
    """Front line (MultiLineString) and its geodesic km for one stored revision."""
    return _line(store, info, *_theatre(store, info.date))


def _line(store: SqlStore, info: SnapshotInfo, theatre: Any, theatre_wkb: bytes
          ) -> tuple[Any, float]:
    controlled = geometry.union([store.layer(info.id, "occupied"),
                                 store.layer(info.id, "contested")])
    inside = _fill_seams(shapely.intersection(controlled, theatre))
    zone = _outline_zone(theatre_wkb)
    lines = shapely.difference(shapely.boundary(inside), zone)
    merged = shapely.line_merge(lines) if not lines.is_empty else lines
    parts = [p for p in shapely.get_parts(merged)
             if p.geom_type == "LineString" and geometry.geodesic_length_km(p) >= MIN_PIECE_KM]
    line = shapely.MultiLineString(parts)
    return line, geometry.geodesic_length_km(line)


def _fill_seams(geom) -> Any:
    parts = []
    for poly in geometry.polygons_of(geom):
        holes = [r for r in poly.interiors
                 if geometry.area_km2(shapely.Polygon(r)) >= SEAM_HOLE_KM2]
        parts.append(shapely.Polygon(poly.exterior, holes))
    return shapely.MultiPolygon(parts)


def frontline(store: SqlStore, on: date, source: str | None = None) -> tuple[Any, float]:
    """(MultiLineString in lon/lat, geodesic length in km) of the front line on a date."""
    return line_of(store, store.resolve(source_of(store, source), on))


def frontline_samples(store: SqlStore, start: date, end: date, source: str | None = None,
                      step_days: int = 1) -> list[tuple[date, SnapshotInfo]]:
    """(day, revision in force) for start, start + step, … ≤ end, from one query and no
    geometry, so what a series costs (one line per distinct revision) is known before it is
    computed. Like `series`, days before the source's history are left out."""
    if end < start:
        raise InputError(f"the range ends ({end}) before it starts ({start})")
    if step_days < 1:
        raise InputError(f"step={step_days}: must be at least 1 day")
    src = source_of(store, source)
    snaps = store.snapshots(src)
    if not snaps or end < snaps[0].date:
        store.resolve(src, end)  # raises NotFound naming where the history starts
    days = [s.date for s in snaps]
    first = max(0, -(-(snaps[0].date - start).days // step_days))  # first step on or after it
    out = []
    for n in range(first, (end - start).days // step_days + 1):
        day = start + timedelta(days=n * step_days)
        out.append((day, snaps[bisect.bisect_right(days, day) - 1]))  # last valid by day's end
    return out


def frontline_series(store: SqlStore, start: date, end: date, source: str | None = None,
                     step_days: int = 1, max_lines: int | None = None,
                     progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Front-line length per sampled date (columns date, snapshot_id, length_km); dates on
    the same revision share its line. Refuses (InputError) to compute more than `max_lines`
    lines; `progress(done, total)` follows the lines computed."""
    samples = frontline_samples(store, start, end, source, step_days)
    ids = list(dict.fromkeys(info.id for _, info in samples))
    if max_lines is not None and len(ids) > max_lines:
        raise InputError(f"step={step_days}: {start} to {end} needs {len(ids)} front lines (one "
                         f"per distinct revision), more than the {max_lines} allowed; use a "
                         "larger step or a shorter range")
    known: dict[int, float] = {}
    for _, info in samples:
        if info.id not in known:
            known[info.id] = line_length_km(store, info)
            if progress:
                progress(len(known), len(ids))
    rows = [{"date": day, "snapshot_id": info.id, "length_km": known[info.id]}
            for day, info in samples]
    return pd.DataFrame(rows, columns=["date", "snapshot_id", "length_km"])
