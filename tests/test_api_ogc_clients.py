"""Real OGC API clients against a real `frontwatch serve`: OWSLib (queryables, items with a
CQL2 filter in text and JSON, sortby) and GDAL's OAPIF driver (pyogrio's bundled GDAL)
asking for Web Mercator through `crs`, with an attribute filter."""

from __future__ import annotations

import json

import httpx
import pytest
from pyproj import Transformer

from tests.test_api_server import server  # noqa: F401  (the module's real server)


def test_owslib_queryables_and_filter(server):  # noqa: F811
    features = pytest.importorskip("owslib.ogcapi.features")
    api = features.Features(f"{server}/")
    conf = api.conformance()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter" in conf
    queryables = api.collection_queryables("control")
    assert {"status", "kind", "valid_at", "area_km2"} <= set(queryables["properties"])
    assert queryables["properties"]["valid_at"]["format"] == "date-time"
    assert set(api.collection_queryables("places")["properties"]) >= {"population", "kind"}

    big = api.collection_items("places", filter="population > 100000 AND kind = 'city'",
                               sortby=("population", "desc"), limit=1000)
    pops = [f["properties"]["population"] for f in big["features"]]
    assert big["numberMatched"] == len(pops) > 10
    assert all(p > 100_000 for p in pops) and pops == sorted(pops, reverse=True)
    doc = {"op": "and", "args": [{"op": ">", "args": [{"property": "population"}, 100000]},
                                 {"op": "=", "args": [{"property": "kind"}, "city"]}]}
    same = api.collection_items("places", filter=json.dumps(doc), limit=1000,
                                **{"filter-lang": "cql2-json"})
    assert sorted(f["id"] for f in same["features"]) == sorted(f["id"] for f in
                                                              big["features"])
    occupied = api.collection_items("control", filter="status = 'occupied'",
                                    datetime_="2025-06-30", limit=1000)
    assert occupied["numberMatched"] > 0
    assert {f["properties"]["status"] for f in occupied["features"]} == {"occupied"}
    with pytest.raises(RuntimeError, match="unknown property 'colour'"):
        api.collection_items("places", filter="colour = 'red'")


def test_gdal_reads_in_web_mercator_with_a_filter(server):  # noqa: F811
    pyogrio = pytest.importorskip("pyogrio")
    expected = httpx.get(f"{server}/collections/places/items", params={
        "filter": "population > 100000", "limit": 1000}).json()
    lon_lat = {f["id"]: f["geometry"]["coordinates"] for f in expected["features"]}
    frame = pyogrio.read_dataframe(f"OAPIF:{server}/", layer="places",
                                   where="population > 100000", CRS="EPSG:3857")
    assert frame.crs.to_epsg() == 3857
    assert sorted(frame["id"]) == sorted(lon_lat) and len(frame) == expected["numberMatched"]
    to_merc = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    for slug, point in zip(frame["id"], frame.geometry):
        x, y = to_merc.transform(*lon_lat[slug])
        assert (point.x, point.y) == pytest.approx((x, y), abs=0.1)  # metres, not degrees


def test_gdal_spatial_filter_in_web_mercator_goes_as_bbox_crs(server):  # noqa: F811
    pyogrio = pytest.importorskip("pyogrio")
    box = (37.4, 48.5, 37.8, 48.9)  # around Kramatorsk and Sloviansk
    expected = httpx.get(f"{server}/collections/places/items", params={
        "bbox": ",".join(map(str, box)), "limit": 1000}).json()
    to_merc = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    (x0, x1), (y0, y1) = to_merc.transform([box[0], box[2]], [box[1], box[3]])
    # GDAL sends the box in the layer's CRS with bbox-crs (and crs) naming EPSG:3857
    frame = pyogrio.read_dataframe(f"OAPIF:{server}/", layer="places", CRS="EPSG:3857",
                                   bbox=(x0, y0, x1, y1))
    assert sorted(frame["id"]) == sorted(f["id"] for f in expected["features"])
    assert "kramatorsk" in set(frame["id"])
