"""The map routes over HTTP (in-process): status codes, media types, problem+json errors,
framing headers, embed snippets, oEmbed and the local assets."""

from __future__ import annotations

import re
from datetime import date as date_
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from frontwatch.render import assets
from frontwatch.settings import Settings


@pytest.fixture(scope="module")
def client(real_db):
    from frontwatch.api.app import create_app
    app = create_app(Settings(database_url=str(real_db), assets="local"))
    return TestClient(app)


def test_map_page_served_frameable_with_oembed_link(client):
    r = client.get("/maps/2025-06-01.html?region=donetsk-oblast")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == "frame-ancestors *"
    assert "/assets/leaflet/dist/leaflet.js" in r.text and "cdn.jsdelivr" not in r.text
    link = 'href="http://testserver/oembed?url=' + quote(
        "http://testserver/maps/2025-06-01.html?region=donetsk-oblast", safe="")
    assert link in r.text
    again = client.get("/maps/2025-06-01.html?region=donetsk-oblast",
                       headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(("url", "status", "detail"), [
    ("/maps/2025-13-01.html", 400, "invalid date"),
    ("/maps/2025-06-01.html?region=Atlantis", 404, "unknown region"),
    ("/maps/2025-06-01.html?place=Nowhere", 404, "unknown place"),
    ("/maps/2025-06-01.html?bbox=1,2,3", 400, "invalid bbox"),
    ("/maps/1999-01-01.html", 404, "history starts"),
    ("/maps/2025-06-01.png?width=99999", 400, "width"),
    ("/maps/2025-06-01.png?from=2025-05-01", 400, "no static image"),
    ("/maps/2025-06-01.html?source=nope", 404, "unknown source"),
    ("/oembed?url=http://elsewhere.example/maps/2025-06-01.html", 404, "not a map on this"),
    ("/oembed?url=http://testserver/api/x", 404, "not a map page"),
    ("/oembed?url=http://testserver/maps/2025-06-01.html&format=xml", 501, "only json"),
    ("/assets/leaflet/package.json", 404, "no asset"),
])
def test_bad_requests_are_problems(client, url, status, detail):
    r = client.get(url)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert detail in r.json()["detail"]
    code = {400: "input-invalid", 404: "not-found", 501: "not-implemented"}[status]
    assert r.json()["code"] == code and r.json()["type"] == f"urn:frontwatch:error:{code}"


def test_png_and_svg(client):
    r = client.get("/maps/2025-06-01.png?place=Bakhmut&width=800&height=600")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content[:4] == b"\x89PNG"
    s = client.get("/maps/2025-06-01.svg?place=Bakhmut")
    assert s.headers["content-type"].startswith("image/svg+xml") and b"<svg" in s.content


def test_embed_snippet_and_oembed(client, real_store):
    shown = real_store.resolve("deepstate", date_(2025, 6, 1)).date
    age = (date_(2025, 6, 1) - shown).days  # a dated map's age counts to its date
    r = client.get("/embed/2025-06-01?place=Pokrovsk&radius_km=25&lang=uk")
    assert r.status_code == 200
    assert '<iframe src="http://testserver/maps/2025-06-01.html?place=Pokrovsk&amp;' \
           'radius_km=25&amp;lang=uk"' in r.text
    aged = f" ({age} дн. тому)" if age else ""  # the subtitle's words, in its language
    assert f'title="Контроль території: 25 км навколо: Покровськ · deepstate від {shown}{aged}"' \
        in r.text
    page = "http://testserver/maps/2025-06-01.html?place=Pokrovsk"
    o = client.get("/oembed", params={"url": page, "maxwidth": 600})
    assert o.status_code == 200
    doc = o.json()
    assert doc["version"] == "1.0" and doc["type"] == "rich"
    assert doc["provider_name"] == "Frontwatch" and doc["width"] == 600
    assert doc["height"] == 400 and page.replace("&", "&amp;") in doc["html"]
    aged = f" ({age} days old)" if age else ""
    assert doc["title"] == ("Territorial control: 15 km around Pokrovsk · "
                            f"deepstate of {shown}{aged}")
    assert doc["cache_age"] == 3600  # a dated map's title holds on any day


def test_latest_oembed_title_says_its_age_today_and_is_kept_only_today(client, real_store):
    """A pasted `latest` card names its snapshot and that one's age as of today UTC (like
    the map's subtitle), and asks to be kept no later than the end of that day."""
    from frontwatch import dates

    newest = real_store.resolve("deepstate", None)
    age = (dates.today() - newest.date).days
    doc = client.get("/oembed", params={
        "url": "http://testserver/maps/latest.html?place=Pokrovsk"}).json()
    assert doc["title"].endswith(f" · deepstate of {newest.date} ({age} days old)"), doc
    assert 0 < doc["cache_age"] <= 3600
    embed = client.get("/embed/latest?place=Pokrovsk")
    assert f"deepstate of {newest.date} ({age} days old)" in embed.text
    assert embed.headers["x-snapshot-age-days"] == str(age)


@pytest.mark.parametrize(("now", "on", "left"), [
    ("2026-11-30T23:59:30", None, 30),  # latest: only until the UTC day ends
    ("2026-11-30T12:00:00", None, 3600),
    ("2026-11-30T23:59:30", date_(2025, 6, 1), 3600),  # a dated map: its usual hour
])
def test_oembed_cache_age_of_latest_ends_with_the_day(now, on, left):
    from datetime import UTC, datetime

    from frontwatch.render import embed

    assert embed.cache_age(on, datetime.fromisoformat(now).replace(tzinfo=UTC)) == left


def test_assets_served_only_from_the_list(client):
    if assets.missing_local():
        pytest.skip("node_modules assets absent: run `npm ci` in the repository")
    r = client.get("/assets/leaflet/dist/leaflet.css")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")
    assert "immutable" in r.headers["cache-control"]
    assert client.get("/assets/leaflet.fullscreen/icon-fullscreen.svg").status_code == 200


@pytest.mark.parametrize(("maxwidth", "maxheight", "size"), [
    (200, 150, (200, 150)),  # the smallest answered (embed.MIN_WIDTH × MIN_HEIGHT)
    (360, 240, (360, 240)),
    (600, 300, (600, 300)),
    (None, 300, (900, 300)),
    (640, None, (640, 427)),
    (5000, 5000, (900, 600)),  # a generous maximum is no reason to grow
])
def test_oembed_answers_within_the_maxima(client, maxwidth, maxheight, size):
    params = {"url": "http://testserver/maps/2025-06-01.html?region=donbas"}
    params |= {k: v for k, v in (("maxwidth", maxwidth), ("maxheight", maxheight)) if v}
    doc = client.get("/oembed", params=params).json()
    assert (doc["width"], doc["height"]) == size
    assert f'width="{size[0]}" height="{size[1]}"' in doc["html"]
    assert "min-height" not in doc["html"] and doc["html"].count("<iframe") == 1


@pytest.mark.parametrize(("query", "name"), [("maxwidth=199", "maxwidth"),
                                             ("maxheight=149", "maxheight"),
                                             ("maxwidth=0&maxheight=300", "maxwidth"),
                                             ("maxheight=1e3", "maxheight")])
def test_oembed_below_the_minimum_is_a_problem_naming_it(client, query, name):
    r = client.get(f"/oembed?url=http://testserver/maps/2025-06-01.html&{query}")
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    assert name in r.json()["detail"]


def test_embed_page_discovers_oembed_and_oembed_of_it_is_the_map(client):
    r = client.get("/embed/2025-06-01?region=donbas&lang=uk&width=640&height=300")
    assert r.status_code == 200
    embed_url = "http://testserver/embed/2025-06-01?region=donbas&lang=uk&width=640&height=300"
    discover = "http://testserver/oembed?url=" + quote(embed_url, safe="") + "&format=json"
    assert r.text.startswith('<link rel="alternate" type="application/json+oembed" '
                             f'href="{discover.replace("&", "&amp;")}"')
    assert r.headers["link"].startswith(f"<{discover}>")
    assert "min-height:300px" in r.text  # never taller than asked (it was 360 px)
    doc = client.get(discover.removeprefix("http://testserver")).json()
    assert (doc["width"], doc["height"]) == (640, 300)  # the snippet's own size
    assert '<iframe src="http://testserver/maps/2025-06-01.html?region=donbas&amp;lang=uk"' \
           in doc["html"] and "/embed/" not in doc["html"]  # the map, not an iframe's iframe
    small = client.get("/oembed", params={"url": embed_url, "maxwidth": 300}).json()
    assert (small["width"], small["height"]) == (300, 300)


def test_timelapse_frames_are_counted_on_the_range_cut_to_the_data(client, real_store, real_db):
    """`from=2020-01-01` on data that begins in 2025 counted ~2,000 frames (and refused as too
    many) though only the days the data covers are drawn: the range is cut to the data
    first, then its frames are counted, and a refusal names the range cut."""
    import subprocess
    import sys

    first = real_store.snapshot_span("deepstate")[0].date()
    days = (date_(2025, 6, 30) - first).days
    assert 60 < days < 8 * 60  # one frame a day is too many, one every 8 weeks is not
    ok = client.get("/maps/2025-06-30.html?from=2020-01-01&step=8w&place=Bakhmut&"
                    "source=deepstate")
    assert ok.status_code == 200, ok.text[:300]
    frames = re.search(r"var frames = (\[.*?\]);", ok.text).group(1)
    assert frames.count('"label"') == -(-days // 56) + 1
    too_many = client.get("/maps/2025-06-30.html?from=2020-01-01&step=1&source=deepstate")
    assert too_many.status_code == 400
    detail = too_many.json()["detail"]
    assert detail.startswith(f"{days + 1} frames from {first} to 2025-06-30 (the range "
                             "asked, 2020-01-01 to 2025-06-30, cut to the data)"), detail
    cli = subprocess.run([sys.executable, "-m", "frontwatch", "--db", str(real_db), "map",
                          "2025-06-30", "--from", "2020-01-01", "--step", "1", "--source",
                          "deepstate", "-o", "never.html"], capture_output=True, text=True,
                         timeout=600)
    assert cli.returncode == 1, cli.stderr
    assert f"{days + 1} frames from {first} to 2025-06-30 (the range asked" in cli.stderr
    assert "Traceback" not in cli.stderr
