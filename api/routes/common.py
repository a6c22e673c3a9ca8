"""What the /v1 route modules share: parameter declarations and row shapes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import Query

from frontwatch import coverage, dates, lookup
from frontwatch.api.respond import GEOJSON, credit_headers
from frontwatch.model import Place, SnapshotInfo
from frontwatch.settings import Settings
from frontwatch.store.base import SqlStore, iso

GEOJSON_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {GEOJSON: {"schema": {"type": "object"}}},
          "description": "GeoJSON FeatureCollection (RFC 7946) with provenance members"}}
SourceQ = Annotated[str | None, Query(
    description="control-data source (default: the best one the store holds)",
    examples=["deepstate"])]
RegionQ = Annotated[str | None, Query(
    description="clip to a region: name (en/uk), KATOTTG code or slug",
    examples=["donetsk-oblast"])]
FromQ = Annotated[str | None, Query(alias="from", description="first date (YYYY-MM-DD)",
                                    examples=["2025-01-01"])]
ToQ = Annotated[str | None, Query(alias="to", description="last date (YYYY-MM-DD)",
                                  examples=["2025-06-30"])]
DateQ = Annotated[str | None, Query(alias="date", description="YYYY-MM-DD (default: latest)",
                                    examples=["2025-06-30"])]


def data_headers(fresh: dict[str, Any], source: str | Sequence[str],
                 illustrative: bool = False) -> dict[str, str]:
    """What an answer showing `source`'s control data says in its headers too (for CSV
    readers, images and clients reading only headers): whose data it is
    (`X-Data-Attribution`, with `X-Data-Notice` for demo data) and `X-Data-Through`, the
    newest snapshot it could show, from the answer's `data_through` (see
    :func:`frontwatch.coverage.freshness`). The one place both are set, so that no route
    carries one without the other."""
    return {**credit_headers(source, illustrative), "X-Data-Through": fresh["data_through"]}


def newest_headers(store: SqlStore, source: str | Sequence[str]) -> dict[str, str]:
    """data_headers for an answer showing `source`'s data (several: a comparison, whose data
    runs to the earliest of their newest snapshots): the same headers, for the routes whose
    body has no `data_through` of its own (OGC items, map pages and images, charts, feed)."""
    return data_headers(coverage.freshness(store, source, None), source)


def age_header(shown: SnapshotInfo | Sequence[SnapshotInfo], on: date | None
               ) -> dict[str, str]:
    """`X-Snapshot-Age-Days`: how old the snapshot shown is on the date asked for (`on`;
    None: the latest state or an open range, today UTC; frontwatch.dates.age_days). Several
    (a map of two sources): the oldest's. A time-lapse, a chart or a table over a range
    gives its newest revision, with the range's end as asked (see :func:`range_headers`).
    Every answer showing a snapshot sends it (README, "age", lists them) but a revision's
    immutable URL, whose age would change under an immutable cache policy."""
    infos = [shown] if isinstance(shown, SnapshotInfo) else list(shown)
    return ages_header(dates.age_days(i.date, on) for i in infos)


def ages_header(ages: Iterable[int]) -> dict[str, str]:
    """`X-Snapshot-Age-Days` from ages already counted (a comparison's `sources`): the
    oldest; nothing when there are none. The one place the header is written."""
    oldest = max(ages, default=None)
    return {} if oldest is None else {"X-Snapshot-Age-Days": str(oldest)}


def range_headers(span: coverage.Span, newest: SnapshotInfo) -> dict[str, str]:
    """The newest snapshot a range answer could use, when `to` was cut to it what was
    asked, and the age of `newest`, the latest revision the answer shows, on the end asked
    for (an open range: today): headers, so that CSV readers see them too."""
    return {**data_headers(span.members(), newest.source, newest.illustrative),
            **clamp_header(span), **age_header(newest, span.requested.end)}


def clamp_header(span: coverage.Span) -> dict[str, str]:
    """`X-Range-Clamped: to=<newest day>; requested=<to asked for>` when `to` was cut to the
    data, `from=<first day>; from_requested=<from asked for>` when `from` was (both, joined
    by "; ", when both were), else nothing: the one place the header is written, for every
    route that clamps a range (tables, charts, time-lapses)."""
    parts = []
    if span.clamped:
        parts.append(f"to={span.end}; requested={span.requested.end}")
    if span.from_clamped:
        parts.append(f"from={span.start}; from_requested={span.requested.start}")
    return {"X-Range-Clamped": "; ".join(parts)} if parts else {}


def range_clamp_header(store: SqlStore, source: str, start: date | None, end: date | None
                       ) -> dict[str, str]:
    """clamp_header of [start, end] cut to `source`'s data, for an answer whose body does
    not carry its span (an image, a page)."""
    return clamp_header(coverage.span(store, source, dates.DayRange(start, end)))


def source_of(store: SqlStore, settings: Settings, source: str | None) -> str:
    """The source a request means: its own, the server's default, or the best stored."""
    return lookup.default_source(store, source or settings.source)


def snapshot_row(s: SnapshotInfo, revisions: int | None = None) -> dict[str, Any]:
    row = {"id": s.id, "source": s.source, "valid_at": iso(s.valid_at),
           "date": s.date.isoformat(), "recorded_at": iso(s.recorded_at),
           "revision": s.revision, "counts": s.counts, "content_hash": s.content_hash,
           "url": f"/v1/snapshots/revisions/{s.id}"}
    if revisions is not None:
        row["revisions"] = revisions
    if s.illustrative:
        row["illustrative"] = True
    return row


def place_row(p: Place) -> dict[str, Any]:
    return {"slug": p.slug, "name_en": p.name_en, "name_uk": p.name_uk or None,
            "kind": p.kind, "population": p.population, "region": p.region, "lon": p.lon,
            "lat": p.lat, "geonameid": p.geonameid, "katottg": p.katottg}
