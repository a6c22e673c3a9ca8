"""Zones outside the theatre are dropped at import and reported; `frontwatch check` lists
import notes, area jumps and front-line outliers per revision."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import shapely

from frontwatch.analytics.check import area_jumps, check, length_outliers
from frontwatch.ingest import ImportOptions, import_paths
from frontwatch.ingest.prepare import THEATRE_TOLERANCE_KM, confine_to_theatre
from frontwatch.model import Status, Zone
from frontwatch.store import open_store
from tests.helpers import GREY, OCC, square, write
from tests.test_cli_data import run

# A triangle in the Arabian Sea, as DeepStateMap's 2023 snapshots carry one.
FAR = [[64.2, 14.4], [64.5, 14.4], [64.35, 14.65], [64.2, 14.4]]
THEATRE = shapely.box(37.0, 47.0, 39.0, 49.0)


def _zone(*polygons, status=Status.CONTESTED) -> Zone:
    return Zone(status=status, kind=str(status), label="grey",
                geometry=shapely.MultiPolygon(list(polygons)))


def test_parts_outside_the_theatre_are_dropped_with_a_note():
    inside = shapely.box(38.0, 48.0, 38.1, 48.1)
    straddling = shapely.box(38.95, 48.0, 39.2, 48.1)  # reaches 15 km past the edge
    near = shapely.box(39.03, 48.0, 39.05, 48.1)  # ~2 km off: within the tolerance
    far = shapely.Polygon(FAR)
    kept, notes = confine_to_theatre(
        [_zone(inside, far), _zone(far), _zone(straddling, near, status=Status.OCCUPIED)],
        THEATRE)
    assert [len(z.geometry.geoms) for z in kept] == [1, 2]
    assert kept[0].geometry.geoms[0].equals(inside)
    assert kept[1].geometry.geoms[0].equals(straddling)  # kept whole, not clipped
    assert kept[1].status == Status.OCCUPIED and kept[1].label == "grey"
    assert len(notes) == 2 and all(n.startswith("dropped a contested zone part") for n in notes)
    assert "64.35°E 14.53°N" in notes[0] and "km past it" in notes[0]


def test_tolerance_is_in_km_and_without_regions_ukraine_bounds_apply():
    edge = THEATRE.bounds[2]
    beyond = shapely.box(edge + 0.6, 48.0, edge + 0.7, 48.1)  # ~44.8 km past, at 48°N
    assert THEATRE_TOLERANCE_KM < 44.8
    assert confine_to_theatre([_zone(beyond)], THEATRE)[0] == []
    assert len(confine_to_theatre([_zone(beyond)], THEATRE, tolerance_km=50)[0]) == 1
    # Zmiinyi (Snake) Island lies 35 km off the coast, outside OSM's outline: kept.
    snake = shapely.box(edge + 0.46, 48.0, edge + 0.47, 48.01)  # ~34 km past
    assert len(confine_to_theatre([_zone(snake)], THEATRE)[0]) == 1
    kept, notes = confine_to_theatre([_zone(beyond, shapely.Polygon(FAR))], None)
    assert len(kept) == 1 and len(kept[0].geometry.geoms) == 1 and len(notes) == 1


def _far_file(folder: Path, stamp: int) -> Path:
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": OCC},
         "geometry": {"type": "Polygon", "coordinates": [square()]}},
        {"type": "Feature", "properties": {"name": GREY},
         "geometry": {"type": "GeometryCollection", "geometries": [
             {"type": "Polygon", "coordinates": [square(dx=0.2)]},
             {"type": "Polygon", "coordinates": [FAR]}]}}]}
    return write(folder / f"{stamp}.geojson", doc)


def test_import_drops_far_parts_reports_and_records_them(store, tmp_path):
    report = import_paths(store, [_far_file(tmp_path, 1719835200)], ImportOptions())
    dropped = [n for n in report.notes if "dropped" in n]
    assert len(dropped) == 1 and dropped[0].startswith("1719835200.geojson: dropped a ")
    info = report.added[0]
    assert shapely.union_all([z.geometry for z in store.zones(info.id)]).bounds[2] < 40
    kinds = [k for k, _ in store.import_notes("deepstate")[info.id]]
    assert "dropped" in kinds
    doc = check(store)  # no regions: only the import notes can be checked
    assert doc["region"] is None and doc["not_checked"]
    assert doc["revisions"][0]["import"][0]["kind"] == "dropped"
    assert doc["summary"]["import"]["dropped"] == 1


def test_area_jumps_are_per_day_elapsed():
    t = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [(t, 1, 1000.0, 10.0), (t + timedelta(hours=3), 2, 1200.0, 10.0),  # 1 day allowed
            (t + timedelta(days=7), 3, 2900.0, 10.0),  # 1,700 km² in ~6.9 days: plausible
            (t + timedelta(days=8), 4, 2900.0, 400.0)]  # grey zone +390 km² in a day
    jumps = area_jumps(rows, max_km2_per_day=250)
    assert [(j["snapshot_id"], j["status"]) for j in jumps] == [(4, "contested")]
    assert jumps[0]["change_km2"] == 390.0 and jumps[0]["days"] == 1.0
    assert [j["snapshot_id"] for j in area_jumps(rows, max_km2_per_day=150)] == [2, 3, 4]


def test_length_outliers_against_their_neighbours():
    lengths = [(1, 4900.0), (2, 2900.0), (3, 2700.0), (4, 2300.0), (5, 2200.0),
               (6, 2000.0), (7, 2050.0), (8, 900.0), (9, 2010.0), (10, 1990.0)]
    found = {r["snapshot_id"]: r for r in length_outliers(lengths, tolerance=0.25, neighbours=2)}
    assert set(found) == {1, 8}
    assert found[1]["neighbours_median_km"] == 2900.0 and found[1]["deviation_pct"] == 69.0
    assert found[8]["deviation_pct"] < -50


def test_check_cli_text_and_json(tmp_path):
    db = tmp_path / "s.sqlite"
    run("import", str(_far_file(tmp_path, 1719835200)), db=db)
    text = run("check", db=db)
    assert "1 revision(s) dropped" in text.stdout and "64.35°E 14.53°N" in text.stdout
    assert "not checked: area jumps and front line" in text.stdout
    doc = json.loads(run("check", "--json", "--source", "deepstate", db=db).stdout)
    assert doc["source"] == "deepstate" and doc["revisions_checked"] == 1
    assert doc["revisions"][0]["valid_at"] == "2024-07-01T12:00:00Z"
    bad = run("check", "--source", "nope", db=db, check=False)
    assert bad.returncode == 1 and "unknown source 'nope'" in bad.stderr


@pytest.mark.shared
def test_real_2023_snapshots_drop_the_arabian_sea_triangle(shared, tmp_path):
    from frontwatch.ingest.regions import import_regions

    db = tmp_path / "real.sqlite"
    store = open_store(db)
    import_regions(store, shared / "boundaries" / "Ukraine.geojson.gz", "oblast")
    # 2023-01-30 (without the triangle) to 2023-03-13 (with it).
    files = sorted(f for f in (shared / "deepstate-raw").iterdir()
                   if 1675036800 <= int(f.name[:10]) < 1678752000)
    report = import_paths(store, files, ImportOptions())
    store.close()
    dropped = [n for n in report.notes if "outside the theatre" in n]
    assert len(files) >= 6 and len(dropped) == len(files) - 1
    assert all("at 64.40°E 14.55°N" in n and "527.2 km²" in n for n in dropped)
    doc = json.loads(run("check", "--json", db=db).stdout)
    listed = [r for r in doc["revisions"] if any(n["kind"] == "dropped" for n in r["import"])]
    assert len(listed) == len(files) - 1 and listed[0]["valid_at"].startswith("2023-02-06")
    assert doc["summary"]["frontline_outliers"] == 0  # ~900 km every week of early 2023
    with open_store(db) as s:
        for info in s.snapshots("deepstate"):
            assert s.layer(info.id, "contested").bounds[2] < 41  # no extent to half of Asia
