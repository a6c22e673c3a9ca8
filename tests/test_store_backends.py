"""One behavioural suite, run against every store backend: embedded SQLite and PostGIS.

The PostGIS runs use a throwaway cluster (tests/pg.py) and skip, with the reason, where
PostgreSQL/PostGIS is not installed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import orjson
import pytest
import shapely

from frontwatch import geometry
from frontwatch.bootstrap import ensure_places
from frontwatch.errors import InputError, NotFound, StoreError
from frontwatch.ingest import ImportOptions, import_paths, parse_snapshot
from frontwatch.ingest.prepare import content_hash, layers_of
from frontwatch.ingest.regions import import_regions, region_hash
from frontwatch.model import Place, Region
from frontwatch.places import load_bundled_places
from frontwatch.store import open_store
from tests.helpers import GREY, OCC, deepstate_fc, square, write

pytest_plugins = ["tests.pg"]  # the `backend`, `pg_url` and `pg_cluster` fixtures

T0 = datetime(2024, 7, 1, tzinfo=UTC)


def ds_file(tmp_path, when: datetime, *zones, name: str | None = None):
    """A DeepStateMap body named `<unix-seconds>.geojson`, as the API serves it."""
    path = tmp_path / (name or f"{int(when.timestamp())}.geojson")
    return write(path, deepstate_fc(*zones))


def put(store, when: datetime, dx: float = 0.0, recorded_at: datetime | None = None,
        source: str = "deepstate"):
    """Store a one-square snapshot with a chosen recorded_at (what an import cannot set)."""
    snap = parse_snapshot(orjson.dumps(deepstate_fc((OCC, square(dx)))), "x.geojson",
                          ImportOptions(format="deepstate", date=when, source=source))
    return store.add_snapshot(source=snap.source, valid_at=snap.valid_at,
                              content_hash=content_hash(snap.zones), zones=snap.zones,
                              layers=layers_of(snap.zones), recorded_at=recorded_at)[0]


def state(store):
    """Everything a failed write must leave untouched."""
    count = {t: store._query(f"SELECT count(*) FROM {t}")[0][0]
             for t in ("snapshots", "zones", "snapshot_layers", "inputs", "regions", "places")}
    return [(s.id, s.content_hash, s.revision) for s in store.snapshots()], count


def test_import_is_idempotent(backend, tmp_path):
    files = [ds_file(tmp_path, T0, (OCC, square()), (GREY, square(0.1))),
             ds_file(tmp_path, T0 + timedelta(days=1), (OCC, square(0.05)))]
    first = import_paths(backend, files, ImportOptions())
    assert [s.counts for s in first.added] == [
        {"occupied": 1, "contested": 1, "liberated": 0},
        {"occupied": 1, "contested": 0, "liberated": 0}]
    before = state(backend)
    second = import_paths(backend, files, ImportOptions())
    assert second.added == [] and len(second.unchanged) == 2
    # The same content under another name (new input hash) is still not a new revision.
    copy = ds_file(tmp_path, T0, (GREY, square(0.1)), (OCC, square()), name="copy.geojson")
    third = import_paths(backend, [copy], ImportOptions(date=T0))
    assert third.added == [] and third.unchanged == [str(copy)]
    assert state(backend)[0] == before[0]


def test_changed_content_at_same_moment_is_a_new_revision(backend):
    first = put(backend, T0)
    again = put(backend, T0)
    second = put(backend, T0, dx=0.02)
    assert (first.revision, second.revision) == (1, 2) and again.id == first.id
    assert [s.revision for s in backend.snapshots("deepstate")] == [1, 2]
    assert backend.resolve("deepstate", T0.date()).id == second.id
    moved = backend.layer(second.id, "occupied")
    assert moved.equals(shapely.Polygon(square(0.02)))
    assert backend.layer(first.id, "occupied").equals(shapely.Polygon(square()))
    assert backend.layer(first.id, "contested").is_empty


def test_resolve_carries_forward_and_respects_as_of(backend):
    day1, day3 = T0, T0 + timedelta(days=2, hours=6)
    r1 = put(backend, day1, recorded_at=T0 + timedelta(hours=1))
    r3 = put(backend, day3, dx=0.01, recorded_at=T0 + timedelta(days=3))
    late = put(backend, day1, dx=0.03, recorded_at=T0 + timedelta(days=5))  # a revision
    assert backend.resolve("deepstate", date(2024, 7, 2)).id == late.id  # carried forward
    assert backend.resolve("deepstate", date(2024, 7, 2),
                           as_of=T0 + timedelta(days=4)).id == r1.id
    assert backend.resolve("deepstate", date(2024, 7, 3)).id == r3.id
    assert backend.resolve("deepstate").id == r3.id
    assert backend.resolve("deepstate", as_of=T0 + timedelta(days=2)).id == r1.id
    with pytest.raises(NotFound, match="history starts 2024-07-01"):
        backend.resolve("deepstate", date(2024, 6, 30))
    with pytest.raises(NotFound, match="no snapshots from source 'nope'"):
        backend.resolve("nope")


def test_failed_multi_file_import_leaves_store_unchanged(backend, tmp_path):
    import_paths(backend, [ds_file(tmp_path, T0, (OCC, square()))], ImportOptions())
    before = state(backend)
    good = ds_file(tmp_path, T0 + timedelta(days=1), (OCC, square(0.04)))
    bad = write(tmp_path / "1719964800.geojson", b'{"type": "FeatureCollection", "feat')
    with pytest.raises(InputError, match=r"1719964800\.geojson"):
        import_paths(backend, [good, bad], ImportOptions())
    assert state(backend) == before
    # The store is still fully usable after the rollback.
    assert len(import_paths(backend, [good], ImportOptions()).added) == 1


def test_failed_real_import_leaves_store_unchanged(backend, shared, tmp_path):
    raw = sorted((shared / "deepstate-raw").iterdir())
    import_paths(backend, raw[-2:-1], ImportOptions())
    before = state(backend)
    truncated = tmp_path / raw[-1].name
    truncated.write_bytes(raw[-1].read_bytes()[:5000])
    with pytest.raises(InputError, match=truncated.name):
        import_paths(backend, [raw[-3], truncated], ImportOptions())
    assert state(backend) == before


def test_transaction_is_all_or_nothing_and_nests(backend):
    before = state(backend)
    with pytest.raises(RuntimeError), backend.transaction():
        put(backend, T0)
        with backend.transaction():  # an inner unit joins the outer one
            put(backend, T0 + timedelta(days=1))
        raise RuntimeError("abort")
    assert state(backend) == before
    with backend.transaction(), backend.transaction():
        put(backend, T0)
    assert len(backend.snapshots()) == 1


def test_connection_survives_a_failed_statement(backend):
    with pytest.raises(Exception, match="no_such_table"):
        backend._query("SELECT * FROM no_such_table")
    put(backend, T0)
    assert len(backend.snapshots()) == 1


def test_store_snapshot_hooks_run_in_the_same_transaction(backend, tmp_path):
    """A hook failing mid-import (e.g. a derived table) rolls back the snapshot too."""
    from frontwatch import ingest

    def failing(store, infos, progress):
        raise RuntimeError("derived table broke")

    ingest.SNAPSHOT_HOOKS.on_snapshot.append(failing)
    try:
        with pytest.raises(RuntimeError, match="derived table broke"):
            import_paths(backend, [ds_file(tmp_path, T0, (OCC, square()))], ImportOptions())
    finally:
        ingest.SNAPSHOT_HOOKS.on_snapshot.remove(failing)
    assert backend.snapshots() == []


def test_regions_are_versioned(backend):
    old = shapely.Polygon(square())
    new = shapely.Polygon(square(0.05))
    v1 = Region(slug="bakhmutskyi-raion", level="raion", name_en="Bakhmut Raion",
                name_uk="Бахмутський район", geometry=old, code="UA14020000000000000",
                area_km2=float(geometry.area_km2(old)))
    v2 = Region(**{**{f: getattr(v1, f) for f in Region.__slots__}, "geometry": new,
                   "valid_from": date(2020, 7, 17), "area_km2": float(geometry.area_km2(new))})
    assert backend.add_region(v1, region_hash(v1))
    assert backend.add_region(v2, region_hash(v2))
    assert not backend.add_region(v2, region_hash(v2))  # identical: no new version
    then = backend.region("bakhmutskyi-raion", on=date(2019, 1, 1))
    now = backend.region("bakhmutskyi-raion")
    assert then.geometry.equals(old) and then.valid_from is None
    assert now.geometry.equals(new) and now.valid_from == date(2020, 7, 17)
    assert now.area_km2 == v2.area_km2  # full double precision on every backend
    assert [r.slug for r in backend.regions(level="raion", on=date(2019, 1, 1))] == [
        "bakhmutskyi-raion"]
    assert backend.regions(with_geometry=True)[0].geometry.equals(new)
    with pytest.raises(NotFound):
        backend.region("nowhere")


def test_real_regions_import(backend, shared):
    import_regions(backend, shared / "boundaries" / "donetska_oblast.geojson.gz", "raion")
    donetsk = backend.region("donetsk-oblast")
    assert donetsk.area_km2 == pytest.approx(26_527.75, abs=0.05)
    assert len(backend.regions(level="raion")) == 8
    again = import_regions(backend, shared / "boundaries" / "donetska_oblast.geojson.gz",
                           "raion")
    assert again["added"] == []


def test_places_are_versioned_by_name(backend):
    bundled = load_bundled_places()
    assert ensure_places(backend) == len(bundled)
    assert ensure_places(backend) == 0
    assert {p.slug for p in backend.places()} == {p.slug for p in bundled}
    old = Place(slug="testville", name_en="Oldname", name_uk="Стара", kind="city",
                population=1000, region="donetsk-oblast", lon=37.5, lat=48.5)
    new = Place(slug="testville", name_en="Newname", name_uk="Нова", kind="city",
                population=1000, region="donetsk-oblast", lon=37.5, lat=48.5,
                valid_from=date(2016, 5, 12))
    assert backend.add_place(old) and backend.add_place(new) and not backend.add_place(new)
    assert backend.place("testville", date(2015, 1, 1)).name_en == "Oldname"
    assert backend.place("testville").name_en == "Newname"
    moved = Place(**{**{f: getattr(new, f) for f in Place.__slots__}, "population": 999})
    assert backend.add_place(moved)  # a correction replaces that version
    assert backend.place("testville").population == 999


def test_delete_source(backend, tmp_path):
    kept = put(backend, T0, source="archive")
    f = ds_file(tmp_path, T0, (OCC, square()), (GREY, square(0.2)))
    import_paths(backend, [f], ImportOptions())
    assert backend.delete_source("deepstate") == 1
    assert backend.sources() == ["archive"]
    assert backend._query("SELECT count(*) FROM zones")[0][0] == 1
    assert backend._query("SELECT count(*) FROM inputs")[0][0] == 0
    assert backend.zones(kept.id)[0].status == "occupied"
    # Its inputs are forgotten too, so the file imports again.
    assert len(import_paths(backend, [f], ImportOptions()).added) == 1


def test_reopening_keeps_data_and_schema(backend):
    put(backend, T0)
    version = backend._query("SELECT max(version) FROM schema_version")[0][0]
    again = open_store(backend.url)
    try:
        assert [s.id for s in again.snapshots()] == [s.id for s in backend.snapshots()]
        assert again._query("SELECT max(version) FROM schema_version")[0][0] == version
    finally:
        again.close()


# --- PostGIS specifics --------------------------------------------------------------------
@pytest.fixture
def pg_store(pg_url):
    s = open_store(pg_url)
    yield s
    s.close()


@pytest.mark.postgis
def test_backends_store_real_data_identically(pg_store, shared, tmp_path):
    raw = sorted((shared / "deepstate-raw").iterdir())[-3:]
    daily = sorted((shared / "deepstate-daily").iterdir())[-1:]
    boundaries = shared / "boundaries" / "luhanska_oblast.geojson.gz"
    lite = open_store(tmp_path / "lite.sqlite")
    try:
        for s in (lite, pg_store):
            import_paths(s, [*raw, *daily], ImportOptions())
            import_regions(s, boundaries, "raion")
        key = [(x.source, x.valid_at, x.content_hash, x.revision, x.counts)
               for x in lite.snapshots()]
        assert key == [(x.source, x.valid_at, x.content_hash, x.revision, x.counts)
                       for x in pg_store.snapshots()] and len(key) == 4
        for a, b in zip(lite.snapshots(), pg_store.snapshots()):
            for status in ("occupied", "contested"):
                assert lite.layer(a.id, status).equals_exact(pg_store.layer(b.id, status), 0)
        assert [(r.slug, r.area_km2) for r in lite.regions()] == [
            (r.slug, r.area_km2) for r in pg_store.regions()]
    finally:
        lite.close()


@pytest.mark.postgis
def test_postgis_geometry_columns(pg_store, shared):
    import_paths(pg_store, sorted((shared / "deepstate-raw").iterdir())[-1:], ImportOptions())
    for table in ("zones", "snapshot_layers"):
        rows = pg_store._query(
            f"SELECT count(*), count(*) FILTER (WHERE ST_SRID(geom_g) = 4326 AND "
            f"ST_Equals(geom_g, ST_GeomFromWKB(geom, 4326))) FROM {table}")
        assert rows[0][0] > 0 and rows[0][0] == rows[0][1]
    indexes = {r[0] for r in pg_store._query(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")}
    assert {"zones_geom_g", "snapshot_layers_geom_g", "regions_geom_g"} <= indexes


@pytest.mark.postgis
def test_postgis_diff_matches_geodesic_area(pg_store, shared):
    import_regions(pg_store, shared / "boundaries" / "donetska_oblast.geojson.gz", "raion")
    raw = sorted((shared / "deepstate-raw").iterdir())
    import_paths(pg_store, [raw[-40], raw[-1]], ImportOptions())
    a, b = pg_store.snapshots()
    diff = pg_store.postgis_diff_km2(a.id, b.id, "donetsk-oblast")
    region = pg_store.region("donetsk-oblast").geometry
    la, lb = pg_store.layer(a.id, "occupied"), pg_store.layer(b.id, "occupied")
    gained = geometry.geodesic_area_km2(shapely.intersection(shapely.difference(lb, la), region))
    lost = geometry.geodesic_area_km2(shapely.intersection(shapely.difference(la, lb), region))
    assert gained > 50  # two months of advances in Donetsk oblast
    assert diff["gained_km2"] == pytest.approx(gained, rel=1e-6)
    assert diff["lost_km2"] == pytest.approx(lost, rel=1e-6, abs=1e-6)
    assert diff["net_km2"] == pytest.approx(gained - lost, rel=1e-6)
    with pytest.raises(NotFound):
        pg_store.postgis_diff_km2(a.id, b.id, "atlantis")
    with pytest.raises(NotFound):
        pg_store.postgis_diff_km2(a.id, 10**9, "donetsk-oblast")


def test_unreachable_postgres_is_a_clear_error(tmp_path):
    pytest.importorskip("psycopg")
    url = f"postgresql://user:secret@/nodb?host={tmp_path}&port=1"
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL") as info:
        open_store(url)
    assert "secret" not in str(info.value)


def test_migration_numbers_are_unique():
    """A store that applied one of two migrations sharing a number would skip the other."""
    from frontwatch.store.base import _migrations

    versions = [v for v, _ in _migrations()]
    assert versions == sorted(set(versions))


def test_bbox_pages_match_shapely(backend):
    """zones_page / regions_page (the OGC providers' queries) keep exactly the geometries
    that intersect the box — a zone whose bounds overlap it but whose shape does not is
    left out — page them stably, and pin regions to an earlier state of the table."""
    triangle = [[39.0, 47.0], [40.0, 47.0], [39.0, 48.0], [39.0, 47.0]]
    info = put(backend, T0)
    snap = parse_snapshot(orjson.dumps(deepstate_fc(
        (OCC, square()), (GREY, square(0.5)), (OCC, triangle))), "x.geojson",
        ImportOptions(format="deepstate", date=T0 + timedelta(days=1), source="deepstate"))
    info = backend.add_snapshot(source="deepstate", valid_at=snap.valid_at,
                                content_hash=content_hash(snap.zones), zones=snap.zones,
                                layers=layers_of(snap.zones))[0]
    zones = backend.zones(info.id)
    boxes = [(39.8, 47.8, 39.9, 47.9),  # in the triangle's bounds, outside its shape
             (39.1, 47.1, 39.2, 47.2), (37.0, 47.0, 41.0, 49.0), (38.05, 48.6, 38.55, 48.7),
             (10.0, 10.0, 11.0, 11.0)]
    for box in [None, *boxes]:
        want = [n for n, z in enumerate(zones)
                if box is None or z.geometry.intersects(shapely.box(*box))]
        matched, page = backend.zones_page(info.id, box)
        assert matched == len(want) and [n for n, _ in page] == want, box
        assert all(z.geometry.equals(zones[n].geometry) for n, z in page)
        matched, page = backend.zones_page(info.id, box, offset=1, limit=1)
        assert matched == len(want) and [n for n, _ in page] == want[1:2]
    assert backend.zones_page(info.id, boxes[0]) == (0, [])
    assert backend.zone_at(info.id, 2).geometry.equals(zones[2].geometry)
    assert backend.zone_at(info.id, 3) is None
    b = shapely.bounds([z.geometry for z in zones])
    assert backend.zones_extent("deepstate") == pytest.approx(
        (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()))

    def region(slug, ring):
        g = shapely.Polygon(ring)
        r = Region(slug=slug, level="raion", name_en=slug, name_uk=slug, geometry=g,
                   area_km2=float(geometry.area_km2(g)))
        assert backend.add_region(r, region_hash(r))

    region("a-raion", square())
    region("b-raion", triangle)
    pinned = backend.regions_rev()
    region("c-raion", square(0.5))
    assert [r.slug for r in backend.regions_page(None, boxes[0])[1]] == []
    assert [r.slug for r in backend.regions_page(None, boxes[2])[1]] == [
        "a-raion", "b-raion", "c-raion"]
    matched, page = backend.regions_page(None, boxes[2], offset=1, limit=1, upto=pinned)
    assert matched == 2 and [r.slug for r in page] == ["b-raion"]
    assert page[0].geometry.equals(shapely.Polygon(triangle))
    assert backend.regions_extent() == (pytest.approx((38.0, 47.0, 40.0, 48.7)), None)
    backend._execute("UPDATE regions SET valid_from='2020-07-17' WHERE slug='a-raion'")
    backend._execute("UPDATE regions SET valid_from='2021-01-01' WHERE slug<>'a-raion'")
    assert backend.regions_extent()[1] == date(2020, 7, 17)


def test_bounds_of_rows_written_before_the_migration(tmp_path):
    """Rows without bounds (written before the bounds columns) still match a bbox, and the
    migration's backfill gives them their bounds."""
    s = open_store(tmp_path / "s.sqlite")
    info = put(s, T0)
    s._execute("UPDATE zones SET minx=NULL, miny=NULL, maxx=NULL, maxy=NULL")
    assert s.zones_page(info.id, (38.05, 48.65, 38.06, 48.66))[0] == 1
    assert s.zones_page(info.id, (30.0, 40.0, 31.0, 41.0))[0] == 0
    with s.transaction():
        s._backfill_bounds()
    assert s._query("SELECT minx, miny, maxx, maxy FROM zones") == [(38.0, 48.6, 38.1, 48.7)]
    s.close()


@pytest.mark.postgis
def test_a_reader_leaves_a_database_without_our_schema_as_it_was(pg_url):
    """A PostgreSQL schema without Frontwatch's tables: a reader (`create=False`, as every
    command that only reads opens its store) is refused, and no table is created."""
    import psycopg

    with pytest.raises(NotFound, match="no Frontwatch store in"):
        open_store(pg_url, create=False)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        tables = conn.execute("SELECT count(*) FROM information_schema.tables WHERE "
                              "table_schema = current_schema()").fetchone()[0]
    assert tables == 0
    open_store(pg_url).close()  # a writer creates it
    open_store(pg_url, create=False).close()  # and then a reader opens it


# Another application's database: a `schema_version` table is a common name (Flyway's).
FLYWAY = ["CREATE TABLE schema_version (version INTEGER, description TEXT)",
          "INSERT INTO schema_version VALUES (1, 'init')",
          "CREATE TABLE customers (id INTEGER, name TEXT)"]
# Our own schema_version (same columns, migration 1 recorded) but no `snapshots` of ours.
LOOKALIKE = ["CREATE TABLE schema_version (version INTEGER NOT NULL)",
             "INSERT INTO schema_version VALUES (1)",
             "CREATE TABLE snapshots (id INTEGER, title TEXT)"]


@pytest.mark.parametrize("tables", [FLYWAY, LOOKALIKE], ids=["flyway", "lookalike"])
@pytest.mark.parametrize("create", [False, True], ids=["reader", "writer"])
def test_another_applications_sqlite_database_is_refused_byte_for_byte(tmp_path, tables,
                                                                       create):
    """A SQLite file with tables that are not a Frontwatch store's is refused by readers and
    writers alike (`not-found`), before anything is written: same bytes, no -wal/-shm left,
    not switched to WAL."""
    import hashlib
    import sqlite3

    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    for statement in tables:
        conn.execute(statement)
    conn.commit()
    conn.close()
    before = hashlib.md5(path.read_bytes()).hexdigest()
    with pytest.raises(NotFound, match="no Frontwatch store in"):
        open_store(path, create=create)
    assert hashlib.md5(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.sqlite"]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_a_sqlite_file_without_tables_is_a_new_store_for_a_writer(tmp_path):
    """No tables at all (a file with only a header, as `sqlite3 f 'PRAGMA user_version=0'`
    leaves) is a new store for a writer and none for a reader; a store once made is ours."""
    import sqlite3

    path = tmp_path / "new.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 7")
    conn.close()
    assert path.stat().st_size > 0
    with pytest.raises(NotFound, match="holds no Frontwatch schema"):
        open_store(path, create=False)
    open_store(path).close()
    open_store(path, create=False).close()


@pytest.mark.postgis
@pytest.mark.parametrize("tables", [FLYWAY, LOOKALIKE], ids=["flyway", "lookalike"])
def test_another_applications_postgresql_database_is_refused_as_it_was(pg_cluster, tables):
    """A PostgreSQL database holding another application's tables (no PostGIS): refused by
    readers and writers alike, and no table, column or extension is added to it."""
    import uuid

    import psycopg

    name = f"foreign_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_cluster.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = psycopg.conninfo.make_conninfo(pg_cluster.url, dbname=name)

    def state() -> tuple:
        with psycopg.connect(url, autocommit=True) as conn:
            return (conn.execute("SELECT table_schema, table_name, column_name FROM "
                                 "information_schema.columns WHERE table_schema NOT IN "
                                 "('pg_catalog', 'information_schema') ORDER BY 1, 2, 3"
                                 ).fetchall(),
                    conn.execute("SELECT extname FROM pg_extension ORDER BY 1").fetchall())

    try:
        with psycopg.connect(url, autocommit=True) as conn:
            for statement in tables:
                conn.execute(statement)
        before = state()
        assert ("postgis",) not in before[1]
        for create in (False, True):
            with pytest.raises(NotFound, match="no Frontwatch store in"):
                open_store(url, create=create)
        assert state() == before
    finally:
        with psycopg.connect(pg_cluster.url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
