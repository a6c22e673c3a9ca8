"""A range a route needs whole (`/v1/diff`, `/v1/compare/lag`): an end given empty is a 400
naming it. FastAPI lets `to=` through as "given", and the shared range parser reads an
empty end as open, which these routes cannot use: it was a 500 (breaker trial)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from frontwatch.settings import Settings


@pytest.fixture(scope="module")
def client(demo_db):
    from frontwatch.api.app import create_app
    app = create_app(Settings(database_url=str(demo_db), source="demo", assets="local"))
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("route", ["/v1/diff?", "/v1/compare/lag?region=donetsk-oblast&"])
@pytest.mark.parametrize(("query", "named"), [
    ("from=2025-06-01&to=", "to"), ("from=&to=2025-06-30", "from"),
    ("from=%20&to=2025-06-30", "from"), ("from=&to=", "from")])
def test_an_empty_end_is_refused_naming_it(client, route, query, named):
    r = client.get(route + query)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"].startswith(f"{named}= is empty"), r.json()
    assert client.get("/healthz").status_code == 200
