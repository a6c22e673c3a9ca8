"""The date vocabulary (frontwatch.dates): properties of parsing and range clamping, checked
with hypothesis, and the rules as users meet them (future refused, stale answers labelled,
ranges cut to the data) through the CLI on the real data."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from frontwatch import coverage, dates, values
from frontwatch.api import params
from frontwatch.errors import InputError, NotFound
from tests.test_cli_data import run

ANY_TEXT = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"[0-9]{1,6}-[0-9]{1,3}-[0-9]{1,3}([T ][0-9:.]{0,12})?([Zz]|[+-][0-9:]{0,6})?",
                  fullmatch=True),
)
OFFSETS = st.builds(lambda m: timezone(timedelta(minutes=m)), st.integers(-1439, 1439))


@settings(max_examples=150, deadline=None)
@given(ANY_TEXT)
def test_parsers_raise_nothing_but_input_error(text):
    for parse in (dates.day, dates.instant, dates.day_or_instant,
                  lambda t, n: dates.instant(t, n, day_start=True),
                  lambda t, n: params.datetime_param(t),
                  lambda t, n: dates.day_range(t, None, n),
                  lambda t, n: dates.day_range(None, t, "from", n),  # names its end
                  lambda t, n: values.bbox(t, n, heights=True),
                  lambda t, n: values.whole(t, n, 0, 10**6),
                  lambda t, n: values.number(t, n, -1e6, 1e6)):
        try:
            parse(text, "p")
        except InputError as exc:
            assert "p" in str(exc) or "datetime" in str(exc)


@settings(max_examples=150, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
       OFFSETS)
def test_offsets_are_converted_to_utc_or_refused_cleanly(naive, tz):
    text = naive.replace(tzinfo=tz, microsecond=0).isoformat()
    try:
        t = dates.instant(text, "as_of")
    except InputError as exc:
        assert "as_of" in str(exc)
        return
    assert t.tzinfo == UTC and t == naive.replace(tzinfo=tz, microsecond=0)
    assert t.year >= dates.MIN_YEAR and t.date() <= dates.today()


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=date(dates.MIN_YEAR, 1, 1), max_value=date(2100, 1, 1)))
def test_a_bare_date_is_the_state_at_its_end_and_a_range_start_at_its_start(d):
    if d > dates.today():
        with pytest.raises(InputError, match="in the future"):
            dates.instant(d.isoformat(), "date")
        with pytest.raises(InputError, match="in the future"):
            dates.day_range(None, d.isoformat())
        return
    assert dates.instant(d.isoformat(), "date") == datetime.combine(d, time(23, 59, 59), UTC)
    assert dates.instant(d.isoformat(), "x", day_start=True) == datetime.combine(d, time(), UTC)
    start, end = params.datetime_param(f"{d}/{d}")
    assert (start, end) == (datetime.combine(d, time(), UTC),
                            datetime.combine(d, time(23, 59, 59), UTC))
    assert dates.day_or_instant(d.isoformat(), "date") == d  # the store reads its end


DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


@settings(max_examples=200, deadline=None)
@given(st.lists(DAYS, min_size=2, max_size=2).map(sorted), st.none() | DAYS,
       st.none() | DAYS)
def test_clamped_range_lies_within_the_data(data_days, a, b):
    first, newest = data_days
    if a is not None and b is not None and a > b:
        a, b = b, a
    try:
        start, end = dates.clamp(dates.DayRange(a, b), first, newest)
    except NotFound:
        assert (b is not None and b < first) or (a is not None and a > newest)
        return
    assert first <= start <= end <= newest
    assert start == max(a or first, first) and end == min(b or newest, newest)


@settings(max_examples=100, deadline=None)
@given(DAYS, DAYS)
def test_stale_days_count_only_days_past_the_newest(on, newest):
    n = dates.stale_days(on, newest)
    assert n == max((on - newest).days, 0) and dates.stale_days(None, newest) == 0


@pytest.fixture
def demo(store):
    from frontwatch.bootstrap import load_demo

    load_demo(store)
    return store


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.none() | st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 1, 1)),
       st.none() | st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 1, 1)))
def test_a_series_never_covers_more_than_the_data(demo, a, b):
    from frontwatch.analytics import series

    assume(a is None or b is None or a <= b)
    snaps = demo.snapshots("demo")
    first, newest = snaps[0].date, snaps[-1].date
    try:
        span = coverage.span(demo, "demo", dates.DayRange(a, b))
    except NotFound:
        return
    assert first <= span.start <= span.end <= newest
    assert span.clamped == (b is not None and b > newest)
    assert span.from_clamped == (a is not None and a < first)
    assert ("from_requested" in span.members()) == span.from_clamped
    assert span.members().get("clamped", False) == (span.clamped or span.from_clamped)
    frame = series(demo, "donbas", a or first, b or newest, "demo")
    assert len(frame) <= (newest - first).days + 1
    assert frame["date"].iloc[-1] <= newest


# --- the CLI on the real data ----------------------------------------------------------------
def test_cli_refuses_a_future_date(real_db):
    tomorrow = (dates.today() + timedelta(days=1)).isoformat()
    for args in (("area", "--region", "donbas", "--date", tomorrow),
                 ("series", "-r", "donbas", "--from", "2025-06-01", "--to", tomorrow),
                 ("map", tomorrow, "-o", "never.html"),
                 ("show", "2025-06-01", "--as-of", "2999-01-01T00:00:00Z")):
        proc = run(*args, db=real_db, check=False)
        assert proc.returncode == 1, (args, proc.stderr)
        assert "in the future" in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_cli_stale_date_warns_and_says_how_old(real_db, real_store):
    newest = real_store.resolve("deepstate")
    asked = newest.date + timedelta(days=30)
    assert asked <= dates.today()
    proc = run("area", "--region", "donbas", "--date", asked.isoformat(), "--json",
               db=real_db)
    doc = json.loads(proc.stdout)
    assert doc["data_through"] == newest.valid_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert doc["stale_days"] == 30 and doc["snapshot_id"] == newest.id
    warning = [ln for ln in proc.stderr.splitlines() if "no newer data" in ln]
    assert len(warning) == 1 and "30 days after the newest snapshot" in warning[0]
    fresh = json.loads(run("area", "--region", "donbas", "--date", newest.date.isoformat(),
                           "--json", db=real_db).stdout)
    assert fresh["stale_days"] == 0 and fresh["occupied_km2"] == doc["occupied_km2"]


def test_cli_range_past_the_data_ends_at_the_newest_day(real_db, real_store):
    newest = real_store.resolve("deepstate").date
    asked = newest + timedelta(days=10)
    proc = run("series", "-r", "donbas", "--from", (newest - timedelta(days=2)).isoformat(),
               "--to", asked.isoformat(), "--json", db=real_db)
    doc = json.loads(proc.stdout)
    assert doc["to"] == newest.isoformat() and doc["to_requested"] == asked.isoformat()
    assert doc["clamped"] is True and len(doc["rows"]) == 3
    assert doc["rows"][-1]["date"] == newest.isoformat()
    assert f"the range ends {newest}" in proc.stderr


def test_an_inverted_range_is_said_to_be_inverted_wherever_the_data_lies():
    """`--from 2025-06-30 --to 2025-06-01` is an inverted range, even when its end lies before
    the data (it was 'no snapshot on or before 2025-06-01', as if the dates were fine)."""
    from frontwatch.dates import DayRange, clamp
    from frontwatch.errors import InputError

    for first in (date(2025, 1, 1), date(2025, 6, 10), date(2025, 7, 1)):
        with pytest.raises(InputError, match="inverted: it starts 2025-06-30 and ends 2025-06-01"):
            clamp(DayRange(date(2025, 6, 30), date(2025, 6, 1)), first, date(2025, 12, 31))


def test_a_range_before_the_data_says_where_it_starts(real_db, real_store):
    """A `from` before the first snapshot is cut to it and said like a cut `to`: the CLI a
    note naming --from, JSON `from_requested` and `clamped`, HTTP X-Range-Clamped's
    `from=…; from_requested=…` part (the `to=…; requested=…` part unchanged)."""
    from fastapi.testclient import TestClient

    from frontwatch.api.app import create_app
    from frontwatch.settings import Settings

    first = real_store.snapshot_span("deepstate")[0].date()
    asked = first - timedelta(days=90)
    to = first + timedelta(days=2)
    proc = run("series", "-r", "donbas", "--from", asked.isoformat(), "--to", to.isoformat(),
               "--json", db=real_db)
    doc = json.loads(proc.stdout)
    assert (doc["from"], doc["from_requested"], doc["clamped"]) == (
        first.isoformat(), asked.isoformat(), True)
    assert "to_requested" not in doc and doc["rows"][0]["date"] == first.isoformat()
    assert f"note: --from {asked} is before the first snapshot" in proc.stderr
    assert f"the range starts {first}" in proc.stderr
    api = TestClient(create_app(Settings(database_url=str(real_db), source="deepstate")))
    r = api.get("/v1/areas", params={"region": "donbas", "from": asked.isoformat(),
                                     "to": to.isoformat()})
    assert r.status_code == 200 and r.json()["from_requested"] == asked.isoformat()
    assert r.headers["x-range-clamped"] == f"from={first}; from_requested={asked}"
    newest = real_store.resolve("deepstate").date
    past = newest + timedelta(days=3)
    both = api.get("/v1/changelog", params={"region": "donbas", "from": asked.isoformat(),
                                            "to": past.isoformat(), "format": "csv"})
    assert both.headers["x-range-clamped"] == (
        f"to={newest}; requested={past}; from={first}; from_requested={asked}")
    inside = api.get("/v1/areas", params={"region": "donbas", "from": first.isoformat(),
                                          "to": to.isoformat()})
    assert "x-range-clamped" not in inside.headers and "clamped" not in inside.json()


def test_one_day_is_said_in_the_singular():
    """Every English count of days goes through dates.n_days: never "1 days" or "day(s)"."""
    assert [dates.n_days(n) for n in (0, 1, 2, 1.0, 0.5, 1234)] == [
        "0 days", "1 day", "2 days", "1 day", "0.5 days", "1,234 days"]


def test_cli_a_day_past_the_data_and_a_changelog_say_what_they_count(demo_db):
    """`area` one day past the demo's newest snapshot (2025-05-01) says "1 day" in its warning
    and its title; `changelog`'s title counts the calendar days and, apart, those with a new
    snapshot (it said "over N day(s)", N being the latter)."""
    proc = run("area", "-r", "donbas", "--date", "2025-05-02", db=demo_db)
    assert "2025-05-02 is 1 day after the newest snapshot" in proc.stderr, proc.stderr
    assert ", 1 day old)" in proc.stdout and "1 days" not in proc.stdout + proc.stderr
    doc = json.loads(run("changelog", "-r", "donbas", "--from", "2025-03-01", "--to",
                         "2025-03-31", "--json", db=demo_db).stdout)
    text = run("changelog", "-r", "donbas", "--from", "2025-03-01", "--to", "2025-03-31",
               db=demo_db).stdout
    assert f"over 31 days, {len(doc['rows'])} with a new snapshot" in text, text
