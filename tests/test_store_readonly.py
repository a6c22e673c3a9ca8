"""Reading never writes or creates anything (issue 9, finding 5): a store an earlier version
wrote, on read-only media, is read as it is when the migrations it lacks are ones readers do
without, and refused in one line naming its schema version otherwise; a reader (a read-only
command, `serve`, the server's store pool) pointed at a store that is not there creates no
folder and no file, and another application's WAL database gets no side files."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from contextlib import closing, contextmanager
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from frontwatch.api.app import create_app
from frontwatch.api.deps import StorePool
from frontwatch.errors import NotFound, StoreLocked, StoreReadOnly
from frontwatch.settings import Settings
from frontwatch.store import open_store
from frontwatch.store.base import _migrations
from tests.test_cli_errors import one_line_error

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
LATEST = _migrations()[-1][0]
# Migrations a reader does without (a data step, a column looked for first), and one it needs.
SKIPPABLE = [v for v, script in _migrations() if "-- readers: not needed" in script]
NEEDED = 12  # place_status_state: every place's status on a day reads it


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "frontwatch", *args], capture_output=True,
                          text=True, env=ENV, timeout=600)


def _old_store(demo_db: Path, folder: Path, missing: list[int]) -> Path:
    """A copy of the demo store as a version without migrations `missing` wrote it (the
    tables of a needed one dropped, as they never existed)."""
    folder.mkdir()
    path = folder / "old.sqlite"
    with closing(sqlite3.connect(demo_db)) as src, closing(sqlite3.connect(path)) as dst:
        src.backup(dst)
        for version in missing:
            dst.execute("DELETE FROM schema_version WHERE version=?", (version,))
        if NEEDED in missing:
            dst.execute("DROP TABLE place_status_state")
            dst.execute("DROP TABLE place_status_orders")
        if "merged_into" in {r[1] for r in dst.execute("PRAGMA table_info(deleted_snapshots)")} \
                and any("merged_into" in s for v, s in _migrations() if v in missing):
            dst.execute("ALTER TABLE deleted_snapshots DROP COLUMN merged_into")
        dst.commit()
    return path


def _state(folder: Path) -> dict[str, str]:
    """Every file of the folder with its content's hash, and the folder's own mtime."""
    out = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    out["."] = str(folder.stat().st_mtime_ns)
    return out


@contextmanager
def no_write_bit(*paths: Path):
    """`chmod a-w` (Frontwatch takes a file or folder with no write bit as read-only, also
    for root, whom permissions do not stop)."""
    modes = {p: p.stat().st_mode for p in paths}
    for p, mode in modes.items():
        p.chmod(mode & ~0o222)
    try:
        yield
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


def test_an_older_store_on_read_only_media_is_read_as_it_is(demo_db, tmp_path):
    assert SKIPPABLE, "no migration marked as one readers do without"
    db = _old_store(demo_db, tmp_path / "ro", SKIPPABLE)
    with open_store(f"sqlite:///{db}?mode=ro") as s:
        n = len(s.snapshots())
        assert n and s.readonly and {v for v, _ in s._pending_migrations()} == set(SKIPPABLE)
    before = _state(db.parent)
    with no_write_bit(db, db.parent):
        for url in (str(db), f"sqlite:///{db}?mode=ro"):
            r = cli("snapshots", "--json", "--db", url)
            assert r.returncode == 0, r.stderr
            assert len(orjson.loads(r.stdout)) == n
        api = TestClient(create_app(Settings(database_url=str(db), warm=False,
                                             render_processes=0)))
        r = api.get("/v1/snapshots")
        assert r.status_code == 200 and r.json()["count"] == n, r.text
        one_line_error(cli("demo", "load", "--db", str(db)), 1, str(db), "[store-readonly]")
    assert _state(db.parent) == before


def test_an_older_store_readers_cannot_read_is_refused_in_one_line(demo_db, tmp_path):
    db = _old_store(demo_db, tmp_path / "ro", [NEEDED, *SKIPPABLE])
    before = _state(db.parent)
    with no_write_bit(db):
        with pytest.raises(StoreReadOnly) as refused:
            open_store(db)
        assert str(NEEDED) in refused.value.detail and str(db) not in refused.value.detail
        for args in (["snapshots", "--db", str(db)],
                     ["snapshots", "--db", f"sqlite:///{db}?mode=ro"],
                     ["serve", "--db", str(db), "--port", "1"]):  # refused before it listens
            one_line_error(cli(*args), 1, str(db), f"schema is at version {NEEDED - 1}",
                           f"this Frontwatch's is {LATEST}", f"migration(s) {NEEDED}",
                           "open it once where it is writable", "[store-readonly]")
    assert _state(db.parent) == before
    with open_store(db) as s:  # writable again: it upgrades
        assert not s._pending_migrations() and s.snapshots()


def test_readers_create_nothing_where_no_store_is(tmp_path):
    missing = tmp_path / "nonexistent" / "dir" / "x.sqlite"
    before = _state(tmp_path)
    for args, says in ((["snapshots"], "no store at"),
                       (["serve", "--port", "1"], "no folder")):
        one_line_error(cli(*args, "--db", str(missing)), 1, str(missing), says,
                       "[not-found]")
    with StorePool(str(missing)).store() as empty:  # reads see an empty store
        assert empty.snapshots() == []
    api = TestClient(create_app(Settings(database_url=str(missing), warm=False,
                                         render_processes=0)))
    r = api.get("/v1/snapshots")  # as the empty store `serve` would have made
    assert r.status_code == 200 and r.json()["count"] == 0, r.text
    r = api.get("/v1/frontline/series", params={"step": "0"})  # the parameter first
    assert r.status_code == 400 and "'step'" in r.json()["detail"], r.text
    r = api.get("/v1/snapshots/latest")
    assert r.status_code == 404 and str(tmp_path) not in r.text, r.text
    assert _state(tmp_path) == before


def test_another_applications_wal_database_gets_no_side_files(tmp_path):
    foreign = tmp_path / "theirs.sqlite"
    with closing(sqlite3.connect(foreign)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE things (x)")
        conn.commit()
    before = _state(tmp_path)
    for create in (False, True):  # a reader, and a writer (which refuses it as well)
        with pytest.raises(NotFound, match="not a Frontwatch store"):
            open_store(foreign, create=create)
    with pytest.raises(NotFound, match="not a Frontwatch store"), \
            StorePool(str(foreign)).store():
        pass
    assert _state(tmp_path) == before  # not even a -wal made and removed again


def test_a_reader_does_not_wait_for_a_writer_to_run_migrations_it_can_do_without(demo_db,
                                                                                 tmp_path,
                                                                                 monkeypatch):
    """A writable store behind only by migrations readers do without, while another
    connection holds the write lock: a reader reads it as it is at once (it would otherwise
    wait FRONTWATCH_LOCK_TIMEOUT and fail), a writer still waits; the next open migrates."""
    monkeypatch.setenv("FRONTWATCH_LOCK_TIMEOUT", "0.5")
    db = _old_store(demo_db, tmp_path / "rw", SKIPPABLE)
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # the write lock, held until we say
        with open_store(db, create=False) as reader:
            assert reader.snapshots() and reader._pending_migrations()
        with pytest.raises(StoreLocked):
            open_store(db, create=True)
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    with open_store(db, create=False) as s:
        assert not s._pending_migrations()
