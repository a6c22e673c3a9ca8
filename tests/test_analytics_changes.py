"""Diffs, the change log, the front line and places over time, on the real data."""

from __future__ import annotations

from datetime import date

import numpy as np
import orjson
import pytest
import shapely

from frontwatch import geometry
from frontwatch.analytics import (
    CHANGES,
    area,
    changelog,
    diff,
    distance_to_front_km,
    frontline,
    place_status,
    place_timeline,
    places_near_front,
)
from frontwatch.errors import InputError, NotFound

D1, D2 = date(2025, 5, 1), date(2025, 6, 1)


def test_diff_lists_gained_polygons_and_changed_places(real_store):
    res = diff(real_store, "Donetsk Oblast", D1, D2, "deepstate")
    gained = [(g, p) for g, p in res.features if p["change"] == "occupied_gained"]
    assert gained and all(p["change"] in CHANGES for _, p in res.features)
    kms = [p["km2"] for _, p in res.features]
    assert kms == sorted(kms, reverse=True) and res.features[0][1]["rank"] == 1
    top = gained[0][1]
    assert top["description"].startswith(f"{top['km2']:,.1f} km² ")
    assert top["nearest_place"] and top["place_name"] in top["description"]
    # Each piece is measured exactly and lies in the region.
    region = real_store.region("donetsk-oblast").geometry
    for g, p in res.features[:5]:
        assert p["km2"] == pytest.approx(geometry.geodesic_area_km2(g), abs=0.005)  # 2 decimals
        assert region.buffer(1e-9).contains(g)
    # Totals agree with the precomputed areas of the two dates.
    s = res.summary
    change = (area(real_store, "donetsk-oblast", D2, "deepstate")["occupied_km2"]
              - area(real_store, "donetsk-oblast", D1, "deepstate")["occupied_km2"])
    assert s["occupied_net_km2"] == pytest.approx(change, abs=0.01)
    assert s["occupied_gained_km2"] > 100
    # Chasiv Yar was taken in May 2025 (grey zone → occupied).
    changed = {p["slug"]: p for p in res.places_changed}
    assert changed["chasiv-yar"]["after"] == "occupied"
    assert changed["chasiv-yar"]["before"] != "occupied"
    fc = orjson.loads(res.to_geojson())
    assert len(fc["features"]) == len(res.features)
    assert {f["properties"]["change"] for f in fc["features"]} <= set(CHANGES)


def test_diff_refuses_reversed_dates(real_store):
    with pytest.raises(InputError):
        diff(real_store, "donbas", D2, D1)


def test_changelog_adds_up_to_the_series(real_store):
    log = changelog(real_store, "donetsk-oblast", date(2024, 8, 1), date(2024, 8, 31),
                    "deepstate-archive")
    assert len(log) > 15 and (log["occupied_gained_km2"] >= 0).all()
    # `from` starts at 00:00 UTC: the log runs from the state at the end of the day before
    assert log["date"].iloc[0] == date(2024, 8, 1)
    a = area(real_store, "donetsk-oblast", date(2024, 7, 31), "deepstate-archive")
    b = area(real_store, "donetsk-oblast", date(2024, 8, 31), "deepstate-archive")
    assert log["occupied_net_km2"].sum() == pytest.approx(b["occupied_km2"] - a["occupied_km2"],
                                                          abs=0.01)


def test_front_line_is_plausible_and_off_the_border(real_store):
    day = date(2025, 6, 1)
    theatre = real_store.region("theatre").geometry
    outline = geometry.to_equal_area(shapely.boundary(theatre))
    for source in ("deepstate", "deepstate-archive"):
        line, km = frontline(real_store, day, source)
        assert line.geom_type == "MultiLineString"
        assert 900 < km < 1600, (source, km)
        # Nothing of it runs along the international border or the coast.
        coords = shapely.get_coordinates(line)
        pts = geometry.to_equal_area(shapely.points(coords))
        assert shapely.distance(pts, outline).min() > 1500
        # It runs through Donbas and separates occupied ground from the rest.
        assert shapely.intersects(line, real_store.region("donetsk-oblast").geometry)
        longest = max(line.geoms, key=lambda g: g.length)
        assert geometry.geodesic_length_km(longest) > 500


def test_places_over_time(real_store):
    assert place_status(real_store, "Kramatorsk", D2, "deepstate") == "ukrainian"
    assert place_status(real_store, "Донецьк", D2, "deepstate") == "occupied"
    periods = place_timeline(real_store, "chasiv-yar", source="deepstate-archive")
    assert [p["status"] for p in periods] == ["ukrainian", "occupied"]
    assert periods[0]["start"] == date(2024, 7, 8) and periods[-1]["end"] is None
    assert date(2025, 4, 1) < periods[-1]["start"] < date(2025, 6, 30)
    assert periods[0]["end"] == periods[1]["start"].fromordinal(
        periods[1]["start"].toordinal() - 1)
    km = distance_to_front_km(real_store, "kramatorsk", date(2025, 6, 30), "deepstate-archive")
    assert 10 < km < 40
    near = places_near_front(real_store, 15, D2, "deepstate")
    assert near and all(p["distance_km"] <= 15 for p in near)
    assert [p["distance_km"] for p in near] == sorted(p["distance_km"] for p in near)
    assert "kramatorsk" not in {p["slug"] for p in near}
    dists = np.array([p["distance_km"] for p in near])
    assert (dists >= 0).all()


def test_unknown_place_suggests(real_store):
    with pytest.raises(NotFound, match="did you mean"):
        place_status(real_store, "Kramatorks", D2)


def test_front_line_samples_follow_resolve_and_series_can_be_bounded(real_store):
    from frontwatch.analytics.front import frontline_samples, frontline_series

    # From before the history (it starts 2025-01-06) to after its end (2025-06-30), every 3
    # days: the range is clamped to the data at both ends.
    samples = frontline_samples(real_store, date(2024, 12, 1), date(2025, 7, 3), "deepstate", 3)
    assert samples[0][0] == date(2025, 1, 6) and samples[-1][0] == date(2025, 6, 29)
    for day, info in samples:
        assert info.id == real_store.resolve("deepstate", day).id, day
    # Lengths were measured at import: a series measures nothing (a bound of 0 holds).
    df = frontline_series(real_store, date(2025, 6, 1), date(2025, 6, 3), "deepstate", 1,
                          max_lines=0)
    assert len(df) == 3 and all(900 < km < 1600 for km in df["length_km"])
    with pytest.raises(NotFound, match="history starts"):
        frontline_samples(real_store, date(2024, 1, 1), date(2024, 2, 1), "deepstate")
