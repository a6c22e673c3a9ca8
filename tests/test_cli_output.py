"""What the real CLI prints when names from files, stores and the command line carry
characters a terminal acts on (ESC sequences, \\r, BEL, a newline, the bidi override U+202E):
every success line, table, CSV row, JSON document, note and error shows them escaped; and the
file names an export or a render is told to write, however odd, are written as given."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import OCC, deepstate_fc, square, write
from tests.test_cli_breaker import _cli, _env
from tests.test_cli_errors import one_line_error

# A name holding each kind of character a terminal would act on (C0, ESC, BEL, \r, a bidi
# override, a C1 CSI), and a newline
EVIL = "Ev\x1b[31mil\x1b]0;owned\x07\r\u202eX\nY\x9b31mZ"
SHOWN = r"Ev\x1b[31mil\x1b]0;owned\x07\r\u202eX\nY\x9b31mZ"  # as the CLI shows it
RAW = ("\x1b", "\r", "\x07", "\u202e", "\x00", "\x9b")


def assert_shown_clean(r: subprocess.CompletedProcess) -> None:
    """Nothing on stdout or stderr a terminal would act on: every character printable but
    the console's own line breaks."""
    for stream in (r.stdout, r.stderr):
        odd = sorted({c for c in stream if not c.isprintable() and c != "\n"})
        assert not odd, (odd, stream)
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr


@pytest.fixture(scope="module")
def evil_db(tmp_path_factory) -> Path:
    """Two DeepStateMap revisions from files with a hostile name, and an oblast whose name
    (English and Ukrainian) is EVIL."""
    folder = tmp_path_factory.mktemp("evil")
    db = folder / "e.sqlite"
    region = folder / "regions.geojson"
    write(region, {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": EVIL, "name:uk": EVIL},
        "geometry": {"type": "Polygon", "coordinates": [square(-0.2, -0.2)[::-1]]}}]})
    r = _cli("--db", str(db), "regions", "import", str(region), "--level", "oblast",
             cwd=folder)
    assert r.returncode == 0, r.stderr
    for day, dx in (("2025-06-01", 0.0), ("2025-06-08", 0.05)):
        src = write(folder / f"{EVIL}{day}.geojson", deepstate_fc((OCC, square(dx))))
        r = _cli("--db", str(db), "import", str(src), "--date", day, cwd=folder)
        assert r.returncode == 0, r.stderr
        assert_shown_clean(r)
    return db


@pytest.fixture(scope="module")
def evil_slug(evil_db) -> str:
    rows = json.loads(_cli("--db", str(evil_db), "regions", "list", "--level", "oblast",
                           "--json", cwd=evil_db.parent).stdout)
    assert [r["name_en"] for r in rows] == [EVIL]  # JSON keeps the value exactly
    return rows[0]["slug"]


SWEEP = [
    ["regions", "list"], ["regions", "list", "--csv"], ["regions", "list", "--json"],
    ["area", "-r", "{slug}", "--date", "2025-06-08"],
    ["area", "-r", "{slug}", "--date", "2025-06-08", "--json"],
    ["series", "-r", "{slug}", "--from", "2025-06-01", "--to", "2025-06-08"],
    ["series", "-r", "{slug}", "--from", "2025-06-01", "--to", "2025-06-08", "--csv"],
    ["changelog", "-r", "{slug}", "--from", "2025-06-01", "--to", "2025-06-08"],
    ["show", "latest", "--region", "{slug}"],
    ["show", "latest", "-o", "{out}.geojson"],
    ["diff", "2025-06-01", "2025-06-08", "-o", "{out}.geojson"],
    ["frontline", "--date", "2025-06-08", "-o", "{out}.geojson"],
    ["chart", "-r", "{slug}", "--from", "2025-06-01", "--to", "2025-06-08", "-o",
     "{out}.svg"],
    ["map", "2025-06-08", "-o", "{out}.html"],
    ["snapshots"], ["sources"], ["check"],
    *[["export", "--format", fmt, "-o", f"{{out}}.{fmt}"] for fmt in
      ("gpkg", "fgb", "csv", "parquet")],
    ["export", "--format", "csv", "-o", "{out}.csv", "--json"],
    ["show", "latest", "-o", "{missing}/{out}.geojson"],  # an error line
    ["area", "-r", "{evil}", "--date", "2025-06-08"],  # a value the user typed, not found
]


@pytest.mark.parametrize("args", SWEEP, ids=lambda a: " ".join(a).replace("{", "").replace(
    "}", ""))
def test_every_command_shows_odd_names_escaped(evil_db, evil_slug, tmp_path, args):
    """A region named EVIL (from a boundary file), output files named EVIL: no raw control
    character reaches the terminal from any command, and a name shown in a line (wrote …,
    an error) carries its newline as \\n, so the line stays one line naming the file."""
    argv = [a.format(slug=evil_slug, out=EVIL, missing="missing", evil=f"{EVIL}-none")
            for a in args]
    r = _cli("--db", str(evil_db), *argv, cwd=tmp_path)
    assert_shown_clean(r)
    if "{missing}" in " ".join(args):
        one_line_error(r, 1, f"missing/{SHOWN}.geojson: cannot write", "[output-failed]")
        return
    if "{evil}" in " ".join(args):
        one_line_error(r, 1, "[not-found]")
        assert r"\x1b[31m" in r.stderr or r"\x1b" in r.stderr, r.stderr
        return
    assert r.returncode == 0, r.stderr
    if "{out}" in " ".join(args):
        written = [p for p in tmp_path.iterdir() if p.name.startswith(EVIL)]
        assert written, list(tmp_path.iterdir())
        if "--json" not in argv:
            said = [line for line in r.stderr.splitlines() if SHOWN in line]
            assert said, r.stderr  # the success line names the file, escaped, on one line
    if "--json" in argv:
        json.loads(r.stdout)  # still one JSON document
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".frontwatch-")]


TITLED = [
    ["area", "-r", "{slug}", "--date", "2025-06-08"],
    ["changelog", "-r", "{slug}", "--from", "2025-06-01", "--to", "2025-06-08"],
    ["places", "changed", "-r", "{slug}", "--from", "2025-06-01", "--to", "2025-06-08"],
]


@pytest.mark.parametrize("args", TITLED, ids=lambda a: " ".join(a[:2]))
def test_a_name_in_a_table_title_is_escaped_on_one_line(evil_db, evil_slug, tmp_path, args):
    """rich lays a table's title out itself (a newline became a real line break there, \\r
    and BEL were dropped): the region's name in a title comes out whole and escaped."""
    argv = [a.format(slug=evil_slug) for a in args]
    r = _cli("--db", str(evil_db), *argv, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert_shown_clean(r)
    assert [line for line in r.stdout.splitlines() if SHOWN in line], r.stdout


def test_a_name_in_the_compare_title_is_escaped_on_one_line(evil_db, evil_slug, tmp_path):
    """`compare` titles its tables with the region's name too (a copy of the store, with a
    second source to compare with)."""
    db = tmp_path / "two.sqlite"
    shutil.copyfile(evil_db, db)
    other = write(tmp_path / "other.geojson", deepstate_fc((OCC, square(0.1))))
    r = _cli("--db", str(db), "import", str(other), "--date", "2025-06-08", "--source",
             "other", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for when in (["--date", "2025-06-08"], ["--from", "2025-06-01", "--to", "2025-06-08"]):
        r = _cli("--db", str(db), "compare", "--sources", "deepstate,other", "--layer", "all",
                 "-r", evil_slug, *when, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert_shown_clean(r)
        assert [line for line in r.stdout.splitlines() if SHOWN in line], r.stdout


def test_progress_bars_and_notes_on_a_terminal_are_escaped(tmp_path):
    """On a terminal (a pty), import's progress bars and notes name files: still nothing a
    terminal acts on but the console's own cursor moves and colours (CSI/OSC sequences
    rich writes are the only ESC; the file name's ESC comes out as \\x1b)."""
    import pty
    import re

    bad = write(tmp_path / f"{EVIL}.geojson", b"{not json")
    good = write(tmp_path / "1719835200.geojson", deepstate_fc((OCC, square())))
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real CLI on the pty
        os.chdir(tmp_path)
        env = _env(COLUMNS="200", FRONTWATCH_WARM="0", TERM="xterm")
        os.execve(sys.executable, [sys.executable, "-m", "frontwatch", "--db", "t.sqlite",
                                   "import", str(bad), str(good), "--skip-invalid"], env)
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    text = b"".join(chunks).decode("utf-8")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert r"\x1b[31mil\x1b]0;owned\x07\r\u202eX\nY" in text, text
    # what remains once rich's own sequences are taken out: no control character
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)", "", text)
    assert not {c for c in plain if not c.isprintable() and c not in "\r\n"}, repr(plain)
    assert "\u202e" not in text and "owned\x07" not in text


# --- odd output names ---------------------------------------------------------------------
ODD_NAMES = ["a;b", "a,b", "a b", "a?b", "a#b", "a%b", "-lead", "a:b", "ünïcødé", "a\nb",
             os.fsdecode(b"bytes-\xff\xfe")]


@pytest.mark.parametrize("fmt", ["gpkg", "fgb", "csv", "parquet"])
def test_export_writes_any_file_name(evil_db, tmp_path, fmt):
    """`export --format gpkg -o 'a;b.gpkg'` failed (GDAL cuts dataset names at ';'; a
    leading '-' made an invalid layer name; bytes that are not UTF-8 were an internal
    error). The export is written under a fixed name in its private folder and moved onto
    the user's name: every odd name comes out as given, readable, with nothing left
    behind; GDAL's warnings never reach the terminal raw."""
    import pyogrio

    folder = tmp_path / "out;put dir"
    folder.mkdir()
    for name in ODD_NAMES:
        target = folder / f"{name}.{fmt}"
        r = _cli("--db", str(evil_db), "export", "--format", fmt, "-o", os.fsencode(target),
                 cwd=tmp_path)
        assert r.returncode == 0, (name, r.stderr)
        assert_shown_clean(r)
        assert len(r.stderr.splitlines()) == 1, r.stderr  # the success line, no warning
        assert ".frontwatch-export-" not in r.stderr, r.stderr
        assert target.is_file(), (name, sorted(os.listdir(folder)))
        if fmt in ("gpkg", "fgb"):
            check = shutil.copy(target, tmp_path / f"check.{fmt}")  # GDAL cuts at ';'
            assert len(pyogrio.read_dataframe(check)) > 0
            if fmt == "gpkg":
                assert {n for n, _ in pyogrio.list_layers(check)} == {"zones", "places",
                                                                      "areas"}
        elif fmt == "csv":
            assert target.read_text().startswith("status,")
            assert target.with_suffix(".csvt").is_file()
        else:
            import geopandas as gpd

            # pyarrow takes no file name that is not UTF-8: read a plain copy
            assert len(gpd.read_parquet(shutil.copy(target, tmp_path / "check.parquet"))) > 0
    leftovers = [n for n in os.listdir(folder) if n.startswith(".")]
    assert not leftovers, leftovers
    stems = {n.split(".")[0].removesuffix("_places").removesuffix("_areas")
             for n in os.listdir(os.fsencode(folder)) for n in [os.fsdecode(n)]}
    assert stems == set(ODD_NAMES), stems  # nothing written under another name


@pytest.mark.parametrize("args, ext", [
    (["map", "2025-06-08"], "html"), (["map", "2025-06-08", "--svg"], "svg"),
    (["map", "2025-06-08", "--from", "2025-06-01", "--step", "7"], "html"),  # time-lapse
    (["chart", "-r", "{slug}", "--from", "2025-06-01", "--to", "2025-06-08"], "png"),
])
def test_renders_write_any_file_name(evil_db, evil_slug, tmp_path, args, ext):
    """map (page, image, time-lapse) and chart -o: any name is written as given (they write
    with Python's open, never through GDAL)."""
    for name in ["a;b", "-lead", "a?b#c%d", "a:b", "ünï", os.fsdecode(b"x\xff")]:
        target = tmp_path / f"{name}.{ext}"
        r = _cli("--db", str(evil_db), *[a.format(slug=evil_slug) for a in args], "-o",
                 os.fsencode(target), cwd=tmp_path)
        assert r.returncode == 0, (name, r.stderr)
        assert_shown_clean(r)
        assert target.is_file() and target.stat().st_size > 0, name


# --- GDAL's warnings ----------------------------------------------------------------------
def test_gdal_warnings_become_a_note_naming_the_users_file(evil_db, tmp_path):
    """A GeoPackage named with an upper-case extension makes GDAL warn (the extension should
    be 'gpkg'): pyogrio's RuntimeWarning named the private folder and repeated the file
    name raw. Written under the fixed name, GDAL has nothing to warn about; any warning
    during a write is one note naming the user's file."""
    target = tmp_path / f"{EVIL}.GPKG"
    r = _cli("--db", str(evil_db), "export", "--format", "gpkg", "-o", str(target),
             cwd=tmp_path)
    assert_shown_clean(r)
    assert r.returncode == 0 or "end the name in .gpkg" in r.stderr, r.stderr
    assert "RuntimeWarning" not in r.stderr and ".frontwatch-export-" not in r.stderr


NOISY = r"""
import sys, warnings
import frontwatch.cli.data as data

real = data.print_notes


def print_notes(notes, verbose):  # a library warning while the command runs
    warnings.warn("File /tmp/frontwatch-input-1-abc/input.gpkg: x\x1b[2J\ny", RuntimeWarning)
    real(notes, verbose)


data.print_notes = print_notes
from frontwatch.cli import main
sys.argv = ["frontwatch", *sys.argv[1:]]
main()
"""


def test_a_library_warning_is_one_clean_line(tmp_path):
    """Any warning a library raises while a command runs is printed by the CLI as one line
    (`note: <category>: …`), escaped, without the private folders' paths."""
    src = write(tmp_path / "1719835200.geojson", deepstate_fc((OCC, square())))
    r = subprocess.run([sys.executable, "-c", NOISY, "--db", "x.sqlite", "import", str(src)],
                       capture_output=True, text=True, cwd=tmp_path,
                       env=_env(FRONTWATCH_WARM="0"), timeout=600)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines()[0] == (
        r"note: RuntimeWarning: File <temporary file> x\x1b[2J\ny"), r.stderr
    assert_shown_clean(r)


# --- names with digits that are not ASCII -------------------------------------------------
@pytest.mark.parametrize("name", ["２０２５-０６-０１.geojson", "１７１９８３５２００.geojson",
                                  "\U0001d7d0\U0001d7ce\U0001d7d0\U0001d7d3-06-01.geojson",
                                  "١٧١٩٨٣٥٢٠٠.geojson"])
def test_a_file_named_with_digits_that_are_not_ascii_has_no_date(tmp_path, name):
    """Full-width, mathematical and Arabic-Indic digits are digits to int() and strptime, but
    no publication time: the real CLI says the file has none (one line naming it, exit 1,
    nothing stored), and with --date the same file imports on that date."""
    src = write(tmp_path / name, deepstate_fc((OCC, square())))
    db = tmp_path / "s.sqlite"
    r = _cli("--db", str(db), "import", str(src), cwd=tmp_path)
    one_line_error(r, 1, name, "no publication time", "[input-invalid]")
    assert not db.exists() or not json.loads(
        _cli("--db", str(db), "snapshots", "--json", cwd=tmp_path).stdout)
    ok = _cli("--db", str(db), "import", str(src), "--date", "2025-06-01", "--output-format",
              "json", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    listed = json.loads(_cli("--db", str(db), "snapshots", "--json", cwd=tmp_path).stdout)
    assert [s["date"] for s in listed] == ["2025-06-01"]


# --- a file gone between listing and reading ----------------------------------------------
VANISH = r"""
import sys
from pathlib import Path
import frontwatch.ingest as ingest

import os
listed = ingest.iter_files
calls = []


def iter_files(paths, *args):
    files = listed(paths, *args)
    calls.append(1)  # the CLI lists the paths, then import_paths lists what it was given
    if len(calls) == int(os.environ["FW_WHEN"]):  # another process removes the file now
        for f in files:
            if f.name.startswith("1719921600"):
                f.unlink(missing_ok=True)
    return files


ingest.iter_files = iter_files
from frontwatch.cli import main
sys.argv = ["frontwatch", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("skip, when", [(True, 1), (True, 2), (False, 2)])
def test_a_file_that_vanishes_before_it_is_read(tmp_path, skip, when):
    """`import --skip-invalid FOLDER` raised NotFound for a file deleted after the folder was
    listed (by the CLI, `when`=1, or by the import itself, 2: then reading it finds it
    gone): it is skipped with a note naming it. Without --skip-invalid it is the one-line
    `not-found` error, exit 1, and the store is unchanged."""
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder / "1719835200.geojson", deepstate_fc((OCC, square())))
    write(folder / "1719921600.geojson", deepstate_fc((OCC, square(0.05))))
    db = tmp_path / "s.sqlite"
    base = _cli("--db", str(db), "demo", "load", cwd=tmp_path)
    assert base.returncode == 0, base.stderr
    before = json.loads(_cli("--db", str(db), "snapshots", "--json", cwd=tmp_path).stdout)
    args = ["--db", str(db), "import", str(folder), *(["--skip-invalid"] if skip else [])]
    r = subprocess.run([sys.executable, "-c", VANISH, *args], capture_output=True, text=True,
                       cwd=tmp_path,
                       env=_env(FRONTWATCH_WARM="0", COLUMNS="200", FW_WHEN=str(when)),
                       timeout=600)
    after = json.loads(_cli("--db", str(db), "snapshots", "--json", cwd=tmp_path).stdout)
    if skip:
        assert r.returncode == 0, r.stderr
        note = [line for line in r.stderr.splitlines() if line.startswith("skipped")]
        assert len(note) == 1 and "1719921600.geojson" in note[0], r.stderr
        assert "no such file" in note[0] and "[not-found]" not in note[0]
        assert "imported 1 new revision(s)" in r.stderr
        assert len([s for s in after if s["source"] == "deepstate"]) == 1
    else:
        one_line_error(r, 1, "1719921600.geojson", "no such file", "[not-found]")
        assert after == before


# --- private folders left by a killed process ---------------------------------------------
SLOW_READ = r"""
import os, sys, time
from pathlib import Path
import frontwatch.ingest.reader as reader

real = reader._read_with_driver


def slow(fmt, path, origin, limits):  # the import stops here, its input on disk
    Path(os.environ["FW_READY"]).write_text(str(path.parent))
    time.sleep(600)
    return real(fmt, path, origin, limits)


reader._read_with_driver = slow
from frontwatch.cli import main
sys.argv = ["frontwatch", *sys.argv[1:]]
main()
"""


def test_a_killed_imports_private_folder_is_removed_by_the_next_import(tmp_path):
    """SIGKILL runs no cleanup: an import killed while GDAL reads its input left
    /tmp/frontwatch-input-* behind for ever. The folder carries its process's pid; the next
    import removes it once that process is gone, and never touches a live process's
    folder, another prefix's, or a symlink."""
    import tempfile

    import geopandas as gpd
    import shapely

    from frontwatch import staging

    tmp = Path(tempfile.gettempdir())
    gpkg = tmp_path / "1719835200.gpkg"
    gpd.GeoDataFrame({"status": ["occupied"]}, geometry=[shapely.Polygon(square())],
                     crs="EPSG:4326").to_file(gpkg, driver="GPKG", engine="pyogrio")
    ready = tmp_path / "ready"
    env = _env(FRONTWATCH_WARM="0", FW_READY=str(ready))
    proc = subprocess.Popen([sys.executable, "-c", SLOW_READ, "--db",
                             str(tmp_path / "s.sqlite"), "import", str(gpkg),
                             "--status", "occupied", "--date", "2025-06-01"],
                            env=env, cwd=tmp_path, stderr=subprocess.PIPE)
    try:
        for _ in range(3000):
            if ready.exists() or proc.poll() is not None:
                break
            subprocess.run(["sleep", "0.1"])
        assert ready.exists(), proc.stderr.read() if proc.poll() is not None else "slow"
        left = Path(ready.read_text())
        assert left.is_dir() and left.name.startswith(f"{staging.INPUT}{proc.pid}-")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        proc.stderr.close()
    assert left.is_dir()  # SIGKILL: nothing cleaned up
    live = staging.make(staging.INPUT)  # this (live) process's own folder
    other = tmp / "frontwatch-inputx-1-keptkept"
    other.mkdir(exist_ok=True)
    link = tmp / f"{staging.INPUT}{proc.pid}-linklink"
    link.symlink_to(tmp_path)
    try:
        r = _cli("--db", str(tmp_path / "s.sqlite"), "import", str(gpkg), "--status",
                 "occupied", "--date", "2025-06-01", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert not left.exists()
        assert live.is_dir() and other.is_dir() and link.is_symlink() and tmp_path.is_dir()
    finally:
        shutil.rmtree(live, ignore_errors=True)
        shutil.rmtree(other, ignore_errors=True)
        link.unlink(missing_ok=True)
        shutil.rmtree(left, ignore_errors=True)
