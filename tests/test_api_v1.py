"""The /v1 snapshot, place and upload endpoints in-process on the real data: content, caching
(ETag, 304, precompressed encodings, canonical URLs), attribution, headers and errors."""

from __future__ import annotations

import gzip
import json
from datetime import date

import pytest
import shapely
from fastapi.testclient import TestClient

from frontwatch import geometry
from frontwatch.settings import Settings
from frontwatch.sources import attribution


@pytest.fixture(scope="module")
def client(real_db):
    from frontwatch.api.app import create_app

    return TestClient(create_app(Settings(database_url=str(real_db), source="deepstate")))


def problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status and body["detail"]
    return body


def test_snapshot_list_has_revisions_counts_and_canonical_urls(client, real_store):
    r = client.get("/v1/snapshots", params={"source": "deepstate", "from": "2025-06-01"})
    assert r.status_code == 200
    doc = r.json()
    stored = [s for s in real_store.snapshots("deepstate") if s.date >= date(2025, 6, 1)]
    assert doc["count"] == len(stored) == len(doc["snapshots"]) > 0
    first = doc["snapshots"][0]
    assert first["id"] == stored[0].id and first["counts"] == stored[0].counts
    assert first["url"] == f"/v1/snapshots/revisions/{stored[0].id}"
    assert first["revisions"] >= 1
    assert doc["attribution"] == {"deepstate": attribution("deepstate")}


def test_snapshot_on_date_is_the_resolved_revision(client, real_store):
    info = real_store.resolve("deepstate", date(2025, 6, 30))
    r = client.get("/v1/snapshots/2025-06-30")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geo+json"
    doc = r.json()
    assert doc["content_hash"] == info.content_hash
    assert doc["attribution"] == attribution("deepstate")
    assert r.headers["x-data-attribution"] == attribution("deepstate")
    assert "crs" not in doc
    n_zones = sum(info.counts.values())
    assert 0 < len(doc["features"]) <= n_zones
    canonical = f"/v1/snapshots/revisions/{info.id}"
    assert r.headers["content-location"] == canonical
    assert r.headers["link"] == f'<{canonical}>; rel="canonical"'
    assert r.headers["cache-control"] == "public, max-age=300"
    same = client.get(canonical)
    assert same.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert same.content == r.content and same.headers["etag"] == r.headers["etag"]


def test_latest_is_short_lived_and_points_to_its_revision(client, real_store):
    info = real_store.resolve("deepstate")
    r = client.get("/v1/snapshots/latest")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=60"
    assert r.headers["content-location"] == f"/v1/snapshots/revisions/{info.id}"


def test_geojson_follows_rfc7946(client):
    doc = client.get("/v1/snapshots/2025-06-30").json()
    for feature in doc["features"]:
        geom = shapely.geometry.shape(feature["geometry"])
        for poly in getattr(geom, "geoms", [geom]):
            assert poly.exterior.is_ccw  # right-hand rule: exterior counter-clockwise
            assert all(not ring.is_ccw for ring in poly.interiors)
        text = json.dumps(feature["geometry"]["coordinates"])
        decimals = [len(n.split(".")[1]) for n in text.replace("[", " ").replace("]", " ")
                    .replace(",", " ").split() if "." in n]
        assert max(decimals) <= 6
        x0, y0, x1, y1 = geom.bounds  # lon/lat order: Ukraine is lon 22–41, lat 44–53
        assert x0 > 20 and x1 < 42 and y0 > 43 and y1 < 54


def test_clip_status_and_simplify(client, real_store):
    region = real_store.region("donetsk-oblast")
    r = client.get("/v1/snapshots/2025-06-30",
                   params={"region": "Donetsk Oblast", "status": "occupied"})
    doc = r.json()
    assert doc["region"] == "donetsk-oblast"
    assert {f["properties"]["status"] for f in doc["features"]} == {"occupied"}
    clipped = shapely.union_all([shapely.geometry.shape(f["geometry"])
                                 for f in doc["features"]])
    assert clipped.difference(region.geometry.buffer(1e-5)).area < 1e-9
    km2 = sum(f["properties"]["area_km2"] for f in doc["features"])
    assert km2 == pytest.approx(geometry.geodesic_area_km2(clipped), rel=1e-3)
    assert 0.5 * region.area_km2 < km2 < region.area_km2  # most of the oblast is occupied
    assert r.headers["content-location"].endswith("?region=Donetsk+Oblast&status=occupied")
    simple = client.get("/v1/snapshots/2025-06-30",
                        params={"region": "donetsk-oblast", "status": "occupied",
                                "simplify": 500})
    assert len(simple.content) < len(r.content) / 2
    assert sum(f["properties"]["area_km2"] for f in simple.json()["features"]) == \
        pytest.approx(km2, rel=0.01)


def test_etag_304_and_precompressed_encodings(client):
    url = "/v1/snapshots/2025-06-30"
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    tag = plain.headers["etag"]
    assert tag.startswith('"') and not tag.startswith("W/")
    gz = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip" and "Accept-Encoding" in gz.headers["vary"]
    assert gz.headers["etag"] != tag and gz.content == plain.content  # httpx decodes it
    assert int(gz.headers["content-length"]) < len(plain.content) / 2
    try:
        import brotli  # noqa: F401
    except ImportError:
        pass
    else:
        br = client.get(url, headers={"Accept-Encoding": "br, gzip"})
        assert br.headers["content-encoding"] == "br" and br.content == plain.content
    for sent in (tag, gz.headers["etag"], f'"nope", {tag}'):
        again = client.get(url, headers={"If-None-Match": sent})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"]
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_responses_are_served_from_the_cache(client):
    cache = client.app.state.cache
    url = "/v1/snapshots/2025-06-15?status=contested"
    first = client.get(url)
    hits = cache.hits
    second = client.get(url)
    assert cache.hits == hits + 1 and second.content == first.content


def test_api_json_is_not_frameable_and_cors_is_get_only(client):
    r = client.get("/v1/snapshots/latest", headers={"Origin": "https://example.org"})
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert r.headers["access-control-allow-origin"] == "*"
    assert "ETag" in r.headers["access-control-expose-headers"]
    pre = client.options("/v1/snapshots", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 403  # writes are not offered cross-origin (api.cors)
    assert pre.headers["content-type"] == "application/problem+json"
    ok = client.options("/v1/snapshots", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "GET"})
    assert ok.status_code == 204


@pytest.mark.parametrize(("url", "status", "needle"), [
    ("/v1/snapshots/2025-13-01", 400, "date='2025-13-01'"),
    ("/v1/snapshots/yesterday", 400, "invalid date"),
    ("/v1/snapshots/2025-06-30?as_of=noon", 400, "as_of='noon'"),
    ("/v1/snapshots/2025-06-30?status=held", 400, "status='held'"),
    ("/v1/snapshots/2025-06-30?simplify=-5", 400, "simplify=-5"),
    ("/v1/snapshots/2025-06-30?simplify=abc", 400, "query parameter 'simplify'"),
    ("/v1/snapshots/2020-01-01", 404, "history starts"),
    ("/v1/snapshots/2025-06-30?source=deepstat", 404, "unknown source 'deepstat'"),
    ("/v1/snapshots?from=2025-06-02&to=2025-06-01", 400, "inverted"),
    ("/v1/snapshots/revisions/0", 400, "path parameter 'snapshot_id'"),
    ("/v1/snapshots/revisions/99999999", 404, "no snapshot with id"),
    ("/v1/nothing-here", 404, "no such resource"),
])
def test_bad_input_is_a_precise_problem(client, url, status, needle):
    assert needle in problem(client.get(url), status)["detail"]


def test_unknown_region_suggests(client):
    body = problem(client.get("/v1/snapshots/2025-06-30?region=donetsk-oblst"), 404)
    assert "donetsk-oblast" in body["suggestions"]


def test_places_list_filter_and_one(client, real_store):
    doc = client.get("/v1/places", params={"region": "donetsk-oblast"}).json()
    assert doc["count"] == len(doc["places"]) > 10
    # The oblast's own places, and a few GeoNames files under a neighbour inside its outline.
    assert sum(p["region"] != "donetsk-oblast" for p in doc["places"]) <= 3
    assert "GeoNames" in doc["attribution"]
    # Groups and raions keep their places (issue 8.7: `donbas` used to answer 0).
    luhansk = client.get("/v1/places", params={"region": "luhansk-oblast"}).json()["count"]
    donbas = client.get("/v1/places", params={"region": "donbas"}).json()
    assert doc["count"] < donbas["count"] <= doc["count"] + luhansk
    assert client.get("/v1/places", params={"region": "theatre"}).json()["count"] == \
        len(real_store.places()) > 5_000
    raion = client.get("/v1/places", params={"region": "kramatorskyi-raion"}).json()
    assert "kramatorsk" in {p["slug"] for p in raion["places"]} and \
        0 < raion["count"] < doc["count"]
    old = client.get("/v1/places", params={"date": "2015-01-01"}).json()["places"]
    assert "Artemivsk" in {p["name_en"] for p in old}
    body = problem(client.get("/v1/places/kramatorks"), 404)
    assert "kramatorsk" in body["suggestions"]
    problem(client.get("/v1/places?near_front_km=-1"), 400)


# --- upload -------------------------------------------------------------------------------
@pytest.fixture
def writable(tmp_path):
    from frontwatch.api.app import create_app

    url = str(tmp_path / "up.sqlite")
    return TestClient(create_app(Settings(database_url=url, api_token="s3cret",
                                          max_upload_mb=2)))


def raw_file(shared, stamp_min: int = 1751000000):
    return sorted(f for f in (shared / "deepstate-raw").iterdir()
                  if int(f.name[:10]) >= stamp_min)[0]


def test_upload_needs_token_and_writes_can_be_disabled(client, writable, shared):
    data = raw_file(shared).read_bytes()
    body = problem(client.post("/v1/snapshots", content=data), 403)
    assert "FRONTWATCH_API_TOKEN" in body["detail"]
    app = writable
    r = app.post("/v1/snapshots", content=data)
    problem(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")
    problem(app.post("/v1/snapshots", content=data,
                     headers={"Authorization": "Bearer wrong"}), 401)


def test_upload_token_is_checked_first_then_the_parameters(writable):
    """The token is the router's first dependency: a request without it is a 401 whatever
    else is wrong with it (no heavy slot taken, no body read); with it, an undeclared
    parameter is a 400 naming it, like every route's."""
    odd = {"filename": "1751000000.geojson", "colour": "red"}
    r = writable.post("/v1/snapshots", content=b"{not json", params=odd)
    assert "Authorization" in problem(r, 401)["detail"]
    body = problem(writable.post("/v1/snapshots", content=b"{not json", params=odd,
                                 headers={"Authorization": "Bearer s3cret"}), 400)
    assert "'colour'" in body["detail"] and "filename" in body["detail"]
    assert writable.get("/healthz").json()["heavy"]["admitted"] == 0
    assert writable.get("/v1/snapshots").json()["count"] == 0


def test_upload_raw_then_identical_then_multipart(writable, shared):
    app = writable
    path = raw_file(shared)
    auth = {"Authorization": "Bearer s3cret"}
    r = app.post("/v1/snapshots", params={"filename": path.name}, content=path.read_bytes(),
                 headers=auth)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["created"] is True and doc["snapshot"]["source"] == "deepstate"
    assert r.headers["location"] == f"/v1/snapshots/revisions/{doc['snapshot']['id']}"
    day = doc["snapshot"]["date"]
    shown = app.get(f"/v1/snapshots/{day}")
    assert shown.status_code == 200 and shown.json()["content_hash"] == \
        doc["snapshot"]["content_hash"]
    again = app.post("/v1/snapshots", files={"file": (path.name, path.read_bytes())},
                     headers=auth)
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["snapshot"]["id"] == doc["snapshot"]["id"]


def test_upload_rejects_bad_and_oversized_bodies_store_unchanged(writable, shared):
    app = writable
    auth = {"Authorization": "Bearer s3cret"}
    problem(app.post("/v1/snapshots", content=b"{not json", headers=auth,
                     params={"filename": "1751000000.geojson"}), 400)
    problem(app.post("/v1/snapshots", content=b"", headers=auth), 400)
    big = gzip.compress(b" " * 10) + b"x" * (3 * 2**20)
    body = problem(app.post("/v1/snapshots", content=big, headers=auth), 413)
    assert "2 MB" in body["detail"]
    problem(app.post("/v1/snapshots", content=b"{}", headers=auth,
                     params={"format": "nonsense"}), 400)
    assert app.get("/v1/snapshots").json()["count"] == 0


def test_upload_refuses_a_source_name_unfit_for_headers(writable):
    from tests.helpers import OCC, deepstate_fc, dumps, square

    auth = {"Authorization": "Bearer s3cret"}
    for bad in ("\x00evil", "a\r\nX-Evil: 1"):
        r = writable.post("/v1/snapshots", content=dumps(deepstate_fc((OCC, square()))),
                          params={"filename": "1719835200.geojson", "source": bad},
                          headers=auth)
        assert "source" in problem(r, 400)["detail"]
    assert writable.get("/v1/snapshots").json()["snapshots"] == []


def test_place_timeline_never_runs_past_the_data(client):
    """The newest deepstate snapshot is 2025-06-30: a timeline asked to today ends there and
    says so, and one wholly after the data is a 404, as for the other ranges."""
    r = client.get("/v1/places/kramatorsk/timeline", params={"from": "2025-01-01",
                                                            "to": "2026-11-29"})
    doc = r.json()
    assert r.status_code == 200 and doc["to"] == "2025-06-30" and doc["clamped"] is True
    assert doc["to_requested"] == "2026-11-29" and doc["data_through"].startswith("2025-06-30")
    assert all(p["end"] is None or p["end"] <= "2025-06-30" for p in doc["timeline"])
    problem(client.get("/v1/places/kramatorsk/timeline", params={"from": "2025-07-01"}), 404)
