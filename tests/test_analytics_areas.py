"""Areas and the stats table: exact against pyproj.Geod on the real data, and the incremental
update reproducing full intersections."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import shapely

from frontwatch import geometry
from frontwatch.analytics import area, rebuild, series
from frontwatch.analytics.areas import region_set
from frontwatch.analytics.incremental import RegionSet, changed_pieces
from frontwatch.errors import InputError, NotFound

ARCHIVE = "deepstate-archive"


def test_donetsk_series_agrees_with_geodesic_reference(real_store):
    df = series(real_store, "Donetsk Oblast", date(2024, 7, 8), date(2025, 6, 30), ARCHIVE)
    assert len(df) == 358 and df["date"].iloc[0] == date(2024, 7, 8)
    assert df["date"].iloc[-1] == date(2025, 6, 30)
    assert (df["contested_km2"] == 0).all()  # the archive has no grey zone
    region = real_store.region("donetsk-oblast")
    for day in (date(2024, 7, 8), date(2024, 11, 15), date(2025, 3, 1), date(2025, 6, 30)):
        info = real_store.resolve(ARCHIVE, day)
        reference = geometry.geodesic_area_km2(
            shapely.intersection(region.geometry, real_store.layer(info.id, "occupied")))
        row = df[df["date"] == day].iloc[0]
        assert row["snapshot_id"] == info.id
        assert abs(row["occupied_km2"] - reference) / reference < 1e-6
    last = df.iloc[-1]
    assert last["ukrainian_km2"] == pytest.approx(last["region_km2"] - last["occupied_km2"])
    assert last["occupied_pct"] + last["ukrainian_pct"] == pytest.approx(100.0)
    # Day-on-day changes add up to the change over the range.
    total = df["occupied_change_km2"].iloc[1:].sum()
    assert total == pytest.approx(last["occupied_km2"] - df.iloc[0]["occupied_km2"])
    assert df["occupied_rate_7d"].iloc[-1] == pytest.approx(
        df["occupied_change_km2"].iloc[-7:].mean())


def test_area_with_grey_zone_is_exact_and_adds_up(real_store):
    res = area(real_store, "донецька область", date(2025, 6, 1), "deepstate")
    info = real_store.resolve("deepstate", date(2025, 6, 1))
    region = real_store.region("donetsk-oblast").geometry
    for st in ("occupied", "contested"):
        ref = geometry.geodesic_area_km2(shapely.intersection(region,
                                                              real_store.layer(info.id, st)))
        assert abs(res[f"{st}_km2"] - ref) / ref < 1e-6
    assert res["contested_km2"] > 0
    assert res["occupied_km2"] + res["contested_km2"] + res["ukrainian_km2"] == \
        pytest.approx(res["region_km2"])
    assert res["region_km2"] == pytest.approx(26527.75, abs=0.5)
    assert "DeepStateMap" in res["attribution"]


def test_raions_add_up_to_their_oblast(real_store):
    day = date(2025, 2, 1)
    raions = [r for r in real_store.regions(level="raion") if r.parent == "donetsk-oblast"]
    assert len(raions) == 8
    total = sum(area(real_store, r, day, ARCHIVE)["occupied_km2"] for r in raions)
    assert total == pytest.approx(area(real_store, "donetsk-oblast", day, ARCHIVE)
                                  ["occupied_km2"], rel=1e-6)


def test_stats_from_import_equal_a_full_recomputation(real_store):
    """The import-time (incremental) figures equal full intersections on every region."""
    regions = region_set(real_store)
    snaps = real_store.snapshots(ARCHIVE)
    for info in (snaps[17], snaps[200], snaps[-1]):
        stored = real_store.stats_of_snapshot(info.id)
        full = regions.full_km2(real_store.layer(info.id, "occupied"))
        got = np.array([stored[int(i)][0] for i in regions.ids])
        assert np.all(np.abs(got - full) <= 1e-7 * regions.area_km2)


def test_rebuild_reproduces_the_table(real_db, tmp_path):
    import shutil

    from frontwatch.store import open_store

    copy = tmp_path / "copy.sqlite"
    shutil.copy(real_db, copy)
    s = open_store(copy)
    try:
        before = series(s, "donbas", date(2025, 1, 1), date(2025, 6, 30), "deepstate")
        ticks = []
        res = rebuild(s, "deepstate", progress=ticks.append)
        assert res["snapshots"] == len(s.snapshots("deepstate")) == len(ticks)
        assert res["max_drift"] < 1e-7
        after = series(s, "donbas", date(2025, 1, 1), date(2025, 6, 30), "deepstate")
        assert np.allclose(before["occupied_km2"], after["occupied_km2"], rtol=1e-9)
    finally:
        s.close()


def test_series_errors(real_store):
    with pytest.raises(InputError):
        series(real_store, "donbas", date(2025, 2, 1), date(2025, 1, 1), ARCHIVE)
    with pytest.raises(NotFound, match="did you mean"):
        series(real_store, "Donetzk Oblast", date(2025, 1, 1), date(2025, 1, 2), ARCHIVE)
    with pytest.raises(NotFound, match="history starts"):
        series(real_store, "donbas", date(2020, 1, 1), date(2020, 1, 2), ARCHIVE)
    with pytest.raises(NotFound, match="unknown source"):
        series(real_store, "donbas", date(2025, 1, 1), date(2025, 1, 2), "nope")


def test_incremental_update_is_exact_on_synthetic_layers():
    """Pieces equal the symmetric difference; updates equal full intersections."""
    base = shapely.Polygon([(37, 47), (39, 47), (39, 49), (37, 49)])
    old = shapely.MultiPolygon([base.difference(shapely.box(37.5, 47.5, 37.6, 47.6)),
                                shapely.box(30, 45, 31, 46)])
    new = shapely.MultiPolygon([shapely.Polygon([(37, 47), (39.2, 47), (39, 49.1), (37, 49)]),
                                shapely.box(30, 45, 31, 46)])
    gained, lost = changed_pieces(old, new)
    sym = geometry.area_km2(shapely.symmetric_difference(old, new))
    assert geometry.area_km2(gained).sum() + geometry.area_km2(lost).sum() == \
        pytest.approx(sym, rel=1e-12)
    regions = np.array([shapely.box(38, 48, 40, 50), shapely.box(36, 46, 37.55, 47.55),
                        shapely.box(30.2, 45.2, 30.4, 45.4), shapely.box(20, 20, 21, 21)],
                       dtype=object)
    rs = RegionSet(np.arange(4), regions, geometry.area_km2(regions))
    updated = rs.update_km2(rs.full_km2(old), old, new)
    assert np.allclose(updated, rs.full_km2(new), rtol=1e-12, atol=1e-9)
    assert np.array_equal(rs.update_km2(rs.full_km2(old), old, old), rs.full_km2(old))
