"""What a result shows and whose it is: the provenance of every DataFrame (its ``.attrs``) and
typed result of the Python API (``frontwatch.open()`` and :mod:`frontwatch.analytics`).

The same facts the HTTP answers give, made in one place: the source, the revision shown, the
date or range as answered, ``data_through`` and ``stale_days`` (from
:func:`frontwatch.coverage.freshness`), the credit line and whether the data is illustrative.
"""

from __future__ import annotations

from datetime import date
from typing import NotRequired, TypedDict, TypeVar

import pandas as pd

from frontwatch import coverage
from frontwatch.dates import iso
from frontwatch.model import DEMO_NOTICE, PLACES_CREDIT, SnapshotInfo
from frontwatch.sources import attribution
from frontwatch.store.base import SqlStore

Frame = TypeVar("Frame", bound=pd.DataFrame)

__all__ = ["Provenance", "SnapshotRef", "of_dates", "of_range", "provenance", "shown",
           "snapshot_ref"]


class SnapshotRef(TypedDict):
    """Which snapshot a result shows (``.attrs["snapshot"]`` of every frame)."""

    id: int
    source: str
    valid_at: str  # ISO 8601 UTC ("…Z")


# Functional syntax: "from" is a Python keyword.
Provenance = TypedDict("Provenance", {
    "source": str,
    "snapshot": SnapshotRef,  # the revision shown (a range: the newest revision in it)
    "date": NotRequired[str],  # a one-date answer: the date asked for, YYYY-MM-DD
    "from": NotRequired[str],  # a range: its days as answered (cut to the data), YYYY-MM-DD
    "to": NotRequired[str],
    "to_requested": NotRequired[str],  # the end asked for, when it was cut to the data
    "from_requested": NotRequired[str],  # the start asked for, when it was cut to the data
    "clamped": NotRequired[bool],  # True when either was
    "data_through": str,  # the source's newest snapshot, ISO 8601 UTC
    "stale_days": int,  # days the date (a range: its end) asked for lies after data_through
    "attribution": str,  # the credit line the source asks for
    "illustrative": bool,  # demo data, not an assessment (then `notice` says so)
    "notice": NotRequired[str],
    "places_attribution": NotRequired[str],  # results naming places: the gazetteer's credit
})
Provenance.__doc__ = """What a result shows and whose it is: ``.attrs`` of every DataFrame
and GeoDataFrame the Python API returns (the same facts as the HTTP answers' members)."""


def snapshot_ref(info: SnapshotInfo) -> SnapshotRef:
    """The reference to revision `info` a result carries."""
    return SnapshotRef(id=info.id, source=info.source, valid_at=iso(info.valid_at))


def provenance(store: SqlStore, info: SnapshotInfo, on: date | None = None,
               span: coverage.Span | None = None, places: bool = False) -> Provenance:
    """The provenance of a result showing revision `info`, for the date `on` or the range
    `span` (freshness from :func:`frontwatch.coverage.freshness`, as the HTTP answers);
    `places`: the result names gazetteer places (their credit is added)."""
    asked = span.requested.end if span is not None else on
    fresh = coverage.freshness(store, info.source, asked)
    out = Provenance(source=info.source, snapshot=snapshot_ref(info),
                     data_through=fresh["data_through"], stale_days=fresh["stale_days"],
                     attribution=attribution(info.source), illustrative=info.illustrative)
    if span is not None:
        out["from"], out["to"] = span.start.isoformat(), span.end.isoformat()
        cut = span.members()  # what was cut to the data, as every range answer says it
        for key in ("to_requested", "from_requested", "clamped"):
            if key in cut:
                out[key] = cut[key]
    elif on is not None:
        out["date"] = on.isoformat()
    if info.illustrative:
        out["notice"] = DEMO_NOTICE
    if places:
        out["places_attribution"] = PLACES_CREDIT
    return out


def of_range(store: SqlStore, source: str, span: coverage.Span, places: bool = False
             ) -> Provenance:
    """The provenance of a result over `span` of `source`: the newest revision in it."""
    return provenance(store, store.resolve(source, span.end), span=span, places=places)


def of_dates(store: SqlStore, info: SnapshotInfo, d1: date, d2: date, places: bool = False
             ) -> Provenance:
    """The provenance of a result comparing two dates of one source (a diff): the revision
    in force on `d2`, ``from``/``to`` the dates asked for, ``stale_days`` how far `d2` lies
    past the data."""
    out = provenance(store, info, d2, places=places)
    del out["date"]
    out["from"], out["to"] = d1.isoformat(), d2.isoformat()
    return out


def shown(frame: Frame, facts: Provenance) -> Frame:
    """`frame` with `facts` in its ``.attrs`` (returned, for chaining)."""
    frame.attrs.update(facts)
    return frame
