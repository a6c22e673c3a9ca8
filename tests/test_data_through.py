"""X-Data-Through and X-Data-Attribution on every GET route that shows control data (issue
11's rule: every dated answer says the newest data it holds; and whose data it is). Through
was missing on the OGC API items and single items, the map pages and images, charts, embeds,
the feed and revisions; the credit was then missing on map pages and images, charts, embeds
and oEmbed (issue 9's trial): both now come from one helper (api.routes.common.data_headers).
The routes are taken from the app itself: each is either listed here as showing no control
data (with why) or asked for with a sample URL, so a new route must be classified to pass."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from frontwatch.settings import Settings
from frontwatch.sources import attribution
from frontwatch.store.base import iso
from tests.test_api_ogc import get_routes

# Routes that show no control data: documents about the API, catalogues that list what is
# stored (their bodies give each source's span), the gazetteer and boundaries, assets.
NOT_DATA = {
    "/openapi.json": "the API's description", "/docs": "API docs",
    "/docs/oauth2-redirect": "API docs", "/redoc": "API docs",
    "/assets/docs/{name}": "docs assets", "/assets/{name:path}": "map assets",
    "/favicon.ico": "icon", "/": "OGC landing page", "/conformance": "OGC conformance",
    "/collections": "catalogue", "/collections/{collection_id}": "catalogue",
    "/collections/{collection_id}/queryables": "schema",
    "/v1/sources": "catalogue of sources (each one's first and last moment in the body)",
    "/v1/snapshots": "catalogue of revisions (each row names its own moment)",
    "/healthz": "liveness",
}
REGION = "donetsk-oblast"
PAIR = "sources=deepstate,deepstate-archive&layer=all"
# Each data route with the URLs that show data ("pair": two sources, data runs to the
# earlier of their newest snapshots; "own": a revision, whose data runs to its own moment).
DATA: dict[str, list[tuple[str, str]]] = {
    "/collections/{collection_id}/items": [
        ("/collections/control/items?limit=2", "one"),
        ("/collections/frontline/items", "one")],
    "/collections/{collection_id}/items/{feature_id}": [
        ("/collections/control/items/{newest}-0", "one"),
        ("/collections/frontline/items/2025-06-30", "one")],
    "/v1/snapshots/revisions/{snapshot_id}": [("/v1/snapshots/revisions/{newest}", "own")],
    "/v1/snapshots/{day}": [("/v1/snapshots/2025-06-30", "one")],
    "/v1/areas": [(f"/v1/areas?region={REGION}&from=2025-06-01", "one")],
    "/v1/diff": [("/v1/diff?from=2025-06-01&to=2025-06-30&region=bakhmutskyi-raion", "one")],
    "/v1/frontline": [("/v1/frontline", "one")],
    "/v1/changelog": [(f"/v1/changelog?region={REGION}&from=2025-06-01", "one")],
    "/v1/frontline/series": [("/v1/frontline/series?from=2025-06-01&step=10", "one")],
    "/v1/compare": [(f"/v1/compare?{PAIR}&region={REGION}&date=2025-06-01", "pair")],
    "/v1/compare/pieces": [(f"/v1/compare/pieces?{PAIR}&region={REGION}&date=2025-06-01",
                            "pair")],
    "/v1/compare/lag": [(f"/v1/compare/lag?{PAIR}&region={REGION}&from=2025-05-01&"
                         "to=2025-06-01", "pair")],
    "/v1/places": [("/v1/places?near_front_km=5&region=bakhmutskyi-raion", "one")],
    "/v1/places/changes": [("/v1/places/changes?from=2025-06-01", "one")],
    "/v1/places/{slug}": [("/v1/places/toretsk", "one")],
    "/v1/places/{slug}/timeline": [("/v1/places/toretsk/timeline", "one")],
    "/feeds/changes.atom": [("/feeds/changes.atom", "one")],
    "/maps/{day}.html": [("/maps/2025-06-30.html?place=Bakhmut", "one")],
    "/maps/{day}.png": [("/maps/2025-06-30.png?place=Bakhmut&width=400&height=300", "one")],
    "/maps/{day}.svg": [("/maps/2025-06-30.svg?place=Bakhmut&width=400&height=300", "one")],
    "/charts/areas.{fmt}": [(f"/charts/areas.png?region={REGION}&from=2025-06-01&width=400&"
                             "height=300", "one")],
    "/embed/{day}": [("/embed/2025-06-30?place=Bakhmut", "one")],
    "/oembed": [("/oembed?url=http://testserver/maps/2025-06-30.html?place=Bakhmut", "one")],
}


# The data routes that send no X-Snapshot-Age-Days (every other one says how old the snapshot
# it shows is on the date asked, or a table's newest on its `to`; see README "age"), and why.
NO_AGE = {
    "/v1/snapshots/revisions/{snapshot_id}": "immutable: its valid_at is its age's start",
    "/collections/{collection_id}/items": "OGC: X-Data-Through and the features' own dates",
    "/collections/{collection_id}/items/{feature_id}": "OGC: the feature's own dates",
    "/v1/compare/lag": "a table of first-shown dates per source, not a state",
}


@pytest.fixture(scope="module")
def client(real_db):
    from frontwatch.api.app import create_app

    return TestClient(create_app(Settings(database_url=str(real_db), source="deepstate",
                                          render_processes=0)))


def test_every_data_route_says_how_far_its_data_runs(client, rstore):
    gets = {path for path, r in get_routes(client.app.routes)
            if "GET" in (getattr(r, "methods", None) or ())}
    unclassified = gets - set(NOT_DATA) - set(DATA)
    assert not unclassified, f"classify these routes here: {sorted(unclassified)}"
    assert not (set(DATA) | set(NOT_DATA)) - gets, "routes listed here that the app lacks"
    newest = rstore.resolve("deepstate")
    through = {"one": iso(newest.valid_at), "own": iso(newest.valid_at),
               "pair": iso(min(newest.valid_at, rstore.resolve("deepstate-archive").valid_at))}
    credit = {"one": attribution("deepstate"), "own": attribution("deepstate"),
              "pair": f"{attribution('deepstate')}; {attribution('deepstate-archive')}"}
    assert not set(NO_AGE) - set(DATA)
    for route, urls in DATA.items():
        for url, which in urls:
            url = url.format(newest=newest.id)
            r = client.get(url)
            assert r.status_code == 200, (url, r.text[:300])
            assert r.headers.get("x-data-through") == through[which], url
            assert r.headers.get("x-data-attribution") == credit[which], url
            age = r.headers.get("x-snapshot-age-days")
            assert (age is None) == (route in NO_AGE), url
            assert age is None or (age.isdigit() and int(age) < 10**5), url


def test_a_revision_says_its_own_moment_and_places_carry_none(client, rstore):
    first = rstore.snapshots("deepstate")[0]
    r = client.get(f"/v1/snapshots/revisions/{first.id}")
    assert r.headers["x-data-through"] == iso(first.valid_at)  # immutable: never moves
    assert "immutable" in r.headers["cache-control"]
    for url in ("/collections/places/items?limit=1", "/collections/regions/items?limit=1"):
        headers = client.get(url).headers
        assert "x-data-through" not in headers, url  # no control data
        assert "Control data" not in headers.get("x-data-attribution", ""), url


# Every route that cuts a range to the data, asked for one reaching past it (the test store's
# newest day is 2025-06-30): README's clamping rule, one helper (api.routes.common.clamp_header).
CLAMPING = [
    f"/v1/areas?region={REGION}&from=2025-06-01&to=2025-07-31",
    f"/v1/changelog?region={REGION}&from=2025-06-01&to=2025-07-31",
    f"/v1/changelog?region={REGION}&from=2025-06-01&to=2025-07-31&format=csv",
    "/v1/frontline/series?from=2025-06-01&to=2025-07-31&step=10",
    "/v1/places/changes?from=2025-06-01&to=2025-07-31",
    f"/charts/areas.png?region={REGION}&from=2025-06-01&to=2025-07-31&width=400&height=300",
    f"/charts/areas.svg?region={REGION}&from=2021-01-01&to=2025-07-31&width=400&height=300",
    "/maps/2025-07-31.html?place=Bakhmut&from=2025-06-01&step=1m",
]


@pytest.mark.parametrize("url", CLAMPING)
def test_every_clamped_range_says_so(client, rstore, url):
    newest = rstore.resolve("deepstate")
    r = client.get(url)
    assert r.status_code == 200, (url, r.text[:300])
    said = f"to={newest.date}; requested=2025-07-31"
    if "from=2021-01-01" in url:  # before the first snapshot too: cut there, and said
        said += f"; from={rstore.snapshot_span('deepstate')[0].date()}; from_requested=2021-01-01"
    assert r.headers.get("x-range-clamped") == said, url
    assert r.headers.get("x-data-through") == iso(newest.valid_at), url
    # its newest revision's age on the end asked for, not on the end it was cut to
    assert r.headers.get("x-snapshot-age-days") == str((date(2025, 7, 31) - newest.date).days)
    inside = client.get(url.replace("2025-07-31", "2025-06-30").replace("2021-01-01", "2025-02-01"))
    assert inside.status_code == 200 and "x-range-clamped" not in inside.headers, url
