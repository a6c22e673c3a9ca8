"""NZZ's front-line maps: detection by content, one revision per map date, nochange ∪ gains as
the occupied layer, losses kept out of it, the since-2022 kind, the credit, and — on the real
files — areas against pyproj.Geod computed straight from the files."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from datetime import UTC, date, datetime

import orjson
import pytest
import shapely
from fastapi.testclient import TestClient
from pyproj import Geod
from shapely.geometry import shape
from shapely.geometry.polygon import orient

from frontwatch import geometry, lookup
from frontwatch.errors import InputError
from frontwatch.ingest import ImportOptions, import_paths, nzz, parse_snapshots
from frontwatch.model import Status
from frontwatch.settings import Settings
from frontwatch.snapshots import snapshot_geojson
from frontwatch.sources import attribution
from frontwatch.store import open_store
from tests.conftest import need_shared
from tests.helpers import OCC, deepstate_fc, square, write

GEOD = Geod(ellps="WGS84")
# Around Donetsk city, held since 2014 (a synthetic square, not NZZ's shape).
DONETSK = [[37.7, 47.95], [37.9, 47.95], [37.9, 48.05], [37.7, 48.05], [37.7, 47.95]]


def nzz_doc(day: str, *features: tuple[str, list], extra: dict | None = None) -> dict:
    """A map in NZZ's shape: {"value": FeatureCollection} of (type, ring) features."""
    return {"value": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"date": day, "type": kind, "view": "daily",
                                           **(extra or {})},
         "geometry": {"type": "Polygon", "coordinates": [ring]}} for kind, ring in features]}}


def test_detect_by_content_only():
    assert nzz.detect(nzz_doc("2024-05-01", ("nochange", square())))
    assert nzz.detect(nzz_doc("2024-05-01", ("nochange", square()), ("gains", square(0.1)),
                              ("losses", square(0.3))))
    assert not nzz.detect(deepstate_fc((OCC, square())))
    assert not nzz.detect(nzz_doc("2024-05-01", ("nochange", square()), ("units", square())))
    assert not nzz.detect(nzz_doc("2024-05-01")["value"])  # a bare collection
    assert not nzz.detect({"value": {"type": "FeatureCollection", "features": []}})
    assert not nzz.detect({"value": [1, 2]}) and not nzz.detect([{"value": 1}])


def test_one_revision_per_map_date_not_file_name(store, tmp_path):
    day1 = nzz_doc("2024-05-01", ("nochange", square()), ("gains", square(0.05)),
                   ("losses", square(0.3)), extra={"_datefrom": "2024-04-28"})
    # Fetched on two days (file names), same map date and content: one revision.
    a = write(tmp_path / "2024-05-02.json.gz", day1, gz=True)
    b = write(tmp_path / "2024-05-03.json", day1)
    # Same map date, new content: a second revision of that date.
    c = write(tmp_path / "2024-05-04.json", nzz_doc("2024-05-01", ("nochange", square(0.02))))
    d = write(tmp_path / "2024-05-09.json", nzz_doc("2024-05-08", ("nochange", square(0.04))))
    report = import_paths(store, [a, b, c, d], ImportOptions())
    assert [(s.source, s.valid_at, s.revision) for s in report.added] == [
        ("nzz", datetime(2024, 5, 1, tzinfo=UTC), 1),
        ("nzz", datetime(2024, 5, 1, tzinfo=UTC), 2),
        ("nzz", datetime(2024, 5, 8, tzinfo=UTC), 1)]
    assert report.unchanged == [str(b)]
    again = import_paths(store, [a, b, c, d], ImportOptions())
    assert again.added == [] and len(again.unchanged) == 4

    first = report.added[0]
    zones = store.zones(first.id)
    held = [z for z in zones if z.status == Status.OCCUPIED]
    assert {(z.label, z.kind, z.since) for z in held} == {("nochange", "occupied", 2022),
                                                          ("gains", "occupied", 2022)}
    assert [(z.label, z.kind) for z in zones if z.status == Status.LIBERATED] == [
        ("losses", "liberated")]
    layer = store.layer(first.id, "occupied")
    union = shapely.union(shapely.Polygon(square()), shapely.Polygon(square(0.05)))
    assert geometry.area_km2(layer) == pytest.approx(geometry.area_km2(union), rel=1e-9)
    assert not layer.intersects(shapely.Polygon(square(0.3)))  # losses are not held
    assert store.layer(first.id, "contested").is_empty


def test_credit_and_kind_in_outputs(store, tmp_path):
    f = write(tmp_path / "x.json", nzz_doc("2023-06-01", ("nochange", DONETSK),
                                           ("gains", square())))
    info = import_paths(store, [f], ImportOptions()).added[0]
    kinds = {(z.kind, z.since) for z in store.zones(info.id)}
    assert kinds == {("occupied-ordlo", 2014)}  # the layer holds ground taken before 2022
    doc = orjson.loads(snapshot_geojson(store, info, None, None, None))
    assert doc["attribution"] == attribution("nzz") == nzz.ATTRIBUTION
    assert "NZZ" in doc["attribution"] and "since 24 Feb 2022" in doc["attribution"]
    assert {f["properties"]["kind"] for f in doc["features"]} == {"occupied-ordlo"}


@pytest.mark.parametrize(("doc", "reason"), [
    (nzz_doc("", ("nochange", square())), "feature 0 has no properties.date"),
    (nzz_doc("01.05.2024", ("nochange", square())), r"invalid properties.date \(a 10-"),
    (nzz_doc("2024-05-01", ("losses", square())), "has no nochange or gains features"),
])
def test_refused_with_the_reason(doc, reason):
    with pytest.raises(InputError, match=reason):
        parse_snapshots(orjson.dumps(doc), "map.json", ImportOptions())


def test_date_option_and_several_dates():
    doc = nzz_doc("2024-05-01", ("nochange", square()))
    with pytest.raises(InputError, match="carry their own date"):
        parse_snapshots(orjson.dumps(doc), "m.json",
                        ImportOptions(date=datetime(2024, 1, 1, tzinfo=UTC)))
    two = nzz_doc("2024-05-01", ("nochange", square()))
    two["value"]["features"] += nzz_doc("2024-05-08", ("nochange", square(0.1)))["value"][
        "features"]
    snaps = parse_snapshots(orjson.dumps(two), "m.json", ImportOptions())
    assert [s.valid_at.date() for s in snaps] == [date(2024, 5, 1), date(2024, 5, 8)]
    # Forced format, other source name.
    snaps = parse_snapshots(orjson.dumps(doc), "m.json", ImportOptions(format="nzz",
                                                                         source="nzz-copy"))
    assert snaps[0].source == "nzz-copy"


def test_nzz_answers_only_without_deepstate(store, tmp_path):
    f = write(tmp_path / "n.json", nzz_doc("2024-05-01", ("nochange", square())))
    import_paths(store, [f], ImportOptions())
    assert lookup.default_source(store) == "nzz"  # a store with only NZZ uses it
    ds = write(tmp_path / "1714521600.geojson", deepstate_fc((OCC, square())))
    import_paths(store, [ds], ImportOptions())
    assert lookup.default_source(store) == "deepstate"
    assert lookup.default_source(store, "nzz") == "nzz"


def test_upload_goes_through_the_same_detection(tmp_path):
    from frontwatch.api.app import create_app

    db = tmp_path / "up.sqlite"
    open_store(db).close()
    client = TestClient(create_app(Settings(database_url=str(db), api_token="secret")))
    body = orjson.dumps(nzz_doc("2024-05-01", ("nochange", square()), ("losses", square(0.3))))
    auth = {"Authorization": "Bearer secret"}
    r = client.post("/v1/snapshots", content=body, headers=auth,
                    params={"filename": "2024-05-03.json"})
    assert r.status_code == 201, r.text
    assert r.json()["snapshot"]["source"] == "nzz"
    assert r.json()["snapshot"]["valid_at"] == "2024-05-01T00:00:00Z"
    assert r.json()["attribution"] == attribution("nzz")
    r = client.get("/v1/snapshots/latest", params={"source": "nzz"})
    assert r.status_code == 200 and r.headers["x-data-attribution"] == attribution("nzz")
    r = client.post("/v1/snapshots", content=body, headers=auth)
    assert r.status_code == 200 and r.json()["created"] is False


# --- the real files -----------------------------------------------------------------------
def geod_km2(geom) -> float:
    """Geodesic area straight from pyproj, independent of frontwatch.geometry."""
    return sum(abs(GEOD.geometry_area_perimeter(orient(p, 1.0))[0])
               for p in geometry.polygons_of(geom)) / 1e6


def held_in_file(path) -> tuple[date, object]:
    """(map date, nochange ∪ gains) read directly from one NZZ file."""
    fc = json.loads(gzip.decompress(path.read_bytes()))["value"]
    feats = [f for f in fc["features"] if f["properties"]["type"] in ("nochange", "gains")]
    return (date.fromisoformat(feats[0]["properties"]["date"]),
            shapely.union_all([shape(f["geometry"]) for f in feats]))


def cli(*args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "frontwatch", *args, "--json"],
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def nzz_db(tmp_path_factory):
    """The oblasts and every NZZ file, imported with the CLI twice (the second adds nothing)."""
    data = need_shared()
    db = str(tmp_path_factory.mktemp("nzz") / "nzz.sqlite")
    cli("regions", "import", str(data / "boundaries" / "Ukraine.geojson.gz"), "--level",
        "oblast", "--db", db)
    files = sorted((data / "nzz").glob("*.json.gz"))
    first = cli("import", str(data / "nzz"), "--db", db)
    second = cli("import", str(data / "nzz"), "--db", db)
    return db, files, first, second


@pytest.mark.shared
def test_real_import_twice(nzz_db):
    _, files, first, second = nzz_db
    dates = {held_in_file(f)[0] for f in files}
    assert len(first["added"]) == len(dates) == 212  # one revision per map date
    assert {a["source"] for a in first["added"]} == {"nzz"}
    assert len(first["unchanged"]) == len(files) - len(dates)  # re-fetched identical maps
    assert second["added"] == [] and len(second["unchanged"]) == len(files)


@pytest.mark.shared
@pytest.mark.parametrize(("name", "km2"), [("2022-02-24", 30_621), ("2022-03-28", 125_589),
                                           ("2023-01-02", 83_348), ("2025-06-30", 70_614)])
def test_real_reference_figures(nzz_db, shared, name, km2):
    """The figures the data's README gives (whole layer, geodesic, by file)."""
    with open_store(nzz_db[0]) as store:
        info = store.resolve("nzz", date.fromisoformat(name))
        day, held = held_in_file(shared / "nzz" / f"{name}.json.gz")
        assert info.date == day
        layer = store.layer(info.id, "occupied")
        assert geometry.area_km2(layer) == pytest.approx(km2, abs=0.5)
        assert geod_km2(layer) == pytest.approx(geod_km2(held), rel=1e-7)


@pytest.mark.shared
@pytest.mark.parametrize("name", ["2022-02-24", "2023-01-02", "2024-03-11", "2024-03-18",
                                  "2025-06-30"])
def test_real_donetsk_oblast_against_geod(nzz_db, shared, name):
    from frontwatch import analytics

    with open_store(nzz_db[0]) as store:
        day, held = held_in_file(shared / "nzz" / f"{name}.json.gz")
        oblast = store.region("donetsk-oblast")
        expected = geod_km2(shapely.intersection(held, oblast.geometry))
        got = analytics.area(store, "donetsk-oblast", day, source="nzz")
        assert got["occupied_km2"] == pytest.approx(expected, rel=1e-6)
        assert got["contested_km2"] == 0.0 and got["attribution"] == attribution("nzz")
        kinds = {z.kind for z in store.zones(got["snapshot_id"], ["occupied"])}
        # NZZ's layer covered ORDLO until its map of 2024-03-15.
        assert kinds == ({"occupied-ordlo"} if day < date(2024, 3, 15) else {"occupied"})
