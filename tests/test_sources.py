"""Managing sources: listing what each one holds and covers, removing a source, deleting one
revision — with the stats, input memory and served answers staying consistent — on both
store backends, through the CLI and through GET /v1/sources."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime

import orjson
import pytest
from fastapi.testclient import TestClient

from frontwatch import analytics, lookup
from frontwatch.errors import NotFound
from frontwatch.ingest import ImportOptions, import_paths
from frontwatch.ingest.regions import import_regions
from frontwatch.settings import Settings
from frontwatch.sources import attribution, describe
from frontwatch.store import open_store
from tests.helpers import GREY, OCC, deepstate_fc, square, write

pytest_plugins = ["tests.pg"]  # the `backend` fixture: SQLite and PostGIS

D1, D2 = datetime(2024, 7, 1, 12, tzinfo=UTC), datetime(2024, 7, 8, 12, tzinfo=UTC)
REGION = {"type": "FeatureCollection", "features": [{
    "type": "Feature", "properties": {"name:en": "Test Oblast", "name:uk": "Тестова область"},
    "geometry": {"type": "Polygon", "coordinates": [[[37.8, 48.4], [38.6, 48.4], [38.6, 49.0],
                                                     [37.8, 49.0], [37.8, 48.4]]]}}]}


def nzz_doc(day: str, ring: list) -> dict:
    return {"value": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"date": day, "type": "nochange"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}}


def fill(store, tmp_path) -> dict:
    """A region, two DeepStateMap revisions (with a grey zone) and two NZZ map dates."""
    import_regions(store, write(tmp_path / "region.geojson", REGION), "oblast")
    files = {
        "ds1": write(tmp_path / f"{int(D1.timestamp())}.geojson",
                     deepstate_fc((OCC, square()), (GREY, square(0.1)))),
        "ds2": write(tmp_path / f"{int(D2.timestamp())}.geojson",
                     deepstate_fc((OCC, square()), (OCC, square(0.05)))),
        "nzz1": write(tmp_path / "a.json", nzz_doc("2024-07-01", square(0.2))),
        "nzz2": write(tmp_path / "b.json", nzz_doc("2024-07-05", square(0.25))),
    }
    import_paths(store, list(files.values()), ImportOptions())
    return files


def stats_rows(store, ids) -> int:
    marks = ",".join("?" * len(ids))
    return store._query(f"SELECT count(*) FROM region_stats WHERE snapshot_id IN ({marks})",
                        list(ids))[0][0]


def series(store, source: str) -> list:
    df = analytics.series(store, "test-oblast", date(2024, 7, 1), date(2024, 7, 10), source)
    return df[["date", "snapshot_id", "occupied_km2", "contested_km2"]].values.tolist()


def test_listing_says_what_each_source_covers(backend, tmp_path):
    fill(backend, tmp_path)
    rows = {r["source"]: r for r in describe(backend)}
    assert list(rows) == ["deepstate", "nzz"]
    ds, nz = rows["deepstate"], rows["nzz"]
    assert (ds["revisions"], ds["first"], ds["last"]) == (2, "2024-07-01T12:00:00Z",
                                                           "2024-07-08T12:00:00Z")
    assert ds["grey_zone"] is True and ds["occupied"] == "all" and ds["default"] is True
    assert set(ds["kinds"]) == {"occupied", "contested"}
    assert (nz["revisions"], nz["first"][:10], nz["last"][:10]) == (2, "2024-07-01",
                                                                     "2024-07-05")
    assert nz["grey_zone"] is False and nz["occupied"] == "since-2022"
    assert nz["default"] is False
    assert nz["kinds"] == {"occupied": {"first": "2024-07-01", "last": "2024-07-05"}}
    assert nz["attribution"] == attribution("nzz") and "NZZ" in nz["licence"]
    # A store with only NZZ answers from it; FRONTWATCH_SOURCE picks another.
    assert [r["source"] for r in describe(backend, "nzz") if r["default"]] == ["nzz"]


def test_remove_source_keeps_the_other_consistent(backend, tmp_path):
    files = fill(backend, tmp_path)
    before = series(backend, "deepstate")
    nzz_ids = [s.id for s in backend.snapshots("nzz")]
    assert stats_rows(backend, nzz_ids) == 2 * len(backend.stats_regions())
    assert backend.delete_source("nzz") == 2
    assert backend.sources() == ["deepstate"]
    assert stats_rows(backend, nzz_ids) == 0
    assert series(backend, "deepstate") == before  # untouched
    with pytest.raises(NotFound, match="unknown source 'nzz'"):
        analytics.series(backend, "test-oblast", date(2024, 7, 1), date(2024, 7, 2), "nzz")
    # The import memory went too: the same files import again, under new ids.
    again = import_paths(backend, [files["nzz1"], files["nzz2"]], ImportOptions())
    assert len(again.added) == 2 and min(s.id for s in again.added) > max(nzz_ids)
    assert backend.delete_source("nothing") == 0


def test_delete_one_revision(backend, tmp_path):
    fill(backend, tmp_path)
    ds1, ds2 = backend.snapshots("deepstate")
    nzz_before = series(backend, "nzz")
    gone = backend.delete_snapshot(ds2.id)
    assert gone == ds2
    with pytest.raises(NotFound):
        backend.snapshot(ds2.id)
    with pytest.raises(NotFound):
        backend.delete_snapshot(ds2.id)
    assert stats_rows(backend, [ds2.id]) == 0
    # The state on D2 falls back to the revision before; its stats are unchanged.
    assert backend.resolve("deepstate", D2.date()).id == ds1.id
    rows = series(backend, "deepstate")
    assert {r[1] for r in rows} == {ds1.id} and rows[-1][2] == rows[0][2]
    assert series(backend, "nzz") == nzz_before
    # A deleted id is never handed out again (nor its immutable URL).
    again = import_paths(backend, [tmp_path / f"{int(D2.timestamp())}.geojson"],
                         ImportOptions())
    assert again.added[0].id > ds2.id and again.added[0].revision == 1
    assert backend._query("SELECT id, source FROM deleted_snapshots") == [(ds2.id, "deepstate")]


def test_revision_numbers_after_a_delete(backend, tmp_path):
    path = tmp_path / f"{int(D1.timestamp())}.geojson"
    revs = []
    for dx in (0.0, 0.01, 0.02):
        write(path, deepstate_fc((OCC, square(dx))))
        revs += import_paths(backend, [path], ImportOptions()).added
    assert [r.revision for r in revs] == [1, 2, 3]
    backend.delete_snapshot(revs[0].id)
    write(path, deepstate_fc((OCC, square(0.03))))
    new = import_paths(backend, [path], ImportOptions()).added[0]
    assert new.revision == 4  # not a second "revision 3"


# --- the CLI ------------------------------------------------------------------------------
def run(*args: str, db, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "frontwatch", *args, "--db", str(db)],
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_cli_sources_remove_and_delete(tmp_path):
    db = tmp_path / "cli.sqlite"
    with open_store(db) as store:
        fill(store, tmp_path)
        ids = {s.source: [x.id for x in store.snapshots(s.source)] for s in store.snapshots()}
    listing = json.loads(run("sources", "--json", db=db).stdout)
    assert [(r["source"], r["revisions"], r["default"]) for r in listing] == [
        ("deepstate", 2, True), ("nzz", 2, False)]
    table = run("sources", db=db)
    assert "since-2022" in table.stdout and "NZZ (nzz.ch)" in table.stderr

    # No terminal, no --yes: a usage error, nothing deleted.
    proc = run("sources", "remove", "nzz", db=db, check=False)
    assert proc.returncode == 2 and "--yes" in proc.stderr
    said = " ".join(proc.stderr.replace("│", " ").split())  # click's box wraps the line
    assert "would delete source 'nzz': 2 revision(s)" in said and "pass --yes" in said, said
    proc = run("sources", "remove", "nzzz", "--yes", db=db, check=False)
    assert proc.returncode == 1 and "did you mean: deepstate, nzz" in proc.stderr
    assert len(json.loads(run("snapshots", "--json", db=db).stdout)) == 4

    done = json.loads(run("sources", "remove", "nzz", "--yes", "--json", db=db).stdout)
    assert done == {"removed": "nzz", "revisions": 2}
    proc = run("snapshots", "delete", "--id", str(ids["deepstate"][1]), db=db, check=False)
    assert proc.returncode == 2
    done = json.loads(run("snapshots", "delete", "--id", str(ids["deepstate"][1]), "--yes",
                          "--json", db=db).stdout)
    assert done["deleted"]["id"] == ids["deepstate"][1]
    proc = run("snapshots", "delete", "--id", str(ids["deepstate"][1]), "--yes", db=db,
               check=False)
    assert proc.returncode == 1 and f"no snapshot with id {ids['deepstate'][1]}" in proc.stderr
    left = json.loads(run("snapshots", "--json", db=db).stdout)
    assert [r["id"] for r in left] == ids["deepstate"][:1]
    with open_store(db) as store:
        assert stats_rows(store, ids["nzz"] + ids["deepstate"][1:]) == 0
        assert lookup.default_source(store) == "deepstate"


# --- the API ------------------------------------------------------------------------------
def test_api_sources_and_consistency_after_removal(tmp_path):
    from frontwatch.api.app import create_app

    db = tmp_path / "api.sqlite"
    with open_store(db) as store:
        fill(store, tmp_path)
    client = TestClient(create_app(Settings(database_url=str(db), source="nzz")))
    r = client.get("/v1/sources")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    doc = r.json()
    assert doc["count"] == 2
    assert {s["source"]: s["default"] for s in doc["sources"]} == {"deepstate": False,
                                                                   "nzz": True}
    assert {s["source"]: s["occupied"] for s in doc["sources"]} == {"deepstate": "all",
                                                                    "nzz": "since-2022"}
    latest = client.get("/v1/snapshots/latest", params={"source": "nzz"})
    url = latest.headers["content-location"]
    assert client.get(url).status_code == 200

    with open_store(db) as store:  # another process removes the source
        store.delete_source("nzz")
    client.app.fast_path.invalidate()  # (it would re-read the data version within 0.1 s)
    doc = client.get("/v1/sources").json()
    # FRONTWATCH_SOURCE names a source no longer stored: listed, but none answers by default.
    assert [(s["source"], s["default"]) for s in doc["sources"]] == [("deepstate", False)]
    gone = client.get(url)
    assert gone.status_code == 404 and gone.headers["content-type"] == \
        "application/problem+json"
    r = client.get("/v1/snapshots/latest", params={"source": "nzz"})
    assert r.status_code == 404 and "deepstate" in r.json()["detail"]
    # Re-imported, the map gets a new id: the old immutable URL never shows other content.
    with open_store(db) as store:
        import_paths(store, [tmp_path / "b.json"], ImportOptions())
    client.app.fast_path.invalidate()
    assert client.get(url).status_code == 404
    assert orjson.loads(client.get("/v1/snapshots/latest", params={"source": "nzz"}).content
                        )["attribution"] == attribution("nzz")


def test_an_empty_store_says_so(tmp_path):
    """Issue 9's trial: /v1/snapshots on an empty store answered `"attribution": {}` with no
    word why; both catalogues now say the store holds no snapshots yet, as the data routes'
    404 does."""
    from frontwatch.api.app import create_app

    db = tmp_path / "empty.sqlite"
    open_store(db).close()
    client = TestClient(create_app(Settings(database_url=str(db), render_processes=0)))
    snaps = client.get("/v1/snapshots").json()
    assert snaps["count"] == 0 and snaps["note"] == lookup.NO_SNAPSHOTS
    assert client.get("/v1/sources").json()["note"] == lookup.NO_SNAPSHOTS
    missing = client.get("/v1/snapshots/latest")
    assert missing.status_code == 404 and lookup.NO_SNAPSHOTS in missing.json()["detail"]
