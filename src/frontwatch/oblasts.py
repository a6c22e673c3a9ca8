"""Facts about Ukraine's oblast-level units: ISO 3166-2 and KATOTTG codes and official
English names, used to name regions consistently whatever file they came from."""

from __future__ import annotations

from typing import NamedTuple


class Oblast(NamedTuple):
    iso: str
    katottg: str  # first four characters of every KATOTTG code inside it
    name_en: str
    name_uk: str

    @property
    def slug(self) -> str:
        return self.name_en.lower().replace(" ", "-")


OBLASTS = [
    Oblast("UA-43", "UA01", "Crimea", "Автономна Республіка Крим"),
    Oblast("UA-05", "UA05", "Vinnytsia Oblast", "Вінницька область"),
    Oblast("UA-07", "UA07", "Volyn Oblast", "Волинська область"),
    Oblast("UA-12", "UA12", "Dnipropetrovsk Oblast", "Дніпропетровська область"),
    Oblast("UA-14", "UA14", "Donetsk Oblast", "Донецька область"),
    Oblast("UA-18", "UA18", "Zhytomyr Oblast", "Житомирська область"),
    Oblast("UA-21", "UA21", "Zakarpattia Oblast", "Закарпатська область"),
    Oblast("UA-23", "UA23", "Zaporizhzhia Oblast", "Запорізька область"),
    Oblast("UA-26", "UA26", "Ivano-Frankivsk Oblast", "Івано-Франківська область"),
    Oblast("UA-32", "UA32", "Kyiv Oblast", "Київська область"),
    Oblast("UA-35", "UA35", "Kirovohrad Oblast", "Кіровоградська область"),
    Oblast("UA-09", "UA44", "Luhansk Oblast", "Луганська область"),
    Oblast("UA-46", "UA46", "Lviv Oblast", "Львівська область"),
    Oblast("UA-48", "UA48", "Mykolaiv Oblast", "Миколаївська область"),
    Oblast("UA-51", "UA51", "Odesa Oblast", "Одеська область"),
    Oblast("UA-53", "UA53", "Poltava Oblast", "Полтавська область"),
    Oblast("UA-56", "UA56", "Rivne Oblast", "Рівненська область"),
    Oblast("UA-59", "UA59", "Sumy Oblast", "Сумська область"),
    Oblast("UA-61", "UA61", "Ternopil Oblast", "Тернопільська область"),
    Oblast("UA-63", "UA63", "Kharkiv Oblast", "Харківська область"),
    Oblast("UA-65", "UA65", "Kherson Oblast", "Херсонська область"),
    Oblast("UA-68", "UA68", "Khmelnytskyi Oblast", "Хмельницька область"),
    Oblast("UA-71", "UA71", "Cherkasy Oblast", "Черкаська область"),
    Oblast("UA-77", "UA73", "Chernivtsi Oblast", "Чернівецька область"),
    Oblast("UA-74", "UA74", "Chernihiv Oblast", "Чернігівська область"),
    Oblast("UA-30", "UA80", "Kyiv", "Київ"),
    Oblast("UA-40", "UA85", "Sevastopol", "Севастополь"),
]
BY_ISO = {o.iso: o for o in OBLASTS}
BY_KATOTTG = {o.katottg: o for o in OBLASTS}
BY_NAME_UK = {o.name_uk.lower(): o for o in OBLASTS}

# Named groups of regions, by the oblast slugs they unite.
GROUPS = {
    "donbas": ("Donbas (Donetsk and Luhansk oblasts)", "Донбас", ("donetsk-oblast",
                                                                 "luhansk-oblast")),
}
THEATRE = "theatre"
