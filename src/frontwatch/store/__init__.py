"""Persistence of snapshots, regions and places behind one small interface.

`open_store(url)` picks the backend from the URL: a path or ``sqlite:///path`` opens the
embedded SQLite store (the default); a PostgreSQL URL (``postgresql://…``, ``postgres://…``)
or a libpq keyword connection string (``host=… dbname=…``) the PostGIS one. Anything else
that looks like a URL is refused (StoreUrlInvalid) rather than taken as a file name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from frontwatch.errors import (
    StoreError,
    StoreUrlInvalid,
    echo,
    is_keyword_string,
    redact_secrets,
)
from frontwatch.store.base import SqlStore

__all__ = ["SqlStore", "open_store", "sqlite_path", "store_kind"]

POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):/")  # one letter: a Windows drive, a path
USE = "use a path, sqlite:///path, postgresql://… or a keyword string (host=… dbname=…)"


def store_kind(url: str | Path) -> Literal["sqlite", "postgis"]:
    """Which backend `url` names, checked before anything is opened or created.

    Raises StoreUrlInvalid (a usage mistake, exit 2; never showing a password) for an
    unknown scheme, a malformed PostgreSQL URL or keyword string (parsed by libpq when
    psycopg is installed) or an unknown SQLite option."""
    text = str(url)
    if text.startswith(POSTGRES_SCHEMES) or is_keyword_string(text):
        _check_conninfo(text)
        return "postgis"
    if text.startswith("sqlite:"):
        rest, _, query = text.partition("?")
        if not rest.startswith("sqlite:///") or rest == "sqlite:///":
            raise StoreUrlInvalid(f"unsupported SQLite URL {echo(redact_secrets(text))}: use "
                                  "sqlite:///path/to/file.sqlite")
        if query not in ("", "mode=ro"):
            raise StoreUrlInvalid(f"unsupported SQLite URL option {echo(query)}: the only "
                                  "one is ?mode=ro (open read-only)")
        return "sqlite"
    scheme = _SCHEME.match(text)
    if scheme:
        raise StoreUrlInvalid(f"unsupported store URL scheme {echo(scheme[1])}: {USE}")
    return "sqlite"


def _check_conninfo(text: str) -> None:
    """libpq's own parse of a PostgreSQL URL or keyword string (offline: nothing is
    contacted); without psycopg, open_store says what to install."""
    try:
        from psycopg import ProgrammingError
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:  # pragma: no cover - depends on the optional extra
        return
    try:
        conninfo_to_dict(postgres_conninfo(text))
    except ProgrammingError as exc:
        reason = " ".join(str(exc).split())
        raise StoreUrlInvalid(f"malformed PostgreSQL connection {echo(redact_secrets(text))}"
                              f": {redact_secrets(reason, conninfo=text)}") from None


def postgres_conninfo(text: str) -> str:
    """A PostgreSQL URL or keyword string as libpq reads it (``postgres://`` and
    SQLAlchemy's ``postgresql+psycopg://`` spelled ``postgresql://``)."""
    return re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", text)


def sqlite_path(url: str | Path) -> Path | None:
    """The file a SQLite store URL or path names (None for a PostgreSQL one): callers that
    must not create a store check that it exists before `open_store`. StoreUrlInvalid as
    `store_kind`."""
    if store_kind(url) == "postgis":
        return None
    return Path(str(url).removeprefix("sqlite:///").split("?", 1)[0]).expanduser()


def open_store(url: str | Path, create: bool = True) -> SqlStore:
    """Open (creating and migrating if needed) the store at `url`.

    With ``create=False`` (a command that only reads) a place that holds no Frontwatch
    store yet (no SQLite file, an empty 0-byte file, a database without our schema) is
    refused with NotFound and left exactly as it was.

    Opening is a plain read unless the schema is behind. A SQLite store that cannot be
    written (read-only media, no write permission, or ``sqlite:///path?mode=ro``) opens
    read-only: it answers every read, and writes raise StoreReadOnly."""
    text = str(url)
    if store_kind(text) == "postgis":
        try:
            from frontwatch.store.postgis import PostgisStore
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise StoreError(
                "the PostGIS backend needs psycopg: pip install 'frontwatch[postgis]'"
            ) from exc
        return PostgisStore(text, create=create)
    from frontwatch.store.sqlite import SqliteStore

    readonly = None  # decided by the file's permissions
    if text.startswith("sqlite:///"):
        text, _, query = text[len("sqlite:///"):].partition("?")
        readonly = True if query else None
    return SqliteStore(Path(text).expanduser(), readonly=readonly, create=create)
