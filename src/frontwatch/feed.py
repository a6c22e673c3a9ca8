"""The Atom feed of settlements that changed hands (and, on request, that the front came near).

Entries come from the per-settlement status table (frontwatch.analytics.placestatus): one per
place whose status changed on a revision, and with `near_front_km` one per place that the
front line came within that distance of (it was farther on the revision before). The feed is
bounded: the WINDOW_DAYS days up to the source's newest revision, at most MAX_ENTRIES entries,
newest first. Ids are `urn:uuid` names derived from what the entry says (source, place,
revision time, from → to), so they stay the same across requests, servers and rebuilt stores;
an entry's `updated` is the time of the revision that showed the change. Written with feedgen.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import numpy as np
from feedgen.feed import FeedGenerator

from frontwatch import memo
from frontwatch.dates import iso
from frontwatch.model import DERIVED_UKRAINIAN, Place, SnapshotInfo
from frontwatch.oblasts import OBLASTS, THEATRE
from frontwatch.settings import cache_bytes
from frontwatch.sources import attribution, claims_of
from frontwatch.store.base import SqlStore

WINDOW_DAYS = 90  # changes of the last 90 days of data
NEAR_FRONT_DAYS = 7  # approaches of the front: the last 7 days (~1 s of geometry a day)
MAX_ENTRIES = 100
MAP_RADIUS_KM = 15
NAMESPACE = uuid.UUID("5d0c7a43-3f5e-4d63-9f3e-0a2b7f1f6c11")  # Frontwatch feed entries
PLACES_CREDIT = "Places: GeoNames (CC BY 4.0), KATOTTG"
OBLAST_NAMES = {o.slug: o.name_en for o in OBLASTS}
STATUS_WORDS = {"occupied": "occupied", "contested": "contested (grey zone)",
                "ukrainian": "Ukrainian-held"}
# a status as the source claims it (frontwatch.model.Claims): NZZ maps only the ground taken
# since 2022, so its "occupied" is that and its rest is no claim about who holds it
CLAIMED_WORDS = {"occupied_since_2022": "occupied since 24 Feb 2022",
                 "not_occupied": "not occupied",
                 "rest_unstated": "not in {src}'s occupied layer (no claim about control)"}


def status_word(status: str, info: SnapshotInfo) -> str:
    """`status` of a place on revision `info` in the words of what its source claims."""
    c = claims_of(info.source, info.counts.get("contested", 0) > 0)
    key = c.rest if status == DERIVED_UKRAINIAN else (
        c.occupied if status == "occupied" else status)
    return CLAIMED_WORDS.get(key, STATUS_WORDS.get(key, key)).format(src=info.source)


@dataclass(frozen=True, slots=True)
class Entry:
    """One feed entry; `link` is the map page's path and query (the route makes it absolute)."""

    id: str
    kind: str  # "changed-hands" or "near-front"
    title: str
    summary: str
    updated: datetime  # the revision's time (UTC)
    day: date
    link: str
    slug: str
    lon: float
    lat: float


def entry_id(*parts: Any) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, '|'.join(map(str, parts)))}"


def map_link(day: date, slug: str, source: str) -> str:
    return f"maps/{day.isoformat()}.html?" + urlencode(
        {"place": slug, "radius_km": MAP_RADIUS_KM, "source": source})


def _where(name: str, name_uk: str | None, oblast: str | None) -> str:
    """'Pokrovsk (Покровськ), Donetsk Oblast'."""
    uk = f" ({name_uk})" if name_uk and name_uk != name else ""
    ob = OBLAST_NAMES.get(oblast or "", oblast)
    return f"{name}{uk}" + (f", {ob}" if ob else "")


def _people(population: int | None) -> str:
    return f"population {population:,}" if population else "population unknown"


def change_entry(c: Any, info: SnapshotInfo) -> Entry:
    """An entry for one PlaceChange (frontwatch.analytics.placestatus) on revision `info`."""
    frm, to = status_word(c.from_status, info), status_word(c.to_status, info)
    dist = (f" The front line was {c.distance_to_front_km:.1f} km away."
            if c.distance_to_front_km is not None else "")
    summary = (f"{_where(c.name, c.name_uk, c.oblast)} "
               f"({_people(c.population)}): {frm} → {to} on {c.date.isoformat()} according "
               f"to {c.source} (revision of {iso(info.valid_at)}).{dist}")
    return Entry(id=entry_id("changed-hands", c.source, c.slug, iso(info.valid_at),
                             c.from_status, c.to_status),
                 kind="changed-hands", title=f"{c.name}: {frm} → {to}", summary=summary,
                 updated=info.valid_at, day=c.date, link=map_link(c.date, c.slug, c.source),
                 slug=c.slug, lon=c.lon, lat=c.lat)


def near_entry(p: Place, km: float, distance_km: float, info: SnapshotInfo,
               status: str) -> Entry:
    summary = (f"The front line came within {km:g} km of "
               f"{_where(p.name_en, p.name_uk, p.region)} ({_people(p.population)}) "
               f"on {info.date.isoformat()}: {distance_km:.1f} km, "
               f"{status_word(status, info)}, according to {info.source} "
               f"(revision of {iso(info.valid_at)}).")
    return Entry(id=entry_id("near-front", info.source, km, p.slug, iso(info.valid_at)),
                 kind="near-front", title=f"{p.name_en}: the front within {km:g} km "
                 f"({distance_km:.1f} km)", summary=summary, updated=info.valid_at,
                 day=info.date, link=map_link(info.date, p.slug, info.source), slug=p.slug,
                 lon=p.lon, lat=p.lat)


def day_revisions(store: SqlStore, source: str, start: date, end: date) -> list[SnapshotInfo]:
    """Each day's last revision of `source` in [start, end], oldest first."""
    by_day: dict[date, SnapshotInfo] = {}
    for s in store.snapshots(source):
        if start <= s.date <= end:
            by_day[s.date] = s
    return [by_day[d] for d in sorted(by_day)]


def change_entries(store: SqlStore, source: str, start: date, end: date,
                   region: str | None) -> list[Entry]:
    """Entries for the settlements that changed status on any day from `start` through
    `end` (the status table: one call, no geometry)."""
    from frontwatch.analytics import placestatus

    infos = {s.id: s for s in store.snapshots(source)}
    return [change_entry(c, infos[c.snapshot_id])
            for c in placestatus.changes(store, start, end, region=region, source=source)
            if c.snapshot_id in infos]


def near_front_entries(store: SqlStore, source: str, km: float, start: date, end: date,
                       wanted: set[str] | None = None) -> list[Entry]:
    """Entries for the places (of `wanted` slugs; None: all) that came within `km` of the
    front line: within it on a day's last revision and farther on the revision before (the
    revision before `start` is the baseline). Geodesic distances to the front line of
    frontwatch.analytics.front, each revision's kept in a small cache."""
    from frontwatch.analytics.geo import point_status

    places = store.places(end)
    revs = day_revisions(store, source, start - timedelta(days=NEAR_FRONT_DAYS), end)
    revs = [r for r in revs if r.date < start][-1:] + [r for r in revs if r.date >= start]
    if not places or len(revs) < 2:
        return []
    keep = np.array([wanted is None or p.slug in wanted for p in places])
    lon = np.array([p.lon for p in places])
    lat = np.array([p.lat for p in places])
    out: list[Entry] = []
    before: np.ndarray | None = None
    for info in revs:
        dist = front_distances(store, info, lon, lat)
        near = (dist <= km) & keep
        if before is not None:
            new = np.flatnonzero(near & ~before)
            if len(new):
                status = point_status(store.layer(info.id, "occupied"),
                                      store.layer(info.id, "contested"), lon[new], lat[new])
                out += [near_entry(places[i], km, float(dist[i]), info, str(st))
                        for i, st in zip(new, status)]
        before = near
    return out


# Distances (km, float32) of every place to a revision's front line, by (the revision's
# content, the theatre in force, the gazetteer): ~22 KB each, ~1 s of geometry to make.
_DISTANCES: memo.Cache[np.ndarray] = memo.Cache("feed", cache_bytes("feed"),
                                                lambda a: a.nbytes)


def front_distances(store: SqlStore, info: SnapshotInfo, lon: np.ndarray, lat: np.ndarray
                    ) -> np.ndarray:
    from frontwatch.analytics.front import line_of
    from frontwatch.analytics.geo import distances_km

    key = (info.content_hash, store.region_version_id(THEATRE, info.date),
           store.places_version(), len(lon))
    return _DISTANCES.get_or_make(key, lambda: distances_km(
        line_of(store, info)[0], lon, lat).astype(np.float32))


def entries(store: SqlStore, source: str, *, region: str | None = None,
            near_front_km: float | None = None, wanted: set[str] | None = None
            ) -> tuple[list[Entry], SnapshotInfo]:
    """The feed's entries, newest first and at most MAX_ENTRIES, and the newest revision of
    the source (the feed's `updated`). Changes of the last WINDOW_DAYS days of data in
    `region`; with `near_front_km`, approaches of the last NEAR_FRONT_DAYS days to the
    places whose slugs are `wanted` (None: all)."""
    newest = store.resolve(source, None)
    end = newest.date
    # placestatus.changes covers its first day too: the window is the last WINDOW_DAYS days
    out = change_entries(store, source, end - timedelta(days=WINDOW_DAYS - 1), end, region)
    if near_front_km is not None:
        out += near_front_entries(store, source, near_front_km,
                                  end - timedelta(days=NEAR_FRONT_DAYS - 1), end, wanted)
    out.sort(key=lambda e: (e.updated, e.kind, e.title), reverse=True)
    return out[:MAX_ENTRIES], newest


def atom(items: Sequence[Entry], newest: SnapshotInfo, *, base_url: str, self_url: str,
         title: str, subtitle: str, feed_key: Sequence[Any]) -> bytes:
    """The Atom document (UTF-8 bytes). `base_url` ends in '/'; `feed_key` names the feed
    (source, region, distance) for its stable id."""
    fg = FeedGenerator()
    fg.id(entry_id("feed", *feed_key))
    fg.title(title)
    fg.subtitle(subtitle)
    fg.author({"name": "Frontwatch"})
    fg.link(href=self_url, rel="self", type="application/atom+xml")
    fg.link(href=base_url + f"maps/{newest.date.isoformat()}.html?"
            + urlencode({"source": newest.source}), rel="alternate", type="text/html")
    fg.rights(f"{attribution(newest.source)}; {PLACES_CREDIT}")
    fg.generator("Frontwatch")
    fg.updated(max([newest.valid_at, *(e.updated for e in items)]))
    for e in reversed(items):  # feedgen prepends: add oldest first to keep newest first
        fe = fg.add_entry()
        fe.id(e.id)
        fe.title(e.title)
        fe.summary(e.summary)
        fe.updated(e.updated)
        fe.published(e.updated)
        fe.link(href=base_url + e.link, rel="alternate", type="text/html")
        fe.category(term=e.kind)
    return fg.atom_str(pretty=True)
