"""The sources a store holds, described for people choosing between them: how many revisions
over which dates, what each one's occupied layer covers, and on what terms it may be used.

Shared by `frontwatch sources` and `GET /v1/sources` so that both say the same thing, and by
every output that must credit its source (:func:`attribution`). What is known of a publisher
is declared by its format (ingest/formats.py); a source named at import has no publisher."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from frontwatch import lookup
from frontwatch.errors import NotFound
from frontwatch.ingest.formats import PUBLISHERS
from frontwatch.model import Claims, Publisher, SourceSummary, claims
from frontwatch.store.base import SqlStore, iso

# Kinds that only a layer including the ground held before 2022 carries.
_PRE_2022_KINDS = ("crimea", "ordlo", "occupied-ordlo")
OCCUPIED_MEANING = {
    "all": "all occupied ground, Crimea and the areas held since 2014 included",
    "since-2022": "only ground taken since 24 February 2022",
    "illustrative": "illustrative shapes, not an assessment",
    "not declared": "not declared by the source (as imported)",
}


def publisher(source: str) -> Publisher | None:
    """The publisher of a source, when a registered format declares it."""
    return PUBLISHERS.get(source)


def attribution(source: str) -> str:
    """The credit line a response or map made from `source` must carry."""
    p = PUBLISHERS.get(source)
    return p.attribution if p else f"Control data: {source}"


def occupied_layer(source: str, kinds: Iterable[str] = ()) -> str:
    """What `source`'s occupied layer covers (:data:`OCCUPIED_MEANING`'s keys): as its
    publisher declares, else "all" when its zones include a kind held before 2022 (`kinds`),
    else "not declared"."""
    terms = publisher(source)
    if terms is not None:
        return terms.occupied
    return "all" if any(k in _PRE_2022_KINDS for k in kinds) else "not declared"


def claims_of(source: str, grey_zone: bool, kinds: Iterable[str] = ()) -> Claims:
    """What a map or chart of `source` may say about each layer it draws
    (:func:`frontwatch.model.claims`); `grey_zone`: whether what is shown has one."""
    return claims(occupied_layer(source, kinds), grey_zone)


def remainder_note(source: str) -> str | None:
    """What the derived `ukrainian` figure (region − occupied − contested) means for a source
    whose occupied layer is not all occupied ground, for every output that shows it; None for
    a source that maps all of it (DeepStateMap) or does not declare its layer.

    NZZ maps only ground taken since 24 February 2022 (the layer `frontwatch compare` calls
    since-2022), so the rest of the region still holds ground occupied before then: it is
    not Ukrainian-held by that source's account."""
    terms = publisher(source)
    if terms is None or terms.occupied != "since-2022":
        return None
    return (f"layer: taken since 2022-02-24 ({source} maps {OCCUPIED_MEANING['since-2022']}); "
            "'ukrainian' is the rest of the region, not mapped as taken since 2022, and not "
            "'ukrainian-held' by this source's account: it can include ground occupied before "
            "2022 (Crimea, parts of Donetsk and Luhansk oblasts)")


def describe(store: SqlStore, preferred: str | None = None) -> list[dict[str, Any]]:
    """One JSON-ready row per stored source, in name order; `default` marks the one that
    answers when a request names none (`preferred`: the configured FRONTWATCH_SOURCE)."""
    summaries = store.source_summaries()
    try:
        default = lookup.default_source(store, preferred)
    except NotFound:  # an empty store, or a configured source it does not hold: none answers
        default = None
    return [_row(s, s.source == default) for s in summaries]


def _row(s: SourceSummary, default: bool) -> dict[str, Any]:
    terms = publisher(s.source)
    occupied = occupied_layer(s.source, s.kinds)
    return {
        "source": s.source,
        "revisions": s.revisions,
        "first": iso(s.first),
        "last": iso(s.last),
        "grey_zone": s.grey_zone,
        "occupied": occupied,
        "occupied_meaning": OCCUPIED_MEANING[occupied],
        "kinds": {k: {"first": a.isoformat(), "last": b.isoformat()}
                  for k, (a, b) in s.kinds.items()},
        "attribution": attribution(s.source),
        "licence": terms.licence if terms else "not known (imported by a user)",
        "note": terms.note if terms else "",
        "default": default,
        "illustrative": s.illustrative,
    }

