"""Every header of our own a route sends (X-…) is one a browser may read (CORS
`Access-Control-Expose-Headers`, api.app.EXPOSED) and one /openapi.json describes on that
route's 200 answer: both follow api.headers.OWN. The sweep asks every GET route of the app
on the real data, and the range routes with a range reaching past the data at both ends."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from frontwatch.settings import Settings
from tests.test_api_ogc import PATH_VALUES, get_routes

ORIGIN = "https://newsroom.example"
STANDARD = {"x-frame-options", "x-content-type-options"}  # security policy, not data
WIDE = {"from": "2022-01-01", "to": "2025-12-31"}  # before the first snapshot, after the newest
EXTRA = [  # (route, query) whose answers send what the bare sweep may not provoke
    ("/v1/areas", {"region": "donbas", **WIDE}),
    ("/v1/changelog", {"region": "donbas", **WIDE}),
    ("/v1/frontline/series", {**WIDE, "step": "30"}),
    ("/v1/places/changes", {"region": "donetsk-oblast", **WIDE}),
    ("/v1/places/{slug}/timeline", WIDE),
    ("/v1/snapshots/{day}", {"region": "donetsk-oblast"}),
    ("/v1/frontline", {"date": "2025-06-30"}),
    ("/charts/areas.{fmt}", {"region": "donbas", **WIDE}),
    ("/collections/{collection_id}/items", {"limit": "1"}),
    ("/v1/diff", {"region": "donetsk-oblast", "from": "2025-06-01", "to": "2025-06-30"}),
]
EXTRA_ASKED = [(p, {k: v for k, v in q.items() if k != "collection_id"}) for p, q in EXTRA]


@pytest.fixture(scope="module")
def client(real_db):
    from frontwatch.api.app import create_app

    return TestClient(create_app(Settings(database_url=str(real_db), source="deepstate")))


def _url(path: str) -> str:
    for name, value in PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    return path


def test_every_own_header_a_route_sends_is_exposed_and_documented(client):
    from frontwatch.api.app import EXPOSED

    doc = client.get("/openapi.json").json()
    routes = [(path, {}) for path, r in get_routes(client.app.routes)
              if "GET" in (getattr(r, "methods", None) or ()) and path in doc["paths"]]
    routes += [(p, {**q, "collection_id": "control"} if "collection" in p else q)
               for p, q in EXTRA]
    assert len(routes) > 30
    seen: set[str] = set()
    for path, query in routes:
        url = _url(path.replace("{collection_id}", query.get("collection_id", "{collection_id}")))
        query = {k: v for k, v in query.items() if k != "collection_id"}
        if path.startswith("/maps/"):
            query = {"region": "donetsk-oblast", **query}
        r = client.get(url, params=query, headers={"Origin": ORIGIN})
        if r.status_code >= 400:  # a route needing parameters the bare sweep lacks
            assert (path, query) not in EXTRA_ASKED, (url, r.text[:300])
            continue
        exposed = {h.strip().lower() for h in
                   r.headers.get("access-control-expose-headers", "").split(",")}
        documented = {h.lower() for h in
                      doc["paths"][path]["get"]["responses"]["200"].get("headers", {})}
        own = {h for h in r.headers if h.startswith("x-")} - STANDARD
        seen |= own
        assert own <= {h.lower() for h in EXPOSED}, (url, own)
        assert own <= exposed, (url, own - exposed)
        assert own <= documented, (url, own - documented)
    # the sweep provoked what it checks (else it could not fail)
    assert {"x-snapshot-age-days", "x-data-through", "x-range-clamped",
            "x-data-attribution"} <= seen, seen
