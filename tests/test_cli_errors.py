"""The real CLI's answers to usage mistakes and OS-level failures: click's message and exit 2
for usage, one line naming the file and the reason for the rest (exit codes by category as
documented in the README), never "internal error" or a traceback."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str | bytes, db: Path | None = None, prefix: list[str] | None = None
        ) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}", "COLUMNS": "100",
           "FRONTWATCH_DATABASE_URL": str(db or "/nonexistent/never-opened.sqlite")}
    cmd = [*(prefix or []), sys.executable, "-m", "frontwatch", *args]
    if db is not None:
        cmd += ["--db", str(db)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)


def one_line_error(r: subprocess.CompletedProcess, code: int, *needles: str) -> str:
    assert r.returncode == code, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


@pytest.mark.parametrize("args, message", [
    (["aera"], "No such command 'aera'"),
    (["area", "--region", "donbas"], "Missing option '--date'"),
    (["area", "--region", "donbas", "--date", "2025-01-01", "--bogus"],
     "No such option: --bogus"),
    (["map"], "Missing argument 'DATE'"),
    # a single-valued option given twice: refused, not "the last one wins"
    (["snapshots", "--format", "json", "--format", "csv"], "'--format': given 2 times"),
    (["area", "-r", "donbas", "--date", "2025-06-01", "--date", "2025-06-30"],
     "'--date': given 2 times"),
    (["--db", "a.sqlite", "--db", "b.sqlite", "snapshots"], "'--db': given 2 times"),
    (["snapshots", "delete", "--id", "1", "--id", "2"], "'--id': given 2 times"),
    # `--db ""` (an unset shell variable) is not the default store
    (["snapshots", "--db", ""], "'--db': empty"),
    (["--db", " ", "snapshots"], "'--db': empty"),
    # typer's conversion messages without pydantic's "Value error, "; NaN is not a number here
    (["diff", "2025-06-01", "2025-06-30", "--format", "csv"],
     "'--format': 'csv' is not one of 'table', 'json'"),
    (["diff", "2025-06-01", "2025-06-30", "--min-km2", "nan"],
     "'--min-km2': must be a finite number, not nan"),
    (["show", "latest", "--simplify", "inf"], "'--simplify': must be a finite number, not inf"),
    # every choice option refuses an unknown value the same way (cli.strict.one_of)
    (["export", "--format", "xlsx", "-o", "out.xlsx"],
     "'--format': 'xlsx' is not one of 'gpkg', 'parquet', 'fgb', 'csv'"),
    (["import", "--format", "bogus", "x.geojson"], "'--format': 'bogus' is not one of 'auto'"),
    (["import", "--status", "ocupied", "x.geojson"], "'--status': 'ocupied' is not one of"),
    (["show", "latest", "--status", "ocupied"], "'--status': 'ocupied' is not one of"),
    (["compare", "--layer", "everything", "--date", "2025-06-01"],
     "'--layer': 'everything' is not one of 'since-2022', 'all'"),
    (["compare", "lag", "-r", "donbas", "--from", "2025-06-01", "--to", "2025-06-30",
      "--layer", "x"], "'--layer': 'x' is not one of"),
    (["regions", "list", "--level", "county"], "'--level': 'county' is not one of 'country'"),
    (["map", "latest", "--lang", "de"], "'--lang': 'de' is not one of 'en', 'uk'"),
])
def test_usage_errors_exit_2_with_clicks_message(args, message):
    r = run(*args)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and "Usage:" in r.stderr and "Value error" not in r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("args, named", [
    (["frontline", "--date", "2025-06-01", "--from", "2025-01-01", "--to", "2025-02-01"],
     ("--date", "--from/--to")),
    (["compare", "--date", "2025-06-01", "--from", "2025-01-01", "--to", "2025-02-01"],
     ("--date", "--from/--to")),
    (["frontline", "--date", "2025-06-01", "--csv"], ("CSV", "--from/--to")),
    (["frontline", "--from", "2025-01-01", "--to", "2025-02-01", "-o", "x.geojson"],
     ("-o", "--date")),
    (["map", "latest", "--png", "--svg"], ("--png", "--svg")),
    (["map", "latest", "--region", "donbas", "--bbox", "37,47,38,48"], ("--region", "--bbox")),
    (["map", "latest", "--compare", "2025-01-01", "--from", "2024-12-01"],
     ("--compare", "--from")),
    (["map", "latest", "--compare-source", "nzz", "--from", "2024-12-01"],
     ("--compare-source", "--from")),
])
def test_options_that_exclude_each_other_are_a_usage_mistake(args, named):
    """README's error table: contradicting options exit 2 `[options-conflict]` naming both,
    before any store is opened (new-user trial: `frontline --date … --from … --to …` exited
    1 `[input-invalid]`)."""
    line = one_line_error(run(*args), 2, *named)
    assert line.endswith("[options-conflict]"), line


@pytest.mark.parametrize("args, named", [
    (["frontline", "--date", "30/06/2025"], "--date='30/06/2025'"),
    (["frontline", "--from", "2025-06-01", "--to", "30/06/2025"], "--to='30/06/2025'"),
    (["show", "30/06/2025"], "DATE='30/06/2025'"),
    (["diff", "2025-06-01", "30/06/2025"], "D2='30/06/2025'"),
    (["map", "latest", "--compare", "30/06/2025"], "--compare='30/06/2025'"),
    (["chart", "-r", "donbas", "--from", "30/06/2025"], "--from='30/06/2025'"),
    (["import", "--date", "30/06/2025", "x.geojson"], "--date='30/06/2025'"),
])
def test_a_bad_date_names_the_option_as_the_command_line_spells_it(args, named):
    """Not the API's parameter (`date='30/06/2025'`, new-user trial)."""
    one_line_error(run(*args), 1, named, "[input-invalid]")


def test_flags_and_list_options_may_repeat(demo_db):
    """Only single-valued options are refused twice: a flag asks for the same thing again,
    a list option (`show --status`) takes each value."""
    r = run("snapshots", "--json", "--json", db=demo_db)
    assert r.returncode == 0 and json.loads(r.stdout), r.stderr
    both = run("show", "latest", "--status", "occupied", "--status", "contested", db=demo_db)
    assert both.returncode == 0, both.stderr
    statuses = {f["properties"]["status"] for f in json.loads(both.stdout)["features"]}
    assert statuses and statuses <= {"occupied", "contested"}


def test_a_missing_store_named_by_the_environment_is_not_created(tmp_path):
    """FRONTWATCH_DATABASE_URL naming a file that does not exist is refused by a reading
    command like --db is (it created an empty store); a writing command creates it."""
    typo = tmp_path / "stroe.sqlite"
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
           "FRONTWATCH_DATABASE_URL": str(typo)}
    for args in (["snapshots"], ["sources", "--json"], ["place", "kramatorsk"]):
        r = subprocess.run([sys.executable, "-m", "frontwatch", *args], capture_output=True,
                           text=True, env=env, timeout=600)
        one_line_error(r, 1, f"no store at {typo}", "FRONTWATCH_DATABASE_URL", "[not-found]")
        assert not typo.exists()
    made = subprocess.run([sys.executable, "-m", "frontwatch", "demo", "load"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert made.returncode == 0 and typo.exists(), made.stderr


@pytest.mark.parametrize("args", [
    ["snapshots"], ["area", "--region", "donbas", "--date", "2025-06-30"],
    ["changelog", "-r", "donbas", "--from", "2025-06-01", "--to", "2025-06-30"],
    ["sources", "--json"], ["place", "kramatorsk"], ["show", "latest"],
    ["frontline", "--date", "2025-06-30"], ["diff", "2025-06-01", "2025-06-30"],
])
def test_a_reading_command_leaves_an_empty_file_untouched(tmp_path, args):
    """A 0-byte file (`truncate -s 0`) holds no store: a reading command refuses it as it
    refuses a missing one, and the file stays 0 bytes (it was given schema and places)."""
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    one_line_error(run(*args, db=empty), 1, f"no store at {empty}", "--db", "[not-found]")
    assert empty.stat().st_size == 0 and sorted(p.name for p in tmp_path.iterdir()) == [
        "empty.sqlite"]


def test_a_database_without_our_schema_is_not_given_one_by_a_reader(tmp_path):
    """Another program's SQLite file: refused by a reader, byte for byte unchanged (no WAL
    header, no tables added); a read-only server on a 0-byte file starts no store either."""
    import sqlite3

    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (x)")
    conn.close()
    before = other.read_bytes()
    one_line_error(run("snapshots", db=other), 1, "no Frontwatch store in", "[not-found]")
    assert other.read_bytes() == before
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    one_line_error(run("--db", f"sqlite:///{empty}?mode=ro", "serve", "--port", "1"), 1,
                   "no store there")
    assert empty.stat().st_size == 0


@pytest.mark.parametrize("args", [["sources"], ["serve", "--port", "1"], ["import", "{file}"]],
                         ids=["reader", "server", "import"])
def test_another_applications_database_is_refused_by_readers_and_writers(tmp_path, args):
    """A SQLite file whose `schema_version` table is another tool's (Flyway's): no command,
    reading or writing, migrates into it; `not-found`, exit 1, the file byte for byte as it
    was and no -wal/-shm beside it."""
    import sqlite3

    other = tmp_path / "db" / "f2.sqlite"
    other.parent.mkdir()
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE schema_version (version INTEGER, description TEXT)")
    conn.execute("INSERT INTO schema_version VALUES (1, 'init')")
    conn.execute("CREATE TABLE customers (id, name)")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    (tmp_path / "zones.geojson").write_text(ZONES)
    args = [a.replace("{file}", str(tmp_path / "zones.geojson")) for a in args]
    one_line_error(run(*args, db=other), 1, f"no Frontwatch store in {other}",
                   "another application's database", "[not-found]")
    assert other.read_bytes() == before and [p.name for p in other.parent.iterdir()] == [
        "f2.sqlite"]


def test_version_and_bare_command():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"frontwatch {version('frontwatch')}"
    bare = run()
    assert bare.returncode in (0, 2)  # click's no_args_is_help: help, exit 2 since click 8.2
    assert "Usage:" in bare.stdout + bare.stderr and "snapshots" in bare.stdout + bare.stderr
    assert "internal error" not in bare.stderr


@pytest.mark.parametrize("args", [["--help"], ["map", "--help"], ["import", "--help"],
                                  ["area", "--help"]])
def test_help_is_clean(args):
    r = run(*args)
    assert r.returncode == 0, r.stderr
    assert "--help" in r.stdout
    for noise in ("<bool>", "<str>", "<int>", "<float>", "<path>"):
        assert noise not in r.stdout, (noise, r.stdout)


def test_output_into_a_missing_folder(demo_db, tmp_path):
    target = tmp_path / "missing" / "zones.geojson"
    one_line_error(run("show", "latest", "-o", str(target), db=demo_db), 1, str(target),
                   "no folder", "[output-failed]")
    assert not target.parent.exists()


@pytest.mark.skipif(not (os.path.exists("/dev/full") and
                         stat.S_ISCHR(os.stat("/dev/full").st_mode)), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["show", "latest"], ["map", "latest", "--png"],
                                  ["export", "--format", "csv"],
                                  ["export", "--format", "gpkg"]])
def test_disk_full_on_output(demo_db, args):
    one_line_error(run(*args, "-o", "/dev/full", db=demo_db), 1, "/dev/full")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)  # never replaced by a file


@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system with byte names")
def test_file_names_that_are_not_utf8(demo_db, tmp_path):
    missing = os.fsencode(tmp_path) + b"/\xff-zones.geojson"
    one_line_error(run("import", missing, db=demo_db), 1, "\\xff-zones.geojson")
    folder = os.fsencode(tmp_path) + b"/\xfe"
    one_line_error(run("map", "latest", "-o", folder + b"/map.html", db=demo_db), 1,
                   "\\xfe/map.html", "no folder")
    os.mkdir(folder)
    r = run("map", "latest", "-o", folder + b"/map.html", "--json", db=demo_db)
    assert r.returncode == 0 and os.path.getsize(folder + b"/map.html") > 0, r.stderr
    assert "\\xfe/map.html" in r.stderr  # "wrote …"
    assert json.loads(r.stdout)["output"].endswith("\\xfe/map.html")


def test_store_that_is_not_a_database(tmp_path):
    bogus = tmp_path / "notes.sqlite"
    bogus.write_text("not a database\n" * 100)
    one_line_error(run("snapshots", db=bogus), 1, str(bogus), "not a database")
    assert bogus.read_text() == "not a database\n" * 100


def test_store_on_a_full_disk(tmp_path):
    """A real full file system: a 128 KiB tmpfs in a private mount namespace (root only)."""
    if os.geteuid() != 0 or not shutil.which("unshare") or subprocess.run(
            ["unshare", "-m", "true"], capture_output=True).returncode:
        pytest.skip("needs root and mount namespaces to mount a small tmpfs")
    disk = tmp_path / "disk"
    disk.mkdir()
    mount = ["unshare", "-m", "sh", "-c",
             'mount -t tmpfs -o size=128k tmpfs "$0" && exec "$@"', str(disk)]
    r = run("demo", "load", db=disk / "s.sqlite", prefix=mount)
    one_line_error(r, 1, str(disk / "s.sqlite"), "full")


# --- found by trying to break it ----------------------------------------------------------
def _zones_file(folder: bytes) -> bytes:
    from tests.helpers import OCC, deepstate_fc, dumps, square

    os.makedirs(folder, exist_ok=True)
    path = folder + b"/1719835200.geojson"
    with open(path, "w", encoding="utf-8") as f:
        f.write(dumps(deepstate_fc((OCC, square()))))
    return path


@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system with byte names")
def test_importing_from_a_path_that_is_not_utf8(tmp_path):
    path = _zones_file(os.fsencode(tmp_path) + b"/caf\xe9")
    db = tmp_path / "s.sqlite"
    r = run("import", path, "--json", db=db)
    assert r.returncode == 0, r.stderr
    listed = json.loads(run("snapshots", "--json", db=db).stdout)
    assert len(listed) == 1


def test_source_names_unfit_for_urls_headers_and_terminals_are_refused(tmp_path):
    path = _zones_file(os.fsencode(tmp_path) + b"/in")
    db = tmp_path / "s.sqlite"
    for bad in ("\x01a", "a\r\nX-Evil: 1", "-x", "x" * 65):
        one_line_error(run("import", path, "--source", bad, db=db), 1, "source=")
    assert not db.exists()  # refused before anything was created


def test_an_unknown_store_url_scheme_is_refused_not_created(tmp_path):
    r = subprocess.run([sys.executable, "-m", "frontwatch", "snapshots", "--db",
                        "mysql://a:b@c/d"], capture_output=True, text=True, cwd=tmp_path,
                       env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"})
    assert r.returncode == 2 and "unsupported store URL scheme 'mysql'" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and not any(tmp_path.iterdir())


def test_store_errors_never_show_a_password():
    pytest.importorskip("psycopg")
    from frontwatch.store.postgis import _redact

    libpq = ('cannot connect to PostgreSQL at postgresql://u:SuperSecretPw@[::1/x: end of '
             'string reached in URI: "postgresql://u:SuperSecretPw@[::1/x"')
    assert "SuperSecretPw" not in _redact(libpq) and "u:***@" in _redact(libpq)
    for text in ("postgresql:///x?password=SuperSecretPw&host=h", "host=h password=SuperSecretPw",
                 "host=h password='SuperSecretPw' user=u"):
        assert "SuperSecretPw" not in _redact(text), text


@pytest.mark.parametrize(("var", "value", "says"), [
    ("FRONTWATCH_MAX_FEATURES", "abc", "expected a whole number above 0"),
    ("FRONTWATCH_WEBHOOK_TIMEOUT_S", "-1", "expected a number above 0"),
    ("FRONTWATCH_HEAVY_WAIT_S", "nan", "expected a number above 0"),
    # every cache bound, the lock timeout and the worker count go through the same check
    ("FRONTWATCH_RESPONSE_CACHE_MB", "abc", "expected a number of 0 or more"),
    ("FRONTWATCH_GEOJSON_CACHE_MB", "1e400", "expected a number of 0 or more"),
    ("FRONTWATCH_RENDER_CACHE_MB", "-5", "expected a number of 0 or more"),
    ("FRONTWATCH_LOCK_TIMEOUT", "nan", "at most 3,600"),
    ("FRONTWATCH_WORKERS", "100000", "at most"),
    # no number setting is unbounded (breaker trial: 1e308 MB was an internal error, 100000
    # render processes per worker would have been spawned)
    ("FRONTWATCH_MAX_UNCOMPRESSED_MB", "1e308", "at most 1,000,000,000"),
    ("FRONTWATCH_RENDER_DEADLINE_S", "1e13", "at most 1,000,000,000"),
    ("FRONTWATCH_RENDER_PROCESSES", "100000", "at most"),
    ("FRONTWATCH_HEAVY_JOBS", "100000", "at most 256"),
    ("FRONTWATCH_PORT", "70000", "at most 65,535"),
])
def test_a_malformed_number_setting_is_one_line_naming_it(var, value, says, monkeypatch,
                                                          tmp_path):
    monkeypatch.setenv(var, value)
    r = run("snapshots", db=tmp_path / "x.sqlite")
    one_line_error(r, 1, var, says)


def test_serve_refuses_more_workers_than_the_machine_can_hold(tmp_path):
    """A typo's 100000 workers is a usage mistake (exit 2), not a fork bomb."""
    r = run("serve", "--workers", "100000", db=tmp_path / "x.sqlite")
    assert r.returncode == 2 and "--workers" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x.sqlite").exists()


def test_serve_on_a_port_in_use_is_one_line_before_any_worker(tmp_path):
    """Not uvicorn's log line after the start banner and exit 3 (new-user trial): checked
    before the banner, `port-unavailable`, exit 1, and the store is not opened by workers."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = run("serve", "--port", str(port), "--workers", "2", db=tmp_path / "s.sqlite")
    one_line_error(r, 1, f"cannot listen on 127.0.0.1:{port}", "in use", "[port-unavailable]")


def test_a_keyword_connection_string_never_shows_its_password(tmp_path):
    """A libpq keyword string given as --db names a PostgreSQL store (tests/test_cli_breaker
    reaches one); a server that cannot be reached is one line that never prints the
    password (breaker trial)."""
    pytest.importorskip("psycopg")
    r = run("snapshots", "--db", "host=127.0.0.1 port=1 password=s3cretpw")
    line = one_line_error(r, 1, "cannot connect to PostgreSQL", "password=***")
    assert "s3cretpw" not in line


# A value, an option or a file name the user gave, repeated by the CLI's one-line error: at
# most 80 characters of it (errors.echo; a file name's end, up to 255: errors.echo_name), and
# nothing a terminal would act on (ESC sequences, newlines: errors.visible).
_TEXT = "0123456789abcdefghijklmnopqrstuvwxyz" * 80
HOSTILE = _TEXT[:2500] + "\x1b[31m\n\r\x07\x7f\u202e'\"\\%" + _TEXT[:2490]  # argv holds no NUL
ZONES = '{"type": "FeatureCollection", "features": []}'


@pytest.mark.parametrize("args", [
    ["area", "--region", HOSTILE, "--date", "2025-06-01"],
    ["area", "--region", "demo-donetsk", "--date", HOSTILE],
    ["place", HOSTILE],
    ["map", HOSTILE],
    ["map", "2025-06-01", "--bbox", HOSTILE],
    ["chart", "--region", HOSTILE],
    ["frontline", "--date", HOSTILE],
    ["diff", HOSTILE, "2025-06-01"],
    ["import", "--status", HOSTILE, "--date", "2025-06-01", "{file}"],
    ["import", "--status-map", HOSTILE, "{file}"],
    ["import", "--status-field", HOSTILE, "--date", "2025-06-01", "{file}"],
    ["import", "{escaped}"],
    ["import", "{long}"],
    ["snapshots", "--format", HOSTILE],  # click's own usage message quotes the value whole
    ["import", "--format", HOSTILE, "{file}"],
], ids=lambda a: " ".join(x[:12].encode("unicode_escape").decode() for x in a[:2]))
def test_hostile_values_come_back_cut_and_escaped(demo_db, tmp_path, args):
    escaped = tmp_path / "zones\x1b]0;owned\x07\x1b[2J.geojson"
    escaped.write_text(ZONES)
    (tmp_path / "zones.geojson").write_text(ZONES)
    names = {"{file}": str(tmp_path / "zones.geojson"), "{escaped}": str(escaped),
             "{long}": f"{tmp_path}/{('x' * 250 + '/') * 20}zones.geojson"}
    r = run(*(names.get(a, a) for a in args), db=demo_db)
    assert r.returncode in (1, 2), (r.returncode, r.stderr[:300])
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr
    assert all(line.isprintable() for line in r.stderr.splitlines()), r.stderr[:500]
    # a usage error's box wraps the value: read it unwrapped
    flat = "".join(line.strip("│╭╰─╮╯ ") for line in r.stderr.splitlines())
    most = 255 if args[1] == "{long}" else 80  # a file name is shown by its end
    assert not any(HOSTILE[i:i + most + 1] in flat for i in range(len(HOSTILE) - most)), flat
    long = names["{long}"]
    assert not any(long[i:i + 256] in flat for i in range(len(long) - 255)), flat[:500]
    if r.returncode == 1:
        line = one_line_error(r, 1)
        assert len(line) < 600, line
        if args[1] == "{escaped}":
            assert r"zones\x1b]0;owned\x07\x1b[2J.geojson" in line, line
