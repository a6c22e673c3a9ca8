"""The one context object of a `frontwatch` invocation: the store it names, the output format
asked for, the settings. Commands receive it as a parameter annotated `Cli` (see
cli.commands); the store is opened on first use and closed when the command exits."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import typer

from frontwatch.cli.output import OutputFormat
from frontwatch.errors import NAME_CHARS, NotFound, echo, printable, redact_secrets
from frontwatch.settings import Settings

if TYPE_CHECKING:
    from frontwatch.store import SqlStore


def shown(db: str) -> str:
    """A store name as an error message quotes it: escaped, without its password, and cut
    like a file name (errors.echo, at most NAME_CHARS characters shown)."""
    return echo(printable(redact_secrets(db)), width=NAME_CHARS)


@dataclass(eq=False)
class Cli:
    """What every command of one invocation shares.

    `db` is the --db given (before or after the command name), None for the default store
    (FRONTWATCH_DATABASE_URL, else the user data folder's): a store named with --db or
    FRONTWATCH_DATABASE_URL must exist already for a command that only reads."""

    db: str | None = None
    asked: OutputFormat | None = None  # --format/--json/--csv, None: not given
    _store: SqlStore | None = field(default=None, repr=False)

    @cached_property
    def settings(self) -> Settings:
        """Settings from the environment, with --db (when given) as the store URL."""
        s = Settings()
        return dataclasses.replace(s, database_url=self.db) if self.db else s

    @property
    def output(self) -> OutputFormat:
        """The output format: the one asked for, else a table."""
        return self.asked or OutputFormat.table

    @property
    def json(self) -> bool:
        return self.output is OutputFormat.json

    def use_db(self, db: str | None, where: str) -> None:
        """Record a --db; the same store named twice is fine, two different ones are a
        usage mistake (exit 2)."""
        if db is None or db == self.db:
            return
        if not db.strip():  # `--db ""` (an unset shell variable): not the default store
            raise typer.BadParameter("empty: name a store (a path, sqlite:///path or "
                                     "postgresql://…), or leave --db out for the default",
                                     param_hint="'--db'")
        from frontwatch.errors import StoreUrlInvalid
        from frontwatch.store import store_kind

        try:
            store_kind(db)  # an unknown scheme or a malformed URL: before anything opens
        except StoreUrlInvalid as exc:
            # click's usage message, ending in the code as from FRONTWATCH_DATABASE_URL
            raise typer.BadParameter(f"{exc} [{exc.code}]", param_hint="'--db'") from None
        if self.db is not None:
            raise typer.BadParameter(f"two different stores ({shown(self.db)} before the "
                                     f"command, {shown(db)} {where}): give one",
                                     param_hint="'--db'")
        self.db = db
        self.__dict__.pop("settings", None)  # computed again with this store

    def use_output(self, fmt: OutputFormat | None) -> None:
        """Record the output format asked for at one level (a listing group or its
        subcommand); two levels asking for different formats are a usage mistake."""
        if fmt is None or fmt is self.asked:
            return
        if self.asked is not None:
            raise typer.BadParameter(f"two different output formats ({self.asked}, {fmt}): "
                                     "give one", param_hint="'--format'")
        self.asked = fmt

    def store(self, *, create: bool = False, new_folder: bool = True) -> SqlStore:
        """The store, opened on first call (the bundled places loaded on first use, the demo
        into a brand-new default store) and closed by `close` at exit.

        A command that only reads refuses a store named by --db or FRONTWATCH_DATABASE_URL
        that is a SQLite file that does not exist (NotFound, exit 1) instead of creating an
        empty store there; commands that write pass `create=True`. The default store is
        created as always. ``new_folder=False`` (`serve`): a named store is created only
        in a folder that exists (a mistyped path is refused, nothing made)."""
        if self._store is not None:
            return self._store
        from frontwatch.analytics import precompute  # noqa: F401  (registers ingest's hooks)
        from frontwatch.bootstrap import prepare_default_store
        from frontwatch.store import open_store, sqlite_path

        url = self.settings.database_url
        named = "--db" if self.db is not None else (
            None if self.settings.is_default_database else "FRONTWATCH_DATABASE_URL")
        path = sqlite_path(url) if named and not (create and new_folder) else None
        if create and path is not None and not path.exists() and not path.parent.is_dir():
            raise NotFound(f"no store at {printable(redact_secrets(str(path)))}, and no folder "
                           f"{printable(redact_secrets(str(path.parent)))} for a new one: "
                           f"check {named} (`serve` creates a store only in an existing "
                           "folder; `frontwatch import` creates both)")
        if path is not None and not create and (not path.exists() or (
                path.is_file() and not path.stat().st_size)):  # 0 bytes: no store either
            shown = printable(redact_secrets(str(path)))
            raise NotFound(f"no store at {shown}: check {named} (a command that only reads "
                           "never creates a store; `frontwatch import` does)")
        store = open_store(url, create=create or not named)
        try:
            prepare_default_store(store, self.settings.is_default_database)
        except BaseException:
            store.close()
            raise
        self._store = store
        return store

    def close(self) -> None:
        """Close the store if it was opened (at the end of the invocation, or before
        `serve` hands over to its workers)."""
        store, self._store = self._store, None
        if store is not None:
            store.close()
