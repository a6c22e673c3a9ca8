"""The cross-origin policy (api.cors): reads are public, writes are not cross-origin. Every
route of the app × a preflight for every method: GET/HEAD get a 204 that allows them from any
origin, anything else a 403 problem+json saying what was asked and what is offered (it was
Starlette's text/plain 400 "Disallowed CORS method"); a bare OPTIONS is a 405 problem+json."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.middleware.cors import ALL_METHODS

from frontwatch.api.app import create_app
from frontwatch.settings import Settings
from tests.test_api_ogc import PATH_VALUES, get_routes
from tests.test_api_v1 import problem

ORIGIN = "https://newsroom.example"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    db = tmp_path_factory.mktemp("cors") / "empty.sqlite"
    return TestClient(create_app(Settings(database_url=str(db), warm=False)))


def _urls(app) -> list[str]:
    urls = []
    for path, _ in get_routes(app.routes):
        for name, value in PATH_VALUES.items():
            path = path.replace("{" + name + "}", value)
        urls.append(path)
    return urls


def _preflight(client, url: str, method: str, headers: str | None = None):
    asked = {"Origin": ORIGIN, "Access-Control-Request-Method": method}
    if headers:
        asked["Access-Control-Request-Headers"] = headers
    return client.options(url, headers=asked)


def test_every_route_answers_every_preflight_by_the_policy(client):
    urls = _urls(client.app)
    assert len(urls) > 30 and "/v1/snapshots" in urls
    for url in urls:
        for method in ALL_METHODS:
            r = _preflight(client, url, method)
            if method in ("GET", "HEAD"):
                assert r.status_code == 204 and r.content == b"", (url, method)
                assert r.headers["access-control-allow-origin"] == "*"
                assert r.headers["access-control-allow-methods"] == "GET, HEAD"
                continue
            body = problem(r, 403)
            assert body["code"] == "cors-refused", (url, method)
            assert f"'Access-Control-Request-Method': '{method}' is not allowed" in \
                body["detail"], (url, method)
            assert "may only read" in body["detail"]


def test_a_cross_origin_upload_is_refused_with_the_reason(client):
    body = problem(_preflight(client, "/v1/snapshots", "POST", "Authorization"), 403)
    assert "a write needs the token" in body["detail"]
    assert "GET, HEAD" in body["detail"]


def test_request_headers_a_reader_sends_are_allowed_others_are_named(client):
    ok = _preflight(client, "/v1/snapshots/latest", "GET", "If-None-Match, Accept-Encoding")
    assert ok.status_code == 204
    assert "If-None-Match" in ok.headers["access-control-allow-headers"]
    body = problem(_preflight(client, "/v1/snapshots/latest", "GET",
                               "if-none-match, Authorization, X-Secret"), 403)
    assert "'Authorization, X-Secret' are not allowed cross-origin" in body["detail"]
    for empty in (",,,", " , ", ""):  # a list's empty elements are ignored, not refused
        assert _preflight(client, "/v1/sources", "GET", empty).status_code == 204, empty
    assert _preflight(client, "/v1/sources", "GET", ",If-None-Match,").status_code == 204
    private = client.options("/v1/sources", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Private-Network": "true"})
    assert "private network" in problem(private, 403)["detail"]


def test_a_huge_requested_method_is_not_echoed_whole(client):
    body = problem(_preflight(client, "/v1/sources", "X" * 5000), 403)
    assert "5,000 characters" in body["detail"] and len(body["detail"]) < 600


def test_options_without_a_preflight_is_a_405problem(client):
    r = client.options("/v1/snapshots", headers={"Origin": ORIGIN})
    body = problem(r, 405)
    assert body["code"] == "method-not-allowed"
    assert r.headers["allow"] == "GET, HEAD, POST"  # every route's on the path, not the first's
    assert body["detail"] == ("method 'OPTIONS' is not allowed on '/v1/snapshots'; allowed: "
                              "GET, HEAD, POST")
    assert client.delete("/v1/sources").headers["allow"] == "GET, HEAD"
    assert client.put("/maps/2025-06-30.png").headers["allow"] == "GET, HEAD"


def test_every_route_answers_options_head_and_an_odd_method_properly(client):
    """Every route, asked OPTIONS without an Origin, HEAD, and a method it does not take
    (PROPFIND, FOO: a method the wire layer lets through reaches the app): never a 5xx; an
    error is problem+json, and a 405 carries `Allow` naming what the path takes (a method
    httptools does not know is the wire's 501: tests/test_wire_limits.py)."""
    urls = _urls(client.app)
    assert len(urls) > 25
    for url in urls:
        for method in ("OPTIONS", "HEAD", "PROPFIND", "FOO"):
            r = client.request(method, url)
            assert r.status_code < 500, (method, url, r.text[:200])
            if r.status_code >= 400 and method != "HEAD":
                assert r.headers["content-type"] == "application/problem+json", (method, url)
            if r.status_code == 405:
                assert r.headers["allow"] and method not in r.headers["allow"], (method, url)
                assert f"allowed: {r.headers['allow']}" in r.json()["detail"]
