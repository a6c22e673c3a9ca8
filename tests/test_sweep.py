"""The whole record through every product that takes a date: each revision of
../shared/data/deepstate-raw (2022-04 to 2025-06, the grey zone included) and
../shared/data/deepstate-daily (2024-07 to 2025-06), asserting no exception, valid geometry
(after rounding, as written) and areas that add up.

What runs for EVERY revision (the cheap layer of each product):
- map geometry: the theatre's drawn zones (occupied and contested cut to the view, cleaned
  into a coverage, simplified, rounded), plus, in rotation, the full drawn layers (zones and
  land) of one of the Donbas and the 25 oblasts, so each of those is drawn on ~1/26 of the
  revisions of each source;
- diff with the previous revision: the gained and lost pieces of both statuses, as written
  (:func:`frontwatch.geometry.publishable`);
- area of every region (oblasts, raions, Donbas, theatre) from the statistics the area
  products read: occupied + contested + held = region within 0.01 km², none negative.

What runs on a SAMPLE (the expensive layer): the front line of every 4th revision; and on
every 30th revision plus the dates named in the issue (Apr–Sep 2022, 2024-11-24,
2024-12-15, 2025-01-05, 2025-06-30): the snapshot, diff and front-line GeoJSON documents
checked by geojson-validator, the held area by an exact overlay for every region (an
expected failure for now: see its reason), and the
complete map scene of the theatre; the Donetsk-oblast time-lapse 2025-01-06 → 2025-06-30
every 2 weeks, its embedded layers validated.
"""

from __future__ import annotations

import re
import shutil
from datetime import date

import numpy as np
import orjson
import pytest
import shapely

from frontwatch import geometry, render
from frontwatch.analytics import area, series
from frontwatch.analytics.changes import diff
from frontwatch.analytics.front import line_of
from frontwatch.analytics.incremental import changed_pieces
from frontwatch.geojson import feature_collection
from frontwatch.precision import round_values
from frontwatch.render import scene as sc
from frontwatch.render import simplify
from frontwatch.render.query import parse_query
from frontwatch.snapshots import snapshot_geojson
from frontwatch.store import open_store
from tests.conftest import need_shared
from tests.geojson_checks import geometry_problems

pytestmark = pytest.mark.shared

SOURCES = ("deepstate", "deepstate-archive")
NAMED = {date(2024, 11, 24), date(2024, 12, 15), date(2025, 1, 5), date(2025, 6, 30)}
EVERY_NTH = 30
FRONT_EVERY = 4
PIXELS = 4000  # what a single-date page simplifies for


@pytest.fixture(scope="module")
def sweep(real_db, tmp_path_factory):
    """A store with every shared revision: the session's real store (boundaries, the daily
    archive, the raw revisions of 2025) plus the raw revisions before 2025."""
    from bench.common import RAW_2025
    from frontwatch.ingest import ImportOptions, import_paths

    data = need_shared()
    path = tmp_path_factory.mktemp("sweep") / "all.sqlite"
    shutil.copyfile(real_db, path)
    store = open_store(path)
    older = sorted(f for f in (data / "deepstate-raw").iterdir()
                   if f.name[:10].isdigit() and int(f.name[:10]) < RAW_2025)
    import_paths(store, older, ImportOptions())
    n_raw = sum(1 for f in (data / "deepstate-raw").iterdir() if f.name[:10].isdigit())
    assert len(store.snapshots("deepstate")) == n_raw
    yield store
    store.close()


def _sampled(store, source: str) -> list:
    """Every EVERY_NTH revision, the first of each month Apr–Sep 2022, and the revisions in
    force on the NAMED dates: where the issue found invalid or crashing output."""
    snaps = store.snapshots(source)
    seen: set[tuple[int, int]] = set()
    out = {}
    for i, s in enumerate(snaps):
        month = (s.date.year, s.date.month)
        if i % EVERY_NTH == 0 or (s.date.year == 2022 and 4 <= s.date.month <= 9
                                  and month not in seen):
            out[s.id] = s
        seen.add(month)
    for day in NAMED:
        if day >= snaps[0].date:
            s = store.resolve(source, day)
            out[s.id] = s
    return sorted(out.values(), key=lambda s: s.valid_at)


def _valid(geoms, what: str) -> None:
    arr = np.atleast_1d(np.asarray(geoms, dtype=object))
    bad = [shapely.is_valid_reason(g) for g in arr if g is not None and not shapely.is_valid(g)]
    assert not bad, f"{what}: {bad[:3]}"


class View:
    """A focus drawn as a single-date map: view, tolerance, decimals and its land (the land
    simplified once, as the time-lapse does)."""

    def __init__(self, store, slug: str) -> None:
        region = store.region(slug)
        self.slug = slug
        self.view = sc._margin(region.geometry.bounds)
        self.tol = simplify.tolerance_for(region.geometry.bounds, PIXELS)
        self.dec = simplify.decimals_for(self.tol)
        land = sc.land_in(store, self.view, date(2025, 6, 30))[1]
        self.ground = sc.drawn_land(land, self.tol, self.dec)


@pytest.mark.parametrize("source", SOURCES)
def test_every_revision_draws_diffs_and_adds_up(sweep, source):
    store = sweep
    snaps = store.snapshots(source)
    assert len(snaps) > 200
    regions = [r for r in store.regions() if r.level in ("oblast", "group")]
    theatre = View(store, "theatre")
    rotation = [View(store, r.slug) for r in regions if r.slug != "theatre"]
    prev = None
    for i, info in enumerate(snaps):
        where = f"{source} revision {info.id} ({info.valid_at:%Y-%m-%d %H:%M})"
        raw = {st: store.layer(info.id, st) for st in sc.CONTROL}
        zones = sc.drawn_zones(raw, theatre.view, theatre.tol, theatre.dec)
        _valid(list(zones.values()), f"theatre map zones, {where}")
        overlap = geometry.area_km2(shapely.intersection(zones["occupied"], zones["contested"]))
        assert overlap < 1.0, f"theatre map zones overlap by {overlap:.2f} km², {where}"
        v = rotation[i % len(rotation)]
        _valid(sc.map_layers(raw, v.ground, v.view, v.tol, v.dec), f"{v.slug} map, {where}")
        if prev is not None:
            for st in sc.CONTROL:
                gained, lost = changed_pieces(store.layer(prev.id, st), raw[st])
                pieces = np.concatenate([gained, lost])
                _valid(geometry.publishable(pieces), f"{st} diff pieces, {where}")
        prev = info
    for r in store.regions():
        df = series(store, r, snaps[0].date, snaps[-1].date, source)
        total = df["occupied_km2"] + df["contested_km2"] + df["ukrainian_km2"]
        assert (df[["occupied_km2", "contested_km2", "ukrainian_km2"]] >= 0).all().all(), r.slug
        worst = float((total - df["region_km2"]).abs().max())
        assert worst <= 0.01, f"{r.slug}: occupied + contested + held off by {worst} km²"


@pytest.mark.parametrize("source", SOURCES)
def test_front_line_of_every_4th_revision(sweep, source):
    for info in sweep.snapshots(source)[::FRONT_EVERY]:
        line, km = line_of(sweep, info)
        _valid(geometry.publishable(line), f"front line of {source} revision {info.id}")
        assert km > 0


@pytest.mark.parametrize("source", SOURCES)
def test_sampled_revisions_write_valid_documents(sweep, source):
    store = sweep
    snaps = store.snapshots(source)
    index = {s.id: k for k, s in enumerate(snaps)}
    for info in _sampled(store, source):
        where = f"{source} revision {info.id} ({info.date})"
        body = snapshot_geojson(store, info)
        assert not (p := geometry_problems(body)), f"snapshot, {where}: {p[:3]}"
        k = index[info.id]
        if k:
            d = diff(store, None, snaps[k - 1].date, info.date, source, min_km2=0)
            assert not (p := geometry_problems(d.to_geojson())), f"diff, {where}: {p[:3]}"
        line, km = line_of(store, info)
        doc = feature_collection([(line, round_values({"length_km": km}))])
        assert not (p := geometry_problems(doc)), f"front line, {where}: {p[:3]}"


def test_theatre_maps_and_the_donetsk_timelapse_of_the_issue(sweep):
    for day in sorted(NAMED):
        s = sc.build(sweep, parse_query(day.isoformat(), region="theatre"))
        _valid([*s.layers.values(), s.land, *s.outlines.values()], f"theatre map {day}")
        total = s.stats["occupied"] + s.stats["contested"] + s.stats["ukrainian"]
        assert total == pytest.approx(s.stats["total"], abs=0.01)
    q = parse_query("2025-06-30", region="Donetsk Oblast", start="2025-01-06", step="2w")
    page = render.map_page(sweep, q, "cdn")
    data = orjson.loads(re.search(r"var data = (\[.*?\]);\n", page).group(1))
    assert len(data) > 5
    for fc in data:
        assert not (p := geometry_problems(fc)), p[:3]


@pytest.mark.xfail(strict=True, reason="known: on some regions the area statistics and an "
                   "exact overlay of the same revision disagree by more than the overlay "
                   "error (Chernihiv oblast 0.07 km² on 2022-04-03, Crimea 0.58 km² on "
                   "2024-07-08, archive); to be explained in the area statistics")
@pytest.mark.parametrize("source", SOURCES)
def test_sampled_held_areas_match_an_exact_overlay(sweep, source):
    store = sweep
    regions = store.regions(with_geometry=True)
    for info in _sampled(store, source):
        where = f"{source} revision {info.id} ({info.date})"
        # The area product on the sample's day against an exact overlay of what it reports.
        for r in regions:
            a = area(store, r, info.date, source)
            control = geometry.union([store.layer(a["snapshot_id"], st) for st in sc.CONTROL])
            near = shapely.intersection(control, shapely.box(*r.geometry.bounds))
            held = float(geometry.area_km2(shapely.difference(r.geometry, near)))
            # Overlays of the whole theatre (~600,000 km², 30k vertices) do not partition it
            # exactly: intersection + intersection + difference miss it by up to ~0.7 km²
            # (1.5e-6); hence the relative term (0.05 km² for an oblast, ~1 km² for the theatre).
            tol = max(0.01, 2e-6 * a["region_km2"])
            assert a["ukrainian_km2"] == pytest.approx(held, abs=tol), (r.slug, where)
            total = a["occupied_km2"] + a["contested_km2"] + held
            assert total == pytest.approx(a["region_km2"], abs=tol), (r.slug, where)
