"""Boundaries in OCHA COD-AB conventions (admN_en, admN_ua, admN_pcode) and with named
fields; a folder of boundary files in one import. Small files made here."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from frontwatch.errors import InputError
from frontwatch.ingest.regions import RegionFields, import_regions


def _box(x: float, y: float, d: float = 0.5) -> shapely.Polygon:
    return shapely.box(x, y, x + d, y + d)


def _adm1() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "ADM0_EN": ["Ukraine"] * 2, "ADM0_PCODE": ["UA"] * 2,
        "ADM1_EN": ["Donetska", "Luhanska"], "ADM1_UA": ["Донецька", "Луганська"],
        "ADM1_PCODE": ["UA14", "UA44"]},
        geometry=[_box(37.0, 47.5, 1.0), _box(38.5, 48.5, 1.0)], crs=4326)


def _adm2() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "adm1_en": ["Donetska"] * 2, "adm1_pcode": ["UA14"] * 2,
        "adm2_en": ["Bakhmutskyi", "Pokrovskyi"], "adm2_ua": ["Бахмутський", "Покровський"],
        "adm2_pcode": ["UA1402", "UA1412"]},
        geometry=[_box(37.5, 48.2), _box(37.0, 47.6)], crs=4326)


def test_cod_ab_folder_levels_inferred(store, tmp_path):
    folder = tmp_path / "cod-ab"
    folder.mkdir()
    _adm1().to_file(folder / "ukr_admbnda_adm1.geojson")
    _adm2().to_file(folder / "ukr_admbnda_adm2.gpkg")
    result = import_regions(store, folder, None)
    assert result["unchanged"] == []
    by_code = {r.code: r for r in store.regions()}
    assert by_code["UA14"].level == "oblast" and by_code["UA14"].slug == "donetsk-oblast"
    assert by_code["UA44"].level == "oblast"
    bakhmut = by_code["UA1402"]
    assert (bakhmut.level, bakhmut.name_en, bakhmut.name_uk, bakhmut.parent) == (
        "raion", "Bakhmutskyi", "Бахмутський", "donetsk-oblast")
    assert by_code["UA1412"].level == "raion"
    again = import_regions(store, [folder], None)
    assert again["added"] == []


def test_cod_ab_level_mismatch_is_refused(store, tmp_path):
    path = tmp_path / "adm2.geojson"
    _adm2().to_file(path)
    with pytest.raises(InputError, match=r"COD-AB adm2 \(raion\), not oblast: pass --level "
                       "raion"):
        import_regions(store, path, "oblast")
    assert store.regions(include_illustrative=False) == []


def test_named_fields(store, tmp_path):
    df = gpd.GeoDataFrame({"NAZVA": ["Покровська"], "TITLE": ["Pokrovska"],
                           "KOD": ["UA14120000000000000"]},
                          geometry=[_box(37.0, 47.6, 0.3)], crs=4326)
    path = tmp_path / "hromady.gpkg"
    df.to_file(path)
    with pytest.raises(InputError, match="feature has no name"):
        import_regions(store, path, "hromada")
    with pytest.raises(InputError, match="no field 'NAME'; fields are: 'NAZVA'"):
        import_regions(store, path, "hromada", fields=RegionFields(name="NAME"))
    import_regions(store, path, "hromada", fields=RegionFields(
        name="TITLE", name_uk="NAZVA", code="KOD"))
    region, = [r for r in store.regions() if r.level == "hromada"]
    assert (region.name_en, region.name_uk, region.code) == (
        "Pokrovska", "Покровська", "UA14120000000000000")


def test_unknown_level_is_refused(store, tmp_path):
    df = gpd.GeoDataFrame({"name": ["x"]}, geometry=[_box(37.0, 47.6)], crs=4326)
    path = tmp_path / "plain.geojson"
    df.to_file(path)
    with pytest.raises(InputError, match="cannot tell the boundaries' level"):
        import_regions(store, path, None)
