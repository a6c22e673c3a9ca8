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
