"""The files people actually hold (issue 10): a BOM before JSON, a GeoJSON 2008 `crs` member,
one file of many dates, a two-colour KML with `=ignore`, a KMZ, Esri JSON with a hole. Each
file is made here, small, with the shape the real exports have."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import orjson
import pytest
import shapely
from pyproj import Geod, Transformer

from frontwatch.errors import InputError
from frontwatch.ingest import ImportOptions, import_paths
from frontwatch.ingest.esrijson import polygon_from_rings
from frontwatch.ingest.vector import StatusMapping, parse_mapping
from tests.helpers import SQUARE, square

WHEN = datetime(2025, 6, 1, tzinfo=UTC)
GEOD = Geod(ellps="WGS84")
TO_3857 = Transformer.from_crs(4326, 3857, always_xy=True)


def _fc(*features: dict, **extra) -> dict:
    return {"type": "FeatureCollection", **extra, "features": list(features)}


def _feature(ring: list, **props) -> dict:
    return {"type": "Feature", "properties": props,
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


def _write(path, doc: dict, prefix: bytes = b"") -> None:
    path.write_bytes(prefix + orjson.dumps(doc))


def _state(store):
    return [(s.id, s.content_hash) for s in store.snapshots()]


def _km2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


# --- BOM and crs ----------------------------------------------------------------------------
def test_bom_before_geojson(store, tmp_path):
    path = tmp_path / "esri-export.geojson"
    _write(path, _fc(_feature(square())), prefix=b"\xef\xbb\xbf")
    report = import_paths(store, [path], ImportOptions(date=WHEN, status=StatusMapping(
        status="occupied")))
    assert len(report.added) == 1


def test_bom_before_gzipped_deepstate_api_file(store, tmp_path):
    import gzip

    path = tmp_path / "1748736000.geojson.gz"
    doc = _fc(_feature(square(), name="Окуповано /// Occupied /// geojson.status.occupied"))
    path.write_bytes(gzip.compress(b"\xef\xbb\xbf" + orjson.dumps(doc)))
    report = import_paths(store, [path], ImportOptions())
    assert report.added[0].source == "deepstate"


@pytest.mark.parametrize("name", ["urn:ogc:def:crs:EPSG::3857", "EPSG:3857"])
def test_crs_member_in_web_mercator_is_reprojected(store, tmp_path, name):
    ring = [list(TO_3857.transform(x, y)) for x, y in SQUARE]
    path = tmp_path / "qgis.geojson"
    _write(path, _fc(_feature(ring), crs={"type": "name", "properties": {"name": name}}))
    report = import_paths(store, [path], ImportOptions(date=WHEN, status=StatusMapping(
        status="occupied")))
    zone, = store.zones(report.added[0].id)
    assert zone.geometry.symmetric_difference(shapely.Polygon(SQUARE)).area < 1e-12
    assert any("reprojected from EPSG:3857" in n for n in report.notes)
    assert _km2(zone.geometry) == pytest.approx(_km2(shapely.Polygon(SQUARE)), rel=1e-6)


def test_crs_is_read_by_identifier_and_registered_wkt_only(store, tmp_path):
    """A CRS comes from the registry, by identifier (an OGC URL too); a WKT where a format
    carries one (a Shapefile's .prj, Esri JSON's `wkt`) is used when PROJ identifies it
    fully, as the registry's CRS. A PROJ string is refused (tests/test_hostile_uploads.py)."""
    import geopandas as gpd

    from frontwatch.ingest.crs import esri_crs, geojson_crs

    url = {"crs": {"type": "name", "properties": {
        "name": "http://www.opengis.net/def/crs/EPSG/0/3857"}}}
    assert geojson_crs(url, "x").to_epsg() == 3857
    for older in ("urn:x-ogc:def:crs:EPSG:6.6:3857", "http://www.opengis.net/gml/srs/epsg.xml#3857"):
        named = {"crs": {"type": "name", "properties": {"name": older}}}
        assert geojson_crs(named, "x").to_epsg() == 3857
    esri_wkt = gpd.GeoSeries([], crs=3857).crs.to_wkt("WKT1_ESRI")
    assert esri_crs({"wkt": esri_wkt}, "x").to_epsg() == 3857
    with pytest.raises(InputError, match=r"names a PROJ string \(\d+ characters\)"):
        geojson_crs({"crs": {"type": "name", "properties": {"name": "+proj=merc"}}}, "x")
    shp = tmp_path / "shp"
    shp.mkdir()
    gpd.GeoDataFrame({"state": ["occupied"]}, geometry=[shapely.Polygon(SQUARE)],
                     crs=4326).to_crs(3857).to_file(shp / "zones.shp", engine="pyogrio")
    with zipfile.ZipFile(tmp_path / "zones.zip", "w") as z:
        for f in shp.iterdir():
            z.write(f, f.name)
    report = import_paths(store, [tmp_path / "zones.zip"], ImportOptions(
        date=WHEN, status=StatusMapping(status="occupied")))
    zone, = store.zones(report.added[0].id)
    assert zone.geometry.symmetric_difference(shapely.Polygon(SQUARE)).area < 1e-12


def test_crs84_member_is_lon_lat_and_not_reported(store, tmp_path):
    path = tmp_path / "crs84.geojson"
    _write(path, _fc(_feature(square()), crs={"type": "name", "properties": {
        "name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}))
    report = import_paths(store, [path], ImportOptions(date=WHEN, status=StatusMapping(
        status="occupied")))
    zone, = store.zones(report.added[0].id)
    assert zone.geometry.symmetric_difference(shapely.Polygon(SQUARE)).area == 0
    assert not any("reprojected" in n for n in report.notes)


def test_unknown_crs_is_refused_by_name(store, tmp_path):
    path = tmp_path / "odd.geojson"
    _write(path, _fc(_feature(square()), crs={"type": "name", "properties": {
        "name": "urn:ogc:def:crs:EPSG::999999"}}))
    with pytest.raises(InputError, match="unknown CRS 'urn:ogc:def:crs:EPSG::999999'"):
        import_paths(store, [path], ImportOptions(date=WHEN, status=StatusMapping(
            status="occupied")))
    assert store.snapshots() == []


# --- one file, many dates -------------------------------------------------------------------
def _archive_in_one_file(tmp_path):
    """The daily archive's one-file layout: one feature per day, a `date` property; the
    ground grows by a strip each day."""
    days = ["2025-06-01", "2025-06-02", "2025-06-03"]
    feats = [_feature([[38.0, 48.6], [38.1 + 0.01 * k, 48.6], [38.1 + 0.01 * k, 48.7],
                       [38.0, 48.7], [38.0, 48.6]], date=d) for k, d in enumerate(days)]
    path = tmp_path / "deepstatemap_archive.geojson"
    _write(path, _fc(*feats))
    return path, days


def test_many_dates_in_one_file_are_never_merged_silently(store, tmp_path):
    path, _ = _archive_in_one_file(tmp_path)
    with pytest.raises(InputError, match=r"3 different dates in 'date' \(2025-06-01, "
                       r"2025-06-02, 2025-06-03\).*--date-field date.*--merge-dates"):
        import_paths(store, [path], ImportOptions(date=WHEN, status=StatusMapping(
            status="occupied")))
    with pytest.raises(InputError, match=r"one feature per day.*--status occupied "
                       r"--date-field date"):
        import_paths(store, [path], ImportOptions())
    assert store.snapshots() == []


def test_date_field_makes_one_revision_per_date(store, tmp_path):
    path, days = _archive_in_one_file(tmp_path)
    opts = ImportOptions(status=StatusMapping(status="occupied"), date_field="date")
    report = import_paths(store, [path], opts)
    assert [i.valid_at.date().isoformat() for i in report.added] == days
    areas = [_km2(store.zones(i.id)[0].geometry) for i in report.added]
    assert areas[0] < areas[1] < areas[2]  # each day its own feature, not the union
    assert import_paths(store, [path], opts).added == []  # a second run adds nothing


def test_date_field_is_one_transaction(store, tmp_path):
    path, _ = _archive_in_one_file(tmp_path)
    doc = orjson.loads(path.read_bytes())
    doc["features"][2]["properties"]["date"] = "2025-13-45"
    _write(path, doc)
    with pytest.raises(InputError, match=r"feature 2 has an invalid 'date' \(a 10-character "):
        import_paths(store, [path], ImportOptions(status=StatusMapping(status="occupied"),
                                                  date_field="date"))
    assert store.snapshots() == []


def test_merge_dates_when_told(store, tmp_path):
    path, _ = _archive_in_one_file(tmp_path)
    report = import_paths(store, [path], ImportOptions(
        date=WHEN, merge_dates=True, status=StatusMapping(status="occupied")))
    assert len(report.added) == 1


# --- KML / KMZ ------------------------------------------------------------------------------
def _coords(ring: list, alt: float = 0.0) -> str:
    return " ".join(f"{x},{y},{alt}" for x, y in ring)


def _kml() -> bytes:
    """A hand-made control-zone KML: two styled placemarks, Russian- and Ukrainian-held, in
    nested folders, with 3-D coordinates, a hole in the Russian-held one and ExtendedData."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2">
<Document><name>Control zones</name>
  <Style id="ru"><PolyStyle><color>7f0000ff</color></PolyStyle></Style>
  <Style id="ua"><PolyStyle><color>7fff0000</color></PolyStyle></Style>
  <Folder><name>Donetsk</name><Folder><name>June</name>
    <Placemark><name>Russian-held</name><styleUrl>#ru</styleUrl>
      <ExtendedData><Data name="side"><value>RU</value></Data></ExtendedData>
      <Polygon><outerBoundaryIs><LinearRing><coordinates>{_coords(square(), 120.5)}
      </coordinates></LinearRing></outerBoundaryIs>
      <innerBoundaryIs><LinearRing><coordinates>{_coords(
          [[38.04, 48.64], [38.06, 48.64], [38.06, 48.66], [38.04, 48.66], [38.04, 48.64]])}
      </coordinates></LinearRing></innerBoundaryIs></Polygon></Placemark>
    <Placemark><name>Ukrainian-held</name><styleUrl>#ua</styleUrl>
      <ExtendedData><Data name="side"><value>UA</value></Data></ExtendedData>
      <Polygon><outerBoundaryIs><LinearRing><coordinates>{_coords(square(0.2))}
      </coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
  </Folder></Folder>
</Document></kml>""".encode()


def _named_kml(*names: str) -> bytes:
    marks = "".join(
        f"<Placemark><name>{n}</name><Polygon><outerBoundaryIs><LinearRing><coordinates>"
        f"{_coords(square(0.02 * (i + 1)))}</coordinates></LinearRing></outerBoundaryIs>"
        "</Polygon></Placemark>" for i, n in enumerate(names))
    return (f'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            f"{marks}</Document></kml>").encode()


def test_a_hand_made_kml_is_not_read_as_deepstatemap_by_words_in_its_names(store, tmp_path):
    """'Not occupied' contains 'occupied': a colleague's file must say what its statuses
    are, not have them guessed and land in DeepStateMap's series."""
    path = tmp_path / "names.kml"
    path.write_bytes(_named_kml("Not occupied", "Russian advance"))
    with pytest.raises(InputError, match="--status"):
        import_paths(store, [path], ImportOptions(date=WHEN))
    assert store.snapshots() == []


def test_deepstatemaps_own_kml_export_is_read_by_its_names(store, tmp_path):
    path = tmp_path / "deepstate.kml"
    path.write_bytes(_named_kml("Окуповано /// Occupied /// geoJSON.status.occupied",
                                "Статус невідомий /// Unknown status /// geoJSON.status.unknown"))
    report = import_paths(store, [path], ImportOptions(date=WHEN))
    info = store.snapshots()[0]
    assert len(report.added) == 1 and info.source == "deepstate"
    assert sorted(z.status for z in store.zones(info.id)) == ["contested", "occupied"]


def test_kml_single_status_over_two_styles_is_refused(store, tmp_path):
    path = tmp_path / "zones.kml"
    path.write_bytes(_kml())
    with pytest.raises(InputError, match=r"--status occupied would mark every feature "
                       r"occupied, but their 'styleUrl' holds 2 different values \('#ru', "
                       r"'#ua'\)"):
        import_paths(store, [path], ImportOptions(date=WHEN, status=StatusMapping(
            status="occupied")))
    assert store.snapshots() == []


def test_kml_unmapped_style_is_refused_by_name(store, tmp_path):
    path = tmp_path / "zones.kml"
    path.write_bytes(_kml())
    with pytest.raises(InputError, match="unknown status '#ua' in 'styleUrl'"):
        import_paths(store, [path], ImportOptions(date=WHEN, status=StatusMapping(
            field="styleUrl", mapping=parse_mapping(["#ru=occupied"]))))


@pytest.mark.parametrize("field,mapping", [
    ("styleUrl", ["#ru=occupied", "#ua=ignore"]),
    ("side", ["RU=occupied", "UA=ignore"]),
    ("name", ["Russian-held=occupied", "Ukrainian-held=ignore"]),
])
def test_kml_status_map_ignore(store, tmp_path, field, mapping):
    path = tmp_path / "zones.kml"
    path.write_bytes(_kml())
    report = import_paths(store, [path], ImportOptions(date=WHEN, status=StatusMapping(
        field=field, mapping=parse_mapping(mapping))))
    zone, = store.zones(report.added[0].id)
    assert str(zone.status) == "occupied"
    assert not shapely.has_z(zone.geometry)
    assert len(zone.geometry.geoms[0].interiors if zone.geometry.geom_type == "MultiPolygon"
               else zone.geometry.interiors) == 1  # the hole survived
    assert any("ignored 1 feature(s) mapped to ignore" in n for n in report.notes)


def test_kmz_is_the_zipped_kml(store, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("doc.kml", _kml())
        z.writestr("images/icon-1.png", b"\x89PNG not really")
    path = tmp_path / "My Maps.kmz"
    path.write_bytes(buf.getvalue())
    report = import_paths(store, [path], ImportOptions(date=WHEN, status=StatusMapping(
        field="styleUrl", mapping=parse_mapping(["#ru=occupied", "#ua=ignore"]))))
    assert len(store.zones(report.added[0].id)) == 1


def test_kml_with_entities_is_refused(store, tmp_path):
    path = tmp_path / "laughs.kml"
    path.write_bytes(b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaa">]>'
                     b'<kml><Document><name>&a;</name></Document></kml>')
    with pytest.raises(InputError, match="DTD or entities"):
        import_paths(store, [path], ImportOptions(date=WHEN, status=StatusMapping(
            status="occupied")))


# --- Esri JSON ------------------------------------------------------------------------------
def _esri(rings_lonlat: list[list], wkid: int = 102100, **attrs) -> dict:
    """ArcGIS REST `query?f=json` output: rings in Web Mercator, outer clockwise."""
    def project(ring):
        return [list(TO_3857.transform(x, y)) for x, y in ring]
    return {"objectIdFieldName": "OBJECTID", "geometryType": "esriGeometryPolygon",
            "spatialReference": {"wkid": wkid, "latestWkid": 3857},
            "fields": [{"name": "Control", "type": "esriFieldTypeString"}],
            "features": [{"attributes": {"OBJECTID": 1, **attrs},
                          "geometry": {"rings": [project(r) for r in rings_lonlat]}}]}


OUTER_CW = [[38.0, 48.6], [38.0, 48.7], [38.1, 48.7], [38.1, 48.6], [38.0, 48.6]]
HOLE_CCW = [[38.04, 48.64], [38.06, 48.64], [38.06, 48.66], [38.04, 48.66], [38.04, 48.64]]


def test_esri_json_with_a_hole(store, tmp_path):
    path = tmp_path / "query.json"
    _write(path, _esri([OUTER_CW, HOLE_CCW], Control="Russian Control"), prefix=b"\xef\xbb\xbf")
    report = import_paths(store, [path], ImportOptions(date=WHEN, source="isw", status=(
        StatusMapping(field="Control", mapping=parse_mapping(["Russian Control=occupied"])))))
    zone, = store.zones(report.added[0].id)
    expected = shapely.Polygon(OUTER_CW, [HOLE_CCW])
    assert zone.geometry.symmetric_difference(expected).area < 1e-12
    assert _km2(zone.geometry) == pytest.approx(_km2(expected), rel=1e-6)
    assert any("reprojected from EPSG:3857" in n for n in report.notes)
    assert report.added[0].source == "isw"


def test_esri_rings_two_shells_and_a_hole():
    far = [[x + 0.5, y] for x, y in OUTER_CW]
    geom = polygon_from_rings([OUTER_CW, far, HOLE_CCW])
    assert geom.geom_type == "MultiPolygon"
    assert sorted(len(p.interiors) for p in geom.geoms) == [0, 1]
    assert shapely.is_valid(geom)


def test_esri_json_needs_a_status_and_knows_lon_lat(store, tmp_path):
    doc = {"spatialReference": {"wkid": 4326}, "features": [
        {"attributes": {"Control": "x"}, "geometry": {"rings": [OUTER_CW]}}]}
    path = tmp_path / "layer.json"
    _write(path, doc)
    with pytest.raises(InputError, match=r"Esri JSON: .*give --status"):
        import_paths(store, [path], ImportOptions(date=WHEN))
    report = import_paths(store, [path], ImportOptions(date=WHEN, status=StatusMapping(
        status="occupied")))
    zone, = store.zones(report.added[0].id)
    assert zone.geometry.symmetric_difference(shapely.Polygon(OUTER_CW)).area < 1e-12
    assert not any("reprojected" in n for n in report.notes)
