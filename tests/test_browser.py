"""Map pages in a real browser: `frontwatch serve` (uvicorn subprocess, real store, local
assets) opened in headless Chromium via Playwright, with every non-loopback request
refused, so the maps are proven to render offline."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import pytest

from frontwatch.render import assets, style
from tests.helpers import free_port, wait_until_serving

pytestmark = pytest.mark.browser
CHROMIUM = os.environ.get("FRONTWATCH_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPO = Path(__file__).resolve().parents[1]
DONETSK, KRAMATORSK = (48.023, 37.802 - 0.08), (48.731, 37.568 - 0.08)  # lat, lon


@pytest.fixture(scope="module")
def server(real_db, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if assets.missing_local():
        pytest.skip("node_modules assets absent: run `npm ci` in the repository")
    port = free_port()
    env = {**os.environ, "FRONTWATCH_ASSETS": "local", "FRONTWATCH_DATABASE_URL": str(real_db)}
    exe = shutil.which("frontwatch") or sys.executable
    cmd = ([exe] if exe.endswith("frontwatch") else [exe, "-m", "frontwatch"]) + [
        "serve", "--port", str(port), "--db", str(real_db)]
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_serving(proc, base)
        except RuntimeError:
            pytest.fail(f"frontwatch serve did not come up: {log.read_text()[-2000:]}")
        if httpx.get(base + "/maps/2025-06-01.html?place=Sloviansk", timeout=120  # a first render
                     ).status_code == 404 \
                and "routes" not in (REPO / "api" / "app.py").read_text():
            pytest.skip("api/app.py does not include api.routes.maps yet")
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def open_page(browser, url: str, width: int = 1200, height: int = 800):
    """A page with console errors and outside requests recorded (and the latter blocked)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))

    def gate(route):
        if route.request.url.startswith("http://127.0.0.1:"):
            route.continue_()
        else:
            page.problems.append(f"outside request {route.request.url}")
            route.abort()

    page.route("**/*", gate)
    page.goto(url, wait_until="networkidle")
    page.wait_for_function("window.frontwatchMap !== undefined")
    return page


def _pixel(page, shot, latlon):
    """Colour of the screenshot where a lat/lon is drawn."""
    x, y = page.evaluate("([la, lo]) => { const p = frontwatchMap.latLngToContainerPoint("
                         "[la, lo]); const r = frontwatchMap.getContainer()"
                         ".getBoundingClientRect(); return [p.x + r.left, p.y + r.top]; }",
                         list(latlon))
    return np.array(shot.getpixel((round(x), round(y)))[:3], dtype=float)


def _blend(fill: str, opacity: float, under: str) -> np.ndarray:
    c = [np.array([int(h[i:i + 2], 16) for i in (1, 3, 5)], dtype=float) for h in (fill, under)]
    return opacity * c[0] + (1 - opacity) * c[1]


def test_single_date_map_renders(browser, server, tmp_path):
    from PIL import Image

    page = open_page(browser, server + "/maps/2025-06-01.html")
    assert page.locator(".leaflet-overlay-pane path, .leaflet-fw-zones-pane path").count() > 3
    assert page.locator("#fw-legend").is_visible()
    assert page.locator("#fw-date").inner_text() == "as of 1 June 2025"
    assert "DeepStateMap" in page.locator("#fw-credit").inner_text()
    assert page.locator(".fw-label", has_text="Kramatorsk").is_visible()
    assert page.locator(".leaflet-control-fullscreen, .leaflet-control-zoom-fullscreen"
                        ).count() == 1
    page.wait_for_timeout(300)
    png = page.screenshot(path=str(tmp_path / "donbas.png"))
    shot = Image.open(io.BytesIO(png)).convert("RGB")
    colours = {"occupied": _blend(style.OCCUPIED, style.OPACITY["occupied"], style.HELD),
               "ukrainian": _blend(style.HELD, 1.0, style.BACKGROUND),
               "background": _blend(style.BACKGROUND, 1.0, style.BACKGROUND)}

    def nearest(c):
        return min(colours, key=lambda k: np.linalg.norm(c - colours[k]))

    assert nearest(_pixel(page, shot, DONETSK)) == "occupied"
    assert nearest(_pixel(page, shot, KRAMATORSK)) == "ukrainian"
    assert page.problems == []


def test_phone_width_keeps_title_and_legend_readable(browser, server):
    page = open_page(browser, server + "/maps/2025-06-01.html?lang=uk", 360, 700)
    title = page.locator("#fw-title").bounding_box()
    legend = page.locator("#fw-legend").bounding_box()
    assert title["width"] <= 360 and legend["width"] <= 360
    assert title["y"] + title["height"] <= legend["y"]  # they do not overlap
    assert "червня" in page.locator("#fw-date").inner_text()
    assert page.problems == []


def test_time_slider_changes_what_is_drawn(browser, server):
    page = open_page(browser, server + "/maps/2025-06-30.html?from=2025-01-06&step=4w")
    zones = ".leaflet-fw-zones-pane path"

    def drawn():
        return page.eval_on_selector_all(zones, "ps => ps.map(p => p.getAttribute('d'))"
                                         ".join('|')")

    assert page.locator("#fw-date").inner_text() == "30 June 2025"
    slider = page.locator(".fw-slider input")
    slider.focus()
    # the drawing to come back to is read after a key press too: on a loaded machine the
    # first paint can still be settling (the map fitting its bounds) when the page is ready
    page.keyboard.press("End")
    last = drawn()
    page.keyboard.press("Home")
    assert page.locator("#fw-date").inner_text() == "6 January 2025"
    first = drawn()
    assert first and first != last
    assert page.locator("#fw-fig-0").inner_text() != ""
    page.keyboard.press("End")
    assert drawn() == last
    assert page.problems == []


def test_compare_and_place_focus(browser, server):
    page = open_page(browser, server + "/maps/2025-06-01.html?compare=2025-03-01")
    assert "Newly occupied since 1 March 2025" in page.locator("#fw-legend").inner_text()
    page2 = open_page(browser, server + "/maps/2025-06-01.html?place=Sloviansk&radius_km=20")
    bounds = page2.evaluate("(() => { const b = frontwatchMap.getBounds(); "
                            "return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()")
    assert bounds[0] < 37.6 < bounds[2] and bounds[1] < 48.85 < bounds[3]  # Sloviansk in view
    assert bounds[2] - bounds[0] < 2.5  # fitted to ~40 km, not all of Donbas
    assert page.problems == [] and page2.problems == []


def _offline_page(browser, url: str, block: str | None = None):
    """A page with every non-loopback request refused (recorded), and `block` (a path
    fragment) refused too, to see what a reader sees when a script fails to load."""
    page = browser.new_page()
    page.problems = []

    def gate(route):
        url = route.request.url
        if url.startswith("http://127.0.0.1:") and not (block and block in url):
            route.continue_()
        else:
            if not (block and block in url):
                page.problems.append(f"outside request {url}")
            route.abort()

    page.route("**/*", gate)
    page.goto(url, wait_until="networkidle")
    return page


def test_api_docs_render_with_no_request_leaving_the_server(browser, server):
    page = _offline_page(browser, server + "/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert "Frontwatch" in page.locator(".swagger-ui .info .title").inner_text()
    redoc = _offline_page(browser, server + "/redoc")
    redoc.wait_for_selector("[role=navigation], .menu-content", timeout=20_000)
    assert page.problems == [] and redoc.problems == []
    assert page.locator(".fw-load-failed").count() == 0


def test_a_page_whose_scripts_do_not_load_says_so(browser, server):
    page = _offline_page(browser, server + "/maps/2025-06-01.html", block="/assets/leaflet/")
    notice = page.locator("p.fw-load-failed[role=alert]")
    notice.wait_for(timeout=10_000)
    assert "did not load" in notice.inner_text()
    docs = _offline_page(browser, server + "/docs", block="/assets/docs/")
    docs.locator("p.fw-load-failed[role=alert]").wait_for(timeout=10_000)
    assert page.problems == [] and docs.problems == []


_LABELS = """() => [...document.querySelectorAll('.fw-label')].map(e => {
  const r = e.getBoundingClientRect(); return [e.innerText, r.left, r.top, r.right, r.bottom]; })"""
_BLOCKS = """() => [...document.querySelectorAll('.fw-panel, .fw-legend, .leaflet-control')]
  .map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"""


def _apart(boxes, blocks):
    def meet(a, b):
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    for i, a in enumerate(boxes):
        assert not any(meet(a[1:], b[1:]) for b in boxes[i + 1:]), a
        assert not any(meet(a[1:], b) for b in blocks if b[2] > b[0]), a


def test_labels_follow_the_zoom_and_never_overlap(browser, server):
    page = open_page(browser, server + "/maps/2025-06-30.html?region=theatre")
    page.wait_for_timeout(300)
    first = page.evaluate(_LABELS)
    names = {b[0] for b in first}
    assert {"Kyiv", "Kharkiv", "Zaporizhzhia", "Odesa", "Lviv"} <= names
    _apart(first, page.evaluate(_BLOCKS))
    page.evaluate("frontwatchMap.setZoom(frontwatchMap.getZoom() + 2, {animate: false})")
    page.wait_for_timeout(500)
    deeper = page.evaluate(_LABELS)
    assert len(deeper) > len(first) / 2 and {b[0] for b in deeper} - names  # towns appear
    _apart(deeper, page.evaluate(_BLOCKS))
    phone = open_page(browser, server + "/maps/2025-06-30.html?region=theatre", 360, 640)
    small = phone.evaluate(_LABELS)
    assert 0 < len(small) < len(first) and "Kyiv" in {b[0] for b in small}
    _apart(small, phone.evaluate(_BLOCKS))
    village = open_page(browser, server + "/maps/2025-06-30.html?place=Pokrovsk&radius_km=8")
    near = {b[0] for b in village.evaluate(_LABELS)}
    assert "Pokrovsk" in near and len(near) >= 5  # the villages around it
    assert page.problems == [] and phone.problems == [] and village.problems == []


# Embeds: a small frame (≤ 600×400) shows one title line and the legend folded behind its
# toggle; at any size the title and legend boxes together cover less than COVER_MAX of the
# map and overlap neither each other nor Leaflet's controls.
COVER_MAX = 0.15
EMBED_SIZES = [(360, 240), (600, 400), (1200, 800)]
CONTROLS = (".leaflet-control-zoom", ".leaflet-control-layers", ".leaflet-control-scale",
            ".leaflet-control-attribution")


def _area(box) -> float:
    return box["width"] * box["height"]


def _overlap(a, b) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def _boxes(page, *selectors):
    return {s: page.locator(s).first.bounding_box() for s in selectors}


@pytest.mark.parametrize("lang", ["en", "uk"])
@pytest.mark.parametrize(("width", "height"), EMBED_SIZES)
def test_embed_sizes_keep_the_map_visible(browser, server, width, height, lang):
    page = open_page(browser, f"{server}/maps/2025-06-01.html?region=donbas&lang={lang}",
                     width, height)
    compact = width <= 600 or height <= 400
    legend = page.locator("#fw-legend")
    assert (legend.get_attribute("open") is None) == compact
    b = _boxes(page, ".leaflet-container", "#fw-title", "#fw-legend", *CONTROLS)
    share = (_area(b["#fw-title"]) + _area(b["#fw-legend"])) / _area(b[".leaflet-container"])
    assert share < COVER_MAX, f"title and legend cover {share:.0%} of the map"
    assert not _overlap(b["#fw-title"], b["#fw-legend"])
    for control in CONTROLS:
        for box in ("#fw-title", "#fw-legend"):
            assert not _overlap(b[box], b[control]), f"{box} covers {control}"
    if compact:  # one line: the title (cut with an ellipsis if need be) and the whole date
        assert b["#fw-title"]["height"] < 24
        assert page.locator("#fw-date").is_visible()
        legend.locator("summary").click()  # the toggle opens it
        assert legend.get_attribute("open") is not None
        assert page.locator("#fw-credit").is_visible()
    assert page.problems == []


def test_ukrainian_map_speaks_ukrainian(browser, server):
    page = open_page(browser, f"{server}/maps/2025-06-01.html?region=donbas&lang=uk", 600, 400)
    scale = page.locator(".leaflet-control-scale-line")
    assert scale.count() == 1 and scale.inner_text().endswith(("км", " м"))
    titles = page.eval_on_selector_all(
        ".leaflet-control a, .leaflet-control button",
        "els => els.map(e => (e.title || '') + ' ' + (e.getAttribute('aria-label') || ''))")
    assert any("Наблизити" in t for t in titles) and any("Шари" in t for t in titles)
    page.locator("#fw-legend summary").click()
    text = page.locator("body").inner_text() + " ".join(titles)
    assert "Легенда" in text and "Межі: © учасники OpenStreetMap" in text
    for english in ("Zoom", "Layers", "Full Screen", "Boundaries", "Places:", "Control data",
                    " km", " mi", " ft", "A JavaScript library"):
        assert english not in text, english
    assert page.problems == []


def test_small_time_lapse_slider_clears_the_legend(browser, server):
    page = open_page(browser, f"{server}/maps/2025-06-30.html?from=2025-01-06&step=4w"
                              "&lang=uk", 360, 240)
    b = _boxes(page, "#fw-title", "#fw-legend", ".fw-slider", *CONTROLS)
    for box in ("#fw-title", "#fw-legend", ".leaflet-control-zoom", ".leaflet-control-scale",
                ".leaflet-control-attribution"):
        assert not _overlap(b[".fw-slider"], b[box]), box
    assert page.problems == []


def test_oembed_iframe_has_the_size_asked(browser, server):
    doc = httpx.get(f"{server}/oembed", params={
        "url": f"{server}/embed/2025-06-01?region=donbas&lang=uk",
        "maxwidth": 360, "maxheight": 240}).json()
    assert (doc["width"], doc["height"]) == (360, 240)
    page = browser.new_page(viewport={"width": 800, "height": 600})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(server)
               else r.abort())
    page.goto(server + "/healthz")  # a page on the server's origin to host the snippet
    page.set_content(f"<!doctype html><body style='margin:0'>{doc['html']}</body>")
    frame_box = page.locator("iframe").bounding_box()
    assert (frame_box["width"], frame_box["height"]) == (360, 240)
    inner = page.frame_locator("iframe")
    inner.locator(".leaflet-container").wait_for()
    assert inner.locator("#fw-legend").get_attribute("open") is None  # folded: small
    assert "червня" in inner.locator("#fw-date").inner_text()
