"""Map pages, static images, embedding (iframe snippet, oEmbed), charts and the local copies
of Leaflet. Thin: parse, call frontwatch.render, set headers. Map pages may be framed by any
site (they are made to be embedded); everything here is cacheable for a few minutes."""

from __future__ import annotations

import dataclasses
import hashlib
import html
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from frontwatch import lookup, render, values
from frontwatch.api import deps
from frontwatch.api.deps import StoreDep
from frontwatch.api.headers import RANGED, documented
from frontwatch.api.heavy import HEAVY, offload, on_render_threads
from frontwatch.api.problems import Problem
from frontwatch.api.routes.common import (
    age_header,
    clamp_header,
    newest_headers,
    range_clamp_header,
)
from frontwatch.errors import InputError, echo
from frontwatch.render import assets, embed
from frontwatch.render.scene import dated_title
from frontwatch.store.base import SqlStore

router = APIRouter(tags=["maps"], dependencies=deps.READ)
FRAMEABLE = {"Content-Security-Policy": "frame-ancestors *",
             "Cache-Control": "public, max-age=300"}


def map_query(
    day: str,
    source: str | None = None,
    as_of: str | None = None,
    region: Annotated[str | None, Query(description="region name, code or slug")] = None,
    place: Annotated[str | None, Query(description="centre the map on a place")] = None,
    radius_km: Annotated[str | None, Query(description="with place=: radius (15)")] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    compare: Annotated[str | None, Query(description="show changes since this date")] = None,
    start: Annotated[str | None, Query(alias="from", description="time-lapse start")] = None,
    to: Annotated[str | None, Query(description="time-lapse end (default: the date)")] = None,
    step: Annotated[str | None, Query(description="time-lapse step: 7, 7d, 2w, 1m")] = None,
    lang: Annotated[str | None, Query(description="en or uk")] = None,
    tiles: bool = False,
    compare_source: Annotated[str | None, Query(description="draw where this source and the "
                                                "map's differ (e.g. nzz)")] = None,
) -> render.MapQuery:
    return render.parse_query(day, source=source, as_of=as_of, region=region, place=place,
                              radius_km=radius_km, bbox=bbox, compare=compare, start=start,
                              end=to, step=step, lang=lang, tiles=tiles,
                              compare_source=compare_source)


Q = Annotated[render.MapQuery, Depends(map_query)]


def _source(request: Request, q: render.MapQuery) -> render.MapQuery:
    default = request.app.state.settings.source
    return q if q.source or not default else dataclasses.replace(q, source=default)


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def _send(request: Request, body: bytes, media_type: str, headers: dict[str, str]
          ) -> Response:
    tag = _etag(body)
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers={"ETag": tag, **headers})
    return Response(body, media_type=media_type, headers={"ETag": tag, **headers})


def _through(store: SqlStore, q: render.MapQuery) -> dict[str, str]:
    """X-Data-Through of a map: its source's newest snapshot (with compare_source, the
    earlier of the two sources' newest), as every dated data answer says it; a time-lapse
    cut to the data says so (X-Range-Clamped) like every clamped range; and
    X-Snapshot-Age-Days, the age of what it shows on its date (a time-lapse: its last
    frame's revision on the end asked for; two sources: the older)."""
    src = lookup.default_source(store, q.source)
    clamp = range_clamp_header(store, src, q.start, q.on) if q.timelapse else {}
    return {**newest_headers(store, [src, q.compare_source] if q.compare_source else src),
            **clamp, **age_header(render.scene.shown_snapshots(store, q), q.on)}


def _map_params(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k in embed.MAP_PARAMS}


@router.get("/maps/{day}.html", response_class=HTMLResponse, responses=documented({}, *RANGED),
            dependencies=[HEAVY],
            summary="Interactive map page (single date, compare=, or time-lapse from=&to=)")
@on_render_threads
def map_html(request: Request, q: Q, store: StoreDep) -> Response:
    q = _source(request, q)
    oembed_url = _oembed_url(request, str(request.url))
    page = offload(request, store, render.map_page, q, request.app.state.settings.assets,
                   oembed_url)
    return _send(request, page.encode(), "text/html; charset=utf-8",
                 {**FRAMEABLE, **_through(store, q)})


def _image(request: Request, q: render.MapQuery, store: SqlStore, fmt: str,
           width: str | None, height: str | None, dpi: str | None) -> Response:
    size = render.parse_size(width, height, dpi)
    q = _source(request, q)
    data = offload(request, store, render.map_image, q, fmt, size)
    return _send(request, data, "image/png" if fmt == "png" else "image/svg+xml",
                 {"Cache-Control": "public, max-age=300", **_through(store, q)})


@router.get("/maps/{day}.png", summary="Static map image (PNG), 1200×800 by default",
            dependencies=[HEAVY],
            response_class=Response,
            responses=documented({200: {"content": {"image/png": {}}}}, *RANGED))
@on_render_threads
def map_png(request: Request, q: Q, store: StoreDep, width: str | None = None,
            height: str | None = None, dpi: str | None = None) -> Response:
    return _image(request, q, store, "png", width, height, dpi)


@router.get("/maps/{day}.svg", summary="Static map image (SVG)", response_class=Response,
            dependencies=[HEAVY],
            responses=documented({200: {"content": {"image/svg+xml": {}}}}, *RANGED))
@on_render_threads
def map_svg(request: Request, q: Q, store: StoreDep, width: str | None = None,
            height: str | None = None, dpi: str | None = None) -> Response:
    return _image(request, q, store, "svg", width, height, dpi)


ChartRegion = Annotated[str, Query(description="region name, code or slug",
                                   examples=["donetsk-oblast"])]
ChartFrom = Annotated[str | None, Query(alias="from", description="first day (default: the "
                                        "source's first snapshot)", examples=["2025-01-01"])]
ChartTo = Annotated[str | None, Query(alias="to", description="last day (default: its "
                                      "latest)", examples=["2025-06-30"])]


@router.get("/charts/areas.{fmt}", summary="Chart of a region's occupied and contested km² "
            "over time, with the daily change (PNG or SVG, 1200×800 by default)",
            dependencies=[HEAVY],
            response_class=Response,
            responses=documented({200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
                                 *RANGED))
@on_render_threads
def chart_image(request: Request, store: StoreDep, fmt: Literal["png", "svg"],
                region: ChartRegion, start: ChartFrom = None, end: ChartTo = None,
                source: str | None = None,
                lang: Annotated[str | None, Query(description="en or uk")] = None,
                width: str | None = None, height: str | None = None, dpi: str | None = None
                ) -> Response:
    q = render.parse_chart_query(region, start=start, end=end, lang=lang,
                                 source=source or request.app.state.settings.source)
    data = offload(request, store, render.chart_image, q, fmt,
                   render.parse_size(width, height, dpi))
    span, newest = render.chart.drawn(store, q)
    return _send(request, data, "image/png" if fmt == "png" else "image/svg+xml",
                 {"Cache-Control": "public, max-age=300",
                  **newest_headers(store, newest.source), **clamp_header(span),
                  **age_header(newest, q.end)})


@router.get("/embed/{day}", response_class=HTMLResponse, responses=documented({}, *RANGED),
            summary="Copy-paste responsive iframe snippet for a map (with oEmbed discovery)")
def embed_snippet(request: Request, q: Q, store: StoreDep, width: str | None = None,
                  height: str | None = None) -> Response:
    w, h = render.parse_size(width, height or "600", None).pair
    q = _source(request, q)
    render.scene.resolve_snapshot(store, q)  # 404 now, not inside someone's article
    src = embed.map_page_url(str(request.base_url), request.path_params["day"],
                             _map_params(request))
    title = dated_title(store, q)
    discover = _oembed_url(request, str(request.url))
    link = (f'<link rel="alternate" type="application/json+oembed" '
            f'href="{html.escape(discover)}" title="{html.escape(title)}">')
    snippet = embed.iframe(src, title, w if width else None, h)
    return HTMLResponse(link + "\n" + snippet + "\n", headers={
        "Cache-Control": "public, max-age=300", **_through(store, q),
        "Link": f'<{discover}>; rel="alternate"; type="application/json+oembed"'})


def _oembed_url(request: Request, page_url: str) -> str:
    return f"{request.base_url}oembed?{urlencode({'url': page_url, 'format': 'json'})}"


def _oembed_max(value: str | None, name: str, least: int) -> int | None:
    return None if value in (None, "") else values.whole(value, name, least, 10**6)


@router.get("/oembed", responses=documented({}, *RANGED),
            summary="oEmbed 1.0 for map page URLs (JSON, type rich)")
def oembed(request: Request, store: StoreDep, url: str, format: str = "json",
           maxwidth: str | None = None, maxheight: str | None = None) -> Any:
    if format != "json":  # oEmbed 1.0: a format the provider does not offer is a 501
        raise Problem(501, f"query parameter 'format': {echo(format)} is not offered, only "
                      "json")
    mw = _oembed_max(maxwidth, "maxwidth", embed.MIN_WIDTH)
    mh = _oembed_max(maxheight, "maxheight", embed.MIN_HEIGHT)
    day, params, snippet = embed.page_of(url, request.url.netloc)
    q = _source(request, embed.query_from_params(day, params))
    render.scene.resolve_snapshot(store, q)
    want: tuple[int | None, int | None] = (None, None)
    if snippet:  # an /embed/ URL: its snippet's size, as the /embed/ route reads it
        w, h = render.parse_size(snippet.get("width"), snippet.get("height") or "600",
                                 None).pair
        want = (w if "width" in snippet else None, h)
    size = embed.oembed_size(mw, mh, *want)
    page = embed.map_page_url(str(request.base_url), day, params)  # never an iframe's iframe
    return JSONResponse(embed.oembed(page, dated_title(store, q), str(request.base_url), size,
                                    q.on),
                        headers=_through(store, q))


@router.get("/assets/{name:path}", include_in_schema=False)
def asset(name: str) -> Response:
    """Leaflet and friends from node_modules (FRONTWATCH_ASSETS=local)."""
    if ".." in name:
        raise InputError(f"bad asset name {echo(name)}")
    return FileResponse(assets.asset_file(name), media_type=assets.media_type(name),
                        headers={"Cache-Control": "public, max-age=31536000, immutable"})
