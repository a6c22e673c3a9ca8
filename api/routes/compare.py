"""Comparing two sources under /v1: the figures on a date or over a range (json|csv), and the
pieces they disagree on (GeoJSON). The figures come from frontwatch.analytics.compare."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from frontwatch import coverage, dates, values
from frontwatch.analytics import compare as cmp
from frontwatch.analytics import lag as lag_mod
from frontwatch.api import deps, params
from frontwatch.api.cache import make_entry
from frontwatch.api.deps import StoreDep
from frontwatch.api.headers import AGED, documented
from frontwatch.api.heavy import HEAVY, on_render_threads
from frontwatch.api.respond import DATED, GEOJSON, cached, csv_entry, json_entry
from frontwatch.api.routes.analysis import TABLE_RESPONSE, FormatQ
from frontwatch.api.routes.common import (
    GEOJSON_RESPONSE,
    FromQ,
    RegionQ,
    ToQ,
    ages_header,
    clamp_header,
    data_headers,
)
from frontwatch.errors import InputError, echo

# every route here computes (or reads many precomputed pairs): all take a heavy slot
router = APIRouter(prefix="/v1", tags=["v1"], dependencies=[*deps.READ, HEAVY])

SourcesQ = Annotated[str, Query(description="two sources, comma-separated",
                                examples=["deepstate,nzz"])]
LayerQ = Annotated[str, Query(description="since-2022 (ground taken since 24 Feb 2022, the "
                              "layer both DeepStateMap and NZZ cover) or all",
                              examples=["since-2022"])]


def _layer(layer: LayerQ = cmp.SINCE_2022) -> str:
    """The occupied layer to compare, refused (400) before any work when unknown."""
    if layer not in cmp.LAYERS:
        raise InputError(f"layer={echo(layer)}: choose from {', '.join(cmp.LAYERS)}")
    return layer


Layer = Annotated[str, Depends(_layer)]
OnQ = Annotated[str | None, Query(alias="date", description="one date (YYYY-MM-DD)",
                                  examples=["2025-06-01"])]
StepQ = Annotated[int, Query(ge=values.STEP_DAYS.lo, le=values.STEP_DAYS.hi,
                             description="days between sampled dates", examples=[7])]


def _headers(doc: dict, pair: tuple[str, str]) -> dict[str, str]:
    """Both sources' credits and, as every data answer, the newest data it holds (the
    earlier of the two sources' newest snapshots: `data_through` of `doc`); on one date,
    the older revision's age (X-Snapshot-Age-Days; a series has them per row)."""
    return {"Cache-Control": DATED, **data_headers(doc, pair),
            **ages_header(s["age_days"] for s in doc.get("sources", []) if "age_days" in s)}


@router.get("/compare", responses=TABLE_RESPONSE,
            summary="Where two sources agree: km² by each, by both, by one, agreement",
            description="On one `date`: km² each source calls occupied inside the region, "
            "km² both do, km² only one does, and their `agreement` (intersection over union, "
            "a fraction from 0 to 1 in JSON and CSV alike), "
            "with the revision of each source used and its date, and the disagreement "
            "pieces' descriptions (their polygons: /v1/compare/pieces). With `from`/`to` "
            "(and `step`, days): the same figures on each sampled date, the range cut to "
            "the days both sources cover (`clamped` and header `X-Range-Clamped` when `to` "
            "was after the earlier of their newest snapshots). Only the occupied "
            "`layer` is compared, on the same ground for both (default since-2022); the grey "
            f"zone never is. At most {cmp.MAX_PAIRS} distinct pairs of revisions per request "
            "(400 naming `step` otherwise). `format=csv` for spreadsheets.")
@on_render_threads
def compare(request: Request, store: StoreDep, sources: SourcesQ = "deepstate,nzz",
            region: RegionQ = None, on: OnQ = None, start: FromQ = None, end: ToQ = None,
            step: StepQ = 7, layer: Layer = cmp.SINCE_2022,
            format: FormatQ = "json") -> Response:
    d = params.day(on, "date") if on else None
    a, b = params.interval(start, end)
    if (d is None) == (a is None and b is None):
        raise InputError("date: give either date=D or from=D1&to=D2 (not both, not neither)")
    if d is None and (a is None or b is None):
        raise InputError(f"{'from' if a is None else 'to'}: a range needs both from and to")

    def build():
        pair = cmp.parse_sources(sources, store.sources())
        coverage.check_day(store, pair, d, "date")
        if d is not None and format == "json":
            res = cmp.compare(store, pair, region, d, layer)
            return json_entry({"summary": res.summary,
                               "pieces": [p for _, p in res.features]},
                              _headers(res.summary, pair))
        if d is not None:  # one date as CSV: the one row of a series on that date
            rows, doc = cmp.compare_series(store, pair, region, d, d, 1, layer)
            return _csv(pd.DataFrame(rows), f"compare-{doc['region']}-{d}", doc, pair)
        span = coverage.span(store, pair, dates.DayRange(a, b))  # never past the data
        rows, doc = cmp.compare_series(store, pair, region, *span.bounds, step, layer)
        # the range as answered; stale_days: how far the `to` asked lies past the data
        doc.update({**span.members(), **coverage.freshness(store, pair, b)})
        headers = {**_headers(doc, pair), **clamp_header(span)}
        if format == "csv":
            return csv_entry(pd.DataFrame(rows), f"compare-{doc['region']}", headers)
        return json_entry({**doc, "columns": list(rows[0]), "series": rows}, headers)

    return cached(request, store, build)


def _csv(frame: pd.DataFrame, name: str, doc: dict, pair: tuple[str, str]):
    return csv_entry(frame, name, _headers(doc, pair))


@router.get("/compare/pieces", responses=documented(GEOJSON_RESPONSE, *AGED),
            summary="The ground two sources disagree on, as GeoJSON",
            description="Polygons inside the region that only one source calls occupied on "
            "`date` (property `claimed_by`: that source), ranked by km² and described by the "
            "nearest place, with the comparison's `summary` (figures, layer, revisions).")
@on_render_threads
def compare_pieces(request: Request, store: StoreDep,
                   on: Annotated[str, Query(alias="date", description="YYYY-MM-DD",
                                            examples=["2025-06-01"])],
                   sources: SourcesQ = "deepstate,nzz", region: RegionQ = None,
                   layer: Layer = cmp.SINCE_2022,
                   min_km2: Annotated[float, Query(
                       ge=values.MIN_KM2.lo, le=values.MIN_KM2.hi, description="drop smaller "
                       "pieces", examples=[0.01])] = 0.01
                   ) -> Response:
    d = params.day(on, "date")

    def build():
        pair = cmp.parse_sources(sources, store.sources())
        coverage.check_day(store, pair, d, "date")
        res = cmp.compare(store, pair, region, d, layer, min_km2)
        return make_entry(res.to_geojson(), GEOJSON, _headers(res.summary, pair))

    return cached(request, store, build)


@router.get("/compare/lag", responses=TABLE_RESPONSE,
            summary="Who showed it first: places and change pieces, with each source's lead",
            description="For the gazetteer places of `region` and the change pieces of at "
            "least `min_km2` km² (ground either source's map gained or lost from one revision "
            "to the next), the date each source first showed it occupied (or no longer "
            "occupied) between `from` and `to`, the lag in days (second source's date minus "
            "the first's) and, per source, how often it was first and its median lead. "
            f"At most {lag_mod.MAX_DAYS} days. `format=csv`: one row per place or piece "
            "(column `kind`).")
@on_render_threads
def compare_lag(request: Request, store: StoreDep,
                region: Annotated[str, Query(description="region name, code or slug",
                                             examples=["donetsk-oblast"])],
                start: Annotated[str, Query(alias="from", description="first day",
                                            examples=["2025-05-01"])],
                end: Annotated[str, Query(alias="to", description="last day",
                                          examples=["2025-06-30"])],
                sources: SourcesQ = "deepstate,nzz", layer: Layer = cmp.SINCE_2022,
                min_km2: Annotated[float, Query(
                    ge=values.MIN_CHANGE_KM2.lo, le=values.MIN_CHANGE_KM2.hi,
                    description="smallest change piece followed (km²)", examples=[1.0])] = 1.0,
                format: FormatQ = "json") -> Response:
    a, b = params.interval(start, end, required=True)

    def build():
        pair = cmp.parse_sources(sources, store.sources())
        res = lag_mod.lag(store, pair, region, a, b, layer, min_km2)
        res.pop("piece_features")
        if format == "csv":
            return _csv(lag_mod.table(res, pair), f"compare-lag-{res['region']}", res, pair)
        return json_entry(res, _headers(res, pair))

    return cached(request, store, build)
