"""Boundaries → regions, groups, and the area convention checked against pyproj.Geod."""

from __future__ import annotations

import pytest
import shapely

from frontwatch import geometry
from frontwatch.errors import InputError, NotFound
from frontwatch.ingest.regions import import_regions
from frontwatch.lookup import resolve_region


@pytest.fixture
def regions_store(store, shared):
    b = shared / "boundaries"
    import_regions(store, b / "donetska_oblast.geojson.gz", "raion")
    import_regions(store, b / "luhanska_oblast.geojson.gz", "raion")
    return store


def test_raions_yield_their_oblast_and_groups(regions_store):
    donetsk = resolve_region(regions_store, "Donetsk Oblast")
    assert donetsk.slug == "donetsk-oblast" and donetsk.level == "oblast"
    assert donetsk.area_km2 == pytest.approx(26_527.75, abs=0.05)
    luhansk = resolve_region(regions_store, "луганська область")
    assert luhansk.area_km2 == pytest.approx(26_684.73, abs=0.05)
    donbas = resolve_region(regions_store, "Donbas")
    assert donbas.area_km2 == pytest.approx(donetsk.area_km2 + luhansk.area_km2, rel=1e-6)
    raions = regions_store.regions(level="raion")
    assert len(raions) == 16
    assert {r.parent for r in raions} == {"donetsk-oblast", "luhansk-oblast"}
    kram = resolve_region(regions_store, "UA14120000000070232")
    assert kram.slug == "kramatorskyi-raion" and kram.name_uk == "Краматорський район"


@pytest.mark.parametrize("slug", ["donetsk-oblast", "luhansk-oblast", "kramatorskyi-raion"])
def test_area_convention_matches_geodesic(regions_store, slug):
    region = regions_store.region(slug)
    geod = geometry.geodesic_area_km2(region.geometry)
    assert region.area_km2 == pytest.approx(geod, rel=1e-6)
    assert geometry.area_km2(region.geometry) == pytest.approx(geod, rel=1e-7)


def test_theatre_from_all_oblasts(store, shared):
    import_regions(store, shared / "boundaries" / "Ukraine.geojson.gz", "oblast")
    theatre = store.region("theatre")
    # Ukraine is ~603,500 km²; Sevastopol (a coastal city unit) is not an oblast here.
    assert 595_000 < theatre.area_km2 < 605_000
    kyiv_city = shapely.Point(30.52, 50.45)
    assert theatre.geometry.contains(kyiv_city), "Kyiv city's enclave is filled"
    assert store.region("crimea").name_en == "Crimea"


def test_unknown_region_suggests(regions_store):
    with pytest.raises(NotFound, match=r"did you mean: .*donetsk-oblast"):
        resolve_region(regions_store, "Donetsk Oblst")
    # the close match only, not donetskyi-raion or luhansk-oblast too (issue 9's trial)
    with pytest.raises(NotFound) as lost:
        resolve_region(regions_store, "Luhansk Oblst")
    assert lost.value.suggestions == ["luhansk-oblast"]


def test_reimport_is_a_no_op_and_wrong_level_is_refused(regions_store, shared):
    again = import_regions(regions_store, shared / "boundaries" / "donetska_oblast.geojson.gz",
                           "raion")
    assert again["added"] == [] and "donetsk-oblast" in again["unchanged"]
    with pytest.raises(InputError, match=r"admin_level 6 .raion., not oblast"):
        import_regions(regions_store, shared / "boundaries" / "donetska_oblast.geojson.gz",
                       "oblast")
