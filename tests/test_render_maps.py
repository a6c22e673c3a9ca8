"""Map pages and static images from the real data: content, size budgets, geometry
quality, the figures in the legend, colours in the right places, the cache."""

from __future__ import annotations

import io
import re
from datetime import date

import numpy as np
import pytest
import shapely

from frontwatch import geometry, render
from frontwatch.render import scene as sc
from frontwatch.render import style
from frontwatch.render.query import parse_query

DAY = "2025-06-01"
# 6 km west of the city centres (labels are drawn to the right of the markers)
DONETSK, KRAMATORSK = (37.802 - 0.08, 48.023), (37.568 - 0.08, 48.731)


def test_single_date_page_is_complete_and_within_budget(rstore):
    page = render.map_page(rstore, parse_query(DAY), "cdn", "http://h/oembed?url=x")
    assert len(page.encode()) < 400_000
    assert "Territorial control: Donbas" in page and "as of 1 June 2025" in page
    assert "Control data: DeepStateMap (deepstatemap.live)" in page
    assert "© OpenStreetMap contributors" in page
    assert 'type="application/json+oembed"' in page and '<html lang="en">' in page
    assert '<meta name="description" content="Map of Donbas' in page
    for city in ("Kramatorsk", "Sloviansk", "Donetsk", "Pokrovsk"):
        assert f">{city}<" in page or f'"{city}"' in page or city in page
    # only Leaflet and the fullscreen control, nothing else from the internet
    urls = set(re.findall(r'(?:src|href)="(https://[^"]+)"', page))
    assert urls and all("leaflet" in u for u in urls), urls


def test_place_focus_within_budget_and_in_ukrainian(rstore):
    page = render.map_page(rstore, parse_query(DAY, place="Краматорськ", lang="uk"), "cdn")
    assert len(page.encode()) < 150_000
    assert "Краматорськ" in page and "Слов" in page and "1 червня 2025" in page
    assert '<html lang="uk">' in page


def test_timelapse_of_30_steps_within_budget(rstore):
    q = parse_query("2025-06-30", start="2025-01-06", step="6d")
    assert len(q.frames()) == 31
    page = render.map_page(rstore, q, "cdn")
    assert len(page.encode()) < 2_000_000
    frames = re.search(r"var frames = (\[.*?\]);", page).group(1)
    assert frames.count('"label"') == 31 and "6 January 2025" in frames


def test_scene_layers_are_a_clean_coverage(rstore):
    """Simplified occupied/contested never overlap, and stay close to the originals."""
    s = sc.build(rstore, parse_query(DAY))
    occ, con = s.layers["occupied"], s.layers["contested"]
    assert shapely.is_valid(occ) and shapely.is_valid(con)
    assert geometry.area_km2(shapely.intersection(occ, con)) < 0.5
    exact = geometry.polygonal(shapely.clip_by_rect(rstore.layer(s.info.id, "occupied"),
                                                    *s.view))
    rel = abs(geometry.area_km2(occ) - geometry.area_km2(exact)) / geometry.area_km2(exact)
    assert rel < 0.005


def test_legend_figures_match_geodesic_areas(rstore):
    s = sc.build(rstore, parse_query(DAY, region="donetsk-oblast"))
    info = rstore.resolve("deepstate", date(2025, 6, 1))
    oblast = rstore.region("donetsk-oblast").geometry
    occ = shapely.intersection(rstore.layer(info.id, "occupied"), oblast)
    assert s.stats["occupied"] == pytest.approx(geometry.geodesic_area_km2(occ), rel=1e-6)
    assert s.stats["total"] == pytest.approx(26_527.75, rel=1e-4)
    assert s.stats["occupied"] + s.stats["contested"] + s.stats["ukrainian"] == \
        pytest.approx(s.stats["total"])


def test_compare_shows_gains_with_km2(rstore):
    s = sc.build(rstore, parse_query(DAY, compare="2025-03-01"))
    before = rstore.layer(rstore.resolve("deepstate", date(2025, 3, 1)).id, "occupied")
    after = rstore.layer(s.info.id, "occupied")
    expected = geometry.area_km2(shapely.intersection(shapely.difference(after, before),
                                                      s.focus_land))
    assert s.change_km2["gained"] == pytest.approx(expected)
    assert 100 < s.change_km2["gained"] < 5000  # spring 2025: hundreds of km² in Donbas
    page = render.map_page(rstore, parse_query(DAY, compare="2025-03-01"), "cdn")
    assert "Newly occupied since 1 March 2025" in page
    assert style.km2(s.change_km2["gained"]) in page


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def closest(pixel, candidates: dict[str, np.ndarray]) -> str:
    return min(candidates, key=lambda k: np.linalg.norm(np.asarray(pixel[:3]) - candidates[k]))


def test_png_has_expected_colours_in_expected_places(rstore):
    from PIL import Image as PILImage

    from frontwatch.render import static

    img = static.render_image(sc.build(rstore, parse_query(DAY)), "png")
    pic = PILImage.open(io.BytesIO(img.data)).convert("RGB")
    assert pic.size == (1200, 800)
    colours = {k: _rgb(style.FILLS[k]) for k in ("occupied", "contested", "ukrainian")}
    colours["background"] = _rgb(style.BACKGROUND)
    assert closest(pic.getpixel(img.pixel(*DONETSK)), colours) == "occupied"
    assert closest(pic.getpixel(img.pixel(*KRAMATORSK)), colours) == "ukrainian"
    assert closest(pic.getpixel(img.pixel(40.6, 48.0)), colours) == "background"  # Russia


def test_image_sizes_and_svg(rstore):
    q = parse_query(DAY, place="Pokrovsk", radius_km=20)
    png = render.map_image(rstore, q, "png", render.parse_size(600, 400, 150))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image as PILImage
    assert PILImage.open(io.BytesIO(png)).size == (600, 400)
    svg = render.map_image(rstore, q, "svg", render.parse_size(None, None, None)).decode()
    assert svg.lstrip().startswith("<?xml") and "Pokrovsk" in svg


def test_cache_keys_on_snapshot_content(rstore):
    render.cache.clear()
    q = parse_query(DAY, place="Sloviansk")
    a = render.map_page(rstore, q, "cdn")
    b = render.map_page(rstore, q, "cdn")
    assert a is b and render.cache.hits == 1
    # a later date that resolves to another snapshot is a different map
    render.map_page(rstore, parse_query("2025-06-02", place="Sloviansk"), "cdn")
    assert render.cache.misses == 2


def test_demo_data_carries_a_banner(store):
    from frontwatch.bootstrap import load_demo
    from frontwatch.model import DEMO_NOTICE

    load_demo(store)
    page = render.map_page(store, parse_query(None), "cdn")
    assert DEMO_NOTICE in page and 'class="fw-notice"' in page
    png = render.map_image(store, parse_query(None))
    assert png[:4] == b"\x89PNG"
