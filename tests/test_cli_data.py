"""The CLI as users run it: a real subprocess, JSON on stdout, one-line errors on stderr."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import OCC, deepstate_fc, square, write


def run(*args: str, db=None, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "frontwatch", *args]
    if db is not None:
        cmd += ["--db", str(db)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} failed ({proc.returncode}): {proc.stderr}")
    return proc


def test_import_show_and_list_json(tmp_path):
    db = tmp_path / "s.sqlite"
    write(tmp_path / "1719835200.geojson", deepstate_fc((OCC, square())))
    report = json.loads(run("import", str(tmp_path / "1719835200.geojson"), "--json",
                            db=db).stdout)
    assert len(report["added"]) == 1
    assert report["added"][0]["valid_at"] == "2024-07-01T12:00:00Z"
    listing = json.loads(run("snapshots", "--json", db=db).stdout)
    assert [r["date"] for r in listing] == ["2024-07-01"]
    fc = json.loads(run("show", "2024-07-05", db=db).stdout)  # carried forward
    assert fc["type"] == "FeatureCollection" and fc["source"] == "deepstate"
    assert "DeepStateMap" in fc["attribution"]
    assert fc["features"][0]["properties"]["status"] == "occupied"


def test_errors_are_one_line_without_traceback(tmp_path):
    db = tmp_path / "s.sqlite"
    bad = write(tmp_path / "1719835200.geojson", "{broken")
    proc = run("import", str(bad), db=db, check=False)
    assert proc.returncode == 1
    assert str(bad) in proc.stderr and "not valid JSON" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = run("show", "2024-02-30", db=db, check=False)
    assert proc.returncode == 1 and "DATE='2024-02-30': invalid date" in proc.stderr
    proc = run("import", str(tmp_path / "missing.geojson"), db=db, check=False)
    assert proc.returncode == 1 and "no such file" in proc.stderr
    assert proc.stderr.rstrip().endswith("[not-found]")  # README: a file that does not exist
    for args in (["places", "import"], ["regions", "import"]):
        proc = run(*args, str(tmp_path / "missing.geojson"), db=db, check=False)
        assert proc.returncode == 1 and proc.stderr.rstrip().endswith("[not-found]"), proc.stderr


def test_show_before_history_starts(tmp_path):
    db = tmp_path / "s.sqlite"
    write(tmp_path / "1719835200.geojson", deepstate_fc((OCC, square())))
    run("import", str(tmp_path / "1719835200.geojson"), db=db)
    proc = run("show", "2023-01-01", db=db, check=False)
    assert proc.returncode == 1 and "history starts 2024-07-01" in proc.stderr


@pytest.mark.shared
def test_real_import_twice_lists_every_revision(shared, tmp_path):
    """All raw snapshots and the whole daily archive, twice: the second run adds nothing."""
    db = tmp_path / "real.sqlite"
    dirs = [str(shared / "deepstate-raw"), str(shared / "deepstate-daily")]
    first = json.loads(run("import", *dirs, "--json", db=db).stdout)
    assert len(first["added"]) == 249 + 353
    second = json.loads(run("import", *dirs, "--json", db=db).stdout)
    assert second["added"] == [] and len(second["unchanged"]) == 602
    listing = json.loads(run("snapshots", "--json", db=db).stdout)
    assert len(listing) == 602
    by_source = {s: [r for r in listing if r["source"] == s]
                 for s in ("deepstate", "deepstate-archive")}
    assert len(by_source["deepstate"]) == 249 and len(by_source["deepstate-archive"]) == 353
    assert by_source["deepstate-archive"][0]["date"] == "2024-07-08"
    assert by_source["deepstate-archive"][-1]["date"] == "2025-06-30"
    assert all(r["occupied"] >= 1 for r in listing)
    # Several revisions on the same day are kept, each with its own time.
    days = [r["date"] for r in by_source["deepstate"]]
    assert len(set(days)) < len(days)


@pytest.mark.shared
def test_places_of_a_group_region(shared, tmp_path):
    """`frontwatch places --region donbas` lists the Donetsk and Luhansk places (a group
    used to lose them: issue 8.7)."""
    db = tmp_path / "s.sqlite"
    run("regions", "import", str(shared / "boundaries" / "Ukraine.geojson.gz"), "--level",
        "oblast", db=db)
    every = json.loads(run("places", "--json", db=db).stdout)
    donbas = json.loads(run("places", "--region", "donbas", "--json", db=db).stdout)
    donetsk = json.loads(run("places", "--region", "UA14", "--json", db=db).stdout)
    expected = {p["slug"] for p in every if p["region"] in ("donetsk-oblast", "luhansk-oblast")}
    assert expected <= {p["slug"] for p in donbas} and len(donbas) < len(every)
    # A few points GeoNames files under a neighbouring oblast lie inside Donetsk's outline.
    assert sum(p["region"] != "donetsk-oblast" for p in donetsk) <= 3
    assert len(donetsk) < len(donbas)
    old = json.loads(run("places", "--region", "donbas", "--date", "2015-01-01", "--json",
                         db=db).stdout)
    assert "Artemivsk" in {p["name_en"] for p in old}
    bad = run("places", "--region", "atlantis", db=db, check=False)
    assert bad.returncode == 1 and "unknown region 'atlantis'" in bad.stderr
