"""Colours and words shared by every map and image, so web and print look and read the same.

The palette is Okabe–Ito (Color Universal Design): its hues stay apart for the common forms
of colour blindness; tests check the pairs under a simulated deuteranopia.
"""

from __future__ import annotations

from typing import Final

from frontwatch.model import DEMO_NOTICE, OSM_ATTRIBUTION, Claims
from frontwatch.sources import attribution

# fill colours (hex) and opacities for the web; static images use the same, opaque.
OCCUPIED: Final = "#D55E00"  # vermillion
CONTESTED: Final = "#F0E442"  # yellow
HELD: Final = "#D6EAF8"  # pale sky blue: the "rest of the region" (what it is: Claims.rest)
GAINED: Final = "#CC79A7"  # reddish purple: newly occupied since the compared date
LOST: Final = "#0072B2"  # blue: no longer occupied (recovered) since the compared date
OUTLINE: Final = "#4D4D4D"
BACKGROUND: Final = "#F4F4F2"  # outside the country: neutral, so it never reads as "held"
FOCUS: Final = "#000000"

FILLS: Final = {"occupied": OCCUPIED, "contested": CONTESTED, "ukrainian": HELD,
                "gained": GAINED, "lost": LOST}
# A map comparing two sources (?compare_source=) never shows gained/lost, so it reuses their
# hues: ground both call occupied, ground only the map's source does, only the other does,
# and the occupied ground outside the compared layer (held before 2022), drawn but not compared.
SOURCE_FILLS: Final = {"both": OCCUPIED, "only_a": LOST, "only_b": GAINED,
                       "not_compared": "#555555"}
OPACITY: Final = {"occupied": 0.75, "contested": 0.85, "ukrainian": 1.0, "gained": 0.9,
                  "lost": 0.9}

TEXT: Final = {
    "en": {
        "title": "Territorial control",
        "timelapse_title": "Territorial control over time",
        "occupied": "Occupied",
        "contested": "Contested (grey zone)",
        "ukrainian": "Ukrainian-held",
        # a source's claims (frontwatch.model.Claims): what its layers say, no more
        "occupied_since_2022": "Occupied since 24 Feb 2022 ({src})",
        "not_occupied": "Not occupied (no grey zone mapped)",
        "rest_unstated": "Rest: no claim by {src}",
        "no_grey": "not in this source",
        "title_occupied_since_2022": "Occupied since 24 February 2022",
        "timelapse_title_occupied_since_2022": "Occupied since 24 February 2022, over time",
        "what_occupied": "occupied territory",
        "what_occupied_since_2022": "ground {src} maps as occupied since 24 February 2022",
        "desc_contested": ", contested grey zone {con}",
        "desc_no_grey": ", no grey zone in this source",
        "desc_ukrainian": ", the rest Ukrainian-held.",
        "desc_not_occupied": ", the rest not occupied.",
        "desc_rest_unstated": "; {src} makes no claim about the rest.",
        "gained": "Newly occupied since {d}",
        "lost": "No longer occupied since {d}",
        "as_of": "as of {d}",
        "no_newer": "no newer data",
        "changes_since": "changes since {d}",
        "regions": "Region outlines",
        "places": "Places",
        "feed": "Settlements that changed hands (Atom)",
        "tiles": "OpenStreetMap tiles (needs internet)",
        "focus": "Focus",
        "km_radius": "{km:g} km around {name}",
        "area": "Area",
        "description": "Map of {where} on {d}: {what} {occ} ({share} of the area shown)"
                       "{contested}{rest}",
        "description_compare": "Map of {where} comparing {d1} with {d}: {gain} newly "
                               "occupied and {lost} no longer occupied.",
        "description_timelapse": "Animated map of {where} from {d0} to {d}: {what} "
                                 "{occ0} on the first date, {occ} on the last.",
        "slider": "Date",
        "play": "Play",
        "pause": "Pause",
        "both": "Occupied since 2022 per both sources",
        "only": "Occupied since 2022 only per {src}",
        "not_compared": "Occupied before 2022 (not compared)",
        "neither": "Occupied since 2022 per neither (a grey zone is not shown)",
        "sources_title": "{a} vs {b}",
        "source_age": "{src} of {d} ({days} old)",  # days: dates.n_days(n), "1 day"
        "source_of": "{src} of {d}",  # a pasted embed's title, when 0 days old
        "age": "{days} old",
        "newest_snapshot": "newest snapshot {t} UTC ({age})",  # a chart's, or a time-lapse's
        "description_sources": "Map of {where} comparing {a} and {b} on {d}, on the ground "
                                "taken since 24 February 2022: {both} occupied per both, "
                                "{only_a} only per {a}, {only_b} only per {b}; {agreement}; "
                                "the grey zone is not compared.",
        "legend": "Legend and sources",
        "credit_data": "Control data: {source}",
        "credit_osm": OSM_ATTRIBUTION,
        "credit_places": "Places: GeoNames (CC BY 4.0)",
        "demo_notice": DEMO_NOTICE,
        "zoom_in": "Zoom in",
        "zoom_out": "Zoom out",
        "layers": "Layers",
        "fullscreen": "Full screen",
        "fullscreen_exit": "Exit full screen",
        "leaflet": "A JavaScript library for interactive maps",
        "osm_tiles": '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
                     "contributors",
    },
    "uk": {
        "title": "Контроль території",
        "timelapse_title": "Контроль території в часі",
        "occupied": "Окуповано",
        "contested": "Під питанням (сіра зона)",
        "ukrainian": "Під контролем України",
        "occupied_since_2022": "Окуповано після 24 лютого 2022 ({src})",
        "not_occupied": "Не окуповано (сіра зона не позначена)",
        "rest_unstated": "Решта: {src} нічого не стверджує",
        "no_grey": "немає в цьому джерелі",
        "title_occupied_since_2022": "Окуповано після 24 лютого 2022",
        "timelapse_title_occupied_since_2022": "Окуповано після 24 лютого 2022, у часі",
        "what_occupied": "окуповано",
        "what_occupied_since_2022": "окуповано після 24 лютого 2022 (за {src})",
        "desc_contested": ", сіра зона {con}",
        "desc_no_grey": ", сірої зони в цьому джерелі немає",
        "desc_ukrainian": ", решта під контролем України.",
        "desc_not_occupied": ", решта не окупована.",
        "desc_rest_unstated": "; про решту {src} нічого не стверджує.",
        "gained": "Окуповано після {d}",
        "lost": "Звільнено після {d}",
        "as_of": "станом на {d}",
        "no_newer": "новіших даних немає",
        "changes_since": "зміни з {d}",
        "regions": "Межі областей і районів",
        "places": "Населені пункти",
        "feed": "Населені пункти, що змінили контроль (Atom)",
        "tiles": "Тайли OpenStreetMap (потрібен інтернет)",
        "focus": "Фокус",
        "km_radius": "{km:g} км навколо: {name}",
        "area": "Площа",
        "description": "Карта: {where}, {d}. {What} {occ} ({share} показаної площі)"
                       "{contested}{rest}",
        "description_compare": "Карта: {where}, порівняння {d1} і {d}: окуповано {gain}, "
                               "звільнено {lost}.",
        "description_timelapse": "Анімована карта: {where}, з {d0} до {d}: {what} {occ0} "
                                 "на початку, {occ} наприкінці.",
        "slider": "Дата",
        "play": "Відтворити",
        "pause": "Пауза",
        "both": "Окуповано після 2022 за обома джерелами",
        "only": "Окуповано після 2022 лише за {src}",
        "not_compared": "Окуповано до 2022 (не порівнюється)",
        "neither": "Окуповано після 2022 за жодним (сіра зона не показана)",
        "sources_title": "{a} і {b}",
        "source_age": "{src} від {d} ({n} дн. тому)",
        "source_of": "{src} від {d}",
        "age": "{n} дн. тому",
        "newest_snapshot": "найновіший знімок {t} UTC ({age})",
        "description_sources": "Карта: {where}, порівняння {a} і {b} на {d}, територія, "
                                "захоплена після 24 лютого 2022: за обома {both}, лише за "
                                "{a} {only_a}, лише за {b} {only_b}; {agreement}; сіра "
                                "зона не порівнюється.",
        "legend": "Легенда і джерела",
        "credit_data": "Дані про контроль: {source}",
        "credit_osm": "Межі: © учасники OpenStreetMap (ODbL)",
        "credit_places": "Населені пункти: GeoNames (CC BY 4.0)",
        "demo_notice": "Ілюстративні демо-дані: грубі обриси, намальовані проєктом Frontwatch, "
                       "щоб показати інструмент. Це НЕ оцінка контролю.",
        # Leaflet's own controls, which speak English unless told otherwise
        "zoom_in": "Наблизити",
        "zoom_out": "Віддалити",
        "layers": "Шари",
        "fullscreen": "На весь екран",
        "fullscreen_exit": "Вийти з повноекранного режиму",
        "leaflet": "Бібліотека JavaScript для інтерактивних карт",
        "osm_tiles": '© учасники <a href="https://www.openstreetmap.org/copyright">'
                     "OpenStreetMap</a>",
    },
}
LANGS: Final = tuple(TEXT)
# The sources' credit lines (frontwatch.model.ATTRIBUTION) in Ukrainian, for Ukrainian maps
ATTRIBUTION_UK: Final = {
    "deepstate": "Дані про контроль: DeepStateMap (deepstatemap.live)",
    "deepstate-archive": "Дані про контроль: DeepStateMap (deepstatemap.live), щоденний архів "
                         "cyterat/deepstate-map-data (GPL-3.0)",
    "demo": "ІЛЮСТРАТИВНІ ДЕМО-ДАНІ, а не оцінка ситуації",
    "nzz": "Дані про контроль: NZZ (nzz.ch), через conflict-investigations/nzz-maps; лише "
           "територія, захоплена після 24 лютого 2022 року (без Криму; райони Донбасу, "
           "утримувані з 2014 року, — лише до березня 2024)",
}


def credit(source: str, lang: str = "en") -> str:
    """The source's credit line in the map's language."""
    if lang == "uk":
        return ATTRIBUTION_UK.get(source, TEXT["uk"]["credit_data"].format(source=source))
    return attribution(source)


def rest_words(claims: Claims, source: str, lang: str = "en") -> str:
    """The legend's words for the ground no layer of `source` covers: only what it claims."""
    return TEXT[lang][claims.rest].format(src=source)


def occupied_words(claims: Claims, source: str, lang: str = "en") -> str:
    """The legend's words for `source`'s occupied layer: all of it, or since 2022 only."""
    return TEXT[lang][claims.occupied].format(src=source)


def km2(value: float, lang: str = "en") -> str:
    """'12,345 km²' / '12 345 км²': areas read at a glance, no false precision."""
    text = f"{value:,.0f}" if value >= 10 else f"{value:,.1f}"
    return text.replace(",", "\u202f") + " км²" if lang == "uk" else text + " km²"


def long_date(d, lang: str = "en") -> str:
    """'1 June 2025' / '1 червня 2025' (no locale dependency)."""
    if lang == "uk":
        months = ("січня", "лютого", "березня", "квітня", "травня", "червня", "липня",
                  "серпня", "вересня", "жовтня", "листопада", "грудня")
        return f"{d.day} {months[d.month - 1]} {d.year}"
    months = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
    return f"{d.day} {months[d.month - 1]} {d.year}"
