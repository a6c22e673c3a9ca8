"""How commands print: one output option (`--format table|json|csv`, `--json` and `--csv` as
aliases) and one printer for every table.

`table` is the human-readable output (rich tables and lines on stdout, notes on stderr);
`json` is exactly one JSON document on stdout; `csv` is one header line and one line per
row, for the commands whose answer is rows. Commands whose own `--format` names a file
format (`import`, `export`) spell the output option `--output-format`.
"""

from __future__ import annotations

import csv as csvlib
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

import orjson
import pandas as pd
import typer
from rich import box
from rich.measure import Measurement
from rich.table import Table

from frontwatch.cli.common import emit_json, out
from frontwatch.errors import visible
from frontwatch.precision import fixed, fixed_point, round_table, round_values


class OutputFormat(StrEnum):
    """Every output format; a command offers the ones its answer has (see `Output`)."""

    table = "table"
    json = "json"
    csv = "csv"


class ReportFormat(StrEnum):
    """The formats of a command that answers a report, not rows: no CSV."""

    table = "table"
    json = "json"


@dataclass(frozen=True, slots=True)
class Output:
    """The output option of one command: which formats, under which flag."""

    rows: bool = False  # the answer is rows: CSV too
    flag: str = "--format"  # `--output-format` where --format names a file format

    def parameters(self) -> list[tuple[str, Any]]:
        """(python name, annotation) of the options this command gets, with defaults None/
        False (see cli.commands, which adds them to the command's signature)."""
        kind = OutputFormat if self.rows else ReportFormat
        choices = "|".join(kind)
        params: list[tuple[str, Any]] = [
            ("fw_format", Annotated[kind | None, typer.Option(
                self.flag, metavar=f"[{choices}]", show_default=False,
                help="Output: a table (default), one JSON document"
                + (" or CSV rows." if self.rows else "."))]),
            ("fw_json", Annotated[bool, typer.Option("--json", help=f"= {self.flag} json.")]),
        ]
        if self.rows:
            params.append(("fw_csv", Annotated[bool, typer.Option(
                "--csv", help=f"= {self.flag} csv.")]))
        return params

    def resolve(self, values: Mapping[str, Any]) -> OutputFormat | None:
        """The format the options ask for (None: none given). Two different formats are a
        usage mistake: typer's BadParameter (click's message naming the options, exit 2)."""
        asked = {self.flag: values.get("fw_format"),
                 "--json": "json" if values.get("fw_json") else None,
                 "--csv": "csv" if values.get("fw_csv") else None}
        given = {flag: str(v) for flag, v in asked.items() if v is not None}
        if len(set(given.values())) > 1:
            raise typer.BadParameter(
                "two different output formats (" + ", ".join(
                    f"{flag} → {v}" for flag, v in given.items()) + "): give one",
                param_hint=" / ".join(f"'{flag}'" for flag in given))
        return OutputFormat(next(iter(given.values()))) if given else None


ROWS = Output(rows=True)
REPORT = Output()

UNBOUNDED = 100_000  # columns a piped table may take (its content's width, in practice)
_NUMBER = re.compile(r"^[+\-−]?[\d,]*\.?\d+(e[+\-]?\d+)?\s*%?$", re.ASCII)
_WHEN = re.compile(r"^\d{4}-\d\d-\d\d([T ][\d:.]+Z?)?$", re.ASCII)  # an ISO date or date-time


def print_table(columns: Sequence[str], rows: Iterable[Sequence[str]],
                title: str | None = None, *, compact: bool = False) -> None:
    """A rich table on stdout. Columns whose cells are all numbers (or empty) are
    right-aligned, the others left-aligned; numbers and ISO dates are never wrapped or cut
    (text columns give way). No cell is ever cut short with '…': on a terminal, text wraps
    at spaces and a word too long for its column folds onto the next line; piped or
    redirected (not a terminal), the table is as wide as its content, one line per row, so
    that a source, slug or place name arrives whole at grep or awk whatever COLUMNS says.
    The characters of a cell, a header or the title that are not printable (a name's
    newline, \\r, BEL, ESC, U+202E, C1 controls) are shown escaped (errors.visible) before
    rich sees them: rich would lay a newline out as a line and drop \\r and BEL silently.
    `compact`: no outer border, headers broken at spaces, for wide tables that must fit 80
    columns."""
    cells = [tuple(visible(c) if isinstance(c, str) else c for c in r) for r in rows]
    title = None if title is None else visible(title)
    t = (Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
         if compact else Table(title=title))
    for i, col in enumerate(columns):
        values = [r[i] for r in cells if r[i]]
        numeric = bool(values) and all(_NUMBER.match(v) for v in values)
        whole = bool(values) and all(_NUMBER.match(v) or _WHEN.match(v) for v in values)
        header = visible(col).replace(" ", "\n") if compact else visible(col)
        widest = max((len(w) for w in header.split("\n")), default=0)
        t.add_column(header, justify="right" if numeric else "left", no_wrap=whole,
                     overflow="fold",
                     min_width=max([widest, *map(len, values)]) if whole else None)
    for r in cells:
        t.add_row(*r)
    if out.is_terminal:
        out.print(t)
    else:  # as wide as the content (its width when nothing wraps), at least the console's
        natural = Measurement.get(out, out.options.update_width(UNBOUNDED), t).maximum
        # a console of that width (Console.print never goes wider than its console)
        type(out)(soft_wrap=True, width=max(out.width, natural)).print(t)


def write_csv(rows: pd.DataFrame | Sequence[Mapping[str, Any]],
              fields: Sequence[str] | None = None) -> None:
    """CSV on stdout (text cells as `_cell` shows them, quantities fixed-point with their
    decimals: frontwatch.precision.fixed): a DataFrame's every column (its own writer: NaN
    as empty), or dict rows with `fields` (default: the first row's keys; others ignored;
    nested members as JSON text)."""
    if isinstance(rows, pd.DataFrame):
        text = rows.select_dtypes(include="object").columns
        fixed_point(rows.assign(**{c: rows[c].map(_cell) for c in text})).to_csv(
            sys.stdout, index=False)
        return
    names = list(fields) if fields is not None else list(rows[0]) if rows else []
    w = csvlib.DictWriter(sys.stdout, fieldnames=names, lineterminator="\n",
                          extrasaction="ignore")
    w.writeheader()
    w.writerows({k: fixed(k, _cell(v)) for k, v in row.items()} for row in rows)


def _cell(value: Any) -> Any:
    """A nested member (a source's kinds, say) as compact JSON text, not a Python repr; text
    with characters a terminal would act on (ESC, a newline, U+202E) escaped as a table
    shows them (errors.visible)."""
    if isinstance(value, dict | list | tuple):
        return orjson.dumps(value).decode()
    return visible(value) if isinstance(value, str) else value


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-ready dicts (dates as ISO text, NaN as null)."""
    df = df.astype(object).where(df.notna(), None)
    return [{k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}
            for row in df.to_dict("records")]


def print_rows(fmt: OutputFormat, rows: pd.DataFrame | Sequence[Mapping[str, Any]],
               columns: Sequence[str], cells: Any, *, title: str | None = None,
               doc: Mapping[str, Any] | None = None, compact: bool = False) -> None:
    """A command's rows in the format asked for.

    json: the rows as one document — ``{**doc, "rows": […]}`` with a `doc`, the bare list
    without (a DataFrame and its `doc` rounded to each quantity's decimals); csv: every column;
    table: `columns`, each row's cells from ``cells(row)`` (a DataFrame's rows are named
    tuples, other rows the dicts themselves), see `print_table`."""
    frame = isinstance(rows, pd.DataFrame)
    if frame:
        rows = round_table(rows)
    if fmt is OutputFormat.json:
        body = records(rows) if frame else list(rows)
        if doc is not None:  # a frame's header is rounded like its rows
            body = {**(round_values(doc) if frame else doc), "rows": body}
        emit_json(body)
    elif fmt is OutputFormat.csv:
        write_csv(rows)
    else:
        print_table(columns, (cells(r) for r in (rows.itertuples() if frame else rows)),
                    title, compact=compact)
