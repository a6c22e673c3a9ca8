"""Maps of where two sources differ (?compare_source=): the figures in the legend equal the
comparison's, each layer is drawn in its colour where it lies, both sources are credited and
dated, and bad values are problems naming compare_source."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient

from frontwatch import render
from frontwatch.analytics import compare as cmp
from frontwatch.render import scene as sc
from frontwatch.render import style
from frontwatch.render.query import parse_query
from frontwatch.settings import Settings
from tests.test_render_maps import _rgb, closest
from tests.test_render_query import DEUTERANOPIA, _lab, _linear

DAY = "2025-06-01"  # DeepStateMap of that day, NZZ's map of 2025-05-27
KRAMATORSK = (37.568 - 0.08, 48.731)
DONETSK = (37.802 - 0.08, 48.023)  # held since 2014: outside the compared layer


@pytest.fixture(scope="module")
def scene(cstore):
    return sc.build(cstore, parse_query(DAY, region="donetsk-oblast", compare_source="nzz"))


def test_legend_figures_are_the_comparison(cstore, scene):
    want = cmp.compare(cstore, ("deepstate", "nzz"), "donetsk-oblast", date(2025, 6, 1))
    s = want.summary
    got = scene.change_km2
    # the map measures inside the oblast's land as drawn (borders' slivers closed)
    for key, member in (("both", "both_km2"), ("only_a", "only_deepstate_km2"),
                        ("only_b", "only_nzz_km2")):
        assert got[key] == pytest.approx(s[member], rel=2e-3, abs=0.05), key
    assert 100 < got["only_b"] < 2000 and got["both"] > 5000
    assert scene.agreement == pytest.approx(s["agreement"], abs=1e-3)
    assert got["not_compared"] > 5000  # the areas held since 2014 (ORDLO)
    for key in ("both", "only_a", "only_b", "not_compared"):
        assert shapely.is_valid(scene.changes[key]) and not scene.changes[key].is_empty
    # the drawn layers do not overlap one another
    drawn = [scene.changes[k] for k in ("both", "only_a", "only_b", "not_compared")]
    overlap = sum(shapely.area(shapely.intersection(a, b)) for i, a in enumerate(drawn)
                  for b in drawn[i + 1:])
    assert overlap < 1e-4 * sum(shapely.area(g) for g in drawn)


def test_page_names_both_snapshots_their_age_and_credits(cstore, scene):
    page = render.map_page(cstore, parse_query(DAY, region="donetsk-oblast",
                                               compare_source="nzz"), "cdn")
    assert "Occupied since 24 February 2022: Donetsk Oblast, deepstate vs nzz" in page
    assert "deepstate of 2025-06-01 (0 days old)" in page
    assert "nzz of 2025-05-27 (5 days old)" in page
    assert "Control data: DeepStateMap (deepstatemap.live), 2025-06-01" in page
    assert "NZZ" in page and "Occupied since 2022 only per nzz" in page
    for key in ("both", "only_a", "only_b"):
        assert style.km2(scene.change_km2[key]) in page
    # one presentation of agreement everywhere: the 0–1 figure of the tables, named
    assert f"agreement {scene.agreement:.4f} (intersection over union)" in page
    assert f"{100 * scene.agreement:.1f} %" not in page
    assert "the grey zone is not compared" in page


def test_png_draws_each_layer_in_its_colour(cstore, scene):
    from PIL import Image as PILImage

    from frontwatch.render import static

    img = static.render_image(scene, "png")
    pic = PILImage.open(io.BytesIO(img.data)).convert("RGB")
    colours = {k: _rgb(c) for k, c in style.SOURCE_FILLS.items()}
    colours["held"] = _rgb(style.HELD)
    want = cmp.compare(cstore, ("deepstate", "nzz"), "donetsk-oblast", date(2025, 6, 1))
    only_nzz = next(g for g, p in want.features if p["claimed_by"] == "nzz")
    both = shapely.intersection(
        cmp.layer_of(cstore, cstore.resolve("deepstate", date(2025, 6, 1)), cmp.SINCE_2022),
        cmp.layer_of(cstore, cstore.resolve("nzz", date(2025, 6, 1)), cmp.SINCE_2022))
    # well inside each layer: a point the simplified drawing cannot have moved off
    for key, geom in (("only_b", only_nzz), ("both", both)):
        core = shapely.buffer(geometry_m(geom), -1500)
        pt = shapely.point_on_surface(core)
        lon, lat = shapely.get_coordinates(from_m(pt))[0]
        assert closest(pic.getpixel(img.pixel(lon, lat)), colours) == key
    assert closest(pic.getpixel(img.pixel(*DONETSK)), colours) == "not_compared"
    assert closest(pic.getpixel(img.pixel(*KRAMATORSK)), colours) == "held"
    svg = render.map_image(cstore, parse_query(DAY, region="donetsk-oblast",
                                               compare_source="nzz"), "svg").decode()
    assert "Occupied since 2022 only per nzz" in svg and "deepstate vs nzz" in svg


def geometry_m(geom):
    from frontwatch import geometry

    return geometry.to_equal_area(geom)


def from_m(geom):
    from frontwatch import geometry

    return geometry.from_equal_area(geom)


@pytest.fixture(scope="module")
def client(cmp_db):
    return TestClient(create_app(cmp_db))


def create_app(db):
    from frontwatch.api.app import create_app as make

    return make(Settings(database_url=str(db), assets="local"))


def test_api_pages_images_embeds_and_cache(client, cstore):
    r = client.get(f"/maps/{DAY}.html?region=donetsk-oblast&compare_source=nzz")
    assert r.status_code == 200 and "deepstate vs nzz" in r.text
    png = client.get(f"/maps/{DAY}.png?region=donetsk-oblast&compare_source=nzz&width=600")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    plain = client.get(f"/maps/{DAY}.png?region=donetsk-oblast&width=600")
    assert plain.content != png.content
    embed = client.get(f"/embed/{DAY}?region=donetsk-oblast&compare_source=nzz")
    assert embed.status_code == 200 and "compare_source=nzz" in embed.text
    assert "deepstate vs nzz" in embed.text
    page = f"http://testserver/maps/{DAY}.html?compare_source=nzz&region=donetsk-oblast"
    o = client.get("/oembed", params={"url": page})
    assert o.status_code == 200 and "deepstate vs nzz · deepstate of " in o.json()["title"]
    # the cache keys on both sources' revisions: another NZZ map is another page
    a = render.map_page(cstore, parse_query(DAY, region="donetsk-oblast",
                                            compare_source="nzz"), "cdn")
    b = render.map_page(cstore, parse_query("2025-04-02", region="donetsk-oblast",
                                            compare_source="nzz"), "cdn")
    assert a != b and "nzz of 2025-03-29 (4 days old)" in b


@pytest.mark.parametrize("query,needle", [
    ("compare_source=nope", "unknown source"),
    ("compare_source=deepstate", "own source"),
    ("compare_source=nzz&compare=2025-04-01", "cannot be combined"),
    ("compare_source=nzz&from=2025-04-01", "cannot be combined"),
])
def test_bad_compare_source_is_a_problem(client, query, needle):
    for url in (f"/maps/{DAY}.html?{query}", f"/maps/{DAY}.svg?{query}",
                f"/embed/{DAY}?{query}"):
        r = client.get(url)
        assert r.status_code == 400, (url, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert "compare_source" in r.json()["detail"] and needle in r.json()["detail"]


def test_a_source_without_the_layer_is_a_problem(client):
    """NZZ's map of 2024-03-04 mixes in the areas held since 2014: nothing to compare."""
    r = client.get("/maps/2024-03-05.png?compare_source=nzz&region=donetsk-oblast")
    assert r.status_code == 400 and "compare_source" in r.json()["detail"]
    assert "occupied-ordlo" in r.json()["detail"]


def test_palette_of_two_source_maps_distinguishable_in_deuteranopia():
    """Every pair of the two-source map's colours, and the held ground, stays apart
    (ΔE*ab > 20) for a deuteranope, as the one-source palette does."""
    colours = {**style.SOURCE_FILLS, "held": style.HELD}
    sim = {n: _lab(DEUTERANOPIA @ _linear(c)) for n, c in colours.items()}
    names = list(sim)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert np.linalg.norm(sim[a] - sim[b]) > 20, (a, b)


def test_cli_map_with_compare_source(cmp_db, tmp_path):
    from tests.test_cli_data import run

    out = tmp_path / "m.svg"
    run("map", DAY, "--region", "UA14", "--compare-source", "nzz", "-o", str(out), db=cmp_db)
    assert "Occupied since 2022 only per nzz" in out.read_text()
    bad = run("map", DAY, "--compare-source", "nope", "--svg", db=cmp_db, check=False)
    assert bad.returncode == 1 and "compare_source='nope'" in bad.stderr


def test_cli_map_report_and_credits_name_both_revisions_and_ages(cmp_db, cstore, tmp_path,
                                                                 scene):
    """`map --compare-source nzz` reported only the map's own revision: the report (text and
    JSON) names both sources' revisions and their ages on the map's date, and so do the
    image's credits (NZZ's map of 2025-05-27 is 5 days old on 2025-06-01)."""
    import json

    from PIL import Image as PILImage

    from tests.test_cli_data import run

    ds, nzz = cstore.resolve("deepstate", date(2025, 6, 1)), cstore.resolve("nzz",
                                                                            date(2025, 6, 1))
    out = tmp_path / "m.png"
    proc = run("map", DAY, "--region", "UA14", "--compare-source", "nzz", "--width", "600",
               "-o", str(out), "--json", db=cmp_db)
    doc = json.loads(proc.stdout)
    assert (doc["source"], doc["content_hash"], doc["age_days"]) == (
        "deepstate", ds.content_hash, 0)
    assert doc["compare_source"] == {"source": "nzz", "valid_at": nzz.valid_at.isoformat(),
                                     "content_hash": nzz.content_hash, "age_days": 5}
    assert (f"deepstate snapshot of {ds.valid_at:%Y-%m-%d %H:%M} UTC (0 days old) compared "
            f"with nzz snapshot of {nzz.valid_at:%Y-%m-%d %H:%M} UTC (5 days old)"
            ) in proc.stderr
    title = PILImage.open(out).info["Title"]
    assert "deepstate of 2025-06-01 (0 days old)" in title
    assert "nzz of 2025-05-27 (5 days old)" in title
    assert scene.credits[0].startswith("Control data: DeepStateMap")
    assert scene.credits[0].endswith(f"{ds.valid_at:%Y-%m-%d %H:%M} UTC (0 days old)")
    assert "NZZ" in scene.credits[1]
    assert scene.credits[1].endswith(f"{nzz.valid_at:%Y-%m-%d %H:%M} UTC (5 days old)")
    plain = sc.build(cstore, parse_query(DAY, region="donetsk-oblast"))
    assert len(plain.credits) == 3 and plain.credits[0].endswith(" UTC")  # one source: as was
