"""The analytics commands as users run them: a subprocess, one JSON document on stdout."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest

from frontwatch import analytics
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


def test_place_names_its_source_and_where_the_data_ends(real_db, real_store):
    """`place` does not say "now" for a period that ends with data months old: the text says
    the newest snapshot and how old it is, and names the source; its JSON says what
    GET /v1/places/{slug} says (data_through, stale_days, attribution, status, distance)."""
    from fastapi.testclient import TestClient

    from frontwatch import dates
    from frontwatch.api.app import create_app
    from frontwatch.settings import Settings

    newest = real_store.resolve("deepstate")
    text = run("place", "chasiv-yar", db=real_db).stdout
    assert "now" not in text
    age = (dates.today() - newest.date).days
    assert f"→ {newest.date} (newest snapshot; {age} days ago)" in text, text
    assert "deepstate" in text and f"data through {newest.date}" in text
    doc = json.loads(run("place", "chasiv-yar", "--json", db=real_db).stdout)
    assert doc["periods"][-1]["end"] is None  # still so at data_through, as the API says
    api = TestClient(create_app(Settings(database_url=str(real_db), source="deepstate")))
    r = api.get("/v1/places/chasiv-yar")
    assert r.status_code == 200, r.text
    same = ("source", "date", "status", "distance_to_front_km", "data_through",
            "stale_days", "attribution")
    assert {k: doc[k] for k in same} == {k: r.json()[k] for k in same}
    assert doc["data_through"] == dates.iso(newest.valid_at) and doc["stale_days"] == 0
    asked = newest.date + timedelta(days=30)
    late = json.loads(run("place", "chasiv-yar", "--to", asked.isoformat(), "--json",
                          db=real_db).stdout)
    assert late["stale_days"] == 30 and late["periods"][-1]["end"] == newest.date.isoformat()
    r = api.get("/v1/places/chasiv-yar", params={"date": asked.isoformat()})
    assert r.json()["stale_days"] == 30


@pytest.mark.parametrize("args, needle, code", [
    (("area", "--region", "Donetzk Oblast", "--date", "2025-06-01"), "did you mean", 1),
    (("area", "--region", "donbas", "--date", "2025-13-01"), "invalid date", 1),
    (("series", "-r", "donbas", "--from", "2025-06-02", "--to", "2025-06-01"),
     "--from 2025-06-02 is after --to 2025-06-01", 1),
    (("place", "Kramatorks"), "did you mean", 1),
    # an unknown choice and contradicting options are usage mistakes (README: exit 2)
    (("export", "--format", "shp", "-o", "x.shp"), "'shp' is not one of 'gpkg'", 2),
    (("changelog", "-r", "donbas", "--from", "2025-06-02", "--to", "2025-06-01"),
     "--from 2025-06-02 is after --to 2025-06-01", 1),
    (("changelog", "-r", "Donetzk", "--from", "2025-06-01", "--to", "2025-06-02"),
     "did you mean", 1),
    (("frontline",), "either --date D or --from D1 --to D2", 1),
    (("frontline", "--date", "2025-06-01", "--from", "2025-06-01", "--to", "2025-06-02"),
     "--date and --from/--to exclude each other", 2),
    (("frontline", "--from", "2025-06-01"), "missing --to", 1),
    (("frontline", "--from", "2025-06-02", "--to", "2025-06-01"),
     "--from 2025-06-02 is after --to 2025-06-01", 1),
])
def test_bad_input_is_one_line(real_db, args, needle, code):
    proc = run(*args, db=real_db, check=False)
    assert proc.returncode == code and proc.stdout == ""
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    if code == 2 and "exclude" in needle:
        assert proc.stderr.rstrip().endswith("[options-conflict]"), proc.stderr


def test_changelog_adds_up_to_the_area_change(real_db, real_store):
    args = ("changelog", "-r", "Donetsk Oblast", "--from", "2025-05-01", "--to", "2025-06-30")
    doc = json.loads(run(*args, "--json", db=real_db).stdout)
    a = analytics.area(real_store, "donetsk-oblast", date(2025, 4, 30), "deepstate")
    b = analytics.area(real_store, "donetsk-oblast", date(2025, 6, 30), "deepstate")
    rows = doc["rows"]
    assert doc["region"] == "donetsk-oblast" and doc["source"] == "deepstate" and len(rows) > 40
    assert rows[0]["date"] >= "2025-05-01" and rows[-1]["date"] == "2025-06-30"
    net = sum(r["occupied_net_km2"] for r in rows)
    rounding = 0.005 * len(rows)  # each row is written with 2 decimals
    assert net == pytest.approx(b["occupied_km2"] - a["occupied_km2"], abs=0.1 + rounding)
    assert net == pytest.approx(doc["occupied_net_km2"], abs=rounding) and net > 100
    contested = sum(r["contested_gained_km2"] - r["contested_lost_km2"] for r in rows)
    assert contested == pytest.approx(b["contested_km2"] - a["contested_km2"],
                                      abs=0.1 + 2 * rounding)
    table = list(csv.DictReader(io.StringIO(run(*args, "--csv", db=real_db).stdout)))
    assert [r["date"] for r in table] == [r["date"] for r in rows]
    assert float(table[0]["occupied_gained_km2"]) == pytest.approx(
        rows[0]["occupied_gained_km2"], abs=1e-5)
    assert "Donetsk Oblast" in run(*args, db=real_db).stdout


def test_frontline_series_matches_single_dates(real_db, real_store):
    args = ("frontline", "--from", "2025-06-01", "--to", "2025-06-15", "--step", "7")
    doc = json.loads(run(*args, "--json", db=real_db).stdout)
    assert [r["date"] for r in doc["rows"]] == ["2025-06-01", "2025-06-08", "2025-06-15"]
    for r in doc["rows"]:
        _, km = analytics.frontline(real_store, date.fromisoformat(r["date"]), "deepstate")
        assert r["length_km"] == pytest.approx(km, abs=0.005)  # written with 2 decimals
    table = list(csv.DictReader(io.StringIO(run(*args, "--csv", db=real_db).stdout)))
    assert [float(r["length_km"]) for r in table] == pytest.approx(
        [r["length_km"] for r in doc["rows"]], abs=1e-5)
