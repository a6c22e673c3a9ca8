"""The analytics commands as users run them: a subprocess, one JSON document on stdout."""

from __future__ import annotations

import json

import pytest

from tests.test_cli_data import run


def test_area_series_diff_frontline_place_json(real_db, tmp_path):
    res = json.loads(run("area", "--region", "Donetsk Oblast", "--date", "2025-06-01",
                         "--json", db=real_db).stdout)
    assert res["region"] == "donetsk-oblast" and res["occupied_km2"] > 15000
    doc = json.loads(run("series", "-r", "UA14", "--from", "2025-06-01", "--to", "2025-06-30",
                         "--source", "deepstate-archive", "--json", db=real_db).stdout)
    assert len(doc["rows"]) == 30 and doc["rows"][0]["date"] == "2025-06-01"
    csv = run("series", "-r", "donbas", "--from", "2025-06-01", "--to", "2025-06-03", "--csv",
              db=real_db).stdout.splitlines()
    assert csv[0].startswith("date,snapshot_id,region_km2,occupied_km2") and len(csv) == 4
    out = tmp_path / "d.geojson"
    d = json.loads(run("diff", "2025-05-01", "2025-06-01", "--region", "donetsk oblast",
                       "-o", str(out), "--json", db=real_db).stdout)
    assert d["summary"]["occupied_gained_km2"] > 0 and d["places_changed"]
    fc = json.loads(out.read_text())
    assert fc["features"][0]["properties"]["change"] in ("occupied_gained", "occupied_lost",
                                                         "contested_gained", "contested_lost")
    f = json.loads(run("frontline", "--date", "2025-06-01", "-o", str(tmp_path / "f.geojson"),
                       "--json", db=real_db).stdout)
    assert 900 < f["length_km"] < 1600
    assert json.loads((tmp_path / "f.geojson").read_text())["features"][0]["geometry"][
        "type"] == "MultiLineString"
    p = json.loads(run("place", "chasiv-yar", "--from", "2025-01-01", "--to", "2025-06-30",
                       "--json", db=real_db).stdout)
    assert p["status"] == "occupied" and p["periods"][-1]["end"] == "2025-06-30"
    assert p["distance_to_front_km"] >= 0


@pytest.mark.parametrize("args, needle", [
    (("area", "--region", "Donetzk Oblast", "--date", "2025-06-01"), "did you mean"),
    (("area", "--region", "donbas", "--date", "2025-13-01"), "invalid date"),
    (("series", "-r", "donbas", "--from", "2025-06-02", "--to", "2025-06-01"), "before"),
    (("place", "Kramatorks"), "did you mean"),
    (("export", "--format", "shp", "-o", "x.shp"), "unknown format"),
])
def test_bad_input_is_one_line(real_db, args, needle):
    proc = run(*args, db=real_db, check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert needle in proc.stderr and "Traceback" not in proc.stderr
