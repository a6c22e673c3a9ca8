"""Analytics endpoints under /v1: area series, diffs and the front line.
The figures come from frontwatch.analytics; this module only parses, shapes and caches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from frontwatch import analytics, coverage, dates, lookup, values
from frontwatch.analytics.changes import diff_geojson
from frontwatch.analytics.front import line_of
from frontwatch.api import deps, params
from frontwatch.api.cache import make_entry
from frontwatch.api.deps import SettingsDep, StoreDep
from frontwatch.api.headers import AGED, RANGED, documented
from frontwatch.api.heavy import HEAVY, offload, on_render_threads
from frontwatch.api.respond import (
    DATED,
    GEOJSON,
    cached,
    credit,
    csv_entry,
    json_entry,
)
from frontwatch.api.routes.common import (
    GEOJSON_RESPONSE,
    DateQ,
    FromQ,
    RegionQ,
    SourceQ,
    ToQ,
    age_header,
    data_headers,
    range_headers,
    source_of,
)
from frontwatch.errors import InputError
from frontwatch.geojson import feature_collection
from frontwatch.model import Region, SnapshotInfo
from frontwatch.precision import KM, round_table, round_values
from frontwatch.settings import Settings
from frontwatch.sources import remainder_note
from frontwatch.store.base import SqlStore, iso

router = APIRouter(prefix="/v1", tags=["v1"], dependencies=deps.READ)

AREA_STATUSES = ("occupied", "contested", "ukrainian")
# Lengths are measured at import; a revision the table lacks (a store from before it, until
# `frontwatch stats rebuild`) costs ~40–250 ms to measure: 400 bounds such a request.
MAX_FRONT_LINES = 400
# Sampled dates carried forward cost no geometry, only rows: ten years of days.
MAX_SAMPLED_DATES = 3660
SeriesRegionQ = Annotated[str, Query(description="region name, code or slug",
                                     examples=["donetsk-oblast"])]
FormatQ = Annotated[Literal["json", "csv"], Query(description="json or csv", examples=["csv"])]
TABLE_RESPONSE: dict[int | str, dict[str, Any]] = documented({
    200: {"content": {"application/json": {}, "text/csv": {}}}}, *RANGED)


def _heavy_get(path: str, summary: str, description: str,
               responses: dict[int | str, dict[str, Any]] = TABLE_RESPONSE
               ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a GET route whose work is CPU-heavy (a diff, a front line, a table over a
    range): it holds a heavy-job slot (HEAVY: 503 with Retry-After when they are all taken)
    and runs on the render threads, off the event loop."""
    def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        return router.get(path, responses=responses, dependencies=[HEAVY], summary=summary,
                          description=description)(on_render_threads(endpoint))

    return register


def _span(store: SqlStore, src: str, start: date | None, end: date | None
          ) -> tuple[coverage.Span, SnapshotInfo]:
    """The range clamped to the source's data (default: its whole history), and the latest
    revision in it."""
    span = coverage.span(store, src, dates.DayRange(start, end))
    return span, store.resolve(src, span.end)


@router.get("/areas", summary="Area time series of a region (km² and %)",
            description="Daily series (state carried forward across days without a snapshot) "
            "of occupied, contested and Ukrainian-held km² and % of the region, with "
            "day-on-day change and 7/30-day rates. `status` keeps only those columns. "
            "`format=csv` for spreadsheets. `note` (header `X-Data-Note`) says what "
            "`ukrainian` means when the source maps only ground taken since 24 Feb 2022 "
            "(NZZ): the rest of the region, not Ukrainian-held; null otherwise.",
            responses=documented(TABLE_RESPONSE, "X-Data-Note"))
def areas(request: Request, store: StoreDep, settings: SettingsDep,
          region: SeriesRegionQ = "donbas", start: FromQ = None, end: ToQ = None,
          status: Annotated[list[str] | None, Query(
              description="occupied, contested, ukrainian (repeat or comma-separate)",
              examples=[["occupied"]])] = None,
          source: SourceQ = None, format: FormatQ = "json") -> Response:
    a, b = params.interval(start, end)
    wanted = params.statuses(status, choices=AREA_STATUSES) or AREA_STATUSES

    def compute(reg: Region, first: date, last: date, src: str):
        frame = analytics.series(store, reg, first, last, src)
        keep = [c for c in frame.columns
                if not any(c.startswith(s) for s in AREA_STATUSES)
                or any(c.startswith(s) for s in wanted)]
        # what `ukrainian` means for a source mapping only ground taken since 2022 (NZZ)
        return frame[keep], {"note": remainder_note(src)}

    return cached(request, store, lambda: _region_table(
        store, settings, source, region, a, b, "areas", format, compute), dates.today_part(b))


def _region_table(store: SqlStore, settings: Settings, source: str | None, region: str,
                  a: date | None, b: date | None, name: str, format: str,
                  compute: Callable[[Region, date, date, str], tuple[Any, dict[str, Any]]]):
    """A table about one region over [a, b] (default: the source's whole history):
    `compute(region, first, last, source)` gives the frame and any extra members."""
    src = source_of(store, settings, source)
    span, info = _span(store, src, a, b)
    reg = lookup.resolve_region(store, region, span.end)
    frame, extra = compute(reg, span.start, span.end, src)
    doc = {"region": reg.slug, "region_name": reg.name_en, "source": src, **span.members(),
           **extra}
    return _table_entry(frame, doc, format, f"{name}-{reg.slug}", info, span)


def _table_entry(frame, doc: dict[str, Any], format: str, name: str, info: SnapshotInfo,
                 span: coverage.Span):
    """A table-shaped answer: CSV (`name`.csv), or JSON `doc` + `columns` + `series` (one
    object per row); credited to the source of `info`, the latest revision it shows. Its
    range (clamped to the data) is in the headers too, for CSV readers."""
    headers = {"Cache-Control": DATED, **range_headers(span, info)}
    if doc.get("note"):  # for CSV readers, who never see the JSON member
        headers["X-Data-Note"] = doc["note"]
    frame = round_table(frame)
    if format == "csv":
        return csv_entry(frame, name, headers)
    doc = {**doc, **coverage.newest_members(info, span), "columns": list(frame.columns),
           "series": _records(frame)}
    return json_entry(credit(doc, info.source, info.illustrative), headers)


def _records(frame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-ready dicts (days as plain YYYY-MM-DD, NaN as null)."""
    if "date" in frame.columns:
        frame = frame.assign(date=[str(d)[:10] for d in frame["date"]])
    return orjson.loads(frame.to_json(orient="records", double_precision=6))


@_heavy_get("/diff", responses=documented(GEOJSON_RESPONSE, *AGED),
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
         min_km2: Annotated[float, Query(ge=values.MIN_KM2.lo, le=values.MIN_KM2.hi,
                                         description="drop smaller pieces",
                                         examples=[0.01])] = 0.01) -> Response:
    a, b = params.interval(start, end, required=True)

    def build():
        src = source_of(store, settings, source)
        coverage.check_day(store, src, a, "from")  # in order: `from` is the one before
        info = store.resolve(src, b)
        meta = credit(coverage.freshness(store, src, b), src, info.illustrative)
        body = offload(request, store, diff_geojson, region, a, b, src, min_km2, meta)
        return make_entry(body, GEOJSON, {"Cache-Control": DATED, **data_headers(
            meta, src, info.illustrative), **age_header(info, b)})

    return cached(request, store, build)


@_heavy_get("/frontline", responses=documented(GEOJSON_RESPONSE, *AGED),
            summary="The front line on a date and its length",
            description="A FeatureCollection with one MultiLineString feature (properties "
            "`date`, `length_km`, geodesic on WGS84); `date` defaults to the latest.")
def frontline(request: Request, store: StoreDep, settings: SettingsDep,
              on: DateQ = None, source: SourceQ = None) -> Response:
    d = params.day(on, "date") if on else None

    def build():
        src = source_of(store, settings, source)
        coverage.check_day(store, src, d, "date")
        info = store.resolve(src, d)
        day = d or info.date
        line, km = line_of(store, info)  # the revision just resolved: no second lookup
        fresh = coverage.freshness(store, src, d)
        props = {"date": day.isoformat(), "length_km": round(float(km), KM), "source": src,
                 "snapshot_id": info.id, "valid_at": iso(info.valid_at), **fresh}
        meta = credit({"date": day.isoformat(), "length_km": props["length_km"], **fresh},
                      src, info.illustrative)
        return make_entry(feature_collection([(line, props)], meta, [day.isoformat()]),
                          GEOJSON, {"Cache-Control": DATED,
                                    **data_headers(fresh, src, info.illustrative),
                                    **age_header(info, d)})

    return cached(request, store, build, dates.today_part(d))


@_heavy_get("/changelog",
            summary="Daily change log of a region (km² gained and lost per day)",
            description="One row per day on which the source published a new state: km² "
            "gained and lost by the occupied area and by the grey zone (contested) inside the "
            "region, against the day before, and the occupied net change. Days without a new "
            "snapshot are left out; `from` starts at 00:00 UTC, so the rows add up to the "
            "change of `/v1/areas` from the day before `from` to `to`, and `totals` holds "
            "those sums. `from`/`to` default to the "
            "source's whole history. The figures are precomputed at import (a table read). "
            "`format=csv` for spreadsheets.")
def changelog(request: Request, store: StoreDep, settings: SettingsDep,
              region: SeriesRegionQ = "donbas", start: FromQ = None, end: ToQ = None,
              source: SourceQ = None, format: FormatQ = "json") -> Response:
    a, b = params.interval(start, end)

    def compute(reg: Region, first: date, last: date, src: str):
        frame = analytics.changelog(store, reg, first, last, src)
        return frame, {"totals": round_values({c: float(frame[c].sum())
                                               for c in frame.columns if c.endswith("_km2")})}

    return cached(request, store, lambda: _region_table(
        store, settings, source, region, a, b, "changelog", format, compute),
        dates.today_part(b))


@_heavy_get("/frontline/series",
            summary="Length of the front line over time",
            description="The geodesic length (km) of the front line on `from`, `from + step`, "
            "… up to `to` (default: the source's whole history, weekly), with the revision "
            "in force on each date; dates on the same revision share its line. Lengths are "
            "measured at import, so a series is a table read; a request may sample at most "
            f"{MAX_SAMPLED_DATES:,} dates and measure at most {MAX_FRONT_LINES} revisions the "
            "table lacks (a store not yet rebuilt): larger ones are refused with a 400 naming "
            "`step` (raise it, or shorten the range). `format=csv` for spreadsheets.")
def frontline_series(request: Request, store: StoreDep, settings: SettingsDep,
                     start: FromQ = None, end: ToQ = None,
                     step: Annotated[int, Query(ge=values.STEP_DAYS.lo, le=values.STEP_DAYS.hi,
                                                description="days between sampled dates",
                                                examples=[7])] = 7,
                     source: SourceQ = None, format: FormatQ = "json") -> Response:
    a, b = params.interval(start, end)

    def build():
        src = source_of(store, settings, source)
        span, info = _span(store, src, a, b)
        first, last = span.bounds
        n = (last - first).days // step + 1
        if n > MAX_SAMPLED_DATES:
            raise InputError(f"step={step}: {first} to {last} samples {n:,} dates, more "
                             f"than the {MAX_SAMPLED_DATES:,} allowed; use a larger step or a "
                             "shorter range")
        frame = analytics.frontline_series(store, first, last, src, step,
                                           max_lines=MAX_FRONT_LINES)
        doc = {"source": src, **span.members(), "step": step,
               "lines": int(frame["snapshot_id"].nunique())}
        return _table_entry(frame, doc, format, f"frontline-{src}", info, span)

    return cached(request, store, build, dates.today_part(b))
