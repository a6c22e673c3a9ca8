"""Who showed it first: for the places of a region, and for the change pieces above a size
threshold (:mod:`.piece_lag`), the date each of two sources first showed it occupied (or no
longer occupied) within a range, and the lag in days between them, summarised per source.

A source "shows" a change on the date of its first revision in the range whose layer holds
the place when the one before did not (or the reverse). Only the layer both cover is used
(:mod:`.compare`: since-2022 by default), so a place in DeepStateMap's grey zone counts as not
occupied for it; revisions that cannot give the layer (NZZ's maps with ORDLO) are skipped.
A lag can be no finer than the sources' cadence (NZZ's map every few days until 2025).
"""

from __future__ import annotations

import statistics
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import shapely

from frontwatch.analytics.common import region_of
from frontwatch.analytics.compare import LAYERS, SINCE_2022, layer_parts
from frontwatch.analytics.piece_lag import (
    BEFORE,
    MIN_KM2,
    SMALLEST,
    piece_lag,
    range_revisions,
    shown_label,
    who_first,
)
from frontwatch.analytics.places import places_in_region
from frontwatch.coverage import freshness
from frontwatch.errors import InputError, NotFound, echo
from frontwatch.model import Place, Region
from frontwatch.sources import attribution
from frontwatch.store.base import SqlStore

LARGEST = 1e6  # km²: a piece larger than Ukraine is a typo

EVENTS = ("occupied", "no longer occupied")
MAX_DAYS = 366  # one year: each revision in the range costs an overlay (~0.1 s)


def _inside(store: SqlStore, info, layer: str, lon: np.ndarray, lat: np.ndarray
            ) -> np.ndarray:
    parts = layer_parts(store, info, layer)
    if parts is None:
        parts = [store.layer(info.id, "occupied")]
    out = np.zeros(len(lon), bool)
    for g in parts:
        if g is not None and not g.is_empty:
            shapely.prepare(g)
            out |= shapely.intersects_xy(g, lon, lat)
    return out


def first_changes(store: SqlStore, source: str, places: list[Place], start: date, end: date,
                  layer: str = SINCE_2022) -> tuple[dict[tuple[int, str], date],
                                                    np.ndarray | None, date | None]:
    """(place index, event) → the date `source` first showed that event in [start, end],
    which places its baseline (the first revision with the layer, normally the one in force
    at the end of the day before `start`) holds, and that baseline's date (None, None: no
    revision gives the layer; `start` or later when the source's history starts then)."""
    lon = np.array([p.lon for p in places])
    lat = np.array([p.lat for p in places])
    revisions = range_revisions(store, source, start, end)
    out: dict[tuple[int, str], date] = {}
    before: np.ndarray | None = None
    base: np.ndarray | None = None
    base_day: date | None = None
    for info in revisions:
        try:
            now = _inside(store, info, layer, lon, lat)
        except InputError:
            continue  # this revision has no such layer: neither a change nor a baseline
        if before is not None:
            for event, mask in (("occupied", now & ~before), ("no longer occupied",
                                                               before & ~now)):
                for i in np.flatnonzero(mask):
                    out.setdefault((int(i), event), info.date)
        before = now
        if base is None:
            base, base_day = now, info.date
    return out, base, base_day


def lag(store: SqlStore, sources: tuple[str, str], region: Region | str, start: date,
        end: date, layer: str = SINCE_2022, min_km2: float = MIN_KM2) -> dict[str, Any]:
    """Rows (place, event, each source's first date, lag_days = b − a, first) for places of
    `region` whose change both or either source showed, and per source: changes shown,
    shown first, and the median lead in days over the changes both showed; the same for the
    change pieces of at least `min_km2` (`pieces`, `pieces_summary`; their polygons in
    `piece_features`, not JSON-ready)."""
    if end < start:
        raise InputError(f"the range ends ({end}) before it starts ({start})")
    if layer not in LAYERS:
        raise InputError(f"layer={echo(layer)}: choose from {', '.join(LAYERS)}")
    if not SMALLEST <= min_km2 <= LARGEST:  # also refuses nan and inf
        raise InputError(f"min_km2={min_km2}: expected {SMALLEST} to {LARGEST:g} km²")
    if (end - start).days > MAX_DAYS:
        raise InputError(f"from {start} to {end} spans {(end - start).days} days, more than "
                         f"the {MAX_DAYS} one request follows (every revision of both sources "
                         "is overlaid): split the range")
    a_src, b_src = sources
    used = [revisions_used(store, s, start, end) for s in sources]
    r = region_of(store, region, end)
    shapely.prepare(r.geometry)
    places = places_in_region(store, r, end)
    found = {s: first_changes(store, s, places, start, end, layer) for s in sources}
    for s in sources:
        if found[s][1] is None:  # no revision read gives the layer: say why, not "no change"
            layer_parts(store, store.resolve(s, end), layer)
            raise InputError(f"{s} has no revision with the {layer} layer from {start} to "
                             f"{end}")
    features, piece_summary = piece_lag(store, sources, r.geometry, start, end,
                                        store.places(end), layer, min_km2)
    firsts = {s: found[s][0] for s in sources}
    bases = {s: found[s][2] for s in sources}
    rows = []
    for key in sorted(set(firsts[a_src]) | set(firsts[b_src])):
        i, event = key
        shown: dict[str, date | str | None] = {s: firsts[s].get(key) for s in sources}
        for s in sources:  # a change one source showed, the other's baseline already did
            base = found[s][1]
            if shown[s] is None and base is not None and bool(base[i]) == (event == "occupied"):
                shown[s] = BEFORE
        days, first = who_first(sources, shown, bases, start)
        rows.append({"place": places[i].slug, "name": places[i].name_en, "event": event,
                     **{f"{s}_date": shown_label(shown[s], start, bases[s]) for s in sources},
                     "lag_days": days, "first": first})
    both = [x["lag_days"] for x in rows if x["lag_days"] is not None]
    summary = {}
    for s, sign in ((a_src, 1), (b_src, -1)):
        summary[s] = {
            "changes_shown": sum(1 for x in rows if x[f"{s}_date"]),
            "shown_first": sum(1 for x in rows if x["first"] == s),
            "median_lead_days": statistics.median([sign * d for d in both]) if both else None,
        }
    return {"region": r.slug, "region_name": r.name_en, "from": start.isoformat(),
            "to": end.isoformat(), "layer": layer, "places": len(places),
            **freshness(store, sources, end),
            "changes_both_showed": len(both), "sources": used, "summary": summary,
            "rows": rows,
            "min_km2": min_km2, "pieces_summary": piece_summary,
            "pieces": [p for _, p in features], "piece_features": features,
            "note": "lag_days is the second source's date minus the first's: positive when "
                    f"{a_src} showed it first; no finer than each source's publishing "
                    "cadence. A change piece is ground one source's map gained or lost from "
                    f"one revision to the next, at least {min_km2:g} km²; a source shows it "
                    "on the first revision with at least half of it in (or out of) its layer. "
                    f"'before {start}': the source's revision in force before {start} "
                    "already showed it; 'on or before D': its history starts on or after "
                    f"{start}, on D, and that first revision already showed it (no earlier "
                    "date is known, so no lag; first 'unknown' when the other source showed "
                    "it by D)",
            "attribution": "; ".join(attribution(s) for s in sources)}


def revisions_used(store: SqlStore, source: str, start: date, end: date) -> dict[str, Any]:
    """Which revisions of `source` a lag over [start, end] reads: the one in force at the
    end of the day before `start` (the baseline; None when its history, `history_starts`,
    begins on `start` or later) and those dated from `start` to `end`; NotFound naming the
    source
    when it has none by `end` (a lag of a source without revisions would report nothing
    as if nothing changed)."""
    days = [t[:10] for _, t in store.snapshot_times(source)]
    if not days:
        raise NotFound(f"no snapshots from source {echo(source)}", suggestions=store.sources())
    first, last = start.isoformat(), end.isoformat()
    read = [d for d in days if first <= d <= last]
    base = max((d for d in days if d < first), default=None)
    if base is None and not read:
        raise NotFound(f"{source} has no revision by {last}: its history starts {days[0]}")
    return {"source": source, "revisions": len(read) + (base is not None),
            "baseline": base, "history_starts": days[0], "last": (read or [base])[-1],
            "attribution": attribution(source)}


def table(res: dict[str, Any], pair: tuple[str, str]) -> pd.DataFrame:
    """The lag as one table, places' rows then pieces' (column `kind`: place|piece; a
    piece's place is its nearest place): what every CSV of it writes, the CLI's and the
    API's alike. `lag_days` stays a whole number of days (pandas would make a column with
    gaps float, printing -4.0 where the JSON says -4)."""
    a, b = pair
    columns = ["kind", "place", "name", "event", "km2", "lon", "lat", "description",
               f"{a}_date", f"{b}_date", "lag_days", "first", "listed_by"]
    places = [{"kind": "place", **x} for x in res["rows"]]
    pieces = [{"kind": "piece", **x, "place": x.get("nearest_place"),
               "name": x.get("place_name")} for x in res["pieces"]]
    frame = pd.DataFrame(places + pieces, columns=columns)
    return frame.astype({"lag_days": "Int64"})
