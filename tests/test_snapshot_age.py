"""A snapshot's age is counted to the date an output shows (the date asked for; `latest`:
today UTC), the same in the CLI's lines, its JSON, the map pages and the API: a map of a
date long past the data never calls its snapshot "0 days old"."""

from __future__ import annotations

import json
from datetime import timedelta

from frontwatch import dates
from tests.test_cli_data import run


def test_map_age_counts_to_the_date_asked_and_latest_to_today(real_db, real_store, tmp_path):
    newest = real_store.resolve("deepstate")
    asked = newest.date + timedelta(days=40)
    doc = json.loads(run("map", asked.isoformat(), "--png", "-o", str(tmp_path / "a.png"),
                         "--json", db=real_db).stdout)
    assert (doc["age_days"], doc["stale_days"]) == (40, 40)
    latest = run("map", "latest", "--png", "-o", str(tmp_path / "l.png"), "--json", db=real_db)
    age = (dates.today() - newest.date).days
    assert json.loads(latest.stdout)["age_days"] == age
    assert f"({age} days old)" in latest.stderr


def test_tables_name_the_snapshot_shown_and_its_age(real_db, real_store):
    """`area` on a day between revisions is headed with the revision it shows, not only
    the day asked for; so are `diff` (both ends) and `frontline`."""
    first = real_store.resolve("deepstate", dates.day("2025-02-01")).date
    day = next(first + timedelta(days=k) for k in range(1, 150)
               if real_store.resolve("deepstate", first + timedelta(days=k)).date
               < first + timedelta(days=k))  # a day without a revision of its own
    on = real_store.resolve("deepstate", day)
    said = (f"deepstate snapshot of {on.valid_at:%Y-%m-%d %H:%M} UTC, "
            f"{(day - on.date).days} days old")
    area = run("area", "--region", "UA14", "--date", str(day), db=real_db).stdout
    assert f"Donetsk Oblast on {day} ({said})" in " ".join(area.split())
    diff = run("diff", str(first), str(day), "-r", "UA14", db=real_db).stdout
    assert f"→ {day} ({said})" in " ".join(diff.split())
    front = run("frontline", "--date", str(day), db=real_db).stdout
    assert f"front line on {day} ({said})" in front


def test_api_latest_says_its_age(real_db, real_store):
    from fastapi.testclient import TestClient

    from frontwatch.api.app import create_app
    from frontwatch.settings import Settings

    newest = real_store.resolve("deepstate")
    api = TestClient(create_app(Settings(database_url=str(real_db), source="deepstate")))
    r = api.get("/v1/snapshots/latest")
    assert r.status_code == 200
    assert r.headers["x-snapshot-age-days"] == str((dates.today() - newest.date).days)
    page = api.get("/maps/latest.html")
    assert page.status_code == 200
    age = (dates.today() - newest.date).days
    if age:
        assert f"deepstate of {newest.date} ({age} days old)" in page.text
        assert "no newer data" in page.text
