"""`GET /feeds/changes.atom`: an Atom feed of the settlements that changed hands, per region and
source (frontwatch.feed builds it). Parameters are checked like every route's (unknown ones
are a 400 naming them, so made-up parameters cannot multiply cache entries); the document is
built once per data version and URL and served from the response cache."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from frontwatch import analytics, dates, feed, lookup
from frontwatch.api import deps
from frontwatch.api.cache import make_entry
from frontwatch.api.deps import SettingsDep, StoreDep
from frontwatch.api.headers import AGED, documented
from frontwatch.api.heavy import heavy_when
from frontwatch.api.respond import DATED, cached, credit_headers
from frontwatch.api.routes.common import SourceQ, age_header, newest_headers, source_of

ATOM = "application/atom+xml; charset=utf-8"

router = APIRouter(prefix="/feeds", tags=["feeds"], dependencies=deps.READ)


@router.get(
    "/changes.atom", summary="Atom feed: settlements that changed hands",
    dependencies=[heavy_when("near_front_km")], response_class=Response,
    responses=documented({200: {"content": {"application/atom+xml": {}}}}, *AGED),
    description=f"One entry per settlement whose status changed (from → to, date, "
    f"population, a link to the map of that date centred on it) over the last "
    f"{feed.WINDOW_DAYS} days of the source's data; with `near_front_km`, also one per place "
    f"the front line came within that distance of over the last {feed.NEAR_FRONT_DAYS} days. "
    f"Newest first, at most {feed.MAX_ENTRIES} entries; `updated` is the revision's time.")
def changes_feed(request: Request, store: StoreDep, settings: SettingsDep,
                 region: Annotated[str | None, Query(
                     description="only places in this region (any level: donbas, an oblast, "
                     "raion or hromada)", examples=["donetsk-oblast"])] = None,
                 source: SourceQ = None,
                 near_front_km: Annotated[float | None, Query(
                     ge=0, le=100, description="also the places the front came within this "
                     "distance (km) of", examples=[10])] = None) -> Response:
    def build():
        src = source_of(store, settings, source)
        newest = store.resolve(src, None)
        r = lookup.resolve_region(store, region, newest.date) if region else None
        wanted = None
        if r is not None and near_front_km is not None:
            wanted = {p.slug for p in analytics.places_in_region(store, r, newest.date)}
        items, newest = feed.entries(store, src, region=r.slug if r else None,
                                     near_front_km=near_front_km, wanted=wanted)
        where = r.name_en if r else "Ukraine"
        near = (f" and places the front came within {near_front_km:g} km of"
                if near_front_km is not None else "")
        body = feed.atom(
            items, newest, base_url=str(request.base_url), self_url=str(request.url),
            title=f"Frontwatch: settlements that changed hands, {where} ({src})",
            subtitle=f"Settlements whose status changed{near}, newest first, from the "
            f"{src} data through {newest.date.isoformat()}",
            feed_key=(src, r.slug if r else "", near_front_km))
        return make_entry(body, ATOM, {"Cache-Control": DATED,
                                       **newest_headers(store, src),
                                       **credit_headers(src, newest.illustrative),
                                       **age_header(newest, None)})  # its newest, today

    return cached(request, store, build, dates.today_part(None))
