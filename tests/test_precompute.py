"""The tables filled at import (front-line lengths, the change log) on the real data: equal to
computing from the geometry, filled incrementally, rebuilt, and invalidated when the theatre
or the order of revisions changes."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import orjson
import pytest
import shapely

from frontwatch import analytics
from frontwatch.analytics import changelog, front, frontline_series, precompute
from frontwatch.analytics import changelog_table as ct
from frontwatch.analytics.common import region_of, version_ids
from frontwatch.errors import InputError
from frontwatch.ingest import ImportOptions, import_paths
from frontwatch.ingest.regions import import_regions
from frontwatch.oblasts import THEATRE
from frontwatch.store import open_store
from tests.test_cli_data import run

ARCHIVE = "deepstate-archive"


def _lengths_missing(store, source: str) -> list:
    return front._stored_lengths(store, store.snapshots(source))[1]


def test_front_line_lengths_are_the_lines_measured_from_geometry(real_store):
    for source in ("deepstate", ARCHIVE):
        snaps = real_store.snapshots(source)
        assert not _lengths_missing(real_store, source), "every revision measured at import"
        stored = real_store.frontline_lengths([s.id for s in snaps])
        for info in snaps[::40] + snaps[-1:]:
            tid = version_ids(real_store, THEATRE, [info.date])[0]
            assert stored[info.id][tid] == pytest.approx(front.line_of(real_store, info)[1],
                                                         abs=0.01)
    # The whole history is a table read: nothing is measured (the bound of 0 holds).
    first = real_store.snapshots("deepstate")[0].date
    df = frontline_series(real_store, first, date(2025, 6, 30), "deepstate", 1, max_lines=0)
    by_day = dict(zip(df["date"], df["length_km"]))
    assert round(by_day[date(2025, 1, 8)]) == 1058 and round(by_day[date(2025, 6, 25)]) == 1155
    assert round(by_day[date(2025, 6, 1)]) == 1136
    assert round(analytics.frontline(real_store, date(2025, 6, 1), ARCHIVE)[1]) == 1186


def test_changelog_rows_are_the_diffs_measured_from_geometry(real_store):
    region = region_of(real_store, "donetsk-oblast")
    log = changelog(real_store, region, date(2024, 7, 8), date(2025, 6, 30), ARCHIVE)
    assert round(float(log["occupied_net_km2"].sum()), 1) == 3444.7
    prev = real_store.resolve(ARCHIVE, date(2024, 7, 8))
    rid = version_ids(real_store, "donetsk-oblast", [date(2025, 6, 30)])[0]
    stored = real_store.region_changes(rid, list(log["snapshot_id"]))
    for row in log.itertuples():
        assert stored[row.snapshot_id][0] == prev.id, "every day read from the table"
        if row.Index % 25 == 0:
            measured = ct._measure(real_store, prev, real_store.snapshot(row.snapshot_id),
                                   region)
            got = (row.occupied_gained_km2, row.occupied_lost_km2, row.contested_gained_km2,
                   row.contested_lost_km2)
            assert got == pytest.approx(measured, abs=0.01)
        prev = real_store.snapshot(row.snapshot_id)
    june = changelog(real_store, "donetsk-oblast", date(2025, 6, 1), date(2025, 6, 30),
                     "deepstate")
    # `from` starts at 00:00 UTC: June's log includes 2025-06-01, from the end-of-May state
    assert june["date"].iloc[0] == date(2025, 6, 1)
    a = analytics.area(real_store, "donetsk-oblast", date(2025, 5, 31), "deepstate")
    b = analytics.area(real_store, "donetsk-oblast", date(2025, 6, 30), "deepstate")
    net = float(june["occupied_net_km2"].sum())
    assert round(net, 2) == 402.29
    assert net == pytest.approx(b["occupied_km2"] - a["occupied_km2"], abs=0.01)
    # A raion of the stats table has its rows too, and they add up to its area change.
    kr = changelog(real_store, "kramatorskyi-raion", date(2025, 1, 6), date(2025, 6, 30),
                   "deepstate")
    ka = analytics.area(real_store, "kramatorskyi-raion", date(2025, 1, 6), "deepstate")
    kb = analytics.area(real_store, "kramatorskyi-raion", date(2025, 6, 30), "deepstate")
    assert float(kr["occupied_net_km2"].sum()) == pytest.approx(
        kb["occupied_km2"] - ka["occupied_km2"], abs=0.01)


@pytest.fixture
def small(tmp_path, shared):
    """A store with the archive's first 8 days imported before any region (no theatre)."""
    s = open_store(tmp_path / "small.sqlite")
    files = sorted((shared / "deepstate-daily").iterdir())
    import_paths(s, files[:8], ImportOptions())
    yield s, files, shared / "boundaries"
    s.close()


def _count_measures(monkeypatch) -> dict[str, int]:
    """Count front lines and change-log revisions measured from geometry."""
    calls = {"lines": 0, "changes": 0}
    line, changes = front._line, ct.changes_km2

    def counted_line(*a):
        calls["lines"] += 1
        return line(*a)

    def counted_changes(*a):
        calls["changes"] += 1
        return changes(*a)

    monkeypatch.setattr(front, "_line", counted_line)
    monkeypatch.setattr(ct, "changes_km2", counted_changes)
    return calls


def test_import_computes_only_what_is_new(small, monkeypatch):
    s, files, boundaries = small
    assert not s.frontline_lengths([x.id for x in s.snapshots()]), "no theatre yet"
    calls = _count_measures(monkeypatch)
    import_regions(s, boundaries / "Ukraine.geojson.gz", "oblast")
    # The theatre arrived: every revision measured once; 7 days have a day before.
    assert calls == {"lines": 8, "changes": 7}
    assert not _lengths_missing(s, ARCHIVE)
    import_paths(s, files[8:9], ImportOptions())
    assert calls == {"lines": 9, "changes": 8}, "one new revision: one line, one diff"
    import_paths(s, files[:9], ImportOptions())
    assert calls == {"lines": 9, "changes": 8}, "nothing new, nothing measured"
    snaps = s.snapshots(ARCHIVE)
    df = frontline_series(s, snaps[0].date, snaps[-1].date, ARCHIVE, 1, max_lines=0)
    assert list(df["length_km"]) == pytest.approx(
        [front.line_of(s, x)[1] for x in snaps], abs=0.01)


def test_a_revision_arriving_out_of_order_updates_the_next_day(small):
    s, files, boundaries = small
    import_regions(s, boundaries / "Ukraine.geojson.gz", "oblast")
    import_paths(s, files[9:10], ImportOptions())  # day 10, its day before is day 8
    tenth = s.snapshots(ARCHIVE)[-1]
    rid = version_ids(s, "donetsk-oblast", [tenth.date])[0]
    assert s.region_changes(rid, [tenth.id])[tenth.id][0] == s.resolve(ARCHIVE, files_day(
        files[7])).id
    import_paths(s, files[8:9], ImportOptions())  # day 9 arrives late
    ninth = s.resolve(ARCHIVE, files_day(files[8]))
    row = s.region_changes(rid, [tenth.id])[tenth.id]
    assert row[0] == ninth.id, "day 10 is now measured from day 9"
    region = region_of(s, "donetsk-oblast")
    assert row[1:] == pytest.approx(ct._measure(s, ninth, tenth, region), abs=0.01)
    log = changelog(s, "donetsk-oblast", s.snapshots(ARCHIVE)[0].date, tenth.date)
    a = analytics.area(s, "donetsk-oblast", s.snapshots(ARCHIVE)[0].date)
    b = analytics.area(s, "donetsk-oblast", tenth.date)
    assert float(log["occupied_net_km2"].sum()) == pytest.approx(
        b["occupied_km2"] - a["occupied_km2"], abs=0.01)
    # Deleting day 9 again: day 10 is measured from day 8 once more.
    with s.transaction():
        s.delete_snapshot(ninth.id)
        precompute.on_delete(s, ninth)
    eighth = s.resolve(ARCHIVE, files_day(files[7]))
    row = s.region_changes(rid, [tenth.id])[tenth.id]
    assert row[0] == eighth.id
    assert row[1:] == pytest.approx(ct._measure(s, eighth, tenth, region), abs=0.01)


def files_day(path: Path) -> date:
    stem = path.name.split("_")[-1][:8]
    return date(int(stem[:4]), int(stem[4:6]), int(stem[6:8]))


def test_theatre_change_invalidates_lengths(small, tmp_path):
    s, _, boundaries = small
    import_regions(s, boundaries / "Ukraine.geojson.gz", "oblast")
    info = s.snapshots(ARCHIVE)[-1]
    before = front.line_length_km(s, info)
    old_tid = version_ids(s, THEATRE, [info.date])[0]
    # A country outline that stops at 48.3°N: the front line north of it is cut off.
    cut = shapely.clip_by_rect(s.region(THEATRE).geometry, 22.0, 44.0, 41.0, 48.3)
    country = tmp_path / "country.geojson"
    country.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name:en": "Ukraine", "name:uk": "Україна"},
         "geometry": shapely.geometry.mapping(cut)}]}))
    import_regions(s, country, "country")
    new_tid = version_ids(s, THEATRE, [info.date])[0]
    assert new_tid != old_tid
    stored = s.frontline_lengths([x.id for x in s.snapshots()])
    assert all(set(v) == {new_tid} for v in stored.values()), "old lengths pruned, all new"
    after = front.line_length_km(s, info)
    assert after < before - 100
    assert after == pytest.approx(front.line_of(s, info)[1], abs=0.01)


def test_rebuild_restores_every_table(real_db, tmp_path):
    copy = tmp_path / "copy.sqlite"
    shutil.copy(real_db, copy)
    s = open_store(copy)
    try:
        ids = [x.id for x in s.snapshots("deepstate")]
        lengths = s.frontline_lengths(ids)
        rid = version_ids(s, "donbas", [date(2025, 6, 30)])[0]
        changes = s.region_changes(rid, ids)
        place_rows = s.place_status_rows("deepstate")
        with s.transaction():
            s._execute("DELETE FROM frontline_lengths")
            s._execute("DELETE FROM region_changes")
            s._execute("DELETE FROM place_status")
        # A store without the rows still answers (from the geometry), bounded by max_lines.
        with pytest.raises(InputError, match=r"step=1: .* needs 3 front lines"):
            frontline_series(s, date(2025, 6, 1), date(2025, 6, 3), "deepstate", 1,
                             max_lines=0)
        ticks: dict[str, int] = {}
        res = precompute.rebuild(s, "deepstate",
                                 lambda table, done, total: ticks.__setitem__(table, done))
        assert res["front_lines"] == len(ids) == ticks[precompute.LINES]
        assert res["change_revisions"] == ticks[precompute.CHANGES] > 0
        assert res["place_revisions"] == len(ids) == ticks[precompute.PLACES]
        assert s.place_status_rows("deepstate") == place_rows
        again = s.frontline_lengths(ids)
        assert again.keys() == lengths.keys()
        for sid, by_theatre in lengths.items():
            assert again[sid] == pytest.approx(by_theatre)
        again = s.region_changes(rid, ids)
        assert again.keys() == changes.keys()
        for sid, row in changes.items():
            assert again[sid][0] == row[0] and again[sid][1:] == pytest.approx(row[1:])
    finally:
        s.close()
    doc = json.loads(run("stats", "rebuild", "--source", ARCHIVE, "--json", db=copy).stdout)
    assert doc["front_lines"] == doc["snapshots"] and doc["change_revisions"] > 0
