"""Commands that show and undo what was imported: sources, sources remove, snapshots delete.

Deleting asks for confirmation on a terminal; elsewhere it needs `--yes` (a usage error
otherwise, so a script never deletes by accident nor hangs on a prompt)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from frontwatch import lookup, values
from frontwatch.cli.common import emit_json, err
from frontwatch.cli.context import Cli
from frontwatch.cli.output import OutputFormat, print_rows
from frontwatch.dates import iso

Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def _confirm(what: str, yes: bool) -> None:
    """Ask before deleting `what` ("revision 12 (deepstate, …)"); without a terminal to ask
    on, a usage error saying what would be deleted and that --yes confirms it."""
    if yes:
        return
    if not sys.stdin.isatty():
        # typer's own usage error (typer ≥ 0.2x has its own click: a click.UsageError
        # would not be recognised): click's usage message, exit 2.
        raise typer.BadParameter(f"not given, and no terminal to ask on: this would delete "
                                 f"{what}; pass --yes to confirm", param_hint="'--yes'")
    if not typer.confirm(f"Delete {what}?", default=False, err=True):
        raise typer.Abort()


def sources_cmd(ctx: typer.Context, cli: Cli) -> None:
    """List the sources: revisions, dates, coverage, credit, licence (`remove` one)."""
    if ctx.invoked_subcommand:
        return
    from frontwatch.sources import describe

    rows = describe(cli.store(), cli.settings.source)
    print_rows(cli.output, rows,
               ("source", "revisions", "first", "last", "grey zone", "occupied ground"),
               lambda r: (r["source"] + (" (default)" if r["default"] else ""),
                          f"{r['revisions']:,}", r["first"][:10], r["last"][:10],
                          "yes" if r["grey_zone"] else "no", r["occupied"]))
    if cli.output is not OutputFormat.table:
        return
    for r in rows:
        err.print(f"{r['source']}: {r['attribution']}. Licence: {r['licence']}."
                  + (f" Note: {r['note']}." if r["note"] else ""),
                  style="dim", markup=False, highlight=False)


def sources_remove(
    cli: Cli,
    name: Annotated[str, typer.Argument(help="Source to remove (see `frontwatch sources`).")],
    yes: Yes = False,
) -> None:
    """Delete every revision of a source, with its area stats and import memory."""
    store = cli.store()
    lookup.default_source(store, name)  # unknown name: error with suggestions
    infos = store.snapshots(name)
    _confirm(f"source {name!r}: {len(infos)} revision(s) from {infos[0].date} to "
             f"{infos[-1].date}, with their area stats", yes)
    n = store.delete_source(name)
    if cli.json:
        emit_json({"removed": name, "revisions": n})
    else:
        err.print(f"removed source {name!r}: {n} revision(s)", highlight=False)


def snapshots_delete(
    cli: Cli,
    snapshot_id: Annotated[int, typer.Option("--id", help="Id of the revision (see "
                                             "`frontwatch snapshots`).",
                                             min=values.SNAPSHOT_ID.lo,
                                             max=values.SNAPSHOT_ID.hi)],
    yes: Yes = False,
) -> None:
    """Delete one revision with its area stats; the file that made it can be imported again."""
    from frontwatch.ingest import delete_snapshot

    store = cli.store()
    info = store.snapshot(snapshot_id)  # unknown id: not found
    _confirm(f"revision {info.id} ({info.source}, {info.valid_at:%Y-%m-%d %H:%M} UTC, "
             f"revision {info.revision}) with its area stats", yes)
    delete_snapshot(store, info.id)
    row = {"id": info.id, "source": info.source,
           "valid_at": iso(info.valid_at),
           "revision": info.revision, "content_hash": info.content_hash}
    if cli.json:
        emit_json({"deleted": row})
    else:
        err.print(f"deleted revision {info.id} ({info.source}, {row['valid_at']}, "
                  f"revision {info.revision})", highlight=False)
