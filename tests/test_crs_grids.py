"""A CRS definition an input carries (a Shapefile's .prj, a GeoPackage's CRS table, a
FlatGeobuf header) never reaches GDAL or PROJ with a grid file in it: GDAL follows an
EXTENSION["PROJ4_GRIDS", path] while it parses the definition, so a grid pointed at a FIFO
hung an import for ever and froze a serve worker. Here the grid is a FIFO in tmp_path and
every import or upload runs in a subprocess under a timeout: opening the FIFO would block
it, and the test fails on the timeout."""

from __future__ import annotations

import os
import sqlite3
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests import hostile as h

TIMEOUT = 120  # seconds; a FIFO opened by GDAL would block until it
REFUSED = "a CRS definition that refers to a grid file, PROJ string or GDAL path"


def grid_wkt(grid: Path) -> str:
    """NAD27 whose datum shift is a 'grid' at `grid` (the breaker trial's .prj)."""
    return ('GEOGCS["NAD27",DATUM["North_American_Datum_1927",SPHEROID["Clarke 1866",'
            f'6378206.4,294.9786982138982],EXTENSION["PROJ4_GRIDS","{grid}"]],'
            'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]')


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "grid.gsb"
    os.mkfifo(path)
    return path


def shapefile(prj: str) -> bytes:
    """A zipped Shapefile whose .prj is `prj`."""
    with tempfile.TemporaryDirectory() as d:
        h.frame().to_file(Path(d) / "zones.shp", engine="pyogrio")
        (Path(d) / "zones.prj").write_text(prj)
        return h.zip_of(*((f.name, f.read_bytes()) for f in sorted(Path(d).iterdir())))


def geopackage(definition: str, tmp_path: Path) -> bytes:
    """A GeoPackage whose CRS is `definition` alone (no organisation: GDAL would parse it;
    with an EPSG code GDAL reads the code, see test_crs_carried)."""
    path = tmp_path / "crs.gpkg"
    path.write_bytes(h.vector_bytes(h.frame(), ".gpkg"))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE gpkg_spatial_ref_sys SET definition = ?, organization = 'NONE' "
                   "WHERE srs_id = 4326", (definition,))
    return path.read_bytes()


def flatgeobuf(wkt: str) -> bytes:
    """A FlatGeobuf whose header's CRS is the WKT `wkt` alone (code 0: GDAL would parse it),
    padded into the place of GDAL's WKT of a CRS with no authority."""
    data = h.vector_bytes(h.frame().to_crs("+proj=longlat +ellps=clrk66 +towgs84=1,2,3"),
                          ".fgb")
    at = data.find(b"BOUNDCRS[")
    (size,) = struct.unpack_from("<I", data, at - 4)
    assert len(wkt) <= size
    return data[:at] + wkt.encode().ljust(size) + data[at + size:]


HOSTILE = {
    "shapefile": (lambda fifo, tmp: shapefile(grid_wkt(fifo)), "zones.zip", "its .prj holds"),
    "shapefile-proj4": (lambda fifo, tmp: shapefile(
        'PROJCS["merc",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,'
        '298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],'
        'PROJECTION["Mercator_1SP"],PARAMETER["central_meridian",0],UNIT["metre",1],'
        f'EXTENSION["PROJ4","+proj=longlat +nadgrids={fifo}"]]'), "zones.zip",
        "its .prj holds"),
    "geopackage": (lambda fifo, tmp: geopackage(grid_wkt(fifo), tmp), "zones.gpkg",
                   "its CRS table holds"),
    "flatgeobuf": (lambda fifo, tmp: flatgeobuf(grid_wkt(fifo)), "zones.fgb",
                   "its header holds"),
}


def _run(args: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail("the import blocked: GDAL opened the grid (a FIFO) named in the input")


@pytest.mark.parametrize("kind", HOSTILE)
def test_import_refuses_a_grid_and_never_opens_it(tmp_path, fifo, kind):
    make, name, where = HOSTILE[kind]
    path = tmp_path / name
    path.write_bytes(make(fifo, tmp_path))
    db = tmp_path / "store.sqlite"
    done = _run(["-m", "frontwatch", "--db", str(db), "import", str(path), "--date",
                 "2025-06-11", "--status-field", "state", "--source", "crstest"])
    assert done.returncode == 1, done.stdout + done.stderr
    line = done.stderr.strip()
    assert f"{where} {REFUSED}" in line and "Traceback" not in line
    assert str(fifo) not in line and "PROJ4_GRIDS" not in line  # its text is not echoed


UPLOAD = """
import sys
from fastapi.testclient import TestClient
from frontwatch.api.app import create_app
from frontwatch.settings import Settings

db, path, name = sys.argv[1:]
with TestClient(create_app(Settings(database_url=db, api_token="s3cret"))) as client:
    r = client.post("/v1/snapshots", content=open(path, "rb").read(),
                    headers={"Authorization": "Bearer s3cret"},
                    params={"filename": name, "date": "2025-06-11", "status_field": "state"})
    print(r.status_code, r.headers["content-type"], r.json().get("detail", ""))
    print(client.get("/v1/snapshots").json()["count"])
"""


@pytest.mark.parametrize("kind", ["shapefile", "geopackage"])
def test_upload_refuses_a_grid_and_never_opens_it(tmp_path, fifo, kind):
    make, name, where = HOSTILE[kind]
    path = tmp_path / name
    path.write_bytes(make(fifo, tmp_path))
    done = _run(["-c", UPLOAD, str(tmp_path / "api.sqlite"), str(path), name])
    assert done.returncode == 0, done.stderr
    answer, count = done.stdout.strip().splitlines()
    assert answer.startswith("400 application/problem+json")
    assert f"{where} {REFUSED}" in answer
    assert str(fifo) not in answer
    assert count == "0"


def test_a_registered_prj_is_still_read_and_gdal_never_sees_it(tmp_path):
    """A .prj PROJ identifies (here ESRI's WKT of UTM 36N) is taken from the registry and
    the coordinates reprojected; the data lands where it is."""
    from frontwatch.ingest.limits import Limits
    from frontwatch.ingest.reader import read_vector

    utm = h.frame().to_crs(32636)
    with tempfile.TemporaryDirectory() as d:
        utm.to_file(Path(d) / "zones.shp", engine="pyogrio")
        data = h.zip_of(*((f.name, f.read_bytes()) for f in sorted(Path(d).iterdir())))
    df = read_vector(data, "zones.zip", Limits.from_settings())
    assert df.crs.to_epsg() == 4326
    assert df.geometry.iloc[0].symmetric_difference(h.frame().geometry.iloc[0]).area < 1e-12


def test_pyproj_alone_builds_such_a_crs_without_opening_the_grid(tmp_path, fifo):
    """Why the .prj may be parsed by PROJ (to identify it) but not by GDAL: building the CRS
    object and asking for its EPSG code opens no grid (a FIFO would block)."""
    code = ("import sys; from pyproj import CRS; c = CRS.from_wkt(sys.argv[1]); "
            "print(c.list_authority(min_confidence=100))")
    done = _run(["-c", code, grid_wkt(fifo)])
    assert done.returncode == 0 and done.stdout.strip() == "[]"


@pytest.mark.parametrize("name", ["EPSG:5703", "EPSG:4979", "EPSG:4978", "EPSG:9705"])
def test_only_a_2d_horizontal_crs_is_read(name):
    """A vertical (heights), 3D, geocentric or compound CRS named by a GeoJSON is refused, not
    taken for lon/lat; 2D ones (EPSG:3857, Esri's 102100) are reprojected."""
    from frontwatch.errors import InputError
    from frontwatch.ingest.crs import geojson_crs

    def member(n):
        return {"crs": {"type": "name", "properties": {"name": n}}}

    with pytest.raises(InputError, match="not a 2D horizontal CRS"):
        geojson_crs(member(name), "x")
    assert geojson_crs(member("EPSG:3857"), "x").is_projected
    assert geojson_crs(member("ESRI:102100"), "x").is_projected
