"""The status of every place on every revision (issue 12): the table filled at import agrees
with the geometry on every revision of the real data, stays right when revisions arrive out
of order or are deleted and when outlines are imported, and answers `places changed`,
`GET /v1/places/changes` and the diff's `places_changed`."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import date

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from pyproj import Geod
from shapely.geometry.polygon import orient

from frontwatch.analytics import placestatus
from frontwatch.analytics.geo import point_status
from frontwatch.analytics.placestatus import MAJORITY, Gazetteer, changes, status_on
from frontwatch.bootstrap import ensure_places
from frontwatch.errors import NotReady
from frontwatch.geometry import polygons_of
from frontwatch.ingest import ImportOptions, import_paths
from frontwatch.ingest.regions import import_regions
from frontwatch.settings import Settings
from frontwatch.store import open_store
from tests.test_api_v1 import problem
from tests.test_cli_data import run

pytest_plugins = ["tests.pg"]  # the `pg_url` fixture

HROMADAS = "*_hromada.geojson.gz"  # Donetsk and Luhansk oblasts
# DeepStateMap revisions of 12–15 May 2025: Chasiv Yar goes from grey zone to occupied.
MAY_2025 = ("1747078296", "1747162272", "1747254126", "1747338154")
GEOD = Geod(ellps="WGS84")


def table_states(store, source: str):
    """(revision, slug → status) for every revision of a source, from the table alone."""
    rows: dict[int, list[tuple]] = {}
    for r in store.place_status_rows(source):
        rows.setdefault(r[0], []).append(r)
    state: dict[str, str] = {}
    for info in store.snapshots(source):
        for r in rows.get(info.id, ()):
            assert r[2] == state.get(r[1]), "a row's from_status is the status before it"
            state[r[1]] = r[3]
        yield info, dict(state)


def assert_states_are_the_table(store, source: str = "deepstate") -> None:
    """Every revision's stored whole state (what status_on reads) is the replay of the
    change rows up to it, for every place."""
    n = 0
    for info, state in table_states(store, source):
        stored = placestatus.stored_state(store, info.id)
        assert stored is not None, f"no state for revision {info.id}"
        assert {k: v[0] for k, v in stored.items()} == state, info.id
        n += 1
    assert n == len(store.snapshots(source)) > 0


def rows_by_time(s):
    """The table's rows keyed by revision time, not id (ids differ between stores)."""
    at = {i.id: i.valid_at for i in s.snapshots()}
    return sorted((at[r[0]], *r[1:6]) for r in s.place_status_rows("deepstate"))


def geod_km2(geom) -> float:
    """km² by pyproj.Geod, independent of frontwatch's equal-area plane."""
    return sum(GEOD.geometry_area_perimeter(orient(p))[0] for p in polygons_of(geom)) / 1e6


def copy_store(src, dst):
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    return open_store(dst)


# --- the table against the geometry -----------------------------------------------------
def test_every_revision_of_every_source_matches_the_points_layers(real_store):
    places = real_store.places()
    lon = np.array([p.lon for p in places])
    lat = np.array([p.lat for p in places])
    checked = 0
    for source in real_store.sources():
        for info, state in table_states(real_store, source):
            direct = point_status(real_store.layer(info.id, "occupied"),
                                  real_store.layer(info.id, "contested"), lon, lat)
            table = np.array([state[p.slug] for p in places], dtype=object)
            bad = [places[i].slug for i in np.flatnonzero(direct != table)]
            assert not bad, f"{source} revision {info.id} ({info.date}): {bad[:5]}"
            checked += 1
    assert checked == len(real_store.snapshots())
    # 5,490 starting rows per source and the changes after them, no more.
    n_rows = len(real_store.place_status_rows("deepstate"))
    assert len(places) < n_rows < len(places) * 1.2


def test_chasiv_yar_and_villages_around_pokrovsk_change_hands_in_spring_2025(real_store):
    got = changes(real_store, date(2025, 1, 1), date(2025, 6, 30), source="deepstate")
    chasiv = [(c.date, c.from_status, c.to_status) for c in got if c.slug == "chasiv-yar"]
    assert chasiv == [(date(2025, 1, 20), "ukrainian", "contested"),
                      (date(2025, 5, 14), "contested", "occupied")]
    c = next(c for c in got if c.slug == "chasiv-yar" and c.to_status == "occupied")
    assert c.population == 12250 and c.katottg == "UA14020130010015598"
    assert c.hromada == "Часовоярська" and c.oblast == "donetsk-oblast"
    assert 0 <= c.distance_to_front_km < 5 and c.source == "deepstate"
    assert real_store.snapshot(c.snapshot_id).date == c.date
    near = changes(real_store, date(2025, 3, 1), date(2025, 6, 30),
                   region="pokrovskyi-raion", source="deepstate")
    assert {"uspenivka-donetsk", "shevchenko"} <= {c.slug for c in near}
    assert all(c.oblast == "donetsk-oblast" for c in near)
    assert [c.date for c in got] == sorted(c.date for c in got)
    # A range covers every change made on its days, `from`'s own included (like changelog:
    # from the state at the end of the day before): Chasiv Yar's change of 2025-05-14 is in
    # 2025-05-14 … 05-20 and not in 2025-05-15 … 05-20.
    assert [(c.slug, c.date) for c in changes(real_store, date(2025, 5, 14),
                                              date(2025, 5, 20), source="deepstate")] == [
        ("chasiv-yar", date(2025, 5, 14))]
    assert not changes(real_store, date(2025, 5, 15), date(2025, 5, 20), source="deepstate")
    on = status_on(real_store, date(2025, 6, 30), source="deepstate")
    assert len(on) == len(real_store.places()) and on["chasiv-yar"][0] == "occupied"
    assert on["kramatorsk"][0] == "ukrainian" and on["donetsk"][0] == "occupied"


def test_out_of_order_and_deleted_revisions_keep_the_table_right(shared, tmp_path):
    files = [shared / "deepstate-raw" / f"{t}.geojson.gz" for t in MAY_2025]

    def build(name, order):
        s = open_store(tmp_path / name)
        ensure_places(s)
        for i in order:
            import_paths(s, [files[i]], ImportOptions())
        return s

    in_order = build("a.sqlite", [0, 1, 2, 3])
    shuffled = build("b.sqlite", [0, 3, 2, 1])
    assert rows_by_time(shuffled) == rows_by_time(in_order)
    assert len(rows_by_time(in_order)) > len(in_order.places())  # a start and changes
    assert_states_are_the_table(in_order)
    assert_states_are_the_table(shuffled)
    middle = next(i for i in shuffled.snapshots() if i.valid_at.timestamp() == int(MAY_2025[2]))
    from frontwatch.analytics.precompute import on_delete

    with shuffled.transaction():
        shuffled.delete_snapshot(middle.id)
        on_delete(shuffled, middle)
    without = build("c.sqlite", [0, 1, 3])
    assert rows_by_time(shuffled) == rows_by_time(without)
    assert_states_are_the_table(shuffled)
    states = [st["chasiv-yar"] for _, st in table_states(without, "deepstate")]
    assert states == [
        "contested", "contested", "occupied"]
    # A store the table does not cover (one from before it) is told so, not half answered.
    with without.transaction():
        without._execute("DELETE FROM place_status_marks")
    with pytest.raises(NotReady, match="stats rebuild"):
        changes(without, date(2025, 5, 1), date(2025, 5, 31), source="deepstate")
    assert placestatus.refresh(without) == 3
    # Changes stored before any theatre get their distance to the front with the regions.
    assert all(r[6] is None for r in without.place_status_rows("deepstate", changes_only=True))
    import_regions(without, shared / "boundaries" / "Ukraine.geojson.gz", "oblast")
    moved = without.place_status_rows("deepstate", changes_only=True)
    assert moved and all(r[6] is not None and 0 <= r[6] < 50 for r in moved)


@pytest.mark.postgis
def test_postgis_holds_the_same_table(shared, pg_url, tmp_path):
    files = [shared / "deepstate-raw" / f"{t}.geojson.gz" for t in MAY_2025[:3]]
    stores = [open_store(tmp_path / "lite.sqlite"), open_store(pg_url)]
    try:
        for s in stores:
            ensure_places(s)
            import_paths(s, files, ImportOptions())
        assert rows_by_time(stores[0]) == rows_by_time(stores[1])
        for s in stores:
            assert_states_are_the_table(s)
        got = [[(c.slug, c.date, c.to_status) for c in changes(
            s, date(2025, 5, 1), date(2025, 5, 31), source="deepstate")] for s in stores]
        assert got[0] == got[1] and ("chasiv-yar", date(2025, 5, 14), "occupied") in got[0]
    finally:
        for s in stores:
            s.close()


def test_outlines_decide_by_majority_and_only_their_places_are_recomputed(shared, real_db,
                                                                          tmp_path):
    store = copy_store(real_db, tmp_path / "s.sqlite")
    before = {(r[0], r[1]): r for r in store.place_status_rows("deepstate")}
    out = run("places", "import", *map(str, sorted((shared / "boundaries").glob(
        HROMADAS))), "--json", db=tmp_path / "s.sqlite")
    attached = {s for r in json.loads(out.stdout).values() for s in r["places"]}
    assert len(attached) > 100
    store.close()
    store = open_store(tmp_path / "s.sqlite")
    gaz = Gazetteer.of(store)
    outlines = store.place_polygons()
    after = {(r[0], r[1]): r for r in store.place_status_rows("deepstate")}
    assert_states_are_the_table(store)
    # Places without an outline keep every row as it was.
    assert {k: v for k, v in after.items() if k[1] not in attached} == {
        k: v for k, v in before.items() if k[1] not in attached}
    partial = 0
    whole = {slug: geod_km2(outlines[slug]) for slug in attached}
    for info, state in table_states(store, "deepstate"):
        layers = {st: store.layer(info.id, st) for st in ("occupied", "contested")}
        for layer in layers.values():
            shapely.prepare(layer)
        for slug in sorted(attached):
            shares = {}
            for st, layer in layers.items():
                if layer.contains(outlines[slug]):
                    shares[st] = 1.0
                elif not layer.intersects(outlines[slug]):
                    shares[st] = 0.0
                else:
                    part = shapely.intersection(outlines[slug], layer)
                    shares[st] = geod_km2(part) / whole[slug]
            occ, held = shares["occupied"], shares["occupied"] + shares["contested"]
            if min(abs(occ - MAJORITY), abs(held - MAJORITY)) < 1e-6:
                continue  # on the threshold: either answer is right
            expected = ("occupied" if occ >= MAJORITY else "contested" if held >= MAJORITY
                        else "ukrainian")
            assert state[slug] == expected, (info.date, slug, shares)
            partial += 0 < occ < 1 or 0 < shares["contested"] < 1
    assert partial, "some outline is split between statuses on some revision"
    assert gaz.has_outline.sum() == len(outlines)
    for (_, slug), r in after.items():
        if slug in attached and r[2] is not None:
            assert r[4] is not None and 0 <= r[4] <= 1  # shares where an outline decides
    # Incremental equals computed from scratch.
    with store.transaction():
        placestatus.rebuild(store, "deepstate")
    assert {(r[0], r[1]): r for r in store.place_status_rows("deepstate")} == after
    store.close()


def test_diff_places_changed_reads_the_table(real_store):
    from frontwatch.analytics import diff, places_in_region

    res = diff(real_store, "donetsk-oblast", date(2025, 5, 1), date(2025, 6, 1), "deepstate")
    got = {p["slug"]: (p["before"], p["after"]) for p in res.places_changed}
    a = status_on(real_store, date(2025, 5, 1), source="deepstate")
    b = status_on(real_store, date(2025, 6, 1), source="deepstate")
    inside = {p.slug for p in places_in_region(real_store, "donetsk-oblast",
                                               date(2025, 6, 1))}
    assert got == {s: (a[s][0], b[s][0]) for s in inside if a[s][0] != b[s][0]}
    assert got["chasiv-yar"] == ("contested", "occupied")


# --- the command and the endpoint -----------------------------------------------------------
def test_places_changed_cli_json_csv_and_errors(real_db):
    doc = json.loads(run("places", "changed", "--from", "2025-05-01", "--to", "2026-01-31",
                         "--region", "donetsk-oblast", "--source", "deepstate", "--json",
                         db=real_db).stdout)
    assert doc["source"] == "deepstate" and doc["region"] == "donetsk-oblast"
    assert doc["to"] == "2025-06-30" and doc["clamped"] and doc["data_through"]
    assert doc["count"] == len(doc["rows"]) and "50 %" in doc["rule"]
    row = next(r for r in doc["rows"] if r["slug"] == "chasiv-yar")
    assert row["date"] == "2025-05-14" and row["to_status"] == "occupied"
    assert row["population"] == 12250 and row["hromada"] == "Часовоярська"
    text = run("places", "changed", "--from", "2025-05-01", "--to", "2025-06-30", "--csv",
               "--source", "deepstate", db=real_db).stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {"slug", "from_status", "to_status", "distance_to_front_km"} <= set(rows[0])
    assert len(rows) >= doc["count"]
    # `--from`'s own day is in the range: Uspenivka's change of 2025-04-28 (it was left out)
    doc = json.loads(run("places", "changed", "--from", "2025-04-28", "--to", "2025-05-14",
                         "--source", "deepstate", "--json", db=real_db).stdout)
    assert [(r["slug"], r["date"]) for r in doc["rows"]] == [
        ("uspenivka-donetsk", "2025-04-28"), ("shevchenko", "2025-05-02"),
        ("chasiv-yar", "2025-05-14")]
    bad = run("places", "changed", "--from", "2025-06-01", "--to", "2025-05-01", db=real_db,
              check=False)
    assert bad.returncode == 1 and "--from 2025-06-01 is after --to 2025-05-01" in bad.stderr
    assert "Traceback" not in bad.stderr
    bad = run("places", "changed", "--from", "2025-05-01", "--to", "2025-06-01",
              "--region", "Atlantis", db=real_db, check=False)
    assert bad.returncode == 1 and "Atlantis" in bad.stderr


@pytest.fixture(scope="module")
def client(real_db):
    from frontwatch.api.app import create_app

    return TestClient(create_app(Settings(database_url=str(real_db), source="deepstate")))


def test_places_changes_endpoint(client):
    r = client.get("/v1/places/changes", params={"from": "2025-05-01", "to": "2025-07-31",
                                                 "region": "donetsk-oblast"})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["source"] == "deepstate" and doc["clamped"] and doc["to"] == "2025-06-30"
    assert r.headers["X-Range-Clamped"].startswith("to=2025-06-30")
    assert "DeepStateMap" in doc["attribution"] and doc["count"] == len(doc["series"])
    assert any(s["slug"] == "chasiv-yar" and s["to_status"] == "occupied"
               for s in doc["series"])
    # `from`'s own day is in the range, as on the CLI and in the change log
    day = client.get("/v1/places/changes", params={"from": "2025-04-28", "to": "2025-04-28"})
    assert [(s["slug"], s["date"]) for s in day.json()["series"]] == [
        ("uspenivka-donetsk", "2025-04-28")]
    r = client.get("/v1/places/changes", params={"from": "2025-05-01", "to": "2025-06-30",
                                                 "format": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    assert "chasiv-yar" in r.text
    problem(client.get("/v1/places/changes", params={"from": "2025-13-01"}), 400)
    problem(client.get("/v1/places/changes", params={"from": "2025-06-01",
                                                     "to": "2025-05-01"}), 400)
    assert "Atlantis" in problem(client.get("/v1/places/changes",
                                            params={"region": "Atlantis"}), 404)["detail"]
