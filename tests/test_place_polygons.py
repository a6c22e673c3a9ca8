"""Settlement outlines from OSM hromada files attach to gazetteer places (`places import`)."""

from __future__ import annotations

import json

import pytest
import shapely
from pyproj import Geod

from frontwatch.errors import InputError
from frontwatch.ingest.place_polygons import read_outlines
from tests.test_cli_data import run

POKROVSK = "donetska_oblast.pokrovskyy_rayon.pokrovska_miska_hromada.geojson.gz"


def test_outlines_attach_by_code_or_by_name_and_position(shared, store):
    rows, report = read_outlines(shared / "boundaries" / POKROVSK, store.places())
    by_slug = {r[0]: r for r in rows}
    # Pokrovsk has no katotth in OSM: attached by name and position, the code is ours.
    assert by_slug["pokrovsk"][1] == "UA14160210010099403"
    # Leontovychi by its code; this Nadiivka (pop. 325) is not in the gazetteer, and its
    # namesake there, 200 km away in Dnipropetrovsk Oblast, must not take its outline.
    assert by_slug["leontovychi"][1] == "UA14160210390014296"
    assert "nadiivka" not in by_slug
    assert report.skipped == 6 and report.unmatched == 5  # label points; villages < 500
    geod = Geod(ellps="WGS84")
    for slug, _, km2, origin, geom in rows:
        assert shapely.is_valid(geom) and geom.geom_type == "MultiPolygon"
        assert km2 == pytest.approx(abs(geod.geometry_area_perimeter(geom)[0]) / 1e6,
                                    rel=1e-6)
        p = store.place(slug)
        # GeoNames' point may sit just outside OSM's outline (Leontovychi: by code).
        assert shapely.dwithin(geom, shapely.Point(p.lon, p.lat), 0.03) and origin == POKROVSK
    store.set_place_polygons(rows)
    store.set_place_polygons(rows[:1])  # re-import replaces, never duplicates
    assert set(store.place_polygons()) == set(by_slug)


def test_not_geojson_is_refused(tmp_path, store):
    bad = tmp_path / "x.geojson"
    bad.write_text('{"type": "Feature"}', encoding="utf-8")
    with pytest.raises(InputError, match="FeatureCollection"):
        read_outlines(bad, store.places())


def test_places_import_cli(shared, tmp_path):
    db = tmp_path / "s.sqlite"
    out = json.loads(run("places", "import", str(shared / "boundaries" / POKROVSK), "--json",
                         db=db).stdout)
    [report] = out.values()
    assert "pokrovsk" in report["places"] and report["attached"] == len(report["places"])
    listed = json.loads(run("places", "--json", db=db).stdout)
    assert any(p["slug"] == "pokrovsk" for p in listed)
    bad = run("places", "import", str(tmp_path / "missing.geojson"), db=db, check=False)
    assert bad.returncode in (1, 2) and "missing.geojson" in bad.stderr


@pytest.mark.shared
def test_outlines_give_codes_to_places_the_gazetteer_left_without(shared, tmp_path):
    """Over every Donbas hromada file: a place without a bundled code whose outline carries
    OSM's `katotth` gets it (a well-formed code of its oblast, held by no other place); the
    rest say null in the listings."""
    from frontwatch.bootstrap import ensure_places
    from frontwatch.store import open_store

    db = tmp_path / "s.sqlite"
    created = open_store(db)
    ensure_places(created)
    created.close()
    files = sorted((shared / "boundaries").glob("*_hromada.geojson.gz"))
    donbas = ("donetsk-oblast", "luhansk-oblast")
    before = {p["slug"]: p["katottg"] for p in json.loads(run(
        "places", "--json", db=db).stdout) if p["region"] in donbas}
    run("places", "import", *map(str, files), "--json", db=db)
    after = {p["slug"]: p["katottg"] for p in json.loads(run(
        "places", "--json", db=db).stdout) if p["region"] in donbas}
    gained = {s: c for s, c in after.items() if c and not before[s]}
    assert all(c == before[s] for s, c in after.items() if before[s])  # bundled codes stay
    assert len(gained) >= 10
    s = open_store(db)
    try:
        places = {p.slug: p for p in s.places()}
        outlines = dict((r[0], r[1]) for r in s._query("SELECT slug, katottg FROM "
                                                       "place_polygons"))
    finally:
        s.close()
    codes = [p.katottg for p in places.values() if p.katottg]
    assert all(codes.count(c) == 1 for c in gained.values())  # held by no other place
    for slug, code in gained.items():
        assert outlines[slug] == code and len(code) == 19
        assert {"UA14": "donetsk-oblast", "UA44": "luhansk-oblast"}[code[:4]] == \
            places[slug].region
    missing = [s for s, c in after.items() if c is None]
    assert missing and len(missing) == sum(1 for c in before.values() if c is None) - \
        len(gained)
    print(f"Donbas places without a code: {len(missing) + len(gained)} bundled, "
          f"{len(missing)} after the OSM hromada files")
