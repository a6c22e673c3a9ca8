"""The OGC API's HTML pages: `f=html` or a browser's Accept header gets HTML, every other
client JSON (the cache never mixes the two), pages escape what they show, and the items map
loads Leaflet from our own server."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from frontwatch.api import negotiate, ogc_html
from frontwatch.settings import Settings
from tests.test_api_v1 import problem

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PAGES = ["/", "/conformance", "/collections", "/collections/places",
         "/collections/places/queryables", "/collections/places/items?limit=5",
         "/collections/places/items/kramatorsk", "/collections/control/items?limit=3"]


@pytest.fixture(scope="module")
def client(real_db):
    from frontwatch.api.app import create_app

    return TestClient(create_app(Settings(database_url=str(real_db), source="deepstate",
                                          assets="local")))


@pytest.mark.parametrize(("accept", "html"), [
    (BROWSER, True), ("text/html", True), ("application/json", False), ("*/*", False),
    ("", False), ("application/geo+json, text/html;q=0.5", False),
    ("text/html;q=0.9, application/json;q=0.5", True), ("text/html;q=0", False),
])
def test_accept_negotiation(accept, html):
    assert negotiate.wants_html(accept) is html


@pytest.mark.parametrize("url", PAGES)
def test_every_resource_has_a_page(client, url):
    sep = "&" if "?" in url else "?"
    by_f = client.get(f"{url}{sep}f=html")
    by_accept = client.get(url, headers={"Accept": BROWSER})
    for r in (by_f, by_accept):
        assert r.status_code == 200 and r.headers["content-type"] == ogc_html.HTML
        assert r.text.startswith("<!doctype html>") and 'href="/' in r.text
        assert "Accept" in r.headers["vary"]
    title = re.compile(r"<title>.*</title>")
    assert title.search(by_f.text).group(0) == title.search(by_accept.text).group(0)
    plain = client.get(url)  # no Accept preference: JSON, even after the HTML was cached
    assert plain.headers["content-type"].startswith(("application/json",
                                                     "application/geo+json",
                                                     "application/schema+json"))
    forced = client.get(f"{url}{sep}f=json", headers={"Accept": BROWSER})
    assert not forced.headers["content-type"].startswith("text/html")


def test_items_page_shows_the_page_with_a_local_map(client):
    page = client.get("/collections/control/items?limit=3&datetime=2025-06-30",
                      headers={"Accept": BROWSER}).text
    assert '<script src="/assets/leaflet/dist/leaflet.js">' in page
    assert 'href="/assets/leaflet/dist/leaflet.css"' in page
    assert "cdn.jsdelivr" not in page and "unpkg" not in page
    assert "state of 2025-06-30" in page and "next page" in page
    ids = re.findall(r'<a href="http://testserver/collections/control/items/([^"]+)">', page)
    assert len(ids) == 3
    assert client.get(f"/collections/control/items/{ids[0]}", params={"f": "html"}) \
        .status_code == 200


def test_projected_items_have_a_table_but_no_map(client):
    page = client.get("/collections/places/items?limit=2&crs=EPSG:3857&f=html").text
    assert "No map" in page and "leaflet.js" not in page


def test_pages_escape_what_they_show():
    doc = {"type": "FeatureCollection", "numberMatched": 1, "numberReturned": 1, "links": [],
           "features": [{"type": "Feature", "id": "x", "geometry": None,
                         "properties": {"name": "<script>alert(1)</script>"}}],
           "attribution": "A & B"}
    page = ogc_html.render("items", doc, "http://h/collections/places/items", "cdn")
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "A &amp; B" in page
    feature = {"type": "Feature", "id": "x", "geometry": {"type": "Point",
                                                          "coordinates": [37, 48]},
               "properties": {"name": "</script><b>x</b>"}}
    page = ogc_html.render("item", feature, "http://h/collections/places/items/x", "cdn")
    assert "</script><b>" not in page  # the inlined GeoJSON cannot close its script


def test_unknown_format_is_a_400(client):
    body = problem(client.get("/collections?f=xml"), 400)
    assert body["detail"].startswith("f='xml'")
