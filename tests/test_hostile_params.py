"""Odd values in every route's parameters (v1, analysis, places, OGC, maps, charts, embeds,
oEmbed): each is a 400/404 problem+json naming the parameter, never a 500, and the server
keeps answering. Also: dates past the data are labelled, ranges are cut to the data."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from frontwatch import dates
from frontwatch.settings import Settings

TOMORROW = (dates.today() + timedelta(days=1)).isoformat()
MAP = "/maps/2025-06-30"
OEMBED = "/oembed?url=http://testserver/maps/2025-06-30.html"


@pytest.fixture(scope="module")
def client(real_db):
    from frontwatch.api.app import create_app
    app = create_app(Settings(database_url=str(real_db), source="deepstate", assets="local"))
    return TestClient(app, raise_server_exceptions=False)


CASES = [
    # /v1 snapshots
    ("/v1/snapshots/9999-12-31T23:59:59-14:00", 400, "date"),
    ("/v1/snapshots/2025-06-30?as_of=0001-01-01T00:00:00%2B14:00", 400, "as_of"),
    (f"/v1/snapshots/{TOMORROW}", 400, "in the future"),
    ("/v1/snapshots/%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%95-06-30", 400, "date"),
    ("/v1/snapshots/2025-06-30?simplify=nan", 400, "simplify"),
    ("/v1/snapshots/2025-06-30?simplify=inf", 400, "simplify"),
    ("/v1/snapshots/2025-06-30?status=bogus", 400, "status"),
    ("/v1/snapshots/revisions/99999999999999999999", 400, "snapshot_id"),
    ("/v1/snapshots/revisions/%C2%B2", 400, "snapshot_id"),
    ("/v1/snapshots?from=2025-02-30", 400, "from"),
    ("/v1/snapshots?foo=1", 400, "'foo'"),
    ("/v1/snapshots/2025-06-30?regoin=donbas", 400, "'regoin'"),
    ("/v1/snapshots/revisions/1?_=1", 400, "'_'"),
    ("/v1/sources?x=1", 400, "'x'"),
    # analysis
    ("/v1/areas?region=donbas&to=9999-12-31", 400, "to"),
    ("/v1/areas?region=donbas&to=4000-01-01", 400, "in the future"),
    ("/v1/areas?region=donbas&from=1800-01-01", 400, "from"),
    ("/v1/areas?region=donbas&from=2025-01-01T00:00:00", 400, "from"),
    ("/v1/diff?from=2025-06-01&to=2025-06-30&min_km2=nan", 400,
     "'min_km2': must be a finite number, not 'nan'"),
    ("/v1/diff?from=2025-06-01&to=2025-06-30&min_km2=-inf", 400, "must be a finite number"),
    ("/v1/diff?from=2025-06-01&to=2025-06-30&min_km2=-1", 400, "min_km2"),
    ("/v1/frontline?date=99999-01-01", 400, "date"),
    ("/v1/frontline/series?step=0", 400, "step"),
    ("/v1/frontline/series?step=99999999999999999999", 400, "step"),
    ("/v1/changelog?region=donbas&from=2025-06-01&to=%00", 400, "to"),
    ("/v1/areas?region=donbas&statuses=occupied", 400, "'statuses'"),
    ("/v1/diff?from=2025-06-01&to=2025-06-30&min_area=1", 400, "'min_area'"),
    ("/v1/frontline?day=2025-06-01", 400, "'day'"),
    ("/v1/compare?date=2025-06-01&foo=1", 400, "'foo'"),
    ("/v1/compare?date=2025-06-01&layer=--all", 400, "layer"),
    # places
    ("/v1/places?near_front_km=inf", 400, "near_front_km"),
    ("/v1/places?date=2025-06-31", 400, "date='2025-06-31': invalid date, June 2025 has 30 days"),
    ("/v1/frontline?date=2025-02-29", 400, "February 2025 has 28 days"),
    ("/v1/snapshots/2025-13-01", 400, "there is no month 13"),
    ("/v1/places/kramatorsk?date=-2025-01-01", 400, "date"),
    ("/v1/places/kramatorsk/timeline?from=2025-06-30&to=2025-06-01", 400, "from"),
    ("/v1/places?limit=10", 400, "'limit'"),
    ("/v1/places/kramatorsk?cachebust=1", 400, "'cachebust'"),
    # OGC API – Features
    ("/collections/control/items/99999999999999999999-0", 404, "featureId"),
    ("/collections/control/items/%C2%B2-0", 404, "featureId"),
    ("/collections/control/items/1-%C2%B2", 404, "featureId"),
    ("/collections/control/items?bbox=-inf,-inf,inf,inf", 400, "bbox"),
    ("/collections/control/items?datetime=0001-01-01T00:00:00%2B14:00", 400, "datetime"),
    ("/collections/control/items?datetime=2025-06-30/2025-06-01", 400, "datetime"),
    ("/collections/control/items?limit=0", 400, "limit"),
    ("/collections/control/items?offset=-1", 400, "offset"),
    ("/collections/frontline/items/2025-99-99", 400, "featureId"),
    ("/collections/places/items?properties=-name_en", 400, "properties"),
    ("/collections/places/items?properties=name_en,", 400, "properties"),
    ("/collections/places/items/kramatorsk?properties=%2Bname_uk", 400, "properties"),
    ("/collections/places/items?sortby=--population", 400, "sortby"),
    ("/collections/places/items?sortby=%2B-population", 400, "sortby"),
    ("/collections/places/items?sortby=-", 400, "sortby"),
    # a name given twice: refused (5,000 `status` keys took 16 s of CPU to sort by)
    ("/collections/control/items?sortby=" + ",".join(["status"] * 5000), 400, "sortby"),
    ("/collections/places/items?sortby=population,-population", 400, "sortby"),
    ("/collections/places/items?properties=name_en,name_en", 400, "properties"),
    # maps
    (f"{MAP}.png?bbox=-inf,-inf,inf,inf", 400, "bbox"),
    (f"{MAP}.png?bbox=nan,48,39,49", 400, "bbox"),
    (f"{MAP}.png?width=1e9", 400, "width"),
    (f"{MAP}.png?dpi=%C2%B2", 400, "dpi"),
    (f"{MAP}.html?place=Bakhmut&radius_km=inf", 400, "radius_km"),
    (f"{MAP}.html?from=2025-01-01&step=99999999999999d", 400, "step"),
    (f"{MAP}.html?cachebust=1", 400, "cachebust"),
    (f"{MAP}.svg?region=donbas&_=123", 400, "'_'"),
    ("/maps/9999-12-31.html", 400, "in the future"),
    (f"{MAP}.html?as_of=9999-12-31T23:59:59-14:00", 400, "as_of"),
    (f"{MAP}.html?tiles=maybe", 400, "tiles"),
    # charts
    ("/charts/areas.png?region=donbas&from=0001-01-01T00:00:00%2B14:00", 400, "from"),
    ("/charts/areas.png?region=donbas&x=1", 400, "'x'"),
    ("/charts/areas.png?region=donbas&width=-5", 400, "width"),
    (f"/charts/areas.svg?region=donbas&to={TOMORROW}", 400, "in the future"),
    # embeds and oEmbed
    ("/embed/2025-06-30?height=1e3", 400, "height"),
    ("/embed/2025-06-30?utm_source=x", 400, "utm_source"),
    ("/oembed?url=http://[::1&format=json", 400, "url"),
    (f"{OEMBED}&maxwidth=inf", 400, "maxwidth"),
    (f"{OEMBED}&foo=1", 400, "'foo'"),
    (f"{OEMBED}%3Fbbox%3D-inf,-inf,inf,inf", 400, "bbox"),
    (f"{OEMBED}%3Fnope%3D1", 400, "nope"),
    # a single-valued parameter given twice: refused on every router, not the last one kept
    ("/v1/snapshots/2025-06-30?region=donbas&region=kharkiv-oblast", 400, "'region' given twice"),
    ("/v1/areas?region=donbas&region=kharkiv-oblast", 400, "'region' given twice"),
    ("/v1/diff?from=2025-06-01&from=2025-06-02&to=2025-06-30", 400, "'from' given twice"),
    ("/v1/frontline?date=2025-06-01&date=2025-06-30", 400, "'date' given twice"),
    ("/v1/places?date=2025-06-01&date=2025-06-30", 400, "'date' given twice"),
    ("/v1/compare?date=2025-06-01&date=2025-06-30", 400, "'date' given twice"),
    ("/collections/control/items?limit=1&limit=2", 400, "'limit' given twice"),
    ("/collections/control/items?datetime=2025-06-01&datetime=2025-06-30", 400,
     "'datetime' given twice"),
    (f"{MAP}.png?width=600&width=800", 400, "'width' given twice"),
    ("/charts/areas.png?region=donbas&region=donbas", 400, "'region' given twice"),
    ("/embed/2025-06-30?height=300&height=400", 400, "'height' given twice"),
    (f"{OEMBED}&maxwidth=300&maxwidth=400", 400, "'maxwidth' given twice"),
    ("/feeds/changes.atom?region=donbas&region=donbas", 400, "'region' given twice"),
]


@pytest.mark.parametrize(("url", "status", "needle"), CASES, ids=[c[0] for c in CASES])
def test_odd_values_are_named_problems(client, url, status, needle):
    r = client.get(url)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status and needle in body["detail"], body
    if needle == "in the future":
        assert body["code"] == "future-date"
    assert client.get("/conformance").status_code == 200  # the server still answers


HUGE = "x" * 20_000
# Every parameter whose value a message repeats: the value is cut (errors.echo), never sent
# back whole (a 20,000-character region was echoed whole in the 404's detail).
ECHOED = [
    (f"/v1/areas?region={HUGE}", 404, "region"),
    (f"/v1/snapshots/2025-06-30?region={HUGE}", 404, "region"),
    (f"/v1/snapshots/2025-06-30?source={HUGE}", 404, "source"),
    (f"/v1/snapshots/2025-06-30?status={HUGE}", 400, "status"),
    (f"/v1/snapshots/{HUGE}", 400, "date"),
    (f"/v1/places/{HUGE}", 404, "place"),
    (f"/v1/areas?region=donbas&from={HUGE}", 400, "from"),
    (f"/v1/compare?date=2025-06-01&sources=deepstate,{HUGE}", 404, "source"),
    (f"/v1/snapshots?{HUGE}=1", 400, "unknown query parameter"),
    (f"/collections/{HUGE}", 404, "collection"),
    (f"/collections/places/items/{HUGE}", 404, "feature"),
    (f"/collections/places/items?sortby={HUGE}", 400, "sortby"),
    (f"/collections/places/items?crs={HUGE}", 400, "crs"),
    (f"/collections/places/items?bbox={HUGE}", 400, "bbox"),
    (f"/collections/places/items?rev={HUGE}", 400, "rev"),
    (f"/collections/places/items?filter-lang={HUGE}", 400, "filter-lang"),
    (f"/collections/places/items?f={HUGE}", 400, "f="),
    (f"{MAP}.png?lang={HUGE}", 400, "lang"),
    (f"{MAP}.png?step={HUGE}&from=2025-06-01", 400, "step"),
    (f"/oembed?url=http://elsewhere.example/{HUGE}", 404, "url"),
    (f"/no/such/{HUGE}", 404, "no such resource"),
]


@pytest.mark.parametrize(("url", "status", "needle"), ECHOED, ids=[c[0][:60] for c in ECHOED])
def test_echoed_values_are_cut(client, url, status, needle):
    r = client.get(url)
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"] == "application/problem+json"
    detail = r.json()["detail"]
    assert needle in detail and "xxxxxxxxxx" in detail, detail[:500]
    assert len(detail) < 1000 and ",0" in detail and " characters)" in detail, detail[:500]
    assert len(r.content) < 2000  # nor in `instance` (the request's path)


def test_list_parameters_may_repeat(client):
    """`status` takes a list: giving it twice is two values, not a mistake."""
    both = client.get("/v1/snapshots/2025-06-30?status=occupied&status=liberated")
    assert both.status_code == 200, both.text
    one = client.get("/v1/snapshots/2025-06-30?status=occupied")
    assert len(both.json()["features"]) >= len(one.json()["features"])


def test_corpus_is_large_and_covers_every_router():
    assert len(CASES) >= 30
    for prefix in ("/v1/snapshots", "/v1/areas", "/v1/diff", "/v1/frontline", "/v1/changelog",
                   "/v1/places", "/v1/sources", "/v1/compare", "/collections/", "/maps/",
                   "/charts/", "/embed/", "/oembed"):
        assert any(u.startswith(prefix) for u, _, _ in CASES), prefix


# --- dates past the data ---------------------------------------------------------------------
def test_stale_snapshot_says_how_old_it_is(client, real_store):
    newest = real_store.resolve("deepstate")
    asked = newest.date + timedelta(days=20)
    doc = client.get(f"/v1/snapshots/{asked}").json()
    assert doc["content_hash"] == newest.content_hash
    assert doc["data_through"] == newest.valid_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert doc["stale_days"] == 20
    assert "stale_days" not in client.get(f"/v1/snapshots/{newest.date}").json()
    line = client.get("/v1/frontline", params={"date": asked.isoformat()}).json()
    assert line["stale_days"] == 20 and line["data_through"] == doc["data_through"]


def test_range_past_the_data_ends_at_the_newest_day(client, real_store):
    newest = real_store.resolve("deepstate").date
    asked = newest + timedelta(days=15)
    r = client.get("/v1/areas", params={"region": "donbas", "from": "2025-06-25",
                                        "to": asked.isoformat()})
    doc = r.json()
    assert doc["to"] == newest.isoformat() and doc["to_requested"] == asked.isoformat()
    assert doc["clamped"] is True and doc["series"][-1]["date"] == newest.isoformat()
    assert len(doc["series"]) == (newest - dates.day("2025-06-25")).days + 1
    assert r.headers["x-range-clamped"] == f"to={newest}; requested={asked}"
    csv = client.get("/v1/changelog", params={"region": "donbas", "from": "2025-06-25",
                                              "to": asked.isoformat(), "format": "csv"})
    assert csv.status_code == 200 and "x-range-clamped" in csv.headers
    whole = client.get("/v1/frontline/series", params={"from": "2025-06-01",
                                                       "to": asked.isoformat(), "step": 7})
    assert whole.json()["to"] == newest.isoformat()


def test_stale_map_titles_itself_with_the_snapshots_date(client, real_store):
    newest = real_store.resolve("deepstate").date
    asked = newest + timedelta(days=40)
    r = client.get(f"/maps/{asked}.png", params={"region": "donetsk-oblast", "width": 600,
                                                 "height": 400})
    assert r.status_code == 200, r.text
    title = Image.open(io.BytesIO(r.content)).info["Title"]
    day = f"{newest.day} {newest:%B %Y}"
    assert f"as of {day} · no newer data" in title and asked.strftime("%B %Y") not in title
    page = client.get(f"/maps/{asked}.html", params={"region": "donetsk-oblast"}).text
    assert "no newer data" in page


# --- the sweep: every route, every parameter, a hostile value -------------------------------
# What a message may repeat of a client's value (errors.echo): 80 characters as shown, control
# characters escaped. Every GET route of the app (OpenAPI's and the map, chart, embed, oEmbed
# and asset routes, which it may not list) and every query and path parameter of each is sent
# a 5,000-character value holding ESC, newline, NUL, a bidi override, quotes and a backslash,
# and 200 made-up parameters with 100-character names: never a 5xx, a 4xx is problem+json,
# and no message carries more than 80 characters of any one value or a raw control character.
_TEXT = "0123456789abcdefghijklmnopqrstuvwxyz" * 80
HOSTILE = _TEXT[:2500] + "\x1b[31m\n\r\x00\x07\x7f\u202e\u0085'\"\\%" + _TEXT[:2490]
NAMES = [f"{i:03d}{_TEXT[i:i + 97]}" for i in range(200)]
# A value for what a route requires, and what makes a parameter count (radius_km is read
# around a place, step in a time-lapse, filter-crs with a filter …)
SAMPLES = {"from": "2025-06-01", "to": "2025-06-30", "date": "2025-06-30",
           "region": "donetsk-oblast", "url": "http://testserver/maps/2025-06-30.html"}
CONTEXT = {"radius_km": {"place": "kramatorsk"}, "step": {"from": "2025-06-01"},
           "filter-crs": {"filter": "S_INTERSECTS(geometry, POINT(38 48))"},
           "filter-lang": {"filter": "name_en = 'x'"}, "bbox-crs": {"bbox": "37,47,39,49"}}
MAP_URL = "http://testserver/maps/2025-06-30.html"


def _repeats(text: str, sent: str, most: int = 80) -> bool:
    """Whether `text` holds more than `most` consecutive characters of `sent`."""
    return any(sent[i:i + most + 1] in text for i in range(len(sent) - most))


def assert_nothing_echoed(r, *sent: str) -> None:
    """The rule of errors.echo, checked on a response: no 5xx (but oEmbed's 501 for a format
    it does not offer, as its spec says); a 4xx is problem+json whose title, detail and
    validation messages are printable (no raw control character) and hold at most 80
    consecutive characters of any value the client sent."""
    assert r.status_code < 500 or r.status_code == 501, (r.request.url, r.text[:300])
    if r.status_code < 400:
        return
    assert r.headers["content-type"] == "application/problem+json", r.request.url
    body = r.json()
    texts = [body["title"], body["detail"], *(e["msg"] for e in body.get("errors", []))]
    for text in texts:
        assert text.isprintable(), (r.request.url, text[:300])
        assert not any(_repeats(text, s) for s in sent), (str(r.request.url)[:100], text[:300])
    assert len(body["detail"]) <= 1000, body["detail"][:300]
    assert len(r.content) <= 4000


def _swept_routes(app) -> list[tuple[str, list[str], list[str]]]:
    """(path, path parameters, query parameters) of every GET route, through included routers
    and route dependencies."""
    from tests.test_api_ogc import get_routes

    out = []
    for path, route in get_routes(app.routes):
        dep = getattr(route, "dependant", None)
        if dep is None or "GET" not in route.methods:
            continue
        names, todo = set(), [dep]
        while todo:
            d = todo.pop()
            names |= {q.alias for q in d.query_params}
            todo.extend(d.dependencies)
        params = [p.split("}")[0] for p in path.split("{")[1:]]
        out.append((path, params, sorted(names)))
    return out


def _url(path: str, params: list[str], given: dict[str, str] | None = None) -> str:
    from urllib.parse import quote

    from tests.test_api_ogc import PATH_VALUES

    for name in params:
        value = (given or {}).get(name, PATH_VALUES[name])
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


@pytest.fixture(scope="module")
def sweep_client(real_db):
    from frontwatch.api.app import create_app
    app = create_app(Settings(database_url=str(real_db), source="deepstate", assets="local",
                              render_processes=0))
    return TestClient(app, raise_server_exceptions=False)


def test_every_parameter_of_every_route_echoes_at_most_80_characters(sweep_client):
    client = sweep_client
    routes = _swept_routes(client.app)
    assert len(routes) > 30
    spec = client.get("/openapi.json").json()
    swept = {(p, n) for p, params, query in routes for n in (*params, *query)}
    for path, ops in spec["paths"].items():  # what OpenAPI documents is swept
        for param in ops.get("get", {}).get("parameters", []):
            assert (path, param["name"]) in swept, (path, param["name"])
    refused = 0
    for path, params, query in routes:
        base = {k: SAMPLES[k] for k in query if k in SAMPLES}
        for name in params:
            assert_nothing_echoed(client.get(_url(path, params, {name: HOSTILE}),
                                             params=base), HOSTILE)
        for name in query:
            for value in (HOSTILE, f"1,{HOSTILE}"):
                given = {**base, **CONTEXT.get(name, {}), name: value}
                assert_nothing_echoed(client.get(_url(path, params), params=given), value)
        made_up = "&".join(f"{n}=1" for n in NAMES)
        r = client.get(f"{_url(path, params)}?{made_up}")
        assert_nothing_echoed(r, *NAMES)
        if r.status_code == 400:  # the docs pages, /healthz and the favicon ignore a query
            assert "and 195 more" in r.json()["detail"], r.json()["detail"][:300]
            refused += 1
    assert refused > 25
    assert client.get("/conformance").status_code == 200


def test_map_parameters_inside_an_oembed_url_echo_at_most_80_characters(sweep_client):
    from urllib.parse import quote

    from frontwatch.render.embed import MAP_PARAMS

    for name in MAP_PARAMS:
        url = f"{MAP_URL}?{name}={quote(HOSTILE, safe='')}"
        assert_nothing_echoed(sweep_client.get("/oembed", params={"url": url}), HOSTILE)
    made_up = "&".join(f"{n}=1" for n in NAMES)
    r = sweep_client.get("/oembed", params={"url": f"{MAP_URL}?{made_up}"})
    assert r.status_code == 400 and "and 195 more" in r.json()["detail"], r.text[:300]
    assert_nothing_echoed(r, *NAMES)


@pytest.mark.parametrize(("url", "says"), [
    # beyond the instants a date-time can hold in UTC: said plainly, naming the parameter
    ("/v1/snapshots/9999-12-31T23:59:59-14:00",
     "date='9999-12-31T23:59:59-14:00': in UTC this is after the last instant"),
    ("/v1/snapshots/2025-06-30?as_of=0001-01-01T00:00:00%2B14:00",
     "as_of='0001-01-01T00:00:00+14:00': in UTC this is before the first instant"),
    # a type's bound is no user's range: "too large", not "≤ 4611686018427387904"
    ("/v1/snapshots/revisions/99999999999999999999", "path parameter 'snapshot_id': too large"),
    ("/collections/places/items?offset=99999999999999999999",
     "query parameter 'offset': too large"),
    # CQL2 in its writer's terms: what was found where, no parser internals
    ("/collections/places/items?filter=population%20%3E", "the filter ends too early"),
    ("/collections/places/items?filter=popul@tion%3E1", "unexpected character '@' at "
     "character 6"),
    ("/collections/places/items?filter=-population%3E1", "a minus sign (-) can only precede"),
    ("/collections/places/items?filter=population%3ETIMESTAMP('2020-01-01T00:00:00Z')",
     "property 'population' is integer, compared with TIMESTAMP('2020-01-01T00:00:00Z')"),
    (f"{MAP}.html?place=kramatorsk&radius_km={'9' * 400}", "radius_km '999"),
])
def test_messages_say_what_is_wrong_in_the_clients_terms(sweep_client, url, says):
    r = sweep_client.get(url)
    assert 400 <= r.status_code < 500 and says in r.json()["detail"], r.text
    detail = r.json()["detail"]
    for internal in ("4611686018427387904", "2147483648", "datetime.datetime", "Token(",
                     "__ANON", "unary", "Expected one of"):
        assert internal not in detail, detail
