"""A real `frontwatch serve` (uvicorn) process on a free loopback port: HTTP over the wire,
compression and conditional GET as clients see them, and GDAL's OGC API – Features driver
(`OAPIF:`, pyogrio's bundled GDAL) listing the collections and reading items: paged with its
default page size, by bbox and by date."""

from __future__ import annotations

import os

import httpx
import pytest

from tests.helpers import serving


@pytest.fixture(scope="module")
def server(real_db):
    env = {**os.environ, "FRONTWATCH_SOURCE": "deepstate"}
    env.pop("FRONTWATCH_API_TOKEN", None)
    with serving(["--db", str(real_db)], env) as (_, base):
        yield base


def test_snapshot_over_the_wire(server):
    with httpx.Client(base_url=server) as http:
        r = http.get("/v1/snapshots/2025-06-30", headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
        assert r.json()["type"] == "FeatureCollection"
        again = http.get("/v1/snapshots/2025-06-30", headers={
            "Accept-Encoding": "gzip", "If-None-Match": r.headers["etag"]})
        assert again.status_code == 304
        # the second answer came from the cache fast path: same headers as the route's
        assert again.headers["x-frame-options"] == "DENY"
        assert again.headers["content-location"] == r.headers["content-location"]
        bad = http.get("/v1/snapshots/2025-02-30")
        assert bad.status_code == 400
        assert bad.headers["content-type"] == "application/problem+json"
        up = http.post("/v1/snapshots", content=b"{}")
        assert up.status_code == 403  # no token configured: writes disabled


def test_every_read_endpoint_answers(server):
    urls = ["/", "/conformance", "/collections", "/collections/places/items?limit=5",
            "/v1/snapshots", "/v1/snapshots/latest", "/v1/places", "/v1/places/kramatorsk",
            "/v1/places/kramatorsk/timeline", "/v1/areas?region=donetsk-oblast",
            "/v1/diff?from=2025-06-01&to=2025-06-30", "/v1/frontline", "/openapi.json",
            "/docs", "/v1/changelog?region=donetsk-oblast&from=2025-06-01&to=2025-06-30",
            "/v1/frontline/series?from=2025-06-01&to=2025-06-30&step=14&format=csv"]
    with httpx.Client(base_url=server, timeout=60) as http:
        for url in urls:
            r = http.get(url)
            assert r.status_code == 200, (url, r.text[:300])


def test_each_header_is_sent_once(server):
    """Every layer that adds to Vary (the cached entry, OGC's Accept, Starlette's gzip and
    CORS) ends in one Vary naming each header once, on a miss and on a cached hit alike
    (`/v1/areas` sent `vary: Accept-Encoding, Accept-Encoding, Origin`)."""
    urls = ["/v1/areas?region=donetsk-oblast", "/collections", "/collections/control/items",
            "/v1/snapshots/2025-06-30?region=donbas", "/v1/sources", "/", "/conformance",
            "/v1/places", "/v1/frontline?date=2025-06-30", "/v1/nothing", "/healthz",
            "/v1/diff?from=2025-06-01&to=2025-06-30&format=csv"]
    asks = [{}, {"Accept-Encoding": "gzip"}, {"Accept-Encoding": "identity"},
            {"Origin": "https://newsroom.example"}, {"Accept": "text/html"}]
    with httpx.Client(base_url=server, timeout=120) as http:
        del http.headers["Accept-Encoding"]  # like curl: no Accept-Encoding unless asked
        for url in urls:
            for ask in asks:
                seen: dict[str, set] = {}
                for _ in range(2):  # a miss, then the cache's fast path
                    r = http.get(url, headers=ask)
                    names = [k.decode().lower() for k, _ in r.headers.raw]
                    assert len(names) == len(set(names)), (url, ask, r.headers.raw)
                    vary = [t.strip().lower() for t in r.headers.get("vary", "").split(",")]
                    assert len(vary) == len(set(vary)), (url, ask, r.headers["vary"])
                    seen.setdefault("vary", set()).add(frozenset(vary))
                assert len(seen["vary"]) == 1, (url, ask, seen)  # hit says what the miss said


def test_gdal_reads_the_ogc_api(server):
    pyogrio = pytest.importorskip("pyogrio")
    layers = {name for name, _ in pyogrio.list_layers(f"OAPIF:{server}/")}
    assert {"control", "places", "regions", "frontline"} <= layers
    control = pyogrio.read_dataframe(f"OAPIF:{server}/", layer="control", PAGE_SIZE=20)
    expected = httpx.get(f"{server}/collections/control/items?limit=1").json()
    assert len(control) == expected["numberMatched"] > 20  # followed the next links
    assert {"status", "kind", "area_km2", "valid_at"} <= set(control.columns)
    assert set(control["status"]) <= {"occupied", "contested", "liberated"}
    # WGS84 lon/lat: CRS84 first in the collection's `crs` list (Part 2), so GDAL names it
    assert control.crs.to_authority() in (("OGC", "CRS84"), ("EPSG", "4326"))
    x0, y0, x1, y1 = control.total_bounds
    assert x0 > 22 and x1 < 41 and y0 > 44 and y1 < 53  # lon/lat, not swapped


def test_gdal_pages_bboxes_and_dates(server):
    """GDAL's own choices: its default page size walks every place through the next links;
    a spatial filter goes out as bbox, the DATETIME open option (GDAL >= 3.10) as datetime,
    and a date before the history is an empty layer, not an error."""
    pyogrio = pytest.importorskip("pyogrio")
    url = f"OAPIF:{server}/"

    def matched(cid: str, **params) -> dict:
        return httpx.get(f"{server}/collections/{cid}/items", params={"limit": 1, **params},
                         timeout=60).json()

    places = pyogrio.read_dataframe(url, layer="places")
    assert len(places) == matched("places")["numberMatched"] > 1000  # several pages
    assert places["slug"].is_unique
    box = (37.4, 48.5, 37.8, 48.9)
    near = pyogrio.read_dataframe(url, layer="places", bbox=box)
    assert len(near) == matched("places", bbox=",".join(map(str, box)))["numberMatched"] > 0
    assert "kramatorsk" in set(near["slug"])
    gdal = tuple(int(v) for v in pyogrio.__gdal_version__[:2])
    if gdal < (3, 10):
        pytest.skip(f"GDAL {pyogrio.__gdal_version_string__} has no DATETIME open option")
    june = pyogrio.read_dataframe(url, layer="control", DATETIME="2025-06-01")
    want = matched("control", datetime="2025-06-01")
    assert len(june) == want["numberMatched"] > 0
    assert set(june["snapshot_id"]) == {want["snapshot_id"]}
    assert len(pyogrio.read_dataframe(url, layer="control", DATETIME="2019-01-01")) == 0


def test_head_over_the_wire(server):
    """HEAD through uvicorn: the GET's status and headers, no body, on a URL no GET has
    cached yet."""
    with httpx.Client(base_url=server, timeout=60) as http:
        for url in ("/collections/regions/items?limit=3", "/v1/places/kramatorsk",
                    "/collections/nope"):
            head = http.head(url)
            get = http.get(url)
            assert head.status_code == get.status_code != 405 and head.content == b""
            assert head.headers["content-type"] == get.headers["content-type"]
            assert head.headers["content-length"] == get.headers["content-length"]
