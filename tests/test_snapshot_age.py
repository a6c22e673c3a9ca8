"""A snapshot's age is counted to the date an output shows (the date asked for; `latest`:
today UTC), the same in the CLI's lines, its JSON, the map pages and the API: a map of a
date long past the data never calls its snapshot "0 days old"."""

from __future__ import annotations

import json
from datetime import timedelta

from frontwatch import dates
from frontwatch.sources import attribution
from frontwatch.store.base import iso
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
            f"{dates.n_days((day - on.date).days)} old")  # "1 day old", never "1 days"
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


# --- charts, time-lapses, embeds: the newest revision drawn and its age --------------------
# A chart or a time-lapse draws many revisions: it names its newest and that one's age on the
# range's end as asked (an open range: today UTC), in its caption and footer, its CLI line and
# JSON, and over HTTP in X-Snapshot-Age-Days, as a map does for the one it shows.

def _api(real_db):
    from fastapi.testclient import TestClient

    from frontwatch.api.app import create_app
    from frontwatch.settings import Settings

    return TestClient(create_app(Settings(database_url=str(real_db), source="deepstate")))


def test_chart_cli_names_its_newest_snapshot_and_its_age(real_db, real_store, tmp_path):
    from PIL import Image

    newest = real_store.resolve("deepstate")
    start, to = newest.date - timedelta(days=30), newest.date + timedelta(days=40)
    proc = run("chart", "-r", "UA14", "--from", str(start), "--to", str(to), "-o",
               str(tmp_path / "c.png"), "--json", db=real_db)
    doc = json.loads(proc.stdout)
    assert (doc["age_days"], doc["valid_at"], doc["content_hash"], doc["to"]) == (
        40, newest.valid_at.isoformat(), newest.content_hash, str(newest.date))
    said = f"deepstate snapshot of {newest.valid_at:%Y-%m-%d %H:%M} UTC (40 days old)"
    assert f"newest: {said}" in " ".join(proc.stderr.split())
    title = Image.open(tmp_path / "c.png").info["Title"]  # the caption, in the file itself
    assert title.endswith(f"· no newer data · deepstate of {newest.date} (40 days old)")
    # an open range: its age today
    doc = json.loads(run("chart", "-r", "UA14", "--from", str(start), "--svg", "-o",
                         str(tmp_path / "c.svg"), "--json", db=real_db).stdout)
    assert doc["age_days"] == (dates.today() - newest.date).days


def test_chart_footer_always_names_the_newest_snapshot(rstore):
    from frontwatch import render
    from frontwatch.render import chart

    newest = rstore.resolve("deepstate")
    c = chart.build(rstore, render.parse_chart_query(
        "UA14", start=str(newest.date - timedelta(days=30)), end=str(newest.date)))
    assert c.age_days == 0 and "days old" not in c.subtitle  # ends on its snapshot's day
    assert c.credits[0].endswith(f", newest snapshot {newest.valid_at:%Y-%m-%d %H:%M} UTC "
                                 "(0 days old)")
    uk = chart.build(rstore, render.parse_chart_query(
        "UA14", start=str(newest.date - timedelta(days=30)), lang="uk"))
    age = (dates.today() - newest.date).days
    assert uk.credits[0].endswith(f"найновіший знімок {newest.valid_at:%Y-%m-%d %H:%M} UTC "
                                  f"({age} дн. тому)")


def test_open_range_chart_is_drawn_again_the_next_day(rstore, monkeypatch):
    """The render cache keys a chart by what it draws, its age included: an open range's
    grows by a day at midnight, a closed range's does not."""
    from frontwatch import render
    from frontwatch.render import chart

    newest = rstore.resolve("deepstate")
    start = str(newest.date - timedelta(days=30))
    open_q = render.parse_chart_query("UA14", start=start)
    closed_q = render.parse_chart_query("UA14", start=start, end=str(newest.date))
    def drawn() -> list[tuple[int, str]]:  # the age counts when asked: take it now
        return [(c.age_days, c.fingerprint())
                for c in (chart.build(rstore, q) for q in (open_q, closed_q))]

    before = drawn()
    tomorrow = dates.today() + timedelta(days=1)
    monkeypatch.setattr(dates, "today", lambda: tomorrow)
    after = drawn()
    assert after[0][0] == before[0][0] + 1 and after[0][1] != before[0][1]
    assert after[1] == before[1]


def test_http_charts_maps_timelapses_and_embeds_send_the_age(real_db, real_store):
    newest = real_store.resolve("deepstate")
    api = _api(real_db)
    start, to = newest.date - timedelta(days=30), newest.date + timedelta(days=40)
    r = api.get(f"/charts/areas.svg?region=UA14&from={start}&to={to}")
    assert r.status_code == 200, r.text
    assert (r.headers["x-snapshot-age-days"], r.headers["x-range-clamped"]) == (
        "40", f"to={newest.date}; requested={to}")
    r = api.get(f"/charts/areas.svg?region=UA14&from={start}")
    assert r.headers["x-snapshot-age-days"] == str((dates.today() - newest.date).days)
    # a time-lapse past the data: its last frame's revision, 40 days old on the end asked
    page = api.get(f"/maps/{to}.html?from={newest.date - timedelta(days=14)}&step=2w"
                   "&region=UA14")
    assert page.status_code == 200, page.text
    assert page.headers["x-snapshot-age-days"] == "40"
    assert f"deepstate of {newest.date} (40 days old)" in page.text
    for url in (f"/embed/{to}?region=UA14",
                f"/oembed?url=http://testserver/maps/{to}.html%3Fregion%3DUA14"):
        r = api.get(url)
        assert r.status_code == 200, r.text
        assert r.headers["x-snapshot-age-days"] == "40", url
    on_day = api.get(f"/embed/{newest.date}?region=UA14")
    assert on_day.headers["x-snapshot-age-days"] == "0"


def test_response_cache_keeps_only_latest_answers_to_their_day(real_db, real_store,
                                                                monkeypatch):
    """An answer counting an age to today (`latest`) is rebuilt the next day; one for a date
    is served from the cache across days (the key has no date), fast path included."""
    from frontwatch.api.respond import request_key

    newest = real_store.resolve("deepstate")
    api = _api(real_db)
    cache = api.app.state.cache
    age = (dates.today() - newest.date).days
    dated = f"/v1/snapshots/{newest.date}?region=UA14"
    assert api.get("/v1/snapshots/latest?region=UA14").headers["x-snapshot-age-days"] == \
        str(age)
    assert api.get(dated).headers["x-snapshot-age-days"] == "0"
    tomorrow = dates.today() + timedelta(days=1)
    monkeypatch.setattr(dates, "today", lambda: tomorrow)
    misses = cache.misses
    r = api.get("/v1/snapshots/latest?region=UA14")
    assert r.headers["x-snapshot-age-days"] == str(age + 1)
    hits = cache.hits
    assert api.get(dated).headers["x-snapshot-age-days"] == "0"
    assert cache.hits > hits and cache.misses == misses  # yesterday's entry, still true
    scope = {"type": "http", "headers": [(b"host", b"testserver")], "path": dated,
             "query_string": b"", "scheme": "http"}
    assert tomorrow not in request_key(scope, 1) and dates.today() not in \
        request_key(scope, 1)


def test_data_routes_send_the_age_of_what_they_show(real_db, real_store, monkeypatch):
    """Tables over a range: their newest revision's age on the end asked for (open: today,
    and then rebuilt the next day); a date's answer: its revision's age on that date."""
    newest = real_store.resolve("deepstate")
    api = _api(real_db)
    start, to = newest.date - timedelta(days=20), newest.date + timedelta(days=40)
    today_age = (dates.today() - newest.date).days
    want = {f"/v1/areas?region=UA14&from={start}&to={to}": 40,
            f"/v1/areas?region=UA14&from={start}&to={to}&format=csv": 40,
            f"/v1/changelog?region=UA14&from={start}": today_age,
            f"/v1/frontline?date={to}": 40,
            "/v1/frontline": today_age,
            f"/v1/places/kramatorsk?date={to}": 40,
            "/feeds/changes.atom?region=UA14": today_age}
    for url, age in want.items():
        r = api.get(url)
        assert r.status_code == 200, (url, r.text)
        assert r.headers["x-snapshot-age-days"] == str(age), url
    tomorrow = dates.today() + timedelta(days=1)
    monkeypatch.setattr(dates, "today", lambda: tomorrow)
    for url, age in want.items():
        moved = age + (age == today_age)  # open ranges and `latest` count to (new) today
        assert api.get(url).headers["x-snapshot-age-days"] == str(moved), url


def test_range_tables_name_their_newest_snapshot_and_its_age(real_db, real_store):
    newest = real_store.resolve("deepstate")
    start, to = newest.date - timedelta(days=20), newest.date + timedelta(days=40)
    said = f"newest: deepstate snapshot of {newest.valid_at:%Y-%m-%d %H:%M} UTC, 40 days old"
    for args in (("changelog", "-r", "UA14"), ("series", "-r", "UA14"),
                 ("places", "changed", "-r", "UA14")):
        out = run(*args, "--from", str(start), "--to", str(to), db=real_db).stdout
        assert said in " ".join(out.split()), args


def test_range_tables_json_name_their_newest_snapshot_and_its_age(real_db, real_store):
    """`--json` of the range tables carries what their title says (`source`, `newest`,
    `age_days`) and the source's credit, as the matching /v1 tables do (additive keys)."""
    newest = real_store.resolve("deepstate")
    start, to = newest.date - timedelta(days=20), newest.date + timedelta(days=40)
    want = {"source": "deepstate", "newest": iso(newest.valid_at), "age_days": 40}
    for args in (("changelog", "-r", "UA14"), ("series", "-r", "UA14"),
                 ("places", "changed", "-r", "UA14"), ("frontline", "--step", "10")):
        doc = json.loads(run(*args, "--from", str(start), "--to", str(to), "--json",
                             db=real_db).stdout)
        assert {k: doc[k] for k in want} == want, args
        assert doc["attribution"] == attribution("deepstate") and doc["to_requested"], args
    api = _api(real_db)
    for url in ("/v1/areas?region=UA14", "/v1/changelog?region=UA14",
                "/v1/frontline/series?step=10", "/v1/places/changes?region=UA14"):
        doc = api.get(f"{url}&from={start}&to={to}").json()
        assert {k: doc[k] for k in want} == want, url
        assert doc["attribution"] == attribution("deepstate"), url
