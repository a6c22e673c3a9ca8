"""Readers never wait for a writer; a read-only store is readable; a store behind migrates.

The writer is a real second process holding the store's write transaction until the test
tells it to finish, so "the reader answered while the writer held the lock" is checked by
order (the writer is still waiting for our go), not by timing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from frontwatch.bootstrap import ensure_places, load_demo
from frontwatch.errors import StoreLocked, StoreReadOnly
from frontwatch.model import DEMO_SOURCE
from frontwatch.settings import Settings
from frontwatch.store import open_store
from tests.helpers import OCC, deepstate_fc, dumps, square

pytest_plugins = ["tests.pg"]  # pg_url

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
       "FRONTWATCH_LOCK_TIMEOUT": "1"}

# Holds a real write (delete every snapshot of a source, the demo by default) uncommitted
# until a line arrives on stdin, then rolls it back, so the store ends as it began.
WRITER = """
import sys
from frontwatch.store import open_store
from tests.helpers import OCC, deepstate_fc, dumps, square
store = open_store(sys.argv[1])
with store.transaction():
    deleted = store.delete_source(sys.argv[2] if len(sys.argv) > 2 else "demo")
    print(f"holding {deleted}", flush=True)
    sys.stdin.readline()
    raise SystemExit(0)  # rolls back
"""


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "frontwatch", *args], capture_output=True,
                          text=True, env=env or ENV, timeout=600)


@contextmanager
def writer_holding_lock(url: str, source: str = "demo") -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen([sys.executable, "-c", WRITER, url, source], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        line = proc.stdout.readline()
        assert line.startswith("holding ") and int(line.split()[1]) > 0, line
        yield proc
        assert proc.poll() is None, "the writer must still hold its transaction"
        proc.stdin.write("done\n")
        proc.stdin.flush()
        assert proc.wait(timeout=600) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.fixture
def demo_db(tmp_path) -> Path:
    path = tmp_path / "demo.sqlite"
    with open_store(path) as s:
        ensure_places(s)
        load_demo(s)
    return path


def test_readers_answer_while_a_writer_holds_the_lock(demo_db, monkeypatch):
    from frontwatch.api.app import create_app

    with open_store(demo_db) as s:
        before = s.snapshots()
    day = before[-1].valid_at.date().isoformat()
    monkeypatch.setenv("FRONTWATCH_LOCK_TIMEOUT", "0.2")
    client = TestClient(create_app(Settings(database_url=str(demo_db), source=DEMO_SOURCE,
                                            api_token="s3cret")))
    with writer_holding_lock(str(demo_db)) as writer:
        # In-process: open (schema check, bootstrap check), list, resolve.
        with open_store(demo_db) as s:
            assert s.snapshots() == before  # the writer's deletion is not committed
            assert s.resolve(DEMO_SOURCE, before[-1].valid_at.date()).id == before[-1].id
            with pytest.raises(StoreLocked, match="locked by another writer"), \
                    s.transaction(wait=False):
                pass
        # The real CLI, bootstrap included.
        r = cli("snapshots", "--json", "--db", str(demo_db))
        assert r.returncode == 0, r.stderr
        assert len(orjson.loads(r.stdout)) == len(before)
        # The API, each request on a fresh connection from the pool.
        assert client.get("/v1/snapshots").status_code == 200
        assert client.get(f"/v1/snapshots/{day}").status_code == 200
        # An upload is a write: after the lock timeout, 503 store-locked, worth a retry.
        r = client.post("/v1/snapshots", params={"filename": "1719835200.geojson"},
                        content=dumps(deepstate_fc((OCC, square()))),
                        headers={"Authorization": "Bearer s3cret"})
        assert r.status_code == 503 and r.headers["retry-after"], r.text
        assert r.json()["type"] == "urn:frontwatch:error:store-locked"
        # A writer waits FRONTWATCH_LOCK_TIMEOUT (1 s here), then a clean error, exit 1.
        r = cli("demo", "load", "--db", str(demo_db))
        assert r.returncode == 1, r.stderr
        assert r.stderr.strip().endswith("[store-locked]")
        assert "locked by another writer" in r.stderr
        assert str(demo_db) in r.stderr and "internal error" not in r.stderr
        assert writer.poll() is None
    with open_store(demo_db) as s:
        assert s.snapshots() == before


def test_a_duplicate_upload_is_answered_while_a_writer_holds_the_lock(tmp_path, monkeypatch):
    """An upload of content already stored waited for the write lock (an import running)
    before saying so: the duplicate is found on a read and answered at once, while new
    content still needs the lock (503 store-locked here) and the store stays as it was."""
    from frontwatch.api.app import create_app

    db = tmp_path / "s.sqlite"
    with open_store(db) as s:
        ensure_places(s)
    monkeypatch.setenv("FRONTWATCH_LOCK_TIMEOUT", "0.2")
    client = TestClient(create_app(Settings(database_url=str(db), api_token="s3cret")))

    def upload(ring: list) -> object:
        return client.post("/v1/snapshots", params={"filename": "1719835200.geojson"},
                           content=dumps(deepstate_fc((OCC, ring))),
                           headers={"Authorization": "Bearer s3cret"})

    first = upload(square())
    assert first.status_code == 201, first.text
    with open_store(db) as s:
        before = s.snapshots()
    with writer_holding_lock(str(db), "deepstate") as writer:
        again = upload(square())
        assert again.status_code == 200, again.text  # not 503: it never asked for the lock
        assert again.json()["created"] is False
        assert again.json()["snapshot"]["id"] == first.json()["snapshot"]["id"]
        new = upload(square(0.2))
        assert new.status_code == 503, new.text
        assert new.json()["code"] == "store-locked"
        assert writer.poll() is None
    with open_store(db) as s:
        assert s.snapshots() == before


def _upload(url: str) -> object:
    from frontwatch.api.app import create_app

    client = TestClient(create_app(Settings(database_url=url, api_token="s3cret")))
    return client.post("/v1/snapshots", params={"filename": "1719835200.geojson"},
                       content=dumps(deepstate_fc((OCC, square(0.3)))),
                       headers={"Authorization": "Bearer s3cret"})


def _shown(response: object) -> str:
    """Everything an HTTP client sees: the body and every header."""
    return response.text + "".join(f"\n{k}: {v}" for k, v in response.headers.items())


def test_an_http_store_error_never_shows_where_the_store_is(demo_db, monkeypatch):
    """SECURITY.md: a problem never shows server paths. A locked or read-only store is a 503
    saying what is wrong; its path (and the folder's name) stays in the CLI's message and
    the server log (new-user trial: the detail led with the store's file)."""
    monkeypatch.setenv("FRONTWATCH_LOCK_TIMEOUT", "0.2")
    hidden = (str(demo_db), demo_db.parent.name, demo_db.name)
    with writer_holding_lock(str(demo_db)) as writer:
        locked = _upload(str(demo_db))
        assert writer.poll() is None
    readonly = _upload(f"sqlite:///{demo_db}?mode=ro")
    for r, code, says in ((locked, "store-locked", "locked by another writer"),
                          (readonly, "store-readonly", "read-only")):
        assert r.status_code == 503 and r.json()["code"] == code, r.text
        assert says in r.json()["detail"], r.text
        assert not [h for h in hidden if h in _shown(r)], _shown(r)


def test_a_store_error_names_the_store_only_outside_http(tmp_path):
    """Every store error class keeps its location and the driver's words apart from what
    is wrong: str() (CLI, log) has all, `detail` (HTTP) neither, also after crossing a
    process boundary (pickled back from api.heavy's workers). A real SQLite 'disk full'."""
    import pickle
    import sqlite3

    from frontwatch.errors import StoreError, StoreFull

    db = tmp_path / "full.sqlite"
    with open_store(db) as s:
        ensure_places(s)
        pages = s.conn.execute("PRAGMA page_count").fetchone()[0]
        s.conn.execute(f"PRAGMA max_page_count={pages}")  # no room for one more page
        with pytest.raises(StoreFull) as full:
            load_demo(s)
    assert isinstance(full.value.__cause__, sqlite3.Error)
    for exc in (full.value, pickle.loads(pickle.dumps(full.value))):
        assert type(exc) is StoreFull and str(db) in str(exc) and exc.cause in str(exc)
        assert exc.detail == "the disk holding the store is full; nothing was written"
    for cls in {StoreError, *StoreError.__subclasses__()}:
        exc = pickle.loads(pickle.dumps(cls("what is wrong", store=str(db), cause="why")))
        assert (str(exc), exc.detail) == (f"{db}: what is wrong (why)", "what is wrong")


def test_postgis_store_error_over_http_never_shows_the_url(pg_url, monkeypatch):
    with open_store(pg_url) as s:
        ensure_places(s)
        load_demo(s)
    monkeypatch.setenv("FRONTWATCH_LOCK_TIMEOUT", "0.2")
    with writer_holding_lock(pg_url):
        r = _upload(pg_url)
    assert r.status_code == 503 and r.json()["code"] == "store-locked", r.text
    from urllib.parse import urlsplit
    parts = urlsplit(pg_url)
    hidden = [pg_url, *(p for p in (parts.hostname, parts.path.strip("/"), parts.query)
                        if p)]
    assert not [h for h in hidden if h in _shown(r)], _shown(r)


@pytest.mark.parametrize("bad", ["passwd", "pipe.geojson"])
def test_a_bad_file_fails_with_its_own_message_while_a_writer_holds_the_lock(demo_db, tmp_path,
                                                                             bad):
    """Files are read and parsed before the write lock is asked for: a text file or a FIFO
    imported while another import writes is refused for what it is, not reported as
    `store-locked` after the lock timeout (new-user trial)."""
    path = tmp_path / bad
    if bad == "passwd":
        path.write_text("root:x:0:0:root:/root:/bin/bash\n")
        says = "not a format Frontwatch reads"
    else:
        os.mkfifo(path)
        says = "not a regular file"
    with writer_holding_lock(str(demo_db)) as writer:
        r = cli("import", str(path), "--db", str(demo_db))
        assert writer.poll() is None
    assert r.returncode == 1, r.stderr
    assert says in r.stderr and r.stderr.strip().endswith("[input-invalid]"), r.stderr
    assert "locked" not in r.stderr


def test_postgis_open_takes_no_lock(pg_url):
    with open_store(pg_url) as s:
        ensure_places(s)
        load_demo(s)
        n = len(s.snapshots())
    with writer_holding_lock(pg_url) as writer:
        r = cli("snapshots", "--json", "--db", pg_url)
        assert r.returncode == 0, r.stderr
        assert len(orjson.loads(r.stdout)) == n
        with open_store(pg_url) as s, pytest.raises(StoreLocked), s.transaction(wait=False):
            pass
        assert writer.poll() is None


@contextmanager
def read_only(folder: Path) -> Iterator[list[str]]:
    """A command prefix that runs with `folder` read-only: a read-only bind mount when we
    are root (root ignores permission bits), chmod -w otherwise."""
    if os.geteuid() == 0:
        if not shutil.which("unshare") or subprocess.run(
                ["unshare", "-m", "true"], capture_output=True).returncode:
            pytest.skip("running as root without mount namespaces: cannot make a folder "
                        "read-only")
        script = ('mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"')
        yield ["unshare", "-m", "sh", "-c", script, str(folder)]
        return
    modes = {p: p.stat().st_mode for p in [folder, *folder.iterdir()]}
    for p in modes:
        p.chmod(modes[p] & ~0o222)
    try:
        yield []
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


@pytest.mark.parametrize("left_over_wal", [False, True])
def test_read_only_store_is_readable(demo_db, left_over_wal):
    with open_store(demo_db) as s:
        n = len(s.snapshots())
    if left_over_wal:  # a writer killed after committing: the last commit is only in -wal
        subprocess.run([sys.executable, "-c", (
            "import os, sys; from frontwatch.store import open_store\n"
            "s = open_store(sys.argv[1]); s.conn.execute('PRAGMA wal_autocheckpoint=0')\n"
            "with s.transaction(): s.delete_source('demo')\n"
            "os._exit(0)"), str(demo_db)], env=ENV, check=True)
        assert Path(f"{demo_db}-wal").stat().st_size > 0
        n = 0
    before = sorted(p.name for p in demo_db.parent.iterdir())
    with read_only(demo_db.parent) as prefix:
        python = [*prefix, sys.executable, "-m", "frontwatch"]
        r = subprocess.run([*python, "snapshots", "--json", "--db", str(demo_db)],
                           capture_output=True, text=True, env=ENV, timeout=600)
        assert r.returncode == 0, r.stderr
        assert len(orjson.loads(r.stdout)) == n
        r = subprocess.run([*python, "demo", "load", "--db", str(demo_db)],
                           capture_output=True, text=True, env=ENV, timeout=600)
        assert r.returncode == 1, r.stderr
        assert "read-only" in r.stderr and str(demo_db) in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in demo_db.parent.iterdir()) == before


@pytest.mark.parametrize("unwritable", ["file", "folder"])
def test_a_store_with_no_write_bit_opens_read_only_even_for_root(demo_db, tmp_path,
                                                                unwritable):
    """`chmod a-w` on the store's file or its folder makes it read-only also when the import
    runs as root, whom permission bits do not stop (new-user trial: root's import exited 0
    and changed the file). As anyone else the permissions alone refuse it."""
    import hashlib

    upload = tmp_path / "in" / "1719835200.geojson"
    upload.parent.mkdir()
    upload.write_text(dumps(deepstate_fc((OCC, square(0.3)))))
    target = demo_db if unwritable == "file" else demo_db.parent
    before = hashlib.sha256(demo_db.read_bytes()).hexdigest()
    mode = target.stat().st_mode
    target.chmod(mode & ~0o222)
    try:
        r = cli("import", str(upload), "--db", str(demo_db))
        listed = cli("snapshots", "--json", "--db", str(demo_db))
    finally:
        target.chmod(mode)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stderr.strip().endswith("[store-readonly]") and str(demo_db) in r.stderr
    assert hashlib.sha256(demo_db.read_bytes()).hexdigest() == before
    assert listed.returncode == 0 and orjson.loads(listed.stdout), listed.stderr


def test_mode_ro_url(demo_db):
    with open_store(f"sqlite:///{demo_db}?mode=ro") as s:
        assert s.readonly and s.snapshots()
        with pytest.raises(StoreReadOnly, match="read-only"):
            s.delete_source(DEMO_SOURCE)
        assert s.snapshots()


def test_store_behind_is_migrated(demo_db):
    with open_store(demo_db) as s:  # roll the schema back to before migration 3 (inputs)
        with s.transaction():
            s._execute("DROP TABLE inputs")
            s._execute("DELETE FROM schema_version WHERE version=3")
        assert s._pending_migrations()
    with open_store(demo_db) as s:
        assert not s._pending_migrations()
        assert s._has_table("inputs") and s.snapshots()
