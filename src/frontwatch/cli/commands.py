"""The table of `frontwatch` commands (verb → module:function, as Kart's cli does) and the
app built from it.

Command modules define plain functions; nothing registers itself on import. Each row names
a command (or a group: its subcommands follow it), the function that runs it and its output
option. Every command also takes `--db` (the same as the root's, so it works before or after
the command name); a function receives the invocation's context object by declaring a
parameter annotated `Cli`.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version as package_version
from typing import Annotated, Any

import typer

from frontwatch.cli import helpstyle
from frontwatch.cli.common import out
from frontwatch.cli.context import Cli
from frontwatch.cli.output import REPORT, ROWS, Output
from frontwatch.cli.strict import StrictCommand, StrictGroup

HELP = "Frontwatch: a versioned record of territorial control in the Donbas."
IMPORT_OUTPUT = Output(flag="--output-format")  # their --format is a file format


@dataclass(frozen=True, slots=True)
class Verb:
    path: str  # "area", "regions list"
    target: str | None = None  # "module:function" in frontwatch.cli; a group: its listing
    output: Output | None = None  # None: the command prints no table or report
    help: str | None = None  # a group without a listing of its own


# In `frontwatch --help` order (typer lists the commands, then the groups).
COMMANDS: tuple[Verb, ...] = (
    Verb("area", "analytics:area_cmd", REPORT),
    Verb("series", "analytics:series_cmd", ROWS),
    Verb("changelog", "analytics:changelog_cmd", ROWS),
    Verb("diff", "analytics:diff_cmd", REPORT),
    Verb("frontline", "analytics:frontline_cmd", ROWS),
    Verb("place", "analytics:place_cmd", REPORT),
    Verb("export", "analytics:export_cmd", IMPORT_OUTPUT),
    Verb("check", "check:check_cmd", REPORT),
    Verb("import", "data:import_cmd", IMPORT_OUTPUT),
    Verb("show", "data:show_cmd"),  # GeoJSON, always
    Verb("map", "maps:map_cmd", REPORT),
    Verb("chart", "maps:chart_cmd", REPORT),
    Verb("serve", "serve:serve_cmd"),
    Verb("regions", help="Administrative regions."),
    Verb("regions import", "data:regions_import", REPORT),
    Verb("regions list", "data:regions_list", ROWS),
    Verb("sync", help="Download new snapshots from a source."),
    Verb("sync deepstate", "data:sync_deepstate_cmd", REPORT),
    Verb("demo", help="The illustrative demo data."),
    Verb("demo load", "data:demo_load"),
    Verb("snapshots", "data:snapshots_cmd", ROWS),
    Verb("snapshots delete", "manage:snapshots_delete", REPORT),
    Verb("places", "data:places_cmd", ROWS),
    Verb("places import", "data:places_import", REPORT),
    Verb("places changed", "analytics:places_changed_cmd", ROWS),
    Verb("sources", "manage:sources_cmd", ROWS),
    Verb("sources remove", "manage:sources_remove", REPORT),
    Verb("stats", help="The precomputed tables (areas, front lines, change log)."),
    Verb("stats rebuild", "analytics:stats_rebuild", REPORT),
    Verb("compare", "compare:compare_cmd", ROWS),
    Verb("compare rebuild", "compare:rebuild_cmd", REPORT),
    Verb("compare lag", "compare:lag_cmd", ROWS),
)

DB_HELP = "Store: path, sqlite:///path or postgresql://… \\[env FRONTWATCH_DATABASE_URL]"


def build() -> typer.Typer:
    """The `frontwatch` app: the root (--db, --version) and every row of COMMANDS."""
    helpstyle.install()
    app = typer.Typer(no_args_is_help=True, add_completion=False, cls=StrictGroup,
                      pretty_exceptions_enable=False, help=HELP)
    app.callback()(_root)
    groups: dict[str, typer.Typer] = {"": app}
    for verb in COMMANDS:
        parent, _, name = verb.path.rpartition(" ")
        is_group = any(v.path.startswith(verb.path + " ") for v in COMMANDS)
        func = _with_shared_options(_load(verb.target), verb) if verb.target else None
        if is_group:
            sub = (typer.Typer(invoke_without_command=True, cls=StrictGroup) if func else
                   typer.Typer(no_args_is_help=True, help=verb.help, cls=StrictGroup))
            if func:
                sub.callback()(func)
            groups[parent].add_typer(sub, name=name, short_help=short_help(func))
            groups[verb.path] = sub
        else:
            assert func is not None, verb.path
            groups[parent].command(name, cls=StrictCommand, short_help=short_help(func))(func)
    return app


def short_help(func: Callable[..., Any] | None) -> str | None:
    """The first paragraph of a command's docstring on one line: the list of commands in
    `--help` kept the docstring's line breaks, cutting sentences ("and its length, or" /
    "(--from/--to) the series")."""
    doc = inspect.getdoc(func) if func is not None else None
    return " ".join(doc.split("\n\n")[0].split()) if doc else None


def _load(target: str) -> Callable[..., Any]:
    module, _, attr = target.partition(":")
    func: Callable[..., Any] = getattr(importlib.import_module(f"frontwatch.cli.{module}"), attr)
    return func


def _version(value: bool) -> None:
    if value:
        out.print(f"frontwatch {package_version('frontwatch')}", highlight=False)
        raise typer.Exit()


def _root(ctx: typer.Context,
          db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
          version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False,
          ) -> None:
    """Frontwatch: a versioned record of territorial control in the Donbas."""
    cli = ctx.ensure_object(Cli)
    cli.use_db(db, "before the command")
    ctx.call_on_close(cli.close)  # the store, if a command opened it


def _with_shared_options(func: Callable[..., Any], verb: Verb) -> Callable[..., Any]:
    """`func` as typer sees it: its own parameters, minus the one annotated `Cli` (which it
    receives), plus the context, `--db` and the verb's output option."""
    sig = inspect.signature(func, eval_str=True)
    takes_cli = [p.name for p in sig.parameters.values() if p.annotation is Cli]
    # typer hands the context to one parameter: the function's own, else ours
    ctx_name = next((p.name for p in sig.parameters.values()
                     if p.annotation is typer.Context), None)
    shared: list[tuple[str, Any]] = [
        *([] if ctx_name else [("fw_ctx", typer.Context)]),
        ("fw_db", Annotated[str | None, typer.Option(
            "--db", help="The same as `frontwatch --db` (before the command).")]),
        *(verb.output.parameters() if verb.output else ()),
    ]
    params = [p for p in sig.parameters.values() if p.name not in takes_cli]
    params += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind,
                                 default=_default(name, kind)) for name, kind in shared]

    @functools.wraps(func)
    def run(**kwargs: Any) -> Any:
        ctx: typer.Context = kwargs[ctx_name] if ctx_name else kwargs.pop("fw_ctx")
        cli = ctx.ensure_object(Cli)
        cli.use_db(kwargs.pop("fw_db"), f"after `{verb.path}`")
        own = {k: kwargs.pop(k) for k in list(kwargs) if k.startswith("fw_")}
        if verb.output:
            cli.use_output(verb.output.resolve(own))
        kwargs.update(dict.fromkeys(takes_cli, cli))
        return func(**kwargs)

    run.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params}
    del run.__wrapped__  # typer reads __signature__, not the function it wraps
    return run


def _default(name: str, kind: Any) -> Any:
    """No default for the context, False for a flag (Annotated[bool, …]), else None."""
    if name == "fw_ctx":
        return inspect.Parameter.empty
    return False if getattr(kind, "__origin__", None) is bool else None
