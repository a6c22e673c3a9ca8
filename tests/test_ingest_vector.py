"""Any vector file with a user-given status mapping: GeoJSON (read as JSON) and the formats
pyogrio reads go through the same status assignment."""

from __future__ import annotations

from datetime import UTC, datetime

import geopandas as gpd
import pytest
import shapely

from frontwatch.errors import InputError
from frontwatch.ingest import ImportOptions, import_paths
from frontwatch.ingest.vector import StatusMapping, parse_mapping
from tests.helpers import square

WHEN = datetime(2025, 6, 1, tzinfo=UTC)


def _frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"state": ["Occupied", "Grey", "ORDLO"]},
        geometry=[shapely.Polygon(square()), shapely.Polygon(square(0.2)),
                  shapely.Polygon(square(0.4))], crs=4326)


@pytest.mark.parametrize("suffix", ["geojson", "gpkg", "fgb"])
def test_status_field_and_mapping(store, tmp_path, suffix):
    path = tmp_path / f"zones.{suffix}"
    _frame().to_file(path)
    opts = ImportOptions(date=WHEN, source="mine", status=StatusMapping(
        field="state", mapping=parse_mapping(["Grey=contested"])))
    report = import_paths(store, [path], opts)
    zones = store.zones(report.added[0].id)
    assert sorted((str(z.status), z.kind) for z in zones) == [
        ("contested", "contested"), ("occupied", "occupied"), ("occupied", "ordlo")]
    assert report.added[0].source == "mine"


@pytest.mark.parametrize("suffix", ["geojson", "gpkg"])
def test_feature_without_the_status_property(store, tmp_path, suffix):
    df = _frame()
    df.loc[1, "state"] = None
    path = tmp_path / f"zones.{suffix}"
    df.to_file(path)
    opts = ImportOptions(date=WHEN, status=StatusMapping(field="state"))
    with pytest.raises(InputError, match="feature 1 has no 'state' property"):
        import_paths(store, [path], opts)
    assert store.snapshots() == []
