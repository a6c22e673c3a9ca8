"""Exports on the real data: every format, validity periods, sibling files, and each file
read back through GDAL (pyogrio) the way QGIS reads it."""

from __future__ import annotations

import json
from datetime import date, timedelta

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from frontwatch.export import export, zones_frame
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
    frm, to = zones["valid_from"], zones["valid_to"]
    # Half-open UTC days; 30 June is the archive's newest day, so its state is left open.
    assert frm.min() == pd.Timestamp("2025-05-01", tz="UTC")
    assert to.isna().sum() == 1 and pd.isna(to.iloc[-1])
    # Periods tile the range: each starts where the one before ends, none is empty.
    assert (frm.iloc[1:].array == to.iloc[:-1].array).all()
    assert (to.iloc[:-1] > frm.iloc[:-1]).all()
    places = pyogrio.read_dataframe(path, layer="places")
    chasiv = places[places["slug"] == "chasiv-yar"]
    assert list(chasiv["status"]) == ["ukrainian", "occupied"]
    areas = pyogrio.read_dataframe(path, layer="areas")
    assert len(areas) == 61 and set(areas["region"]) == {"donetsk-oblast"}


@pytest.mark.parametrize("fmt", ["parquet", "fgb", "csv"])
def test_single_layer_formats_write_siblings(real_store, tmp_path, fmt):
    path = tmp_path / f"out.{fmt}"
    files = export(real_store, fmt, path, **RANGE)
    assert files[0] == path and all(f.exists() for f in files)
    assert files[1].name == f"out_places.{fmt}"
    sidecars = {f.name for f in files[3:]}
    assert sidecars == {"csv": {"out.csvt", "out.prj", "out_places.csvt", "out_places.prj",
                                "out_areas.csvt"},
                        "fgb": {"out_areas.csvt"}, "parquet": set()}[fmt]
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


def test_export_into_a_missing_folder_is_refused(real_db, tmp_path):
    out = tmp_path / "nowhere" / "x.gpkg"
    proc = run("export", "--format", "gpkg", "-o", str(out), "--region", "bakhmutskyi-raion",
               db=real_db, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"no folder {out.parent}" in proc.stderr
    assert not out.parent.exists()  # nothing made, like every other -o


def test_notebook_api(real_db):
    import frontwatch

    with frontwatch.open(real_db) as fw:
        df = fw.areas("Donetsk Oblast", "2025-06-01", "2025-06-30", "deepstate-archive")
        assert len(df) == 30
        d = fw.diff("donetsk-oblast", "2025-05-01", "2025-06-01")
        assert d.crs.to_epsg() == 4326 and "change" in d and d.attrs["summary"]["to"]
        snap = fw.snapshot("2025-06-01", region="kramatorskyi-raion")
        assert set(snap["status"]) <= {"occupied", "contested", "liberated"} and len(snap)


# --- Every format read back with GDAL: types, CRS, counts, and the state of each day -------

SWEEP = dict(region="bakhmutskyi-raion", source="deepstate")  # the whole 2025 record
FORMATS = ("gpkg", "fgb", "csv", "parquet")


@pytest.fixture(scope="module")
def exported(real_db, tmp_path_factory):
    """The sweep's export in every format (written once): {format: zones file}."""
    from frontwatch.store import open_store

    folder = tmp_path_factory.mktemp("exports")
    with open_store(real_db) as store:
        return {fmt: export(store, fmt, folder / f"z.{fmt}", **SWEEP)[0] for fmt in FORMATS}


def read_zones(path) -> gpd.GeoDataFrame:
    """A zones file as GDAL (QGIS) reads it; GeoParquet through GDAL where this GDAL has
    the Parquet driver, else through pyarrow (geopandas)."""
    if path.suffix == ".parquet" and "Parquet" not in pyogrio.list_drivers():
        return gpd.read_parquet(path)
    return pyogrio.read_dataframe(path, layer="zones" if path.suffix == ".gpkg" else None)


@pytest.mark.parametrize("fmt", ["gpkg", "fgb", "csv"])
def test_gdal_types_crs_and_counts(real_store, exported, fmt):
    path = exported[fmt]
    info = pyogrio.read_info(path, layer="zones" if fmt == "gpkg" else None)
    types = dict(zip(info["fields"], info["dtypes"]))
    assert types["valid_from"] == types["valid_to"] == "datetime64[ms]"  # not text
    assert types["area_km2"] == "float64" and types["snapshot_id"] == "int64"
    assert info["crs"] == "EPSG:4326"  # CSV: from the .prj
    assert info["geometry_type"] in ("MultiPolygon", "Unknown")  # CSV: WKT of any type
    zones = read_zones(path)
    assert zones.crs.equals("EPSG:4326")
    assert str(zones["valid_from"].dtype) == "datetime64[ms, UTC]"  # the `Z` was read
    assert len(zones) == info["features"] == len(zones_frame(
        real_store, "deepstate", _region(real_store)))
    assert shapely.is_valid(zones.geometry.values).all()
    assert set(zones.geom_type) <= {"Polygon", "MultiPolygon"}
    if fmt != "gpkg":
        places = pyogrio.read_dataframe(path.with_name(f"z_places.{fmt}"))
        assert str(places["population"].dtype) == "int64" and places.crs.equals("EPSG:4326")
    if fmt == "gpkg":  # what QGIS parses: ISO 8601 in UTC
        import sqlite3

        with sqlite3.connect(path) as db:
            frm, to = db.execute("SELECT valid_from, valid_to FROM zones ORDER BY valid_from "
                                 "LIMIT 1").fetchone()
        assert frm.endswith("Z") and to.endswith("Z") and frm < to


def _region(store):
    from frontwatch.analytics.common import region_of

    return region_of(store, SWEEP["region"], None)


@pytest.fixture(scope="module")
def shown(real_db):
    """{day: {status: geometry}}: the state `frontwatch show DAY --region R` gives (the same
    functions in-process; test_state_of_each_day_is_frontwatch_show runs the command), for
    every revision date, the day before the first and the day after the newest."""
    from frontwatch.errors import NotFound
    from frontwatch.snapshots import features
    from frontwatch.store import open_store

    with open_store(real_db) as store:
        region, revs = _region(store), store.snapshots("deepstate")
        days = sorted({r.date for r in revs} | {revs[0].date - timedelta(days=1),
                                                revs[-1].date + timedelta(days=1)})
        out = {}
        for day in days:
            try:
                info = store.resolve("deepstate", day)
            except NotFound:
                out[day] = {}
                continue
            feats = features(store, info, region, ["occupied", "contested"])
            out[day] = {st: shapely.union_all([g for g, p in feats if p["status"] == st])
                        for st in ("occupied", "contested")}
        return out


def select(zones: gpd.GeoDataFrame, day: date) -> dict[str, object]:
    """QGIS's Temporal Controller on `day`: valid_from <= D < valid_to (empty = open)."""
    d = pd.Timestamp(day, tz="UTC")
    on = zones[(zones["valid_from"] <= d) & (zones["valid_to"].isna() | (d < zones["valid_to"]))]
    assert not on["status"].duplicated().any(), f"two periods of one status on {day}"
    return dict(zip(on["status"], on.geometry))


def differs(a, b) -> float:
    """Share of the area that differs (0 = same ground; 1 where one side is empty)."""
    if a is None or b is None or a.is_empty or b.is_empty:
        return 0.0 if (a is None or a.is_empty) and (b is None or b.is_empty) else 1.0
    return shapely.symmetric_difference(a, b).area / max(a.area, b.area)


def same_ground(a, b) -> bool:
    """Equal up to what writing does (the 1e-6° grid, valid rings) and union-vs-layer noding:
    measured ≤ 9e-5 of the area on this sweep, so a neighbouring period is told apart by
    the closeness check below, not by this bound."""
    return differs(a, b) <= 2e-4


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_period_selected_on_each_day_is_that_days_state(exported, shown, fmt):
    zones = read_zones(exported[fmt])
    zones["valid_from"] = pd.to_datetime(zones["valid_from"], utc=True)
    zones["valid_to"] = pd.to_datetime(zones["valid_to"], utc=True)
    assert (zones["valid_to"].isna() | (zones["valid_to"] > zones["valid_from"])).all()
    newest = max(shown) - timedelta(days=1)
    open_ = zones[zones["valid_to"].isna()]
    assert set(open_["status"]) == {"occupied", "contested"}  # the newest state: open
    assert (open_["valid_from"] <= pd.Timestamp(newest, tz="UTC")).all()
    assert len(shown) > 100
    periods = {st: zones[zones["status"] == st].sort_values("valid_from").geometry.tolist()
               for st in ("occupied", "contested")}
    for day, want in shown.items():
        got = select(zones, day)
        assert set(got) == {s for s, g in want.items() if not g.is_empty}, day
        for status, geom in got.items():
            miss = differs(geom, want[status])
            assert same_ground(geom, want[status]), (fmt, day, status, miss)
            # ... and it is the closest period: an off-by-one day would pick a neighbour,
            # which differs from the day's state more (some changes are only ~1e-5 of it)
            i = next(k for k, g in enumerate(periods[status]) if g.equals_exact(geom, 0))
            for j in (i - 1, i + 1):
                if 0 <= j < len(periods[status]):
                    assert differs(periods[status][j], want[status]) > miss, (day, status)


def test_state_of_each_day_is_frontwatch_show(real_db, exported, shown):
    zones = read_zones(exported["gpkg"])
    first, newest = min(shown) + timedelta(days=1), max(shown) - timedelta(days=1)
    for day in (first, date(2025, 5, 14), newest):
        doc = json.loads(run("show", day.isoformat(), "--region", SWEEP["region"],
                             "--source", "deepstate", db=real_db).stdout)
        got = select(zones, day)
        for status in ("occupied", "contested"):
            geoms = [shapely.geometry.shape(f["geometry"]) for f in doc["features"]
                     if f["properties"]["status"] == status]
            assert same_ground(got.get(status), shapely.union_all(geoms)), (day, status)
    before = run("show", (first - timedelta(days=1)).isoformat(), "--source", "deepstate",
                 db=real_db, check=False)
    assert before.returncode == 1 and select(zones, first - timedelta(days=1)) == {}


def test_geoparquet_metadata_follows_the_spec(exported):
    import pyarrow.parquet as pq

    geo = json.loads(pq.read_metadata(exported["parquet"]).metadata[b"geo"])
    assert geo["version"] in ("1.0.0", "1.1.0") and geo["primary_column"] == "geometry"
    col = geo["columns"]["geometry"]
    assert col["encoding"] == "WKB"
    assert set(col["geometry_types"]) <= {"Polygon", "MultiPolygon"}
    zones = gpd.read_parquet(exported["parquet"])
    assert col["bbox"] == pytest.approx(list(zones.total_bounds))
    assert pyproj_crs(col.get("crs")).equals("EPSG:4326")  # PROJJSON (absent = CRS84)
    table = pq.read_table(exported["parquet"])
    assert str(table.schema.field("valid_from").type) == "timestamp[ms, tz=UTC]"
    assert shapely.from_wkb(table.column("geometry").to_pylist()[:3]).tolist()


def pyproj_crs(projjson):
    from pyproj import CRS

    return CRS.from_json_dict(projjson) if projjson else CRS("OGC:CRS84")


def test_geoparquet_opens_with_gdal(exported):
    if "Parquet" not in pyogrio.list_drivers():
        pytest.skip(f"this GDAL ({pyogrio.__gdal_version_string__}, pyogrio's wheel) has no "
                    "Parquet driver")
    info = pyogrio.read_info(exported["parquet"])
    assert info["crs"] == "EPSG:4326" and info["features"] == len(read_zones(
        exported["gpkg"]))
    assert dict(zip(info["fields"], info["dtypes"]))["valid_from"] == "datetime64[ms]"


def test_a_range_ending_before_the_newest_closes_its_last_period(real_store):
    zones = zones_frame(real_store, "deepstate", _region(real_store), date(2025, 3, 1),
                        date(2025, 3, 31))
    assert zones["valid_to"].max() == pd.Timestamp("2025-04-01", tz="UTC")
    assert zones["valid_to"].notna().all() and (zones["valid_to"] > zones["valid_from"]).all()


def test_a_failed_geopackage_export_leaves_the_file_it_would_replace(tmp_path, monkeypatch):
    import geopandas as gpd
    import pandas as pd
    import shapely

    from frontwatch import export

    target = tmp_path / "keep.gpkg"
    target.write_bytes(b"precious")
    zones = gpd.GeoDataFrame({"status": ["occupied"]}, geometry=[shapely.box(37, 48, 38, 49)],
                             crs="EPSG:4326")

    def broken(*args, **kwargs):
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", broken)
    with pytest.raises(RuntimeError, match="disk trouble"):
        export._write("gpkg", target, zones, zones, pd.DataFrame({"a": [1]}))
    assert target.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.gpkg"]  # no partial file left


@pytest.mark.parametrize("fmt", ["gpkg", "fgb"])
def test_a_folder_gdal_cannot_write_is_an_output_error(real_db, fmt):
    """GDAL's own create failures (here /proc, which even root cannot write files into)
    are one line naming the file, exit 1 `output-failed`, not an internal error; the
    GeoPackage's temporary name never shows."""
    out = f"/proc/frontwatch-{fmt}-test.{fmt}"
    proc = run("export", "--format", fmt, "-o", out, "--region", "bakhmutskyi-raion",
               "--from", "2025-06-01", "--to", "2025-06-02", db=real_db, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: {out}: cannot write")
    assert "[output-failed]" in proc.stderr
    assert "partial" not in proc.stderr and "internal error" not in proc.stderr
