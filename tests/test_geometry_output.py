"""What every writer hands out: geometry valid after rounding, RFC 7946 orientation, short
coordinate text; map layers simplified as a coverage even when the overlays that built them
are not one; numbers with the precision of their quantity."""

from __future__ import annotations

import math

import numpy as np
import orjson
import pandas as pd
import pytest
import shapely

from frontwatch import geometry, precision
from frontwatch.geojson import feature_collection, rfc7946
from frontwatch.render import simplify
from tests.geojson_checks import geometry_problems

# A hole whose lower edge is 0.4 µ° above the shell's: rounding each vertex to 6 decimals
# puts it on the shell's edge (a self-intersection); snap-rounding merges it into a notch.
SHELL = [(37.0, 48.0), (37.1, 48.0), (37.1, 48.1), (37.0, 48.1), (37.0, 48.0)]
HOLE = [(37.04, 48.0000004), (37.06, 48.0000004), (37.05, 48.05), (37.04, 48.0000004)]


def test_rounding_keeps_polygons_valid_where_pointwise_rounding_breaks_them():
    poly = shapely.Polygon(SHELL, [HOLE])
    assert poly.is_valid
    pointwise = shapely.set_precision(poly, 1e-6, mode="pointwise")
    assert not pointwise.is_valid  # what the writers used to publish
    out = geometry.publishable(poly)
    assert out.is_valid and out.geom_type in ("Polygon", "MultiPolygon")
    assert geometry.area_km2(out) == pytest.approx(geometry.area_km2(poly), rel=1e-4)
    coords = shapely.get_coordinates(out)
    assert np.array_equal(coords, np.round(coords, 6))


def test_invalid_input_is_repaired_and_stays_polygonal():
    bowtie = shapely.Polygon([(37, 48), (37.1, 48.1), (37.1, 48), (37, 48.1), (37, 48)])
    out = geometry.publishable(bowtie)
    assert out.is_valid and out.geom_type == "MultiPolygon" and len(out.geoms) == 2
    sliver = shapely.Polygon([(37, 48), (37.1, 48), (37.05, 48.0000001), (37, 48)])
    assert geometry.publishable(sliver).is_empty  # thinner than the grid: dropped, no line
    body = feature_collection([(sliver, {"change": "occupied_gained"})])
    assert b'"geometry":null' in body and not geometry_problems(body)
    assert geometry.publishable(None) is None
    arr = geometry.publishable([shapely.Point(37.12345678, 48.1), None])
    assert arr[0].x == 37.123457 and arr[1] is None


def test_rings_follow_the_right_hand_rule():
    clockwise = shapely.Polygon(SHELL[::-1], [[(37.02, 48.02), (37.03, 48.02),
                                               (37.03, 48.03), (37.02, 48.02)]])
    out = geometry.publishable(clockwise)
    assert out.exterior.is_ccw and not out.interiors[0].is_ccw


def test_coordinates_are_written_with_at_most_6_decimals():
    # GEOS's GeoJSON writer prints this double (the nearest to 48.418018) as
    # 48.418017999999996; ~0.15 % of 6-decimal coordinates are like it.
    assert shapely.to_geojson(shapely.Point(30.5, 48.418018)).count("48.418017999999996")
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(22, 40, 5000), rng.uniform(44, 52, 5000)
    line = shapely.LineString(np.column_stack([lon, lat]))
    (text,) = rfc7946([line])
    numbers = orjson.loads(text)["coordinates"]
    assert all(len(repr(v).split(".")[1]) <= 6 for pair in numbers for v in pair)
    assert not geometry_problems(feature_collection([(line, {})]))


def test_geometry_texts_are_reused_by_content_and_equal_to_a_fresh_write():
    """A geometry already written (the same zone in the next revision) is not snap-rounded
    again: its text comes from the cache, byte-equal to writing it anew, per precision."""
    from frontwatch.geojson import _texts, mapping

    zone = shapely.affinity.translate(shapely.Polygon(SHELL[::-1]), 0.001234, 0.005678)
    fresh = orjson.dumps(mapping(geometry.publishable(zone)))
    first = rfc7946([zone, None, shapely.Polygon()])
    assert first == [fresh, b"null", b"null"]
    hits = _texts.hits
    same = shapely.from_wkb(shapely.to_wkb(zone))  # another object, the same content
    assert rfc7946([same]) == [fresh] and _texts.hits == hits + 1
    coarse = rfc7946([zone], decimals=2)[0]  # another precision: another text
    assert coarse != fresh and _texts.hits == hits + 1
    moved = rfc7946([shapely.affinity.translate(zone, 0.5)])[0]
    assert moved != fresh and orjson.loads(moved)["type"] == "Polygon"


def test_polygon_coordinates_are_those_shapely_maps():
    """`mapping` cuts all rings' vertices out of one array: the same nesting as shapely's
    own `mapping` (tuples there, lists here: the same JSON), holes and parts included."""
    from frontwatch.geojson import mapping

    holed = shapely.Polygon(SHELL, [HOLE, [(37.07, 48.06), (37.08, 48.06), (37.08, 48.07),
                                           (37.07, 48.06)]])
    plain = shapely.affinity.translate(shapely.Polygon(SHELL), 0.5)
    for geom in (holed, plain, shapely.MultiPolygon([holed, plain]),
                 shapely.MultiPolygon([plain, holed, shapely.affinity.translate(holed, 1)])):
        ours = mapping(geom)
        assert orjson.dumps(ours) == orjson.dumps(shapely.geometry.mapping(geom))
        assert isinstance(ours["coordinates"], list)

def test_map_layers_that_are_not_a_coverage_are_simplified_valid():
    # The right box has a vertex on the shared edge that the left one lacks: an overlay
    # leaves exactly this, and coverage simplification of it gives broken rings.
    left = shapely.box(37.0, 48.0, 37.5, 48.5)
    right = shapely.Polygon([(37.5, 48.0), (38.0, 48.0), (38.0, 48.5), (37.5, 48.5),
                             (37.5, 48.25), (37.5, 48.0)])
    assert not shapely.coverage_is_valid([left, right])
    occ, con = simplify.coverage([left, right], tolerance_m=50.0, decimals=4)
    assert occ.is_valid and con.is_valid
    assert geometry.area_km2(shapely.intersection(occ, con)) < 1e-6
    assert geometry.area_km2(occ) == pytest.approx(geometry.area_km2(left), rel=1e-3)


def test_quantities_are_rounded_to_their_precision_everywhere():
    frame = pd.DataFrame({"date": ["2025-06-30"], "snapshot_id": [7],
                          "region_km2": [26527.752876106504], "occupied_pct": [12.345678],
                          "occupied_rate_7d": [math.nan], "length_km": [1136.23456]})
    out = precision.round_table(frame)
    assert out.loc[0, "region_km2"] == 26527.75 and out.loc[0, "occupied_pct"] == 12.35
    assert out.loc[0, "length_km"] == 1136.23 and math.isnan(out.loc[0, "occupied_rate_7d"])
    assert out.loc[0, "snapshot_id"] == 7
    assert out.to_csv(index=False).splitlines()[1] == "2025-06-30,7,26527.75,12.35,,1136.23"
    doc = precision.round_values({"occupied_km2": 1.23456, "region": "donbas", "count": 3})
    assert doc == {"occupied_km2": 1.23, "region": "donbas", "count": 3}
    noise = pd.DataFrame({"contested_km2": [-2.4e-7]})  # float noise of an incremental sum
    assert precision.round_table(noise).to_csv(index=False) == "contested_km2\n0.0\n"
    assert str(precision.round_values({"contested_km2": -2.4e-7})["contested_km2"]) == "0.0"
