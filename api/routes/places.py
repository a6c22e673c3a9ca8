"""Places under /v1: the gazetteer, one place with its status and distance to the front, its
status timeline, and `near_front_km` (places within a distance of the front line)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from frontwatch import analytics, coverage, dates, lookup
from frontwatch.analytics import placestatus
from frontwatch.api import deps, params
from frontwatch.api.deps import SettingsDep, StoreDep
from frontwatch.api.headers import AGED, RANGED, documented
from frontwatch.api.heavy import heavy_when
from frontwatch.api.respond import DATED, ORJSON_OPTS, cached, credit, json_entry
from frontwatch.api.routes.analysis import TABLE_RESPONSE, FormatQ, _table_entry
from frontwatch.api.routes.common import (
    DateQ,
    FromQ,
    SourceQ,
    ToQ,
    age_header,
    data_headers,
    place_row,
    range_headers,
    source_of,
)
from frontwatch.model import PLACES_CREDIT, SnapshotInfo
from frontwatch.precision import KM
from frontwatch.settings import Settings
from frontwatch.store.base import SqlStore

router = APIRouter(prefix="/v1", tags=["v1"], dependencies=deps.READ)
Slug = Annotated[str, Path(description="slug or name (en/uk)", examples=["kramatorsk"])]


@router.get("/places", summary="Settlements of the gazetteer", responses=documented({}, *AGED),
            dependencies=[heavy_when("near_front_km")],
            description="Names as of `date` (a renamed place appears under its name of the "
            "day). `near_front_km` keeps the places within that distance of the front line "
            "on `date` (default: latest), nearest first, with `status` and `distance_km`.")
def list_places(request: Request, store: StoreDep, settings: SettingsDep, on: DateQ = None,
                region: Annotated[str | None, Query(
                    description="region of any level (group, oblast, raion, hromada)",
                    examples=["donbas"])] = None,
                near_front_km: Annotated[float | None, Query(
                    ge=0, le=1000, description="only places within this distance (km) of "
                    "the front line", examples=[10])] = None,
                source: SourceQ = None) -> Response:
    d = params.day(on, "date") if on else None

    def build():
        places = (analytics.places_in_region(store, region, d) if region
                  else store.places(d))
        rows = [place_row(p) for p in places]
        doc: dict[str, Any] = {"attribution": PLACES_CREDIT}
        headers = {"Cache-Control": DATED}
        if near_front_km is not None:
            src = source_of(store, settings, source)
            coverage.check_day(store, src, d, "date")
            info = store.resolve(src, d)
            day = d or info.date
            wanted = {p.slug for p in places}
            near = analytics.places_near_front(store, near_front_km, day, src)
            rows = [r for r in _plain(near) if r["slug"] in wanted]
            doc = credit({"date": day.isoformat(), "near_front_km": near_front_km,
                          "source": src, "snapshot_id": info.id,
                          **coverage.freshness(store, src, d)}, src, info.illustrative)
            doc["places_attribution"] = PLACES_CREDIT
            headers.update({**data_headers(doc, src, info.illustrative),
                            **age_header(info, d)})
        return json_entry({"places": rows, "count": len(rows), **doc}, headers)

    return cached(request, store, build,
                  dates.today_part(d) if near_front_km is not None else None)


def _plain(rows: list[dict]) -> list[dict[str, Any]]:
    """numpy scalars and the like → JSON types (the rows go through orjson once)."""
    return orjson.loads(orjson.dumps(rows, option=ORJSON_OPTS))


@router.get("/places/changes", summary="Settlements whose status changed between two dates",
            responses=TABLE_RESPONSE,
            description="Every change of status (occupied, contested, ukrainian) made on any "
            "day from `from` through `to` (measured from the state at the end of the day "
            "before `from`; default: the source's whole history), "
            "oldest first: the place (names, KATOTTG code, oblast/raion/hromada, population, "
            "point), `from_status` → `to_status`, the revision's `date` and `snapshot_id`, "
            "the distance from the place to that revision's front line, and the shares of "
            "its outline where it has one (`rule` says how they decide). A table read, "
            "computed at import. `format=csv` for spreadsheets.")
def place_changes(request: Request, store: StoreDep, settings: SettingsDep,
                  start: FromQ = None, end: ToQ = None,
                  region: Annotated[str | None, Query(
                      description="only places inside this region (any level)",
                      examples=["donetsk-oblast"])] = None,
                  source: SourceQ = None, format: FormatQ = "json") -> Response:
    a, b = params.interval(start, end)

    def build():
        src = source_of(store, settings, source)
        span = coverage.span(store, src, dates.DayRange(a, b))  # never past the data
        info = store.resolve(src, span.end)
        reg = lookup.resolve_region(store, region, span.end) if region else None
        items = placestatus.changes(store, *span.bounds, region=reg, source=src)
        doc = {"source": src, "region": reg.slug if reg else None, **span.members(),
               "count": len(items), "rule": placestatus.RULE,
               "places_attribution": PLACES_CREDIT}
        name = f"place-changes-{reg.slug if reg else 'all'}"
        return _table_entry(placestatus.changes_frame(items), doc, format, name, info, span)

    return cached(request, store, build, dates.today_part(b))


@router.get("/places/{slug}", summary="One settlement, its status and distance to the front",
            responses=documented({}, *AGED),
            description="The place as named on `date`, with `status` (occupied, contested or "
            "ukrainian) and `distance_to_front_km` on that date (default: the latest).")
def get_place(request: Request, store: StoreDep, settings: SettingsDep, slug: Slug,
              on: DateQ = None, source: SourceQ = None) -> Response:
    d = params.day(on, "date") if on else None

    def build():
        place = lookup.resolve_place(store, slug, d)
        situation, info = _situation(store, settings, place, d, source)
        doc = {**place_row(place), **situation, "places_attribution": PLACES_CREDIT}
        return json_entry(doc, {"Cache-Control": DATED,
                                **data_headers(situation, info.source, info.illustrative),
                                **age_header(info, d)})

    return cached(request, store, build, dates.today_part(d))


def _situation(store: SqlStore, settings: Settings, place, on: date | None,
               source: str | None) -> tuple[dict[str, Any], SnapshotInfo]:
    """A place's status and distance to the front on `on`, and the revision they are of."""
    src = source_of(store, settings, source)
    coverage.check_day(store, src, on, "date")
    info = store.resolve(src, on)
    day = on or info.date
    doc = {"date": day.isoformat(), "source": src,
           "status": analytics.place_status(store, place, day, src),
           "distance_to_front_km": round(float(analytics.distance_to_front_km(
               store, place, day, src)), KM), **coverage.freshness(store, src, on)}
    return credit(doc, src, info.illustrative), info


@router.get("/places/{slug}/timeline", summary="A place's status periods over time",
            responses=documented({}, *RANGED),
            description="Periods of constant status (occupied, contested, ukrainian), oldest "
            "first; `end` null means it still holds.")
def place_timeline(request: Request, store: StoreDep, settings: SettingsDep, slug: Slug,
                   start: FromQ = None, end: ToQ = None, source: SourceQ = None) -> Response:
    a, b = params.interval(start, end)

    def build():
        src = source_of(store, settings, source)
        span = coverage.span(store, src, dates.DayRange(a, b))  # never past the data
        info = store.resolve(src, span.end)
        place = lookup.resolve_place(store, slug, span.end)
        # an open end stays open (`end: null` = still holds, up to data_through)
        periods = analytics.place_timeline(store, place, a and span.start, b and span.end, src)
        doc = {"place": place_row(place), "source": src, **span.members(),
               "timeline": _plain(periods)}
        return json_entry(credit(doc, src, info.illustrative),
                          {"Cache-Control": DATED, **range_headers(span, info)})

    return cached(request, store, build, dates.today_part(b))
