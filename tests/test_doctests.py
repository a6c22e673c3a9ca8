"""The examples in the public pure functions' docstrings run, as shapely's do: a docstring
example that no longer matches the code fails here (`pytest --doctest-modules` on these
modules runs the same examples)."""

from __future__ import annotations

import doctest
import importlib

import pytest

PURE = ("frontwatch.geometry", "frontwatch.dates", "frontwatch.text", "frontwatch.precision",
        "frontwatch.cql", "frontwatch.model", "frontwatch.canonical")
# pure functions of modules that are not pure as a whole
PURE_FUNCTIONS = ("frontwatch.analytics.compare.agreement_text",)


@pytest.mark.parametrize("name", PURE)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0


@pytest.mark.parametrize("path", PURE_FUNCTIONS)
def test_pure_function_examples_run(path):
    module, name = path.rsplit(".", 1)
    func = getattr(importlib.import_module(module), name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = doctest.DocTestFinder().find(func, name, globs={name: func})
    for t in tests:
        runner.run(t)
    assert runner.tries > 0 and runner.failures == 0


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


def _public_functions():
    """(name, function) of every public function of the documented API: frontwatch.open()
    and its object's methods, analytics' exports, the pure helpers."""
    import inspect

    import frontwatch.analytics as analytics
    from frontwatch import notebook

    found = [("frontwatch.open", notebook.open)]
    found += [(f"Frontwatch.{n}", f) for n, f in vars(notebook.Frontwatch).items()
              if inspect.isfunction(f) and not n.startswith("_")]
    found += [(f"analytics.{n}", getattr(analytics, n)) for n in analytics.__all__
              if inspect.isfunction(getattr(analytics, n))]
    for name in PURE:
        module = importlib.import_module(name)
        found += [(f"{name}.{n}", f) for n, f in vars(module).items()
                  if inspect.isfunction(f) and not n.startswith("_")
                  and f.__module__ == name]
    return found


@pytest.mark.parametrize(("name", "func"), _public_functions(), ids=lambda v: str(v)[:60])
def test_public_functions_have_numpydoc_sections(name, func):
    """numpydoc, as shapely's: a Parameters section where a function takes any, Returns
    where it returns something."""
    import inspect

    doc = inspect.getdoc(func) or ""
    sig = inspect.signature(func)
    takes = [p for p in sig.parameters if p != "self"]
    if takes:
        assert "Parameters\n----------" in doc, f"{name}: no Parameters section"
        for param in takes:
            assert param in doc, f"{name}: parameter {param!r} is not documented"
    if sig.return_annotation not in ("None", None, inspect.Signature.empty):
        assert "Returns\n-------" in doc, f"{name}: no Returns section"
