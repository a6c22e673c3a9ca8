"""No CRS text from an input reaches GDAL's parser (ingest/carried_crs.py): a GeoPackage's
CRS table, a FlatGeobuf header's CRS and a GeoJSON's ``crs`` members are read by Frontwatch,
mapped to a registered CRS (or refused with the `crs` error), and the copy GDAL opens holds
the registry's definition or none. A deny-list (crs.GRID_REFERENCE) cannot name every way a
definition makes PROJ reach out; here it is switched off and the grid still never opens."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import orjson
import pytest
import shapely
from pyproj import CRS, Geod

from frontwatch.errors import InputError
from frontwatch.ingest import ImportOptions, import_paths
from frontwatch.ingest import reader as reader_module
from frontwatch.ingest.limits import Limits
from frontwatch.ingest.reader import read_vector
from frontwatch.ingest.vector import StatusMapping
from frontwatch.store import open_store
from tests import hostile as h
from tests.test_crs_grids import UPLOAD, _run, grid_wkt

GEOD = Geod(ellps="WGS84")
ODD_UTM, BOUND_NTV2, CUSTOM = h.ODD_UTM, h.BOUND_NTV2, h.CUSTOM
NO_CODE = "a CRS with no EPSG code"


def zones() -> gpd.GeoDataFrame:
    """Three zones near Bakhmut, one per status."""
    boxes = [shapely.box(37.9 + 0.2 * i, 48.5, 38.05 + 0.2 * i, 48.65) for i in range(3)]
    return gpd.GeoDataFrame({"state": ["occupied", "contested", "liberated"]},
                            geometry=boxes, crs=4326)


def areas(geoms) -> list[float]:
    return [abs(GEOD.geometry_area_perimeter(g)[0]) for g in geoms]


geopackage, flatgeobuf = h.geopackage_with_crs, h.flatgeobuf_with_wkt


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "grid.gsb"
    os.mkfifo(path)
    return path


@pytest.fixture
def opened(monkeypatch) -> list[bytes]:
    """The bytes of every file GDAL is asked to open during the test."""
    seen: list[bytes] = []
    real = reader_module._read_with_driver

    def spy(fmt, path, origin, limits):
        seen.append(path.read_bytes())
        return real(fmt, path, origin, limits)

    monkeypatch.setattr(reader_module, "_read_with_driver", spy)
    return seen


def _crs_rows(data: bytes) -> list[tuple]:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "copy.gpkg"
        path.write_bytes(data)
        with sqlite3.connect(path) as db:
            return db.execute("SELECT srs_id, organization, organization_coordsys_id, "
                              "definition FROM gpkg_spatial_ref_sys ORDER BY srs_id"
                              ).fetchall()


@pytest.mark.parametrize("code", [4326, 3857, 32637])
@pytest.mark.parametrize("suffix", [".gpkg", ".fgb"])
def test_a_registered_crs_imports_with_the_areas_of_the_geojson(store, tmp_path, suffix,
                                                                 code, opened):
    """The same zones as GeoJSON (lon/lat) and as a GeoPackage or FlatGeobuf in EPSG:4326,
    Web Mercator or UTM 37N give the same geodesic areas; GDAL opened a copy holding only
    the registry's definition (GeoPackage) or no CRS (FlatGeobuf)."""
    (tmp_path / "zones.geojson").write_bytes(zones().to_json().encode())
    path = tmp_path / f"zones{suffix}"
    path.write_bytes(h.vector_bytes(zones().to_crs(code), suffix))
    for i, p in enumerate((tmp_path / "zones.geojson", path)):
        import_paths(store, [p], ImportOptions(
            date=datetime(2025, 6, 10 + i, tzinfo=UTC), source=f"s{i}",
            status=StatusMapping(field="state")))
    ours, theirs = (sorted(areas(z.geometry for z in store.zones(s.id)))
                    for s in sorted(store.snapshots(), key=lambda s: s.source))
    assert ours == pytest.approx(theirs, rel=1e-9)
    assert ours == pytest.approx(sorted(areas(zones().geometry)), rel=1e-9)
    (copy,) = opened
    if suffix == ".gpkg":
        registry = CRS.from_epsg(code).to_wkt("WKT1_GDAL")
        assert (code, "EPSG", code, registry) in _crs_rows(copy)
        assert {r[3] for r in _crs_rows(copy)} == {"undefined", registry}
    else:
        assert not any(k in copy for k in (b"GEOGCRS", b"PROJCRS", b"EPSG", b"WGS 84"))


@pytest.mark.parametrize("suffix", [".gpkg", ".fgb"])
def test_an_odd_wkt_of_a_registered_crs_is_read_from_the_registry(suffix, opened):
    """A WKT PROJ identifies as EPSG:32637 but with text of its own (no ID, a remark naming
    a grid) is read as EPSG:32637: GDAL never sees a byte of it."""
    df = zones().to_crs(CUSTOM if suffix == ".fgb" else 32637)
    data = (flatgeobuf(df, ODD_UTM) if suffix == ".fgb"
            else geopackage(df, ODD_UTM, organization="NONE"))
    assert h.MARKER.encode() in data
    out = read_vector(data, f"zones{suffix}", Limits.from_settings())
    assert areas(out.geometry) == pytest.approx(areas(zones().geometry), rel=1e-9)
    (copy,) = opened
    assert h.MARKER.encode() not in copy and b"ntv2_0" not in copy


@pytest.mark.parametrize("suffix", [".gpkg", ".fgb"])
def test_a_bound_crs_naming_a_grid_is_refused_and_never_parsed_by_gdal(suffix, opened):
    df = zones().to_crs(CUSTOM if suffix == ".fgb" else 32637)
    data = (flatgeobuf(df, BOUND_NTV2) if suffix == ".fgb"
            else geopackage(df, BOUND_NTV2, organization="NONE"))
    with pytest.raises(InputError, match=NO_CODE) as refused:
        read_vector(data, f"zones{suffix}", Limits.from_settings())
    assert h.MARKER not in str(refused.value) and "conus" not in str(refused.value)
    assert opened == []  # refused before GDAL opened anything


DENY_LIST_OFF = """
import re, runpy, sys
import frontwatch.ingest.crs as crs
crs.GRID_REFERENCE = re.compile(rb"(?!)")  # matches nothing
sys.argv = ["frontwatch", *sys.argv[1:]]
runpy.run_module("frontwatch", run_name="__main__")
"""


@pytest.mark.parametrize("suffix", [".gpkg", ".fgb"])
def test_with_the_deny_list_off_a_grid_in_the_crs_is_still_never_opened(tmp_path, fifo,
                                                                         suffix):
    """The breaker trial's WKT (a datum grid at a FIFO, in GDAL's PROJ4_GRIDS EXTENSION),
    where GDAL would parse it (a GeoPackage row of no organisation, a FlatGeobuf CRS of code
    0), with the deny-list matching nothing: the real CLI refuses it with the `crs` error
    and does not block (GDAL opening the FIFO would), and the store holds nothing."""
    df = zones().to_crs(CUSTOM if suffix == ".fgb" else 32637)
    data = (flatgeobuf(df, grid_wkt(fifo)) if suffix == ".fgb"
            else geopackage(df, grid_wkt(fifo), organization="NONE"))
    path = tmp_path / f"zones{suffix}"
    path.write_bytes(data)
    db = tmp_path / "store.sqlite"
    done = _run(["-c", DENY_LIST_OFF, "--db", str(db), "import", str(path), "--date",
                 "2025-06-11", "--status-field", "state", "--source", "crstest"])
    assert done.returncode == 1, done.stdout + done.stderr
    line = done.stderr.strip()
    assert NO_CODE in line and "\n" not in line and str(fifo) not in line
    if db.exists():
        with open_store(db) as store:
            assert store.snapshots() == []


@pytest.mark.parametrize("suffix", [".gpkg", ".fgb"])
def test_an_epsg_code_beside_a_grid_text_is_read_by_the_code(tmp_path, fifo, suffix):
    """A GeoPackage row or FlatGeobuf header with an EPSG code (4326) and, beside it, the
    FIFO-grid WKT (GDAL writes EPSG:3857 with a PROJ string there too): the code is read,
    the text never parsed by anyone (the FIFO would block the import), the zones stored."""
    data = (flatgeobuf(zones(), grid_wkt(fifo)) if suffix == ".fgb"
            else geopackage(zones(), grid_wkt(fifo)))
    path = tmp_path / f"zones{suffix}"
    path.write_bytes(data)
    db = tmp_path / "store.sqlite"
    done = _run(["-m", "frontwatch", "--db", str(db), "import", str(path), "--date",
                 "2025-06-11", "--status-field", "state", "--source", "crstest"])
    assert done.returncode == 0, done.stdout + done.stderr
    with open_store(db) as store:
        (snap,) = store.snapshots()
        got = sorted(areas(z.geometry for z in store.zones(snap.id)))
    assert got == pytest.approx(sorted(areas(zones().geometry)), rel=1e-9)


@pytest.mark.parametrize("suffix", [".gpkg", ".fgb"])
@pytest.mark.parametrize("crs", ["odd", "bound"])
def test_upload_reads_the_registry_crs_or_refuses(tmp_path, suffix, crs):
    """The same through the upload API (a real app, in a subprocess): the odd WKT of UTM
    37N is stored where the zones are, the bound CRS is a 400 naming the CRS and the store
    stays empty."""
    df = zones().to_crs(CUSTOM if suffix == ".fgb" else 32637)
    wkt = ODD_UTM if crs == "odd" else BOUND_NTV2
    data = flatgeobuf(df, wkt) if suffix == ".fgb" else geopackage(df, wkt, "NONE")
    path = tmp_path / f"zones{suffix}"
    path.write_bytes(data)
    db = tmp_path / "api.sqlite"
    done = _run(["-c", UPLOAD, str(db), str(path), path.name])
    assert done.returncode == 0, done.stderr
    answer, count = done.stdout.strip().splitlines()
    if crs == "bound":
        assert answer.startswith("400 application/problem+json") and NO_CODE in answer
        assert h.MARKER not in answer and count == "0"
        return
    assert answer.startswith("201") and count == "1"
    with open_store(db) as store:
        (snap,) = store.snapshots()
        got = sorted(areas(z.geometry for z in store.zones(snap.id)))
    assert got == pytest.approx(sorted(areas(zones().geometry)), rel=1e-9)


def test_a_geopackage_copy_has_no_triggers_and_generated_columns_are_refused(tmp_path,
                                                                              opened):
    """Python's sqlite3 writes the copy: its triggers are dropped first (none fires on our
    rewrite, and none is in what GDAL opens); a generated column (an expression GDAL would
    evaluate for every row read) is refused."""
    path = tmp_path / "zones.gpkg"
    path.write_bytes(geopackage(zones()))
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE log (x)")
        db.execute("CREATE TRIGGER t AFTER DELETE ON gpkg_spatial_ref_sys BEGIN "
                   "INSERT INTO log VALUES (zeroblob(100000000)); END")
    read_vector(path.read_bytes(), "zones.gpkg", Limits.from_settings())
    copy = tmp_path / "copy.gpkg"
    copy.write_bytes(opened[0])
    with sqlite3.connect(copy) as db:
        assert db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
                          ).fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM log").fetchone() == (0,)
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE log ADD COLUMN y GENERATED ALWAYS AS (zeroblob(1000000000))")
    with pytest.raises(InputError, match="generated columns"):
        read_vector(path.read_bytes(), "zones.gpkg", Limits.from_settings())


def _geojson(**members) -> bytes:
    doc = orjson.loads(zones().to_crs(3857).to_json())
    doc.pop("crs", None)
    doc.update(members)
    return orjson.dumps(doc)


def test_a_geojson_crs_member_is_read_by_us_and_gdal_gets_none(opened):
    """Boundary files reach GDAL as GeoJSON: the top-level ``crs`` (an identifier) is read
    by Frontwatch and removed from the copy GDAL opens; a ``CRS`` member in another letter
    case or one inside a geometry (both of which GDAL reads) is refused."""
    name = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    out = read_vector(_geojson(crs=name), "zones.geojson", Limits.from_settings())
    assert areas(out.geometry) == pytest.approx(areas(zones().geometry), rel=1e-9)
    assert b"crs" not in opened[0].lower()
    with pytest.raises(InputError, match="spelt other than 'crs'"):
        read_vector(_geojson(CRS=name), "zones.geojson", Limits.from_settings())
    doc = orjson.loads(_geojson(crs=name))
    doc["features"][0]["geometry"]["crs"] = {"type": "name", "properties": {
        "name": grid_wkt(Path("/nowhere"))}}
    with pytest.raises(InputError, match="inside a feature or geometry"):
        read_vector(orjson.dumps(doc), "zones.geojson", Limits.from_settings())
    assert len(opened) == 1
