"""The CLI as one tool: one table of commands, `--db` before or after the command, one output
option (`--format table|json|csv`, `--json`/`--csv` as aliases), a store opened only by the
commands that need it — and never created by one that only reads."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from frontwatch.cli.commands import COMMANDS
from frontwatch.ingest.formats import CHOICES
from frontwatch.store import open_store
from tests.helpers import OCC, cli_in_process, deepstate_fc, square, write
from tests.test_cli_errors import one_line_error

ROOT = Path(__file__).resolve().parents[1]

# `frontwatch --help` before the commands became a table (typer lists commands, then groups)
LISTED = ["area", "series", "changelog", "diff", "frontline", "place", "export", "check",
          "import", "show", "map", "chart", "serve", "regions", "sync", "demo", "snapshots",
          "places", "sources", "stats", "compare"]


def main(args: list[str], monkeypatch, capsys) -> tuple[int, str, str]:
    """`frontwatch ARGS` in this process (its real entry point): exit code, stdout, stderr."""
    monkeypatch.setenv("COLUMNS", "150")
    r = cli_in_process(args, monkeypatch, capsys)
    return r.returncode, r.stdout, r.stderr


def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}", "COLUMNS": "150"}
    return subprocess.run([sys.executable, "-m", "frontwatch", *args], capture_output=True,
                          text=True, env=env, timeout=timeout)


def one_line(err: str, *needles: str) -> str:
    """The one error line of a failed command (exit code checked by the caller)."""
    return one_line_error(subprocess.CompletedProcess((), 1, "", err), 1, *needles)


# --- one table of commands ------------------------------------------------------------------
def test_help_lists_the_same_commands_as_before():
    r = run("--help")
    assert r.returncode == 0, r.stderr
    listed = re.findall(r"^│ (\w+) ", r.stdout.split("Commands", 1)[1], re.MULTILINE)
    assert listed == LISTED
    assert [v.path for v in COMMANDS if " " not in v.path] == LISTED
    assert "--db" in r.stdout.split("Commands", 1)[0]


def test_every_subcommand_of_the_table_answers_help(monkeypatch, capsys):
    for verb in COMMANDS:
        code, out, err = main([*verb.path.split(), "--help"], monkeypatch, capsys)
        assert code == 0 and "Usage:" in out, (verb.path, err)
        assert "--db" in out or (" " not in verb.path and verb.target is None), verb.path


# --- --db before or after the command -------------------------------------------------------
def test_db_before_or_after_the_command(demo_db, monkeypatch, capsys):
    before = main(["--db", str(demo_db), "snapshots", "--json"], monkeypatch, capsys)
    after = main(["snapshots", "--json", "--db", str(demo_db)], monkeypatch, capsys)
    both = main(["--db", str(demo_db), "snapshots", "--db", str(demo_db), "--json"],
                monkeypatch, capsys)
    assert before[0] == after[0] == both[0] == 0, before[2]
    assert before[1] == after[1] == both[1] and len(json.loads(before[1])) == 3
    sub = main(["--db", str(demo_db), "snapshots", "delete", "--id", "99", "--yes"],
               monkeypatch, capsys)
    assert sub[0] == 1 and "99" in one_line(sub[2])  # the root's store reached the subcommand


def test_two_different_stores_are_a_usage_mistake(demo_db, tmp_path, monkeypatch, capsys):
    other = tmp_path / "other.sqlite"
    code, _, err = main(["--db", str(demo_db), "area", "-r", "donbas", "--date", "2025-01-01",
                         "--db", str(other)], monkeypatch, capsys)
    assert code == 2 and "'--db'" in err and "two different stores" in err
    assert not other.exists()


# --- one output option ----------------------------------------------------------------------
def test_format_json_csv_table_and_their_aliases(demo_db, monkeypatch, capsys):
    series = ["--db", str(demo_db), "series", "-r", "donbas", "--from", "2025-01-01",
              "--to", "2025-01-03"]
    by_flag = {flags: main([*series, *flags], monkeypatch, capsys)
               for flags in (("--json",), ("--format", "json"), ("--csv",), ("--format", "csv"),
                             (), ("--format", "table"), ("--json", "--format", "json"))}
    assert all(code == 0 for code, _, _ in by_flag.values()), by_flag
    doc = json.loads(by_flag["--json",][1])
    assert by_flag["--format", "json"][1] == by_flag["--json",][1] == \
        by_flag["--json", "--format", "json"][1]
    assert [r["date"] for r in doc["rows"]] == ["2025-01-01", "2025-01-02", "2025-01-03"]
    rows = list(csv.DictReader(io.StringIO(by_flag["--csv",][1])))
    assert by_flag["--format", "csv"][1] == by_flag["--csv",][1]
    assert [float(r["occupied_km2"]) for r in rows] == [r["occupied_km2"] for r in doc["rows"]]
    table = by_flag[()][1]
    assert table == by_flag["--format", "table"][1] and "2025-01-02" in table
    assert f"{doc['rows'][0]['occupied_km2']:,.1f}" in table


@pytest.mark.parametrize("flags, named", [
    (["--json", "--csv"], ["'--json'", "'--csv'"]),
    (["--format", "table", "--json"], ["'--format'", "'--json'"]),
    (["--csv", "--format", "json"], ["'--format'", "'--csv'"]),
])
def test_two_different_formats_are_a_usage_mistake(demo_db, flags, named, monkeypatch, capsys):
    code, out, err = main(["snapshots", *flags, "--db", str(demo_db)], monkeypatch, capsys)
    assert code == 2 and out == "", err
    assert "Usage:" in err and "two different output formats" in err
    assert all(n in err for n in named), err


def test_a_format_the_command_does_not_have_is_a_usage_mistake(demo_db, monkeypatch, capsys):
    code, _, err = main(["area", "-r", "donbas", "--date", "2025-01-01", "--format", "csv",
                         "--db", str(demo_db)], monkeypatch, capsys)
    assert code == 2 and "'--format'" in err and "'table'" in err and "'json'" in err
    code, _, err = main(["area", "-r", "donbas", "--date", "2025-01-01", "--csv",
                         "--db", str(demo_db)], monkeypatch, capsys)
    assert code == 2 and "No such option: --csv" in err


def test_csv_of_one_front_line_is_refused_not_ignored(demo_db, monkeypatch, capsys):
    code, out, err = main(["frontline", "--date", "2025-01-01", "--csv", "--db", str(demo_db)],
                          monkeypatch, capsys)
    assert code == 2 and out == ""  # it printed a table as if --csv had not been given
    one_line(err, "CSV is the series' (--from/--to)")


def test_listings_print_csv_too(demo_db, monkeypatch, capsys):
    code, out, _ = main(["--db", str(demo_db), "snapshots", "--format", "csv"], monkeypatch,
                        capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 3 and {r["source"] for r in rows} == {"demo"}
    code, out, _ = main(["--db", str(demo_db), "regions", "list", "--csv"], monkeypatch, capsys)
    assert code == 0 and "donbas" in {r["slug"] for r in csv.DictReader(io.StringIO(out))}
    code, out, _ = main(["--db", str(demo_db), "sources", "--csv"], monkeypatch, capsys)
    [demo] = list(csv.DictReader(io.StringIO(out)))
    code, listed, _ = main(["--db", str(demo_db), "sources", "--json"], monkeypatch, capsys)
    assert json.loads(demo["kinds"]) == json.loads(listed)[0]["kinds"]  # JSON, not a repr


def test_import_keeps_format_for_the_input_and_reports_with_output_format(tmp_path):
    zones = write(tmp_path / "1719835200.geojson", deepstate_fc((OCC, square())))
    db = tmp_path / "s.sqlite"
    r = run("import", str(zones), "--format", "deepstate", "--output-format", "json",
            "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["unchanged"]) == 0 and len(json.loads(r.stdout)["added"]) == 1
    again = run("import", str(zones), "--json", "--db", str(db))
    assert again.returncode == 0 and len(json.loads(again.stdout)["unchanged"]) == 1
    clash = run("import", str(zones), "--json", "--output-format", "table", "--db", str(db))
    assert clash.returncode == 2 and "'--output-format'" in clash.stderr


def test_an_unknown_input_format_is_a_usage_mistake_listing_the_registry(tmp_path):
    zones = write(tmp_path / "1719835200.geojson", deepstate_fc((OCC, square())))
    db = tmp_path / "s.sqlite"
    r = run("import", str(zones), "--format", "bogus", "--db", str(db))
    assert r.returncode == 2 and "Usage:" in r.stderr and "'--format'" in r.stderr
    said = " ".join(r.stderr.replace("│", " ").split())
    assert all(f"'{name}'" in said for name in CHOICES), said
    assert not db.exists()  # a usage mistake opens nothing


# --- the store: opened only when needed, never created by a read ---------------------------
READS = [
    ["snapshots"], ["sources"], ["places"], ["regions", "list"], ["show", "latest"],
    ["area", "-r", "donbas", "--date", "2025-01-01"],
    ["series", "-r", "donbas", "--from", "2025-01-01", "--to", "2025-01-02"],
    ["changelog", "-r", "donbas", "--from", "2025-01-01", "--to", "2025-01-02"],
    ["diff", "2025-01-01", "2025-02-01"], ["frontline", "--date", "2025-01-01"],
    ["place", "kramatorsk"], ["places", "changed", "--from", "2025-01-01", "--to", "2025-01-02"],
    ["compare", "--date", "2025-01-01"],
    ["compare", "lag", "-r", "donbas", "--from", "2025-01-01", "--to", "2025-01-02"],
    ["check"], ["export", "--format", "csv", "-o", "x.csv"], ["map", "latest", "-o", "m.html"],
    ["chart", "-r", "donbas", "-o", "c.png"], ["stats", "rebuild"], ["compare", "rebuild"],
    ["sources", "remove", "demo", "--yes"], ["snapshots", "delete", "--id", "1", "--yes"],
]


@pytest.mark.parametrize("args", READS, ids=" ".join)
def test_a_missing_store_is_refused_not_created(args, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    typo = tmp_path / "stroe.sqlite"
    for where in (["--db", str(typo), *args], [*args, "--db", str(typo)]):
        code, out, err = main(where, monkeypatch, capsys)
        assert code == 1 and out == "", err
        one_line(err, f"no store at {typo}", "[not-found]")
    assert list(tmp_path.iterdir()) == []  # nothing created: no store, no output file


@pytest.mark.parametrize("args", [
    ["demo", "load"],
    ["places", "import", "{zones}"],
])
def test_commands_that_write_create_the_store(args, tmp_path, monkeypatch, capsys):
    zones = write(tmp_path / "outlines.geojson", {"type": "FeatureCollection",
                                                  "features": [KRAMATORSK]})
    db = tmp_path / "new.sqlite"
    code, _, err = main([*(a.format(zones=zones) for a in args), "--db", str(db)],
                        monkeypatch, capsys)
    assert code == 0, err
    assert db.exists()


def test_the_store_is_opened_only_by_commands_that_need_it(tmp_path, monkeypatch, capsys):
    typo = tmp_path / "stroe.sqlite"
    code, _, err = main(["--db", str(typo), "show", "latest", "--status", "bogus"],
                        monkeypatch, capsys)
    # a choice outside its list is a usage mistake naming the value, not the store
    assert code == 2 and "'--status': 'bogus' is not one of" in " ".join(
        err.replace("│", " ").split()), err
    code, _, err = main(["--db", str(typo), "area", "-r", "donbas"], monkeypatch, capsys)
    assert code == 2 and "Missing option '--date'" in err
    assert not typo.exists()


def test_the_default_store_is_still_created(tmp_path):
    env = {"XDG_DATA_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path),
           "PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    r = subprocess.run([sys.executable, "-m", "frontwatch", "sources", "--json"], env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert [s["source"] for s in json.loads(r.stdout)] == ["demo"]


# --- inputs that are not regular files, files that attach nothing --------------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("command", [["import"], ["regions", "import"], ["places", "import"]])
def test_a_fifo_is_refused_not_waited_on(command, tmp_path):
    fifo = tmp_path / "zones.geojson"
    os.mkfifo(fifo)
    db = tmp_path / "s.sqlite"
    r = run(*command, str(fifo), "--db", str(db), timeout=120)  # it used to block for ever
    assert r.returncode == 1
    one_line(r.stderr, str(fifo), "not a regular file")
    with open_store(db) as store:
        assert store.snapshots() == [] and store.regions() == []


def test_a_fifo_in_a_folder_is_skipped(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(folder / "pipe.geojson")
    write(folder / "1719835200.geojson", deepstate_fc((OCC, square())))
    r = run("import", str(folder), "--json", "--db", str(tmp_path / "s.sqlite"), timeout=120)
    assert r.returncode == 0 and len(json.loads(r.stdout)["added"]) == 1, r.stderr


KRAMATORSK = {"type": "Feature", "properties": {"name:uk": "Краматорськ"},
              "geometry": {"type": "Polygon", "coordinates": [[
                  [37.4, 48.6], [37.7, 48.6], [37.7, 48.8], [37.4, 48.8], [37.4, 48.6]]]}}
NOWHERE = {"type": "Feature", "properties": {"name:uk": "Ніде"},  # no such place there
           "geometry": {"type": "Polygon", "coordinates": [[
               [30.0, 50.0], [30.1, 50.0], [30.1, 50.1], [30.0, 50.0]]]}}


def test_places_import_of_a_file_without_settlements(tmp_path, monkeypatch, capsys):
    db = tmp_path / "s.sqlite"
    points = write(tmp_path / "points.geojson", {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "a well"},
         "geometry": {"type": "Point", "coordinates": [37.5, 48.7]}}]})
    code, out, err = main(["places", "import", str(points), "--db", str(db)], monkeypatch,
                          capsys)
    assert code == 1 and out == ""
    one_line(err, str(points), "no settlement outline attached", "1 other feature(s) skipped")
    unknown = write(tmp_path / "unknown.geojson", {"type": "FeatureCollection",
                                                   "features": [NOWHERE]})
    code, _, err = main(["places", "import", str(points), str(unknown), "--db", str(db)],
                        monkeypatch, capsys)
    assert code == 1
    one_line(err, "2 files", str(unknown), "1 polygon(s) matched no gazetteer place")
    with open_store(db) as store:
        assert store.place_polygons() == {}


def test_places_import_of_several_files_some_without_known_settlements(tmp_path):
    """Hromada files of small villages attach nothing (the gazetteer holds places of 500
    people and more): beside files that do attach, they are reported, not refused."""
    known = write(tmp_path / "known.geojson", {"type": "FeatureCollection",
                                               "features": [KRAMATORSK]})
    unknown = write(tmp_path / "unknown.geojson", {"type": "FeatureCollection",
                                                   "features": [NOWHERE]})
    r = run("places", "import", str(known), str(unknown), "--json",
            "--db", str(tmp_path / "s.sqlite"))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc[str(known)]["places"] == ["kramatorsk"] and doc[str(unknown)]["attached"] == 0


def test_table_cells_numbers_right_text_left(monkeypatch, capsys):
    from frontwatch.cli.output import print_table

    monkeypatch.setenv("COLUMNS", "80")
    print_table(("name", "km²"), [("Pokrovsk", "1,234.5"), ("Myrnohrad", "-12.0")], "t")
    lines = capsys.readouterr().out.splitlines()
    row = next(line for line in lines if "Myrnohrad" in line)
    assert re.search(r"│ Myrnohrad │ +-12\.0 │", row), lines
    assert re.search(r"│ Pokrovsk +│ 1,234\.5 │", next(x for x in lines if "Pokrovsk" in x))


def test_the_source_setting_is_the_commands_default_source(demo_db, monkeypatch, capsys):
    """FRONTWATCH_SOURCE chooses the CLI's default source, as it does the API's; --source
    still wins, and a source the store lacks is an error, not silently another one."""
    import json

    code, out, _ = main(["--db", str(demo_db), "sources", "--json"], monkeypatch, capsys)
    source = json.loads(out)[0]["source"]
    args = ["--db", str(demo_db), "area", "-r", "donbas", "--date", "2025-01-01", "--json"]
    monkeypatch.setenv("FRONTWATCH_SOURCE", source)
    code, out, _ = main(args, monkeypatch, capsys)
    assert code == 0 and json.loads(out)["source"] == source
    monkeypatch.setenv("FRONTWATCH_SOURCE", "nsz")
    code, out, err = main(args, monkeypatch, capsys)
    assert code == 1 and out == "" and "nsz" in err
    code, out, _ = main([*args, "--source", source], monkeypatch, capsys)
    assert code == 0 and json.loads(out)["source"] == source
