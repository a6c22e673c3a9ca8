"""Exports for researchers: control zones with validity periods, places with status periods,
and the area series, as GeoPackage, GeoParquet, FlatGeobuf or CSV.

Periods are half-open `[valid_from, valid_to)` in whole UTC days, in every format: a state
holds from 00:00 UTC of its first day up to (not including) 00:00 UTC of the day the next one
starts, so QGIS's Temporal Controller ("include start, exclude end", its default) shows on
each day exactly the state `frontwatch show DAY` gives. The newest state's `valid_to` is empty
(it still holds) when the export reaches the source's newest revision; an export ending
earlier closes it at the day after its end. Date-times are written as UTC (`...T00:00:00Z`
in GeoPackage and CSV, `timestamp[UTC]` in GeoParquet).

GeoPackage holds all three tables as layers; the single-layer formats get sibling files
(`<name>_places.<ext>`, `<name>_areas.<ext>`). CSV files carry GDAL's sidecars: `.csvt`
(column types, the geometry as `WKT`) and `.prj` (the CRS, WGS 84), so GDAL and QGIS type
them without a dialog. GeoParquet follows GeoParquet 1.1 (geopandas writes the `geo`
metadata: WKB encoding, PROJJSON CRS, bbox, geometry types).
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely

from frontwatch import geometry, staging
from frontwatch.analytics.common import region_of, source_of
from frontwatch.errors import InputError, NotFound, OutputError, echo, echo_name, visible
from frontwatch.model import SnapshotInfo
from frontwatch.outfile import check_writable
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
    """One feature per status and period of unchanged geometry, [valid_from, valid_to)."""
    revs = day_revisions(store, source, start, end)
    if not revs:
        raise NotFound(f"no {echo(source)} snapshots in the range")
    last_to = _last_valid_to(store, source, end)
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
                current["valid_to"] = day  # exclusive: the next state starts that day
            current = {"status": st, "snapshot_id": rev.id, "wkb": blob,
                       "valid_from": day, "valid_to": last_to}
            rows.append(current)
    rows = [r for r in rows if r["wkb"] is not None]
    geoms = shapely.from_wkb([r["wkb"] for r in rows]) if rows else np.empty(0, object)
    if region is not None and len(geoms):
        geoms = shapely.intersection(geoms, region.geometry)
    df = gpd.GeoDataFrame(
        {"status": [r["status"] for r in rows], "snapshot_id": [r["snapshot_id"] for r in rows],
         "valid_from": utc_days([r["valid_from"] for r in rows]),
         "valid_to": utc_days([r["valid_to"] for r in rows]),
         "source": source, "attribution": attribution(source)},
        geometry=list(geoms), crs="EPSG:4326")
    df["area_km2"] = geometry.area_km2(df.geometry.values)  # of the exact geometry
    df = df.set_geometry(gpd.GeoSeries(geometry.publishable(df.geometry.values),
                                       index=df.index, crs=df.crs))  # as every writer does
    df = gpd.GeoDataFrame(round_table(df[~df.geometry.is_empty]), geometry="geometry",
                          crs=df.crs).reset_index(drop=True)  # round_table: a DataFrame
    df = _merge_unchanged(df)
    return df.sort_values(["valid_from", "status"]).reset_index(drop=True)


def _merge_unchanged(df: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One period per run of equal geometry: a revision that changed the layer only outside
    the region leaves the clipped geometry as it was, so its period joins the one before."""
    df = df.sort_values(["status", "valid_from"]).reset_index(drop=True)
    keys = shapely.to_wkb(shapely.normalize(df.geometry.values))
    keep = np.ones(len(df), bool)
    last = None  # index of the period being extended
    for i in range(len(df)):
        if (last is not None and df.at[i, "status"] == df.at[last, "status"]
                and keys[i] == keys[last] and df.at[last, "valid_to"] == df.at[i, "valid_from"]):
            df.at[last, "valid_to"] = df.at[i, "valid_to"]
            keep[i] = False
        else:
            last = i
    return df[keep]


def places_frame(store: SqlStore, source: str, region=None, start: date | None = None,
                 end: date | None = None) -> gpd.GeoDataFrame:
    """Each place's status periods (one row per period, [valid_from, valid_to)) as points."""
    from frontwatch.analytics.places import place_timeline, places_in_region

    places = store.places(end) if region is None else places_in_region(store, region, end)
    last_to = _last_valid_to(store, source, end)
    rows = []
    for p in places:
        periods = place_timeline(store, p, start, end, source)
        for i, per in enumerate(periods):  # place_timeline's `end` is the last day (inclusive)
            last = i == len(periods) - 1
            rows.append({"slug": p.slug, "name_en": p.name_en, "name_uk": p.name_uk or None,
                         "population": p.population, "status": per["status"],
                         "valid_from": per["start"],
                         "valid_to": last_to if last else per["end"] + timedelta(days=1),
                         "days": per["days"], "lon": p.lon, "lat": p.lat})
    df = pd.DataFrame(rows, columns=["slug", "name_en", "name_uk", "population", "status",
                                     "valid_from", "valid_to", "days", "lon", "lat"])
    df["population"] = df["population"].astype("Int64")
    df["valid_from"], df["valid_to"] = utc_days(df["valid_from"]), utc_days(df["valid_to"])
    points = geometry.publishable(shapely.points(df.lon.to_numpy(float),
                                                 df.lat.to_numpy(float)))
    return gpd.GeoDataFrame(df, geometry=list(points), crs="EPSG:4326")


def areas_frame(store: SqlStore, source: str, regions, start: date, end: date
                ) -> pd.DataFrame:
    """The daily area series of each region, in long form (a `region` column)."""
    from frontwatch.analytics.areas import SERIES_COLUMNS, series

    parts = []
    for r in regions:
        df = series(store, r, start, end, source)
        df.insert(0, "region", r.slug)
        parts.append(df)
    out = (pd.concat(parts, ignore_index=True) if parts  # no regions imported: no rows
           else pd.DataFrame(columns=["region", *SERIES_COLUMNS]))
    out["date"] = utc_days(out["date"])
    return round_table(out)


def utc_days(days) -> pd.Series:
    """Dates (None allowed) as UTC midnights, so every writer marks them UTC (`Z`)."""
    return pd.Series(pd.to_datetime(list(days), utc=True), dtype="datetime64[ms, UTC]")


def _last_valid_to(store: SqlStore, source: str, end: date | None) -> date | None:
    """The exclusive end of the newest period: open (None) when the export reaches the
    source's newest revision, else the day after the export's last day."""
    snaps = store.snapshots(source)
    if end is None or not snaps or end >= snaps[-1].date:
        return None
    return end + timedelta(days=1)


def export(store: SqlStore, fmt: str, path: Path, region: str | None = None,
           start: date | None = None, end: date | None = None, source: str | None = None,
           notes: list[str] | None = None) -> list[Path]:
    """Write zones, places and areas; returns the data files written (zones, places, areas),
    then their sidecars.

    `path` names the zones file (the GeoPackage): a regular file, new or replaced, whose
    name ends in the format's extension, in a folder that exists; the single-layer formats
    put their other files beside it (`output_files`). Anything else is refused before any
    work: OutputError (exit 1, `output-failed`) naming the file and the reason. Everything
    is written in a private folder beside them and moved into place only when all of it is
    written: a failure (disk full, say) leaves no file half-written and the old ones as
    they were. What GDAL warns about while writing is appended to `notes` as one line naming
    the user's file (never the private folder), not printed."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {echo(fmt)}; choose one of {', '.join(FORMATS)}")
    if start and end and end < start:
        raise InputError(f"the range ends ({end}) before it starts ({start})")
    path = Path(path)
    check_output(fmt, path)
    src = source_of(store, source)
    r = region_of(store, region, end) if region else None
    revs = day_revisions(store, src, start, end)
    if not revs:
        raise NotFound(f"no {echo(src)} snapshots between {start} and {end}")
    a_start, a_end = start or revs[0].date, end or revs[-1].date
    regions = [r] if r else [x for x in store.regions(on=a_end) if x.level in ("group",
                                                                               "oblast")]
    zones = zones_frame(store, src, r, start, end)
    places = places_frame(store, src, r, start, end)
    areas = areas_frame(store, src, regions, a_start, a_end)
    return _write(fmt, path, zones, places, areas, notes)


def output_files(fmt: str, path: Path) -> list[Path]:
    """Every file an export to `path` writes, data files first (zones, places, areas), then
    the sidecars: GeoPackage one file; the others `NAME_places.EXT` and `NAME_areas.EXT`
    (CSV for FlatGeobuf's areas), CSV with GDAL's `.csvt` (and `.prj` with a geometry)."""
    if fmt == "gpkg":
        return [path]
    ext = FORMATS[fmt]
    places = path.with_name(f"{path.stem}_places{ext}")
    areas = path.with_name(f"{path.stem}_areas{'.csv' if fmt == 'fgb' else ext}")
    sidecars = {"csv": [path.with_suffix(".csvt"), path.with_suffix(".prj"),
                        places.with_suffix(".csvt"), places.with_suffix(".prj"),
                        areas.with_suffix(".csvt")],
                "fgb": [areas.with_suffix(".csvt")], "parquet": []}[fmt]
    return [path, places, areas, *sidecars]


def check_output(fmt: str, path: Path) -> None:
    """Refuse, before any work, an output that cannot be a file of this format: a missing
    or unwritable folder, a name without the format's extension (GDAL's FlatGeobuf driver
    makes a folder of such a name), or a file of the export that exists and is not a regular
    file (a device such as /dev/full, a FIFO, a socket, a folder: GDAL would delete or
    follow it)."""
    for target in output_files(fmt, path):  # the rule of every -o (outfile)
        check_writable(target)
    if path.suffix.lower() != FORMATS[fmt]:
        raise OutputError(f"{echo_name(path)}: cannot write: --format {fmt} writes a "
                          f"{FORMATS[fmt]} file: end the name in {FORMATS[fmt]}")


STAGED = "export"  # the name every export is written under in its private folder


def _write(fmt: str, path: Path, zones: gpd.GeoDataFrame, places: gpd.GeoDataFrame,
           areas: pd.DataFrame, notes: list[str] | None = None) -> list[Path]:
    """Write the files of `output_files` in a private folder beside `path` under a fixed name
    GDAL reads as nothing but a file name (`STAGED`: the user's name may hold ';', which
    GDAL's drivers cut at, a newline, a leading '-', bytes that are not UTF-8), then move
    each onto the user's name (the same file system: a rename). The folder is reached
    through its descriptor (/proc/self/fd/N on Linux), so a parent folder with such a
    character in its name is not passed to GDAL either. Stale private folders of killed
    exports there are removed first; this one is removed whatever happens. OSError and
    GDAL's own failures become OutputError naming `path`; GDAL's warnings become `notes`."""
    staging.remove_stale(path.parent, (staging.EXPORT,))
    notes = [] if notes is None else notes
    private: tuple[Path, ...] = ()
    caught: list[warnings.WarningMessage] = []
    try:
        with staging.private_folder(staging.EXPORT, path.parent) as folder, \
                _reachable(folder) as where, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            private = (where, folder)
            staged = where / f"{STAGED}{FORMATS[fmt]}"
            written = _write_files(fmt, staged, zones, places, areas)
            moved = []
            for file, target in zip(output_files(fmt, staged), output_files(fmt, path),
                                    strict=True):
                if file in written:
                    os.replace(folder / file.name, target)
                    moved.append(target)
            return moved
    except OSError as exc:  # disk full, permission, read-only: name the file
        raise OutputError(f"{echo_name(path)}: cannot write: "
                          f"{exc.strerror or exc}") from exc
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        # GDAL's own open/create/write failures (a read-only or special folder, a full
        # disk): its reason, with the private folder's name replaced by the user's
        reason = _as_users(str(exc), private, path).strip()
        raise OutputError(f"{echo_name(path)}: cannot write: {echo(reason)}") from exc
    finally:
        notes.extend(f"{echo_name(path)}: {w.category.__name__}: "
                     f"{visible(_as_users(str(w.message), private, path))}" for w in caught)


@contextlib.contextmanager
def _reachable(folder: Path) -> Iterator[Path]:
    """`folder` as a path of safe characters only: /proc/self/fd/N of an open descriptor of
    it where the system has one (Linux), else the folder's own path."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        via = Path(f"/proc/self/fd/{fd}")
        yield via if via.is_dir() else folder
    finally:
        os.close(fd)


def _as_users(message: str, private: tuple[Path, ...], path: Path) -> str:
    """GDAL's message with the private folder's files named as the user's (`path`'s
    folder): GDAL names what it was given."""
    for folder in private:
        message = message.replace(f"{folder}/{STAGED}", str(path.parent / path.stem))
        message = message.replace(str(folder), str(path.parent))
    return message


def _write_files(fmt: str, path: Path, zones: gpd.GeoDataFrame, places: gpd.GeoDataFrame,
                 areas: pd.DataFrame) -> list[Path]:
    if fmt == "gpkg":
        zones.to_file(path, layer="zones", driver="GPKG", engine="pyogrio")
        places.to_file(path, layer="places", driver="GPKG", engine="pyogrio", mode="a")
        pyogrio.write_dataframe(areas, path, layer="areas", driver="GPKG", append=True)
        return [path]
    files = output_files(fmt, path)
    sib = {"places": files[1], "areas": files[2]}
    sidecars: list[Path] = []
    if fmt == "parquet":  # GeoParquet 1.1 (geopandas writes the `geo` metadata)
        zones.to_parquet(path, index=False)
        places.to_parquet(sib["places"], index=False)
        areas.to_parquet(sib["areas"], index=False)
    elif fmt == "fgb":
        zones.to_file(path, driver="FlatGeobuf", engine="pyogrio")
        places.to_file(sib["places"], driver="FlatGeobuf", engine="pyogrio")
        sidecars += write_csv(areas, sib["areas"])
    else:
        sidecars += write_csv(zones, path)
        sidecars += write_csv(places, sib["places"])
        sidecars += write_csv(areas, sib["areas"])
    return [path, sib["places"], sib["areas"], *sidecars]


def csv_types(frame: pd.DataFrame) -> list[str]:
    """GDAL's `.csvt` type of each column (the geometry, as WKT, is `WKT`)."""
    types = []
    for col in frame.columns:
        dtype = frame[col].dtype
        if isinstance(dtype, gpd.array.GeometryDtype):
            types.append("WKT")
        elif pd.api.types.is_bool_dtype(dtype):
            types.append("Integer(Boolean)")
        elif pd.api.types.is_integer_dtype(dtype):
            types.append("Integer64")
        elif pd.api.types.is_float_dtype(dtype):
            types.append("Real")
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            types.append("DateTime")
        else:
            types.append("String")
    return types


def write_csv(frame: pd.DataFrame, path: Path) -> list[Path]:
    """A CSV that GDAL/QGIS type without asking: date-times as `YYYY-MM-DDTHH:MM:SSZ`, the
    geometry as a last `wkt` column, plus `.csvt` (types) and, with a geometry, `.prj`
    (WGS 84). Returns the sidecars written."""
    out = pd.DataFrame(frame.drop(columns="geometry") if "geometry" in frame else frame)
    types = csv_types(frame.drop(columns="geometry") if "geometry" in frame else frame)
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    sidecars = [path.with_suffix(".csvt")]
    if isinstance(frame, gpd.GeoDataFrame):
        out["wkt"] = shapely.to_wkt(frame.geometry.values, rounding_precision=6)
        types.append("WKT")
        sidecars.append(path.with_suffix(".prj"))
        sidecars[-1].write_text(frame.crs.to_wkt("WKT1_GDAL"))  # GDAL: EPSG:4326
    out.to_csv(path, index=False)
    sidecars[0].write_text(",".join(f'"{t}"' for t in types) + "\n")
    return sidecars
