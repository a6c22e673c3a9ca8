"""Import snapshots: detect the format, read `.gz` and folders, validate, store atomically.

One call of :func:`import_paths` is one transaction: any bad file (unless the caller asks to
skip bad files) leaves the store exactly as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import shapely

from frontwatch import dates
from frontwatch.errors import InputError, NotFound
from frontwatch.ingest import archive, deepstate, nzz, reader, vector
from frontwatch.ingest.limits import Limits, check_json_size, decompress
from frontwatch.ingest.prepare import (
    RawZone,
    build_snapshot,
    confine_to_theatre,
    content_hash,
    layers_of,
)
from frontwatch.ingest.reader import load_json, read_bytes, strip_suffixes
from frontwatch.model import DEMO_SOURCE, ImportReport, Snapshot, SnapshotInfo
from frontwatch.oblasts import THEATRE
from frontwatch.store.base import SqlStore

FORMATS = ("auto", "deepstate", "archive", "nzz", "vector")
SUFFIXES = (".geojson", ".json", ".gz", ".gpkg", ".fgb", ".zip")

__all__ = ["FORMATS", "ImportOptions", "import_paths", "iter_files", "parse_snapshot",
           "parse_snapshots", "store_snapshot"]


@dataclass(slots=True)
class ImportOptions:
    format: str = "auto"
    source: str | None = None
    date: datetime | None = None
    status: vector.StatusMapping = field(default_factory=vector.StatusMapping)
    skip_invalid: bool = False
    limits: Limits = field(default_factory=Limits.from_settings)


def input_key(data: bytes, name: str, opts: ImportOptions) -> str:
    """Identity of an input: its bytes, its name (which may carry the date) and every option
    that changes how it is read."""
    h = hashlib.sha256(data)
    h.update(repr((strip_suffixes(Path(name).name), opts.format, opts.source, opts.date,
                   opts.status.status, opts.status.field,
                   sorted(opts.status.mapping.items()))).encode())
    return h.hexdigest()


def parse_date(text: str, what: str = "date") -> datetime:
    """The moment an imported map depicts (frontwatch.dates): a bare day is its start,
    00:00 UTC, like the archive's file names. The future is refused where every input's
    time is checked (prepare.check_valid_at, with a day's tolerance for time zones)."""
    return dates.instant(text, what, day_start=True, future=True)


def iter_files(paths: Iterable[Path]) -> list[Path]:
    """Files to import, folders walked recursively, in a stable order."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file()
                              and f.name.lower().endswith(SUFFIXES)))
        elif p.exists():
            out.append(p)
        else:
            raise InputError("no such file or directory", origin=str(p))
    return out


def parse_snapshot(data: bytes, name: str, opts: ImportOptions) -> Snapshot:
    """Parse one input (already read) that holds one snapshot, e.g. an upload."""
    snaps = parse_snapshots(data, name, opts)
    if len(snaps) > 1:
        raise InputError(f"the file holds {len(snaps)} map dates "
                         f"({snaps[0].valid_at:%Y-%m-%d} … {snaps[-1].valid_at:%Y-%m-%d}); "
                         "send one date at a time or use `frontwatch import`", origin=name)
    return snaps[0]


def parse_snapshots(data: bytes, name: str, opts: ImportOptions) -> list[Snapshot]:
    """Parse one input (already read, possibly gzip) into validated snapshots: one, or one
    per map date for a format that dates its features (NZZ). The content decides the format
    (a name only breaks the tie for text that is no known format at all)."""
    data = decompress(data, name, opts.limits)
    stem = strip_suffixes(Path(name).name)
    fmt = opts.format
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if not data or data.isspace():
        raise InputError("file is empty", origin=name)
    binary = reader.sniff(data)
    is_json = binary is reader.GEOJSON or (
        binary is None and reader.known_other(data) is None
        and name.lower().removesuffix(".gz").endswith((".json", ".geojson")))
    if not is_json:
        if binary is None:
            raise reader.unaccepted(data, name)
        if fmt not in ("auto", "vector"):
            raise InputError(f"format {fmt} is JSON; this is a {binary.name} file", origin=name)
        zones = vector.read_zones(data, name, opts.status, opts.limits)
        return [build_snapshot(opts.source or "import", _need_date(opts, name), zones, name)]
    check_json_size(data, name, opts.limits)
    doc = load_json(data, name)
    del data  # the parsed document replaces the bytes (up to the uncompressed limit)
    by_status = bool(opts.status.status or opts.status.field)
    if fmt == "nzz" or (fmt == "auto" and not by_status and nzz.detect(doc)):
        if opts.date is not None:
            raise InputError("NZZ maps carry their own date (properties.date): drop --date",
                             origin=name)
        return nzz.read(doc, name, opts.source or nzz.SOURCE)
    if fmt == "auto":
        if archive.date_from_name(stem, name) and not (opts.status.status or
                                                        opts.status.field):
            fmt = "archive"
        elif deepstate.is_deepstate(doc) or (deepstate.time_from_name(stem) and isinstance(
                doc, dict) and doc.get("type") == "FeatureCollection"):
            fmt = "deepstate"
        else:
            fmt = "vector"
    if fmt == "deepstate":
        return [_deepstate(doc, name, stem, opts)]
    if fmt == "archive":
        when = opts.date or archive.date_from_name(stem, name)
        if when is None:
            raise InputError("archive files are named deepstatemap_data_YYYYMMDD; pass --date",
                             origin=name)
        feats = vector.geojson_zones(doc, name, opts.limits)
        status, kind, since = vector.VOCABULARY["occupied"]
        zones = [RawZone(status, kind, g, since, "occupied") for _, g in feats]
        return [build_snapshot(opts.source or archive.SOURCE, when, zones, name)]
    feats = vector.geojson_zones(doc, name, opts.limits)
    if not opts.status.status and not opts.status.field:
        raise InputError("not DeepStateMap or archive data; for other GeoJSON give --status "
                         "STATUS or --status-field FIELD", origin=name)
    zones = vector.with_statuses(feats, opts.status, name)
    return [build_snapshot(opts.source or "import", _need_date(opts, name), zones, name)]


def _need_date(opts: ImportOptions, name: str) -> datetime:
    if opts.date is None:
        raise InputError("this format carries no date: pass --date YYYY-MM-DD", origin=name)
    return opts.date


def _deepstate(doc: object, name: str, stem: str, opts: ImportOptions) -> Snapshot:
    fc, when = deepstate.unwrap(doc, name)
    when = opts.date or when or deepstate.time_from_name(stem)
    if when is None:
        raise InputError("no publication time: name the file <unix-seconds>.geojson, use the "
                         "{id, datetime, map} envelope, or pass --date", origin=name)
    zones: list[RawZone] = []
    skipped: dict[str, int] = {}
    outside = markers = 0
    for props, geom in vector.geojson_zones(fc, name, opts.limits):
        label = str(props.get("name", ""))[:deepstate.MAX_NAME]
        meaning = deepstate.classify(label)
        if meaning.role == "outside":
            outside += 1
        elif meaning.role == "zone" and geom.geom_type in ("Polygon", "MultiPolygon",
                                                           "GeometryCollection"):
            zones.append(RawZone(meaning.status, meaning.kind, geom, meaning.since,
                                 deepstate.normalize(label)[:200]))
        elif meaning.role in ("marker", "zone") or geom.geom_type in ("Point", "LineString",
                                                                      "MultiPoint"):
            markers += 1
        elif meaning.role == "unknown":
            key = deepstate.normalize(label)[:60] or "(no name)"
            skipped[key] = skipped.get(key, 0) + 1
    notes = []
    if outside:
        notes.append(f"excluded {outside} territories outside Ukraine")
    if markers:
        notes.append(f"kept {markers} markers (attack directions, units…) out of the control "
                     "layer")
    if skipped:
        notes.append(f"skipped {sum(skipped.values())} unclassified annotation(s): "
                     + "; ".join(f"{k!r}" for k in list(skipped)[:5]))
    return build_snapshot(opts.source or deepstate.SOURCE, when, zones, name, notes)


def store_snapshot(store: SqlStore, snap: Snapshot) -> tuple[SnapshotInfo, bool]:
    """Store one snapshot and everything derived from it, in the caller's transaction.

    First drops the zone parts lying outside the theatre in force on its date (every entry
    point — import, sync, upload — passes here); `snap.zones` and `snap.notes` are updated
    in place, so the caller reports what was dropped. A new revision's notes are recorded
    for `frontwatch check`."""
    with store.transaction():
        if not snap.illustrative and DEMO_SOURCE in store.sources():
            retire_demo(store)  # first: the demo's regions must not confine real data
        snap.zones, dropped = confine_to_theatre(snap.zones, _theatre(store, snap))
        snap.notes.extend(dropped)
        if not snap.zones:
            raise InputError("no control zones within the theatre (Ukraine's outline)",
                             origin=snap.origin)
        wkbs = list(shapely.to_wkb([z.geometry for z in snap.zones]))
        info, created = store.add_snapshot(
            source=snap.source, valid_at=snap.valid_at, content_hash=content_hash(snap.zones, wkbs),
            zones=snap.zones, layers=layers_of(snap.zones), origin=snap.origin, zone_wkbs=wkbs,
            illustrative=snap.illustrative)
        if created:
            from frontwatch.analytics.precompute import on_snapshot  # local: analytics imports us

            store.add_import_notes(info.id, snap.notes)
            on_snapshot(store, info)
            for hook in SNAPSHOT_HOOKS:
                hook(store, info)
        return info, created


def _theatre(store: SqlStore, snap: Snapshot) -> Any | None:
    """The theatre in force on the snapshot's date (None when no regions are imported)."""
    try:
        return store.region(THEATRE, snap.valid_at.date()).geometry
    except NotFound:
        return None


# Called inside the import transaction for every new revision (e.g. to update area stats),
# so derived tables never lag behind the snapshots they come from.
SNAPSHOT_HOOKS: list[Callable[[SqlStore, SnapshotInfo], None]] = []


def retire_demo(store: SqlStore) -> None:
    """Real data has arrived: the illustrative demo must never be shown beside it."""
    store.delete_source(DEMO_SOURCE)
    store.delete_illustrative_regions()


def import_paths(store: SqlStore, paths: Iterable[Path], opts: ImportOptions,
                 progress: Callable[[Path], None] | None = None) -> ImportReport:
    """Import files and folders in one transaction; see the module docstring."""
    files = iter_files(paths)
    if not files:
        raise InputError("no importable files found (.geojson, .json, .gz, .gpkg, .fgb, .zip)")
    report = ImportReport()
    with store.transaction():
        for path in files:
            try:
                data = read_bytes(path, opts.limits)
                key = input_key(data, str(path), opts)
                known = store.known_input(key)
                if known is not None:
                    report.unchanged.append(str(path))
                    continue
                snaps = parse_snapshots(data, str(path), opts)
            except InputError as exc:
                if not opts.skip_invalid:
                    raise
                report.notes.append(f"skipped {exc}")
                continue
            finally:
                if progress:
                    progress(path)
            added = 0
            for snap in snaps:
                info, created = store_snapshot(store, snap)
                if created:
                    report.added.append(info)
                    added += 1
                report.notes.extend(f"{path.name}: {n}" for n in snap.notes)
            if len(snaps) == 1:  # an input of several dates maps to no one snapshot
                store.remember_input(key, info.id, path.name)
            if not added:
                report.unchanged.append(str(path))
    return report
