"""OGC API extensions in-process on the real data: queryables and CQL2 `filter` (Part 3),
`crs`/`bbox-crs` (Part 2), `sortby`, `properties`, and their 400s naming the parameter."""

from __future__ import annotations

import json

import pytest
import shapely
from fastapi.testclient import TestClient
from pyproj import Transformer

from frontwatch.settings import Settings
from tests.test_api_v1 import problem

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"


@pytest.fixture(scope="module")
def client(real_db):
    from frontwatch.api.app import create_app

    return TestClient(create_app(Settings(database_url=str(real_db), source="deepstate")))


def everything(client, cid: str, **params) -> list[dict]:
    """Every matching feature, following the next links."""
    r = client.get(f"/collections/{cid}/items", params={"limit": 1000, **params})
    feats = []
    while True:
        assert r.status_code == 200, r.text
        doc = r.json()
        feats += doc["features"]
        nxt = next((x["href"] for x in doc["links"] if x["rel"] == "next"), None)
        if nxt is None:
            break
        r = client.get(nxt.removeprefix("http://testserver"))
    assert len(feats) == doc["numberMatched"]
    return feats


def test_conformance_and_collection_metadata(client):
    conf = client.get("/conformance").json()["conformsTo"]
    for cls in ("ogcapi-features-3/1.0/conf/filter", "ogcapi-features-3/1.0/conf/queryables",
                "ogcapi-features-3/1.0/conf/features-filter", "cql2/1.0/conf/cql2-text",
                "cql2/1.0/conf/cql2-json", "cql2/1.0/conf/basic-cql2",
                "ogcapi-features-2/1.0/conf/crs", "ogcapi-features-1/1.0/conf/html"):
        assert f"http://www.opengis.net/spec/{cls}" in conf
    control = client.get("/collections/control").json()
    assert control["storageCrs"] == CRS84
    assert control["crs"] == [CRS84, EPSG_4326, EPSG_3857]
    rel = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
    assert [x["href"] for x in control["links"] if x["rel"] == rel] == [
        "http://testserver/collections/control/queryables"]


@pytest.mark.parametrize("cid", ["control", "places", "regions", "frontline"])
def test_queryables_are_the_collections_properties(client, cid):
    r = client.get(f"/collections/{cid}/queryables")
    assert r.status_code == 200 and r.headers["content-type"] == "application/schema+json"
    schema = r.json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"http://testserver/collections/{cid}/queryables"
    names = set(schema["properties"]) - {"geometry"}
    feature = client.get(f"/collections/{cid}/items?limit=1").json()["features"][0]
    assert names == set(feature["properties"])  # every property, and nothing else
    assert schema["properties"]["geometry"]["format"] == "geometry-any"
    problem(client.get("/collections/nope/queryables"), 404)


def test_filter_text_and_json_agree_with_the_unfiltered_data(client):
    june = {"datetime": "2025-06-30"}
    full = everything(client, "control", **june)
    expected = sorted(f["id"] for f in full if f["properties"]["status"] == "occupied"
                      and f["properties"]["area_km2"] > 100)
    assert 0 < len(expected) < len(full)
    text = everything(client, "control", **june,
                      filter="status = 'occupied' AND area_km2 > 100")
    doc = {"op": "and", "args": [{"op": "=", "args": [{"property": "status"}, "occupied"]},
                                 {"op": ">", "args": [{"property": "area_km2"}, 100]}]}
    as_json = everything(client, "control", **june, filter=json.dumps(doc),
                         **{"filter-lang": "cql2-json"})
    assert sorted(f["id"] for f in text) == sorted(f["id"] for f in as_json) == expected


def test_paging_through_a_filter_counts_the_filtered_set(client):
    places = everything(client, "places")
    expected = {f["id"] for f in places if (f["properties"]["population"] or 0) > 20_000}
    url = "/collections/places/items?limit=10&filter=population%20%3E%2020000"
    seen, matched = [], set()
    while url:
        doc = client.get(url).json()
        matched.add(doc["numberMatched"])
        seen += [f["id"] for f in doc["features"]]
        url = next((x["href"] for x in doc["links"] if x["rel"] == "next"), "")
        url = url.removeprefix("http://testserver")
    assert matched == {len(expected)} and len(expected) > 10
    assert len(seen) == len(set(seen)) and set(seen) == expected


def test_spatial_filter_and_filter_crs(client):
    box = (37.4, 48.5, 37.8, 48.9)
    by_bbox = {f["id"] for f in everything(client, "places", bbox=",".join(map(str, box)))}
    by_filter = {f["id"] for f in everything(
        client, "places", filter="S_INTERSECTS(geometry, BBOX(37.4, 48.5, 37.8, 48.9))")}
    lat_lon = {f["id"] for f in everything(
        client, "places", filter="S_INTERSECTS(geometry, BBOX(48.5, 37.4, 48.9, 37.8))",
        **{"filter-crs": EPSG_4326})}
    assert by_bbox == by_filter == lat_lon and "kramatorsk" in by_bbox


def test_sortby_and_properties(client):
    feats = everything(client, "places", sortby="-population,name_en",
                       properties="name_en,population")
    pops = [f["properties"]["population"] for f in feats]
    known = [p for p in pops if p is not None]
    assert known == sorted(known, reverse=True) and known
    assert pops[len(known):] == [None] * (len(pops) - len(known))  # nulls last
    assert all(set(f["properties"]) == {"name_en", "population"} for f in feats)
    up = everything(client, "places", sortby=" population")  # '+' arrives as a space
    ups = [f["properties"]["population"] for f in up if f["properties"]["population"]]
    assert ups == sorted(ups)
    one = client.get("/collections/places/items/kramatorsk?properties=name_uk").json()
    assert one["properties"] == {"name_uk": "Краматорськ"}


def test_crs_reprojects_and_says_so(client):
    plain = client.get("/collections/places/items/kramatorsk")
    assert plain.headers["content-crs"] == f"<{CRS84}>"
    lon, lat = plain.json()["geometry"]["coordinates"]
    r = client.get("/collections/places/items/kramatorsk", params={"crs": EPSG_4326})
    assert r.headers["content-crs"] == f"<{EPSG_4326}>"
    assert r.json()["geometry"]["coordinates"] == [lat, lon]  # authority order: lat/lon
    r = client.get("/collections/places/items", params={
        "crs": "EPSG:3857", "filter": "slug = 'kramatorsk'"})
    assert r.headers["content-crs"] == f"<{EPSG_3857}>"
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(lon, lat)
    assert r.json()["features"][0]["geometry"]["coordinates"] == pytest.approx([x, y],
                                                                                abs=0.01)
    zones = client.get("/collections/control/items", params={
        "crs": EPSG_3857, "limit": 20}).json()["features"]
    for f in zones:
        geom = shapely.geometry.shape(f["geometry"])
        assert shapely.is_valid(geom) and geom.bounds[0] > 2e6  # metres, not degrees


def test_bbox_crs(client):
    box = (37.4, 48.5, 37.8, 48.9)
    lon_lat = {f["id"] for f in everything(client, "places", bbox=",".join(map(str, box)))}
    lat_lon = {f["id"] for f in everything(client, "places", bbox="48.5,37.4,48.9,37.8",
                                           **{"bbox-crs": EPSG_4326})}
    tr = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    (x0, x1), (y0, y1) = tr.transform([box[0], box[2]], [box[1], box[3]])
    merc = {f["id"] for f in everything(client, "places", bbox=f"{x0},{y0},{x1},{y1}",
                                        **{"bbox-crs": "EPSG:3857"})}
    assert lon_lat == lat_lon == merc and lon_lat


@pytest.mark.parametrize(("params", "name"), [
    ({"filter": "status = "}, "filter"),
    ({"filter": "colour = 'red'"}, "filter"),
    ({"filter": "area_km2 > 'big'"}, "filter"),
    ({"filter": "status = 'ocupied'"}, "filter"),  # not one of the queryable's enum
    ({"filter": "{\"op\": 1}", "filter-lang": "cql2-json"}, "filter"),
    ({"filter": "status = 'occupied'", "filter-lang": "ecql"}, "filter-lang"),
    ({"filter-crs": "EPSG:2000"}, "filter-crs"),
    ({"crs": "EPSG:32637"}, "crs"),
    ({"bbox": "37,48,38,49", "bbox-crs": "EPSG:9999"}, "bbox-crs"),
    ({"bbox": "4000000,6000000,1,2", "bbox-crs": "EPSG:3857"}, "bbox"),
    ({"sortby": "-colour"}, "sortby"),
    ({"sortby": "geometry"}, "sortby"),
    ({"properties": "status,colour"}, "properties"),
    ({"f": "xml"}, "f"),
])
def test_errors_name_the_parameter(client, params, name):
    body = problem(client.get("/collections/control/items", params=params), 400)
    assert body["detail"].startswith((f"{name}=", f"{name}:", f"invalid {name} ")), body
