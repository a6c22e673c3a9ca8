"""The area chart from the real data: an image of the requested size whose colours sit where
the figures say, a text alternative whose km² agree with pyproj.Geod, the demo banner, the
cache, and the route and command as users call them."""

from __future__ import annotations

import io
import json
import re
from datetime import date

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from PIL import Image as PILImage

from frontwatch import geometry, render
from frontwatch.errors import InputError, NotFound
from frontwatch.render import chart, style
from frontwatch.settings import Settings
from tests.test_api_v1 import problem
from tests.test_cli_data import run
from tests.test_render_maps import _rgb, closest

FIRST, LAST = date(2025, 2, 1), date(2025, 6, 30)
PALETTE = {k: _rgb(style.FILLS[k]) for k in ("occupied", "contested", "ukrainian")}
PALETTE["white"] = _rgb("#FFFFFF")


@pytest.fixture(scope="module")
def donetsk(rstore):
    c = chart.build(rstore, render.parse_chart_query("Donetsk Oblast", start=str(FIRST),
                                                     end=str(LAST)))
    return c, chart.render_image(c, "png")


def test_png_size_colours_where_the_figures_are(donetsk):
    c, img = donetsk
    pic = PILImage.open(io.BytesIO(img.data)).convert("RGB")
    assert pic.size == (1200, 800)
    row = c.frame.iloc[len(c.frame) // 2]
    day = row["date"].toordinal()
    occ, con, region = row["occupied_km2"], row["contested_km2"], row["region_km2"]
    assert closest(pic.getpixel(img.pixel(day, occ / 2)), PALETTE) == "occupied"
    assert closest(pic.getpixel(img.pixel(day, (occ + con + region) / 2)), PALETTE) == \
        "ukrainian"
    # the occupied colour fills most of the plot below the occupied line, and none of the
    # page outside the plot area (header, credits)
    x0, y0 = img.pixel(FIRST.toordinal() + 20, occ * 0.9)
    x1, y1 = img.pixel(LAST.toordinal() - 20, occ * 0.1)
    block = np.asarray(pic)[y0:y1, x0:x1].reshape(-1, 3).astype(float)
    near = np.linalg.norm(block - PALETTE["occupied"], axis=1) < 12
    assert near.mean() > 0.8
    header = np.asarray(pic)[:60].reshape(-1, 3).astype(float)
    assert not (np.linalg.norm(header - PALETTE["occupied"], axis=1) < 12).any()


def test_text_alternative_agrees_with_pyproj_geod(rstore, donetsk):
    img = donetsk[1]
    meta = PILImage.open(io.BytesIO(img.data)).info
    assert meta["Title"] == "Occupied territory: Donetsk Oblast — 1 February 2025 – " \
                            "30 June 2025 · daily, geodesic km²"
    text = meta["Description"]
    assert text.startswith("Chart of Donetsk Oblast from 1 February 2025 to 30 June 2025")
    assert "grey zone" in text and "over the last 7 days" in text
    last = re.search(r"to ([\d,]+) km² \(([\d.]+)% of the region\)", text)
    region = rstore.region("donetsk-oblast", LAST)
    occupied = rstore.layer(rstore.resolve("deepstate", LAST).id, "occupied")
    geod = geometry.geodesic_area_km2(shapely.intersection(occupied, region.geometry))
    assert abs(float(last.group(1).replace(",", "")) - geod) <= 0.5 + 1e-6
    assert abs(float(last.group(2)) - 100 * geod / region.area_km2) < 0.06


def test_sizes_svg_and_language(rstore):
    q = render.parse_chart_query("UA14", start="2025-05-01", lang="uk")
    png = render.chart_image(rstore, q, "png", render.parse_size(800, 500, 150))
    pic = PILImage.open(io.BytesIO(png))
    assert pic.size == (800, 500)
    assert pic.info["Description"].startswith("Графік: Донецька область, з 1 травня 2025")
    svg = render.chart_image(rstore, q, "svg")
    assert svg.lstrip().startswith(b"<?xml") and b"<dc:description>" in svg
    # byte-identical when drawn again (stable ETags across worker processes)
    assert chart.render_image(chart.build(rstore, q), "svg").data == svg
    with pytest.raises(InputError, match="width"):
        render.parse_size(5000, None, None)


def test_defaults_to_the_whole_history_and_stops_at_the_newest_snapshot(rstore):
    c = chart.build(rstore, render.parse_chart_query("luhansk-oblast", end="2025-12-31",
                                                     source="deepstate-archive"))
    first, newest = rstore.snapshots("deepstate-archive")[0], rstore.resolve("deepstate-archive")
    assert (c.first, c.last) == (first.date, newest.date)
    age = (date(2025, 12, 31) - newest.date).days  # to the end asked for, not the cut one
    assert c.no_newer and c.subtitle.endswith(
        f"· no newer data · deepstate-archive of {newest.date} ({age} days old)")
    assert c.credits[0].endswith(f"newest snapshot {newest.valid_at:%Y-%m-%d %H:%M} UTC "
                                 f"({age} days old)")
    assert c.window == 7 and not c.has_grey  # the archive has no grey zone: not "0 km²"
    assert "grey zone" not in c.description
    assert "daily archive" in c.credits[0] and "OpenStreetMap" in c.credits[1]
    assert len(c.credits) == 2


def test_cache_keys_on_parameters_and_data(rstore):
    render.cache.clear()
    q = render.parse_chart_query("donbas", start="2025-06-01")
    a = render.chart_image(rstore, q)
    assert render.chart_image(rstore, q) is a and render.cache.hits == 1
    render.chart_image(rstore, render.parse_chart_query("donbas", start="2025-06-02"))
    render.chart_image(rstore, q, size=render.parse_size(900, None, None))
    assert render.cache.misses == 3


@pytest.mark.parametrize(("kwargs", "error", "needle"), [
    ({"region": ""}, InputError, "region is required"),
    ({"region": "donbas", "start": "2025-06-02", "end": "2025-06-01"}, InputError, "inverted"),
    ({"region": "donbas", "start": "2025-02-30"}, InputError, "from='2025-02-30': invalid date"),
    ({"region": "donbas", "lang": "fr"}, InputError, "invalid lang"),
    ({"region": "Donetzk Oblast"}, NotFound, "did you mean: donetsk-oblast"),
    ({"region": "donbas", "end": "2001-01-01"}, NotFound, "history starts"),
    ({"region": "donbas", "start": "2030-01-01"}, InputError, "in the future"),
    ({"region": "donbas", "start": "2025-12-01"}, NotFound, "newest snapshot is of"),
    ({"region": "donbas", "start": "2025-06-30", "end": "2025-06-30"}, InputError,
     "at least two"),
    ({"region": "donbas", "source": "nope"}, NotFound, "unknown source"),
])
def test_bad_requests(rstore, kwargs, error, needle):
    with pytest.raises(error, match=needle):
        chart.build(rstore, render.parse_chart_query(**kwargs))


def test_demo_chart_carries_the_banner(store):
    from frontwatch.bootstrap import load_demo
    from frontwatch.model import DEMO_NOTICE

    load_demo(store)
    c = chart.build(store, render.parse_chart_query("donbas"))
    assert c.notice == DEMO_NOTICE and c.illustrative
    pic = np.asarray(PILImage.open(io.BytesIO(chart.render_image(c).data)).convert("RGB"))
    banner = (pic[:130, :, 0] > 230) & (pic[:130, :, 1] > 230) & (pic[:130, :, 2] < 30)
    assert banner.sum() > 200  # the notice's yellow-on-black text in the header
    assert c.credits[0].startswith("ILLUSTRATIVE DEMO DATA")


@pytest.fixture(scope="module")
def client(real_db):
    from frontwatch.api.app import create_app

    return TestClient(create_app(Settings(database_url=str(real_db))))


def test_route_png_svg_and_etag(client):
    url = "/charts/areas.png?region=donetsk-oblast&from=2025-01-01&to=2025-06-30&width=1000"
    r = client.get(url)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert PILImage.open(io.BytesIO(r.content)).size == (1000, 800)
    assert "Donetsk Oblast" in PILImage.open(io.BytesIO(r.content)).info["Description"]
    again = client.get(url, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    s = client.get("/charts/areas.svg?region=Luhansk%20Oblast&lang=uk")
    assert s.status_code == 200 and s.headers["content-type"].startswith("image/svg+xml")
    assert "Луганська область".encode() in s.content


@pytest.mark.parametrize(("url", "status", "detail"), [
    ("/charts/areas.png", 400, "'region'"),
    ("/charts/areas.png?region=Atlantis", 404, "unknown region"),
    ("/charts/areas.png?region=donbas&from=2025-06-01&to=2025-05-01", 400, "from 2025-06-01 "
     "is after to 2025-05-01"),
    ("/charts/areas.png?region=donbas&to=2025-13-01", 400, "to='2025-13-01': invalid date"),
    ("/charts/areas.png?region=donbas&dpi=9", 400, "dpi"),
    ("/charts/areas.png?region=donbas&source=nope", 404, "unknown source"),
    ("/charts/areas.gif?region=donbas", 400, "'fmt'"),
])
def test_route_errors_are_problems(client, url, status, detail):
    body = problem(client.get(url), status)
    assert detail in body["detail"]
    if "region" in detail and status == 404:
        assert "donbas" in body["suggestions"]


def test_command_writes_the_chart(real_db, tmp_path):
    out = tmp_path / "areas.svg"
    doc = json.loads(run("chart", "--region", "donbas", "--from", "2025-06-01", "-o", str(out),
                         "--json", db=real_db).stdout)
    assert doc["format"] == "svg" and doc["region"] == "donbas" and doc["to"] == "2025-06-30"
    assert out.read_bytes().lstrip().startswith(b"<?xml")
    bad = run("chart", "--region", "donbas", "-o", str(tmp_path / "a.gif"), db=real_db,
              check=False)
    assert bad.returncode == 1 and "unknown suffix" in bad.stderr and bad.stdout == ""
