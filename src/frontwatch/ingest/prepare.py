"""Turn parsed features into a clean snapshot: 2-D, valid, inside Ukraine's extent (then,
with the store's theatre, inside the theatre), and hashed by content. Every repair or skip
becomes a note for the import report. The content hash is :mod:`frontwatch.canonical`'s."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
import shapely

from frontwatch import geometry
from frontwatch.canonical import content_hash as content_hash  # re-exported
from frontwatch.errors import FutureDate, InputError
from frontwatch.model import Snapshot, Status, Zone


@dataclass(frozen=True, slots=True)
class RawZone:
    status: Status
    kind: str
    geometry: Any  # shapely geometry, possibly 3-D or invalid
    since: int | None = None
    label: str = ""


def check_valid_at(valid_at: datetime, origin: str) -> datetime:
    if valid_at.tzinfo is None:
        valid_at = valid_at.replace(tzinfo=UTC)
    valid_at = valid_at.astimezone(UTC).replace(microsecond=0)
    if valid_at > datetime.now(UTC) + timedelta(days=1):
        raise FutureDate(f"date {valid_at:%Y-%m-%d %H:%M}Z is in the future (today is "
                         f"{datetime.now(UTC):%Y-%m-%d})", origin=origin)
    if valid_at.year < 2014:
        raise InputError(f"date {valid_at:%Y-%m-%d} is before 2014, outside this tracker's "
                         "scope", origin=origin)
    return valid_at


def build_snapshot(source: str, valid_at: datetime, raw: Iterable[RawZone], origin: str,
                   notes: list[str] | None = None, illustrative: bool = False) -> Snapshot:
    """Repair and check zones; refuse input whose coordinates cannot be Ukrainian lon/lat."""
    notes = list(notes or [])
    raw = list(raw)
    valid_at = check_valid_at(valid_at, origin)
    if not raw:
        raise InputError("no control zones (polygons with a known status) in the file",
                         origin=origin)
    geoms = np.array([r.geometry for r in raw], dtype=object)
    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
    _check_coordinates(geoms, origin)
    zones: list[Zone] = []
    repaired: Counter[str] = Counter()
    outside = 0
    valid = shapely.is_valid(geoms)
    for r, g, ok in zip(raw, geoms, valid):
        if ok:
            fixed = geometry.polygonal(g)
        else:
            fixed, reason = geometry.repair(g)
            repaired[(reason or "invalid").split("[")[0]] += 1
        if fixed.is_empty:
            continue
        if not geometry.within_ukraine_extent(fixed.bounds):
            outside += 1
            continue
        zones.append(Zone(status=r.status, kind=r.kind, geometry=fixed, since=r.since,
                          label=r.label))
    if repaired:
        notes.append("repaired invalid geometry (make_valid): " + ", ".join(
            f"{n} × {why}" for why, n in repaired.most_common()))
    if outside:
        notes.append(f"excluded {outside} zone(s) lying outside Ukraine's extent")
    if not zones:
        raise InputError("no control zones within Ukraine's extent", origin=origin)
    return Snapshot(source=source, valid_at=valid_at, zones=zones, origin=origin, notes=notes,
                    illustrative=illustrative)


# Zone parts farther than this from the theatre's outline are not Ukrainian ground and are
# dropped at import: DeepStateMap's Feb–Nov 2023 snapshots hold a contested triangle in the
# Arabian Sea, 4,181 km away. The tolerance is wide because the OSM outline leaves out
# Ukraine's outlying islands: Zmiinyi (Snake) Island, 35 km off the Danube delta, occupied
# Feb–Jun 2022 in the NZZ maps; elsewhere genuine parts reach at most 20 km past it (coastal
# and border slop, Tuzla island at 1.7 km, the Kursk incursion's pieces in 2024).
THEATRE_TOLERANCE_KM = 40.0


@lru_cache(maxsize=4)
def _theatre_plane(theatre_wkb: bytes) -> Any:
    """The theatre in the equal-area plane (metres), prepared: distances in metres."""
    plane = geometry.to_equal_area(shapely.from_wkb(theatre_wkb))
    shapely.prepare(plane)
    return plane


def confine_to_theatre(zones: list[Zone], theatre: Any | None,
                       tolerance_km: float = THEATRE_TOLERANCE_KM
                       ) -> tuple[list[Zone], list[str]]:
    """Zones without their polygon parts lying more than `tolerance_km` outside `theatre`
    (lon/lat; None = the rectangle geometry.UKRAINE_BOUNDS, for stores without regions),
    and a note per dropped part for the import report. A part that reaches into the theatre
    (or its tolerance) is kept whole, not clipped: it is what the source drew, and every
    figure is cut to a region anyway."""
    outline = theatre if theatre is not None else shapely.box(*geometry.UKRAINE_BOUNDS)
    plane = _theatre_plane(shapely.to_wkb(outline))
    kept: list[Zone] = []
    notes: list[str] = []
    for z in zones:
        parts = geometry.polygons_of(z.geometry)
        planar = geometry.to_equal_area(np.array(parts, dtype=object))
        near = shapely.dwithin(plane, planar, tolerance_km * 1000.0)
        if near.all():
            kept.append(z)
            continue
        for part, flat in zip(np.array(parts, dtype=object)[~near], planar[~near]):
            pt = part.representative_point()
            notes.append(
                f"dropped a {z.status} zone part lying outside the theatre: "
                f"{geometry.area_km2(part):,.1f} km² at {pt.x:.2f}°E {pt.y:.2f}°N, "
                f"{shapely.distance(plane, flat) / 1000:,.0f} km past it"
                + (f" ({z.label[:60]!r})" if z.label else ""))
        if near.any():
            kept.append(Zone(status=z.status, kind=z.kind, since=z.since, label=z.label,
                             geometry=shapely.MultiPolygon(list(np.array(parts)[near]))))
    return kept, notes


def _deg(value: float) -> str:
    """A coordinate for a message: one decimal, or three significant digits when huge (1e308
    written with one decimal is 311 characters).

    >>> _deg(38.04), _deg(-1e308)
    ('38.0', '-1e+308')
    """
    return f"{value:.1f}" if abs(value) < 1e9 else f"{value:.3g}"


def _check_coordinates(geoms: np.ndarray, origin: str) -> None:
    coords = shapely.get_coordinates(geoms)
    if not len(coords):
        raise InputError("geometries have no coordinates", origin=origin)
    if not np.isfinite(coords).all():
        raise InputError("coordinates contain NaN or infinite values", origin=origin)
    minx, miny = coords.min(axis=0)
    maxx, maxy = coords.max(axis=0)
    if abs(minx) > 180 or abs(maxx) > 180 or abs(miny) > 90 or abs(maxy) > 90:
        raise InputError(
            f"coordinates out of lon/lat range (x {_deg(minx)}..{_deg(maxx)}, "
            f"y {_deg(miny)}..{_deg(maxy)})"
            "; expected WGS84 degrees (EPSG:4326) — reproject projected data first",
            origin=origin)
    if geometry.looks_swapped((minx, miny, maxx, maxy)):
        raise InputError(
            "coordinates appear to be in lat/lon order; GeoJSON (RFC 7946) requires "
            f"[longitude, latitude] (got x {minx:.2f}..{maxx:.2f}, y {miny:.2f}..{maxy:.2f})",
            origin=origin)


def layers_of(zones: list[Zone]) -> dict[Status, Any]:
    """Dissolved geometry of the two control statuses, made disjoint: contested excludes
    occupied ground, so that occupied + contested + Ukrainian-held partition any region
    exactly. Liberated zones are annotations and stay only as zones."""
    occupied = geometry.union(z.geometry for z in zones if z.status == Status.OCCUPIED)
    contested = geometry.union(z.geometry for z in zones if z.status == Status.CONTESTED)
    if not contested.is_empty and not occupied.is_empty:
        contested = geometry.polygonal(shapely.difference(contested, occupied))
    return {Status.OCCUPIED: occupied, Status.CONTESTED: contested}
