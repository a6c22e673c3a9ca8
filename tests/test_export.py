"""Exports on the real data: every format, validity periods, sibling files."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pyogrio
import pytest

from frontwatch.export import export
from tests.test_cli_data import run

RANGE = dict(region="Donetsk Oblast", start=date(2025, 5, 1), end=date(2025, 6, 30),
             source="deepstate-archive")


def test_geopackage_layers_and_periods(real_store, tmp_path):
    path = tmp_path / "out.gpkg"
    assert export(real_store, "gpkg", path, **RANGE) == [path]
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert layers == {"zones", "places", "areas"}
    zones = pyogrio.read_dataframe(path, layer="zones")
    assert set(zones["status"]) == {"occupied"}
    frm, to = pd.to_datetime(zones["valid_from"]), pd.to_datetime(zones["valid_to"])
    assert frm.min() == pd.Timestamp("2025-05-01") and to.max() == pd.Timestamp("2025-06-30")
    # Periods tile the range without overlap.
    assert ((frm.iloc[1:].values - to.iloc[:-1].values) == pd.Timedelta(days=1)).all()
    places = pyogrio.read_dataframe(path, layer="places")
    chasiv = places[places["slug"] == "chasiv-yar"]
    assert list(chasiv["status"]) == ["ukrainian", "occupied"]
    areas = pyogrio.read_dataframe(path, layer="areas")
    assert len(areas) == 61 and set(areas["region"]) == {"donetsk-oblast"}


@pytest.mark.parametrize("fmt", ["parquet", "fgb", "csv"])
def test_single_layer_formats_write_siblings(real_store, tmp_path, fmt):
    path = tmp_path / f"out.{fmt}"
    files = export(real_store, fmt, path, **RANGE)
    assert files[0] == path and len(files) == 3 and all(f.exists() for f in files)
    assert files[1].name == f"out_places.{fmt}"
    if fmt == "parquet":
        import geopandas as gpd

        zones = gpd.read_parquet(path)
        assert zones.crs.to_epsg() == 4326 and "valid_to" in zones
    elif fmt == "csv":
        zones = pd.read_csv(path)
        assert zones["wkt"].str.startswith("MULTIPOLYGON").all()


def test_export_cli(real_db, tmp_path):
    out = tmp_path / "x.fgb"
    doc = json.loads(run("export", "--format", "fgb", "-o", str(out), "--region", "donbas",
                         "--from", "2025-06-01", "--to", "2025-06-10", "--json",
                         db=real_db).stdout)
    assert doc["files"][0] == str(out) and doc["files"][2].endswith("_areas.csv")
    assert len(pyogrio.read_dataframe(out)) >= 2  # occupied and contested


def test_notebook_api(real_db):
    import frontwatch

    with frontwatch.open(real_db) as fw:
        df = fw.areas("Donetsk Oblast", "2025-06-01", "2025-06-30", "deepstate-archive")
        assert len(df) == 30
        d = fw.diff("donetsk-oblast", "2025-05-01", "2025-06-01")
        assert d.crs.to_epsg() == 4326 and "change" in d and d.attrs["summary"]["to"]
        snap = fw.snapshot("2025-06-01", region="kramatorskyi-raion")
        assert set(snap["status"]) <= {"occupied", "contested", "liberated"} and len(snap)
