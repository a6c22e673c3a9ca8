"""Bad input: a precise error naming the file and the reason, or a reported repair — and
the store unchanged."""

from __future__ import annotations

import gzip

import geopandas as gpd
import pytest
import shapely

from frontwatch.errors import InputError
from frontwatch.ingest import ImportOptions, import_paths
from frontwatch.ingest.vector import StatusMapping
from tests.helpers import GREY, OCC, deepstate_fc, square, write


def state(store):
    """Everything a failed import must leave untouched."""
    return ([(s.id, s.content_hash) for s in store.snapshots()],
            store._query("SELECT count(*) FROM zones")[0][0],
            store._query("SELECT count(*) FROM snapshot_layers")[0][0])


def refuse(store, path, match, **opts):
    before = state(store)
    with pytest.raises(InputError, match=match) as info:
        import_paths(store, [path], ImportOptions(**opts))
    assert str(path) in str(info.value), "the error names the file"
    assert state(store) == before
    return info.value


@pytest.fixture
def seeded(store, tmp_path):
    """A store that already holds one snapshot, so 'unchanged' is meaningful."""
    write(tmp_path / "1719835200.geojson", deepstate_fc((OCC, square())))
    import_paths(store, [tmp_path / "1719835200.geojson"], ImportOptions())
    return store


def test_not_json(seeded, tmp_path):
    refuse(seeded, write(tmp_path / "1719900000.geojson", "{this is not json"),
           "not valid JSON")


def test_json_but_not_geojson(seeded, tmp_path):
    refuse(seeded, write(tmp_path / "x.json", {"hello": "world"}), "not GeoJSON",
           status=StatusMapping(status="occupied"), date=None)


def test_empty_file(seeded, tmp_path):
    refuse(seeded, write(tmp_path / "1719900000.geojson", b""), "empty")


def test_empty_collection(seeded, tmp_path):
    refuse(seeded, write(tmp_path / "1719900000.geojson", deepstate_fc()), "no control zones")


def test_swapped_coordinates(seeded, tmp_path):
    swapped = [[y, x] for x, y in square()]
    refuse(seeded, write(tmp_path / "1719900000.geojson", deepstate_fc((OCC, swapped))),
           "lat/lon order")


def test_out_of_range_coordinates(seeded, tmp_path):
    ring = [[x * 10000, y * 10000] for x, y in square()]
    refuse(seeded, write(tmp_path / "1719900000.geojson", deepstate_fc((OCC, ring))),
           "out of lon/lat range")


def test_truncated_gzip(seeded, tmp_path):
    data = gzip.compress(b'{"type": "FeatureCollection", "features": []}' * 50)
    refuse(seeded, write(tmp_path / "1719900000.geojson.gz", data[: len(data) // 2]),
           "truncated gzip")


def test_malformed_geometry(seeded, tmp_path):
    doc = deepstate_fc((OCC, square()))
    doc["features"][0]["geometry"]["coordinates"] = [[[38.0, 48.6]]]
    refuse(seeded, write(tmp_path / "1719900000.geojson", doc), "feature 0 has malformed")


def test_invalid_date(seeded, tmp_path):
    from frontwatch.ingest import parse_date

    with pytest.raises(InputError, match="date='2025-13-01': invalid date"):
        parse_date("2025-13-01")


def test_future_date(seeded, tmp_path):
    refuse(seeded, write(tmp_path / "4102444800.geojson", deepstate_fc((OCC, square()))),
           "in the future")


def test_archive_name_with_impossible_date(seeded, tmp_path):
    refuse(seeded, write(tmp_path / "deepstatemap_data_20251341.geojson",
                         {"type": "FeatureCollection", "features": []}), "invalid date")


def test_unknown_status_value(seeded, tmp_path):
    df = gpd.GeoDataFrame({"state": ["occupied", "purple"]},
                          geometry=[shapely.Polygon(square()), shapely.Polygon(square(0.2))],
                          crs=4326)
    path = tmp_path / "zones.gpkg"
    df.to_file(path)
    refuse(seeded, path, "unknown status 'purple'",
           status=StatusMapping(field="state"), date=None)


def test_vector_needs_a_date(seeded, tmp_path):
    df = gpd.GeoDataFrame({"state": ["occupied"]}, geometry=[shapely.Polygon(square())],
                          crs=4326)
    path = tmp_path / "zones.fgb"
    df.to_file(path)
    refuse(seeded, path, "--date", status=StatusMapping(field="state"))


def test_one_bad_file_aborts_the_whole_import(seeded, tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    write(folder / "1720000000.geojson", deepstate_fc((OCC, square(0.3))))
    write(folder / "1720100000.geojson", "not json")
    before = state(seeded)
    with pytest.raises(InputError, match="1720100000"):
        import_paths(seeded, [folder], ImportOptions())
    assert state(seeded) == before
    report = import_paths(seeded, [folder], ImportOptions(skip_invalid=True))
    assert len(report.added) == 1
    assert any("1720100000" in n and "not valid JSON" in n for n in report.notes)


def test_z_values_are_dropped(store, tmp_path):
    path = write(tmp_path / "1719900000.geojson", deepstate_fc((OCC, square(z=True))))
    import_paths(store, [path], ImportOptions())
    (zone,) = store.zones(store.snapshots()[0].id)
    assert not shapely.has_z(zone.geometry)


def test_self_intersecting_ring_is_repaired_and_reported(store, tmp_path):
    bowtie = [[38.0, 48.6], [38.1, 48.7], [38.1, 48.6], [38.0, 48.7], [38.0, 48.6]]
    path = write(tmp_path / "1719900000.geojson", deepstate_fc((OCC, bowtie), (GREY, square(1))))
    report = import_paths(store, [path], ImportOptions())
    assert any("repaired invalid geometry" in n and "Self-intersection" in n
               for n in report.notes)
    zones = store.zones(report.added[0].id)
    assert all(z.geometry.is_valid for z in zones)
    occupied = next(z for z in zones if z.status == "occupied")
    assert occupied.geometry.area == pytest.approx(0.005, rel=1e-6)  # both lobes kept


def test_a_future_map_date_is_future_date_everywhere():
    """A map dated after today is `future-date` on import and upload, as it is on every
    query (new-user trial: imports said `input-invalid`)."""
    from datetime import UTC, datetime, timedelta

    from frontwatch.errors import FutureDate
    from frontwatch.ingest.prepare import check_valid_at

    with pytest.raises(FutureDate, match=r"is in the future \(today is") as caught:
        check_valid_at(datetime.now(UTC) + timedelta(days=30), "x.geojson")
    assert caught.value.code == "future-date" and str(caught.value).startswith("x.geojson: ")
