"""Builders of hostile inputs (written by the tests themselves): bombs, VRTs, zips that hide
other formats, GeoPackages with a hidden reach into the file system, and files of formats
Frontwatch does not document. Each embeds MARKER where it has text, so a test can check that
no error repeats the file's content."""

from __future__ import annotations

import gzip
import io
import sqlite3
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from tests.helpers import OCC, deepstate_fc, square

MARKER = "HOSTILE-MARKER-7f3a"
PASSWD = "/etc/passwd"


def frame(n: int = 1, ring: list | None = None, state: str = "occupied") -> gpd.GeoDataFrame:
    geoms = [shapely.Polygon(ring or square(0.001 * i)) for i in range(n)]
    return gpd.GeoDataFrame({"state": [state] * n}, geometry=geoms, crs=4326)


def vector_bytes(df: gpd.GeoDataFrame, suffix: str) -> bytes:
    """`df` written by GDAL as .gpkg or .fgb."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"zones{suffix}"
        df.to_file(path, engine="pyogrio")
        return path.read_bytes()


def shapefile_zip(df: gpd.GeoDataFrame, extra: tuple[tuple[str, bytes], ...] = ()) -> bytes:
    """A zipped Shapefile of `df`, plus extra members (name, content)."""
    with tempfile.TemporaryDirectory() as d:
        df.to_file(Path(d) / "zones.shp", engine="pyogrio")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(Path(d).iterdir()):
                z.write(f, f.name)
            for name, content in extra:
                z.writestr(name, content)
        return buf.getvalue()


def zip_of(*members: tuple[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in members:
            z.writestr(name, content)
    return buf.getvalue()


def ring(n: int, z: bool = False) -> list:
    """A closed ring of n + 1 positions around Bakhmut."""
    out = [[float(38 + 0.1 * np.cos(a)), float(48.6 + 0.1 * np.sin(a))] + ([0.0] if z else [])
           for a in np.linspace(0, 6.28, n)]
    return [*out, out[0]]


def vrt(source: str, layer: str = "passwd") -> bytes:
    return (f'<OGRVRTDataSource><OGRVRTLayer name="{layer}"><SrcDataSource>{source}'
            f'</SrcDataSource><!-- {MARKER} --></OGRVRTLayer></OGRVRTDataSource>').encode()


def gzip_bomb(size: int) -> bytes:
    """Gzip of `size` zero bytes (multi-member: 1 MiB each), about size / 1000 bytes."""
    return gzip.compress(bytes(1 << 20), 9) * (size >> 20)


def _raw_zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip written field by field: (name, stored data, crc, declared size, method)."""
    out, directory = io.BytesIO(), []
    for name, data, crc, size, method in members:
        raw, at = name.encode(), out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(data),
                              size, len(raw), 0) + raw + data)
        directory.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0,
                                     0, crc, len(data), size, len(raw), 0, 0, 0, 0, 0, at)
                         + raw)
    start, table = out.tell(), b"".join(directory)
    out.write(table + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(directory),
                                  len(directory), len(table), start, 0))
    return out.getvalue()


def zip_bomb(size: int, declared: int | None = None, member: str | None = None) -> bytes:
    """A zipped 'Shapefile' whose .shp inflates to `size` zero bytes (one deflate stream of
    repeated fully-flushed blocks, about size / 1000 bytes); `declared` can understate it.
    With `member` (e.g. 'doc.kml', a KMZ) that one member is the bomb."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(bytes(1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    stream = block * (size >> 20) + c.flush()
    if member:
        return _raw_zip([(member, stream, 0, declared or size, 8)])
    return _raw_zip([("zones.shp", stream, 0, declared or size, 8),
                     ("zones.shx", b"", 0, 0, 0), ("zones.dbf", b"", 0, 0, 0)])


def zip_many_members(n: int) -> bytes:
    return _raw_zip([(f"m{i}.dbf", b"", 0, 0, 0) for i in range(n)])


def gpkg_reaching_out() -> bytes:
    """A GeoPackage whose only feature table is a VirtualOGR table over /etc/passwd."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "evil.gpkg"
        frame().to_file(path, layer="zones", engine="pyogrio")
        con = sqlite3.connect(path)
        con.execute("PRAGMA writable_schema=ON")
        con.execute("INSERT INTO sqlite_master(type, name, tbl_name, rootpage, sql) VALUES "
                    "('table', 'passwd', 'passwd', 0, "
                    f"'CREATE VIRTUAL TABLE passwd USING VirtualOGR(''CSV:{PASSWD}'')')")
        con.execute("UPDATE gpkg_contents SET table_name = 'passwd', identifier = 'passwd'")
        con.execute("UPDATE gpkg_geometry_columns SET table_name = 'passwd'")
        con.commit()
        con.close()
        return path.read_bytes()


def gpkg_with_view() -> bytes:
    """A GeoPackage whose feature layer is a view computing forever (a recursive CTE of
    300 million rows; breaker trial)."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "slow.gpkg"
        frame().to_file(path, layer="zones", engine="pyogrio")
        con = sqlite3.connect(path)
        con.execute("CREATE VIEW slow AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                    "SELECT i + 1 FROM n WHERE i < 300000000) SELECT z.* FROM zones z, n")
        con.execute("UPDATE gpkg_contents SET table_name = 'slow', identifier = 'slow'")
        con.execute("UPDATE gpkg_geometry_columns SET table_name = 'slow'")
        con.commit()
        con.close()
        return path.read_bytes()


def sqlite_not_gpkg() -> bytes:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "plain.sqlite"
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE zones (wkt TEXT, state TEXT)")
        con.execute("INSERT INTO zones VALUES ('POLYGON((38 48, 39 48, 39 49, 38 48))', ?)",
                    (MARKER,))
        con.commit()
        con.close()
        return path.read_bytes()


def deepstate_json(*zones: tuple[str, list]) -> bytes:
    import orjson

    return orjson.dumps(deepstate_fc(*(zones or ((OCC, square()),))))


def nested_json(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def values_bomb(n: int) -> bytes:
    """`[[],[],…]`: tiny on disk, ~60 bytes per element once parsed."""
    return b"[" + b"[]," * n + b"[]]"


GRID_PROJ = f"+proj=longlat +datum=WGS84 +nadgrids={PASSWD}"


def geojson_with_crs(name: str) -> bytes:
    """A GeoJSON whose 2008 `crs` member names `name` (a PROJ string, a path, a WKT …)."""
    import orjson

    doc = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": name}},
           "features": [{"type": "Feature", "properties": {"state": MARKER},
                         "geometry": {"type": "Polygon", "coordinates": [square()]}}]}
    return orjson.dumps(doc)


def grid_wkt(version: str = "WKT2_2019") -> str:
    """A WKT of lon/lat WGS 84 whose datum shift is a 'grid' at a server file."""
    from pyproj import CRS

    return CRS(GRID_PROJ).to_wkt(version)


def esrijson_with_wkt(wkt: str) -> bytes:
    import orjson

    ring = [[x, y] for x, y in square()]
    return orjson.dumps({"geometryType": "esriGeometryPolygon", "spatialReference": {
        "wkt": wkt}, "features": [{"attributes": {"Control": "Russian", "note": MARKER},
                                   "geometry": {"rings": [ring[::-1]]}}]})


def shapefile_with_grid_prj() -> bytes:
    """A zipped Shapefile whose .prj is a WKT naming a grid at a server file."""
    with tempfile.TemporaryDirectory() as d:
        frame().to_file(Path(d) / "zones.shp", engine="pyogrio")
        (Path(d) / "zones.prj").write_text(grid_wkt("WKT1_GDAL"))
        return zip_of(*((f.name, f.read_bytes()) for f in sorted(Path(d).iterdir())))


# CRS definitions a GeoPackage or FlatGeobuf carries (tests/test_crs_carried.py): GDAL
# never parses them, Frontwatch reads them and hands GDAL the registry's definition or none.
# A custom CRS (UTM 37N on WGS 84 with a null datum shift, no authority): GDAL writes its
# WKT with code 0 into a FlatGeobuf, the case where GDAL would parse the header's WKT.
CUSTOM = CRS.from_proj4("+proj=tmerc +lat_0=0 +lon_0=39 +k=0.9996 +x_0=500000 +y_0=0 "
                        "+ellps=WGS84 +towgs84=0,0,0 +units=m +no_defs")
_UTM = CRS.from_epsg(32637).to_wkt()
# UTM 37N without its ID and with a remark naming a grid: no word the deny-list knows, and
# PROJ identifies it as EPSG:32637 with full confidence.
ODD_UTM = _UTM[:_UTM.rindex(',ID["EPSG"')] + f',REMARK["{MARKER} ntv2_0.gsb"]]'
# NAD27 bound to WGS 84 by an NTv2 grid named as a plain parameter value (no PARAMETERFILE,
# no EXTENSION): not deny-listed, and no registered CRS.
_GEOG = ('GEOGCRS["{0}",DATUM["{1}",ELLIPSOID["{2}",{3}]],CS[ellipsoidal,2],'
         'AXIS["longitude",east],AXIS["latitude",north],ANGLEUNIT["degree",0.0174532925199433]]')
BOUND_NTV2 = ("BOUNDCRS[SOURCECRS["
              + _GEOG.format("NAD27", "North American Datum 1927", "Clarke 1866",
                             "6378206.4,294.978698213898") + "],TARGETCRS["
              + _GEOG.format("WGS 84", "World Geodetic System 1984", "WGS 84",
                             "6378137,298.257223563") + f'],ABRIDGEDTRANSFORMATION["{MARKER}",'
              'METHOD["NTv2",ID["EPSG",9615]],PARAMETER["Latitude and longitude difference '
              'file","conus",ID["EPSG",8656]]]]')


def geopackage_with_crs(df: gpd.GeoDataFrame, definition: str | None = None,
                        organization: str | None = None) -> bytes:
    """`df` as a GeoPackage; its CRS row's definition and organisation replaced if given."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "zones.gpkg"
        path.write_bytes(vector_bytes(df, ".gpkg"))
        srs = df.crs.to_epsg() or 100000
        with sqlite3.connect(path) as db:
            if definition is not None:
                db.execute("UPDATE gpkg_spatial_ref_sys SET definition = ? WHERE srs_id = ?",
                           (definition, srs))
            if organization is not None:
                db.execute("UPDATE gpkg_spatial_ref_sys SET organization = ? WHERE "
                           "srs_id = ?", (organization, srs))
        return path.read_bytes()


def flatgeobuf_with_wkt(df: gpd.GeoDataFrame, wkt: str | None = None) -> bytes:
    """`df` as a FlatGeobuf; the header's WKT replaced by `wkt` (padded into its place)."""
    data = vector_bytes(df, ".fgb")
    if wkt is None:
        return data
    at = min(i for i in (data.find(b"BOUNDCRS["), data.find(b"PROJCRS["),
                         data.find(b"GEOGCRS[")) if i > 0)
    (size,) = struct.unpack_from("<I", data, at - 4)
    assert len(wkt) <= size
    return data[:at] + wkt.encode().ljust(size) + data[at + size:]


def gpkg_with_generated_column() -> bytes:
    """A GeoPackage with a generated column GDAL would compute for every row (2 GB each)."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "zones.gpkg"
        path.write_bytes(vector_bytes(frame(), ".gpkg"))
        with sqlite3.connect(path) as con:
            con.execute("ALTER TABLE zones ADD COLUMN big GENERATED ALWAYS AS "
                        "(zeroblob(2000000000))")
        return path.read_bytes()


def _fc(*props: dict, ring: list | None = None, **members: object) -> bytes:
    import orjson

    return orjson.dumps({"type": "FeatureCollection", **members, "features": [
        {"type": "Feature", "properties": p,
         "geometry": {"type": "Polygon", "coordinates": [ring or square(0.01 * i)]}}
        for i, p in enumerate(props)]})


def _kml(coordinates: str) -> bytes:
    return (f'<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>a'
            f'</name><Polygon><outerBoundaryIs><LinearRing><coordinates>{coordinates}'
            '</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document>'
            '</kml>').encode()


def _dated_frame(value: str) -> gpd.GeoDataFrame:
    df = frame()
    df["date"] = value
    return df


_RING = " ".join(f"{x},{y}" for x, y in square())
_VECTOR = {"status": "occupied", "date": "2025-06-01"}
_BY_DATE = {"status": "occupied", "date_field": "date"}
# (where, build, upload name, message pattern, options): MARKER in a field of the content
# that reaches an error (neither a status value nor a field name, the two quoted short).
# Those read with --date-field are imports only (the upload has no date_field).
MARKER_IN_CONTENT = [
    ("kml-coordinate", lambda: _kml(f"{MARKER},48.6 {_RING}"), "zones.kml",
     r"placemark 0: coordinate 0 is not lon,lat\[,alt\] \(a 24-character value\)", _VECTOR),
    ("kml-coordinate-commas", lambda: _kml(f"{_RING} 38,48.6,,,,,,{MARKER}"), "zones.kml",
     "coordinate 5 is not lon,lat", _VECTOR),
    ("geojson-mixed-dates", lambda: _fc({"date": MARKER}, {"date": "2025-06-01"}),
     "zones.geojson", r"2 different dates in 'date' \(2025-06-01, \(a 19-character", _VECTOR),
    ("geojson-type", lambda: _fc({"state": "occupied"}, type=MARKER), "zones.geojson",
     "not", _VECTOR),
    ("geojson-crs-type", lambda: _fc({"state": "occupied"}, crs={
        "type": MARKER, "properties": {"name": "EPSG:4326"}}),
     "zones.geojson", r"'crs' member has type \(a 19-character value\)", _VECTOR),
    ("deepstate-envelope-datetime", lambda: __import__("orjson").dumps(
        {"id": 1, "datetime": MARKER, "map": deepstate_fc((OCC, square()))}), "envelope.json",
     r"invalid 'datetime' \(a 19-character value\)", {}),
    ("nzz-date", lambda: __import__("orjson").dumps({"value": {
        "type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
            "date": MARKER, "type": "nochange", "view": "daily"}, "geometry": {
            "type": "Polygon", "coordinates": [square()]}}]}}), "map.json",
     r"invalid properties.date \(a 19-character value\)", {}),
]
MARKER_IN_DATE_FIELD = [
    ("geojson-date", lambda: _fc({"date": MARKER}), "zones.geojson",
     r"feature 0 has an invalid 'date' \(a 19-character value\)", _BY_DATE),
    ("gpkg-date", lambda: vector_bytes(_dated_frame(MARKER), ".gpkg"), "zones.gpkg",
     r"invalid 'date' \(a 19-character value\)", _BY_DATE),
    ("fgb-date", lambda: vector_bytes(_dated_frame(MARKER), ".fgb"), "zones.fgb",
     r"invalid 'date' \(a 19-character value\)", _BY_DATE),
    ("shapefile-date", lambda: shapefile_zip(_dated_frame(MARKER)), "zones.zip",
     r"invalid 'date' \(a 19-character value\)", _BY_DATE),
]
