"""Opening a store again in a process never drops the locks its open connections hold.

POSIX drops every lock a process holds on a file when the process closes *any* descriptor of
that file. Reading the store's header with open()/close() (to tell whether another
application's database is in WAL mode) did that while the server's connections were open:
the next process to close the store took itself for the last user, checkpointed and deleted
the WAL under the server, and a committed import was lost in a malformed store (breaker
trial). Checked here as it failed: the other process's close must leave the WAL in place."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from frontwatch.store import open_store

OTHER_PROCESS = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.execute("PRAGMA user_version = 7")  # a commit, as an import's
conn.close()  # the last user (so it believes) checkpoints and deletes the WAL
"""


@pytest.mark.parametrize("create", [True, False], ids=["writer", "reader"])
def test_a_second_open_keeps_the_locks_of_the_first(tmp_path: Path, create: bool) -> None:
    path = tmp_path / "s.sqlite"
    with open_store(path) as first:
        first.conn.execute("CREATE TEMP TABLE t(a)")  # in use, as the server's connection
        wal = Path(f"{path}-wal")
        assert wal.exists()
        with open_store(path, create=create):
            pass
        subprocess.run([sys.executable, "-c", OTHER_PROCESS, str(path)], check=True)
        assert wal.exists(), "another process deleted the WAL under an open connection"
        assert first.conn.execute("PRAGMA user_version").fetchone()[0] == 7
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
