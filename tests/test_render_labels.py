"""Place labels on maps: chosen by scale and population from the whole gazetteer, placed
without overlapping (render.labels; static images place them in their own pixels)."""

from __future__ import annotations

import re

import pytest

from frontwatch.render import labels, static
from frontwatch.render import scene as sc
from frontwatch.render.query import ImageSize, parse_query

DAY = "2025-06-30"


def test_min_population_follows_the_scale():
    assert labels.min_population(1100) == 100_000  # Ukraine on 1200 px
    assert labels.min_population(400) == 20_000
    assert labels.min_population(150) == 5_000
    assert labels.min_population(20) == 0  # a hromada: every village
    scales = [s for s, _ in labels.MIN_POPULATION]
    assert scales == sorted(scales, reverse=True)


def test_greedy_keeps_the_first_and_skips_what_overlaps():
    a = [(0, 0, 10, 10)]
    b = [(5, 5, 15, 15), (-20, 0, -1, 10)]  # right overlaps a; left is free
    c = [(8, 8, 12, 12)]  # overlaps a
    d = [(100, 0, 110, 10)]
    assert labels.greedy([a, b, c, d]) == [0, 1, None, 0]
    assert labels.greedy([d], taken=[(105, 5, 200, 200)]) == [None]  # e.g. the legend
    assert not labels.overlaps((0, 0, 10, 10), (10, 0, 20, 10))  # touching is fine


def _no_overlap(boxes):
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not labels.overlaps(a[1], b[1]), (a, b)


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_theatre_image_names_the_cities_without_overlap(rstore, fmt):
    scene = sc.build(rstore, parse_query(DAY, region="theatre"))
    img = static.render_image(scene, fmt, ImageSize())
    names = [n for n, _ in img.labels]
    for city in ("Kyiv", "Kharkiv", "Zaporizhzhia", "Odesa", "Lviv", "Dnipro"):
        assert city in names
    assert 15 <= len(names) <= static.MAX_LABELS
    _no_overlap(img.labels)
    for _, (x0, y0, x1, y1) in img.labels:  # inside the image
        assert 0 <= x0 < x1 <= 1200 and 0 <= y0 < y1 <= 800
    if fmt == "svg":  # each label is a group whose id names the place
        drawn = re.findall(r'<g id="place-\d+-([a-z0-9-]+)"', img.data.decode())
        assert {"kyiv", "kharkiv", "zaporizhzhia"} <= set(drawn)
        assert len(drawn) == len(names)
    # a district GeoNames counts apart (no KATOTTG code) does not push its city out
    assert "Mariupol" in names and "Pravyi Bereh" not in names


def test_hromada_scale_image_names_villages(rstore):
    scene = sc.build(rstore, parse_query(DAY, place="Pokrovsk", radius_km="8"))
    img = static.render_image(scene, "png", ImageSize())
    names = {n for n, _ in img.labels}
    small = {name for name, _lon, _lat, pop in scene.places if pop < 2_000}
    assert "Pokrovsk" in names and len(names & small) >= 3, names
    _no_overlap(img.labels)


def test_small_image_keeps_fewer_labels_apart(rstore):
    scene = sc.build(rstore, parse_query(DAY, region="theatre"))
    small = static.render_image(scene, "png", ImageSize(600, 400))
    big = static.render_image(scene, "png", ImageSize())
    assert 0 < len(small.labels) < len(big.labels)
    _no_overlap(small.labels)


def test_page_carries_candidates_down_to_villages(rstore):
    from frontwatch import render

    page = render.map_page(rstore, parse_query(DAY, place="Pokrovsk", radius_km="8"), "cdn")
    data = re.search(r"\}\)\(\w+, \w+,\s*(\[\[.*?\]\]), (\[\[.*?\]\])\);", page, re.S)
    assert data, "label data missing"
    import json

    places, rule = json.loads(data.group(1)), json.loads(data.group(2))
    assert rule == [list(r) for r in labels.MIN_POPULATION]
    assert places[0][0] == "Pokrovsk" and any(p[3] < 2_000 for p in places)
    theatre = render.map_page(rstore, parse_query(DAY, region="theatre"), "cdn")
    assert '"Kyiv"' in theatre and '"Kharkiv"' in theatre and '"Zaporizhzhia"' in theatre
