"""The CRSs the OGC API offers (frontwatch.crs): URIs and their spellings, EPSG:4326's
lat/lon axis order, Web Mercator against pyproj, bbox-crs boxes brought to lon/lat."""

from __future__ import annotations

import pytest
import shapely
from pyproj import Transformer

from frontwatch import crs
from frontwatch.errors import InputError


@pytest.mark.parametrize(("text", "uri"), [
    (None, crs.CRS84), ("", crs.CRS84), ("[OGC:CRS84]", crs.CRS84),
    ("http://www.opengis.net/def/crs/EPSG/0/4326", crs.EPSG_4326),
    ("EPSG:3857", crs.EPSG_3857), ("[EPSG:3857]", crs.EPSG_3857),
])
def test_spellings(text, uri):
    assert crs.parse(text, "crs").uri == uri


def test_unknown_crs_names_the_parameter_and_the_choices():
    with pytest.raises(InputError, match=r"^bbox-crs='EPSG:32637': unsupported.*3857"):
        crs.parse("EPSG:32637", "bbox-crs")


def test_epsg_4326_is_lat_lon_and_3857_matches_pyproj():
    kramatorsk = shapely.Point(37.5678, 48.7311)
    swapped = crs.from_crs84(kramatorsk, crs.parse("EPSG:4326", "crs"))
    assert (swapped.x, swapped.y) == pytest.approx((48.7311, 37.5678), abs=1e-12)
    merc = crs.from_crs84(kramatorsk, crs.parse("EPSG:3857", "crs"))
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(
        37.5678, 48.7311)
    assert (merc.x, merc.y) == pytest.approx((x, y), abs=1e-6)
    back = crs.to_crs84(merc, crs.parse("EPSG:3857", "crs"))
    assert (back.x, back.y) == pytest.approx((37.5678, 48.7311), abs=1e-9)
    many = crs.from_crs84([kramatorsk, None], crs.parse("EPSG:3857", "crs"))
    assert many[1] is None and many[0].equals_exact(merc, 1e-9)


def test_bbox_in_other_crs_becomes_lon_lat():
    assert crs.bbox("48,37,49,38", crs.parse("EPSG:4326", "bbox-crs")) == pytest.approx(
        (37, 48, 38, 49))
    tr = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    (x0, x1), (y0, y1) = tr.transform([37, 38], [48, 49])
    box = crs.bbox(f"{x0},{y0},{x1},{y1}", crs.parse("EPSG:3857", "bbox-crs"))
    assert box == pytest.approx((37, 48, 38, 49), abs=1e-9)


@pytest.mark.parametrize(("text", "says"), [
    ("1,2,3", "expected 4 numbers"), ("a,b,c,d", "expected 4 numbers"),
    ("100,37,101,38", "outside"), ("49,38,48,37", "minimum greater"),
])
def test_bad_boxes(text, says):
    with pytest.raises(InputError, match=f"^invalid bbox .*{says}"):
        crs.bbox(text, crs.parse("EPSG:4326", "bbox-crs"))
