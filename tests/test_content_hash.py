"""The same claim gets the same content hash whatever file format carried it (issue 9): the
same zones written by GDAL as GeoJSON, GeoPackage, zipped Shapefile, FlatGeobuf and KML are one
revision, the rest "unchanged" (CLI and upload API), while a moved vertex or a changed status
is a new revision. Migration 0013 recomputes the hashes of a store built by the old code
(the old hash is frozen here), merging revisions that claimed nothing new."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from frontwatch import canonical
from frontwatch.analytics.check import check
from frontwatch.ingest import ImportOptions, import_paths, input_key, parse_snapshot
from frontwatch.ingest.hooks import SNAPSHOT_HOOKS
from frontwatch.ingest.prepare import confine_to_theatre, layers_of
from frontwatch.ingest.regions import import_regions
from frontwatch.ingest.vector import StatusMapping
from frontwatch.model import Status, Zone
from frontwatch.store import open_store
from frontwatch.store.base import _migrations
from tests.helpers import GREY, OCC, write
from tests.test_cli_data import run
from tests.test_hooks import OBLAST

pytest_plugins = ["tests.pg"]  # the `pg_url` fixture
# The number of the migration that recomputes the hashes (0013 when written).
REHASH = next(v for v, script in _migrations() if "_rehash_claims" in script)

WHEN = "2025-06-01"
SOURCE = "mapper"
STATUS = StatusMapping(field="state", mapping={"grey": "contested"})
CLI_STATUS = ["--status-field", "state", "--status-map", "grey=contested"]
# (driver, file name) as GDAL writes them; the Shapefile is zipped afterwards.
FORMATS = [("GeoJSON", "zones.geojson"), ("GPKG", "zones.gpkg"),
           ("ESRI Shapefile", "zones.zip"), ("FlatGeobuf", "zones.fgb"), ("KML", "zones.kml")]


def _blob(x: float, y: float, r: float):
    """A polygon with irrational coordinates (a buffered point): every digit counts."""
    return shapely.Point(x, y).buffer(r, quad_segs=5)


def _zones(moved: bool = False, grey_as: str = "grey") -> gpd.GeoDataFrame:
    """Two occupied features (one a MultiPolygon whose first part has a hole) and a grey one,
    inside tests.test_hooks.OBLAST; `moved` moves one vertex by ~70 m."""
    ring = _blob(38.0, 48.6, 0.08)
    with_hole = shapely.Polygon(ring.exterior.coords,
                                [_blob(38.0, 48.6, 0.02).exterior.coords])
    grey = _blob(38.25, 48.75, 0.05)
    if moved:
        coords = list(grey.exterior.coords)
        coords[3] = (coords[3][0] + 0.001, coords[3][1])
        coords[-1] = coords[0]
        grey = shapely.Polygon(coords)
    return gpd.GeoDataFrame(
        {"state": ["occupied", "occupied", grey_as], "name": ["a", "b", "c"]},
        geometry=[shapely.MultiPolygon([with_hole, _blob(37.8, 48.4, 0.03)]),
                  _blob(38.3, 48.45, 0.04), grey], crs="EPSG:4326")


def _write(gdf: gpd.GeoDataFrame, folder: Path, driver: str, name: str) -> Path:
    """`gdf` written by GDAL (pyogrio) in one format; a Shapefile's files zipped."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if driver != "ESRI Shapefile":
        pyogrio.write_dataframe(gdf, path, driver=driver)
        return path
    shp = folder / "shp"
    shp.mkdir()
    pyogrio.write_dataframe(gdf, shp / "zones.shp", driver=driver)
    with zipfile.ZipFile(path, "w") as z:
        for part in sorted(shp.iterdir()):
            z.write(part, part.name)
    return path


def _every_format(gdf: gpd.GeoDataFrame, folder: Path) -> list[Path]:
    return [_write(gdf, folder / driver.split()[-1].lower(), driver, name)
            for driver, name in FORMATS]


def _region_store(url: Path | str, folder: Path):
    """A store with a small oblast (so the derived tables have rows) and the places."""
    from frontwatch.bootstrap import ensure_places

    store = open_store(url)
    ensure_places(store)
    import_regions(store, write(folder / "oblast.geojson", OBLAST), "oblast")
    return store


def _opts(**kw) -> ImportOptions:
    return ImportOptions(source=SOURCE, date=datetime(2025, 6, 1, tzinfo=UTC), status=STATUS,
                         **kw)


def _import_cli(paths: list[Path], db: Path) -> dict:
    """`frontwatch import` of the files, each read on its own: its JSON report."""
    return json.loads(run("import", *map(str, paths), "--json", "--source", SOURCE, "--date",
                          WHEN, *CLI_STATUS, db=db).stdout)


# --- the canonical form ---------------------------------------------------------------------
def test_what_the_formats_change_is_not_the_claim():
    gdf = _zones()
    zones = [Zone(Status.OCCUPIED, "occupied", g, 2022) for g in gdf.geometry]
    shuffled = [Zone(Status.OCCUPIED, "occupied", g, 2022, label="x") for g in [
        shapely.MultiPolygon([shapely.orient_polygons(p, exterior_cw=True)
                              for p in reversed(shapely.get_parts(gdf.geometry[0]))]),
        gdf.geometry[2], gdf.geometry[1]]]
    split = [Zone(Status.OCCUPIED, "occupied", p, 2022)
             for g in gdf.geometry for p in shapely.get_parts(g)]
    h = canonical.content_hash(zones)
    assert canonical.content_hash(shuffled) == h == canonical.content_hash(split)
    contested = [Zone(Status.CONTESTED, "contested", g, None) for g in gdf.geometry]
    assert canonical.content_hash(contested) != h
    start = [Zone(Status.OCCUPIED, "occupied", g, 2014) for g in gdf.geometry]
    assert canonical.content_hash(start) != h


def test_fewer_digits_are_the_same_claim_a_moved_vertex_is_not():
    gdf = _zones()
    claim = canonical.canonical(Zone(Status.OCCUPIED, "occupied", g) for g in gdf.geometry)
    digits = canonical.canonical(  # what a writer of 15 significant digits gives back
        Zone(Status.OCCUPIED, "occupied", shapely.transform(g, lambda c: c.round(12)))
        for g in gdf.geometry)
    assert canonical.hash_canonical(digits) != canonical.hash_canonical(claim)
    assert canonical.same_claim(claim, digits)
    moved = canonical.canonical(Zone(Status.OCCUPIED, "occupied", g)
                                for g in _zones(moved=True).geometry)
    assert not canonical.same_claim(claim, moved)


# --- import: CLI and upload -----------------------------------------------------------------
def test_cli_every_format_is_one_revision_a_change_is_another(tmp_path):
    db = tmp_path / "s.sqlite"
    _region_store(db, tmp_path).close()
    first, *others = _every_format(_zones(), tmp_path / "same")
    assert len(_import_cli([first], db)["added"]) == 1
    report = _import_cli(others, db)
    assert (report["added"], report["unchanged"]) == ([], [str(p) for p in others])
    moved = _every_format(_zones(moved=True), tmp_path / "moved")
    added = _import_cli([moved[2]], db)["added"]  # the Shapefile first, this time
    assert [a["revision"] for a in added] == [2]
    assert _import_cli(moved[:2] + moved[3:], db)["added"] == []
    status = _write(_zones(moved=True, grey_as="occupied"), tmp_path / "status", "GPKG",
                    "zones.gpkg")
    assert [a["revision"] for a in _import_cli([status], db)["added"]] == [3]
    store = open_store(db)
    try:
        infos = store.snapshots(SOURCE)
        assert [i.revision for i in infos] == [1, 2, 3]
        for info in infos:  # what is stored hashes to what is recorded
            assert canonical.content_hash(store.zones(info.id)) == info.content_hash
    finally:
        store.close()


def test_upload_every_format_is_one_revision(tmp_path):
    from fastapi.testclient import TestClient

    from frontwatch.api.app import create_app
    from frontwatch.settings import Settings

    db = tmp_path / "s.sqlite"
    _region_store(db, tmp_path).close()
    params = {"source": SOURCE, "date": WHEN, "status_field": "state",
              "status_map": "grey=contested"}
    auth = {"Authorization": "Bearer t0ken-for-tests"}
    paths = _every_format(_zones(), tmp_path / "same")
    with TestClient(create_app(Settings(database_url=str(db),
                                        api_token="t0ken-for-tests"))) as api:
        answers = []
        for path in paths:
            r = api.post("/v1/snapshots", params=params, headers=auth,
                         files={"file": (path.name, path.read_bytes())})
            answers.append((r.status_code, r.json()["created"]))
        moved = _write(_zones(moved=True), tmp_path / "moved", "FlatGeobuf", "zones.fgb")
        r = api.post("/v1/snapshots", params=params, headers=auth,
                     files={"file": (moved.name, moved.read_bytes())})
        assert (r.status_code, r.json()["snapshot"]["revision"]) == (201, 2)
    assert answers == [(201, True)] + [(200, False)] * (len(paths) - 1)


def test_an_earlier_claim_again_is_stored_once_and_says_what_stays_current(tmp_path):
    """A → B → A again for one moment: a claim is stored once per source and moment (so a
    folder re-import never adds revisions), B stays current, and the import says so and how
    to make A current again (CLI, from a new file and from the same file; upload)."""
    from fastapi.testclient import TestClient

    from frontwatch.api.app import create_app
    from frontwatch.settings import Settings

    db = tmp_path / "s.sqlite"
    _region_store(db, tmp_path).close()
    a = _write(_zones(), tmp_path / "a", "GeoJSON", "zones.geojson")
    b = _write(_zones(moved=True), tmp_path / "b", "GeoJSON", "zones.geojson")
    assert len(_import_cli([a], db)["added"]) == len(_import_cli([b], db)["added"]) == 1
    again = _write(_zones(), tmp_path / "again", "GPKG", "zones.gpkg")  # A, another format
    for path in (again, a):  # a new file, and the very file imported first
        report = _import_cli([path], db)
        assert report["added"] == [] and report["unchanged"] == [str(path)]
        note = " ".join(report["notes"])
        assert "the same claim as revision 1" in note and "revision 2" in note, note
        assert "frontwatch snapshots delete --id" in note
    same_as_newest = _import_cli([b], db)
    assert not any("superseded" in n for n in same_as_newest["notes"])
    params = {"source": SOURCE, "date": WHEN, "status_field": "state",
              "status_map": "grey=contested"}
    auth = {"Authorization": "Bearer t0ken-for-tests"}
    with TestClient(create_app(Settings(database_url=str(db),
                                        api_token="t0ken-for-tests"))) as api:
        r = api.post("/v1/snapshots", params=params, headers=auth,
                     files={"file": (a.name, a.read_bytes())})
    assert r.status_code == 200 and r.json()["snapshot"]["revision"] == 1
    assert any("superseded" in n for n in r.json()["notes"]), r.json()["notes"]
    store = open_store(db)
    try:
        assert [i.revision for i in store.snapshots(SOURCE)] == [1, 2]
    finally:
        store.close()


def _esri_json(gdf: gpd.GeoDataFrame) -> dict:
    """`gdf` as an ArcGIS REST answer: every ring of a feature in one list, shells clockwise
    and holes anticlockwise (Esri's rule), each ring starting at its second vertex."""
    def rings(geom) -> list:
        out = []
        for part in shapely.get_parts(shapely.orient_polygons(geom, exterior_cw=True)):
            for ring in [part.exterior, *part.interiors]:
                xy = [list(c) for c in ring.coords[1:]]
                out.append([*xy, xy[0]])
        return out
    return {"geometryType": "esriGeometryPolygon", "spatialReference": {"wkid": 4326},
            "features": [{"attributes": {"state": st}, "geometry": {"rings": rings(g)}}
                         for st, g in zip(gdf["state"], gdf.geometry)]}


def _deepstate_json(gdf: gpd.GeoDataFrame) -> dict:
    """`gdf` as DeepStateMap's API serves it: one feature per polygon part, named by status."""
    names = {"occupied": OCC, "grey": GREY}
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": names[st]},
         "geometry": shapely.geometry.mapping(part)}
        for st, g in zip(gdf["state"], gdf.geometry) for part in shapely.get_parts(g)]}


def test_publishers_formats_are_the_same_claim(tmp_path):
    """Esri JSON (rings clockwise, all parts in one list) and DeepStateMap's API JSON (one
    feature per part) hold the same claim as a GeoPackage of the same zones."""
    store = _region_store(tmp_path / "s.sqlite", tmp_path)
    try:
        gdf = _zones()
        esri = write(tmp_path / "query.json", _esri_json(gdf))
        gpkg = _write(gdf, tmp_path / "g", "GPKG", "zones.gpkg")
        assert len(import_paths(store, [gpkg], _opts()).added) == 1
        assert import_paths(store, [esri], _opts(format="esrijson")).added == []
        ds = write(tmp_path / "1748736000.geojson", _deepstate_json(gdf))  # 2025-06-01 00:00Z
        assert len(import_paths(store, [ds], ImportOptions()).added) == 1
        again = ImportOptions(source="deepstate", date=datetime(2025, 6, 1, tzinfo=UTC),
                              status=STATUS)
        assert import_paths(store, [gpkg], again).added == []
        assert len(store.snapshots()) == 2
    finally:
        store.close()


# --- migration 0013 -------------------------------------------------------------------------
def old_hash(zones: list[Zone]) -> str:
    """The content hash before migration 0013 (frozen): the geometry's WKB as read."""
    wkbs = list(shapely.to_wkb([z.geometry for z in zones]))
    items = sorted((f"{z.status}|{z.kind}|{z.since}|".encode(), w) for z, w in zip(zones, wkbs))
    h = hashlib.sha256()
    for head, wkb in items:
        h.update(head + wkb.hex().encode() + b"\n")
    return h.hexdigest()


def _store_old_way(store, path: Path, opts: ImportOptions) -> int:
    """Store a file as the code before migration 0013 did: its zones as read, under the old
    hash, its derived rows and its input remembered. Returns the revision's id."""
    data = path.read_bytes()
    snap = parse_snapshot(data, path.name, opts)
    zones, _ = confine_to_theatre(snap.zones, store.region("theatre").geometry)
    with store.transaction():
        info, created = store.add_snapshot(
            source=snap.source, valid_at=snap.valid_at, content_hash=old_hash(zones),
            zones=zones, layers=layers_of(zones), origin=path.name)
        assert created
        SNAPSHOT_HOOKS.snapshots_stored(store, [info])
        store.remember_input(input_key(data, str(path), opts), info.id, path.name)
    return info.id


def _as_before_rehash(url: Path | str) -> None:
    """Mark the store as one whose hashes migration 0013 has not recomputed yet."""
    store = open_store(url)
    try:
        with store.transaction():
            store._execute("DELETE FROM schema_version WHERE version=?", (REHASH,))
    finally:
        store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def store_url(request, tmp_path) -> Path | str:
    """Where a store is made, on each backend (tests.pg: a throwaway PostGIS schema)."""
    return tmp_path / "old.sqlite" if request.param == "sqlite" else \
        request.getfixturevalue("pg_url")


def _copy(db: Path, to: Path) -> None:
    """A copy of a SQLite store, its write-ahead log included (sqlite3's backup)."""
    with closing(sqlite3.connect(db)) as src, closing(sqlite3.connect(to)) as dst:
        src.backup(dst)


def _derived_rows(store, snapshot_id: int) -> dict:
    """The derived rows of one revision (figures to 6 decimals)."""
    def rows(sql: str) -> list:
        return sorted(tuple(round(v, 6) if isinstance(v, float) else v for v in r)
                      for r in store._query(sql + " WHERE snapshot_id=?", (snapshot_id,)))
    return {
        "stats": rows("SELECT region_id, occupied_km2, contested_km2 FROM region_stats"),
        "front": rows("SELECT length_km FROM frontline_lengths"),
        "places": rows("SELECT slug, status FROM place_status"),
        "changes": rows("SELECT region_id, base_id, occupied_gained_km2, occupied_lost_km2 "
                        "FROM region_changes"),
        "bounds": rows("SELECT minx, miny, maxx, maxy FROM zones"),
    }


def test_migration_merges_what_claimed_nothing_new(tmp_path, store_url):
    db = store_url
    store = _region_store(db, tmp_path)
    gpkg, shp, fgb = (_write(_zones(), tmp_path / d, driver, name) for d, driver, name in [
        ("g", "GPKG", "zones.gpkg"), ("s", "ESRI Shapefile", "zones.zip"),
        ("f", "FlatGeobuf", "zones.fgb")])
    later = _write(_zones(moved=True), tmp_path / "m", "GPKG", "zones.gpkg")
    kept = _store_old_way(store, gpkg, _opts())
    merged = _store_old_way(store, shp, _opts())
    moved = _store_old_way(store, later, _opts())
    assert len({i.content_hash for i in store.snapshots()}) == 3  # the old code's duplicate
    before = {i: _derived_rows(store, i) for i in (kept, moved)}
    store.close()
    _as_before_rehash(db)

    store = open_store(db)  # migrates
    try:
        infos = store.snapshots(SOURCE)
        assert [(i.id, i.revision) for i in infos] == [(kept, 1), (moved, 3)]
        for info in infos:
            assert info.content_hash == canonical.content_hash(store.zones(info.id))
        notes = store.import_notes(SOURCE)[kept]
        assert notes[-1][0] == "merged" and notes[-1][1].startswith(
            f"merged revision id {merged} (revision 2 of this moment, recorded ")
        assert f"which id {merged} now answers for" in notes[-1][1]
        assert store.known_input(input_key(shp.read_bytes(), str(shp), _opts())).id == kept
        assert store._query("SELECT id FROM deleted_snapshots") == [(merged,)]
        assert {i: _derived_rows(store, i) for i in (kept, moved)} == before
        assert check(store, SOURCE, frontline=False)["summary"]["import"]["merged"] == 1
        assert store.resolve(SOURCE).id == moved
    finally:
        store.close()
    store = open_store(db)
    try:
        report = import_paths(store, [fgb], _opts())  # a third format: nothing new
    finally:
        store.close()
    assert (report.added, len(report.unchanged)) == ([], 1)


def test_migration_keeps_a_claim_that_came_back(tmp_path):
    """A, then B, then A again in another format: the last is the state of that moment and
    keeps the hash; the first stays in the history under a marked hash."""
    db = tmp_path / "old.sqlite"
    store = _region_store(db, tmp_path)
    a = _store_old_way(store, _write(_zones(), tmp_path / "g", "GPKG", "zones.gpkg"), _opts())
    _store_old_way(store, _write(_zones(moved=True), tmp_path / "m", "GPKG", "zones.gpkg"),
                   _opts())
    again = _store_old_way(store, _write(_zones(), tmp_path / "s", "ESRI Shapefile",
                                         "zones.zip"), _opts())
    store.close()
    _as_before_rehash(db)
    store = open_store(db)
    try:
        infos = {i.id: i for i in store.snapshots(SOURCE)}
        assert len(infos) == 3 and store.resolve(SOURCE).id == again
        fresh = canonical.content_hash(store.zones(a))
        assert (infos[a].content_hash, infos[again].content_hash) == (f"{fresh}~r1", fresh)
        assert store.import_notes(SOURCE)[a][-1][0] == "marked"
        report = import_paths(store, [_write(_zones(), tmp_path / "f", "FlatGeobuf",
                                             "zones.fgb")], _opts())
        assert report.added == []
    finally:
        store.close()


def test_a_failed_migration_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    db = tmp_path / "old.sqlite"
    store = _region_store(db, tmp_path)
    for d, driver, name in [("g", "GPKG", "zones.gpkg"), ("s", "ESRI Shapefile", "zones.zip")]:
        _store_old_way(store, _write(_zones(), tmp_path / d, driver, name), _opts())
    store.close()
    _as_before_rehash(db)
    copy = tmp_path / "copy.sqlite"
    _copy(db, copy)

    def dump(path: Path) -> list:
        with closing(sqlite3.connect(path)) as conn:
            return [(t, conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()) for t in (
                "snapshots", "zones", "inputs", "import_notes", "deleted_snapshots",
                "region_stats", "place_status", "schema_version")]

    calls = []

    def fails_on_the_second(zones):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # as if killed midway
        return canonical.hash_canonical(canonical.canonical(zones))

    monkeypatch.setattr(canonical, "content_hash", fails_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        open_store(db)
    assert dump(db) == dump(copy)


def test_migration_on_the_real_store(real_db, shared, tmp_path):
    """Every real revision rehashed from an old-hash copy of the real store: each stored hash
    is then the hash of its stored zones, and a real snapshot written by GDAL in each format
    is "unchanged"."""
    db = tmp_path / "real.sqlite"
    _copy(real_db, db)
    store = open_store(db)
    infos = store.snapshots()
    with store.transaction():
        for info in infos:
            store.set_content_hash(info.id, old_hash(store.zones(info.id)))
    store.close()
    _as_before_rehash(db)
    store = open_store(db)
    try:
        after = store.snapshots()
        assert [i.id for i in after] == [i.id for i in infos]  # none of them merged
        for info in after:
            assert info.content_hash == canonical.content_hash(store.zones(info.id))
        ds = store.resolve("deepstate")
        zones = store.zones(ds.id)
        gdf = gpd.GeoDataFrame({"state": [z.kind for z in zones]},
                               geometry=[z.geometry for z in zones], crs="EPSG:4326")
        opts = ImportOptions(source="deepstate", date=ds.valid_at,
                             status=StatusMapping(field="state"))
        for driver, name in FORMATS:
            path = _write(gdf, tmp_path / driver.split()[-1], driver, name)
            report = import_paths(store, [path], opts)
            assert (report.added, len(report.unchanged)) == ([], 1), name
    finally:
        store.close()
