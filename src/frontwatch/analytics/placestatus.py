"""The status of every gazetteer place on every revision, precomputed at import (issue 12).

The rule: a place with an outline (`frontwatch places import`) takes the status of the
majority of its area — **occupied** when at least half of it is occupied, else **contested**
when occupied and contested ground together cover at least half of it, else **ukrainian**; a
place without an outline takes the status of the layer holding its point (as
:func:`.geo.point_status`). Shares are geodesic (equal-area plane, like every km² here).

The table `place_status` stores only changes: for each revision of a source, a row for every
place whose status differs from the revision before it (its *base*), with the shares and the
distance from the place's point to that revision's front line; a source's first revision has
a row for every place (`from_status` null: a starting state, not a change). So a place's
status on a day is its latest row, "which places changed between D1 and D2" is a range read,
and neither touches geometry.

Computed incrementally: between two revisions only places whose point or outline meets the
boxes around the boundary segments that differ (:func:`.incremental.change_boxes`, exact:
outside them both revisions hold the same ground) are looked at; the rest keep their status.
`place_status_marks` records each revision's base: one whose base is no longer the revision
before it (a revision imported out of order, or its base deleted) is stale and recomputed;
`place_status_places` records the point/outline each place was computed from, so a place
whose outline arrives later is recomputed over every revision, and nothing else is.
"""

from __future__ import annotations

import dataclasses
import hashlib
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import shapely

from frontwatch import coverage, dates, geometry, memo
from frontwatch.analytics.common import source_of
from frontwatch.analytics.geo import distances_km, point_status
from frontwatch.analytics.incremental import change_boxes
from frontwatch.errors import InputError, NotFound, NotReady, echo
from frontwatch.model import DERIVED_UKRAINIAN, Place, SnapshotInfo
from frontwatch.settings import cache_bytes
from frontwatch.store.base import SqlStore, end_of_day, iso

MAJORITY = 0.5  # share of its outline that decides a place's status (see the rule above)
RULE = ("outline: occupied when >= 50 % of its area is occupied, else contested when "
        ">= 50 % is occupied or contested, else ukrainian; no outline: the layer holding "
        "its point")
LAYERS = ("occupied", "contested")
STATUS_CODES = (DERIVED_UKRAINIAN, "occupied", "contested")  # in the stored states (uint8)


@dataclass(frozen=True, slots=True)
class PlaceChange:
    """One place changing status on one revision of a source."""

    slug: str
    name: str
    name_uk: str | None  # None: no source spells the place in Ukrainian
    katottg: str | None
    population: int | None
    oblast: str  # region slug of its oblast
    raion: str | None  # Ukrainian names, from the KATOTTG codifier
    hromada: str | None
    lat: float
    lon: float
    date: date  # the revision's day (UTC)
    from_status: str
    to_status: str
    source: str
    snapshot_id: int
    distance_to_front_km: float | None  # from the point, on that revision (None: no theatre)
    occupied_share: float | None = None  # of its outline (None: decided by its point)
    contested_share: float | None = None


COLUMNS = [f.name for f in dataclasses.fields(PlaceChange)]


# --- the places, prepared -----------------------------------------------------------------
# Prepared gazetteers, keyed by the versions of the places and outlines they were built from.
_GAZETTEERS: memo.Cache[Gazetteer] = memo.Cache("gazetteer", cache_bytes("gazetteer"))


class Gazetteer:
    """Every place's point, and its outline where it has one, prepared for status lookups:
    an STRtree over the outline or point of each place picks those near a change."""

    def __init__(self, places: Sequence[Place], outlines: dict[str, Any]) -> None:
        self.places = list(places)
        self.slugs = [p.slug for p in self.places]
        self.index = {s: i for i, s in enumerate(self.slugs)}
        self.lon = np.array([p.lon for p in self.places], dtype=float)
        self.lat = np.array([p.lat for p in self.places], dtype=float)
        self.outline = np.array([outlines.get(s) for s in self.slugs], dtype=object)
        self.has_outline = ~shapely.is_missing(self.outline)
        self.outline_km2 = np.zeros(len(self.places))
        if self.has_outline.any():
            self.outline_km2[self.has_outline] = geometry.area_km2(
                self.outline[self.has_outline])
        points = shapely.points(self.lon, self.lat)
        self.tree = shapely.STRtree(np.where(self.has_outline, self.outline, points))
        self.digests = {s: _digest(p, o) for s, p, o in zip(self.slugs, self.places,
                                                            self.outline)}
        self.synced: set[str] = set()  # stores whose table was computed from these digests

    @classmethod
    def of(cls, store: SqlStore) -> Gazetteer:
        """The store's gazetteer, prepared once per process and version of the places and
        outlines (every import asks for it)."""
        key = (store.places_version(), store.place_polygons_version())
        return _GAZETTEERS.get_or_make(key, lambda: cls(store.places(),
                                                         store.place_polygons()))

    @property
    def size(self) -> int:
        """Rough resident bytes (for the cache bound)."""
        return 2_000 * len(self.places) + memo.geometry_bytes(self.outline[self.has_outline])

    def near(self, boxes: Sequence[Any]) -> np.ndarray:
        """Indices of the places whose point or outline meets any of `boxes`."""
        if not len(boxes):
            return np.zeros(0, dtype=int)
        return np.unique(self.tree.query(np.asarray(boxes, dtype=object),
                                         predicate="intersects")[1])

    def status(self, idx: np.ndarray, layers: dict[str, Any]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(status, occupied share, contested share) of the places `idx` given a revision's
        layers; shares are NaN for places decided by their point."""
        idx = np.asarray(idx, dtype=int)
        status = point_status(layers["occupied"], layers["contested"], self.lon[idx],
                              self.lat[idx])
        occ, cont = np.full(len(idx), np.nan), np.full(len(idx), np.nan)
        poly = np.flatnonzero(self.has_outline[idx])
        if len(poly):
            outlines, km2 = self.outline[idx[poly]], self.outline_km2[idx[poly]]
            occ[poly] = _shares(layers["occupied"], outlines, km2)
            cont[poly] = _shares(layers["contested"], outlines, km2)
            status[poly] = np.where(occ[poly] >= MAJORITY, "occupied",
                                    np.where(occ[poly] + cont[poly] >= MAJORITY, "contested",
                                             DERIVED_UKRAINIAN))
        return status, occ, cont


def _digest(place: Place, outline: Any) -> str:
    h = hashlib.sha256(f"{place.lon!r},{place.lat!r}".encode())
    if outline is not None:
        h.update(shapely.to_wkb(outline))
    return h.hexdigest()[:32]


def _shares(layer: Any, outlines: np.ndarray, km2: np.ndarray) -> np.ndarray:
    """Share (0–1) of each outline covered by `layer`: whole or nothing without an overlay
    where the prepared layer says so, an intersection only for outlines on its edge."""
    out = np.zeros(len(outlines))
    if layer is None or layer.is_empty:
        return out
    shapely.prepare(layer)
    touch = shapely.intersects(layer, outlines)
    inside = touch & shapely.contains_properly(layer, outlines)
    out[inside] = 1.0
    edge = np.flatnonzero(touch & ~inside)
    if len(edge):
        parts = shapely.intersection(outlines[edge], layer)
        out[edge] = np.clip(geometry.area_km2(parts) / km2[edge], 0.0, 1.0)
    return out


# --- computing the table (at import) ------------------------------------------------------
class _Layers:
    """The two layers of the last few revisions read, decoded once."""

    def __init__(self, store: SqlStore, keep: int = 3) -> None:
        self.store, self.keep, self.cache = store, keep, {}

    def __call__(self, sid: int) -> dict[str, Any]:
        if sid not in self.cache:
            if len(self.cache) >= self.keep:
                self.cache.pop(next(iter(self.cache)))
            self.cache[sid] = {st: self.store.layer(sid, st) for st in LAYERS}
        return self.cache[sid]


class _Distances:
    """Distances from places' points to a revision's front line (None before a theatre)."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def __call__(self, info: SnapshotInfo, gaz: Gazetteer, idx: np.ndarray) -> list:
        from frontwatch.analytics.front import line_of

        if not len(idx):
            return []
        try:
            line, _ = line_of(self.store, info)
        except NotFound:  # no theatre yet: regions imported later fill it in
            return [None] * len(idx)
        km = distances_km(line, gaz.lon[idx], gaz.lat[idx])
        return [None if k != k else float(k) for k in km]


def _sweep(store: SqlStore, source: str, gaz: Gazetteer, *, todo: set[int] | None,
           subset: np.ndarray | None, progress: Callable[[int, int], None] | None = None
           ) -> int:
    """Recompute the revisions `todo` (None: all) of a source, in store order, for the places
    `subset` (None: all, each recomputed revision replaced whole), carrying every place's
    status along from the stored rows of the revisions left alone. Returns how many
    revisions were computed."""
    snaps = [sid for sid, _ in store.snapshot_times(source)]
    if not snaps:
        return 0
    only = None if subset is None else [gaz.slugs[i] for i in subset]
    stored: dict[int, list[tuple]] = {}
    for row in store.place_status_rows(source, slugs=only):
        stored.setdefault(row[0], []).append(row[1:])
    if only is not None:
        store.drop_place_status(only, source)  # rewritten below, revision by revision
    members = np.arange(len(gaz.slugs)) if subset is None else np.asarray(subset, dtype=int)
    in_subset = np.zeros(len(gaz.slugs), bool)
    in_subset[members] = True
    state = np.full(len(gaz.slugs), None, dtype=object)
    layers, distances = _Layers(store), _Distances(store)
    total = len(snaps) if todo is None else len(todo)
    done = 0
    prev: int | None = None
    for sid in snaps:
        if todo is not None and sid not in todo:
            for slug, _, status, *_ in stored.get(sid, ()):
                i = gaz.index.get(slug)
                if i is not None:
                    state[i] = status
            prev = sid
            continue
        info = store.snapshot(sid)
        if prev is None:
            cand = members
        else:
            new, old = layers(info.id), layers(prev)
            boxes = [b for st in LAYERS for b in change_boxes(old[st], new[st])]
            cand = gaz.near(boxes)
            cand = cand[in_subset[cand]]
        status, occ, cont = gaz.status(cand, layers(info.id))
        changed = np.flatnonzero(status != state[cand])
        idx = cand[changed]
        known = {r[0]: r[5] for r in stored.get(info.id, ())}
        km = [known.get(gaz.slugs[i]) for i in idx]
        missing = [n for n, k in enumerate(km) if k is None]
        for n, k in zip(missing, distances(info, gaz, idx[missing])):
            km[n] = k
        rows = [(gaz.slugs[i], None if prev is None else state[i], str(status[c]),
                 _share(occ[c]), _share(cont[c]), k)
                for i, c, k in zip(idx, changed, km)]
        store.put_place_status(info.id, prev, rows, slugs=only)
        state[idx] = status[changed]
        prev = sid
        done += 1
        if progress:
            progress(done, total)
    return done


def _share(x: float) -> float | None:
    return None if x != x else float(x)


def _stale(store: SqlStore, source: str) -> set[int]:
    """Revisions without rows or whose base is no longer the revision before them."""
    marks = store.place_status_marks(source)
    out, prev = set(), None
    for sid, _ in store.snapshot_times(source):
        if sid not in marks or marks[sid] != prev:
            out.add(sid)
        prev = sid
    return out


def refresh(store: SqlStore, source: str | None = None,
            progress: Callable[[int, int], None] | None = None) -> int:
    """Bring the table up to date (of `source`, or every source), in the caller's
    transaction: places whose point or outline changed are recomputed over every revision,
    then every stale revision for all places. Returns how many revisions were computed."""
    gaz = Gazetteer.of(store)
    sources = [source] if source else store.sources()
    with store.transaction():
        n = 0
        touched: set[str] = set()  # sources whose states are all rewritten
        since: dict[str, set[int]] = {}  # or from the first of these revisions on
        old = {} if store.label in gaz.synced else store.place_status_digests()
        if old:
            gone = sorted(set(old) - set(gaz.digests))
            if gone:
                store.drop_place_status(gone)
            moved = np.array([i for i, s in enumerate(gaz.slugs)
                              if old.get(s) != gaz.digests[s]], dtype=int)
            if len(moved):
                for src in store.sources():
                    n += _sweep(store, src, gaz, todo=None, subset=moved)
            if gone or len(moved):
                touched.update(store.sources())
        if store.label not in gaz.synced:
            if old != gaz.digests:
                store.set_place_status_digests(gaz.digests)
            gaz.synced.add(store.label)
        for src in sources:
            stale = _stale(store, src)
            if stale:
                n += _sweep(store, src, gaz, todo=stale, subset=None, progress=progress)
                if src not in touched:
                    since[src] = stale
            elif len(store.place_status_state_digests(src)) < len(store.snapshot_times(src)):
                touched.add(src)  # a store from before the states: written once
        for src in sorted(touched | set(since)):
            write_states(store, src, gaz.slugs, None if src in touched else since[src])
    return n


def _order(slugs: Sequence[str]) -> str:
    """Hash of the gazetteer order a state is written in."""
    return hashlib.sha1("\n".join(slugs).encode()).hexdigest()


def write_states(store: SqlStore, source: str, slugs: Sequence[str],
                 since: set[int] | None = None) -> int:
    """Write the revisions' whole states (see migration 0012) from the change rows: from the
    first revision of `since` (the ones just computed; None: all) on, replaying the rows
    after the stored state before it; only states whose content changed are written (a new
    revision: one). Returns how many were written."""
    times = store.snapshot_times(source)
    old = store.place_status_state_digests(source)
    order = _order(slugs)
    if store.place_status_order(order) is None:
        store.put_place_status_order(order, zlib.compress("\n".join(slugs).encode()))
    index = {s: i for i, s in enumerate(slugs)}
    code = {s: np.uint8(n) for n, s in enumerate(STATUS_CODES)}
    codes = np.zeros(len(slugs), np.uint8)
    sids = np.zeros(len(slugs), np.uint32)
    start, after = 0, None
    first = next((n for n, (sid, _) in enumerate(times) if sid in since), None) \
        if since else None
    if first:
        while first > 0 and times[first - 1][1] == times[first][1]:
            first -= 1  # the rows are read by time: start after a strictly earlier one
        base = stored_state(store, times[first - 1][0]) if first else None
        if base is not None and base.order == order:
            codes, sids = base.codes.copy(), base.sids.copy()
            start, after = first, times[first - 1][1]
    rows = store.place_status_rows(source, after if after is None or isinstance(after, str)
                                   else iso(after))
    if not rows and not old:
        return 0
    by_sid: dict[int, list[tuple[str, str]]] = {}
    for sid, slug, _, status, *_ in rows:
        by_sid.setdefault(sid, []).append((slug, status))
    out = []
    for sid, _ in times[start:]:
        for slug, status in by_sid.get(sid, ()):
            i = index.get(slug)
            if i is not None:
                codes[i], sids[i] = code[status], sid
        raw = codes.tobytes() + sids.astype("<u4").tobytes()
        digest = hashlib.sha1(order.encode() + raw).hexdigest()
        if old.get(sid) != digest:
            out.append((sid, order, digest, zlib.compress(raw, 6)))
    if out:
        store.put_place_status_states(out)
    return len(out)


class Statuses(Mapping[str, tuple[str, int]]):
    """slug → (status, id of the revision of its latest change row) of every place on one
    revision: a read-only view of a stored state (arrays in the gazetteer's order)."""

    def __init__(self, order: str, index: dict[str, int], codes: np.ndarray,
                 sids: np.ndarray) -> None:
        self.order, self._index, self.codes, self.sids = order, index, codes, sids

    def __getitem__(self, slug: str) -> tuple[str, int]:
        i = self._index[slug]
        return STATUS_CODES[self.codes[i]], int(self.sids[i])

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


_INDEXES: dict[str, dict[str, int]] = {}  # gazetteer order hash → slug → position


def stored_state(store: SqlStore, sid: int) -> Statuses | None:
    """The stored state of a revision (None: not written). Its gazetteer order is read once
    per process by its hash, never from the places table."""
    found = store.place_status_state(sid)
    if found is None:
        return None
    order, blob = found
    index = _INDEXES.get(order)
    if index is None:
        slugs = store.place_status_order(order)
        if slugs is None:
            return None
        if len(_INDEXES) >= 4:
            _INDEXES.clear()
        index = _INDEXES[order] = {s: i for i, s in enumerate(
            zlib.decompress(slugs).decode().split("\n"))}
    raw = zlib.decompress(blob)
    n = len(index)
    if len(raw) != 5 * n:
        return None
    return Statuses(order, index, np.frombuffer(raw, np.uint8, n),
                    np.frombuffer(raw, "<u4", n, n))


def on_snapshot(store: SqlStore, info: SnapshotInfo) -> None:
    """Rows of a new revision (inside the import transaction), and of the revision after it
    when it arrived out of order."""
    refresh(store, info.source)


def on_delete(store: SqlStore, info: SnapshotInfo) -> None:
    """After a revision was deleted: the revision after it is compared with its new base."""
    refresh(store, info.source)


def on_regions(store: SqlStore, progress: Callable[[int, int], None] | None = None) -> int:
    """After a regions import: changes stored without a distance to the front (no theatre
    when their revision arrived) get one. Returns how many revisions were computed."""
    n = refresh(store)
    gaz = Gazetteer.of(store)
    for src in store.sources():
        todo = {r[0] for r in store.place_status_rows(src, changes_only=True) if r[6] is None}
        if todo:
            n += _sweep(store, src, gaz, todo=todo, subset=None, progress=progress)
    return n


def on_places(store: SqlStore) -> int:
    """After outlines were imported: their places are recomputed over every revision."""
    return refresh(store)


def rebuild(store: SqlStore, source: str | None = None,
            progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute the whole table (or one source's part), in the caller's transaction."""
    with store.transaction():
        store.clear_place_status(source)
        if source is None:  # the digests went too: they are written again
            Gazetteer.of(store).synced.discard(store.label)
        return refresh(store, source, progress)


# --- reading -------------------------------------------------------------------------------
def changes(store: SqlStore, start: date, end: date, *, region: Any = None,
            source: str | None = None) -> list[PlaceChange]:
    """Every change of status made on any day from `start` through `end` (like
    `changelog`: measured from the state at the end of the day before `start`, or of the
    source's first day when the range starts on it), oldest first, of the places inside
    `region` (any level; None = all). A table read; the range is clamped to the data
    (NotFound when wholly outside it)."""
    if end < start:
        raise InputError(f"the range ends ({end}) before it starts ({start})")
    src = source_of(store, source)
    _need(store, src)
    span = coverage.span(store, src, dates.DayRange(start, end))
    rows = store.place_status_rows(src, end_of_day(span.base_day), end_of_day(span.end),
                                   changes_only=True)
    if not rows:
        return []
    wanted = _slugs_in(store, region, end)
    by_slug = store.places_named([r[1] for r in rows], end)
    out = []
    for sid, slug, before, after, occ, cont, km, valid_at in rows:
        p = by_slug.get(slug)
        if p is None or (wanted is not None and slug not in wanted):
            continue
        out.append(PlaceChange(
            slug=slug, name=p.name_en, name_uk=p.name_uk or None, katottg=p.katottg,
            population=p.population, oblast=p.region, raion=p.raion, hromada=p.hromada,
            lat=p.lat, lon=p.lon, date=date.fromisoformat(valid_at[:10]),
            from_status=before, to_status=after,
            source=src, snapshot_id=sid, distance_to_front_km=km, occupied_share=occ,
            contested_share=cont))
    return out


def changes_frame(items: Sequence[PlaceChange]) -> pd.DataFrame:
    """The changes as a table (one column per field of PlaceChange, shares to 4 decimals;
    `distance_to_front_km` is rounded by the writers like every km)."""
    frame = pd.DataFrame([dataclasses.asdict(c) for c in items], columns=COLUMNS)
    for col in ("occupied_share", "contested_share"):
        frame[col] = frame[col].astype(float).round(4)
    return frame


def status_on(store: SqlStore, on: date, *, source: str | None = None
              ) -> Mapping[str, tuple[str, int]]:
    """slug → (status, id of the revision of its latest change) of every place on a day
    (the state at its end): one stored state read (`write_states`), or — a store whose
    states are not written yet — a replay of the change rows. Empty before the source's
    history."""
    src = source_of(store, source)
    _need(store, src)
    try:
        info = store.resolve(src, on)
    except NotFound:
        return {}
    stored = stored_state(store, info.id)
    if stored is not None:
        return stored
    return {slug: (status, sid) for slug, status, sid in
            store.place_statuses(src, end_of_day(on))}  # the last row of each place wins


def latest_statuses(store: SqlStore) -> dict[str, dict[str, tuple[str, int]]]:
    """source → slug → (status, revision id) on each source's newest revision, for every
    source the table covers (a table read): what `changed_since` compares with."""
    out = {}
    for src in store.sources():
        times = store.snapshot_times(src)
        if times and covers(store, src):
            out[src] = {slug: (status, sid) for slug, status, sid in
                        store.place_statuses(src, times[-1][1])}
    return out


def changed_since(store: SqlStore, before: dict[str, dict[str, tuple[str, int]]]
                  ) -> list[PlaceChange]:
    """The places whose status on their source's newest revision is not what `before`
    (`latest_statuses` taken earlier) said: what a change of the rule's inputs — outlines
    attached by `places import` — changed, as changes on that revision, with the shares and
    distance of the place's latest row."""
    out = []
    for src, now in latest_statuses(store).items():
        was = before.get(src, {})
        moved = sorted(s for s, (st, _) in now.items() if was.get(s, (st,))[0] != st)
        if not moved:
            continue
        newest = store.snapshot(store.snapshot_times(src)[-1][0])
        last = {r[1]: r for r in store.place_status_rows(src, slugs=moved)}  # newest wins
        by_slug = store.places_named(moved, newest.date)
        for slug in moved:
            p, row = by_slug.get(slug), last[slug]
            if p is None:
                continue
            out.append(PlaceChange(
                slug=slug, name=p.name_en, name_uk=p.name_uk or None, katottg=p.katottg,
                population=p.population, oblast=p.region, raion=p.raion, hromada=p.hromada,
                lat=p.lat, lon=p.lon, date=newest.date, from_status=was[slug][0],
                to_status=now[slug][0], source=src, snapshot_id=newest.id,
                distance_to_front_km=row[6], occupied_share=row[4], contested_share=row[5]))
    return out


def statuses_between(store: SqlStore, a: SnapshotInfo, b: SnapshotInfo
                     ) -> dict[str, tuple[str | None, str]] | None:
    """slug → (status on revision a, status on revision b) of the places whose status
    differs between two revisions of one source (the table's answer to a diff); None when
    the table does not cover them (a store from before it, until `stats rebuild`)."""
    marks = store.place_status_marks(a.source)
    if a.id not in marks or b.id not in marks:
        return None
    pos = {sid: n for n, (sid, _) in enumerate(store.snapshot_times(a.source))}
    pa, pb = pos[a.id], pos[b.id]
    first: dict[str, str] = {}
    second: dict[str, str] = {}
    last = max(a.valid_at, b.valid_at)
    for sid, slug, _, status, *_ in store.place_status_rows(a.source, None, iso(last)):
        n = pos.get(sid, pb + 1)
        if n <= pa:
            first[slug] = status
        if n <= pb:
            second[slug] = status
    return {s: (first.get(s), st) for s, st in second.items() if first.get(s) != st}


def covers(store: SqlStore, source: str) -> bool:
    """Whether the table holds every revision of a source, up to date."""
    return not _stale(store, source)


def _need(store: SqlStore, source: str) -> None:
    """NotReady unless the table covers the source (rather than a partial answer)."""
    if not covers(store, source):
        raise NotReady(f"the place-status table does not cover source {echo(source)} yet (a store "
                       "from before it): run `frontwatch stats rebuild`, or import into it")


def statuses_by_day(store: SqlStore, slug: str, source: str, days: Sequence[date]
                    ) -> list[str]:
    """A place's status at the end of each of `days` (ascending, on or after the source's
    first day), from its rows alone."""
    rows = store.place_status_rows(source, None, end_of_day(days[-1]), slugs=[slug]) \
        if days else []
    out, n, status = [], 0, DERIVED_UKRAINIAN
    for day in days:
        until = end_of_day(day)
        while n < len(rows) and rows[n][7] <= until:
            status = rows[n][3]
            n += 1
        out.append(status)
    return out


def _slugs_in(store: SqlStore, region: Any, on: date) -> set[str] | None:
    if region is None:
        return None
    from frontwatch.analytics.places import places_in_region

    return {p.slug for p in places_in_region(store, region, on)}
