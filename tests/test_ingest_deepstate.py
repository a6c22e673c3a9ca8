"""DeepStateMap's format: all three name generations, on real snapshots and on names."""

from __future__ import annotations

import pytest
import shapely

from frontwatch import geometry
from frontwatch.ingest import ImportOptions, parse_snapshot
from frontwatch.ingest.deepstate import classify
from frontwatch.ingest.reader import read_bytes
from frontwatch.model import Status


@pytest.mark.parametrize(("name", "status", "kind"), [
    # generation 1: Ukrainian only
    ("Окуповано", Status.OCCUPIED, "occupied"),
    ("ОРДЛО", Status.OCCUPIED, "ordlo"),
    ("Крим", Status.OCCUPIED, "crimea"),
    ("Під питанням", Status.CONTESTED, "contested"),
    ("Невідомо точно при вихід", Status.CONTESTED, "contested"),
    ("Звільнено 25.03", Status.LIBERATED, "liberated"),
    # generation 2: uk /// en, with stray whitespace
    ("Окуповано /// Occupied\n", Status.OCCUPIED, "occupied"),
    ("Під питанням /// Contensed", Status.CONTESTED, "contested"),
    ("Статус невідомий /// Unknown status", Status.CONTESTED, "contested"),
    ("Звільнено\xa016.03-17.03 /// Taken back 16.03-17.03", Status.LIBERATED, "liberated"),
    ("ОРДЛО /// CADR and CALR", Status.OCCUPIED, "ordlo"),
    ("Острів Тузла /// Occupied Tuzla Island", Status.OCCUPIED, "crimea"),
    # generation 3: uk /// en /// i18n key (the key wins, even with broken UTF-8 text)
    ("Окуповано /// Occupied /// geoJSON.status.occupied\n", Status.OCCUPIED, "occupied"),
    ("О\ufffd\ufffdуповано /// Occupied /// geoJSON.status.occupied", Status.OCCUPIED,
     "occupied"),
    ("Статус невідомий /// Unknown status\xa0/// geoJSON.status.unknown", Status.CONTESTED,
     "contested"),
    ("Звільнено 25.03 /// Liberated 25.03 /// geoJSON.status.dismissed_at {{at:25.03}}",
     Status.LIBERATED, "liberated"),
    ("ОРДЛО /// CADR and CALR /// geoJSON.territories.ordlo", Status.OCCUPIED, "ordlo"),
    ("Окупований Крим /// Occupied Crimea /// geoJSON.territories.crimea", Status.OCCUPIED,
     "crimea"),
])
def test_names_map_to_statuses(name, status, kind):
    meaning = classify(name)
    assert (meaning.role, meaning.status, meaning.kind) == ("zone", status, kind)


@pytest.mark.parametrize("name", [
    "Придністров'я",
    "Придністров'я/// Transnistria /// geoJSON.territories.transnistria",
    "Окупована Абхазія. /// Occupied Abkhazia.",
    "Окупована область Петсамо /// Occupied Petsamo /// geoJSON.territories.petsamo",
    "Окуповані Південні Курильські острови. /// Occupied Southern Kuril islands.",
    "Тимчасово окупована східна Пруссія. /// East Prussia is temporarily occupied.",
])
def test_territories_outside_ukraine_are_recognised(name):
    assert classify(name).role == "outside"


@pytest.mark.parametrize(("name", "role"), [
    ("Напрямок удару /// Direction of attack /// geoJSON.status.attack_direction", "marker"),
    ('шойгісти "шторм-z" /// shoigists "storm-z" /// geoJSON.units.storm-z', "marker"),
    ("Зміїний /// Snake Island /// geoJSON.zmiinyi_island", "ignored"),
    ("Багатокутник 11", "unknown"),
])
def test_markers_and_notes_stay_out_of_the_control_layer(name, role):
    assert classify(name).role == role


def _real(shared, stem):
    path = shared / "deepstate-raw" / f"{stem}.geojson.gz"
    return parse_snapshot(read_bytes(path), str(path), ImportOptions())


def test_real_latest_snapshot_statuses_and_exclusions(shared):
    snap = _real(shared, "1751314076")
    statuses = {z.status for z in snap.zones}
    assert statuses == {Status.OCCUPIED, Status.CONTESTED, Status.LIBERATED}
    kinds = {z.kind for z in snap.zones if z.status == Status.OCCUPIED}
    assert {"occupied", "ordlo", "crimea"} <= kinds
    # Nothing outside Ukraine: every zone lies within Ukraine's extent.
    for z in snap.zones:
        minx, miny, maxx, maxy = z.geometry.bounds
        assert minx >= 21.5 and maxx <= 41.0 and miny >= 43.8 and maxy <= 52.8, z.label
    assert not any("transnistria" in z.label or "petsamo" in z.label for z in snap.zones)
    assert any("outside Ukraine" in n for n in snap.notes)
    assert any("markers" in n for n in snap.notes)
    # 2-D, valid polygons only.
    geoms = [z.geometry for z in snap.zones]
    assert not shapely.has_z(geoms).any()
    assert shapely.is_valid(geoms).all()
    assert {g.geom_type for g in geoms} == {"MultiPolygon"}
    assert snap.valid_at.isoformat() == "2025-06-30T20:07:56+00:00"


def test_real_first_generation_snapshot(shared):
    snap = _real(shared, "1648989208")  # April 2022, Ukrainian-only names
    statuses = {z.status for z in snap.zones}
    assert {Status.OCCUPIED, Status.CONTESTED, Status.LIBERATED} <= statuses
    assert any(z.kind == "ordlo" for z in snap.zones)
    assert any(z.kind == "crimea" for z in snap.zones)
    occupied = geometry.union(z.geometry for z in snap.zones if z.status == Status.OCCUPIED)
    # Spring 2022: well over 100,000 km² occupied (incl. Crimea and ORDLO).
    assert 100_000 < geometry.area_km2(occupied) < 200_000


def test_real_second_generation_snapshot(shared):
    snap = _real(shared, "1654547504")  # June 2022: "uk /// en"
    assert {Status.OCCUPIED, Status.CONTESTED, Status.LIBERATED} <= {z.status
                                                                    for z in snap.zones}


def test_raw_and_archive_agree_on_the_same_day(shared):
    """Two independent formats of the same publisher, same day: the occupied areas match
    (the archive is captured at another hour, so allow a day's change)."""
    from frontwatch.ingest.prepare import layers_of

    raw = layers_of(_real(shared, "1751314076").zones)["occupied"]
    path = shared / "deepstate-daily" / "deepstatemap_data_20250630.geojson.gz"
    archive = parse_snapshot(read_bytes(path), str(path), ImportOptions())
    arch = layers_of(archive.zones)["occupied"]
    raw_km2, arch_km2 = geometry.area_km2(raw), geometry.area_km2(arch)
    assert 110_000 < raw_km2 < 118_000  # DeepStateMap's published figure mid-2025: ~113,000
    assert raw_km2 == pytest.approx(arch_km2, rel=2e-3)
