"""The line of contact: where occupied/contested ground meets the rest of Ukraine, leaving
out Ukraine's international border and coastline."""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from frontwatch import coverage, dates, geometry, memo
from frontwatch.analytics.common import source_of, version_ids
from frontwatch.errors import InputError
from frontwatch.model import SnapshotInfo
from frontwatch.oblasts import THEATRE
from frontwatch.provenance import of_range, shown
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


# Outline zones and front lines, keyed by the theatre's content (its digest) and a revision's
# content hash: new data is new keys. Front-line lengths need no cache: they are measured at
# import (the `frontline_lengths` table).
_CACHE: memo.Cache[Any] = memo.Cache(
    "frontline", cache_bytes("frontline"), memo.geometry_bytes)


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
    """Geodesic km of a revision's front line, as measured at import (the `frontline_lengths`
    table); measured now if the table lacks it (a store from before the table, until
    `frontwatch stats rebuild`)."""
    found, missing = _stored_lengths(store, [info])
    return found[info.id] if not missing else line_of(store, info)[1]


def _stored_lengths(store: SqlStore, infos: Sequence[SnapshotInfo]
                    ) -> tuple[dict[int, float], list[SnapshotInfo]]:
    """(snapshot id → stored km, revisions without a length for the theatre in force)."""
    stored = store.frontline_lengths([i.id for i in infos])
    found: dict[int, float] = {}
    missing = []
    for info, tid in zip(infos, version_ids(store, THEATRE, [i.date for i in infos])):
        km = stored.get(info.id, {}).get(tid) if tid is not None else None
        if km is None:
            missing.append(info)
        else:
            found[info.id] = km
    return found, missing


def line_of(store: SqlStore, info: SnapshotInfo) -> tuple[Any, float]:
    """Front line (MultiLineString) and its geodesic km for one stored revision. The line
    is kept in the cache by content and theatre, so an import's steps (length, distances
    of the places that changed) draw it once."""
    theatre, theatre_wkb = _theatre(store, info.date)
    key = ("line", info.content_hash, hashlib.sha256(theatre_wkb).digest())
    line = _CACHE.get(key)
    if line is not None:
        return line, geometry.geodesic_length_km(line)
    line, km = _line(store, info, theatre, theatre_wkb)
    _CACHE.put(key, line)
    return line, km


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


def _fill_seams(geom: BaseGeometry) -> shapely.MultiPolygon:
    """`geom` without its holes smaller than SEAM_HOLE_KM2 (all holes measured at once)."""
    polys = geometry.polygons_of(geom)
    rings = [list(p.interiors) for p in polys]
    flat = [r for rs in rings for r in rs]
    big = iter(geometry.area_km2(shapely.polygons(flat)) >= SEAM_HOLE_KM2 if flat else ())
    return shapely.MultiPolygon([shapely.Polygon(p.exterior, [r for r in rs if next(big)])
                                 for p, rs in zip(polys, rings)])


def frontline(store: SqlStore, on: date, source: str | None = None) -> tuple[Any, float]:
    """The front line on a date: where occupied and contested ground meets the rest of
    Ukraine, leaving out the border and the coast (within OUTLINE_BUFFER_M of them).

    Parameters
    ----------
    store : SqlStore
        read: the revision's layers and the theatre's outline.
    on : datetime.date
        the revision in force at the end of that day.
    source : str, optional
        None: the store's default source.

    Returns
    -------
    tuple of (shapely.MultiLineString, float)
        the line in lon/lat (EPSG:4326) and its geodesic length in km on WGS84
        (``pyproj.Geod``).

    Raises
    ------
    NotFound
        an unknown source, or a date before the source's history.
    """
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
    end = coverage.span(store, src, dates.DayRange(None, end)).end  # never past the data
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
    """Front-line length per sampled date; dates on the same revision share its line.
    Lengths are read from the table filled at import; a revision missing from it is measured
    now.

    Parameters
    ----------
    store : SqlStore
        read: the front-line lengths table (a revision it lacks: its layers).
    start, end : datetime.date
        inclusive; days before the source's history are left out.
    source : str, optional
        None: the store's default source.
    step_days : int
        days between samples (1 or more).
    max_lines : int, optional
        the most revisions that may be measured now (None: no bound).
    progress : callable, optional
        ``progress(done, total)`` over the revisions measured now.

    Returns
    -------
    pandas.DataFrame
        ``date`` (datetime.date objects), ``snapshot_id`` int64, ``length_km`` float64
        (geodesic km on WGS84).
        ``.attrs``: a :data:`frontwatch.provenance.Provenance` (source, ``snapshot``: the
        newest revision in the range, ``from``/``to`` as answered, ``data_through``,
        ``stale_days``, ``attribution``).

    Raises
    ------
    InputError
        an inverted range, a step below 1, or more than `max_lines` lines to measure.
    NotFound
        an unknown source, or a range wholly before the source's history.
    """
    samples = frontline_samples(store, start, end, source, step_days)
    infos = list({info.id: info for _, info in samples}.values())
    known, missing = _stored_lengths(store, infos)
    if max_lines is not None and len(missing) > max_lines:
        raise InputError(f"step={step_days}: {start} to {end} needs {len(missing)} front lines "
                         f"(one per distinct revision not yet measured), more than the "
                         f"{max_lines} allowed; use a larger step or a shorter range, or run "
                         "`frontwatch stats rebuild`")
    for n, info in enumerate(missing, 1):
        known[info.id] = line_of(store, info)[1]
        if progress:
            progress(n, len(missing))
    rows = [{"date": day, "snapshot_id": info.id, "length_km": known[info.id]}
            for day, info in samples]
    src = samples[-1][1].source if samples else source_of(store, source)
    return shown(pd.DataFrame(rows, columns=["date", "snapshot_id", "length_km"]),
                 of_range(store, src, coverage.span(store, src, dates.DayRange(start, end))))


# --- computing the lengths table (at import) ---------------------------------------------
def on_snapshot(store: SqlStore, info: SnapshotInfo) -> None:
    """Measure a new revision's front line (see :func:`on_snapshots`)."""
    on_snapshots(store, [info])


def on_snapshots(store: SqlStore, infos: Sequence[SnapshotInfo],
                 advance: Callable[[int], None] | None = None) -> None:
    """Measure new revisions' front lines (inside the import transaction); nothing before
    a theatre exists (regions imported later measure it). An unchanged day (same content,
    same theatre) reuses the length already stored; each theatre is read once."""
    theatres: dict[int, tuple[Any, bytes]] = {}
    for info, tid in zip(infos, version_ids(store, THEATRE, [i.date for i in infos])):
        if tid is not None:
            km = store.frontline_length_of_content(info.content_hash, tid)
            if km is None:
                if tid not in theatres:
                    theatres[tid] = _theatre(store, info.date)
                km = _line(store, info, *theatres[tid])[1]
            store.put_frontline_lengths([(info.id, tid, km)])
        if advance:
            advance(1)


def refresh(store: SqlStore, source: str | None = None,
            progress: Callable[[int, int], None] | None = None) -> int:
    """Measure every revision (of `source`, or all) whose theatre version has no length yet,
    e.g. after a regions import changed the theatre, and drop the lengths of theatre
    versions that were replaced. Returns how many lines were measured."""
    store.prune_frontline_lengths([v[0] for v in store.region_versions(THEATRE)])
    missing = [info for src in ([source] if source else store.sources())
               for info in _stored_lengths(store, store.snapshots(src))[1]]
    tids = version_ids(store, THEATRE, [m.date for m in missing])
    # Before any theatre there is nothing to measure against (regions imported later do).
    todo = [(info, tid) for info, tid in zip(missing, tids) if tid is not None]
    theatres: dict[int, tuple[Any, bytes]] = {}
    measured: dict[tuple[str, int], float] = {}
    for n, (info, tid) in enumerate(todo, 1):
        key = (info.content_hash, tid)
        if key not in measured:
            if tid not in theatres:
                theatres[tid] = _theatre(store, info.date)
            measured[key] = _line(store, info, *theatres[tid])[1]
        store.put_frontline_lengths([(info.id, tid, measured[key])])
        if progress:
            progress(n, len(todo))
    return len(todo)


def rebuild(store: SqlStore, source: str | None = None,
            progress: Callable[[int, int], None] | None = None) -> int:
    """Measure every front line again (of `source`, or all), in the caller's transaction."""
    store.clear_frontline_lengths(source)
    return refresh(store, source, progress)
