"""Persistence of snapshots, regions and places behind one small interface.

`open_store(url)` picks the backend from the URL: a path or ``sqlite:///path`` opens the
embedded SQLite store (the default), ``postgresql://…`` the PostGIS one.
"""

from __future__ import annotations

from pathlib import Path

from frontwatch.errors import StoreError, echo
from frontwatch.store.base import SqlStore

__all__ = ["SqlStore", "open_store", "sqlite_path"]


def sqlite_path(url: str | Path) -> Path | None:
    """The file a SQLite store URL or path names (None for a server URL): callers that must
    not create a store check that it exists before `open_store`."""
    text = str(url)
    if "://" in text and not text.startswith("sqlite:///"):
        return None
    return Path(text.removeprefix("sqlite:///").split("?", 1)[0]).expanduser()


def open_store(url: str | Path) -> SqlStore:
    """Open (creating and migrating if needed) the store at `url`.

    Opening is a plain read unless the schema is behind. A SQLite store that cannot be
    written (read-only media, no write permission, or ``sqlite:///path?mode=ro``) opens
    read-only: it answers every read, and writes raise StoreReadOnly."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        try:
            from frontwatch.store.postgis import PostgisStore
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise StoreError(
                "the PostGIS backend needs psycopg: pip install 'frontwatch[postgis]'"
            ) from exc
        return PostgisStore(text)
    from frontwatch.store.sqlite import SqliteStore

    readonly = None  # decided by the file's permissions
    if "://" in text.split("?", 1)[0] and not text.startswith("sqlite:"):
        scheme = text.split("://", 1)[0]
        raise StoreError(f"unsupported store URL scheme {echo(scheme)}: use a path, "
                         "sqlite:///path or postgresql://…")
    if text.startswith("sqlite:///"):
        text, _, query = text[len("sqlite:///"):].partition("?")
        if query not in ("", "mode=ro"):
            raise StoreError(f"unsupported SQLite URL option {echo(query)}: the only one is "
                             "?mode=ro (open read-only)")
        readonly = True if query else None
    elif text.startswith("sqlite://"):
        raise StoreError(f"unsupported SQLite URL {echo(text)}: use sqlite:///path/to/file.sqlite")
    return SqliteStore(Path(text).expanduser(), readonly=readonly)
