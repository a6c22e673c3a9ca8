"""What every analytics function shares: turning user input into store objects."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import date

from frontwatch import lookup
from frontwatch.model import Place, Region, SnapshotInfo
from frontwatch.store.base import SqlStore


def region_of(store: SqlStore, region: Region | str, on: date | None = None) -> Region:
    """A resolved region with geometry (text goes through :func:`lookup.resolve_region`)."""
    if isinstance(region, Region) and region.geometry is not None:
        return region
    text = region.slug if isinstance(region, Region) else region
    return lookup.resolve_region(store, text, on)


def place_of(store: SqlStore, place: Place | str, on: date | None = None) -> Place:
    return place if isinstance(place, Place) else lookup.resolve_place(store, place, on)


def source_of(store: SqlStore, source: str | None) -> str:
    return lookup.default_source(store, source)


def snapshot_on(store: SqlStore, on: date, source: str | None) -> SnapshotInfo:
    """The revision in force on a date (raises NotFound before a source's history)."""
    return store.resolve(source_of(store, source), on)


def version_ids(store: SqlStore, slug: str, days: Sequence[date]) -> list[int | None]:
    """Id of the version of a region in force on each day (None before the first), as
    :meth:`SqlStore.region` picks it, from one query: precomputed rows are keyed by it."""
    versions = store.region_versions(slug)
    starts = [v[1] for v in versions]
    out: list[int | None] = []
    for d in days:
        i = bisect.bisect_right(starts, d.isoformat()) - 1
        out.append(versions[i][0] if i >= 0 else None)
    return out
