"""Settings from one place: environment variables, overridden by command-line flags.

| variable | meaning | default |
|---|---|---|
| FRONTWATCH_DATABASE_URL | store (path, sqlite:///path, postgresql://…) | user data dir |
| FRONTWATCH_SOURCE | default control-data source | the best one the store holds |
| FRONTWATCH_API_TOKEN | bearer token for write endpoints; unset disables writes | unset |
| FRONTWATCH_ASSETS | `cdn` or `local` for map scripts and styles | cdn |
| FRONTWATCH_MAX_UPLOAD_MB | largest accepted upload | 50 |
| FRONTWATCH_DATA_DIR | folder with the bundled data | the repository's data/geo |
| FRONTWATCH_LOCK_TIMEOUT | seconds a writer waits for the store's write lock (store.base) | 10 |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_data_dir


def default_database_path() -> Path:
    return Path(user_data_dir("frontwatch", appauthor=False)) / "frontwatch.sqlite"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = field(default_factory=lambda: os.environ.get(
        "FRONTWATCH_DATABASE_URL") or str(default_database_path()))
    source: str | None = field(default_factory=lambda: os.environ.get("FRONTWATCH_SOURCE"))
    api_token: str | None = field(default_factory=lambda: os.environ.get(
        "FRONTWATCH_API_TOKEN") or None)
    assets: str = field(default_factory=lambda: os.environ.get("FRONTWATCH_ASSETS", "cdn"))
    max_upload_mb: float = field(default_factory=lambda: float(os.environ.get(
        "FRONTWATCH_MAX_UPLOAD_MB", "50")))

    @property
    def is_default_database(self) -> bool:
        return self.database_url == str(default_database_path())
