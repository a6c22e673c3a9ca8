"""Import snapshots: detect the format, read `.gz` and folders, validate, store atomically.

One call of :func:`import_paths` is one transaction: any bad file (unless the caller asks to
skip bad files) leaves the store exactly as it was.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import shapely

from frontwatch import canonical, dates
from frontwatch.errors import InputError, NotFound, echo, echo_name
from frontwatch.ingest import formats, vector
from frontwatch.ingest.base import Input
from frontwatch.ingest.hooks import SNAPSHOT_HOOKS, Progress
from frontwatch.ingest.limits import Limits, decompress
from frontwatch.ingest.prepare import confine_to_theatre, layers_of
from frontwatch.ingest.reader import read_bytes, strip_suffixes
from frontwatch.model import DEMO_SOURCE, ImportReport, Snapshot, SnapshotInfo
from frontwatch.oblasts import THEATRE
from frontwatch.store.base import SqlStore

__all__ = ["SNAPSHOT_HOOKS", "ImportOptions", "delete_snapshot", "import_paths", "iter_files",
           "parse_snapshot", "parse_snapshots", "store_snapshot"]
# Phases of an import, as `progress` names them (the derived tables follow, see .hooks).
FILES_READ, REVISIONS_STORED = "files read", "revisions stored"


@dataclass(slots=True)
class ImportOptions:
    format: str = "auto"
    source: str | None = None
    date: datetime | None = None
    status: vector.StatusMapping = field(default_factory=vector.StatusMapping)
    skip_invalid: bool = False
    date_field: str | None = None  # one revision per distinct value of this property
    merge_dates: bool = False  # store features of several dates as one snapshot anyway
    limits: Limits = field(default_factory=Limits.from_settings)

    def __post_init__(self) -> None:
        if self.source is not None:
            check_source_name(self.source)


SOURCE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_source_name(name: str) -> str:
    """A source name goes into URLs, HTTP headers, file names and terminals: letters, digits,
    '.', '_' and '-' only, at most 64 characters (raises InputError otherwise)."""
    if not SOURCE_NAME.fullmatch(name):
        raise InputError(f"source={echo(name)}: a source name is 1–64 letters, "
                         "digits, '.', '_' or '-', starting with a letter or digit")
    return name


def input_key(data: bytes, name: str, opts: ImportOptions) -> str:
    """Identity of an input: its bytes, its name (which may carry the date) and every option
    that changes how it is read."""
    h = hashlib.sha256(data)
    h.update(repr((strip_suffixes(Path(name).name), opts.format, opts.source, opts.date,
                   opts.status.status, opts.status.field,
                   sorted(opts.status.mapping.items()), opts.date_field,
                   opts.merge_dates)).encode())
    return h.hexdigest()


def parse_date(text: str, what: str = "date") -> datetime:
    """The moment an imported map depicts (frontwatch.dates): a bare day is its start,
    00:00 UTC, like the archive's file names. The future is refused where every input's
    time is checked (prepare.check_valid_at, with a day's tolerance for time zones)."""
    return dates.instant(text, what, day_start=True, future=True)


def iter_files(paths: Iterable[Path], gone: list[Path] | None = None) -> list[Path]:
    """Files to import, folders walked recursively, in a stable order. A path that does not
    exist is NotFound, or (with a `gone` list) appended to `gone`."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file()
                              and f.name.lower().endswith(formats.SUFFIXES)))
        elif p.exists():
            out.append(p)
        elif gone is not None:
            gone.append(p)
        else:
            raise NotFound(missing(p))
    return out


def missing(path: Path) -> str:
    """The message for a file that is not there (any more)."""
    return f"{echo_name(str(path))}: no such file or directory"


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
    per map date for a format that dates its features (NZZ, `--date-field`). The content
    decides the format, in the order of the registry (ingest/formats.py); a name only
    breaks the tie for text that is no known format at all."""
    forced = formats.check_choice(opts.format)
    inp = Input(decompress(data, name, opts.limits), name, opts)
    del data  # the input holds the bytes, and releases them once their JSON is parsed
    return formats.choose(inp, forced).read(inp)


def store_snapshot(store: SqlStore, snap: Snapshot, *, derive: bool = True
                   ) -> tuple[SnapshotInfo, bool]:
    """Store one snapshot and (with `derive`) everything derived from it, in the caller's
    transaction.

    First drops the zone parts lying outside the theatre in force on its date (every entry
    point — import, sync, upload — passes here); `snap.zones` and `snap.notes` are updated
    in place, so the caller reports what was dropped. A new revision's notes are recorded
    for `frontwatch check`. `derive=False` leaves the derived tables to the caller, who
    announces its new revisions at once (:func:`import_paths` does, see :mod:`.hooks`).

    The zones are confined and hashed before the write lock is taken, and a duplicate (the
    same claim as a stored revision of the same moment, in any format: see
    :mod:`frontwatch.canonical`) is answered from a read: an upload of something already
    stored does not wait for an import that holds the lock. Under the lock the check is made
    again and decides (another writer may have stored or deleted that revision meanwhile; a
    theatre changed meanwhile is confined against anew)."""
    retire = not snap.illustrative and DEMO_SOURCE in store.sources()
    # with the demo to retire, its regions must not confine real data: all under the lock
    ready = None if retire else _Confined.of(store, snap)
    if ready is not None:
        existing = ready.stored(store, snap)
        if existing is not None:
            ready.apply(snap)
            snap.notes.extend(superseded_note(store, existing))
            return existing, False
    with store.transaction():
        if retire:
            retire_demo(store)  # first: the demo's regions must not confine real data
        if ready is None or _theatre_id(store, snap) != ready.theatre_id:
            ready = _Confined.of(store, snap)
        ready.apply(snap)
        existing = ready.stored(store, snap)
        if existing is not None:
            snap.notes.extend(superseded_note(store, existing))
            return existing, False
        info, created = store.add_snapshot(
            source=snap.source, valid_at=snap.valid_at, content_hash=ready.hash,
            zones=snap.zones, layers=layers_of(snap.zones), origin=snap.origin,
            zone_wkbs=ready.wkbs, illustrative=snap.illustrative)
        if created:
            store.add_import_notes(info.id, snap.notes)
            if derive:
                SNAPSHOT_HOOKS.snapshots_stored(store, [info])
        return info, created


@dataclass(slots=True)
class _Confined:
    """A snapshot's zones confined to the theatre of its date (read from the store, no lock),
    their WKB, canonical claim and content hash, and which theatre version they were
    confined against."""

    zones: list
    dropped: list[str]
    wkbs: list[bytes]
    claim: canonical.Canonical
    hash: str
    theatre_id: int | None

    @classmethod
    def of(cls, store: SqlStore, snap: Snapshot) -> _Confined:
        theatre_id = _theatre_id(store, snap)
        zones, dropped = confine_to_theatre(snap.zones, _theatre(store, snap))
        if not zones:
            raise InputError("no control zones within the theatre (Ukraine's outline)",
                             origin=snap.origin)
        wkbs = list(shapely.to_wkb([z.geometry for z in zones]))
        claim = canonical.canonical(zones)
        return cls(zones, dropped, wkbs, claim, canonical.hash_canonical(claim), theatre_id)

    def stored(self, store: SqlStore, snap: Snapshot) -> SnapshotInfo | None:
        """The stored revision of the same source and moment that makes the same claim: the
        same hash, or (a text format that wrote fewer digits, e.g. KML) the same groups,
        parts and vertices within canonical.SAME_VERTEX_DEG. Newest first; None if none."""
        found = store.find_snapshot(snap.source, snap.valid_at, self.hash)
        if found is not None:
            return found
        for info in reversed(store.snapshots_at(snap.source, snap.valid_at)):
            if canonical.same_claim(self.claim, canonical.canonical(store.zones(info.id))):
                return info
        return None

    def apply(self, snap: Snapshot) -> None:
        snap.zones = self.zones
        snap.notes.extend(self.dropped)


def superseded_note(store: SqlStore, stored: SnapshotInfo) -> list[str]:
    """A note when an input's claim is already stored as a revision that a later one of the
    same moment superseded: nothing is stored (a claim is stored once per source and moment,
    so re-importing a folder never adds revisions), and the newer revision stays current —
    say so, and how to make the earlier claim current again. [] when `stored` is the newest."""
    newest = store.snapshots_at(stored.source, stored.valid_at)[-1:]
    if not newest or newest[0].id == stored.id:
        return []
    return [f"the same claim as revision {stored.revision} (id {stored.id}) of this moment, "
            f"which revision {newest[0].revision} (id {newest[0].id}) superseded: nothing "
            "stored, the newer one stays current; to make this claim current again, delete "
            f"the newer revision(s) (frontwatch snapshots delete --id {newest[0].id})"]


def delete_snapshot(store: SqlStore, snapshot_id: int) -> SnapshotInfo:
    """Delete one revision and announce it (the derived tables follow), in one transaction."""
    with store.transaction():
        info = store.snapshot(snapshot_id)
        store.delete_snapshot(info.id)
        SNAPSHOT_HOOKS.snapshot_deleted(store, info)
    return info


def _theatre_id(store: SqlStore, snap: Snapshot) -> int | None:
    """The id of the theatre version in force on the snapshot's date (None: no regions)."""
    return store.region_version_id(THEATRE, snap.valid_at.date())


def _theatre(store: SqlStore, snap: Snapshot) -> Any | None:
    """The theatre in force on the snapshot's date (None when no regions are imported)."""
    try:
        return store.region(THEATRE, snap.valid_at.date()).geometry
    except NotFound:
        return None


def retire_demo(store: SqlStore) -> None:
    """Real data has arrived: the illustrative demo must never be shown beside it."""
    store.delete_source(DEMO_SOURCE)
    store.delete_illustrative_regions()


def import_paths(store: SqlStore, paths: Iterable[Path], opts: ImportOptions,
                 progress: Progress | None = None) -> ImportReport:
    """Import files and folders in one transaction; see the module docstring.

    Every file is read and parsed first, without the write lock: a bad file (not a regular
    file, no known format, invalid content) fails at once with its own message rather than
    after waiting for another writer, and the lock is held only to store. The parsed
    snapshots are kept until then (353 daily DeepStateMap files: ~25 MB). The revisions are
    stored first and the derived tables filled once for all of them (see :mod:`.hooks`).
    `progress(table, done, total)` follows each phase: FILES_READ, REVISIONS_STORED, then
    each derived table."""
    gone: list[Path] = []  # with skip_invalid: files listed by the caller, deleted since
    files = iter_files(paths, gone if opts.skip_invalid else None)
    if not files and not gone:
        raise InputError(f"no importable files found ({', '.join(formats.SUFFIXES)})")
    report = ImportReport()
    report.notes.extend(f"skipped {missing(p)}" for p in gone)
    parsed: list[tuple[Path, str, list[Snapshot]]] = []
    for done, path in enumerate(files, 1):
        try:
            data = read_bytes(path, opts.limits)
            key = input_key(data, str(path), opts)
            known = store.known_input(key)  # a read: no lock
            if known is not None:
                report.unchanged.append(str(path))
                report.notes.extend(f"{echo_name(path.name)}: {n}"
                                    for n in superseded_note(store, known))
                continue
            parsed.append((path, key, parse_snapshots(data, str(path), opts)))
        except (InputError, NotFound) as exc:  # NotFound: a file gone since it was listed
            if not opts.skip_invalid:
                raise
            report.notes.append(f"skipped {exc}")
            continue
        finally:
            if progress:
                progress(FILES_READ, done, len(files))
    with store.transaction():
        for path, key, snaps in parsed:
            if store.known_input(key) is not None:  # stored by another writer meanwhile
                report.unchanged.append(str(path))
                continue
            added = 0
            for snap in snaps:
                info, created = store_snapshot(store, snap, derive=False)
                if created:
                    report.added.append(info)
                    added += 1
                    if progress:
                        progress(REVISIONS_STORED, len(report.added), None)
                report.notes.extend(f"{echo_name(path.name)}: {n}" for n in snap.notes)
            if len(snaps) == 1:  # an input of several dates maps to no one snapshot
                store.remember_input(key, info.id, path.name)
            if not added:
                report.unchanged.append(str(path))
        SNAPSHOT_HOOKS.snapshots_stored(store, report.added, progress)
    return report
