"""The Python API for notebooks: typed results (dates as datetime64, documented columns and
units, TypedDict documents), `frontwatch.open()` on the default store, and no new empty file
for a path that does not exist."""

from __future__ import annotations

import typing

import pandas as pd
import pytest

import frontwatch
from frontwatch.errors import NotFound
from frontwatch.notebook import AreaFigures, SnapshotRef


def test_results_are_typed(real_db):
    with frontwatch.open(real_db) as fw:
        areas = fw.areas("Donetsk Oblast", "2025-06-01", "2025-06-30")
        assert areas["date"].dtype == "datetime64[ns]" and len(areas) == 30
        assert areas["date"].iloc[0] == pd.Timestamp("2025-06-01")
        assert areas["occupied_km2"].dtype == "float64"
        assert areas["snapshot_id"].dtype == "int64"

        figures = fw.area("Donetsk Oblast", "2025-06-30")
        assert set(figures) == set(typing.get_type_hints(AreaFigures))
        assert figures["occupied_km2"] == pytest.approx(
            areas.set_index("date").loc["2025-06-30", "occupied_km2"])
        assert figures["valid_at"].endswith("Z")

        log = fw.changelog("Donetsk Oblast", "2025-06-01", "2025-06-10")
        assert log["date"].dtype == "datetime64[ns]" and len(log)

        periods = fw.place("Chasiv Yar", "2025-01-01", "2025-06-30")
        assert periods["start"].dtype == "datetime64[ns]"
        assert periods["end"].dtype == "datetime64[ns]"

        line = fw.frontline("2025-06-30")
        assert line["date"].dtype == "datetime64[ns]" and line["length_km"].iloc[0] > 100

        snap = fw.snapshot("2025-06-30", region="kramatorskyi-raion")
        assert set(snap.attrs["snapshot"]) == set(typing.get_type_hints(SnapshotRef))
        assert snap.attrs["snapshot"]["valid_at"].endswith("Z")


def test_a_missing_path_is_an_error_not_a_new_file(tmp_path):
    missing = tmp_path / "nope.sqlite"
    with pytest.raises(NotFound, match="no store at"):
        frontwatch.open(missing)
    with pytest.raises(NotFound):
        frontwatch.open(f"sqlite:///{missing}")
    assert not missing.exists()
    with frontwatch.open(missing, create=True) as fw:
        assert fw.sources() == []
    assert missing.exists()


def test_open_without_argument_opens_the_default_store(tmp_path, monkeypatch):
    monkeypatch.delenv("FRONTWATCH_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    from frontwatch.settings import default_database_path

    assert str(default_database_path()).startswith(str(tmp_path))
    with frontwatch.open() as fw:  # created and prepared like `frontwatch serve` does
        assert fw.store.has_places() and fw.sources()
    assert default_database_path().exists()


def test_every_frame_says_what_it_shows_and_how_old(real_db):
    """A date past the newest snapshot is answered with that snapshot's state, and every
    frame's .attrs says so (source, snapshot, data_through, stale_days, attribution): the
    facts the HTTP answers give, from the same helper (coverage.freshness)."""
    from datetime import timedelta

    from frontwatch import dates
    from frontwatch.notebook import Provenance

    with frontwatch.open(real_db) as fw:
        newest = fw.store.resolve("deepstate")
        asked = newest.date + timedelta(days=30)
        assert asked <= dates.today()
        frames = {
            "areas": fw.areas("Donetsk Oblast", newest.date - timedelta(days=9), asked),
            "changelog": fw.changelog("Donetsk Oblast", newest.date - timedelta(days=9),
                                      asked),
            "place": fw.place("chasiv-yar", "2025-01-01", asked),
            "frontline": fw.frontline(asked),
            "snapshot": fw.snapshot(asked, region="kramatorskyi-raion"),
            "diff": fw.diff("donetsk-oblast", newest.date - timedelta(days=20), asked),
            "near_front": fw.near_front(5, asked),
        }
        keys = set(typing.get_type_hints(Provenance))
        for name, frame in frames.items():
            facts = frame.attrs
            assert {"source", "snapshot", "data_through", "stale_days", "attribution",
                    "illustrative"} <= set(facts), name
            assert set(facts) - {"summary", "places_changed"} <= keys, name
            assert facts["source"] == "deepstate" and "DeepStateMap" in facts["attribution"]
            assert facts["snapshot"]["id"] == newest.id, name
            assert facts["data_through"] == dates.iso(newest.valid_at), name
            assert facts["stale_days"] == 30, name
            assert facts["illustrative"] is False, name
        for name in ("areas", "changelog", "place"):  # ranges: cut to the data, and say so
            facts = frames[name].attrs
            assert facts["to"] == newest.date.isoformat() and facts["clamped"], name
            assert facts["to_requested"] == asked.isoformat(), name
        assert frames["areas"]["date"].max() == pd.Timestamp(newest.date)
        assert frames["place"]["end"].iloc[-1] == pd.Timestamp(newest.date), \
            "a period is not said to last past the data"
        assert frames["frontline"].attrs["date"] == asked.isoformat()
        assert frames["diff"].attrs["to"] == asked.isoformat()
        assert "GeoNames" in frames["near_front"].attrs["places_attribution"]

        now = fw.frontline(newest.date)
        assert now.attrs["stale_days"] == 0 and now.attrs["snapshot"]["id"] == newest.id
        assert now["length_km"].iloc[0] == pytest.approx(frames["frontline"]["length_km"][0])
        figures = fw.area("Donetsk Oblast", asked)
        assert figures["stale_days"] == 30 and figures["snapshot_id"] == newest.id
        assert figures["illustrative"] is False


def test_analytics_results_carry_the_same_provenance(real_db):
    """The functions of `frontwatch.analytics` that return frames (and the diff's typed
    result) say what they show as `frontwatch.open()`'s frames do, from the same helper
    (frontwatch.provenance): the same facts for the same question."""
    from datetime import date, timedelta

    from frontwatch import analytics, dates
    from frontwatch.provenance import Provenance

    keys = set(typing.get_type_hints(Provenance))
    with frontwatch.open(real_db) as fw:
        store, newest = fw.store, fw.store.resolve("deepstate")
        asked = newest.date + timedelta(days=30)
        start = newest.date - timedelta(days=9)
        got = {
            "series": analytics.series(store, "Donetsk Oblast", start, asked, "deepstate"),
            "changelog": analytics.changelog(store, "Donetsk Oblast", start, asked,
                                             "deepstate"),
            "frontline_series": analytics.frontline_series(store, start, asked, "deepstate",
                                                           step_days=3),
            "distance_series": analytics.distance_series(store, "kostiantynivka", start, asked,
                                                         "deepstate", step_days=3),
        }
        diff = analytics.diff(store, "donetsk-oblast", start, asked, "deepstate")
        for name, facts in [*((n, f.attrs) for n, f in got.items()), ("diff", diff.attrs)]:
            assert facts is not None and set(facts) <= keys, name
            assert facts["source"] == "deepstate" and "DeepStateMap" in facts["attribution"]
            assert facts["snapshot"]["id"] == newest.id, name
            assert facts["data_through"] == dates.iso(newest.valid_at), name
            assert facts["stale_days"] == 30 and facts["illustrative"] is False, name
            assert facts["from"] == start.isoformat(), name
        for name in ("series", "changelog", "distance_series"):  # cut to the data: said so
            facts = got[name].attrs
            assert facts["to"] == newest.date.isoformat() and facts["clamped"], name
            assert facts["to_requested"] == asked.isoformat(), name
        assert "GeoNames" in got["distance_series"].attrs["places_attribution"]
        assert diff.attrs is not None and diff.attrs["to"] == asked.isoformat()
        # the notebook's frames are these facts (one helper, one answer)
        assert fw.areas("Donetsk Oblast", start, asked).attrs == got["series"].attrs
        assert dict(fw.diff("donetsk-oblast", start, asked).attrs) == {
            **diff.attrs, "summary": diff.summary, "places_changed": diff.places_changed}
        past = analytics.series(store, "Donetsk Oblast", date(2025, 6, 1), date(2025, 6, 5),
                                "deepstate")
        assert past.attrs["stale_days"] == 0 and "clamped" not in past.attrs
