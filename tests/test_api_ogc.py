"""OGC API – Features in-process on the real data: landing links, conformance, collections,
items with limit/offset/next/prev, bbox and datetime (instants, intervals, open ends), single
features, and the errors."""

from __future__ import annotations

from datetime import date

import pytest
import shapely
from fastapi.testclient import TestClient

from frontwatch.settings import Settings
from tests.test_api_v1 import problem


@pytest.fixture(scope="module")
def client(real_db):
    from api.app import create_app

    return TestClient(create_app(Settings(database_url=str(real_db), source="deepstate")))


def rels(doc: dict) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in doc["links"]}


def test_landing_and_conformance(client):
    doc = client.get("/").json()
    links = rels(doc)
    assert links["service-desc"] == "http://testserver/openapi.json"
    assert {"self", "service-doc", "conformance", "data"} <= set(links)
    assert client.get("/openapi.json").json()["paths"]["/collections/{collection_id}/items"]
    conf = client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conf


def test_collections_describe_extents(client, real_store):
    doc = client.get("/collections").json()
    ids = [c["id"] for c in doc["collections"]]
    assert ids == ["control", "places", "regions", "frontline"]
    control = client.get("/collections/control").json()
    assert rels(control)["items"] == "http://testserver/collections/control/items"
    x0, y0, x1, y1 = control["extent"]["spatial"]["bbox"][0]
    assert 22 < x0 < 23 and 44 < y0 < 45 and 40 < x1 < 41 and 52 < y1 < 53  # lon/lat
    first, last = control["extent"]["temporal"]["interval"][0]
    infos = real_store.snapshots("deepstate")
    assert first.startswith(infos[0].date.isoformat()) and last.startswith(
        infos[-1].date.isoformat())


def test_items_page_through_with_next_links(client, real_store):
    info = real_store.resolve("deepstate", date(2025, 6, 30))
    url = "/collections/control/items?datetime=2025-06-30&limit=25"
    seen, pages = [], 0
    while url:
        r = client.get(url)
        assert r.headers["content-type"] == "application/geo+json"
        doc = r.json()
        assert doc["numberReturned"] == len(doc["features"]) <= 25
        assert doc["snapshot_id"] == info.id and "DeepStateMap" in doc["attribution"]
        assert doc["timeStamp"].endswith("Z")
        seen += [f["id"] for f in doc["features"]]
        url = rels(doc).get("next", "").removeprefix("http://testserver")
        if pages:
            assert "prev" in rels(doc)
        pages += 1
    assert len(seen) == len(set(seen)) == doc["numberMatched"] > 25
    assert pages == -(-doc["numberMatched"] // 25)
    assert client.get("/collections/control/items?limit=100000").json()["numberReturned"] \
        <= 1000  # clamped to the maximum, not an error


def test_datetime_instants_and_intervals_select_the_state(client, real_store):
    def snapshot_of(dt: str) -> int:
        r = client.get("/collections/control/items", params={"datetime": dt, "limit": 1})
        assert r.status_code == 200, r.text
        return r.json()["snapshot_id"]

    june = real_store.resolve("deepstate", date(2025, 6, 1)).id
    latest = real_store.resolve("deepstate").id
    assert snapshot_of("2025-06-01") == june
    assert snapshot_of("2025-06-01T23:59:59Z") == june
    assert snapshot_of("2025-05-01/2025-06-01") == june
    assert snapshot_of("../2025-06-01") == june
    assert snapshot_of("2025-05-01/..") == latest


def test_bbox_keeps_intersecting_features(client):
    everything = client.get("/collections/places/items?limit=1000").json()
    box = (37.4, 48.5, 37.8, 48.9)  # around Kramatorsk and Sloviansk
    some = client.get("/collections/places/items",
                      params={"bbox": ",".join(map(str, box)), "limit": 1000}).json()
    assert 0 < some["numberMatched"] < everything["numberMatched"]
    for f in some["features"]:
        x, y = f["geometry"]["coordinates"]
        assert box[0] <= x <= box[2] and box[1] <= y <= box[3]
    assert "kramatorsk" in {f["id"] for f in some["features"]}
    control = client.get("/collections/control/items",
                         params={"bbox": ",".join(map(str, box)), "limit": 1000}).json()
    for f in control["features"]:
        assert shapely.geometry.shape(f["geometry"]).intersects(shapely.box(*box))


def test_single_features(client):
    doc = client.get("/collections/control/items?limit=1").json()
    fid = doc["features"][0]["id"]
    one = client.get(f"/collections/control/items/{fid}")
    assert one.headers["content-type"] == "application/geo+json"
    feature = one.json()
    assert feature["type"] == "Feature" and feature["id"] == fid
    assert feature["geometry"] == doc["features"][0]["geometry"]
    assert "attribution" in feature and rels(feature)["collection"]
    place = client.get("/collections/places/items/kramatorsk").json()
    assert place["geometry"]["type"] == "Point" and place["properties"]["name_en"] == \
        "Kramatorsk"
    region = client.get("/collections/regions/items/donetsk-oblast").json()
    assert region["properties"]["level"] == "oblast"
    assert "OpenStreetMap" in region["attribution"]


@pytest.mark.parametrize(("url", "status", "needle"), [
    ("/collections/nope", 404, "unknown collection 'nope'"),
    ("/collections/control/items?bbox=38,49,37,48", 400, "minimum greater than maximum"),
    ("/collections/control/items?bbox=1,2,3", 400, "expected 4 numbers"),
    ("/collections/control/items?bbox=0,0,200,10", 400, "outside WGS84"),
    ("/collections/control/items?datetime=2025-06-30/2025-06-01", 400, "inverted"),
    ("/collections/control/items?datetime=yesterday", 400, "datetime='yesterday'"),
    ("/collections/control/items?datetime=2019-01-01", 404, "history starts"),
    ("/collections/control/items?limit=0", 400, "query parameter 'limit'"),
    ("/collections/control/items?offset=-1", 400, "query parameter 'offset'"),
    ("/collections/control/items/abc", 404, "<snapshot id>-<n>"),
    ("/collections/control/items/1-99999", 404, "no feature '1-99999'"),
    ("/collections/places/items/nowhere", 404, "no feature 'nowhere'"),
])
def test_bad_requests_are_problems(client, url, status, needle):
    assert needle in problem(client.get(url), status)["detail"]
