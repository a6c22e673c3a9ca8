"""Which places a map names, by scale and population, and where their labels go without
overlapping (the rules shared by web pages and static images).

The rule: at a scale of m metres per screen pixel, places of at least `min_population(m)`
people are candidates (MIN_POPULATION: cities on a map of Ukraine, towns on an oblast, every
village on a hromada). Candidates are placed greedily, codified settlements before
GeoNames-only districts and each most populous first: a label is kept only where its box
(marker and text, in screen pixels) meets no box already kept. Static images place them once
in the image's pixels (frontwatch.render.static); web pages carry the candidates and place
them in the browser at every zoom and pan (frontwatch.render.webmap), with the same table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import numpy as np
import shapely

from frontwatch.store.base import SqlStore

# (metres per pixel at least, smallest population labelled), coarsest scale first
MIN_POPULATION: tuple[tuple[float, int], ...] = (
    (800.0, 100_000),  # Ukraine (~1 km a pixel): the cities
    (300.0, 20_000),  # several oblasts, the Donbas
    (120.0, 5_000),  # one oblast
    (60.0, 1_000),  # a raion
    (0.0, 0),  # a hromada: every settlement
)
MAX_CANDIDATES = 1500  # per map, most populous first
DEEPEST_PIXELS = 900 * 2**3  # a web map fits its focus in ~900 px and zooms in 3 levels

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels (y down or up: consistent)


def min_population(m_per_px: float) -> int:
    """The smallest population labelled at a scale of `m_per_px` metres per pixel."""
    for scale, people in MIN_POPULATION:
        if m_per_px >= scale:
            return people
    return 0


def candidates(store: SqlStore, view: tuple[float, float, float, float], day: date,
               lang: str, m_per_px: float) -> list[tuple[str, float, float, int]]:
    """(label, lon, lat, population) of the places inside `view` (lon/lat extent) that the
    rule admits at `m_per_px` (the finest scale the map offers), in the order labels are
    placed: settlements of the KATOTTG codifier first, then places only GeoNames knows
    (mostly city districts such as Mariupol's "Pravyi Bereh", which must not push the city's
    own label out), each most populous first; named for the day and language."""
    places = store.places(day)
    if not places:
        return []
    pop = np.array([p.population or 0 for p in places])
    keep = (pop >= min_population(m_per_px)) & shapely.contains_xy(
        shapely.box(*view), np.array([p.lon for p in places]), np.array([p.lat for p in places]))
    coded = np.array([bool(p.katottg) for p in places])
    idx = np.flatnonzero(keep)
    order = idx[np.lexsort((-pop[idx], ~coded[idx]))][:MAX_CANDIDATES]
    return [(places[i].label_uk if lang == "uk" else places[i].name_en, places[i].lon,
             places[i].lat, int(pop[i])) for i in order]


def overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def greedy(boxes: Iterable[Sequence[Box]], taken: Iterable[Box] = ()) -> list[int | None]:
    """For each item (in priority order) the index of the first of its candidate boxes that
    meets no box kept before it (nor any of `taken`, e.g. the legend), or None: the item
    gets no label."""
    kept: list[Box] = list(taken)
    out: list[int | None] = []
    for options in boxes:
        choice = next((i for i, b in enumerate(options)
                       if not any(overlaps(b, k) for k in kept)), None)
        if choice is not None:
            kept.append(options[choice])
        out.append(choice)
    return out


def rule_for_js() -> list[list[Any]]:
    return [[scale, people] for scale, people in MIN_POPULATION]
