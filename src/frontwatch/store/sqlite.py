"""The embedded default store: one SQLite file in WAL mode.

Concurrency: in WAL mode readers never wait for the writer (they read the last committed
state), and opening a store is a plain read unless its schema is behind. Only writing
transactions (`BEGIN IMMEDIATE`) wait for another writer, up to FRONTWATCH_LOCK_TIMEOUT
(10 s), and then fail with StoreLocked.

Read-only media: a store whose file or folder is not writable (a read-only mount, chmod -w;
for root, who may write anyway, no write bit for anyone) or opened as
``sqlite:///path?mode=ro`` opens read-only. A read-only WAL database needs its ``-wal`` and
``-shm`` files or the ``immutable`` flag: when a ``-wal`` file is present (a store not closed
cleanly) it opens with ``mode=ro``, which reads the committed transactions still in the WAL;
otherwise with ``immutable=1`` (nothing can change the file underneath). Writes on a
read-only store raise StoreReadOnly; one behind the schema is read as it is when the
migrations it lacks are ones readers do without (base.SqlStore._refuse_unreadable).

A reader (``create=False``) creates nothing: no folder, no file, and no ``-wal``/``-shm``
beside a database that turns out not to be ours (see _probe_wal_file).
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path
from urllib.parse import quote

from frontwatch.errors import StoreError, StoreFull, StoreLocked, StoreReadOnly, printable
from frontwatch.store.base import SqlStore, lock_timeout_ms

WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


def _writable(path: Path) -> bool:
    """Whether the store (file and folder: WAL creates files next to it) can be written.

    By the mode bits too: root ignores permissions (os.access says yes), so a file or folder
    with no write bit for anyone (``chmod a-w``) is taken as the owner's "do not write"."""
    folder = path.parent if str(path.parent) else Path(".")
    targets = [folder, *([path] if path.exists() else [])]
    return all(os.access(p, os.W_OK) and p.stat().st_mode & WRITE_BITS for p in targets)


class SqliteStore(SqlStore):
    dialect = "sqlite"

    def __init__(self, path: Path, readonly: bool | None = None, create: bool = True):
        super().__init__()
        self.path = path
        self.url = f"sqlite:///{path}"
        self.create = create
        if not create and (not path.exists() or (path.is_file() and not path.stat().st_size)):
            self._refuse_if_new(empty=True)  # no file or a 0-byte one: nothing opened
        if readonly is None:
            readonly = path.exists() and not _writable(path)
        self.readonly = readonly
        try:
            if readonly:
                self.conn = self._connect_readonly()
            else:
                if create:  # a writer's new store; a reader never creates anything
                    try:
                        path.parent.mkdir(parents=True, exist_ok=True)
                    except OSError as exc:
                        raise StoreError("cannot create the store's folder", store=self.label,
                                         cause=exc.strerror or exc) from exc
                self._probe_wal_file()
                self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
                try:  # ours, new or foreign: decided before the WAL header is written
                    self._refuse_if_new()
                except BaseException:
                    self.conn.close()
                    raise
                # Setting WAL writes the header: only when it is not set yet.
                if self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=NORMAL")
                self.conn.execute("PRAGMA foreign_keys=ON")
            # Readers in WAL mode never wait; this bounds only a writer's wait for the lock.
            self.busy_timeout_ms = lock_timeout_ms()
            self.conn.execute(f"PRAGMA busy_timeout={self.busy_timeout_ms}")
        except sqlite3.Error as exc:
            raise self._store_error(exc) or StoreError(
                "cannot open the SQLite store", store=self.label, cause=exc) from exc
        try:
            if readonly:
                self._refuse_if_new()
            self._migrate()
        except BaseException:
            self.conn.close()
            raise

    @property
    def label(self) -> str:
        return printable(self.path)

    def _probe_wal_file(self) -> None:
        """Whether a database with no ``-wal`` beside it is ours, decided through an
        ``immutable`` connection, which creates nothing: a plain connection's first read of
        another application's WAL-mode database would create ``-wal`` and ``-shm`` beside it
        before it is refused.

        Never by reading the file's header with open()/close(): closing any descriptor of
        the file drops every POSIX lock this process holds on it, those of its open SQLite
        connections included (SQLite's "close() cancels locks" corruption). Another
        process's writer then took itself for the last user, checkpointed and deleted the
        WAL under this process's connections: a lost import and a malformed store (breaker
        trial). SQLite's own connections share the locks' bookkeeping and keep them."""
        if Path(f"{self.path}-wal").exists() or not self.path.is_file():
            return  # in use (a plain connection creates nothing new), or nothing to read
        try:
            probe = sqlite3.connect(f"file:{quote(os.fsdecode(self.path.absolute()))}"
                                    "?immutable=1", uri=True, check_same_thread=False)
        except sqlite3.Error:
            return  # the plain connection says why
        self.conn = probe
        try:
            self._refuse_if_new()
        except sqlite3.Error:
            pass  # not a database, or one being written in rollback mode: decided below
        finally:
            probe.close()

    def _connect_readonly(self) -> sqlite3.Connection:
        if not self.path.exists() or (self.path.is_file() and not self.path.stat().st_size):
            raise StoreError("no store there (a read-only store is not created)",
                             store=self.label)
        target = quote(os.fsdecode(self.path.absolute()))
        wal = Path(f"{self.path}-wal")
        # mode=ro reads a left-over WAL (it needs -shm too, or a folder to create it in);
        # immutable=1 needs no side files at all.
        flags = ["mode=ro", "immutable=1"] if wal.exists() else ["immutable=1", "mode=ro"]
        error: sqlite3.Error | None = None
        for flag in flags:
            try:
                conn = sqlite3.connect(f"file:{target}?{flag}", uri=True,
                                       isolation_level=None, check_same_thread=False)
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return conn
            except sqlite3.Error as exc:
                error = exc
        assert error is not None
        raise error

    def _has_table(self, name: str) -> bool:
        return bool(self._query(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)))

    def _tables(self) -> set[str]:
        return {r[0] for r in self._query(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")}

    def _columns(self, table: str) -> set[str]:
        return {r[0] for r in self._query("SELECT name FROM pragma_table_info(?)", (table,))}

    def _begin(self, wait: bool = True) -> None:
        if wait:
            self.conn.execute("BEGIN IMMEDIATE")
            return
        self.conn.execute("PRAGMA busy_timeout=0")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        finally:
            self.conn.execute(f"PRAGMA busy_timeout={self.busy_timeout_ms}")

    def _store_error(self, exc: BaseException) -> StoreError | None:
        if not isinstance(exc, sqlite3.Error):
            return None
        code = getattr(exc, "sqlite_errorcode", None)
        primary = code & 0xFF if code is not None else None
        if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return StoreLocked("the store is locked by another writer (an import or upload "
                               "still running?); try again when it has finished",
                               store=self.label)
        if primary == sqlite3.SQLITE_READONLY:
            return StoreReadOnly("the store is read-only", store=self.label, cause=exc)
        if primary == sqlite3.SQLITE_FULL:
            return StoreFull("the disk holding the store is full; nothing was written",
                             store=self.label, cause=exc)
        if primary in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_IOERR,
                       sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
            return StoreError("the store cannot be read or written", store=self.label,
                              cause=exc)
        return None

    def _dialect_script(self, script: str) -> list[str]:
        return super()._dialect_script(script.replace("BYTEA", "BLOB").replace(
            "DOUBLE PRECISION", "REAL"))
