"""Exports for researchers: control zones with validity periods, places with status periods,
and the area series, as GeoPackage, GeoParquet, FlatGeobuf or CSV.

Zones carry `valid_from`/`valid_to` (dates) per feature, so QGIS's Temporal Controller
animates them directly. GeoPackage holds all three as layers; the single-layer formats get
sibling files (`<name>_places.<ext>`, `<name>_areas.<ext>`).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from frontwatch import geometry
from frontwatch.analytics.common import region_of, source_of
from frontwatch.errors import InputError, NotFound, OutputError, printable
from frontwatch.model import SnapshotInfo
from frontwatch.precision import round_table
from frontwatch.sources import attribution
from frontwatch.store.base import SqlStore

FORMATS = {"gpkg": ".gpkg", "parquet": ".parquet", "fgb": ".fgb", "csv": ".csv"}
STATUSES = ("occupied", "contested")


def day_revisions(store: SqlStore, source: str, start: date | None, end: date | None
                  ) -> list[SnapshotInfo]:
    """Each day's last revision within [start, end], plus the one in force on `start`."""
    by_day: dict[date, SnapshotInfo] = {}
    before = None
    for s in store.snapshots(source):
        if start is not None and s.date < start:
            before = s
        elif end is None or s.date <= end:
            by_day[s.date] = s
    if before is not None and start not in by_day:
        by_day[start] = before
    return [by_day[d] for d in sorted(by_day)]


def zones_frame(store: SqlStore, source: str, region=None, start: date | None = None,
                end: date | None = None) -> gpd.GeoDataFrame:
    """One feature per status and period of unchanged geometry, valid_from..valid_to."""
    revs = day_revisions(store, source, start, end)
    if not revs:
        raise NotFound(f"no {source!r} snapshots in the range")
    rows = []
    for st in STATUSES:
        wkb = store.layers_wkb([r.id for r in revs], st)
        current = None
        for rev in revs:
            day = max(rev.date, start) if start else rev.date
            blob = wkb.get(rev.id)
            if current is not None and blob == current["wkb"]:
                continue
            if current is not None:
                current["valid_to"] = day - timedelta(days=1)
            current = {"status": st, "snapshot_id": rev.id, "wkb": blob,
                       "valid_from": day, "valid_to": end}
            rows.append(current)
    rows = [r for r in rows if r["wkb"] is not None]
    geoms = shapely.from_wkb([r["wkb"] for r in rows]) if rows else np.empty(0, object)
    if region is not None and len(geoms):
        geoms = shapely.intersection(geoms, region.geometry)
    df = gpd.GeoDataFrame(
        {"status": [r["status"] for r in rows], "snapshot_id": [r["snapshot_id"] for r in rows],
         "valid_from": pd.to_datetime([r["valid_from"] for r in rows]),
         "valid_to": pd.to_datetime([r["valid_to"] for r in rows]),
         "source": source, "attribution": attribution(source)},
        geometry=list(geoms), crs="EPSG:4326")
    df["area_km2"] = geometry.area_km2(df.geometry.values)  # of the exact geometry
    df = df.set_geometry(gpd.GeoSeries(geometry.publishable(df.geometry.values),
                                       index=df.index, crs=df.crs))  # as every writer does
    df = round_table(df[~df.geometry.is_empty]).reset_index(drop=True)
    return df.sort_values(["valid_from", "status"]).reset_index(drop=True)


def places_frame(store: SqlStore, source: str, region=None, start: date | None = None,
                 end: date | None = None) -> gpd.GeoDataFrame:
    """Each place's status periods (one row per period) as points."""
    from frontwatch.analytics.places import place_timeline, places_in_region

    places = store.places(end) if region is None else places_in_region(store, region, end)
    rows = []
    for p in places:
        for per in place_timeline(store, p, start, end, source):
            rows.append({"slug": p.slug, "name_en": p.name_en, "name_uk": p.name_uk,
                         "population": p.population, "status": per["status"],
                         "valid_from": pd.Timestamp(per["start"]),
                         "valid_to": pd.Timestamp(per["end"]) if per["end"] else pd.NaT,
                         "days": per["days"], "lon": p.lon, "lat": p.lat})
    df = pd.DataFrame(rows, columns=["slug", "name_en", "name_uk", "population", "status",
                                     "valid_from", "valid_to", "days", "lon", "lat"])
    points = geometry.publishable(shapely.points(df.lon.to_numpy(float),
                                                 df.lat.to_numpy(float)))
    return gpd.GeoDataFrame(df, geometry=list(points), crs="EPSG:4326")


def areas_frame(store: SqlStore, source: str, regions, start: date, end: date
                ) -> pd.DataFrame:
    """The daily area series of each region, in long form (a `region` column)."""
    from frontwatch.analytics.areas import series

    parts = []
    for r in regions:
        df = series(store, r, start, end, source)
        df.insert(0, "region", r.slug)
        parts.append(df)
    out = pd.concat(parts, ignore_index=True)
    out["date"] = pd.to_datetime(out["date"])
    return round_table(out)


def export(store: SqlStore, fmt: str, path: Path, region: str | None = None,
           start: date | None = None, end: date | None = None, source: str | None = None
           ) -> list[Path]:
    """Write zones, places and areas; returns the files written."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if start and end and end < start:
        raise InputError(f"the range ends ({end}) before it starts ({start})")
    src = source_of(store, source)
    r = region_of(store, region, end) if region else None
    revs = day_revisions(store, src, start, end)
    if not revs:
        raise NotFound(f"no {src!r} snapshots between {start} and {end}")
    a_start, a_end = start or revs[0].date, end or revs[-1].date
    regions = [r] if r else [x for x in store.regions(on=a_end) if x.level in ("group",
                                                                               "oblast")]
    zones = zones_frame(store, src, r, start, end)
    places = places_frame(store, src, r, start, end)
    areas = areas_frame(store, src, regions, a_start, a_end)
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return _write(fmt, path, zones, places, areas)
    except OSError as exc:  # disk full, permission, read-only: name the file
        raise OutputError(f"{printable(exc.filename or path)}: cannot write: "
                          f"{exc.strerror or exc}") from exc


def _write(fmt: str, path: Path, zones: gpd.GeoDataFrame, places: gpd.GeoDataFrame,
           areas: pd.DataFrame) -> list[Path]:
    ext = FORMATS[fmt]
    if fmt == "gpkg":  # a GeoPackage is a database file: start from none
        if path.exists() and not path.is_file():
            raise OutputError(f"{printable(path)}: cannot write a GeoPackage there: not a "
                              "regular file")
        path.unlink(missing_ok=True)
        zones.to_file(path, layer="zones", driver="GPKG", engine="pyogrio")
        places.to_file(path, layer="places", driver="GPKG", engine="pyogrio", mode="a")
        import pyogrio

        pyogrio.write_dataframe(areas, path, layer="areas", driver="GPKG", append=True)
        return [path]
    sib = {k: path.with_name(f"{path.stem}_{k}{ext}") for k in ("places", "areas")}
    if fmt == "parquet":
        zones.to_parquet(path)
        places.to_parquet(sib["places"])
        areas.to_parquet(sib["areas"])
    elif fmt == "fgb":
        zones.to_file(path, driver="FlatGeobuf", engine="pyogrio")
        places.to_file(sib["places"], driver="FlatGeobuf", engine="pyogrio")
        sib["areas"] = path.with_name(f"{path.stem}_areas.csv")
        areas.to_csv(sib["areas"], index=False)
    else:
        _wkt(zones).to_csv(path, index=False)
        _wkt(places).to_csv(sib["places"], index=False)
        areas.to_csv(sib["areas"], index=False)
    return [path, sib["places"], sib["areas"]]


def _wkt(df: gpd.GeoDataFrame) -> pd.DataFrame:
    out = pd.DataFrame(df.drop(columns="geometry"))
    out["wkt"] = shapely.to_wkt(df.geometry.values, rounding_precision=6)
    return out
