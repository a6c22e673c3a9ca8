"""Every geometry-producing endpoint, served in-process on the real data, passes an
independent GeoJSON validator (geojson-validator: structure, ring orientation, closure,
self-intersections) and shapely's OGC validity, on the exact bytes served, and writes no
coordinate with more than 6 decimals. The requests are the ones the issue found broken
(the June 2025 and Jan–Jun 2025 diffs of Donetsk Oblast) and one of every other kind."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from frontwatch.settings import Settings
from tests.geojson_checks import geometry_problems

GEOJSON_URLS = [
    ("/v1/snapshots/2025-06-30", {}),
    ("/v1/snapshots/2025-03-01", {"source": "deepstate-archive"}),
    ("/v1/snapshots/2025-06-30", {"region": "donetsk-oblast"}),
    ("/v1/snapshots/2025-06-30", {"region": "donbas", "simplify": "200"}),
    ("/v1/diff", {"from": "2025-06-01", "to": "2025-06-30", "region": "donetsk-oblast"}),
    ("/v1/diff", {"from": "2025-01-06", "to": "2025-06-30", "region": "donetsk-oblast"}),
    ("/v1/diff", {"from": "2025-01-01", "to": "2025-06-30", "region": "donetsk-oblast",
                  "source": "deepstate-archive"}),
    ("/v1/diff", {"from": "2025-05-01", "to": "2025-06-30"}),
    ("/v1/frontline", {"date": "2025-06-01"}),
    ("/collections/control/items", {"limit": "1000"}),
    ("/collections/regions/items", {"limit": "1000"}),
    ("/collections/places/items", {"limit": "1000"}),
    ("/collections/frontline/items", {}),
]


@pytest.fixture(scope="module")
def client(real_db):
    from frontwatch.api.app import create_app

    return TestClient(create_app(Settings(database_url=str(real_db), source="deepstate")))


@pytest.mark.parametrize(("url", "query"), GEOJSON_URLS)
def test_geojson_endpoint_is_valid(client, url, query):
    r = client.get(url, params=query)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["type"] == "FeatureCollection" and doc["features"]
    problems = geometry_problems(r.content)
    assert not problems, "\n".join(problems[:5])


def test_revision_and_single_items_are_valid(client):
    listing = client.get("/v1/snapshots", params={"source": "deepstate",
                                                  "from": "2025-06-01"}).json()
    r = client.get(listing["snapshots"][0]["url"])
    assert r.status_code == 200, r.text
    assert not (p := geometry_problems(r.content)), p[:5]
    items = client.get("/collections/control/items", params={"limit": "3"}).json()
    for f in items["features"]:
        one = client.get(f"/collections/control/items/{f['id']}")
        assert one.status_code == 200, one.text
        assert not (p := geometry_problems(one.content)), p[:5]


def test_the_checker_catches_what_it_is_for():
    """The validator used above rejects the faults it guards against (so a pass means
    something): a clockwise shell, a self-intersecting ring, 17-digit coordinates."""
    clockwise = b'{"type":"Polygon","coordinates":[[[0,0],[0,1],[1,1],[0,0]]]}'
    bowtie = b'{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}'
    noisy = (b'{"type":"Polygon","coordinates":[[[30,48],[31,48],[31,48.418017999999996],'
             b'[30,48]]]}')
    for body in (clockwise, bowtie, noisy):
        assert geometry_problems(body), body
    assert not geometry_problems(b'{"type":"Polygon","coordinates":[[[30,48],[31,48],'
                                 b'[31,48.418018],[30,48]]]}')
