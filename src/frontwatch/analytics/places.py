"""Places over time: status on a date, status periods, distance to the front line."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from frontwatch import coverage, dates
from frontwatch.analytics import placestatus
from frontwatch.analytics.common import place_of, region_of, source_of
from frontwatch.analytics.front import line_of
from frontwatch.analytics.geo import distances_km, point_status
from frontwatch.analytics.results import PlaceNearFront, StatusPeriod
from frontwatch.errors import InputError, NotFound, echo
from frontwatch.model import DERIVED_UKRAINIAN, Place, Region, SnapshotInfo
from frontwatch.oblasts import BY_KATOTTG, GROUPS, OBLASTS, THEATRE
from frontwatch.provenance import of_range, shown
from frontwatch.store.base import SqlStore

# Characters of a KATOTTG code naming a unit of each level (UA14 oblast, UA1402 raion,
# UA1402013 hromada): a place coded UA14020130010015598 is in all three.
CODE_PREFIX = {"oblast": 4, "raion": 6, "hromada": 9}
OBLAST_OF = {o.slug: o for o in OBLASTS}


def places_in_region(store: SqlStore, region: Region | str, on: date | None = None
                     ) -> list[Place]:
    """The gazetteer's places (as named on `on`) inside a region of any level — the one rule
    every listing uses (API, OGC's `region` property, CLI, feeds, the place-status table,
    diffs, lags), so each counts a place once and in the same region:

    - the theatre: every place; a group (`donbas`): the places of its member oblasts;
    - an oblast: the places the gazetteer files under it (by their KATOTTG code, else
      GeoNames' oblast checked against the coordinates), not the points that fall within
      OSM's line: a border village's GeoNames point may lie a kilometre across it;
    - a raion or hromada with a KATOTTG code: the places whose code lies under it, and the
      uncoded places of its oblast whose point lies in its outline (without a code: the
      places of its oblast, by code or parent, whose point lies in it);
    - any other region: the places whose point lies in its outline.

    Parameters
    ----------
    store : SqlStore
        read: the gazetteer and the region's outline.
    region : Region or str
        a region, or its name, KATOTTG code or slug.
    on : datetime.date, optional
        names and regions in force on that day; None: the newest.

    Returns
    -------
    list of Place

    Raises
    ------
    NotFound
        an unknown region.
    """
    r = region_of(store, region, on)
    places = store.places(on)
    if not places or r.slug == THEATRE:
        return places
    if r.slug in GROUPS:
        members = set(GROUPS[r.slug][2])
        return [p for p in places if p.region in members]
    oblast = BY_KATOTTG.get((r.code or "")[:4]) or OBLAST_OF.get(r.parent or "") \
        or OBLAST_OF.get(r.slug)
    if r.level == "oblast" and oblast is not None and oblast.slug == r.slug:
        return [p for p in places if p.region == r.slug]
    shapely.prepare(r.geometry)
    inside = shapely.intersects_xy(r.geometry, np.array([p.lon for p in places]),
                                   np.array([p.lat for p in places]))
    n = CODE_PREFIX.get(r.level)
    if oblast is None or n is None:
        return [p for p, ok in zip(places, inside) if ok]
    unit = (r.code or "")[:n]
    if len(unit) < n or BY_KATOTTG.get(unit[:4]) is not oblast:  # no code: by point alone
        return [p for p, ok in zip(places, inside) if ok and p.region == oblast.slug]
    return [p for p, ok in zip(places, inside)
            if (p.katottg[:n] == unit if p.katottg else ok and p.region == oblast.slug)]


def place_status(store: SqlStore, place: Place | str, on: date, source: str | None = None
                 ) -> str:
    """A settlement's status on a date.

    Parameters
    ----------
    store : SqlStore
        read: the place-status table, else the revision's layers.
    place : Place or str
        a place, or its name (English or Ukrainian), KATOTTG code or slug.
    on : datetime.date
    source : str, optional
        None: the store's default source.

    Returns
    -------
    str
        ``"occupied"``, ``"contested"`` or ``"ukrainian"``: from the place-status table
        (an outline by the majority of its area), else the layer containing the point.

    Raises
    ------
    NotFound
        an unknown place or source, or a date before the source's history.
    """
    p = place_of(store, place, on)
    src = source_of(store, source)
    info = store.resolve(src, on)
    if placestatus.covers(store, src):  # the table: outlines decide by majority
        return placestatus.statuses_by_day(store, p.slug, src, [on])[0]
    return str(point_status(store.layer(info.id, "occupied"), store.layer(info.id, "contested"),
                            p.lon, p.lat)[0])


def place_timeline(store: SqlStore, place: Place | str, start: date | None = None,
                   end: date | None = None, source: str | None = None
                   ) -> list[StatusPeriod]:
    """A settlement's periods of constant status, oldest first.

    A period starts on the date of the first revision showing the new status; `end` is the
    last day before the next period (None while it lasts to the latest revision).

    Parameters
    ----------
    store : SqlStore
        read: the place-status table, else each revision's layers.
    place : Place or str
        a place, or its name, KATOTTG code or slug.
    start, end : datetime.date, optional
        default: the whole history.
    source : str, optional
        None: the store's default source.

    Returns
    -------
    list of StatusPeriod

    Raises
    ------
    NotFound
        an unknown place or source, or no snapshot in the range.
    """
    p = place_of(store, place, end)
    src = source_of(store, source)
    snaps = [s for s in store.snapshots(src)
             if (start is None or s.date >= start) and (end is None or s.date <= end)]
    if start is not None and (not snaps or snaps[0].date > start):
        with contextlib.suppress(NotFound):  # the state in force on `start`, if any
            snaps.insert(0, store.resolve(src, start))
    if not snaps:
        raise NotFound(f"no {echo(src)} snapshots between {start} and {end}")
    by_day: dict[date, SnapshotInfo] = {}
    for s in snaps:
        by_day[s.date] = s  # each day's last revision
    periods: list[StatusPeriod] = []
    for day, status in _statuses(store, p, src, by_day):
        day = max(day, start) if start else day
        if periods and periods[-1]["status"] == status:
            continue
        if periods:
            periods[-1]["end"] = day - timedelta(days=1)
        periods.append({"status": status, "start": day, "end": None, "days": 0})  # days: below
    if periods and end is not None:
        periods[-1]["end"] = end
    for per in periods:
        last = per["end"] or max(by_day)
        per["days"] = (last - per["start"]).days + 1
    return periods


def _statuses(store: SqlStore, p: Place, source: str, by_day: dict[date, SnapshotInfo]
              ) -> list[tuple[date, str]]:
    """(day, status on the day's last revision), oldest first: from the place-status table
    where it covers the source, else from the point in each revision's layers."""
    days = sorted(by_day)
    if placestatus.covers(store, source):
        return list(zip(days, placestatus.statuses_by_day(store, p.slug, source, days)))
    ids = [by_day[d].id for d in days]
    occ, cont = store.layers_wkb(ids, "occupied"), store.layers_wkb(ids, "contested")
    out = []
    for day, sid in zip(days, ids):
        layers = [shapely.from_wkb(w[sid]) if sid in w else None for w in (occ, cont)]
        out.append((day, str(point_status(layers[0], layers[1], p.lon, p.lat)[0])))
    return out


def distance_to_front_km(store: SqlStore, place: Place | str, on: date,
                         source: str | None = None) -> float:
    """Geodesic km (WGS84) from a settlement to the nearest point of the front line.

    Parameters
    ----------
    store : SqlStore
        read: the revision's front line (derived from its layers).
    place : Place or str
        a place, or its name, KATOTTG code or slug.
    on : datetime.date
    source : str, optional
        None: the store's default source.

    Returns
    -------
    float
        km, unrounded.

    Raises
    ------
    NotFound
        an unknown place or source, or a date before the source's history.
    """
    p = place_of(store, place, on)
    line, _ = line_of(store, store.resolve(source_of(store, source), on))
    return float(distances_km(line, np.array([p.lon]), np.array([p.lat]))[0])


def distance_series(store: SqlStore, place: Place | str, start: date, end: date,
                    source: str | None = None, step_days: int = 7) -> pd.DataFrame:
    """A settlement's distance to the front line over time, every `step_days` days.

    Parameters
    ----------
    store : SqlStore
        read: each sampled revision's layers and front line.
    place : Place or str
        a place, or its name, KATOTTG code or slug.
    start, end : datetime.date
        inclusive; cut to the days the source covers.
    source : str, optional
        None: the store's default source.
    step_days : int
        days between samples (1 or more).

    Returns
    -------
    pandas.DataFrame
        ``date`` (datetime.date objects), ``snapshot_id`` int64, ``distance_km`` float64
        (geodesic km on WGS84), ``status`` (the layer containing the point).
        ``.attrs``: a :data:`frontwatch.provenance.Provenance` (source, ``snapshot``: the
        newest revision in the range, ``from``/``to`` as answered, ``data_through``,
        ``stale_days``, ``attribution``, ``places_attribution``).

    Raises
    ------
    InputError
        an inverted range or a step below 1.
    NotFound
        an unknown place or source, or a range wholly outside the data.
    """
    if end < start:
        raise InputError(f"the range ends ({end}) before it starts ({start})")
    if step_days < 1:
        raise InputError("step must be at least 1 day")
    src = source_of(store, source)
    span = coverage.span(store, src, dates.DayRange(start, end))
    start, end = span.bounds
    p = place_of(store, place, end)
    rows, day = [], start
    while day <= end:
        info = store.resolve(src, day)
        line, _ = line_of(store, info)
        status = point_status(store.layer(info.id, "occupied"),
                              store.layer(info.id, "contested"), p.lon, p.lat)[0]
        rows.append({"date": day, "snapshot_id": info.id, "status": str(status),
                     "distance_km": float(distances_km(line, np.array([p.lon]),
                                                       np.array([p.lat]))[0])})
        day += timedelta(days=step_days)
    return shown(pd.DataFrame(rows, columns=["date", "snapshot_id", "distance_km", "status"]),
                 of_range(store, src, span, places=True))


def places_near_front(store: SqlStore, km: float, on: date, source: str | None = None
                      ) -> list[PlaceNearFront]:
    """Settlements within `km` of the front line on a date, nearest first.

    Parameters
    ----------
    store : SqlStore
        read: the gazetteer, the front line and the place-status table.
    km : float
        geodesic km, 0 or more.
    on : datetime.date
    source : str, optional
        None: the store's default source.

    Returns
    -------
    list of PlaceNearFront

    Raises
    ------
    InputError
        a negative or non-numeric `km`.
    NotFound
        an unknown source, or a date before the source's history.
    """
    if not km >= 0:
        raise InputError(f"distance must be a non-negative number of km, not {echo(km)}")
    src = source_of(store, source)
    info = store.resolve(src, on)
    places = store.places(on)
    if not places:
        return []
    line, _ = line_of(store, info)
    lon = np.array([p.lon for p in places])
    lat = np.array([p.lat for p in places])
    dist = distances_km(line, lon, lat)
    if placestatus.covers(store, src):  # the table: outlines decide by majority
        table = placestatus.status_on(store, on, source=src)
        status: list[str] | NDArray[np.object_] = [
            table.get(p.slug, (DERIVED_UKRAINIAN,))[0] for p in places]
    else:
        status = point_status(store.layer(info.id, "occupied"),
                              store.layer(info.id, "contested"), lon, lat)
    out: list[PlaceNearFront] = [
        {"slug": p.slug, "name_en": p.name_en, "name_uk": p.name_uk or None,
         "lon": p.lon, "lat": p.lat, "population": p.population, "status": str(st),
         "distance_km": round(float(d), 2)}
        for p, d, st in zip(places, dist, status) if d <= km]
    return sorted(out, key=lambda r: r["distance_km"])
