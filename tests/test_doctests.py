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
