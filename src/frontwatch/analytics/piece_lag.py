"""Who showed it first, for change pieces: each source's change log in a region (the ground
its since-2022 layer gained or lost from one revision to the next), the pieces of it at least
`min_km2` large, and for each piece the date each source first showed it so.

A source *shows* a piece occupied on the date of the revision from which at least half of
the piece's area lies in its layer (no longer occupied: less than half), having not shown
it so in the revision before. The date reported for a piece is the start of the run of
revisions showing it that holds the piece's own date (the change the piece records), else
the first such run after it: a change shown earlier by the other source is that source's
lead, one it shows later its lag. A source that already showed the piece so on its baseline
is reported as ``before <start>`` when that baseline was in force before the range's first
day (a change made on `start` is in the range), and as ``on or before <baseline's date>``
when its history (or its first revision giving the layer) starts on it or later: no
earlier date is known, so no lag is claimed, and who was first is ``unknown`` when the
other source showed it by that date (:func:`who_first`).

Both sources' change logs give pieces; a piece of the second log that records the same
observation as one already listed (same event, the same date for each source, overlapping
by at least half the smaller) is merged into it, so a change both logged counts once.
A source's share of a piece is followed without an overlay per revision: the share at the
baseline, then plus the piece's overlap with each revision's gained pieces and minus its
overlap with the lost ones (the additive identity of :mod:`.incremental`).
"""

from __future__ import annotations

import contextlib
import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import shapely

from frontwatch import geometry
from frontwatch.analytics.changes import region_pieces
from frontwatch.analytics.compare import SINCE_2022, layer_of
from frontwatch.analytics.geo import NearestPlaces, describe
from frontwatch.analytics.incremental import changed_pieces
from frontwatch.errors import InputError, NotFound
from frontwatch.precision import KM, KM2
from frontwatch.store.base import SqlStore

MIN_KM2 = 1.0  # the default size threshold of a change piece (km²)
SMALLEST = 0.01  # the lowest threshold accepted: below it, slivers of redrawn edges abound
SHOWN = 0.5  # share of a piece's area that makes it shown occupied
OCCUPIED, NO_LONGER = "occupied", "no longer occupied"
BEFORE = "before"  # shown on the baseline already: no date within the range is known
UNKNOWN = "unknown"  # `first` when the dates known cannot tell who showed it first


@dataclass
class Track:
    """A source's layer inside a region through a range: the baseline (revision 0, in force
    at the end of the day before the range, or the first revision giving the layer) and,
    for revisions 1…n, their date and the lon/lat polygons gained and lost from the
    revision before."""

    source: str
    base: Any
    dates: list[date]  # dates[0]: the baseline revision's date
    gained: list[np.ndarray]  # gained[k] for k ≥ 1 (gained[0] empty)
    lost: list[np.ndarray]


def range_revisions(store: SqlStore, source: str, start: date, end: date) -> list[Any]:
    """The revisions a lag over [start, end] reads, oldest first: the baseline (the one in
    force at the end of the day before `start`: `from` starts at 00:00 UTC, so a change
    made on `start` is in the range, as in the change log) and each one after it up to the
    end of `end`; before the source's history, its first revision is the baseline."""
    before = start - timedelta(days=1)
    revisions: list[Any] = [s for s in store.snapshots(source) if before < s.date <= end]
    with contextlib.suppress(NotFound):  # before the history: the first revision is the base
        revisions.insert(0, store.resolve(source, before))
    return revisions


def track(store: SqlStore, source: str, region, start: date, end: date,
          layer: str = SINCE_2022) -> Track | None:
    """The :class:`Track` of `source` inside `region` (a lon/lat polygon) over [start, end];
    None when no revision of the range gives the layer. Revisions that cannot give it (e.g.
    NZZ's maps mixing in ORDLO) are skipped, neither a change nor a baseline."""
    revisions = range_revisions(store, source, start, end)
    shapely.prepare(region)
    t: Track | None = None
    before = None
    for info in revisions:
        try:
            now = layer_of(store, info, layer)
        except InputError:
            continue
        if t is None:
            t = Track(source, geometry.polygonal(shapely.intersection(now, region)),
                      [info.date], [_none()], [_none()])
        else:
            gained, lost = changed_pieces(before, now)
            t.dates.append(info.date)
            t.gained.append(region_pieces(gained, region))
            t.lost.append(region_pieces(lost, region))
        before = now
    return t


def _none() -> np.ndarray:
    return np.empty(0, dtype=object)


def shares(t: Track, pieces: np.ndarray, km2: np.ndarray) -> np.ndarray:
    """Share (0…1) of each piece's area inside `t`'s layer at each of its revisions: an
    array (pieces × revisions), from the baseline's overlap and each revision's gained
    and lost pieces."""
    n, m = len(pieces), len(t.dates)
    out = np.zeros((n, m))
    if not n:
        return out
    if not t.base.is_empty:
        out[:, 0] = _overlap_km2(pieces, np.array(geometry.polygons_of(t.base), dtype=object))
    for sign, parts in ((1.0, t.gained), (-1.0, t.lost)):
        k = np.concatenate([np.full(len(p), i) for i, p in enumerate(parts)]).astype(int)
        geoms = np.concatenate(parts) if len(k) else _none()
        if not len(geoms):
            continue
        tree = shapely.STRtree(geoms)
        pi, gi = tree.query(pieces, predicate="intersects")
        if len(pi):
            a = geometry.area_km2(shapely.intersection(pieces[pi], geoms[gi]))
            np.add.at(out, (pi, k[gi]), sign * a)
    return np.clip(np.cumsum(out, axis=1) / km2[:, None], 0.0, 1.0)


def _overlap_km2(pieces: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """km² of each piece inside the union of `parts` (disjoint polygons)."""
    out = np.zeros(len(pieces))
    tree = shapely.STRtree(parts)
    pi, gi = tree.query(pieces, predicate="intersects")
    if len(pi):
        np.add.at(out, pi, geometry.area_km2(shapely.intersection(pieces[pi], parts[gi])))
    return out


def shown_on(t: Track, share: np.ndarray, event: str, on: date) -> date | str | None:
    """The date `t` showed a piece in the state of `event` (see the module docstring), given
    its shares per revision; 'before' when its baseline already did; None: never."""
    shown = share >= SHOWN if event == OCCUPIED else share < SHOWN
    k = 0  # the revision in force on `on`
    while k + 1 < len(t.dates) and t.dates[k + 1] <= on:
        k += 1
    if shown[k]:
        while k > 0 and shown[k - 1]:
            k -= 1
        return BEFORE if k == 0 else t.dates[k]
    later = np.flatnonzero(shown[k + 1:])
    return t.dates[k + 1 + int(later[0])] if len(later) else None


def piece_lag(store: SqlStore, sources: tuple[str, str], region, start: date, end: date,
              places: list, layer: str = SINCE_2022, min_km2: float = MIN_KM2
              ) -> tuple[list[tuple[Any, dict[str, Any]]], dict[str, Any]]:
    """(features, summary): one feature per change piece of either source's change log
    inside `region` (lon/lat polygon) at least `min_km2` large, its properties the event,
    km², where (nearest of `places`, direction, distance, description, representative
    point), whose change log listed it, each source's date, `lag_days` (second source's
    date − first's: positive when the first showed it earlier) and `first`; the summary
    per source: pieces shown, shown first, median lead in days."""
    if not min_km2 >= SMALLEST:
        raise InputError(f"min_km2={min_km2}: expected a size of at least {SMALLEST} km²")
    tracks = {s: track(store, s, region, start, end, layer) for s in sources}
    found = []  # (date, source, event, polygon)
    for s, t in tracks.items():
        if t is None:
            continue
        for k in range(1, len(t.dates)):
            for event, parts in ((OCCUPIED, t.gained[k]), (NO_LONGER, t.lost[k])):
                if len(parts):
                    big = parts[geometry.area_km2(parts) >= min_km2]
                    found += [(t.dates[k], s, event, p) for p in big]
    found.sort(key=lambda x: (x[0], sources.index(x[1])))
    pieces = np.array([f[3] for f in found], dtype=object)
    km2 = geometry.area_km2(pieces) if len(pieces) else np.zeros(0)
    share = {s: shares(t, pieces, km2) for s, t in tracks.items() if t is not None}
    dates_of = []
    for i, (on, _s, event, _p) in enumerate(found):
        dates_of.append({s: shown_on(tracks[s], share[s][i], event, on)
                         if tracks[s] is not None else None for s in sources})
    bases = {s: t.dates[0] if t is not None else None for s, t in tracks.items()}
    nearest = NearestPlaces(places) if places else None
    features: list[tuple[Any, dict[str, Any]]] = []
    kept: list[int] = []
    tree = shapely.STRtree(pieces) if len(pieces) else None
    merged = 0
    for i, (_on, s, event, p) in enumerate(found):
        same = _same_as(i, kept, found, dates_of, pieces, km2, tree)
        if same is not None:
            props = features[kept.index(same)][1]
            if s not in props["listed_by"]:
                props["listed_by"] = f"{props['listed_by']},{s}"
            merged += 1
            continue
        kept.append(i)
        features.append((p, _props(p, float(km2[i]), event, s, dates_of[i], sources, start,
                                   bases, nearest)))
    summary = _summary(features, sources)
    summary["merged"] = merged
    return features, summary


def _same_as(i: int, kept: list[int], found: list, dates_of: list, pieces: np.ndarray,
             km2: np.ndarray, tree) -> int | None:
    """The listed piece that records the same observation as piece `i`, if any."""
    _, s, event, p = found[i]
    listed = set(kept)
    for j in tree.query(p, predicate="intersects"):
        j = int(j)
        if j not in listed or found[j][1] == s or found[j][2] != event \
                or dates_of[j] != dates_of[i]:
            continue
        both = float(geometry.area_km2(shapely.intersection(p, pieces[j])))
        if both >= SHOWN * min(km2[i], km2[j]):
            return j
    return None


def shown_label(d: date | str | None, start: date, base: date | None) -> str | None:
    """A source's date as reported: ISO; for one shown on the baseline already (BEFORE),
    ``before <start>`` when that baseline (of date `base`) was in force before `start`,
    else ``on or before <base>`` (the source's history starts on or after `start`: an
    earlier date would be invented); None: never shown."""
    if d == BEFORE:
        later = base is not None and base >= start
        return f"on or before {base}" if later else f"before {start.isoformat()}"
    return d.isoformat() if isinstance(d, date) else None


def who_first(sources: tuple[str, str], shown: dict[str, date | str | None],
              bases: dict[str, date | None], start: date) -> tuple[int | None, str]:
    """(lag_days, first) from each source's date (a date, BEFORE or None) and baseline date:
    lag_days = second's date − first's when both are dates (positive: the first source
    led); otherwise no lag, and `first` the source that showed it already on a baseline in
    force before `start`, or on a later baseline (its history starts on or after `start`) dated
    before the other's date or with no other date; UNKNOWN when the other showed it by
    then (or both already did); '<source> only' when only one showed it."""
    a_src, b_src = sources
    da, db = shown[a_src], shown[b_src]
    if isinstance(da, date) and isinstance(db, date):
        days = (db - da).days
        return days, a_src if days > 0 else b_src if days < 0 else "same day"
    for x, y in ((a_src, b_src), (b_src, a_src)):
        if shown[x] != BEFORE:
            continue
        other, base = shown[y], bases[x]
        if other == BEFORE or base is None:
            return None, UNKNOWN
        if base < start or other is None or (isinstance(other, date) and other > base):
            return None, x
        return None, UNKNOWN
    return None, f"{a_src if da else b_src} only"


def _props(p, km2: float, event: str, listed_by: str, dates: dict, sources: tuple[str, str],
           start: date, bases: dict[str, date | None], nearest) -> dict[str, Any]:
    days, first = who_first(sources, dates, bases, start)
    pt = p.representative_point()
    props: dict[str, Any] = {"event": event, "km2": round(km2, KM2),
                             "lon": round(pt.x, 4), "lat": round(pt.y, 4)}
    if nearest is not None:
        place, dist, direction = nearest(pt.x, pt.y)
        props.update(nearest_place=place.slug, place_name=place.name_en, direction=direction,
                     distance_km=round(dist, KM), description=describe(km2, place, dist,
                                                                        direction))
    else:
        props["description"] = f"{km2:,.1f} km²"
    props.update({"listed_by": listed_by,
                  **{f"{s}_date": shown_label(dates[s], start, bases[s]) for s in sources},
                  "lag_days": days, "first": first})
    return props


def _summary(features: list, sources: tuple[str, str]) -> dict[str, Any]:
    """Per source: pieces it showed, on how many it was first, its median lead (days) over
    the pieces both showed in the range, and the km² of the pieces it showed first."""
    rows = [p for _, p in features]
    both = [x["lag_days"] for x in rows if x["lag_days"] is not None]
    out: dict[str, Any] = {}
    for s, sign in ((sources[0], 1), (sources[1], -1)):
        out[s] = {
            "pieces_shown": sum(1 for x in rows if x[f"{s}_date"]),
            "shown_first": sum(1 for x in rows if x["first"] == s),
            "shown_first_km2": round(sum(x["km2"] for x in rows if x["first"] == s), KM2),
            "median_lead_days": statistics.median([sign * d for d in both]) if both else None,
        }
    out["pieces"] = len(rows)
    out["pieces_both_showed"] = len(both)
    return out
