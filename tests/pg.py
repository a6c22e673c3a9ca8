"""A throwaway PostgreSQL/PostGIS cluster for the backend tests.

`FRONTWATCH_TEST_PG_URL` (a database where the PostGIS extension exists or may be created)
is used when set; otherwise a private cluster is started from the installed binaries (Debian:
``apt-get install postgresql postgresql-postgis``) in a temporary folder, listening only on a
Unix socket there, and removed at the end of the session. Each test gets its own schema, so
tests never see each other's rows.

Without the binaries the tests skip with the reason — except under CI (``CI=true``), where
`.ci/run` installs them and their absence is a failure, not a skip.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.helpers import free_port

INSTALL_HINT = "apt-get install postgresql postgresql-postgis; pip install 'psycopg[binary]'"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL/PostGIS tests cannot run under CI: {reason} ({INSTALL_HINT})")
    pytest.skip(f"PostgreSQL/PostGIS not available: {reason} ({INSTALL_HINT})")


def _bindir() -> Path | None:
    """The newest installed server's binaries (Debian keeps them off PATH)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit()
                        else 0)
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _has_postgis(bindir: Path) -> bool:
    sharedir = subprocess.run([str(bindir / "pg_config"), "--sharedir"], capture_output=True,
                              text=True).stdout.strip() if (bindir / "pg_config").exists() \
        else ""
    patterns = [f"{sharedir}/extension/postgis.control"] if sharedir else []
    patterns.append(f"/usr/share/postgresql/{bindir.parts[-2]}/extension/postgis.control")
    return any(glob.glob(p) for p in patterns)


class Cluster:
    """A running server and the URL of a database on it with PostGIS enabled."""

    def __init__(self, url: str, stop: contextlib.ExitStack | None = None):
        self.url = url
        self._stop = stop

    def close(self) -> None:
        if self._stop:
            self._stop.close()

    @contextlib.contextmanager
    def schema(self) -> Iterator[str]:
        """A URL whose tables land in a fresh schema, dropped afterwards."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        sep = "&" if "?" in self.url else "?"
        try:
            yield f"{self.url}{sep}options={quote(f'-c search_path={name},public')}"
        finally:
            with psycopg.connect(self.url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {name} CASCADE")


def _run_as_postgres(args: list[str], **kw) -> subprocess.CompletedProcess:
    """initdb and postgres refuse to run as root: run them as the `postgres` user."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + args, capture_output=True, text=True, **kw)


def start_cluster() -> Cluster:
    """Start a private cluster (or use FRONTWATCH_TEST_PG_URL); skips when impossible."""
    try:
        import psycopg
    except ImportError:
        _unavailable("psycopg is not installed")
    external = os.environ.get("FRONTWATCH_TEST_PG_URL")
    if external:
        with psycopg.connect(external, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        return Cluster(external)
    bindir = _bindir()
    if bindir is None:
        _unavailable("no initdb found")
    if not _has_postgis(bindir):
        _unavailable(f"the PostGIS extension is not installed for {bindir}")
    stack = contextlib.ExitStack()
    root = Path(tempfile.mkdtemp(prefix="frontwatch-pg-"))
    stack.callback(shutil.rmtree, root, ignore_errors=True)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, log, port = root / "data", root / "server.log", free_port()
    try:
        r = _run_as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                              "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        if r.returncode:
            raise RuntimeError(f"initdb failed: {r.stderr or r.stdout}")
        opts = (f"-k {root} -p {port} -c listen_addresses='' -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off")
        r = _run_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l",
                              str(log), "-w", "-t", "60", "start"])
        if r.returncode:
            text = log.read_text() if log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {r.stderr or r.stdout}\n{text}")
        stack.callback(_run_as_postgres, [str(bindir / "pg_ctl"), "-D", str(data), "-m",
                                          "immediate", "stop"])
        base = f"postgresql://postgres@/postgres?host={quote(str(root))}&port={port}"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute("CREATE DATABASE frontwatch_test")
        url = base.replace("/postgres?", "/frontwatch_test?")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
    except BaseException:
        stack.close()
        raise
    return Cluster(url, stack)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    cluster = start_cluster()
    yield cluster
    cluster.close()


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> Iterator[str]:
    """URL of an empty PostGIS-enabled schema for one test."""
    with pg_cluster.schema() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def backend(request, tmp_path):
    """An empty store of each kind: the same test runs on SQLite and on PostGIS."""
    from frontwatch.store import open_store

    url = tmp_path / "backend.sqlite" if request.param == "sqlite" else \
        request.getfixturevalue("pg_url")
    s = open_store(url)
    yield s
    s.close()
