"""The analytics endpoints in-process on the real data: what the API returns is what
frontwatch.analytics computes, in the documented shapes, with attribution and errors."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import shapely
from fastapi.testclient import TestClient

from frontwatch import analytics
from frontwatch.settings import Settings
from tests.test_api_v1 import problem


@pytest.fixture(scope="module")
def client(real_db):
    from frontwatch.api.app import create_app

    return TestClient(create_app(Settings(database_url=str(real_db), source="deepstate")))


def test_areas_series_json_matches_analytics(client, real_store):
    r = client.get("/v1/areas", params={"region": "donetsk-oblast", "from": "2025-06-01",
                                        "to": "2025-06-30"})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["region"] == "donetsk-oblast" and "DeepStateMap" in doc["attribution"]
    assert len(doc["series"]) == 30
    by_day = {row["date"]: row for row in doc["series"]}
    assert all(len(day) == 10 for day in by_day), "days are plain YYYY-MM-DD"
    expected = analytics.area(real_store, "donetsk-oblast", date(2025, 6, 15), "deepstate")
    assert by_day["2025-06-15"]["occupied_km2"] == pytest.approx(expected["occupied_km2"],
                                                                 abs=0.005)  # 2 decimals
    assert 10_000 < expected["occupied_km2"] < real_store.region("donetsk-oblast").area_km2


def test_areas_csv_and_status_filter(client):
    r = client.get("/v1/areas", params={"region": "Donetsk Oblast", "status": "occupied",
                                        "format": "csv", "from": "2025-06-01",
                                        "to": "2025-06-07"})
    assert r.headers["content-type"].startswith("text/csv")
    assert "DeepStateMap" in r.headers["x-data-attribution"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 7
    assert "occupied_km2" in rows[0] and "contested_km2" not in rows[0]


def test_diff_geojson_with_summary(client, real_store):
    r = client.get("/v1/diff", params={"from": "2025-06-01", "to": "2025-06-30",
                                       "region": "donetsk-oblast"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    doc = r.json()
    expected = analytics.diff(real_store, "donetsk-oblast", date(2025, 6, 1),
                              date(2025, 6, 30), "deepstate")
    assert len(doc["features"]) == len(expected.features) > 0
    assert doc["summary"]["region"] == expected.summary["region"]
    assert "attribution" in doc and "places_changed" in doc
    changes = {f["properties"]["change"] for f in doc["features"]}
    assert changes <= set(analytics.CHANGES)


def test_frontline_line_and_length(client, real_store):
    doc = client.get("/v1/frontline", params={"date": "2025-06-01"}).json()
    line, km = analytics.frontline(real_store, date(2025, 6, 1), "deepstate")
    assert doc["length_km"] == pytest.approx(km, abs=0.005)  # written with 2 decimals
    geom = shapely.geometry.shape(doc["features"][0]["geometry"])
    assert geom.geom_type in ("LineString", "MultiLineString")
    assert geom.hausdorff_distance(line) < 1e-4
    assert "DeepStateMap" in doc["attribution"]


def test_place_status_timeline_and_near_front(client, real_store):
    one = client.get("/v1/places/kramatorsk", params={"date": "2025-06-30"}).json()
    assert one["status"] == analytics.place_status(real_store, "kramatorsk",
                                                   date(2025, 6, 30), "deepstate")
    assert one["distance_to_front_km"] == round(
        analytics.distance_to_front_km(real_store, "kramatorsk", date(2025, 6, 30),
                                       "deepstate"), 2)  # km carry 2 decimals
    timeline = client.get("/v1/places/pokrovsk/timeline").json()
    assert timeline["place"]["slug"] == "pokrovsk" and timeline["timeline"]
    assert timeline["timeline"][-1]["end"] is None
    near = client.get("/v1/places", params={"near_front_km": 10, "date": "2025-06-30"}).json()
    assert near["count"] == len(near["places"]) > 0
    assert all(p["distance_km"] <= 10 for p in near["places"])
    assert "DeepStateMap" in near["attribution"]


@pytest.mark.parametrize(("url", "status", "needle"), [
    ("/v1/areas?region=atlantis", 404, "unknown region 'atlantis'"),
    ("/v1/areas?from=2025-06-30&to=2025-06-01", 400, "inverted"),
    ("/v1/areas?status=held", 400, "status='held'"),
    ("/v1/areas?format=xml", 400, "query parameter 'format'"),
    ("/v1/diff?from=2025-06-01", 400, "query parameter 'to'"),
    ("/v1/diff?from=2025-06-30&to=2025-06-01", 400, "inverted"),
    ("/v1/frontline?date=2025-02-30", 400, "date='2025-02-30'"),
    ("/v1/places/nowhere-ville/timeline", 404, "unknown place"),
    ("/v1/changelog?region=atlantis", 404, "unknown region 'atlantis'"),
    ("/v1/changelog?from=2025-06-30&to=2025-06-01", 400, "inverted"),
    ("/v1/changelog?from=2025-06-31", 400, "from='2025-06-31'"),
    ("/v1/frontline/series?from=2025-06-30&to=2025-06-01", 400, "inverted"),
    ("/v1/frontline/series?step=0", 400, "query parameter 'step'"),
    ("/v1/frontline/series?from=2015-01-01&to=2025-06-30&step=99999", 400, "'step'"),
    ("/v1/frontline/series?from=2020-01-01&to=2020-12-31", 404, "history starts"),
])
def test_analysis_errors(client, url, status, needle):
    assert needle in problem(client.get(url), status)["detail"]


def test_changelog_adds_up_to_the_area_series(client, real_store):
    """A year of the daily archive: the per-day changes sum to the change of /v1/areas."""
    r = client.get("/v1/changelog", params={"region": "donetsk-oblast",
                                            "source": "deepstate-archive"})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["from"], doc["to"]) == ("2024-07-08", "2025-06-30")
    assert "DeepStateMap" in doc["attribution"] and "DeepStateMap" in r.headers[
        "x-data-attribution"]
    rows = doc["series"]
    assert len(rows) > 300 and doc["columns"][:2] == ["date", "snapshot_id"]
    a = analytics.area(real_store, "donetsk-oblast", date(2024, 7, 8), "deepstate-archive")
    b = analytics.area(real_store, "donetsk-oblast", date(2025, 6, 30), "deepstate-archive")
    net = sum(row["occupied_net_km2"] for row in rows)
    rounding = 0.005 * len(rows)  # each row is written with 2 decimals
    assert net == pytest.approx(b["occupied_km2"] - a["occupied_km2"], abs=0.1 + rounding)
    assert doc["totals"]["occupied_net_km2"] == pytest.approx(net, abs=rounding)
    assert net > 1000 and all(row["occupied_gained_km2"] >= 0 for row in rows)
    table = client.get("/v1/changelog", params={"region": "donetsk-oblast",
                                                "source": "deepstate-archive",
                                                "format": "csv"})
    assert table.headers["content-type"].startswith("text/csv")
    assert 'filename="changelog-donetsk-oblast.csv"' in table.headers["content-disposition"]
    parsed = list(csv.DictReader(io.StringIO(table.text)))
    assert len(parsed) == len(rows)
    assert sum(float(x["occupied_net_km2"]) for x in parsed) == pytest.approx(net, abs=1e-6)


def test_frontline_series_matches_single_dates(client, real_store):
    q = {"from": "2025-05-01", "to": "2025-06-30", "step": 20}
    doc = client.get("/v1/frontline/series", params=q).json()
    assert doc["step"] == 20 and doc["lines"] == 4 and "DeepStateMap" in doc["attribution"]
    days = [row["date"] for row in doc["series"]]
    assert days == ["2025-05-01", "2025-05-21", "2025-06-10", "2025-06-30"]
    for row, day in zip(doc["series"], days):
        _, km = analytics.frontline(real_store, date.fromisoformat(day), "deepstate")
        assert row["length_km"] == pytest.approx(km, abs=0.005)
    r = client.get("/v1/frontline/series", params={**q, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [float(x["length_km"]) for x in rows] == pytest.approx(
        [row["length_km"] for row in doc["series"]], abs=1e-5)


def test_frontline_series_refuses_too_many_lines(real_db, tmp_path, monkeypatch):
    import shutil

    from frontwatch.api.app import create_app
    from frontwatch.api.routes import analysis
    from frontwatch.store import open_store

    copy = tmp_path / "unmeasured.sqlite"  # a store whose lengths were never measured
    shutil.copy(real_db, copy)
    with open_store(copy) as s, s.transaction():
        s._execute("DELETE FROM frontline_lengths")
    monkeypatch.setattr(analysis, "MAX_FRONT_LINES", 2)
    client = TestClient(create_app(Settings(database_url=str(copy), source="deepstate")))
    r = client.get("/v1/frontline/series", params={"from": "2025-06-01", "to": "2025-06-03",
                                                   "step": 1})
    detail = problem(r, 400)["detail"]
    assert detail.startswith("step=1:") and "needs 3 front lines" in detail
