"""Feature collections as providers: one object per collection answering one query interface.

The model is pygeoapi's ``BaseProvider.query(offset, limit, bbox, datetime)``: the web layer
parses a request into an :class:`ItemQuery`, a provider turns it into store queries (bbox,
date and paging done by the store, so a page reads only its own geometries) and returns a
:class:`Page`. Paging is pinned: a page names the state it was cut from (`Page.pin`, sent
back as `ItemQuery.pin` under the provider's `pin_param`), so the next page comes from the
same state even when an import lands in between.

Collections: `control` (the zones of the state on a date; an interval means the state at its
end, an open end the latest), `places` (the gazetteer, named as on the date), `regions`
(boundaries in force on the date) and `frontline` (the line on the date). A date before a
source's history matches nothing: an empty page, not an error.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

import numpy as np
import shapely

from frontwatch import coverage, dates, lookup
from frontwatch.analytics.front import line_of
from frontwatch.cql import GEOMETRY, Queryable
from frontwatch.errors import InputError, Merged, NotFound, StateChanged, echo
from frontwatch.model import OSM_ATTRIBUTION, PLACES_CREDIT, SnapshotInfo
from frontwatch.precision import KM, KM2
from frontwatch.snapshots import STATUS_CHOICES, zone_features
from frontwatch.sources import attribution
from frontwatch.store.base import Bbox, SqlStore, iso

Interval = tuple[datetime | None, datetime | None]  # (start, end); None = open


@dataclass(frozen=True, slots=True)
class ItemQuery:
    """What a client asks of a collection's items (bbox in CRS84 lon/lat; an instant is the
    interval (t, t)); `pin` is a state token from an earlier page of the same walk."""

    offset: int = 0
    limit: int | None = None
    bbox: Bbox | None = None
    datetime: Interval | None = None
    pin: str | None = None

    @property
    def end(self) -> datetime | None:
        return self.datetime[1] if self.datetime else None

    @property
    def day(self) -> date | None:
        return self.end.date() if self.end else None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of features with the ids, the total matched, provenance members and the
    state token (`pin`) a next page must name."""

    features: list[tuple[Any, dict[str, Any]]]
    ids: list[str]
    matched: int
    meta: dict[str, Any] = field(default_factory=dict)
    source: str | None = None  # whose attribution the response must carry
    illustrative: bool = False
    pin: str | None = None


@dataclass(frozen=True, slots=True)
class Extent:
    bbox: Bbox | None
    interval: tuple[str | None, str | None]  # ISO 8601; None = open or unknown


class Provider:
    """A collection over the store. `default_source` is the source answering for the
    snapshot collections (the server's configured one, else the preferred one)."""

    id: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    pin_param: ClassVar[str | None] = None  # query parameter carrying Page.pin
    # the properties a filter, sortby or properties may name (Part 3's queryables)
    queryables: ClassVar[tuple[Queryable, ...]] = ()

    def __init__(self, store: SqlStore, default_source: str | None = None):
        self.store = store
        self._preferred = default_source

    @property
    def source(self) -> str:
        return lookup.default_source(self.store, self._preferred)

    def query(self, q: ItemQuery) -> Page:  # pragma: no cover - abstract
        raise NotImplementedError

    def get(self, fid: str) -> Page:
        """A page holding the one feature `fid`; NotFound naming the collection when there
        is none. Collections of store rows looked up by id give `_lookup` and `_paged`;
        the others (control, frontline) override this."""
        try:
            return self._paged([self._lookup(fid)], 1, None)
        except NotFound:
            raise self._missing(fid) from None

    def _lookup(self, fid: str) -> Any:  # pragma: no cover - abstract
        """The store row of feature `fid` (NotFound when there is none)."""
        raise NotImplementedError

    def _paged(self, rows: list, matched: int, pin: str | None) -> Page:  # pragma: no cover
        """Store rows as a page of features (abstract)."""
        raise NotImplementedError

    def extent(self) -> Extent:  # pragma: no cover - abstract
        raise NotImplementedError

    def _missing(self, fid: str) -> NotFound:
        return NotFound(f"collection {self.id!r} has no feature {echo(fid)}")


def _pinned_int(q: ItemQuery, name: str) -> int | None:
    if q.pin is None:
        return None
    if not (q.pin.isascii() and q.pin.isdigit()) or len(q.pin) > 18:
        raise InputError(f"{name}={echo(q.pin)}: expected the id a next link gave")
    return int(q.pin)


class Control(Provider):
    id = "control"
    title = "Control zones"
    description = ("Occupied, contested and liberated zones of one state. `datetime` selects "
                   "the state on that date (an instant; for an interval, the state at its end; "
                   "`..` is the latest); a date before the source's history matches nothing. "
                   "Default: the latest state of the default source.")
    pin_param = "snapshot"
    queryables: ClassVar[tuple[Queryable, ...]] = (
        Queryable("status", "string", "What the zone claims", tuple(STATUS_CHOICES)),
        Queryable("kind", "string", "occupied (since 2022), ordlo, crimea, occupied-ordlo, "
                  "contested, liberated"),
        Queryable("since", "integer", "Year the occupation began, where the source says"),
        Queryable("label", "string", "The source's label for the zone"),
        Queryable("area_km2", "number", "Geodesic area, km²"),
        Queryable("source", "string", "The assessing source"),
        Queryable("valid_at", "date-time", "The moment the state describes"),
        Queryable("snapshot_id", "integer", "The revision's id"),
        Queryable("revision", "integer", "The revision number of that moment"),
        GEOMETRY)

    def _state(self, q: ItemQuery) -> SnapshotInfo | None:
        pinned = _pinned_int(q, "snapshot")
        source = self.source
        if pinned is not None:
            try:
                info = self.store.snapshot(pinned)
            except NotFound as exc:
                went = (f"merged into revision id {exc.kept} (the same claim)"
                        if isinstance(exc, Merged) else "deleted")
                raise StateChanged(f"snapshot={pinned}: that revision was {went} since this "
                                   "walk started; start again from the first page") from None
            if info.source != source:
                raise InputError(f"snapshot={pinned}: a revision of {echo(info.source)}, not of "
                                 f"{echo(source)} (the source this collection serves)")
            return info
        try:
            return self.store.resolve(source, q.end)
        except NotFound:
            if q.end is None:
                raise
            return None  # before the source's history: nothing matches

    def query(self, q: ItemQuery) -> Page:
        info = self._state(q)
        if info is None:
            return Page([], [], 0, {"source": self.source,
                                    "attribution": attribution(self.source)}, self.source)
        matched, rows = self.store.zones_page(info.id, q.bbox, q.offset, q.limit)
        fresh = coverage.freshness(self.store, info.source, q.end) if q.pin is None else {}
        return self._page(info, [n for n, _ in rows], [z for _, z in rows], matched, fresh)

    def _page(self, info: SnapshotInfo, ns: list[int], zones: list, matched: int,
              fresh: dict[str, Any]) -> Page:
        extra = {"source": info.source, "valid_at": iso(info.valid_at),
                 "snapshot_id": info.id, "revision": info.revision}
        feats = zone_features(zones, np.array([z.geometry for z in zones], dtype=object))
        meta = {"source": info.source, "valid_at": iso(info.valid_at), "snapshot_id": info.id,
                "revision": info.revision, "attribution": attribution(info.source), **fresh}
        return Page([(g, {**p, **extra}) for g, p in feats], [f"{info.id}-{n}" for n in ns],
                    matched, meta, info.source, info.illustrative, str(info.id))

    def get(self, fid: str) -> Page:
        sid, _, n = fid.partition("-")
        if not (sid.isascii() and sid.isdigit() and n.isascii() and n.isdigit()) or \
                len(sid) > 18 or len(n) > 18:
            raise NotFound(f"featureId {echo(fid)}: no such feature (ids are <snapshot id>-<n>)")
        info = self.store.snapshot(int(sid))
        zone = self.store.zone_at(info.id, int(n))
        if zone is None:
            raise self._missing(fid)
        return self._page(info, [int(n)], [zone], 1, {})

    def extent(self) -> Extent:
        try:
            source = self.source
        except NotFound:
            return Extent(None, (None, None))
        infos = self.store.snapshots(source)
        if not infos:
            return Extent(None, (None, None))
        return Extent(self.store.zones_extent(source),
                      (iso(infos[0].valid_at), iso(infos[-1].valid_at)))


class Places(Provider):
    id = "places"
    title = "Places"
    description = "Settlements of the bundled gazetteer (GeoNames), named as on `datetime`."
    pin_param = "rev"
    queryables: ClassVar[tuple[Queryable, ...]] = (
        Queryable("slug", "string", "Identifier"),
        Queryable("name_en", "string", "English name"),
        Queryable("name_uk", "string", "Ukrainian name"),
        Queryable("kind", "string", "Settlement kind (city, town, village, …)"),
        Queryable("population", "integer", "Population (GeoNames; null when unknown)"),
        Queryable("region", "string", "Slug of its oblast"),
        GEOMETRY)

    def _rev(self) -> str:
        """A token of the places table's content (the store keeps no older state of it)."""
        return hashlib.sha256(repr(self.store.places_version()).encode()).hexdigest()[:16]

    def query(self, q: ItemQuery) -> Page:
        # The places of a date come from the store's per-version memo (one scan per
        # version), so the bbox and the page are cut from that list: 5,000 points.
        rev = self._rev()
        if q.pin is not None and not re.fullmatch(r"[0-9a-f]{16}", q.pin):
            raise InputError(f"rev={echo(q.pin)}: expected the token a next link gave")
        if q.pin is not None and q.pin != rev:
            raise StateChanged(f"rev={echo(q.pin)}: the places changed since this walk started "
                               "(a gazetteer update); start again from the first page")
        places = self.store.places(q.day)
        if q.bbox is not None and places:
            x0, y0, x1, y1 = q.bbox
            lon = np.array([p.lon for p in places])
            lat = np.array([p.lat for p in places])
            keep = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
            places = [p for p, k in zip(places, keep) if k]
        stop = None if q.limit is None else q.offset + q.limit
        return self._paged(places[q.offset:stop], len(places), rev)

    def _lookup(self, fid: str) -> Any:
        return self.store.place(fid)

    def _paged(self, places: list, matched: int, rev: str | None) -> Page:
        feats = [(shapely.Point(p.lon, p.lat), {
            "slug": p.slug, "name_en": p.name_en, "name_uk": p.name_uk or None, "kind": p.kind,
            "population": p.population, "region": p.region}) for p in places]
        return Page(feats, [p.slug for p in places], matched,
                    {"attribution": PLACES_CREDIT}, pin=rev)

    def extent(self) -> Extent:
        places = self.store.places()
        if not places:
            return Extent(None, (None, None))
        lon = [p.lon for p in places]
        lat = [p.lat for p in places]
        return Extent((min(lon), min(lat), max(lon), max(lat)), (None, None))


class Regions(Provider):
    id = "regions"
    title = "Regions"
    description = ("Administrative boundaries (OpenStreetMap) in force on `datetime`: "
                   "oblasts, raions, groups (donbas, theatre).")
    pin_param = "rev"
    queryables: ClassVar[tuple[Queryable, ...]] = (
        Queryable("slug", "string", "Identifier"),
        Queryable("level", "string", "Administrative level",
                  ("oblast", "raion", "hromada", "group")),
        Queryable("name_en", "string", "English name"),
        Queryable("name_uk", "string", "Ukrainian name"),
        Queryable("code", "string", "Official code"),
        Queryable("parent", "string", "Slug of the enclosing region"),
        Queryable("area_km2", "number", "Geodesic area, km²"),
        Queryable("valid_from", "date", "First day these boundaries are in force"),
        GEOMETRY)

    def query(self, q: ItemQuery) -> Page:
        upto = _pinned_int(q, "rev")
        rev = self.store.regions_rev() if upto is None else upto
        matched, regions = self.store.regions_page(q.day, q.bbox, q.offset, q.limit, rev)
        return self._paged(regions, matched, str(rev))

    def _lookup(self, fid: str) -> Any:
        return self.store.region(fid)

    def _paged(self, regions: list, matched: int, rev: str | None) -> Page:
        feats = [(r.geometry, {
            "slug": r.slug, "level": r.level, "name_en": r.name_en, "name_uk": r.name_uk,
            "code": r.code, "parent": r.parent, "area_km2": round(r.area_km2 or 0.0, KM2),
            "valid_from": r.valid_from.isoformat() if r.valid_from else None})
            for r in regions]
        return Page(feats, [r.slug for r in regions], matched,
                    {"attribution": OSM_ATTRIBUTION}, pin=rev)

    def extent(self) -> Extent:
        bbox, first = self.store.regions_extent()
        return Extent(bbox, (f"{first.isoformat()}T00:00:00Z" if first else None, None))


class Frontline(Provider):
    id = "frontline"
    title = "Front line"
    description = ("The line between held and occupied/contested ground on `datetime` "
                   "(default: the latest), with its length in km; a date before the source's "
                   "history matches nothing.")
    queryables: ClassVar[tuple[Queryable, ...]] = (
        Queryable("date", "date", "The day the line is drawn for"),
        Queryable("source", "string", "The assessing source"),
        Queryable("length_km", "number", "Geodesic length, km"),
        Queryable("snapshot_id", "integer", "The revision the line comes from"),
        GEOMETRY)

    def query(self, q: ItemQuery) -> Page:
        source = self.source
        try:
            info = self.store.resolve(source, q.end)
        except NotFound:
            if q.end is None:
                raise
            return Page([], [], 0, {"attribution": attribution(source)}, source)
        page = self._line(info, q.day or info.date)
        if q.bbox is not None and not shapely.intersects(page.features[0][0],
                                                         shapely.box(*q.bbox)):
            return Page([], [], 0, page.meta, page.source, page.illustrative)
        if q.offset or q.limit == 0:
            return Page([], [], 1, page.meta, page.source, page.illustrative)
        return page

    def _line(self, info: SnapshotInfo, day: date) -> Page:
        line, km = line_of(self.store, info)
        props = {"date": day.isoformat(), "source": info.source,
                 "length_km": round(float(km), KM), "snapshot_id": info.id}
        return Page([(line, props)], [day.isoformat()], 1,
                    {"attribution": attribution(info.source)}, info.source, info.illustrative)

    def get(self, fid: str) -> Page:
        day = dates.day(fid, "featureId")
        try:
            info = self.store.resolve(self.source, day)
        except NotFound:
            raise self._missing(fid) from None
        return self._line(info, day)

    def extent(self) -> Extent:
        return Control(self.store, self._preferred).extent()


PROVIDERS: dict[str, type[Provider]] = {p.id: p for p in (Control, Places, Regions, Frontline)}


def provider(collection_id: str, store: SqlStore, default_source: str | None = None
             ) -> Provider:
    """The provider of a collection; NotFound naming the collections for an unknown id."""
    if collection_id not in PROVIDERS:
        raise NotFound(f"unknown collection {echo(collection_id)}", suggestions=list(PROVIDERS))
    return PROVIDERS[collection_id](store, default_source)
