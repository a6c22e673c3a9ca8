"""The bundled gazetteer: complete for the places the front is talked about by, plausible,
and each point inside its oblast's real boundary (checked against ../shared/data)."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
import shapely

from frontwatch.model import Place
from frontwatch.places import load_bundled_places

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BOUNDARY_FILES = {"donetsk-oblast": "donetska_oblast.geojson.gz",
                  "luhansk-oblast": "luhanska_oblast.geojson.gz"}

REQUIRED = [
    "kramatorsk", "sloviansk", "druzhkivka", "kostiantynivka", "pokrovsk", "myrnohrad",
    "dobropillia", "bilozerske", "rodynske", "bakhmut", "chasiv-yar", "toretsk", "siversk",
    "lyman", "avdiivka", "vuhledar", "kurakhove", "mariupol", "donetsk", "luhansk",
    "horlivka", "sievierodonetsk", "lysychansk", "zolotyi-kolodiaz",
    "kucheriv-yar",
]


@pytest.fixture(scope="module")
def places() -> dict[str, Place]:
    return {p.slug: p for p in load_bundled_places()}


@pytest.mark.parametrize("slug", REQUIRED)
def test_required_place_is_present_and_plausible(places: dict[str, Place], slug: str) -> None:
    p = places[slug]
    assert p.region in BOUNDARY_FILES
    assert p.population is not None and 100 <= p.population <= 1_500_000
    assert 36.0 <= p.lon <= 40.5 and 46.8 <= p.lat <= 50.2


def test_gazetteer_size_slugs_and_kinds() -> None:
    loaded = load_bundled_places()
    assert len({p.slug for p in loaded}) >= 40
    versions = [(p.slug, p.valid_from) for p in loaded]
    assert len(set(versions)) == len(versions), "one version per slug and date"
    for p in loaded:
        assert p.slug == p.slug.lower() and p.slug.isascii() and " " not in p.slug
        assert p.kind in {"city", "town", "village"}
        assert p.name_uk and p.name_en


def test_data_dir_is_overridable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "places.csv").write_text(
        "slug,name_en,name_uk,kind,population,region,lon,lat,geonameid\n"
        "x,X,Х,village,,donetsk-oblast,37.5,48.5,\n", encoding="utf-8")
    monkeypatch.setenv("FRONTWATCH_DATA_DIR", str(tmp_path))
    [p] = load_bundled_places()
    assert (p.slug, p.population, p.geonameid, p.lon) == ("x", None, None, 37.5)


@pytest.fixture(scope="module")
def oblasts() -> dict[str, shapely.Geometry]:
    folder = SHARED_DATA / "boundaries"
    if not folder.is_dir():
        pytest.skip("real data in ../shared/data is absent")
    import pyogrio

    out = {}
    for region, name in BOUNDARY_FILES.items():
        raw = gzip.decompress((folder / name).read_bytes())
        raions = pyogrio.read_dataframe(io.BytesIO(raw))
        out[region] = shapely.union_all(raions.geometry.to_numpy())
    return out


@pytest.mark.shared
def test_every_place_lies_in_its_oblast(oblasts: dict[str, shapely.Geometry]) -> None:
    outside = [p.slug for p in load_bundled_places()
               if not oblasts[p.region].contains(shapely.Point(p.lon, p.lat))]
    assert outside == []


def test_places_are_versioned_by_name(store):
    """Renamed places answer with the name of the day asked about."""
    from datetime import date

    assert store.place("bakhmut", date(2015, 6, 1)).name_en == "Artemivsk"
    assert store.place("bakhmut", date(2023, 6, 1)).name_en == "Bakhmut"
    assert store.place("pokrovsk").name_uk == "Покровськ"
    assert len({p.slug for p in store.places()}) == len(store.places())


def _outline_around(places: list[Place], pad: float = 0.02):
    return shapely.union_all([shapely.Point(p.lon, p.lat).buffer(pad) for p in places])


def test_places_in_region_of_every_level(store):
    """Groups, oblasts and raions all keep their places (issue 8.7: a group used to lose
    them, because places were matched by their oblast's slug only)."""
    from frontwatch.analytics import places_in_region
    from frontwatch.ingest.regions import rebuild_groups, region_hash
    from frontwatch.model import Region

    every = store.places()
    by_oblast = {o: [p for p in every if p.region == o]
                 for o in ("donetsk-oblast", "luhansk-oblast")}
    for slug, members in by_oblast.items():
        # An outline that misses one of its places: the oblast still owns it by attribute.
        geom = shapely.difference(_outline_around(members), shapely.Point(
            members[0].lon, members[0].lat).buffer(0.01))
        r = Region(slug=slug, level="oblast", name_en=slug.title(), name_uk=slug,
                   geometry=geom, area_km2=1.0)
        store.add_region(r, region_hash(r))
    kramatorsk = store.place("kramatorsk")
    raion = Region(slug="kramatorskyi-raion", level="raion", name_en="Kramatorskyi Raion",
                   name_uk="Краматорський район", parent="donetsk-oblast", area_km2=1.0,
                   geometry=shapely.Point(kramatorsk.lon, kramatorsk.lat).buffer(0.02))
    store.add_region(raion, region_hash(raion))
    rebuild_groups(store)

    def slugs(region: str) -> set[str]:
        return {p.slug for p in places_in_region(store, region)}

    assert slugs("donetsk-oblast") == {p.slug for p in by_oblast["donetsk-oblast"]}
    assert slugs("Luhansk-Oblast") == {p.slug for p in by_oblast["luhansk-oblast"]}
    assert slugs("donbas") == slugs("theatre") == {p.slug for p in every}
    assert slugs("kramatorskyi-raion") == {"kramatorsk"}
