"""Tolerant place-name search: any of a place's names (English, Ukrainian, former, GeoNames'
alternates, its slug) with or without case, diacritics, apostrophes and hyphens, and close
spellings suggested (rapidfuzz) when nothing matches."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from rapidfuzz import fuzz, process

from frontwatch.model import Place

_DROP = re.compile(r"['’ʼ`´‘\u0301]")
_SPACE = re.compile(r"[\s\-_.,]+")
SUGGEST_MARGIN = 10  # rapidfuzz ratio points (0-100) a suggestion may trail the best by


def fold(text: str) -> str:
    """'Chasiv-Yar' → 'chasiv yar'; 'Слов’янськ' → 'словянськ'; 'Kramators'k' → 'kramatorsk';
    'Zaporižžja' → 'zaporizzja' (Latin diacritics dropped, Cyrillic letters kept)."""
    text = _DROP.sub("", unicodedata.normalize("NFC", text).casefold())
    out = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and out and out[-1] < "\u0250":
            continue  # a mark on a Latin letter; й and ї keep theirs
        out.append(ch)
    return _SPACE.sub(" ", unicodedata.normalize("NFC", "".join(out))).strip()


class NameIndex:
    """Folded name → places bearing it, most populous first (the order given). A place's
    own names (slug, English, Ukrainian) rank before other places' alternates, so that
    "Слов'янськ" is Sloviansk, not a city GeoNames once knew by a similar name."""

    def __init__(self, places: Sequence[Place]) -> None:
        self.by_slug = {p.slug: p for p in places}
        self.by_name: dict[str, list[Place]] = {}
        alternates: dict[str, list[Place]] = {}
        for p in places:
            for names, index in (((p.slug, p.name_en, p.name_uk), self.by_name),
                                 (p.alt_names, alternates)):
                for name in names:
                    key = fold(name)
                    bucket = index.setdefault(key, []) if key else None
                    if bucket is not None and (not bucket or bucket[-1] is not p):
                        bucket.append(p)
        self.alternates = alternates
        self._keys = list(self.by_name.keys() | alternates.keys())

    def find(self, text: str) -> Place | None:
        """The place a user means: its slug, else the most populous place bearing the name."""
        wanted = text.strip()
        if wanted.lower() in self.by_slug:
            return self.by_slug[wanted.lower()]
        found = self.matches(wanted)
        return found[0] if found else None

    def matches(self, text: str) -> list[Place]:
        """Every place bearing the name (namesakes: the Mykolaivkas of several oblasts): by
        their own names, most populous first, else by alternates, the place whose own name
        is spelled closest to `text` first ("Slovyansk" was also an old name of Nikopol)."""
        key = fold(text)
        if key in self.by_name:
            return list(self.by_name[key])
        return sorted(self.alternates.get(key, []),
                      key=lambda p: -fuzz.ratio(key, fold(p.name_en)))

    def suggest(self, text: str, limit: int = 5) -> list[str]:
        """Slugs of places whose names are spelled closest to `text` (typos, transliteration
        variants), best first; only those within SUGGEST_MARGIN points of the best, so a
        strong match ("kramatorks" → kramatorsk, 91) is not followed by weak ones that
        merely pass the cutoff (baltazarivka, by an alternate name at 70)."""
        hits = process.extract(fold(text), self._keys, scorer=fuzz.ratio, limit=limit * 3,
                               score_cutoff=70)
        best = [(score, self.matches(key)[0]) for key, score, _ in hits]
        best.sort(key=lambda h: (-h[0], -(h[1].population or 0)))  # ties: the bigger place
        out: list[str] = []
        for score, place in best:
            if score < best[0][0] - SUGGEST_MARGIN:
                break
            if place.slug not in out:
                out.append(place.slug)
        return out[:limit]
