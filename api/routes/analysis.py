"""Analytics endpoints under /v1: area series, diffs and the front line.
The figures come from frontwatch.analytics; this module only parses, shapes and caches."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api import params
from api.cache import make_entry
from api.deps import SettingsDep, StoreDep
from api.respond import DATED, GEOJSON, cached, credit, credit_headers, json_entry
from api.routes.common import GEOJSON_RESPONSE, DateQ, FromQ, RegionQ, SourceQ, ToQ, source_of
from frontwatch import analytics, lookup
from frontwatch.errors import InputError
from frontwatch.geojson import feature_collection
from frontwatch.model import SnapshotInfo
from frontwatch.store.base import SqlStore, iso

router = APIRouter(prefix="/v1", tags=["v1"])

AREA_STATUSES = ("occupied", "contested", "ukrainian")


def _span(store: SqlStore, src: str, start: date | None, end: date | None
          ) -> tuple[date, date, SnapshotInfo]:
    """Default interval: the source's whole history; returns the latest revision in it too."""
    last = store.resolve(src, end)
    if start is None:
        start = store.snapshots(src)[0].date
    return start, end or last.date, last


@router.get("/areas", summary="Area time series of a region (km² and %)",
            description="Daily series (state carried forward across days without a snapshot) "
            "of occupied, contested and Ukrainian-held km² and % of the region, with "
            "day-on-day change and 7/30-day rates. `status` keeps only those columns. "
            "`format=csv` for spreadsheets.",
            responses={200: {"content": {"application/json": {}, "text/csv": {}}}})
def areas(request: Request, store: StoreDep, settings: SettingsDep,
          region: Annotated[str, Query(description="region name, code or slug",
                                       examples=["donetsk-oblast"])] = "donbas",
          start: FromQ = None, end: ToQ = None,
          status: Annotated[list[str] | None, Query(
              description="occupied, contested, ukrainian (repeat or comma-separate)",
              examples=[["occupied"]])] = None,
          source: SourceQ = None,
          format: Annotated[Literal["json", "csv"], Query(description="json or csv")] = "json"
          ) -> Response:
    a, b = params.interval(start, end)
    wanted = _area_statuses(status)

    def build():
        src = source_of(store, settings, source)
        first, last, info = _span(store, src, a, b)
        reg = lookup.resolve_region(store, region, last)
        frame = analytics.series(store, reg, first, last, src)
        keep = [c for c in frame.columns
                if not any(c.startswith(s) for s in AREA_STATUSES)
                or any(c.startswith(s) for s in wanted)]
        frame = frame[keep]
        headers = {"Cache-Control": DATED, **credit_headers(src, info.illustrative)}
        if format == "csv":
            headers["Content-Disposition"] = f'inline; filename="areas-{reg.slug}.csv"'
            return make_entry(frame.to_csv(index=False).encode(), "text/csv; charset=utf-8",
                              headers)
        doc = {"region": reg.slug, "region_name": reg.name_en, "source": src,
               "from": first.isoformat(), "to": last.isoformat(), "columns": list(frame.columns),
               "series": _records(frame)}
        return json_entry(credit(doc, src, info.illustrative), headers)

    return cached(request, store, build)


def _area_statuses(values: list[str] | None) -> list[str]:
    out = [v.strip().lower() for raw in values or [] for v in raw.split(",") if v.strip()]
    for v in out:
        if v not in AREA_STATUSES:
            raise InputError(f"status={v!r}: choose from {', '.join(AREA_STATUSES)}")
    return out or list(AREA_STATUSES)


def _records(frame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-ready dicts (dates as ISO text, NaN as null)."""
    return orjson.loads(frame.to_json(orient="records", date_format="iso", double_precision=6))


@router.get("/diff", responses=GEOJSON_RESPONSE,
            summary="What changed between two dates (GeoJSON + summary)",
            description="Polygons gained and lost by each side inside the region, ranked by "
            "size and described by the nearest place, plus totals and the places whose status "
            "changed (members `summary` and `places_changed`).")
def diff(request: Request, store: StoreDep, settings: SettingsDep,
         start: Annotated[str, Query(alias="from", description="earlier date",
                                     examples=["2025-06-01"])],
         end: Annotated[str, Query(alias="to", description="later date",
                                   examples=["2025-06-30"])],
         region: RegionQ = None, source: SourceQ = None,
         min_km2: Annotated[float, Query(ge=0, le=1e6, description="drop smaller pieces",
                                         examples=[0.01])] = 0.01) -> Response:
    a, b = params.interval(start, end)

    def build():
        src = source_of(store, settings, source)
        info = store.resolve(src, b)
        reg = lookup.resolve_region(store, region, b) if region else None
        result = analytics.diff(store, reg, a, b, src, min_km2)
        meta = credit({"summary": result.summary, "places_changed": result.places_changed},
                      src, info.illustrative)
        body = feature_collection(result.features, meta)
        return make_entry(body, GEOJSON, {"Cache-Control": DATED,
                                          **credit_headers(src, info.illustrative)})

    return cached(request, store, build)


@router.get("/frontline", responses=GEOJSON_RESPONSE,
            summary="The front line on a date and its length",
            description="A FeatureCollection with one MultiLineString feature (properties "
            "`date`, `length_km`, geodesic on WGS84); `date` defaults to the latest.")
def frontline(request: Request, store: StoreDep, settings: SettingsDep,
              on: DateQ = None, source: SourceQ = None) -> Response:
    d = params.day(on, "date") if on else None

    def build():
        src = source_of(store, settings, source)
        info = store.resolve(src, d)
        day = d or info.date
        line, km = analytics.frontline(store, day, src)
        props = {"date": day.isoformat(), "length_km": round(float(km), 3), "source": src,
                 "snapshot_id": info.id, "valid_at": iso(info.valid_at)}
        meta = credit({"date": day.isoformat(), "length_km": props["length_km"]}, src,
                      info.illustrative)
        return make_entry(feature_collection([(line, props)], meta, [day.isoformat()]),
                          GEOJSON, {"Cache-Control": DATED,
                                    **credit_headers(src, info.illustrative)})

    return cached(request, store, build)
