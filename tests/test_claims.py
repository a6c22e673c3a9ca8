"""Every map and chart says only what its source asserts (frontwatch.model.Claims).

NZZ maps only the ground taken since 24 February 2022: the rest of a region is not
Ukrainian-held by its account (it holds Crimea and the areas occupied since 2014), and it
maps no grey zone. The daily archive maps all occupied ground but no grey zone. Only a source
mapping all occupied ground *and* the grey zone (DeepStateMap) makes the rest Ukrainian-held.

The sweep runs every source of the real stores (DeepStateMap raw and its daily archive; the
comparison store's DeepStateMap and NZZ) and the demo, through each output a reader sees — the
map page, its static image, a time-lapse page, the chart, the embed/oEmbed title and a map of
two sources — in both languages, and checks each against the source's claims."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from frontwatch import render
from frontwatch.model import Claims, claims
from frontwatch.render import chart, scene, style
from frontwatch.sources import claims_of

HELD = {"en": "Ukrainian-held", "uk": "Під контролем України"}
SINCE = {"en": "since 24 Feb", "uk": "після 24 лютого 2022"}
DAY = "2025-06-01"


def test_the_vocabulary_follows_what_a_layer_covers():
    assert claims("all", True) == Claims("occupied", True, "ukrainian")
    assert claims("all", False) == Claims("occupied", False, "not_occupied")
    assert claims("since-2022", False) == Claims("occupied_since_2022", False,
                                                 "rest_unstated")
    assert claims("not declared", True).rest == "rest_unstated"  # a user's layer: no claim
    assert claims_of("nzz", False).occupied == "occupied_since_2022"
    assert claims_of("deepstate", True).rest == "ukrainian"
    assert claims_of("my-layer", True, kinds=("occupied", "crimea")).rest == "ukrainian"
    # the Atom feed words a place's status as its source claims it
    from frontwatch import feed
    from frontwatch.model import SnapshotInfo

    now = datetime.now(UTC)
    nzz = SnapshotInfo(1, "nzz", now, now, "h", 1, {"occupied": 3, "contested": 0})
    ds = SnapshotInfo(2, "deepstate", now, now, "h", 1, {"occupied": 3, "contested": 2})
    assert "Ukrainian" not in feed.status_word("ukrainian", nzz)
    assert feed.status_word("occupied", nzz) == "occupied since 24 Feb 2022"
    assert feed.status_word("ukrainian", ds) == "Ukrainian-held"
    assert feed.status_word("occupied", ds) == "occupied"
    for lang in style.LANGS:  # every claim has its words in every language
        t = style.TEXT[lang]
        for key in ("occupied", "occupied_since_2022", "ukrainian", "not_occupied",
                    "rest_unstated", "what_occupied", "what_occupied_since_2022",
                    "desc_ukrainian", "desc_not_occupied", "desc_rest_unstated"):
            assert t[key], (lang, key)


def _text(doc: str | bytes) -> str:
    text = doc.decode() if isinstance(doc, bytes) else doc
    text = re.sub(r"<!--(.*?)-->", r" \1 ", text, flags=re.S)  # matplotlib's SVG: the words
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())  # drawn, as comments


def check(text: str, c: Claims, source: str, lang: str, where: str) -> None:
    """`text` (a page, an SVG, a title) claims nothing `c` does not."""
    held = HELD[lang] in text
    assert held == (c.rest == "ukrainian") or (not held and where == "title"), \
        f"{source} {where} ({lang}): Ukrainian-held {'shown' if held else 'missing'}"
    if c.rest != "ukrainian":
        assert "Ukrainian-held" not in text and "Під контролем України" not in text
        assert "rest Ukrainian" not in text and "решта під контролем" not in text
    if c.occupied == "occupied_since_2022":
        assert SINCE[lang] in text, f"{source} {where} ({lang}): the layer is not named"
        assert "Territorial control" not in text and "Окупована територія:" not in text
    if not c.grey_zone and where != "title":
        grey = style.TEXT[lang]["contested"]
        assert not re.search(re.escape(grey) + r":? ?0(\.0)? (km²|км²)", text), \
            f"{source} {where} ({lang}): a grey zone of 0 km² it does not claim"


def outputs(store, source: str, lang: str, region: str):
    """(name, text) of each output a reader sees of `source`."""
    q = render.parse_query(DAY, region=region, source=source, lang=lang)
    yield "page", _text(render.map_page(store, q, "cdn"))
    yield "image", _text(render.map_image(store, q, "svg", render.parse_size(600, 400, None)))
    yield "title", scene.title_for(store, q)
    first = store.snapshots(source)[0].date.isoformat()
    tl = render.parse_query(DAY, region=region, source=source, lang=lang,
                            start=max(first, "2025-05-25"), step=7)
    yield "time-lapse", _text(render.map_page(store, tl, "cdn"))
    c = chart.build(store, render.parse_chart_query(region, start="2025-05-01", end=DAY,
                                                    source=source, lang=lang))
    yield "chart", _text(chart.render_image(c, "svg", render.parse_size(600, 400, None)).data)


def sweep(store, region: str) -> list[str]:
    swept = []
    for source in store.sources():
        info = store.resolve(source, date(2025, 6, 1))
        c = scene.snapshot_claims(info)
        for lang in style.LANGS:
            for where, text in outputs(store, source, lang, region):
                check(text, c, source, lang, where)
                swept.append(f"{source}/{where}/{lang}")
    return swept


@pytest.mark.shared
def test_real_store_sources_claim_only_what_they_map(rstore):
    swept = sweep(rstore, "donetsk-oblast")
    assert {s.split("/")[0] for s in swept} == {"deepstate", "deepstate-archive"}


@pytest.mark.shared
def test_nzz_claims_only_the_ground_taken_since_2022(cstore):
    swept = sweep(cstore, "donetsk-oblast")
    assert {s.split("/")[0] for s in swept} == {"deepstate", "nzz"}
    page = _text(render.map_page(cstore, render.parse_query(DAY, region="donetsk-oblast",
                                                            source="nzz"), "cdn"))
    assert "Occupied since 24 Feb 2022 (nzz)" in page and "Rest: no claim by nzz" in page
    assert "Contested (grey zone) not in this source" in page
    assert "nzz makes no claim about the rest" in page
    # a map of two sources: each layer is the since-2022 one, the rest claimed by neither
    for lang in style.LANGS:
        two = _text(render.map_page(cstore, render.parse_query(
            DAY, region="donetsk-oblast", compare_source="nzz", lang=lang), "cdn"))
        assert HELD[lang] not in two
        check(two, claims("since-2022", False), "deepstate vs nzz", lang, "two sources")


def test_demo_is_drawn_with_its_own_words(demo_db):
    from frontwatch.store import open_store

    with open_store(demo_db) as store:
        q = render.parse_query(None, source="demo")
        info = scene.resolve_snapshot(store, q)
        page = _text(render.map_page(store, q, "cdn"))
        check(page, scene.snapshot_claims(info), "demo", "en", "page")
