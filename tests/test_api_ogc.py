"""OGC API – Features in-process on the real data: landing links, conformance, collections,
items with limit/offset/next/prev, bbox and datetime (instants, intervals, open ends), single
features, paging pinned to a state while an import lands, HEAD on every GET route, unknown
parameters refused, and the errors."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime

import pytest
import shapely
from fastapi.testclient import TestClient

from frontwatch.settings import Settings
from tests.test_api_v1 import problem


@pytest.fixture(scope="module")
def client(real_db):
    from frontwatch.api.app import create_app

    return TestClient(create_app(Settings(database_url=str(real_db), source="deepstate")))


def rels(doc: dict) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in doc["links"]}


def test_landing_and_conformance(client):
    doc = client.get("/").json()
    links = rels(doc)
    assert links["service-desc"] == "http://testserver/openapi.json"
    assert {"self", "service-doc", "conformance", "data"} <= set(links)
    assert client.get("/openapi.json").json()["paths"]["/collections/{collection_id}/items"]
    conf = client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conf


def test_openapi_is_the_30_document_the_conformance_names(client):
    """The service-desc is an OpenAPI 3.0 document (conformance class oas30): valid as 3.0,
    `limit` with minimum/maximum/default, `bbox` an array sent comma-separated, and the
    400/404 problem responses declared."""
    landing = client.get("/").json()
    desc = next(link for link in landing["links"] if link["rel"] == "service-desc")
    assert desc["type"] == "application/vnd.oai.openapi+json;version=3.0"
    doc = client.get(desc["href"].removeprefix("http://testserver")).json()
    assert doc["openapi"].startswith("3.0.")
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30" in client.get(
        "/conformance").json()["conformsTo"]
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(doc)  # raises on anything 3.0 does not allow (anyOf null, examples…)
    op = doc["paths"]["/collections/{collection_id}/items"]["get"]
    by_name = {p["name"]: p for p in op["parameters"]}
    assert by_name["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000,
                                          "default": 100}
    bbox = by_name["bbox"]
    assert bbox["schema"]["type"] == "array" and bbox["schema"]["items"]["type"] == "number"
    assert bbox["style"] == "form" and bbox["explode"] is False
    for status in ("400", "404"):
        assert "application/problem+json" in op["responses"][status]["content"]
    assert "422" not in op["responses"]


def test_collections_describe_extents(client, real_store):
    doc = client.get("/collections").json()
    ids = [c["id"] for c in doc["collections"]]
    assert ids == ["control", "places", "regions", "frontline"]
    control = client.get("/collections/control").json()
    assert rels(control)["items"] == "http://testserver/collections/control/items"
    x0, y0, x1, y1 = control["extent"]["spatial"]["bbox"][0]
    assert 22 < x0 < x1 < 41 and 44 < y0 < y1 < 53  # lon/lat (exact: test_extents_...)
    first, last = control["extent"]["temporal"]["interval"][0]
    infos = real_store.snapshots("deepstate")
    assert first.startswith(infos[0].date.isoformat()) and last.startswith(
        infos[-1].date.isoformat())


def test_items_page_through_with_next_links(client, real_store):
    info = real_store.resolve("deepstate", date(2025, 6, 30))
    url = "/collections/control/items?datetime=2025-06-30&limit=25"
    seen, pages = [], 0
    while url:
        r = client.get(url)
        assert r.headers["content-type"] == "application/geo+json"
        doc = r.json()
        assert doc["numberReturned"] == len(doc["features"]) <= 25
        assert doc["snapshot_id"] == info.id and "DeepStateMap" in doc["attribution"]
        assert doc["timeStamp"].endswith("Z")
        seen += [f["id"] for f in doc["features"]]
        url = rels(doc).get("next", "").removeprefix("http://testserver")
        if pages:
            assert "prev" in rels(doc)
        pages += 1
    assert len(seen) == len(set(seen)) == doc["numberMatched"] > 25
    assert pages == -(-doc["numberMatched"] // 25)
    assert client.get("/collections/control/items?limit=100000").json()["numberReturned"] \
        <= 1000  # clamped to the maximum, not an error


def test_datetime_instants_and_intervals_select_the_state(client, real_store):
    def snapshot_of(dt: str) -> int:
        r = client.get("/collections/control/items", params={"datetime": dt, "limit": 1})
        assert r.status_code == 200, r.text
        return r.json()["snapshot_id"]

    june = real_store.resolve("deepstate", date(2025, 6, 1)).id
    latest = real_store.resolve("deepstate").id
    assert snapshot_of("2025-06-01") == june
    assert snapshot_of("2025-06-01T23:59:59Z") == june
    assert snapshot_of("2025-05-01/2025-06-01") == june
    assert snapshot_of("../2025-06-01") == june
    assert snapshot_of("2025-05-01/..") == latest


def test_bbox_keeps_intersecting_features(client, real_store):
    everything = client.get("/collections/places/items?limit=1000").json()
    box = (37.4, 48.5, 37.8, 48.9)  # around Kramatorsk and Sloviansk
    some = client.get("/collections/places/items",
                      params={"bbox": ",".join(map(str, box)), "limit": 1000}).json()
    assert 0 < some["numberMatched"] < everything["numberMatched"]
    for f in some["features"]:
        x, y = f["geometry"]["coordinates"]
        assert box[0] <= x <= box[2] and box[1] <= y <= box[3]
    assert "kramatorsk" in {f["id"] for f in some["features"]}
    control = client.get("/collections/control/items",
                         params={"bbox": ",".join(map(str, box)), "limit": 1000}).json()
    for f in control["features"]:
        assert shapely.geometry.shape(f["geometry"]).intersects(shapely.box(*box))
    zones = real_store.zones(control["snapshot_id"])
    assert control["numberMatched"] == sum(z.geometry.intersects(shapely.box(*box))
                                           for z in zones) > 0


def test_single_features(client):
    doc = client.get("/collections/control/items?limit=1").json()
    fid = doc["features"][0]["id"]
    one = client.get(f"/collections/control/items/{fid}")
    assert one.headers["content-type"] == "application/geo+json"
    feature = one.json()
    assert feature["type"] == "Feature" and feature["id"] == fid
    assert feature["geometry"] == doc["features"][0]["geometry"]
    assert "attribution" in feature and rels(feature)["collection"]
    place = client.get("/collections/places/items/kramatorsk").json()
    assert place["geometry"]["type"] == "Point" and place["properties"]["name_en"] == \
        "Kramatorsk"
    region = client.get("/collections/regions/items/donetsk-oblast").json()
    assert region["properties"]["level"] == "oblast"
    assert "OpenStreetMap" in region["attribution"]


@pytest.mark.parametrize(("url", "status", "needle"), [
    ("/collections/nope", 404, "unknown collection 'nope'"),
    ("/collections/control/items?bbox=38,49,37,48", 400, "minimum greater than maximum"),
    ("/collections/control/items?bbox=1,2,3", 400, "expected 4 numbers"),
    ("/collections/control/items?bbox=0,0,200,10", 400, "outside WGS84"),
    ("/collections/control/items?datetime=2025-06-30/2025-06-01", 400, "inverted"),
    ("/collections/control/items?datetime=yesterday", 400, "datetime='yesterday'"),
    ("/collections/control/items?limit=0", 400, "query parameter 'limit'"),
    ("/collections/control/items?offset=-1", 400, "query parameter 'offset'"),
    ("/collections/control/items/abc", 404, "<snapshot id>-<n>"),
    ("/collections/control/items/1-99999", 404, "no feature '1-99999'"),
    ("/collections/places/items/nowhere", 404, "no feature 'nowhere'"),
])
def test_bad_requests_are_problems(client, url, status, needle):
    assert needle in problem(client.get(url), status)["detail"]


def test_a_date_before_the_history_matches_nothing(client, real_store):
    """`datetime` before a source's first snapshot: an empty FeatureCollection, not a 404."""
    for cid in ("control", "frontline"):
        r = client.get(f"/collections/{cid}/items", params={"datetime": "2019-01-01"})
        assert r.status_code == 200, r.text
        doc = r.json()
        assert doc["type"] == "FeatureCollection" and doc["features"] == []
        assert doc["numberMatched"] == doc["numberReturned"] == 0
        assert "DeepStateMap" in doc["attribution"]
    first = real_store.snapshots("deepstate")[0].valid_at
    assert client.get("/collections/control/items", params={
        "datetime": f"../{first:%Y-%m-%d}", "limit": 1}).json()["numberMatched"] > 0


def test_extents_are_the_datas(client, real_store):
    """Each collection's extent is its own data's: the zones' bounds (every revision of the
    default source), the places' points, the regions' outlines and their first date."""
    cols = {c["id"]: c for c in client.get("/collections").json()["collections"]}

    def bbox(cid):
        return cols[cid]["extent"]["spatial"]["bbox"][0]

    b = shapely.bounds([z.geometry for i in real_store.snapshots("deepstate")
                        for z in real_store.zones(i.id)])
    zones = [b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()]
    got = bbox("control")
    for lo in (0, 1):
        assert got[lo] <= zones[lo] < got[lo] + 1e-5  # rounded outward, never inward
        assert got[lo + 2] - 1e-5 < zones[lo + 2] <= got[lo + 2]
    assert bbox("frontline") == got
    places = real_store.places()
    assert bbox("places")[0] == pytest.approx(min(p.lon for p in places), abs=1e-6)
    assert bbox("places")[3] == pytest.approx(max(p.lat for p in places), abs=1e-6)
    b = shapely.bounds([r.geometry for r in real_store.regions(with_geometry=True)])
    x0, y0, x1, y1 = bbox("regions")  # every version's; at least today's
    assert x0 <= b[:, 0].min() and y0 <= b[:, 1].min()
    assert x1 >= b[:, 2].max() and y1 >= b[:, 3].max() and x1 - x0 < 20
    assert cols["regions"]["extent"]["temporal"]["interval"][0][1] is None  # still in force


def test_regions_honour_datetime(store):
    """`regions` answers with the versions in force on `datetime` and reports, as its
    temporal extent, the first date a version took effect (open when one has none)."""
    from frontwatch import geometry
    from frontwatch.api.app import create_app
    from frontwatch.ingest.regions import region_hash
    from frontwatch.model import Region
    from tests.helpers import square

    def add(slug: str, dx: float, valid_from: date | None) -> None:
        g = shapely.Polygon(square(dx))
        r = Region(slug=slug, level="raion", name_en=slug, name_uk=slug, geometry=g,
                   valid_from=valid_from, area_km2=float(geometry.area_km2(g)))
        assert store.add_region(r, region_hash(r))

    add("old-raion", 0.0, None)
    add("old-raion", 0.2, date(2020, 7, 17))  # redrawn in the 2020 reform
    add("new-raion", 0.5, date(2020, 7, 17))
    c = TestClient(create_app(Settings(database_url=str(store.path))))

    def slugs(dt: str | None) -> dict[str, str | None]:
        doc = c.get("/collections/regions/items", params={"datetime": dt} if dt else {}).json()
        assert doc["numberMatched"] == len(doc["features"])
        return {f["id"]: f["properties"]["valid_from"] for f in doc["features"]}

    assert slugs("2019-01-01") == {"old-raion": None}
    assert slugs("2020-07-17") == slugs(None) == {"new-raion": "2020-07-17",
                                                  "old-raion": "2020-07-17"}
    assert slugs("2019-01-01/2020-01-01") == {"old-raion": None}  # the state at the end
    extent = c.get("/collections/regions").json()["extent"]
    assert extent["temporal"]["interval"] == [[None, None]]  # old-raion: no start date
    assert extent["spatial"]["bbox"] == [[38.0, 48.6, 38.6, 48.7]]
    with store.transaction():
        store._execute("DELETE FROM regions WHERE valid_from='0001-01-01'")
    c.app.fast_path.invalidate()  # as a write through the server would (else up to 0.1 s)
    extent = c.get("/collections/regions").json()["extent"]
    assert extent["temporal"]["interval"] == [["2020-07-17T00:00:00Z", None]]
    assert extent["spatial"]["bbox"] == [[38.2, 48.6, 38.6, 48.7]]


@pytest.mark.parametrize("url", [
    "/collections/control/items?foo=bar",
    "/collections/control/items?FILTER=status%3D%27occupied%27",  # names are case-sensitive
    "/collections/control/items?filter_lang=cql2-text",
    "/collections/control/items?resulttype=hits",
    "/collections/control/items?crs_=EPSG:3857",
    "/collections/places/items?sort=-population",
    "/collections/places/items/kramatorsk?foo=1",
    "/collections/places/items/kramatorsk?filter=kind%3D%27city%27",  # items only
    "/collections?foo=json",
    "/collections/control?limit=1",
    "/collections/control/queryables?foo=1",
    "/?foo=1",
    "/conformance?foo=1",
])
def test_unknown_query_parameters_are_400(client, url):
    """/req/core/query-param-unknown: a parameter a route does not declare is refused, named,
    instead of being ignored (an unfiltered answer to a filter would look like an answer)."""
    name = url.split("?")[1].split("=")[0]
    assert repr(name) in problem(client.get(url), 400)["detail"]


def test_a_pin_of_another_collection_is_400(client):
    assert "'snapshot'" in problem(client.get("/collections/places/items?snapshot=1"),
                                   400)["detail"]
    assert "'rev'" in problem(client.get("/collections/control/items?rev=1"), 400)["detail"]
    assert "snapshot" in problem(client.get("/collections/control/items?snapshot=x"),
                                 400)["detail"]
    assert "start again" in problem(
        client.get("/collections/control/items?snapshot=99999999"), 409)["detail"]
    for bad in ("abc", "-1", "", "1;drop"):  # not a token a next link gives: 400, not 409
        assert "rev=" in problem(client.get(f"/collections/places/items?rev={bad}"),
                                 400)["detail"], bad


def get_routes(routes, prefix=""):
    """(path, route) of every route, through included routers."""
    for r in routes:
        inner = getattr(r, "original_router", None)
        if inner is not None:
            yield from get_routes(inner.routes, prefix + r.include_context.prefix)
        else:
            yield prefix + r.path, r


# A value for each path parameter that names something in the real data.
PATH_VALUES = {"collection_id": "places", "feature_id": "kramatorsk", "day": "2025-06-30",
               "snapshot_id": "1", "slug": "kramatorsk", "fmt": "svg", "name": "docs.css",
               "name:path": "map.js"}


def test_head_on_every_get_route(client):
    """HEAD answers as GET would (status, content type, length), without a body, on every
    GET route of the app, asked BEFORE any GET (so not from the response cache)."""
    routes = [(path, r) for path, r in get_routes(client.app.routes)
              if "GET" in (getattr(r, "methods", None) or ())]
    assert len(routes) > 25
    for path, _ in routes:
        url = path
        for name, value in PATH_VALUES.items():
            url = url.replace("{" + name + "}", value)
        assert "{" not in url, f"no sample value for a parameter of {path}"
        if path.startswith(("/maps/", "/charts/", "/embed/")):
            url += "?region=donetsk-oblast" if path.startswith("/maps/") else ""
        head = client.head(url)
        assert head.status_code != 405, path
        assert head.content == b"", path
        get = client.get(url)
        assert head.status_code == get.status_code, (path, get.text[:200])
        assert head.headers.get("content-type") == get.headers.get("content-type"), path
        if "content-encoding" not in get.headers and path != "/healthz":  # live counters
            assert head.headers["content-length"] == get.headers["content-length"], path


@pytest.fixture
def own_db(real_db, tmp_path):
    """A copy of the real store this test may write to."""
    path = tmp_path / "own.sqlite"
    shutil.copy(real_db, path)
    return path


def test_paging_stays_on_one_state_while_an_import_lands(own_db):
    """A walk started before an import finishes on the state it started on: the next link
    names the snapshot, numberMatched never changes, no feature is seen twice; a walk started
    after the import sees the new state."""
    from frontwatch.api.app import create_app
    from frontwatch.ingest import ImportOptions, parse_snapshot, store_snapshot
    from frontwatch.store import open_store
    from tests.helpers import OCC, deepstate_fc, dumps, square

    c = TestClient(create_app(Settings(database_url=str(own_db), source="deepstate")))
    first = c.get("/collections/control/items?limit=40").json()
    before = first["snapshot_id"]
    assert f"snapshot={before}" in rels(first)["next"]

    now = datetime.now(UTC).replace(microsecond=0)
    with open_store(own_db) as s:
        snap = parse_snapshot(dumps(deepstate_fc((OCC, square()), (OCC, square(0.5)))).encode(),
                              f"{int(now.timestamp())}.geojson",
                              ImportOptions(source="deepstate", date=now))
        info, added = store_snapshot(s, snap)
    assert added and info.id != before

    seen, url, doc = [f["id"] for f in first["features"]], rels(first)["next"], first
    while url:
        doc = c.get(url.removeprefix("http://testserver")).json()
        assert doc["snapshot_id"] == before
        assert doc["numberMatched"] == first["numberMatched"]
        seen += [f["id"] for f in doc["features"]]
        url = rels(doc).get("next")
    assert len(seen) == len(set(seen)) == first["numberMatched"]
    assert all(i.startswith(f"{before}-") for i in seen)
    c.app.fast_path.invalidate()  # the import ran beside the server, as a CLI import would
    fresh = c.get("/collections/control/items?limit=40").json()
    assert fresh["snapshot_id"] == info.id and fresh["numberMatched"] == 2


def test_places_walk_cannot_span_a_gazetteer_change(store):
    """The store keeps no older state of the places: a walk whose gazetteer changed under it
    is told to start again (409) instead of being given a page of the new one."""
    import dataclasses

    from frontwatch.api.app import create_app

    c = TestClient(create_app(Settings(database_url=str(store.path))))
    first = c.get("/collections/places/items?limit=2").json()
    nxt = rels(first)["next"].removeprefix("http://testserver")
    assert "rev=" in nxt and c.get(nxt).status_code == 200
    place = store.places()[0]
    store.add_places([dataclasses.replace(place, population=(place.population or 0) + 1)])
    c.app.fast_path.invalidate()
    assert "start again" in problem(c.get(nxt), 409)["detail"]
    assert c.get("/collections/places/items?limit=2").status_code == 200
