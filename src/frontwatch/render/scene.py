"""Everything a map shows, decided once for both the web page and the static image: which
snapshot, what is in focus, the layers cut to the view and simplified for its scale, the
places worth labelling, and the words (title, date, description, attribution)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import shapely

from frontwatch import coverage, dates, geometry, lookup
from frontwatch.analytics.compare import SINCE_2022, agreement_text
from frontwatch.errors import InputError, NotFound, echo
from frontwatch.model import Claims, SnapshotInfo, claims
from frontwatch.render import labels, simplify
from frontwatch.render.query import MapQuery, check_frames
from frontwatch.render.style import TEXT, credit, km2, long_date
from frontwatch.sources import claims_of
from frontwatch.store.base import SqlStore

DEFAULT_REGION = "donbas"
CONTROL = ("occupied", "contested")
# what a map of two sources (compare_source=) shows of each: its since-2022 layer, no grey zone
COMPARED = claims(SINCE_2022, grey_zone=False)


@dataclass
class Scene:
    info: SnapshotInfo
    query: MapQuery
    where: str  # name of what is in focus
    focus: Any  # lon/lat polygon the view fits and the figures are computed for
    view: tuple[float, float, float, float]  # lon/lat extent drawn (focus plus a margin)
    tolerance_m: float
    decimals: int
    layers: dict[str, Any]  # status → simplified lon/lat geometry within the view
    land: Any  # oblasts in view and the layers (simplified): held where no layer covers it
    outlines: dict[str, Any]  # "oblast"/"raion" → simplified boundary lines
    # label candidates (render.labels) in the view down to the deepest zoom, most populous
    # first: label, lon, lat, population; each output keeps those that fit its scale
    places: list[tuple[str, float, float, int]]
    stats: dict[str, float]  # km² within the focus: occupied, contested, ukrainian, total
    focus_land: Any  # focus ∩ the regions (exact): what the km² figures are computed over
    changes: dict[str, Any] = field(default_factory=dict)  # compare: gained/lost geometry
    change_km2: dict[str, float] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)  # overrides: title/subtitle/description
    stale: bool = False  # the date asked for is after the source's newest snapshot
    other: SnapshotInfo | None = None  # compare_source=: that source's revision
    agreement: float | None = None  # compare_source=: intersection over union in the focus

    @property
    def t(self) -> dict[str, str]:
        return TEXT[self.query.lang]

    @property
    def day(self) -> date:
        """The date the map is titled with: the one asked for, or the snapshot's own date
        when that is the newest there is (a map never claims a date its data lacks)."""
        return self.info.date if self.stale else (self.query.on or self.info.date)

    @property
    def claims(self) -> Claims:
        """What the shown source says about each layer drawn (the legend's words)."""
        return snapshot_claims(self.info)

    @property
    def title(self) -> str:
        if "title" in self.text:
            return self.text["title"]
        if self.other is not None:  # two sources are compared on the since-2022 layer
            return f"{title_words(self.t, COMPARED)}: {self.where}, " + self.t[
                "sources_title"].format(a=self.info.source, b=self.other.source)
        return f"{title_words(self.t, self.claims)}: {self.where}"

    @property
    def subtitle(self) -> str:
        t, lang = self.t, self.query.lang
        if "subtitle" in self.text:
            return self.text["subtitle"]
        s = t["as_of"].format(d=long_date(self.day, lang))
        if self.stale:
            s += f" · {t['no_newer']}"
        if self.query.compare:
            s += " · " + t["changes_since"].format(d=long_date(self.query.compare, lang))
        for info in ((self.info, self.other) if self.other is not None else (self.info,)):
            n = dates.age_days(info.date, self.query.on)
            if n or self.other is not None:  # one source's map of its own day needs no age
                s += " · " + t["source_age"].format(src=info.source, d=info.date.isoformat(),
                                                    n=n, days=dates.n_days(n))
        return s

    @property
    def credits(self) -> list[str]:
        """Each source shown, credited with its revision's time; on a map of two sources
        also its age on the map's date (their revisions are rarely of the same day)."""
        shown = [self.info] + ([self.other] if self.other is not None else [])

        def line(i: SnapshotInfo) -> str:
            text = credit(i.source, self.query.lang) + f", {i.valid_at:%Y-%m-%d %H:%M} UTC"
            if self.other is None:
                return text
            n = dates.age_days(i.date, self.query.on)
            return text + " (" + self.t["age"].format(n=n, days=dates.n_days(n)) + ")"

        return [*(line(i) for i in shown), self.t["credit_osm"], self.t["credit_places"]]

    @property
    def notice(self) -> str | None:
        return self.t["demo_notice"] if self.info.illustrative else None

    @property
    def agreement_text(self) -> str:
        return agreement_text(self.agreement, self.query.lang)

    @property
    def description(self) -> str:
        t, lang = self.t, self.query.lang
        if "description" in self.text:
            return self.text["description"]
        if self.other is not None:
            k = self.change_km2
            return t["description_sources"].format(
                where=self.where, d=long_date(self.day, lang), a=self.info.source,
                b=self.other.source, both=km2(k["both"], lang), only_a=km2(k["only_a"], lang),
                only_b=km2(k["only_b"], lang), agreement=self.agreement_text)
        if self.query.compare:
            return t["description_compare"].format(
                where=self.where, d=long_date(self.day, lang),
                d1=long_date(self.query.compare, lang),
                gain=km2(self.change_km2.get("gained", 0.0), lang),
                lost=km2(self.change_km2.get("lost", 0.0), lang))
        total = self.stats.get("total") or 1.0
        c, src = self.claims, self.info.source
        what = t[f"what_{c.occupied}"].format(src=src)
        return t["description"].format(
            where=self.where, d=long_date(self.day, lang), what=what,
            What=what[:1].upper() + what[1:], occ=km2(self.stats["occupied"], lang),
            share=f"{100 * self.stats['occupied'] / total:.0f}%",
            contested=t["desc_contested"].format(con=km2(self.stats["contested"], lang))
            if c.grey_zone else t["desc_no_grey"], rest=t[f"desc_{c.rest}"].format(src=src))


def snapshot_claims(info: SnapshotInfo) -> Claims:
    """What a map of revision `info` may say about its layers (frontwatch.model.Claims)."""
    return claims_of(info.source, info.counts.get("contested", 0) > 0)


def title_words(t: dict[str, str], claims: Claims, timelapse: bool = False) -> str:
    """The title's words (before the place) of a map of a source with `claims`: a layer of
    the ground taken since 2022 is not a map of territorial control."""
    key = "timelapse_title" if timelapse else "title"
    return t.get(f"{key}_{claims.occupied}", t[key])


def is_stale(store: SqlStore, info: SnapshotInfo, on: date | None) -> bool:
    """True when `on` (None: the latest state, as of today UTC) lies after the newest
    snapshot of `info`'s source: the map then says there is no newer data."""
    return dates.age_days(coverage.newest(store, info.source).date, on) > 0


def clamp_timelapse(store: SqlStore, q: MapQuery) -> tuple[MapQuery, bool]:
    """A time-lapse cut to the days its source covers (frontwatch.coverage.span), and
    whether its end was cut (the page then says there is no newer data)."""
    if not q.timelapse:
        return q, False
    src = lookup.default_source(store, q.source)
    n = q.names
    s = coverage.span(store, src, dates.DayRange(q.start, q.on), (n.start, n.end))
    if s.start >= s.end:
        raise InputError(f"{n.start} {q.start} to {n.end} {q.on}: {echo(src)} data covers "
                         f"only {s.start} of that range; a time-lapse needs two dates")
    cut = dataclasses.replace(q, start=s.start, on=s.end)
    check_frames(cut, q)
    return cut, s.clamped


def resolve_snapshot(store: SqlStore, q: MapQuery, on: date | None = None,
                     name: str | None = None) -> SnapshotInfo:
    """The revision `q` shows on `on` (default: its date). The map's date, or an `on` given
    with the `name` of its input (the compare date), before the source's history is
    NotFound naming that input as `q.names` spell it (404 `date=…`, CLI ``DATE=…``);
    a time-lapse's frames, already cut to the data, are not checked again."""
    source = lookup.default_source(store, q.source)
    day = on if on is not None else q.on
    if day is not None and (on is None or name is not None):
        coverage.check_day(store, source, day, name or q.names.date)
    return store.resolve(source, day, q.as_of)


def _circle(lon: float, lat: float, radius_km: float):
    centre = geometry.to_equal_area(shapely.Point(lon, lat))
    return geometry.from_equal_area(centre.buffer(radius_km * 1000, 32))


def focus_of(store: SqlStore, q: MapQuery, on: date | None) -> tuple[str, Any]:
    """(name, lon/lat polygon) of what the view fits."""
    uk = q.lang == "uk"
    if q.place:
        p = lookup.resolve_place(store, q.place, on)
        name = TEXT[q.lang]["km_radius"].format(km=q.radius_km,
                                                name=p.label_uk if uk else p.name_en)
        return name, _circle(p.lon, p.lat, q.radius_km)
    if q.bbox:
        return ", ".join(f"{v:g}" for v in q.bbox), shapely.box(*q.bbox)
    try:
        r = lookup.resolve_region(store, q.region or DEFAULT_REGION, on)
    except NotFound:
        if q.region:
            raise
        r = lookup.resolve_region(store, "theatre", on) if any(
            x.slug == "theatre" for x in store.regions(on=on)) else None
        if r is None:
            raise NotFound("the store holds no regions to draw: run `frontwatch regions "
                           "import FILE --level oblast`") from None
    return (r.name_uk if uk else r.name_en), r.geometry


def title_for(store: SqlStore, q: MapQuery) -> str:
    """The map's title without rendering it (for embed snippets and oEmbed)."""
    t = TEXT[q.lang]
    where, _ = focus_of(store, q, q.on)
    info = resolve_snapshot(store, q)
    if q.compare_source:
        other = compared_snapshot(store, q)
        return f"{title_words(t, COMPARED)}: {where}, " + t["sources_title"].format(
            a=info.source, b=other.source)
    return f"{title_words(t, snapshot_claims(info), q.timelapse)}: {where}"


def dated_title(store: SqlStore, q: MapQuery) -> str:
    """title_for followed by each snapshot shown (shown_snapshots), of its day and with its
    age on the map's date (`latest`: today) when above 0 or when two sources are shown, in
    the subtitle's words: what a pasted embed snippet or oEmbed card carries, where no
    subtitle is seen ("… · deepstate of 2025-06-30 (518 days old)")."""
    t = TEXT[q.lang]
    shown = shown_snapshots(store, q)

    def said(i: SnapshotInfo) -> str:
        n, d = dates.age_days(i.date, q.on), i.date.isoformat()
        if n or len(shown) > 1:
            return t["source_age"].format(src=i.source, d=d, n=n, days=dates.n_days(n))
        return t["source_of"].format(src=i.source, d=d)

    return " · ".join([title_for(store, q), *(said(i) for i in shown)])


def compared_snapshot(store: SqlStore, q: MapQuery) -> SnapshotInfo:
    """compare_source='s revision in force on the day the map is titled with (400 naming
    compare_source when it is unknown, the map's own source, or has no data by then)."""
    from frontwatch.render.differ import other_snapshot

    info = resolve_snapshot(store, q)
    day = info.date if is_stale(store, info, q.on) else (q.on or info.date)
    return other_snapshot(store, info, q.compare_source, day, q.as_of)


def shown_snapshots(store: SqlStore, q: MapQuery) -> list[SnapshotInfo]:
    """The revisions a map shows: the one in force on its date (a time-lapse: on its last
    frame, the newest it draws) and, with compare_source, that source's. What the map's
    ages, its CLI line and its X-Snapshot-Age-Days speak of."""
    info = resolve_snapshot(store, q)
    return [info, compared_snapshot(store, q)] if q.compare_source else [info]


def _margin(bounds, frac: float = 0.15) -> tuple[float, float, float, float]:
    """The extent drawn around the focus: a margin, widened so that a landscape screen
    (up to 2:1) or a portrait phone (1:2) showing the whole focus never reaches its edge."""
    minx, miny, maxx, maxy = bounds
    kx = math.cos(math.radians((miny + maxy) / 2))  # degrees of lon → same distance as lat
    w, h = (maxx - minx) * kx, maxy - miny
    half_w = max(w * (0.5 + frac), h * 1.0) / kx + 0.02
    half_h = max(h * (0.5 + frac), w * 1.0) + 0.02
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return (cx - half_w, cy - half_h, cx + half_w, cy + half_h)


def _clip(geom, view):
    return geometry.polygonal(shapely.clip_by_rect(geom, *view)) if not geom.is_empty \
        else geometry.EMPTY


def build(store: SqlStore, q: MapQuery, pixels: int = 4000, info: SnapshotInfo | None = None
          ) -> Scene:
    """The scene of one date. `pixels`: how many screen pixels the focus may span at the
    deepest zoom offered (sets simplification: one pixel of error there)."""
    info = info or resolve_snapshot(store, q)
    stale = is_stale(store, info, q.on)
    day = info.date if stale else (q.on or info.date)
    where, focus = focus_of(store, q, day)
    view = _margin(focus.bounds)
    tol = simplify.tolerance_for(focus.bounds, pixels)
    dec = simplify.decimals_for(tol)

    raw = {s: store.layer(info.id, s) for s in CONTROL}
    oblasts, land_raw = land_in(store, view, day)
    land_focus = shapely.intersection(focus, land_raw) if not land_raw.is_empty else focus
    stats = control_km2(raw, land_focus)
    stats["total"] = float(geometry.area_km2(land_focus))
    stats["ukrainian"] = max(stats["total"] - stats["occupied"] - stats["contested"], 0.0)

    occ, con, land = map_layers(raw, drawn_land(land_raw, tol, dec), view, tol, dec)
    raions = [r.geometry for r in store.regions(level="raion", on=day, with_geometry=True)
              if shapely.intersects(r.geometry, shapely.box(*view))]
    outlines = {
        "oblast": _outline([r.geometry for r in oblasts], view, tol, dec),
        "raion": _outline(raions, view, tol, dec),
    }
    scene = Scene(info=info, query=q, where=where, focus=focus, view=view, tolerance_m=tol,
                  decimals=dec, layers={"occupied": occ, "contested": con},
                  land=land, outlines=outlines,
                  places=labels.candidates(store, view, day, q.lang, simplify.tolerance_for(
                      focus.bounds, labels.DEEPEST_PIXELS)), stats=stats,
                  focus_land=land_focus, stale=stale)
    if q.compare:
        add_changes(store, scene, raw, land_focus)
    if q.compare_source:
        from frontwatch.render.differ import add_source_comparison

        add_source_comparison(store, scene, land_focus)
    return scene


def land_in(store: SqlStore, view, day: date) -> tuple[list, Any]:
    """(oblasts meeting the view, their land cut to the view with border slivers closed)."""
    oblasts = [r for r in store.regions(level="oblast", on=day, with_geometry=True)
               if shapely.intersects(r.geometry, shapely.box(*view))]
    return oblasts, fill_slivers(geometry.union([_clip(r.geometry, view) for r in oblasts]))


def map_layers(raw: dict[str, Any], ground, view, tolerance_m: float, decimals: int
               ) -> tuple[Any, Any, Any]:
    """(occupied, contested, land) as drawn, each valid and rounded. The control layers are
    cut to the view and simplified together as one coverage, so they share their edges; the
    land (`ground`, from :func:`drawn_land`; drawn beneath them, reading as the rest of the
    region where no zone covers it) is simplified on its own and joined with them, so no gap opens
    where their edges were simplified differently. Keeping the land out of the coverage keeps
    the cleaning that coverage needs cheap: the country outline holds ten times the vertices
    of the zones."""
    occ, con = drawn_zones(raw, view, tolerance_m, decimals).values()
    return occ, con, geometry.publishable(geometry.union([ground, occ, con]), decimals)


def drawn_land(land, tolerance_m: float, decimals: int):
    """The land of a view simplified and rounded for drawing (the same for every date)."""
    return simplify.coverage([land], tolerance_m, decimals)[0]


def fill_slivers(geom, max_km2: float = 300.0):
    """Close the small holes a union of regions from different sources leaves along shared
    borders (e.g. OSM's oblast polygons against an oblast built from its raions), so the
    held area reads as one surface; real enclaves such as Kyiv city (~840 km²) stay."""
    polys = []
    for poly in geometry.polygons_of(geom):
        holes = [r for r in poly.interiors
                 if geometry.area_km2(shapely.Polygon(r)) > max_km2]
        polys.append(shapely.Polygon(poly.exterior, holes))
    return geometry.union(polys) if polys else geometry.EMPTY


def control_km2(raw: dict[str, Any], land_focus) -> dict[str, float]:
    """km² of each control layer within the focus (exact geometry, the area convention)."""
    return {s: float(geometry.area_km2(shapely.intersection(raw[s], land_focus)))
            for s in CONTROL}


def control_layers(store: SqlStore, info: SnapshotInfo, view, tolerance_m: float,
                   decimals: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(exact layers, layers cut to the view and simplified together) of a snapshot."""
    raw = {s: store.layer(info.id, s) for s in CONTROL}
    return raw, drawn_zones(raw, view, tolerance_m, decimals)


def drawn_zones(raw: dict[str, Any], view, tolerance_m: float, decimals: int
                ) -> dict[str, Any]:
    """status → the control layer cut to the view, simplified with the other as one
    coverage (shared edges stay shared) and rounded."""
    simple = simplify.coverage([_clip(raw[s], view) for s in CONTROL], tolerance_m, decimals)
    return dict(zip(CONTROL, simple))


def _outline(geoms: list, view, tol: float, dec: int):
    if not geoms:
        return shapely.MultiLineString()
    # union nodes the shared borders into 2-point pieces; merge them back into long lines so
    # that simplification has something to simplify
    merged = shapely.line_merge(shapely.union_all(shapely.boundary(np.array(geoms))))
    lines = shapely.clip_by_rect(merged, *view)
    return simplify.lines([lines], tol, dec)[0]


def add_changes(store: SqlStore, scene: Scene, raw: dict[str, Any], land_focus) -> None:
    """Newly occupied ('gained') and no-longer-occupied ('lost') ground since `compare`, cut
    to the view, with their km² within the focus. Two overlays in lon/lat, then areas by
    the convention: exactly what the map draws."""
    q = scene.query
    before = store.layer(resolve_snapshot(store, q, q.compare, q.names.compare).id,
                         "occupied")
    after = raw["occupied"]
    for key, geom in (("gained", shapely.difference(after, before)),
                      ("lost", shapely.difference(before, after))):
        geom = geometry.polygonal(geom)
        scene.change_km2[key] = float(geometry.area_km2(shapely.intersection(geom, land_focus)))
        scene.changes[key] = simplify.coverage([_clip(geom, scene.view)], scene.tolerance_m,
                                               scene.decimals)[0]
