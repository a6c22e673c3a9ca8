"""What a breaker trial left open on the CLI and `serve`, each checked on the real CLI (a
subprocess): stores named by a connection string, export's output path, help text, tables
when piped, bounded shutdown."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import OCC, deepstate_fc, dumps, square
from tests.test_cli_errors import ROOT, one_line_error

pytest_plugins = ["tests.pg"]  # pg_cluster / pg_url: a throwaway PostGIS (skips when absent)

# What both sweeps run for each command line: the real entry point, click's exit caught, the
# page written to `stream` captured.
RUN_ONE = r"""
import contextlib, io, json, sys
from frontwatch.cli import main


def run_one(argv, redirect):
    sys.argv = ["frontwatch", *argv]
    buf = io.StringIO()
    code = 0
    with redirect(buf):
        try:
            main()
        except SystemExit as exc:
            code = exc.code
    return [code, buf.getvalue()]
"""

# Every command's --help from the real entry point (one interpreter for all of them: the
# sweep stays quick; click's exits are caught, so each page is the one a user sees).
HELP_SWEEP = RUN_ONE + r"""
from frontwatch.cli.commands import COMMANDS
pages = {}
for path in [""] + [v.path for v in COMMANDS]:
    pages[path] = run_one([*path.split(), "--help"], contextlib.redirect_stdout)
print(json.dumps(pages))
"""


def _no_broken_sentences(path: str, page: str) -> None:
    """Text in help's boxes goes on to the next line only where the next word would not fit
    (`frontline  … and its length, or` / `(--from/--to) the series` kept a docstring's line
    break in the list of commands)."""
    rows = [line for line in page.splitlines() if line.startswith("│") and line.endswith("│")]
    for before, after in itertools.pairwise(rows):
        inner, nxt = before[1:-1].rstrip(), after[1:-1]
        cells = re.match(r"( +)(\S.*)", nxt)
        if cells is None or len(cells.group(1)) < 5:  # a new row, not a continued one
            continue
        start = len(cells.group(1))
        if inner[:start].strip() and inner[start:start + 1] == " ":
            continue  # the name column's own continuation
        word = cells.group(2).split()[0]
        if word.startswith("["):  # rich puts [required] / [default: …] on a line of its own
            continue
        assert len(inner) + 1 + len(word) > len(before) - 3, (path, before, after)


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}", **extra}


def test_every_commands_help_is_in_clicks_style():
    """No typer type labels (`<bool>`, `<str>`, `list[str]`) and no `{paths}...` in the usage
    line (typer 0.29 writes a required argument in braces, read as a set of choices): click's
    `PATHS...`, `DATE`, `[NAME]` (breaker trial)."""
    r = subprocess.run([sys.executable, "-c", HELP_SWEEP], capture_output=True, text=True,
                       env=_env(COLUMNS="100", FRONTWATCH_DATABASE_URL="/nonexistent/x.sqlite"),
                       timeout=600)
    assert r.returncode == 0, r.stderr
    pages = json.loads(r.stdout)
    assert len(pages) > 30
    for path, (code, page) in pages.items():
        assert code in (0, None) and "Usage:" in page, (path, code, page)
        usage = next(line for line in page.splitlines() if "Usage:" in line)
        assert "{" not in usage and "}" not in usage, (path, usage)
        assert not re.search(r"<\w+(\|\w+)*>|list\[|\[str\]|\bINT\b|\bSTR\b", page,
                             re.IGNORECASE), (path, page)
        _no_broken_sentences(path, page)
    assert "Usage: frontwatch import [OPTIONS] PATHS..." in pages["import"][1]
    assert "Usage: frontwatch diff [OPTIONS] D1 D2" in pages["diff"][1]
    assert "Usage: frontwatch map [OPTIONS] DATE" in pages["map"][1]


def _cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "frontwatch", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=600,
                          env=_env(COLUMNS="100", FRONTWATCH_WARM="0", **env))


# --- stores named by a connection string --------------------------------------------------
def _keyword_string(url: str) -> str:
    """The same PostgreSQL database as libpq's keyword string (`host=… dbname=…`)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    return make_conninfo(**conninfo_to_dict(url))


@pytest.mark.postgis
@pytest.mark.parametrize("form", ["postgresql", "keywords"])
def test_db_takes_what_the_database_url_takes(pg_url, tmp_path, form):
    """`--db` with a PostgreSQL URL or a keyword string opens PostGIS, as
    FRONTWATCH_DATABASE_URL does; nothing is created in the working folder (a keyword string
    was a file name)."""
    db = pg_url if form == "postgresql" else _keyword_string(pg_url)
    work = tmp_path / "work"
    work.mkdir()
    zones = tmp_path / "1719835200.geojson"
    zones.write_text(dumps(deepstate_fc((OCC, square()))))
    r = _cli("--db", db, "import", str(zones), "--output-format", "json", cwd=work)
    assert r.returncode == 0, r.stderr
    listed = _cli("snapshots", "--db", db, "--json", cwd=work)
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 1, listed.stderr
    again = _cli("snapshots", "--json", cwd=work, FRONTWATCH_DATABASE_URL=db)
    assert json.loads(again.stdout) == json.loads(listed.stdout)
    assert not any(work.iterdir())


@pytest.mark.parametrize("db", [
    "postgresql://fw:SuperSecretPw@127.0.0.1:1/fw",
    "postgres://fw:SuperSecretPw@127.0.0.1:1/fw",
    "host=127.0.0.1 port=1 dbname=fw user=fw password=SuperSecretPw",
])
def test_an_unreachable_server_is_one_line_without_the_password(tmp_path, db):
    pytest.importorskip("psycopg")
    named = {"FRONTWATCH_DATABASE_URL": db}
    for args, env in ((["--db", db, "snapshots"], {}), (["snapshots"], named),
                      (["import", str(tmp_path)], named)):
        r = _cli(*args, cwd=tmp_path, **env)
        line = one_line_error(r, 1, "cannot connect to PostgreSQL", "127.0.0.1",
                              "[store-error]")
        assert "SuperSecretPw" not in r.stderr + r.stdout, line
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(("db", "says"), [
    ("mysql://fw:SuperSecretPw@h/fw", "unsupported store URL scheme 'mysql'"),
    ("postgresql:/fw", "unsupported store URL scheme 'postgresql'"),
    ("sqlite://relative.sqlite", "unsupported SQLite URL"),
    ("sqlite:///x.sqlite?mode=rw", "unsupported SQLite URL option 'mode=rw'"),
    ("postgresql://fw:SuperSecretPw@[::1/fw", "malformed PostgreSQL connection"),
    ("host=h bogus=1 password=SuperSecretPw", 'invalid connection option "bogus"'),
])
def test_a_malformed_store_url_is_a_usage_mistake(tmp_path, db, says):
    """Exit 2 before anything is opened or created, from --db (click's usage message) and
    from FRONTWATCH_DATABASE_URL (one line, `store-url-invalid`); never the password."""
    if "PostgreSQL" in says or "bogus" in says:
        pytest.importorskip("psycopg")  # libpq parses them
    r = _cli("--db", db, "snapshots", cwd=tmp_path)
    assert r.returncode == 2 and "'--db'" in r.stderr and "Usage:" in r.stderr, r.stderr
    said = " ".join(re.sub(r"[│╭╰─╮╯]", " ", r.stderr).split())
    assert says in said and said.endswith("[store-url-invalid]"), r.stderr
    env = _cli("import", str(tmp_path), cwd=tmp_path, FRONTWATCH_DATABASE_URL=db)
    one_line_error(env, 2, says, "[store-url-invalid]")
    assert "SuperSecretPw" not in r.stderr + env.stderr
    assert not any(tmp_path.iterdir())


# --- tables when piped --------------------------------------------------------------------
LONG_SOURCE = "a-long-source-name-that-no-terminal-column-should-ever-cut-short"


@pytest.fixture(scope="module")
def table_db(cmp_db, tmp_path_factory):
    """The comparison store (oblasts; DeepStateMap and NZZ) plus one snapshot of a source
    whose name is as long as a source name may be."""
    import shutil

    folder = tmp_path_factory.mktemp("tables")
    db = folder / "t.sqlite"
    shutil.copy(cmp_db, db)
    zones = folder / "1719835200.geojson"
    zones.write_text(dumps(deepstate_fc((OCC, square()))))
    r = _cli("--db", str(db), "import", str(zones), "--source", LONG_SOURCE, cwd=folder)
    assert r.returncode == 0, r.stderr
    return db


def _cells(stdout: str) -> list[str]:
    """The text of a rich table's cells (the lines drawn with │/┃), stripped."""
    return [c.strip() for line in stdout.splitlines() if "│" in line or "┃" in line
            for c in re.split(r"[│┃]", line)]


@pytest.mark.parametrize("args", [
    ["snapshots", "--source", LONG_SOURCE], ["snapshots", "--source", "nzz"], ["sources"],
    ["places"], ["regions", "list"],
    ["area", "-r", "donetsk-oblast", "--date", "2025-06-01", "--source", "nzz"],
    ["series", "-r", "donetsk-oblast", "--from", "2025-04-01", "--to", "2025-06-01"],
    ["changelog", "-r", "donetsk-oblast", "--from", "2025-04-01", "--to", "2025-06-01"],
    ["frontline", "--from", "2025-04-01", "--to", "2025-06-01"],
    ["places", "changed", "--from", "2025-04-01", "--to", "2025-06-01"],
    ["diff", "2025-04-01", "2025-06-01"],
    ["compare", "--date", "2025-06-01"],
    ["compare", "lag", "-r", "donetsk-oblast", "--from", "2025-01-01", "--to", "2025-06-01"],
])
def test_tables_are_never_cut_when_piped(table_db, tmp_path, args):
    """COLUMNS=80 and stdout a pipe (a cron job, `| grep`): rich cut the source name to
    'deeps…' (breaker trial). A piped table is as wide as its content: no cell ends in '…',
    and every identifying value the JSON answer holds is in the table whole."""
    r = _cli("--db", str(table_db), *args, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    cells = _cells(r.stdout)
    assert cells, r.stdout
    assert not [c for c in cells if "…" in c], r.stdout
    keys = {"snapshots": ("source",), "sources": ("source",), "places": ("slug", "name"),
            "regions": ("slug", "name")}.get(args[0]) if len(args) < 4 else None
    if keys:
        doc = json.loads(_cli("--db", str(table_db), *args, "--json", cwd=tmp_path).stdout)
        names = {row[k] for row in doc for k in keys if isinstance(row.get(k), str)}
        assert names
        for name in names:
            assert any(name in c for c in cells), (name, r.stdout)


# --- export's output path -----------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "fgb", "parquet", "gpkg"])
def test_export_refuses_special_files_and_names_up_front(demo_db, tmp_path, fmt):
    """`-o` names the zones file: a regular file (new or replaced) ending in the format's
    extension; the single-layer formats write NAME_places/NAME_areas beside it. A device
    (GDAL's FlatGeobuf driver deleted /dev/full and made a folder there), a FIFO, a folder,
    a sibling that is a FIFO, or a name without the extension: one line naming the file,
    exit 1 `output-failed`, and nothing written."""
    import stat

    fifo = tmp_path / f"pipe.{fmt}"
    os.mkfifo(fifo)
    folder = tmp_path / f"dir.{fmt}"
    folder.mkdir()
    cases = [(fifo, str(fifo), "not a regular file"), (folder, str(folder), "not a regular file"),
             (tmp_path / "zones", str(tmp_path / "zones"), f"end the name in .{fmt}")]
    if fmt != "gpkg":
        os.mkfifo(tmp_path / f"z_places.{fmt}")
        cases.append((tmp_path / f"z.{fmt}", str(tmp_path / f"z_places.{fmt}"),
                      "not a regular file"))
    if os.path.exists("/dev/full"):
        cases.append((Path("/dev/full"), "/dev/full", "not a regular file"))
    before = sorted(p.name for p in tmp_path.iterdir())
    for target, named, reason in cases:
        r = _cli("--db", str(demo_db), "export", "--format", fmt, "-o", str(target),
                 cwd=tmp_path)
        one_line_error(r, 1, f"{named}: cannot write", reason, "[output-failed]")
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    if os.path.exists("/dev/full"):
        assert stat.S_ISCHR(os.stat("/dev/full").st_mode)  # still the device


FULL_DISK = r"""
mount -t tmpfs -o size=96k tmpfs "$0" || exit 99
printf precious > "$0/z.$1"
shift
"$@"
rc=$?
ls -A "$0" > "$0.after"
cat "$0/z.$FMT" > "$0.old"
exit $rc
"""


@pytest.mark.parametrize("fmt", ["csv", "fgb", "parquet", "gpkg"])
def test_export_onto_a_full_disk_leaves_nothing_half_written(demo_db, tmp_path, fmt):
    """A real full file system (a 96 KiB tmpfs in a private mount namespace; root only):
    exit 1 naming the file and the reason, no file of the export left behind, and the
    file it would have replaced as it was."""
    import shutil

    if os.geteuid() != 0 or not shutil.which("unshare") or subprocess.run(
            ["unshare", "-m", "true"], capture_output=True).returncode:
        pytest.skip("needs root and mount namespaces to mount a small tmpfs")
    disk = tmp_path / "disk"
    disk.mkdir()
    cmd = ["unshare", "-m", "sh", "-c", FULL_DISK, str(disk), fmt, sys.executable, "-m",
           "frontwatch", "--db", str(demo_db), "export", "--format", fmt, "-o",
           str(disk / f"z.{fmt}")]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=600,
                       env=_env(FMT=fmt, FRONTWATCH_WARM="0"))
    line = one_line_error(r, 1, f"{disk / f'z.{fmt}'}: cannot write", "[output-failed]")
    assert "space" in line.lower() or "full" in line.lower(), line
    assert (tmp_path / "disk.after").read_text().split() == [f"z.{fmt}"]
    assert (tmp_path / "disk.old").read_text() == "precious"


# --- bounded shutdown ---------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _spawned(pid: int) -> list[int]:
    """`pid`'s children started by multiprocessing (workers, render processes)."""
    out = []
    for child in _children(pid):
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                out.append(child)
        except OSError:
            pass
    return out


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def _serve(db: Path, tmp_path: Path, workers: int):
    from tests.helpers import free_port, wait_until_serving

    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "frontwatch", "serve", "--db", str(db), "--port", str(port),
         "--workers", str(workers)], stdout=subprocess.DEVNULL, stderr=log,
        env=_env(FRONTWATCH_WARM="0", FRONTWATCH_SHUTDOWN_GRACE_S="1",
                 FRONTWATCH_RENDER_PROCESSES="1"))
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(proc, base)
    return proc, base


def _renders_of(pid: int, count: int, within_s: float = 600) -> list[int]:
    """`pid`'s first `count` spawned children, once it has them: a worker starts its render
    process as it starts, and a worker may take minutes to start on a loaded machine."""
    import time

    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        found = _spawned(pid)
        if len(found) >= count:
            return found[:count]
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} spawned processes under {pid}")


def _stop_and_check(proc: subprocess.Popen, stuck: list[int], tmp_path: Path) -> None:
    """SIGTERM `serve`: it must exit (bounded: FRONTWATCH_SHUTDOWN_GRACE_S=1 plus the kill
    margin; the 120 s here is only the test's own guard) and take `stuck` with it."""
    import signal

    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        for pid in [proc.pid, *stuck]:
            os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=30)
        pytest.fail("serve did not stop after SIGTERM")
    finally:
        for pid in stuck:  # never leave a stopped process behind, whatever happened
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    log = (tmp_path / "serve.log").read_text()
    assert "killed" in log and "FRONTWATCH_SHUTDOWN_GRACE_S" in log, log
    assert "Traceback" not in log, log


def test_serve_kills_a_worker_that_does_not_stop(demo_db, tmp_path):
    """Two workers; one cannot act on SIGTERM (stopped, as one stuck in a native GDAL call
    never returns to the interpreter): uvicorn's supervisor joined it for ever. Now it is
    killed with its render process once the grace has passed.

    The stop comes while the supervisor's health check (every 0.5 s) is pinging the hung
    worker: uvicorn's waited 60 s for its answer with the SIGTERM unread, then killed the
    worker without its render process (so no "killed" line) and started another. That
    happened when this test lost the CPU between the SIGSTOP and the SIGTERM, and made it
    fail under load; the pause below makes it the case the test checks, every time."""
    import signal
    import time

    proc, _ = _serve(demo_db, tmp_path, workers=2)
    workers = _renders_of(proc.pid, 2)
    stuck = [workers[0], *_renders_of(workers[0], 1)]
    for pid in stuck:
        os.kill(pid, signal.SIGSTOP)
    time.sleep(2)  # not a measure: the supervisor's next health checks meet the hung worker
    _stop_and_check(proc, stuck, tmp_path)
    assert not any(_alive(pid) for pid in [*workers, *stuck])


def test_serve_with_one_worker_stops_with_a_request_stuck_in_its_render_process(demo_db,
                                                                               tmp_path):
    """One worker (in `serve`'s own process); a map render is in flight in a render process
    that does not return (stopped): the worker's shutdown waited on it for ever. Now the
    watchdog armed by SIGTERM kills the render process and exits."""
    import signal
    import threading

    import httpx

    proc, base = _serve(demo_db, tmp_path, workers=1)
    render = _renders_of(proc.pid, 1)
    for pid in render:
        os.kill(pid, signal.SIGSTOP)
    def ask() -> None:  # answered or cut off by the shutdown: either is fine here
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(f"{base}/maps/latest.png", timeout=60)

    asked = threading.Thread(target=ask, daemon=True)
    asked.start()
    _stop_and_check(proc, render, tmp_path)
    assert not any(_alive(pid) for pid in render)


# --- text from files and stores is printed as text, never as rich markup ------------------
def test_names_that_look_like_markup_print_as_they_are(tmp_path, capsys):
    """A path or a name holding '[/b]' or '[red]' (rich's markup) is printed as it is: it
    was an internal error (MarkupError) after the file had been written, and a table cell
    '[red]x' would have been restyled."""
    from frontwatch.cli.output import print_table
    from tests.helpers import OCC, deepstate_fc, square, write

    src = write(tmp_path / "1735732800.geojson", deepstate_fc((OCC, square())))
    db = tmp_path / "s.sqlite"
    assert _cli("--db", str(db), "import", str(src), cwd=tmp_path).returncode == 0
    (tmp_path / "a[").mkdir()
    r = _cli("--db", str(db), "show", "2025-01-01", "-o", "a[/b][red]c.geojson", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "wrote a[/b][red]c.geojson" in r.stderr
    assert json.loads((tmp_path / "a[" / "b][red]c.geojson").read_text())["features"]
    print_table(["name"], [["x[/b]y"], ["[red]r"]])  # piped: not a terminal
    printed = capsys.readouterr().out
    assert "x[/b]y" in printed and "[red]r" in printed


# --- numbers: every numeric option has the API's bounds -----------------------------------
# Every numeric option of every command (from the click command tree, as the help sweep), given
# a number past any bound, on the real entry point: one interpreter for all of them.
NUMBER_SWEEP = RUN_ONE + r"""
import typer
from frontwatch.cli import app
from frontwatch.cli.commands import COMMANDS
values = sys.argv[1:]
root = typer.main.get_command(app)
found = {}
for path in [""] + [v.path for v in COMMANDS]:
    cmd = root
    for part in path.split():
        cmd = cmd.commands[part]
    for p in cmd.params:
        ann = getattr(getattr(p, "type_descriptor", None), "annotation", None)
        if getattr(p, "param_type_name", "") == "option" and ann in (int, float):
            found[f"{path} {p.opts[0]}".strip()] = (path, p.opts[0])
runs = {}
for key, (path, opt) in found.items():
    for value in values:
        runs[f"{key} {value}"] = run_one([*path.split(), opt, value], contextlib.redirect_stderr)
print(json.dumps(runs))
"""


def test_every_number_option_refuses_a_number_past_its_bound_as_a_usage_mistake(tmp_path):
    """`snapshots delete --id 99999999999999999999999` was `internal error: OverflowError`
    (exit 70); `frontline --step 99999999999999999999999` was accepted while the API caps the
    step at 3660. Every numeric option of every command: exit 2, naming the option, "too
    large"/"too small" (breaker trial)."""
    r = subprocess.run([sys.executable, "-c", NUMBER_SWEEP, "99999999999999999999999",
                        "9223372036854775808", "-99999999999999999999999"],
                       capture_output=True, text=True, cwd=tmp_path, timeout=600,
                       env=_env(COLUMNS="200", FRONTWATCH_DATABASE_URL=str(tmp_path / "x.db")))
    assert r.returncode == 0, r.stderr
    runs = json.loads(r.stdout)
    options = {k.rsplit(" ", 1)[0] for k in runs}
    assert {"snapshots delete --id", "frontline --step", "compare --step", "map --width",
            "map --radius-km", "show --simplify", "compare lag --min-km2"} <= options, options
    for key, (code, stderr) in runs.items():
        opt = key.split()[-2]
        assert code == 2, (key, code, stderr)
        assert "internal error" not in stderr and "Traceback" not in stderr, (key, stderr)
        assert f"'{opt}'" in stderr, (key, stderr)
        assert re.search(r"too (large|small)", stderr), (key, stderr)
    assert not (tmp_path / "x.db").exists()  # refused before the store is opened


@pytest.mark.parametrize("args, says", [
    (["snapshots", "delete", "--id", "99999999999999999999999", "--yes"], "too large"),
    (["frontline", "--from", "2025-01-01", "--to", "2025-02-01", "--step", "3661"],
     "too large: at most 3660"),
    (["compare", "--from", "2025-01-01", "--to", "2025-02-01", "--step", "0"],
     "too small: at least 1"),
    (["frontline", "--from", "2025-06-01", "--to", "2025-06-02", "--step", "0"],
     "too small: at least 1"),
    (["map", "latest", "--png", "--width", "4001"], "too large: at most 4000"),
    (["map", "latest", "--png", "--width", "abc"], "valid integer"),
    (["map", "latest", "--radius-km", "1000"], "too large: at most 300"),
    (["map", "latest", "--radius-km", "abc"], "valid number"),
    (["chart", "-r", "donetsk", "--dpi", "601"], "too large: at most 600"),
])
def test_a_bad_number_is_a_usage_mistake_whatever_the_option(tmp_path, args, says):
    """A malformed or out-of-range number exits 2 (usage) for every option: `--width 99999`
    exited 1 (input-invalid) while `--radius-km abc` exited 2."""
    r = _cli(*args, cwd=tmp_path, FRONTWATCH_DATABASE_URL=str(tmp_path / "x.db"))
    assert r.returncode == 2, r.stderr
    assert says in r.stderr and "internal error" not in r.stderr


def test_the_api_and_the_cli_share_their_bounds():
    """The CLI's bounds are the API's, from one place (frontwatch.values): the step of
    `frontline`/`compare` and of /v1/frontline/series, /v1/compare."""
    import inspect
    import typing

    from frontwatch import values
    from frontwatch.api.routes import analysis
    from frontwatch.api.routes import compare as compare_routes
    from frontwatch.cli import analytics as cli_analytics

    def bounds(fn, name):
        meta = typing.get_type_hints(fn, include_extras=True)[name].__metadata__[0]
        found = {}
        for m in getattr(meta, "metadata", []):
            found.update({k: getattr(m, k) for k in ("ge", "le") if hasattr(m, k)})
        if not found:  # a typer option
            found = {"ge": meta.min, "le": meta.max}
        return found["ge"], found["le"]

    assert bounds(analysis.frontline_series, "step") == tuple(values.STEP_DAYS)
    assert typing.get_args(compare_routes.StepQ)[1].metadata  # the compare routes' step
    assert bounds(cli_analytics.frontline_cmd, "step") == tuple(values.STEP_DAYS)
    assert inspect.signature(cli_analytics.frontline_cmd).parameters["step"].default == 7


@pytest.mark.parametrize(("step", "says"), [
    ("3661", "too large: at most 3660"), ("0", "too small: at least 1")])
def test_the_api_and_the_cli_say_a_bound_in_the_same_words(tmp_path, step, says):
    """One wording for a number past its bound (values.past_bound): the API said pydantic's
    "Input should be less than or equal to 3660" where the CLI said "too large: at most
    3660", for the same bound."""
    from fastapi.testclient import TestClient

    from frontwatch.api.app import create_app
    from frontwatch.settings import Settings

    db = tmp_path / "x.db"
    cli = _cli("frontline", "--date", "2025-01-01", "--step", step, cwd=tmp_path,
               FRONTWATCH_DATABASE_URL=str(db))
    assert cli.returncode == 2 and says in cli.stderr, cli.stderr
    api = TestClient(create_app(Settings(database_url=str(db), render_processes=0)))
    r = api.get("/v1/frontline/series", params={"step": step})
    assert r.status_code == 400, r.text
    assert r.json()["detail"] == f"query parameter 'step': {says}", r.json()
    assert r.json()["errors"][0]["msg"] == says


@pytest.mark.parametrize("args", [
    ["map", "latest", "--png"], ["map", "2025-01-01"], ["chart", "-r", "donetsk"],
    ["show", "latest"], ["diff", "2025-01-01", "2025-02-01"],
    ["frontline", "--date", "2025-01-01"], ["compare", "--date", "2025-01-01"],
    ["compare", "lag", "--from", "2025-01-01", "--to", "2025-02-01"],
    ["export", "--format", "csv"],
])
def test_every_output_is_checked_before_any_work(tmp_path, args):
    """`map … -o /nonexistent/dir/map.png` rendered for 16 s before failing: every command
    writing a file refuses a path in a missing folder, or a folder, before opening the store
    (the rule export uses: outfile.check_writable)."""
    db = tmp_path / "x.db"  # never created: the refusal comes first
    suffix = ".csv" if "export" in args else ".png" if args[0] in ("map", "chart") else ".json"
    for target, reason in ((tmp_path / "missing" / f"out{suffix}", "no folder"),
                           (tmp_path, "not a regular file")):
        r = _cli(*args, "-o", str(target), cwd=tmp_path, FRONTWATCH_DATABASE_URL=str(db))
        one_line_error(r, 1, f"{target}: cannot write", reason, "[output-failed]")
    assert not db.exists()
