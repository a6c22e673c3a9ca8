"""The embedded default store: one SQLite file in WAL mode."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from frontwatch.errors import StoreError
from frontwatch.store.base import SqlStore


class SqliteStore(SqlStore):
    dialect = "sqlite"

    def __init__(self, path: Path):
        super().__init__()
        self.path = path
        self.url = f"sqlite:///{path}"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA busy_timeout=10000")
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open SQLite store {path}: {exc}") from exc
        self._migrate()

    def _begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def _dialect_script(self, script: str) -> list[str]:
        return super()._dialect_script(script.replace("BYTEA", "BLOB").replace(
            "DOUBLE PRECISION", "REAL"))
