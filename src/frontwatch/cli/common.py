"""What every command module shares: consoles, JSON output, dates, warnings, progress bars."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.segment import Segment
from rich.text import Text

from frontwatch import dates
from frontwatch.errors import OutputError, echo_name, printable, visible
from frontwatch.outfile import check_writable
from frontwatch.settings import Settings


class _Console(Console):
    """A rich Console that prints data as text a terminal shows and never acts on, and reads
    no rich markup.

    Every character of the printed text that is not printable is escaped (errors.visible:
    ESC sequences, \\r, BEL, bidi overrides such as U+202E, NUL; a file name's bytes that
    are not UTF-8 as \\xNN), whatever carries it: a success line, a table cell, a note, a
    progress bar's description. Only the console's own layout stays: its line breaks and
    rich's control segments (a progress bar's cursor moves) and styles. A name that holds a
    newline is escaped where the name is put into the line (errors.echo_name), since a line
    break is layout here. No markup: what the CLI prints carries names from files and stores
    (a region called 'x[/b]', an output path 'map[red].png'), which markup would restyle or
    refuse with MarkupError. Styles are given as `style=`, never inside the text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        super().__init__(*args, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        # before rich's Text, which drops \r, BEL and other C0 controls silently
        return super().render_str(visible(text, keep="\n"), **kwargs)

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            s if s.control or s.text.isprintable() else
            Segment(visible(s.text, keep="\n"), s.style, s.control) for s in buffer)


out = _Console(soft_wrap=True)
err = _Console(stderr=True, soft_wrap=True)

def _source_or_setting(value: str | None) -> str | None:
    """--source, else FRONTWATCH_SOURCE (Settings.source), as the API's default source."""
    return value or Settings().source


Source = Annotated[str | None, typer.Option(
    "--source", callback=_source_or_setting, help="Control-data source (default: "
    "FRONTWATCH_SOURCE, else the best one in the store).")]


def checked_output(value: Path | None) -> Path | None:
    """The callback of every `-o`: refused before any work (a render, a query) unless it can be
    written, by the rule export uses (outfile.check_writable)."""
    if value is not None:
        check_writable(value)
    return value


def write_output(path: Path, data: bytes) -> None:
    """Write an output file; an OS failure (missing folder, permission, disk full) is an
    OutputError naming the file. A regular file left half-written is removed."""
    opened = False
    try:
        with open(path, "wb") as f:
            opened = True
            f.write(data)
    except OSError as exc:
        if opened and path.is_file():
            path.unlink(missing_ok=True)
        raise OutputError(f"{echo_name(path)}: cannot write: {exc.strerror or exc}") from exc


def emit_json(doc: Any) -> None:
    options = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
    try:
        body = orjson.dumps(doc, option=options)
    except orjson.JSONEncodeError:  # a file name that is not UTF-8: its bytes as \xNN
        body = orjson.dumps(_printable_doc(doc), option=options)
    sys.stdout.buffer.write(shown_json(body))
    sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()


_NOT_ASCII_TEXT = re.compile(r"[^\x20-\x7e\n]+")


def shown_json(body: bytes) -> bytes:
    """JSON as printed on stdout: each character of a string that is not printable and that
    orjson writes raw (DEL, C1 controls, bidi overrides such as U+202E, zero-width
    characters) as its JSON escape ``\\uXXXX`` — the same document, which a terminal shows
    without acting on it."""
    if body.isascii() and b"\x7f" not in body:
        return body

    def escaped(m: re.Match) -> str:
        return "".join(c if c.isprintable() else _json_escape(c) for c in m[0])
    return _NOT_ASCII_TEXT.sub(escaped, body.decode()).encode()


def _json_escape(c: str) -> str:
    code = ord(c)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON spells characters past the BMP
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _printable_doc(doc: Any) -> Any:
    if isinstance(doc, str):
        return printable(doc)
    if isinstance(doc, dict):
        return {_printable_doc(k): _printable_doc(v) for k, v in doc.items()}
    if isinstance(doc, list | tuple):
        return [_printable_doc(v) for v in doc]
    return doc


def parse_day(text: str, what: str = "--date", *, future: bool = False) -> date:
    """A day typed on the command line (frontwatch.dates: not after today unless `future`);
    an error names the option (`what`: ``--date``, ``--from``) or the argument (``DATE``)
    as the command line spells it, not the API's parameter."""
    return dates.day(text, what, future=future)


def parse_range(start: str | None, end: str | None) -> tuple[date | None, date | None]:
    """--from/--to as typed (frontwatch.dates.day_range: None stays an open end): a
    malformed or future day, or --from after --to, is an InputError naming the options as
    the command line spells them."""
    rng = dates.day_range(start, end, "--from", "--to")
    return rng.start, rng.end


def date_or_series(day: str | None, start: str | None, end: str | None, *,
                   output: Path | None, csv: bool, one: str, csv_one: bool = False) -> bool:
    """Check the choice between one date (--date) and a series (--from and --to) of a
    command offering both; True for the series. `one` says what -o writes for one date
    (-o only goes with --date; CSV only with the series unless `csv_one`: the command then
    writes one date's CSV as the series' row of that date). OptionConflict (exit 2) for
    options that exclude each other, InputError otherwise."""
    from frontwatch.errors import InputError, OptionConflict

    if day is not None and (start is not None or end is not None):
        raise OptionConflict("--date and --from/--to exclude each other: give either --date D "
                             "or --from D1 --to D2")
    if day is None and start is None and end is None:
        raise InputError("give either --date D or --from D1 --to D2")
    if day is not None:
        if csv and not csv_one:
            raise OptionConflict("CSV is the series' (--from/--to); one date prints a table "
                                 "or JSON")
        return False
    if start is None or end is None:
        raise InputError(f"the series needs both --from and --to (missing "
                         f"{'--from' if start is None else '--to'})")
    if output:
        raise OptionConflict(f"-o writes {one}: use it with --date, not --from/--to")
    return True


def warn(message: str | None) -> None:
    """One line on stderr (stale data, a clamped range); nothing for None."""
    if message:
        err.print(message, style="yellow", markup=False, highlight=False)


def clamped_span(store, source: str | tuple[str, ...] | None, start: date | None,
                 end: date | None):
    """The range of a command cut to the data (frontwatch.coverage.span; a tuple of sources:
    the days all cover), with a note on stderr when --to was after the newest snapshot or
    --from before the first."""
    from frontwatch import coverage, lookup

    src = source if isinstance(source, tuple) else lookup.default_source(store, source)
    span = coverage.span(store, src, dates.DayRange(start, end), ("--from", "--to"))
    warn(span.note("--to"))
    warn(span.from_note("--from"))
    return span


def stale_note(doc: dict, on: object, source: str | None = None) -> None:
    """The one-line stderr warning for an answer past the newest snapshot (of `source`)."""
    from frontwatch.coverage import stale_warning

    warn(stale_warning(doc, on, source))


class _Progress(Progress):
    """Progress whose task descriptions (a file or table name) are escaped (errors.visible)
    before rich sees them: its Text would drop \\r and BEL and break the bar at a newline."""

    def add_task(self, description: str, *args: Any, **kwargs: Any) -> TaskID:
        return super().add_task(visible(description), *args, **kwargs)

    def update(self, task_id: TaskID, **kwargs: Any) -> None:
        if kwargs.get("description") is not None:
            kwargs["description"] = visible(kwargs["description"])
        super().update(task_id, **kwargs)


def progress_bar() -> Progress:
    """Bars on stderr, on a terminal only (nothing at all when stderr is a file or pipe)."""
    return _Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                    MofNCompleteColumn(),
                    TimeRemainingColumn(), console=err, transient=True,
                    disable=not err.is_terminal)


@contextmanager
def tables_progress() -> Iterator[Callable[[str, int, int | None], None]]:
    """A `progress(table, done, total)` callback for the precomputed tables (see
    frontwatch.analytics.precompute): one bar per table, shown when it first reports."""
    with progress_bar() as bar:
        tasks: dict[str, TaskID] = {}

        def tick(table: str, done: int, total: int | None) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(table, total=total)
            bar.update(tasks[table], completed=done, total=total)
        yield tick


