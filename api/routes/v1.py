"""Snapshots under /v1: the list, the state on a date, and revisions by id (canonical).
Thin: parse parameters, call frontwatch, answer from the response cache (api.respond)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from frontwatch import coverage, dates, lookup, sources, values
from frontwatch.api import deps, params
from frontwatch.api.cache import make_entry
from frontwatch.api.deps import SettingsDep, StoreDep
from frontwatch.api.headers import AGED, CREDIT, documented
from frontwatch.api.heavy import heavy_when
from frontwatch.api.respond import (
    DATED,
    GEOJSON,
    IMMUTABLE,
    LATEST,
    cached,
    credit,
    credit_headers,
    json_entry,
)
from frontwatch.api.routes.common import (
    GEOJSON_RESPONSE,
    RegionQ,
    SourceQ,
    age_header,
    data_headers,
    snapshot_row,
    source_of,
)
from frontwatch.model import SnapshotInfo
from frontwatch.snapshots import snapshot_geojson
from frontwatch.sources import attribution
from frontwatch.store.base import SqlStore, iso

router = APIRouter(prefix="/v1", tags=["v1"], dependencies=deps.READ)

StatusQ = Annotated[list[str] | None, Query(
    description="only these statuses (repeat or comma-separate): occupied, contested, liberated",
    examples=[["occupied"]])]
SimplifyQ = Annotated[float | None, Query(description="simplify by this tolerance in metres",
                                          examples=[100])]


@router.get("/snapshots", summary="List stored snapshot revisions",
            description="Every revision (oldest first), with the number of revisions of its "
            "moment, zone counts and its canonical, immutable URL.")
def list_snapshots(request: Request, store: StoreDep, source: SourceQ = None,
                   start: Annotated[str | None, Query(alias="from", examples=["2025-06-01"],
                                                      description="first date")] = None,
                   end: Annotated[str | None, Query(alias="to", examples=["2025-06-30"],
                                                    description="last date")] = None
                   ) -> Response:
    a, b = params.interval(start, end)

    def build():
        if source is not None:
            lookup.default_source(store, source)  # 404 with suggestions for an unknown one
        infos = [s for s in store.snapshots(source)
                 if (a is None or s.date >= a) and (b is None or s.date <= b)]
        per_moment: dict[tuple[str, datetime], int] = {}
        for s in infos:
            per_moment[(s.source, s.valid_at)] = per_moment.get((s.source, s.valid_at), 0) + 1
        sources = sorted({s.source for s in infos})
        doc = {"snapshots": [snapshot_row(s, per_moment[(s.source, s.valid_at)]) for s in infos],
               "count": len(infos),
               "attribution": {src: attribution(src) for src in sources}}
        if any(s.illustrative for s in infos):
            credit(doc, "demo", True)
            doc["attribution"] = {src: attribution(src) for src in sources}
        if not store.sources():  # no source to credit: say why, not a bare {}
            doc["note"] = lookup.NO_SNAPSHOTS
        return json_entry(doc, {"Cache-Control": LATEST})

    return cached(request, store, build)


@router.get("/sources", summary="The control-data sources in the store",
            description="Each source with its revision count, first and last moment, whether "
            "it maps a grey zone, what its occupied layer covers (`all`: Crimea and the areas "
            "held since 2014 included; `since-2022`: only ground taken since 24 February "
            "2022), the zone kinds it holds with their dates, attribution and licence. "
            "`default` marks the source that answers when a request names none; no answer "
            "mixes sources.")
def list_sources(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    def build():
        rows = sources.describe(store, settings.source)
        doc: dict[str, Any] = {"sources": rows, "count": len(rows)}
        if not rows:
            doc["note"] = lookup.NO_SNAPSHOTS
        return json_entry(doc, {"Cache-Control": LATEST})

    return cached(request, store, build)


def _snapshot_entry(request: Request, store: SqlStore, info: SnapshotInfo,
                    region: str | None, status: list[str] | None, simplify: float | None,
                    cache_control: str, extra: dict | None = None,
                    more: dict[str, str] | None = None):
    """The revision as GeoJSON; `extra` members (data_through/stale_days only for a date
    past the newest snapshot, so that a dated answer stays byte-identical to its canonical
    revision; `more` headers say it always)."""
    st = params.statuses(status)
    tol = params.simplify(simplify)
    reg = lookup.resolve_region(store, region, info.date) if region else None
    body = snapshot_geojson(store, info, reg, st, tol, extra)
    canonical = _canonical(info, region, st, tol)
    headers = {"Cache-Control": cache_control, "Content-Location": canonical,
               "Link": f'<{canonical}>; rel="canonical"',
               **credit_headers(info.source, info.illustrative), **(more or {})}
    return make_entry(body, GEOJSON, headers)


def _canonical(info: SnapshotInfo, region: str | None, st: list[str] | None,
               tol: float | None) -> str:
    q = [("region", region)] if region else []
    q += [("status", s) for s in st or []]
    if tol:
        q.append(("simplify", f"{tol:g}"))
    return f"/v1/snapshots/revisions/{info.id}" + (f"?{urlencode(q)}" if q else "")


@router.get("/snapshots/revisions/{snapshot_id}", responses={
    **documented(GEOJSON_RESPONSE, *CREDIT), 308: {
                "description": "a revision merged into another (the same claim, migration "
                "0013): `Location` is this URL with the kept revision's id"}},
            dependencies=[heavy_when("region", "simplify")],
            summary="One snapshot revision (canonical, immutable URL)",
            description="A stored revision never changes: unclipped responses are "
            "`Cache-Control: immutable`; clipped ones are cached for a day (boundaries can be "
            "re-imported).")
def snapshot_revision(request: Request, store: StoreDep,
                      snapshot_id: Annotated[int, Path(ge=values.SNAPSHOT_ID.lo,
                                                       le=values.SNAPSHOT_ID.hi, examples=[1])],
                      region: RegionQ = None, status: StatusQ = None,
                      simplify: SimplifyQ = None) -> Response:
    def build():
        info = store.snapshot(snapshot_id)
        policy = IMMUTABLE if not region else "public, max-age=86400"
        # immutable: the data it holds runs to its own moment, whatever came later
        return _snapshot_entry(request, store, info, region, status, simplify, policy,
                               more=data_headers({"data_through": iso(info.valid_at)},
                                                 info.source, info.illustrative))

    return cached(request, store, build)


@router.get("/snapshots/{day}", responses=documented(GEOJSON_RESPONSE, *AGED),
            dependencies=[heavy_when("region", "simplify")],
            summary="The control zones on a date (or `latest`) as GeoJSON",
            description="The state on a date D is the latest revision valid by the end of D. "
            "`Content-Location`/`Link rel=canonical` name the revision's immutable URL; "
            "dated responses are cached 5 minutes, `latest` 1 minute (a later revision for "
            "the same day can still arrive).")
def snapshot_on(request: Request, store: StoreDep, settings: SettingsDep,
                day: Annotated[str, Path(description="YYYY-MM-DD, an ISO date-time or `latest`",
                                         examples=["2025-06-30"])],
                source: SourceQ = None,
                as_of: Annotated[str | None, Query(description="what was known at this time",
                                                   examples=["2025-07-01T00:00:00Z"])] = None,
                region: RegionQ = None, status: StatusQ = None,
                simplify: SimplifyQ = None) -> Response:
    on = None if day == "latest" else params.day_or_instant(day, "date")
    known = params.instant(as_of, "as_of") if as_of else None

    def build():
        src = source_of(store, settings, source)
        coverage.check_day(store, src, on, "date")
        info = store.resolve(src, on, known)
        fresh = coverage.freshness(store, src, on)
        return _snapshot_entry(request, store, info, region, status, simplify,
                               LATEST if on is None else DATED,
                               fresh if fresh["stale_days"] else None,
                               {**data_headers(fresh, src, info.illustrative),
                                **age_header(info, on)})

    return cached(request, store, build, dates.today_part(on))
