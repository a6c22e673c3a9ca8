"""The examples in the public pure functions' docstrings run, as shapely's do: a docstring
example that no longer matches the code fails here (`pytest --doctest-modules` on these
modules runs the same examples)."""

from __future__ import annotations

import doctest
import importlib

import pytest

PURE = ("frontwatch.geometry", "frontwatch.dates", "frontwatch.text", "frontwatch.precision",
        "frontwatch.cql")


@pytest.mark.parametrize("name", PURE)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0


def test_round_table_keeps_the_frame_kind():
    """A plain DataFrame stays plain (geopandas gives every DataFrame a set_geometry method,
    so duck typing took it for a GeoDataFrame); a GeoDataFrame keeps geometry and CRS."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    from frontwatch.precision import round_table

    plain = round_table(pd.DataFrame({"occupied_km2": [1.234567], "date": ["2025-06-30"]}))
    assert type(plain) is pd.DataFrame and plain["occupied_km2"].iloc[0] == 1.23
    geo = round_table(gpd.GeoDataFrame({"km2": [2.345678]}, geometry=[shapely.Point(37, 48)],
                                       crs="EPSG:4326"))
    assert isinstance(geo, gpd.GeoDataFrame) and geo.crs == "EPSG:4326"
    assert geo["km2"].iloc[0] == 2.35
