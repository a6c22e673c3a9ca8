"""Resolve what users type (names in English or Ukrainian, codes, slugs, any case) to regions,
places and sources, with close-match suggestions when nothing fits."""

from __future__ import annotations

import difflib
import functools
from datetime import date

from frontwatch.errors import NotFound, echo
from frontwatch.ingest.formats import SOURCE_PREFERENCE
from frontwatch.model import Place, Region
from frontwatch.placenames import NameIndex
from frontwatch.store.base import SqlStore
from frontwatch.text import slugify

_ALIASES = {"ukraine": "theatre", "country": "theatre", "donbass": "donbas",
            "донбас": "donbas", "україна": "theatre"}


@functools.lru_cache(maxsize=4096)
def _keys(*names: str | None) -> frozenset[str]:
    """The spellings that name a region: each name lower-cased and slugified (memoized: a
    lookup by name tries every region, and romanizing their names cost ~0.5 ms a time)."""
    out = set()
    for n in names:
        if n:
            out.add(n.strip().lower())
            out.add(slugify(n))
    return frozenset(out)


def resolve_region(store: SqlStore, text: str, on: date | None = None,
                   with_geometry: bool = True) -> Region:
    """The region a user means by `text` (e.g. "Donetsk Oblast", "донецька область",
    "UA14", "donetsk-oblast", "donbas"), with geometry (unless `with_geometry` is False:
    reads of precomputed rows need only its slug)."""
    wanted = text.strip().lower()
    wanted = _ALIASES.get(wanted, wanted)
    regions = store.regions(on=on)
    wanted_slug = slugify(wanted)
    for r in regions:
        if wanted in _keys(r.slug, r.name_en, r.name_uk, r.code) or wanted_slug == r.slug:
            return store.region(r.slug, on) if with_geometry else r
    # "Donetsk" alone → the oblast, not a hromada called Donetska.
    for r in regions:
        if r.level == "oblast" and slugify(wanted) in (r.slug.removesuffix("-oblast"),):
            return store.region(r.slug, on) if with_geometry else r
    names = {n: r.slug for r in regions for n in (r.slug, r.name_en, r.name_uk)}
    suggestions = _closest_regions(wanted, names)
    if not regions:
        raise NotFound(f"unknown region {echo(text)}: the store holds no regions yet "
                       "(frontwatch regions import FILE --level …)")
    raise NotFound(f"unknown region {echo(text)}", suggestions=suggestions or
                   [r.slug for r in regions if r.level in ("group", "oblast")][:5])


NO_SNAPSHOTS = ("the store holds no snapshots yet: run `frontwatch import PATH` "
                "(or `frontwatch demo load` for illustrative data)")


def _closest_regions(wanted: str, names: dict[str, str]) -> list[str]:
    """Slugs of the regions whose names (`names`: name → slug) are spelled closest to
    `wanted`, best first, and only those within 0.1 (difflib ratio) of the best: a strong
    match is not followed by weak ones that merely pass the cutoff."""
    lowered: dict[str, str] = {}
    for n, slug in names.items():
        if n:
            lowered.setdefault(n.lower(), slug)
    close = difflib.get_close_matches(wanted, list(lowered), n=15, cutoff=0.5)
    if not close:
        return []
    top = difflib.SequenceMatcher(None, wanted, close[0]).ratio()
    out: list[str] = []
    for n in close:
        if difflib.SequenceMatcher(None, wanted, n).ratio() >= top - 0.1 \
                and lowered[n] not in out:
            out.append(lowered[n])
    return out[:5]


def resolve_place(store: SqlStore, text: str, on: date | None = None) -> Place:
    """The place a user means by any of its names ("Kupiansk", "Куп'янськ", "Kupyansk",
    "Artemivsk", "kyiv"), with close spellings suggested when none fits. Among namesakes the
    most populous wins; its slug names the others' (`mykolaivka-odesa`)."""
    index = place_index(store, on)
    found = index.find(text)
    if found is not None:
        return found
    raise NotFound(f"unknown place {echo(text)}", suggestions=index.suggest(text))


_INDEXES: dict[tuple, NameIndex] = {}


def place_index(store: SqlStore, on: date | None = None) -> NameIndex:
    """The search index of the places in force on `on`, kept while the places table and
    the store are the same (building it over 5,000 places takes a noticeable moment)."""
    key = (store.label, store.places_version(), on)
    if key not in _INDEXES:
        if len(_INDEXES) >= 8:
            _INDEXES.clear()
        _INDEXES[key] = NameIndex(store.places(on))
    return _INDEXES[key]


def default_source(store: SqlStore, preferred: str | None = None) -> str:
    """The source to answer from when the user names none."""
    available = store.sources()
    if preferred:
        if preferred not in available:
            raise NotFound(f"unknown source {echo(preferred)}", suggestions=available)
        return preferred
    for s in SOURCE_PREFERENCE:  # the publishers' preference (NZZ after DeepStateMap)
        if s in available:
            return s
    if available:
        return available[0]
    raise NotFound(NO_SNAPSHOTS)
