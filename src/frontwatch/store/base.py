"""The store logic shared by every SQL backend; subclasses only supply a connection.

SQL is written with ``?`` placeholders and run through :meth:`SqlStore._sql`, which adapts
it to the backend's parameter style.
"""

from __future__ import annotations

import bisect
import contextlib
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

import shapely

from frontwatch.dates import iso
from frontwatch.errors import (
    Merged,
    NotFound,
    StoreError,
    StoreLocked,
    StoreReadOnly,
    echo,
    printable,
)
from frontwatch.model import Place, Region, SnapshotInfo, SourceSummary, Status, Zone
from frontwatch.settings import Settings
from frontwatch.store.derived import DerivedTables

SCHEMA_VERSION = 1
# Columns migration 0001 gives `snapshots`: with our schema_version, what marks a store ours.
SNAPSHOT_COLUMNS = frozenset({"id", "source", "valid_at", "recorded_at", "content_hash",
                              "revision"})
Bbox = tuple[float, float, float, float]  # minlon, minlat, maxlon, maxlat
_THEN = re.compile(r"^-- then: (_\w+)$", re.M)  # a migration's Python follow-up step
# A Python step run once every pending script has run (same transaction): for a step that
# goes through the current code (e.g. the derived tables' handlers), whose tables a later
# migration may have changed.
_FINALLY = re.compile(r"^-- finally: (_\w+)$", re.M)
# A migration whose absence does not stop anything that reads (a data step such as 0013's
# rehash, a column readers look for first): a read-only store lacking only such migrations
# is served as it is; it runs the next time the store is opened writable.
_READERS_SKIP = re.compile(r"^-- readers: not needed\b", re.M)


def lock_timeout_ms() -> int:
    """How long a writer waits for another writer's lock before StoreLocked (readers never
    wait): FRONTWATCH_LOCK_TIMEOUT seconds, 10 by default."""
    return round(Settings().lock_timeout * 1000)  # validated by Settings (0 to 3600 s)


def parse_iso(text: str) -> datetime:
    """A stored 'YYYY-MM-DDTHH:MM:SSZ' as an aware UTC datetime (fromisoformat: strptime
    looks up the locale on every call, ~0.1 ms, and a series parses many)."""
    d = datetime.fromisoformat(text)
    return d.replace(tzinfo=UTC) if d.tzinfo is None else d.astimezone(UTC)


def end_of_day(d: date) -> str:
    return f"{d.isoformat()}T23:59:59Z"


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class SqlStore(DerivedTables):
    """A store over a DB-API connection. Not thread-safe: open one per thread/process.

    Snapshots, regions and places are here; the tables analytics derives from them are in
    :class:`~frontwatch.store.derived.DerivedTables`."""

    url: str
    paramstyle = "qmark"
    dialect = "sqlite"
    readonly = False  # True: opened read-only (read-only media); every transaction refused
    create = True  # False: a reader; a database without our schema is refused, not created

    @property
    def label(self) -> str:
        """How messages name the store (a path, or a URL without its password)."""
        return self.url

    def __init__(self) -> None:
        self._depth = 0

    # --- plumbing ---------------------------------------------------------------------------
    def _connect(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        return sql if self.paramstyle == "qmark" else sql.replace("?", "%s")

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        cur = self.conn.cursor()
        try:
            cur.execute(self._sql(sql), tuple(params))
        except Exception as exc:
            mapped = self._store_error(exc)
            if mapped:
                raise mapped from exc
            raise
        return cur

    def _store_error(self, exc: BaseException) -> StoreError | None:
        """The user-facing error for a driver error the user can act on (store locked,
        read-only, disk full), or None for anything else (a bug: re-raised as is)."""
        return None

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return list(self._execute(sql, params).fetchall())

    def _query_in(self, sql: str, ids: Sequence[Any], params: Sequence[Any] = ()
                  ) -> list[tuple]:
        """Rows of `sql`, whose ``{ids}`` is an IN list of `ids` (queried in chunks, so any
        number fits the backend's parameter limit), after `params`."""
        ids = list(ids)
        out: list[tuple] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            out += self._query(sql.format(ids=",".join("?" * len(chunk))), [*params, *chunk])
        return out

    def _insert(self, sql: str, params: Sequence[Any]) -> int:
        """Run an INSERT and return the new row's id."""
        cur = self._execute(sql + " RETURNING id", params)
        return int(cur.fetchone()[0])

    def _has_table(self, name: str) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def _tables(self) -> set[str]:  # pragma: no cover - abstract
        """Names of the tables and views in the store's schema (not the engine's own, nor
        an extension's such as PostGIS's spatial_ref_sys)."""
        raise NotImplementedError

    def _columns(self, table: str) -> set[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _is_ours(self, tables: set[str]) -> bool:
        """Whether `tables` are a Frontwatch store's: our ``schema_version (version)`` table
        with migration 1 applied, and our ``snapshots`` table. A table merely named
        ``schema_version`` (Flyway's, another tool's) is not enough."""
        if not {"schema_version", "snapshots"} <= tables:
            return False
        if self._columns("schema_version") != {"version"} or \
                not self._columns("snapshots") >= SNAPSHOT_COLUMNS:
            return False
        return bool(self._query("SELECT 1 FROM schema_version WHERE version = 1"))

    def _refuse_if_new(self, empty: bool = False) -> None:
        """Decide, by reads only and before anything is written, whether this database is
        ours: a Frontwatch store is opened; one with no tables at all is a new store for a
        writer (``create=True``) and none for a reader; any other database (another
        application's tables) is refused with NotFound, by readers and writers alike, so
        our schema is never mixed into another application's database."""
        tables = set() if empty else self._tables()
        if tables and self._is_ours(tables):
            return
        if tables:
            raise NotFound(f"no Frontwatch store in {self.label}: it holds {len(tables)} "
                           "table(s) that are not a Frontwatch store's; Frontwatch never adds "
                           "its schema to another application's database (use an empty "
                           "database or a new file)")
        if not self.create:
            raise NotFound(f"no Frontwatch store in {self.label} (it holds no Frontwatch "
                           "schema): a command that only reads never creates a store; "
                           "`frontwatch import` does")

    def _pending_migrations(self) -> list[tuple[int, str]]:
        """Migrations not applied yet; a plain read (no lock), so readers never wait."""
        if not self._has_table("schema_version"):
            return _migrations()
        # By membership, not max(): a migration numbered below one already applied
        # (added by a later branch) must still run.
        applied = {r[0] for r in self._query("SELECT version FROM schema_version")}
        return [(v, script) for v, script in _migrations() if v not in applied]

    def _migrate(self) -> None:
        """Bring the schema up to date. Only a store that is behind takes the write lock,
        and it re-checks under the lock (another process may have migrated meanwhile). A
        reader (``create=False``) that lacks only migrations readers do without does not
        wait for another writer's lock: it reads as it is, and a later open migrates."""
        pending = self._pending_migrations()
        if not pending:
            return
        if self.readonly:
            self._refuse_unreadable(pending)
            return
        optional = not self.create and all(_READERS_SKIP.search(s) for _, s in pending)
        try:
            self._run_migrations(wait=not optional)
        except StoreLocked:
            if not optional:
                raise

    def _run_migrations(self, wait: bool) -> None:
        with self.transaction(wait):
            self._execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
            )
            last: list[str] = []
            for version, script in self._pending_migrations():
                for statement in self._dialect_script(script):
                    self._execute(statement)
                for hook in _THEN.findall(script):  # data steps SQL cannot do (WKB → bounds)
                    getattr(self, hook)()
                last += _FINALLY.findall(script)
                self._execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
            for hook in last:
                getattr(self, hook)()

    def _refuse_unreadable(self, pending: list[tuple[int, str]]) -> None:
        """A read-only store that is behind: read as it is when every missing migration is
        one readers do without (``-- readers: not needed``), else StoreReadOnly naming the
        store's schema version, the one needed and what to do (it cannot be upgraded here)."""
        needed = [v for v, script in pending if not _READERS_SKIP.search(script)]
        if not needed:
            return
        have = {r[0] for r in self._query("SELECT version FROM schema_version")} \
            if self._has_table("schema_version") else set()
        raise StoreReadOnly(
            f"the store is read-only and its schema is at version {max(have, default=0)}; "
            f"this Frontwatch's is {_migrations()[-1][0]} and it cannot read the store "
            f"without migration(s) {', '.join(str(v) for v in needed)}: open it once where "
            "it is writable (or a writable copy) with this version, which upgrades it "
            "(`frontwatch snapshots --db STORE`), or read it with the version that wrote it",
            store=self.label)

    def _dialect_script(self, script: str) -> list[str]:
        lines = [ln for ln in script.splitlines() if not ln.strip().startswith("--")]
        return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]

    @contextlib.contextmanager
    def transaction(self, wait: bool = True) -> Iterator[None]:
        """All-or-nothing unit of work; nests (inner blocks join the outer one).

        It holds the store's single write lock: with `wait`, it waits for another writer up
        to the backend's busy timeout, else it raises StoreLocked at once. Readers take no
        lock at all and never wait. StoreReadOnly on a read-only store."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        if self.readonly:
            raise StoreReadOnly("the store is read-only (opened from read-only media or "
                                "without write permission); it cannot be changed",
                                store=self.label)
        try:
            self._begin(wait)
        except Exception as exc:
            mapped = self._store_error(exc)
            if mapped:
                raise mapped from exc
            raise
        self._depth = 1
        try:
            yield
            self.conn.commit()
        except BaseException as exc:
            with contextlib.suppress(Exception):
                self.conn.rollback()
            if isinstance(exc, Exception) and not isinstance(exc, StoreError):
                mapped = self._store_error(exc)
                if mapped:
                    raise mapped from exc
            raise
        finally:
            self._depth = 0

    def _begin(self, wait: bool = True) -> None:
        pass

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    _VERSION_SQL = (
        "SELECT (SELECT max(id) FROM snapshots), (SELECT count(*) FROM snapshots), "
        "(SELECT max(id) FROM regions), (SELECT count(*) FROM regions), "
        "(SELECT max(id) FROM places), (SELECT count(*) FROM places)")

    def data_version(self) -> tuple:
        """A token that changes whenever snapshots, regions or places are added or removed
        (rows are never updated in place, so max id and count together see every change).
        Responses built from the store are cached under it; one indexed query, ~20 µs."""
        return tuple(self._query(self._VERSION_SQL)[0])

    # --- snapshots --------------------------------------------------------------------------
    _SNAP_COLS = ("id, source, valid_at, recorded_at, content_hash, revision, n_occupied, "
                  "n_contested, n_liberated, origin, illustrative")

    def _snap(self, row: tuple) -> SnapshotInfo:
        return SnapshotInfo(
            id=row[0], source=row[1], valid_at=parse_iso(row[2]), recorded_at=parse_iso(row[3]),
            content_hash=row[4], revision=row[5],
            counts={"occupied": row[6], "contested": row[7], "liberated": row[8]},
            origin=row[9], illustrative=bool(row[10]),
        )

    def find_snapshot(self, source: str, valid_at: datetime, content_hash: str
                      ) -> SnapshotInfo | None:
        rows = self._query(
            f"SELECT {self._SNAP_COLS} FROM snapshots WHERE source=? AND valid_at=? "
            "AND content_hash=?", (source, iso(valid_at), content_hash))
        return self._snap(rows[0]) if rows else None

    def snapshots_at(self, source: str, valid_at: datetime) -> list[SnapshotInfo]:
        """The revisions of one source for one moment, oldest recorded first."""
        rows = self._query(f"SELECT {self._SNAP_COLS} FROM snapshots WHERE source=? AND "
                           "valid_at=? ORDER BY recorded_at, id", (source, iso(valid_at)))
        return [self._snap(r) for r in rows]

    def add_snapshot(self, *, source: str, valid_at: datetime, content_hash: str,
                     zones: Sequence[Zone], layers: dict[Status, Any], origin: str = "",
                     illustrative: bool = False, recorded_at: datetime | None = None,
                     zone_wkbs: Sequence[bytes] | None = None) -> tuple[SnapshotInfo, bool]:
        """Store a snapshot revision; identical content for the same moment is a no-op.

        `zone_wkbs` (the zones' WKB, when the caller already has it) saves re-encoding."""
        with self.transaction():
            existing = self.find_snapshot(source, valid_at, content_hash)
            if existing:
                return existing, False
            # max + 1, not count + 1: a deleted revision's number is never given again.
            revision = self._query(
                "SELECT coalesce(max(revision), 0) FROM snapshots WHERE source=? AND "
                "valid_at=?", (source, iso(valid_at)))[0][0] + 1
            counts = {s: sum(1 for z in zones if z.status == s) for s in Status}
            recorded = recorded_at or now_utc()
            cols = ["source", "valid_at", "recorded_at", "content_hash", "revision",
                    "n_occupied", "n_contested", "n_liberated", "origin", "illustrative"]
            values: list[Any] = [
                source, iso(valid_at), iso(recorded), content_hash, revision,
                counts[Status.OCCUPIED], counts[Status.CONTESTED], counts[Status.LIBERATED],
                printable(origin), int(illustrative)]
            fresh = self._fresh_snapshot_id()
            if fresh is not None:
                cols, values = ["id", *cols], [fresh, *values]
            sid = self._insert(f"INSERT INTO snapshots ({', '.join(cols)}) "
                               f"VALUES ({','.join('?' * len(cols))})", values)
            wkbs = list(zone_wkbs if zone_wkbs is not None else
                        shapely.to_wkb([z.geometry for z in zones]))
            known = {id(z.geometry): w for z, w in zip(zones, wkbs)}
            bounds = _bounds([z.geometry for z in zones])
            self.conn.cursor().executemany(
                self._sql("INSERT INTO zones (snapshot_id, status, kind, since, label, geom, "
                          "minx, miny, maxx, maxy) VALUES (?,?,?,?,?,?,?,?,?,?)"),
                [(sid, str(z.status), z.kind, z.since, z.label, w, *b)
                 for z, w, b in zip(zones, wkbs, bounds)])
            for status, geom in layers.items():
                self._execute(
                    "INSERT INTO snapshot_layers (snapshot_id, status, geom) VALUES (?,?,?)",
                    (sid, str(status), known.get(id(geom)) or shapely.to_wkb(geom)))
            info = self._snap(self._query(
                f"SELECT {self._SNAP_COLS} FROM snapshots WHERE id=?", (sid,))[0])
            return info, True

    def _fresh_snapshot_id(self) -> int | None:
        """The id of the next revision, or None to let the database choose. PostgreSQL's
        identity never repeats; SQLite gives max(id) + 1, which would reuse a deleted
        newest revision's id (and its immutable URL), so deleted ids count as taken."""
        if self.dialect != "sqlite":
            return None
        row = self._query("SELECT max(m) FROM (SELECT max(id) AS m FROM snapshots UNION ALL "
                          "SELECT max(id) AS m FROM deleted_snapshots) AS t")[0]
        return int(row[0] or 0) + 1

    def known_input(self, input_hash: str) -> SnapshotInfo | None:
        """The snapshot an identical input (same bytes, same options) produced before."""
        rows = self._query(f"SELECT {self._SNAP_COLS} FROM snapshots WHERE id = "
                           "(SELECT snapshot_id FROM inputs WHERE input_hash=?)", (input_hash,))
        return self._snap(rows[0]) if rows else None

    def remember_input(self, input_hash: str, snapshot_id: int, origin: str) -> None:
        if not self._query("SELECT 1 FROM inputs WHERE input_hash=?", (input_hash,)):
            self._execute("INSERT INTO inputs (input_hash, snapshot_id, origin) VALUES (?,?,?)",
                          (input_hash, snapshot_id, printable(origin)))

    def add_import_notes(self, snapshot_id: int, notes: Sequence[str]) -> None:
        """Record what import repaired or dropped in a revision (kind = first word)."""
        if notes:
            self.conn.cursor().executemany(
                self._sql("INSERT INTO import_notes (snapshot_id, kind, note) VALUES (?,?,?)"),
                [(snapshot_id, (n.split(maxsplit=1) or [""])[0].lower(), printable(n))
                 for n in notes])

    def import_notes(self, source: str | None = None) -> dict[int, list[tuple[str, str]]]:
        """snapshot id → [(kind, note)] recorded at import, in the order written."""
        where, params = ("WHERE s.source=?", (source,)) if source else ("", ())
        out: dict[int, list[tuple[str, str]]] = {}
        for sid, kind, note in self._query(
                "SELECT n.snapshot_id, n.kind, n.note FROM import_notes n JOIN snapshots s "
                f"ON s.id=n.snapshot_id {where} ORDER BY n.snapshot_id, n.id", params):
            out.setdefault(sid, []).append((kind, note))
        return out

    def snapshots(self, source: str | None = None) -> list[SnapshotInfo]:
        """Every stored revision, oldest first."""
        where, params = ("WHERE source=?", (source,)) if source else ("", ())
        rows = self._query(f"SELECT {self._SNAP_COLS} FROM snapshots {where} "
                           "ORDER BY source, valid_at, recorded_at, id", params)
        return [self._snap(r) for r in rows]

    def snapshot_span(self, source: str) -> tuple[datetime, datetime] | None:
        """(oldest, newest) `valid_at` of a source's revisions, None when it has none: what a
        range check needs, without listing every revision (one indexed query)."""
        row = self._query("SELECT min(valid_at), max(valid_at) FROM snapshots WHERE source=?",
                          (source,))[0]
        return None if row[0] is None else (parse_iso(row[0]), parse_iso(row[1]))

    def revisions_of_next_day(self, source: str, day: date) -> list[SnapshotInfo]:
        """The revisions of the first day after `day` that has any, oldest first."""
        after = end_of_day(day)
        rows = self._query(
            f"SELECT {self._SNAP_COLS} FROM snapshots WHERE source=? AND valid_at>? AND "
            "valid_at<=(SELECT substr(min(valid_at), 1, 10) || 'T23:59:59Z' FROM snapshots "
            "WHERE source=? AND valid_at>?) ORDER BY valid_at, recorded_at, id",
            (source, after, source, after))
        return [self._snap(r) for r in rows]

    def stats_previous(self, info: SnapshotInfo) -> SnapshotInfo | None:
        """The revision of the same source just before `info` (None for the first)."""
        rows = self._query(
            f"SELECT {self._SNAP_COLS} FROM snapshots WHERE source=? AND id<>? AND "
            "(valid_at<? OR (valid_at=? AND recorded_at<=?)) "
            "ORDER BY valid_at DESC, recorded_at DESC, id DESC LIMIT 1",
            (info.source, info.id, iso(info.valid_at), iso(info.valid_at),
             iso(info.recorded_at)))
        return self._snap(rows[0]) if rows else None

    def snapshot(self, snapshot_id: int) -> SnapshotInfo:
        rows = self._query(f"SELECT {self._SNAP_COLS} FROM snapshots WHERE id=?", (snapshot_id,))
        if not rows:
            kept = self.merged_into(snapshot_id)
            if kept is not None:
                raise Merged(snapshot_id, kept)
            raise NotFound(f"no snapshot with id {snapshot_id}")
        return self._snap(rows[0])

    def merged_into(self, snapshot_id: int) -> int | None:
        """The stored revision a revision merged away (migration 0013) now lives on as,
        following merges of merges; None when the id was never merged (deleted on purpose,
        never given, or the kept revision deleted since) or the store predates the record."""
        if "merged_into" not in self._columns("deleted_snapshots"):
            return None  # a read-only store behind migration 0014: nothing recorded
        seen = {snapshot_id}
        current = snapshot_id
        while True:
            rows = self._query("SELECT merged_into FROM deleted_snapshots WHERE id=?",
                               (current,))
            if not rows or rows[0][0] is None or rows[0][0] in seen:
                return None
            current = int(rows[0][0])
            seen.add(current)
            if self._query("SELECT 1 FROM snapshots WHERE id=?", (current,)):
                return current

    def record_merge(self, merged_id: int, kept_id: int) -> None:
        """Remember that deleted revision `merged_id` was merged into `kept_id`."""
        self._execute("UPDATE deleted_snapshots SET merged_into=? WHERE id=?",
                      (kept_id, merged_id))

    def sources(self) -> list[str]:
        return [r[0] for r in self._query("SELECT DISTINCT source FROM snapshots ORDER BY 1")]

    def source_summaries(self) -> list[SourceSummary]:
        """What the store holds of each source: revisions, dates, grey zone, zone kinds."""
        kinds: dict[str, dict[str, tuple[date, date]]] = {}
        for src, kind, first, last in self._query(
                "SELECT s.source, z.kind, min(s.valid_at), max(s.valid_at) FROM zones z "
                "JOIN snapshots s ON s.id=z.snapshot_id GROUP BY s.source, z.kind"):
            kinds.setdefault(src, {})[kind] = (parse_iso(first).date(), parse_iso(last).date())
        rows = self._query(
            "SELECT source, count(*), min(valid_at), max(valid_at), max(n_contested), "
            "max(illustrative) FROM snapshots GROUP BY source ORDER BY source")
        return [SourceSummary(source=r[0], revisions=int(r[1]), first=parse_iso(r[2]),
                              last=parse_iso(r[3]), grey_zone=bool(r[4]),
                              kinds=dict(sorted(kinds.get(r[0], {}).items())),
                              illustrative=bool(r[5])) for r in rows]

    def resolve(self, source: str, on: date | datetime | None = None,
                as_of: datetime | None = None) -> SnapshotInfo:
        """The state of `source` on a date: latest revision valid by the end of that day.

        `on=None` means the latest; `as_of` restricts to what had been recorded by then.
        """
        valid = " FROM snapshots WHERE source=?"
        params: list[Any] = [source]
        if on is not None:
            valid += " AND valid_at<=?"
            params.append(iso(on) if isinstance(on, datetime) else end_of_day(on))
        known = valid + (" AND recorded_at<=?" if as_of is not None else "")
        rows = self._query(f"SELECT {self._SNAP_COLS}{known} ORDER BY valid_at DESC, "
                           "recorded_at DESC, id DESC LIMIT 1",
                           params + ([iso(as_of)] if as_of is not None else []))
        if not rows:
            raise self._unresolved(source, on, as_of, valid, params)
        return self._snap(rows[0])

    def _unresolved(self, source: str, on: date | datetime | None, as_of: datetime | None,
                    valid_sql: str, valid_params: list[Any]) -> NotFound:
        """Why :meth:`resolve` found nothing, pointing the way out: a day before the
        history says where it starts; a recording time (`as_of`) before any revision valid
        by `on` had been recorded says when the first of them was (``valid_sql``/
        ``valid_params``: resolve's query without the `as_of` condition)."""
        first = self._query("SELECT min(valid_at) FROM snapshots WHERE source=?", (source,))
        if first[0][0] is None:
            return NotFound(f"no snapshots from source {echo(source)}",
                            suggestions=self.sources())
        day = "" if on is None else f" on or before {iso(on) if isinstance(on, datetime) else on}"
        if as_of is not None:
            rec = self._query(f"SELECT min(recorded_at){valid_sql}", valid_params)[0][0]
            if rec is not None:
                return NotFound(f"no {echo(source)} snapshot{day} recorded by {iso(as_of)}; "
                                f"the first was recorded at "
                                f"{rec if isinstance(rec, str) else iso(rec)}")
        return NotFound(f"no {echo(source)} snapshot{day}; its history starts "
                        f"{first[0][0][:10]}")

    def zones(self, snapshot_id: int, statuses: Sequence[str] | None = None) -> list[Zone]:
        sql = "SELECT status, kind, since, label, geom FROM zones WHERE snapshot_id=?"
        params: list[Any] = [snapshot_id]
        if statuses:
            sql += f" AND status IN ({','.join('?' * len(statuses))})"
            params.extend(statuses)
        rows = self._query(sql + " ORDER BY id", params)
        geoms = shapely.from_wkb([bytes(r[4]) for r in rows]) if rows else []
        return [Zone(status=Status(r[0]), kind=r[1], since=r[2], label=r[3], geometry=g)
                for r, g in zip(rows, geoms)]

    def layer(self, snapshot_id: int, status: str) -> Any:
        """The dissolved geometry of one status in a snapshot (empty if it has none)."""
        rows = self._query("SELECT geom FROM snapshot_layers WHERE snapshot_id=? AND status=?",
                           (snapshot_id, str(status)))
        return shapely.from_wkb(bytes(rows[0][0])) if rows else shapely.MultiPolygon()

    def layers_wkb(self, snapshot_ids: Sequence[int], status: str) -> dict[int, bytes]:
        """Raw WKB of one status for many snapshots at once (bulk analytics)."""
        rows = self._query_in("SELECT snapshot_id, geom FROM snapshot_layers WHERE status=? "
                              "AND snapshot_id IN ({ids})", snapshot_ids, [str(status)])
        return {r[0]: bytes(r[1]) for r in rows}

    # --- bbox queries (OGC API providers) -----------------------------------------------------
    exact_bbox = False  # True: _bbox_where is already the exact intersection test (PostGIS)

    def _bbox_where(self, bbox: Bbox, alias: str = "") -> tuple[str, list[Any]]:
        """A condition keeping the rows whose geometry may intersect `bbox` (lon/lat): here
        the stored bounds overlap it (a row without bounds is kept); _exact_bbox decides."""
        a = f"{alias}." if alias else ""
        x0, y0, x1, y1 = bbox
        return (f"({a}minx IS NULL OR ({a}minx<=? AND {a}maxx>=? AND {a}miny<=? AND "
                f"{a}maxy>=?))", [x1, x0, y1, y0])

    def _exact_bbox(self, table: str, ids: list[int], bbox: Bbox) -> list[int]:
        """Those of `ids` (order kept) whose geometry intersects `bbox`: rows whose bounds
        lie inside it certainly do; only the others' geometries are decoded and tested."""
        if self.exact_bbox or not ids:
            return ids
        x0, y0, x1, y1 = bbox
        unsure = [r[0] for r in self._query_in(
            f"SELECT id FROM {table} WHERE (minx IS NULL OR NOT (minx>=? AND miny>=? AND "
            "maxx<=? AND maxy<=?)) AND id IN ({ids})", ids, [x0, y0, x1, y1])]
        if not unsure:
            return ids
        rows = self._query_in(f"SELECT id, geom FROM {table} WHERE id IN ({{ids}})", unsure)
        hit = shapely.intersects(shapely.from_wkb([bytes(r[1]) for r in rows]),
                                 shapely.box(*bbox))
        drop = {r[0] for r, h in zip(rows, hit) if not h}
        return [i for i in ids if i not in drop]

    def zones_page(self, snapshot_id: int, bbox: Bbox | None = None, offset: int = 0,
                   limit: int | None = None) -> tuple[int, list[tuple[int, Zone]]]:
        """(how many zones of a snapshot intersect `bbox`, the page of them as (n, zone))
        where n is the zone's place in the whole snapshot (stable feature ids whatever the
        bbox). Only the page's geometries are read, plus, on SQLite, those of the bbox
        candidates whose bounds are not inside it."""
        every = [r[0] for r in self._query(
            "SELECT id FROM zones WHERE snapshot_id=? ORDER BY id", (snapshot_id,))]
        hits = every
        if bbox is not None:
            cond, params = self._bbox_where(bbox)
            hits = self._exact_bbox("zones", [r[0] for r in self._query(
                f"SELECT id FROM zones WHERE snapshot_id=? AND {cond} ORDER BY id",
                [snapshot_id, *params])], bbox)
        page = hits[offset:_stop(offset, limit)]
        rows = {r[0]: r for r in self._query_in(
            "SELECT id, status, kind, since, label, geom FROM zones WHERE id IN ({ids})", page)}
        geoms = shapely.from_wkb([bytes(rows[i][5]) for i in page]) if page else []
        return len(hits), [
            (bisect.bisect_left(every, i), Zone(status=Status(rows[i][1]), kind=rows[i][2],
                                                since=rows[i][3], label=rows[i][4], geometry=g))
            for i, g in zip(page, geoms)]

    def zone_at(self, snapshot_id: int, n: int) -> Zone | None:
        """The n-th zone (0-based, by id) of a snapshot, or None."""
        rows = self._query("SELECT status, kind, since, label, geom FROM zones WHERE "
                           "snapshot_id=? ORDER BY id LIMIT 1 OFFSET ?", (snapshot_id, n))
        if not rows:
            return None
        r = rows[0]
        return Zone(status=Status(r[0]), kind=r[1], since=r[2], label=r[3],
                    geometry=shapely.from_wkb(bytes(r[4])))

    def zones_extent(self, source: str) -> Bbox | None:
        """The bbox of every zone of every revision of a source (None without bounds)."""
        return _box(self._query(
            "SELECT min(z.minx), min(z.miny), max(z.maxx), max(z.maxy) FROM zones z JOIN "
            "snapshots s ON s.id=z.snapshot_id WHERE s.source=?", (source,))[0])

    def _backfill_bounds(self) -> None:
        """Migration step: the bounds of rows written before the bounds columns existed."""
        for table in ("zones", "regions"):
            last = 0
            while True:
                rows = self._query(f"SELECT id, geom FROM {table} WHERE id>? ORDER BY id "
                                   "LIMIT 2000", (last,))
                if not rows:
                    break
                bounds = _bounds(shapely.from_wkb([bytes(r[1]) for r in rows]))
                self.conn.cursor().executemany(self._sql(
                    f"UPDATE {table} SET minx=?, miny=?, maxx=?, maxy=? WHERE id=?"),
                    [(*b, r[0]) for r, b in zip(rows, bounds)])
                last = rows[-1][0]

    def _rehash_claims(self) -> None:
        """Migration step (0013): content hashes of the canonical claim; see its module."""
        from frontwatch.ingest.rehash import rehash_store  # ingest imports the store

        rehash_store(self)

    def _backfill_merged_into(self) -> None:
        """Migration step (0014): the kept revision of the merges a store went through before
        the column existed, from the `merged` import notes, where one kept revision of that
        source and moment holds exactly as many notes as the moment has unrecorded deleted
        ids (a revision also deleted by hand there leaves the moment without pointers)."""
        moments: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for sid, source, valid_at, n in self._query(
                "SELECT s.id, s.source, s.valid_at, count(*) FROM import_notes n JOIN "
                "snapshots s ON s.id=n.snapshot_id WHERE n.kind='merged' "
                "GROUP BY s.id, s.source, s.valid_at"):
            moments.setdefault((source, valid_at), []).append((int(sid), int(n)))
        for (source, valid_at), kept in moments.items():
            gone = self._query("SELECT id FROM deleted_snapshots WHERE source=? AND "
                               "valid_at=? AND merged_into IS NULL", (source, valid_at))
            if len(kept) == 1 and len(gone) == kept[0][1]:
                for (old,) in gone:
                    self.record_merge(int(old), kept[0][0])

    def set_content_hash(self, snapshot_id: int, content_hash: str) -> None:
        """Replace a revision's content hash (only a migration recomputing them does)."""
        self._execute("UPDATE snapshots SET content_hash=? WHERE id=?",
                      (content_hash, snapshot_id))

    def move_inputs(self, from_id: int, to_id: int) -> None:
        """Point the inputs remembered for one revision at another (a merge of the two)."""
        self._execute("UPDATE inputs SET snapshot_id=? WHERE snapshot_id=?", (to_id, from_id))

    def delete_source(self, source: str) -> int:
        """Remove every revision of a source and all that derives from it (see
        :meth:`delete_snapshot`); returns how many revisions went (0 for an unknown one)."""
        with self.transaction():
            ids = [r[0] for r in self._query("SELECT id FROM snapshots WHERE source=?",
                                             (source,))]
            self._drop_snapshots(ids)
            return len(ids)

    def delete_snapshot(self, snapshot_id: int) -> SnapshotInfo:
        """Remove one revision with its zones, layers, area stats and input memory (so the
        file that made it imports again), and return what it was. Later revisions keep their
        numbers and stats (each revision's stats describe its own geometry); the state on its
        date falls back to the revision before it. Raises NotFound for an unknown id."""
        with self.transaction():
            info = self.snapshot(snapshot_id)
            self._drop_snapshots([info.id])
            return info

    # Tables keyed by snapshot id. Tables added later reference snapshots ON DELETE CASCADE.
    _SNAPSHOT_TABLES = ("region_stats", "inputs", "zones", "snapshot_layers", "import_notes")

    def _drop_snapshots(self, ids: Sequence[int]) -> None:
        deleted_at = iso(now_utc())
        for i in range(0, len(ids), 500):
            chunk = list(ids[i:i + 500])
            marks = ",".join("?" * len(chunk))
            for table in self._SNAPSHOT_TABLES:
                self._execute(f"DELETE FROM {table} WHERE snapshot_id IN ({marks})", chunk)
            self._execute(f"DELETE FROM compare_stats WHERE snapshot_a IN ({marks}) OR "
                          f"snapshot_b IN ({marks})", [*chunk, *chunk])
            self._execute("INSERT INTO deleted_snapshots (id, source, valid_at, content_hash, "
                          f"deleted_at) SELECT id, source, valid_at, content_hash, ? FROM "
                          f"snapshots WHERE id IN ({marks})", [deleted_at, *chunk])
            self._execute(f"DELETE FROM snapshots WHERE id IN ({marks})", chunk)

    def has_real_data(self) -> bool:
        return bool(self._query("SELECT 1 FROM snapshots WHERE illustrative=0 LIMIT 1")
                    or self._query("SELECT 1 FROM regions WHERE illustrative=0 LIMIT 1"))

    def is_empty(self) -> bool:
        return not (self._query("SELECT 1 FROM snapshots LIMIT 1")
                    or self._query("SELECT 1 FROM regions LIMIT 1"))

    # --- regions ----------------------------------------------------------------------------
    _REGION_COLS = ("slug, level, name_en, name_uk, code, parent, valid_from, area_km2, "
                    "illustrative")

    def _region(self, row: tuple, geom: Any) -> Region:
        vf = row[6]
        return Region(slug=row[0], level=row[1], name_en=row[2], name_uk=row[3], code=row[4],
                      parent=row[5], valid_from=None if vf == "0001-01-01"
                      else date.fromisoformat(vf), area_km2=row[7], illustrative=bool(row[8]),
                      geometry=geom)

    def add_region(self, region: Region, content_hash: str) -> bool:
        """Store a region version; returns False when identical content is already there."""
        vf = region.valid_from.isoformat() if region.valid_from else "0001-01-01"
        with self.transaction():
            if self._query("SELECT 1 FROM regions WHERE slug=? AND valid_from=? AND "
                           "content_hash=?", (region.slug, vf, content_hash)):
                return False
            self._insert(
                "INSERT INTO regions (slug, level, name_en, name_uk, code, parent, valid_from, "
                "recorded_at, content_hash, area_km2, illustrative, geom, minx, miny, maxx, "
                "maxy) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (region.slug, region.level, region.name_en, region.name_uk, region.code,
                 region.parent, vf, iso(now_utc()), content_hash, region.area_km2 or 0.0,
                 int(region.illustrative), shapely.to_wkb(region.geometry),
                 *_bounds([region.geometry])[0]))
            return True

    def _current_regions_sql(self, on: date | None, upto: int | None = None
                             ) -> tuple[str, list[Any]]:
        """Rows of the region versions in force on a date (latest valid_from, then latest
        recorded); with `upto`, as the table stood when its highest id was `upto`."""
        day = (on or date(9999, 12, 31)).isoformat()
        last = upto if upto is not None else 2**62
        sql = (f"SELECT {self._REGION_COLS}, id FROM regions r WHERE valid_from<=? AND id = "
               "(SELECT r2.id FROM regions r2 WHERE r2.slug=r.slug AND r2.valid_from<=? "
               "AND r2.id<=? ORDER BY r2.valid_from DESC, r2.recorded_at DESC, r2.id DESC "
               "LIMIT 1)")
        return sql, [day, day, last]

    def _region_rows(self, level: str | None, on: date | None,
                     include_illustrative: bool | None, bbox: Bbox | None = None,
                     upto: int | None = None) -> list[tuple]:
        """Rows (columns + id) of the regions in force on a date, by level and slug."""
        sql, params = self._current_regions_sql(on, upto)
        if level:
            sql += " AND level=?"
            params.append(level)
        if include_illustrative is None:
            include_illustrative = not self._query(
                "SELECT 1 FROM regions WHERE illustrative=0 LIMIT 1")
        if not include_illustrative:
            sql += " AND illustrative=0"
        if bbox is not None:
            cond, more = self._bbox_where(bbox, "r")
            sql += f" AND {cond}"
            params += more
        rows = self._query(sql + " ORDER BY level, slug", params)
        if bbox is not None:
            keep = set(self._exact_bbox("regions", [r[-1] for r in rows], bbox))
            rows = [r for r in rows if r[-1] in keep]
        return rows

    def _regions_of(self, rows: Sequence[tuple], with_geometry: bool) -> list[Region]:
        geoms: list[Any] = [None] * len(rows)
        if with_geometry and rows:
            ids = [r[-1] for r in rows]
            wkb = {r[0]: bytes(r[1]) for r in self._query_in(
                "SELECT id, geom FROM regions WHERE id IN ({ids})", ids)}
            geoms = list(shapely.from_wkb([wkb[i] for i in ids]))
        return [self._region(r[:-1], g) for r, g in zip(rows, geoms)]

    def regions(self, level: str | None = None, on: date | None = None,
                with_geometry: bool = False, include_illustrative: bool | None = None
                ) -> list[Region]:
        """Regions in force on a date. Demo regions are hidden once real data exists."""
        return self._regions_of(self._region_rows(level, on, include_illustrative),
                                with_geometry)

    def regions_page(self, on: date | None, bbox: Bbox | None = None, offset: int = 0,
                     limit: int | None = None, upto: int | None = None
                     ) -> tuple[int, list[Region]]:
        """(how many match, the page of them with geometry): the regions in force on a date
        whose geometry intersects `bbox`, by level and slug, as the table stood at region id
        `upto` (a paging client's pinned state). Only the page's geometries are read (and, on
        SQLite, those of the bbox candidates whose bounds are not inside it)."""
        rows = self._region_rows(None, on, None, bbox, upto)
        return len(rows), self._regions_of(rows[offset:_stop(offset, limit)], True)

    def regions_rev(self) -> int:
        """The highest region id: names the state of the table for regions_page(upto=)."""
        return int(self._query("SELECT coalesce(max(id), 0) FROM regions")[0][0])

    def regions_extent(self) -> tuple[Bbox | None, date | None]:
        """(bbox of every stored real region version — demo ones when there are no real
        ones —, the first day a version took effect: None when a version has no start
        date, i.e. holds from any time)."""
        real = bool(self._query("SELECT 1 FROM regions WHERE illustrative=0 LIMIT 1"))
        row = self._query("SELECT min(minx), min(miny), max(maxx), max(maxy), "
                          "min(valid_from) FROM regions WHERE illustrative=?",
                          (0 if real else 1,))[0]
        first = row[4] if row[4] and row[4] != "0001-01-01" else None
        return _box(row[:4]), date.fromisoformat(first) if first else None

    def region(self, slug: str, on: date | None = None) -> Region:
        sql, params = self._current_regions_sql(on)
        rows = self._query(sql + " AND slug=?", [*params, slug])
        if not rows:
            raise NotFound(f"no region {echo(slug)}" + (f" on {on}" if on else ""))
        geom = shapely.from_wkb(bytes(self._query("SELECT geom FROM regions WHERE id=?",
                                                  (rows[0][-1],))[0][0]))
        return self._region(rows[0][:-1], geom)

    def delete_illustrative_regions(self) -> None:
        self._execute("DELETE FROM regions WHERE illustrative=1")

    # --- places -----------------------------------------------------------------------------
    _PLACE_COLS = "slug, name_en, name_uk, kind, population, region, lon, lat, geonameid, " \
                  "valid_from, katottg, raion, hromada, alt_names"

    def _place(self, r: tuple) -> Place:
        return Place(slug=r[0], name_en=r[1], name_uk=r[2], kind=r[3], population=r[4],
                     region=r[5], lon=r[6], lat=r[7], geonameid=r[8],
                     valid_from=None if r[9] == "0001-01-01" else date.fromisoformat(r[9]),
                     katottg=r[10] or None, raion=r[11] or None, hromada=r[12] or None,
                     alt_names=tuple(r[13].split("|")) if r[13] else ())

    @staticmethod
    def _place_row(place: Place) -> tuple:
        vf = place.valid_from.isoformat() if place.valid_from else "0001-01-01"
        return (place.slug, place.name_en, place.name_uk, place.kind, place.population,
                place.region, place.lon, place.lat, place.geonameid, vf, place.katottg,
                place.raion, place.hromada, "|".join(place.alt_names))

    def add_place(self, place: Place) -> bool:
        return self.add_places([place]) == 1

    def add_places(self, places: Sequence[Place]) -> int:
        """Insert or refresh places (keyed by slug and valid_from) in one pass: one read of
        the table, then one batched write of only the rows that differ; returns how many."""
        with self.transaction():
            existing = {(r[0], r[9]): r for r in
                        self._query(f"SELECT {self._PLACE_COLS} FROM places")}
            changed = []
            for p in places:
                row = self._place_row(p)
                old = existing.get((row[0], row[9]))
                if old is None or tuple(old) != row:
                    changed.append(row)
            if not changed:
                return 0
            cur = self.conn.cursor()
            cur.executemany(self._sql("DELETE FROM places WHERE slug=? AND valid_from=?"),
                            [(r[0], r[9]) for r in changed])
            stamp = iso(now_utc())
            cur.executemany(self._sql(
                f"INSERT INTO places ({self._PLACE_COLS}, recorded_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"), [(*r, stamp) for r in changed])
            return len(changed)

    def places_version(self) -> tuple:
        """Changes with any write to the places table, the key of caches built from the
        places: counts, highest id and time, and sums over the values a correction changes
        (a replaced row may get its predecessor's id back). One scan, a few ms."""
        return tuple(self._query(
            "SELECT count(*), max(id), max(recorded_at), sum(coalesce(population, 0)), "
            "sum(lon + lat), sum(length(name_en) + length(name_uk) + length(valid_from) + "
            "length(alt_names) + length(coalesce(katottg, '')) + length(region)) "
            "FROM places")[0])

    def has_places(self) -> bool:
        return bool(self._query("SELECT 1 FROM places LIMIT 1"))

    def places(self, on: date | None = None) -> list[Place]:
        """Places in force on a date (a renamed place appears under its name of the day)."""
        day = (on or date(9999, 12, 31)).isoformat()
        # Kept per store and table version (any write changes count or max id): building
        # 5,000 Places costs a few hundred ms, and every page and diff asks for them.
        version = self.places_version()
        cache = self.__dict__.setdefault("_places_memo", {})
        key = (version, day)
        if key not in cache:
            # One plain scan, the version of the day picked here (a correlated max() per
            # row costs half a second on 5,000 places).
            rows = self._query(f"SELECT {self._PLACE_COLS} FROM places WHERE valid_from<=? "
                               "ORDER BY population DESC, slug, valid_from", (day,))
            latest = {r[0]: r for r in rows}  # the last (newest) version of each slug wins
            if len(cache) >= 8:
                cache.clear()
            cache[key] = tuple(self._place(r) for r in rows if latest[r[0]] is r)
        return list(cache[key])

    def set_place_codes(self, codes: dict[str, str]) -> None:
        """Give places without a KATOTTG code one (every version of each slug)."""
        with self.transaction():
            self.conn.cursor().executemany(self._sql(
                "UPDATE places SET katottg=? WHERE slug=? AND (katottg IS NULL OR "
                "katottg='')"), [(c, s) for s, c in codes.items()])

    def place(self, slug: str, on: date | None = None) -> Place:
        for p in self.places(on):
            if p.slug == slug:
                return p
        raise NotFound(f"no place {echo(slug)}")

    def places_named(self, slugs: Sequence[str], on: date | None = None) -> dict[str, Place]:
        """slug → Place (as named on `on`) for a few slugs, without reading the gazetteer."""
        day = (on or date(9999, 12, 31)).isoformat()
        out: dict[str, Place] = {}
        for r in self._query_in(f"SELECT {self._PLACE_COLS} FROM places WHERE valid_from<=? "
                                "AND slug IN ({ids}) ORDER BY valid_from", list(set(slugs)),
                                [day]):
            out[r[0]] = self._place(r)  # the newest version in force wins
        return out

    # --- place outlines ---------------------------------------------------------------------
    def set_place_polygons(self, rows: Sequence[tuple[str, str | None, float, str, Any]]
                           ) -> None:
        """Store outlines (slug, katottg, km², origin, geometry), replacing a place's
        previous one."""
        stamp = iso(now_utc())
        with self.transaction():
            cur = self.conn.cursor()
            cur.executemany(self._sql("DELETE FROM place_polygons WHERE slug=?"),
                            [(r[0],) for r in rows])
            cur.executemany(self._sql(
                "INSERT INTO place_polygons (slug, katottg, area_km2, origin, imported_at, geom)"
                " VALUES (?,?,?,?,?,?)"),
                [(slug, code, km2, origin, stamp, shapely.to_wkb(g))
                 for slug, code, km2, origin, g in rows])

    def place_polygons_version(self) -> tuple:
        """Changes with any write to the outlines (the key of caches built from them)."""
        return tuple(self._query(
            "SELECT count(*), max(imported_at), sum(area_km2), sum(length(slug)) "
            "FROM place_polygons")[0])

    def place_polygons(self) -> dict[str, Any]:
        """slug → outline of every place that has one."""
        return {slug: shapely.from_wkb(bytes(wkb)) for slug, wkb in
                self._query("SELECT slug, geom FROM place_polygons")}

    def snapshot_times(self, source: str) -> list[tuple[int, str]]:
        """(id, valid_at as ISO text) of a source's revisions in :meth:`snapshots` order:
        cheap enough to resolve many dates at once (no datetime parsing)."""
        return [(int(r[0]), r[1]) for r in self._query(
            "SELECT id, valid_at FROM snapshots WHERE source=? ORDER BY valid_at, recorded_at, "
            "id", (source,))]

    def source_has_kind(self, source: str, kinds: Sequence[str]) -> bool:
        """Whether any zone of a source has one of `kinds` (non-illustrative revisions)."""
        return bool(self._query(
            "SELECT 1 FROM zones z JOIN snapshots s ON s.id=z.snapshot_id WHERE s.source=? "
            f"AND s.illustrative=0 AND z.kind IN ({','.join('?' * len(kinds))}) LIMIT 1",
            (source, *kinds)))

    def region_version_id(self, slug: str, on: date | None = None) -> int | None:
        """Id of the version of a region in force on a date (the row its stats refer to)."""
        sql, params = self._current_regions_sql(on)
        rows = self._query(sql + " AND slug=?", [*params, slug])
        return int(rows[0][-1]) if rows else None


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("frontwatch.store") / "migrations"
    out: dict[int, tuple[str, str]] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            if version in out:  # a store that has one of them would never run the other
                raise RuntimeError(f"two migrations numbered {version}: {out[version][0]} "
                                   f"and {entry.name}")
            out[version] = (entry.name, entry.read_text(encoding="utf-8"))
    return [(version, script) for version, (_, script) in sorted(out.items())]


def _bounds(geoms: Sequence[Any]) -> list[tuple[float | None, ...]]:
    """(minx, miny, maxx, maxy) of each geometry as plain floats; None for an empty one."""
    if not len(geoms):
        return []
    return [tuple(None if v != v else float(v) for v in row)  # NaN (empty) → NULL
            for row in shapely.bounds(geoms)]


def _stop(offset: int, limit: int | None) -> int | None:
    return None if limit is None else offset + limit


def _box(row: Sequence[Any]) -> Bbox | None:
    return None if row[0] is None else (float(row[0]), float(row[1]), float(row[2]),
                                        float(row[3]))
