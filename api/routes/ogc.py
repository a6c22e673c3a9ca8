"""OGC API – Features, Part 1 (Core, GeoJSON, OpenAPI 3.0), read by QGIS and GDAL (`OAPIF:`).

The web side only: each collection is a provider (frontwatch.providers) answering one query
(bbox, datetime, offset/limit, the pin of a walk); these routes parse parameters, add links
and cache the bytes. Collections: `control` (the zones of one state: `datetime` picks the
state on that date or instant; for an interval, the state at its end, `..` meaning the
latest), `places`, `regions` (boundaries in force on `datetime`) and `frontline` (the line on
each date). `next`/`prev` links name the state page 1 was cut from (`snapshot=`, `rev=`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from frontwatch import crs, providers
from frontwatch.api import deps, ogc_html, ogc_query, params
from frontwatch.api.cache import make_entry
from frontwatch.api.deps import SettingsDep, StoreDep
from frontwatch.api.headers import CREDIT, documented
from frontwatch.api.heavy import heavy_when
from frontwatch.api.ogc_query import Extensions
from frontwatch.api.problems import PROBLEM
from frontwatch.api.respond import GEOJSON, JSON, LATEST, cached, credit_headers, json_entry, send
from frontwatch.api.routes.common import newest_headers
from frontwatch.errors import InputError, echo
from frontwatch.geojson import feature_collection, rfc7946
from frontwatch.providers import ItemQuery, Page, Provider
from frontwatch.settings import Settings
from frontwatch.store.base import SqlStore, iso

# /req/core/query-param-unknown: a parameter a route does not declare is a 400 naming it (a
# route's declared parameters are its one list of what it accepts; see ItemsParams).
router = APIRouter(tags=["OGC API – Features"], dependencies=deps.READ)

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    *ogc_html.CONFORMANCE, *ogc_query.CONFORMANCE,
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
OGC_GEOJSON = {200: {"content": {GEOJSON: {"schema": {"type": "object"}}},
                     "description": "GeoJSON"}}
Format = Annotated[str, Depends(ogc_html.fmt)]
PROBLEM_SCHEMA = {"type": "object", "required": ["type", "title", "status", "detail"],
                  "properties": {k: {"type": "integer" if k == "status" else "string"}
                                 for k in ("type", "title", "status", "detail", "code",
                                           "instance")}}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": PROBLEM_SCHEMA}}}


BAD = {400: _problem("A bad or unknown query parameter (named in `detail`)")}
MISSING = {404: _problem("No such collection or feature")}


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _link(href: str, rel: str, type_: str = JSON, title: str | None = None) -> dict[str, str]:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def _outward(bbox: tuple[float, float, float, float]) -> list[float]:
    """A bbox rounded outward to 1e-6° (so it still contains the data)."""
    return [math.floor(bbox[0] * 1e6) / 1e6, math.floor(bbox[1] * 1e6) / 1e6,
            math.ceil(bbox[2] * 1e6) / 1e6, math.ceil(bbox[3] * 1e6) / 1e6]


def _describe(request: Request, p: Provider) -> dict[str, Any]:
    base = f"{_base(request)}/collections/{p.id}"
    ext = p.extent()
    extent: dict[str, Any] = {}
    if ext.bbox is not None:
        extent["spatial"] = {"bbox": [_outward(ext.bbox)], "crs": CRS84}
    extent["temporal"] = {"interval": [list(ext.interval)],
                          "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return {
        "id": p.id, "title": p.title, "description": p.description, "itemType": "feature",
        "crs": list(crs.SUPPORTED), "storageCrs": CRS84, "extent": extent,
        "links": [_link(base, "self"),
                  _link(f"{base}/items", "items", GEOJSON, f"{p.title} (GeoJSON)"),
                  _link(f"{base}/queryables", ogc_query.QUERYABLES_REL,
                        ogc_query.SCHEMA_JSON, "Queryables (for filter and sortby)")],
    }


def _provider(store: SqlStore, settings: Settings, cid: str) -> Provider:
    return providers.provider(cid, store, settings.source)


@router.get("/", summary="Landing page (OGC API – Features)", responses=BAD)
def landing(request: Request, store: StoreDep, fmt: Format) -> Response:
    def build():
        b = _base(request)
        return json_entry({
            "title": "Frontwatch",
            "description": "A versioned record of territorial control in the Donbas and "
                           "Ukraine: OGC API – Features plus domain endpoints under /v1.",
            "links": [
                _link(f"{b}/", "self"),
                _link(f"{b}/openapi.json", "service-desc",
                      "application/vnd.oai.openapi+json;version=3.0", "OpenAPI definition"),
                _link(f"{b}/docs", "service-doc", "text/html", "API documentation"),
                _link(f"{b}/conformance", "conformance", JSON, "Conformance classes"),
                _link(f"{b}/collections", "data", JSON, "Collections"),
            ]}, {"Cache-Control": LATEST})

    return cached(request, store, ogc_html.negotiated(build, fmt, "landing", request))


@router.get("/conformance", summary="Conformance classes", responses=BAD)
def conformance(request: Request, fmt: Format) -> Response:
    return send(request, ogc_html.negotiated(
        lambda: json_entry({"conformsTo": CONFORMANCE}), fmt, "conformance", request)())


@router.get("/collections", summary="The feature collections", responses=BAD)
def collections(request: Request, store: StoreDep, settings: SettingsDep,
                fmt: Format) -> Response:
    def build():
        return json_entry({
            "links": [_link(f"{_base(request)}/collections", "self")],
            "collections": [_describe(request, _provider(store, settings, cid))
                            for cid in providers.PROVIDERS]}, {"Cache-Control": LATEST})

    return cached(request, store, ogc_html.negotiated(build, fmt, "collections", request))


CollectionId = Annotated[str, Path(description=", ".join(providers.PROVIDERS),
                                    examples=["control"])]


@router.get("/collections/{collection_id}", summary="One collection",
            responses={**BAD, **MISSING})
def collection(request: Request, store: StoreDep, settings: SettingsDep,
               collection_id: CollectionId, fmt: Format) -> Response:
    p = _provider(store, settings, collection_id)
    return cached(request, store, ogc_html.negotiated(lambda: json_entry(
        _describe(request, p), {"Cache-Control": LATEST}), fmt, "collection", request))


@router.get("/collections/{collection_id}/queryables", responses={**BAD, **MISSING},
            summary="The properties a filter and sortby may name (JSON Schema)")
def queryables(request: Request, store: StoreDep, settings: SettingsDep,
               collection_id: CollectionId, fmt: Format) -> Response:
    p = _provider(store, settings, collection_id)
    return send(request, ogc_html.negotiated(
        lambda: ogc_query.queryables_entry(request, p.id, p.title), fmt, "queryables",
        request, title=p.title)())


@dataclass
class ItemsParams:
    """The core query parameters of /collections/{id}/items; with the extensions'
    (api.ogc_query: filter, crs, sortby, …) and `f`, what the route accepts: any other is a
    400 (/req/core/query-param-unknown)."""

    bbox: Annotated[str | None, Query(
        description="minlon,minlat,maxlon,maxlat (in bbox-crs, default CRS84)",
        openapi_examples={"donbas": {"value": "37.5,48.0,38.5,49.0"}})] = None
    datetime_: Annotated[str | None, Query(
        alias="datetime", description="instant or interval (a/b, ../b, a/..); a date before "
        "the collection's history matches nothing", examples=["2025-06-30"])] = None
    limit: Annotated[int, Query(ge=1, description=f"page size (at most {MAX_LIMIT}; larger "
                                "values are clamped)")] = DEFAULT_LIMIT
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0
    snapshot: Annotated[str | None, Query(
        description="control: the snapshot id a next link pins the walk to (the state "
        "page 1 showed, even if an import lands meanwhile)")] = None
    rev: Annotated[str | None, Query(
        description="places, regions: the table state a next link pins the walk to")] = None

    def query(self, p: Provider, ext: Extensions) -> ItemQuery:
        """The provider's query; a pin parameter of another collection is a 400."""
        pins = {"snapshot": self.snapshot, "rev": self.rev}
        for name, value in pins.items():
            if value is not None and name != p.pin_param:
                raise InputError(f"query parameter {echo(name)}: not a parameter of collection "
                                 f"{p.id!r}")
        return ItemQuery(offset=self.offset, limit=min(self.limit, MAX_LIMIT),
                         bbox=ext.bbox(self.bbox),
                         datetime=params.datetime_param(self.datetime_),
                         pin=pins.get(p.pin_param or ""))


@router.get("/collections/{collection_id}/items", responses={
    **documented(OGC_GEOJSON, *CREDIT), **BAD, **MISSING,
    409: _problem("The state a next link pinned is gone; start again from the first page")},
            dependencies=[heavy_when("bbox", "filter", "crs")],
            summary="Features of a collection (paged with limit/offset and next/prev links)")
def items(request: Request, store: StoreDep, settings: SettingsDep,
          collection_id: CollectionId, args: Annotated[ItemsParams, Depends()],
          ext: Annotated[Extensions, Depends(ogc_query.extensions)],
          fmt: Format = "json") -> Response:
    p = _provider(store, settings, collection_id)
    q = args.query(p, ext)

    def build():
        page = _select(p, q, ext)
        meta = {"numberMatched": page.matched, "numberReturned": len(page.features),
                "timeStamp": iso(datetime.now(UTC)),
                "links": _page_links(request, p, q, page), **page.meta}
        return make_entry(
            feature_collection(ext.shape(page.features), meta, page.ids, ext.crs.decimals),
            GEOJSON, {"Cache-Control": LATEST, **_credit(store, page), **ext.headers()})

    return cached(request, store, ogc_html.negotiated(build, fmt, "items", request,
                                                      request.app.state.settings.assets))


def _select(p: Provider, q: ItemQuery, ext: Extensions) -> Page:
    """The page: bbox, datetime and paging done by the provider (the store); a filter or
    sortby needs every feature matching those first, so the page is cut after them."""
    if not ext.reorders:
        return p.query(q)
    every = p.query(replace(q, offset=0, limit=None))
    feats, ids = ext.select(every.features, every.ids)
    stop = None if q.limit is None else q.offset + q.limit
    return replace(every, features=feats[q.offset:stop], ids=ids[q.offset:stop],
                   matched=len(feats))


def _credit(store: SqlStore, page: Page) -> dict[str, str]:
    """The provenance headers of a page showing a source's control data (control, front
    line): its credit and X-Data-Through; none for places and regions."""
    if not page.source:
        return {}
    return {**newest_headers(store, page.source),
            **credit_headers(page.source, page.illustrative)}  # with the demo notice


def _page_links(request: Request, p: Provider, q: ItemQuery, page: Page
                ) -> list[dict[str, str]]:
    """self, collection, and next/prev naming the state this page was cut from (the
    provider's pin parameter), so a walk never mixes two states."""
    base = f"{_base(request)}/collections/{p.id}/items"
    drop = {"offset", "limit", p.pin_param}
    keep = [(k, v) for k, v in request.query_params.multi_items() if k not in drop]
    pin = [(p.pin_param, page.pin)] if p.pin_param and page.pin is not None else []
    limit = q.limit or DEFAULT_LIMIT

    def url(off: int) -> str:
        return f"{base}?{urlencode([*keep, *pin, ('limit', limit), ('offset', off)])}"

    links = [_link(str(request.url), "self", GEOJSON),
             _link(f"{_base(request)}/collections/{p.id}", "collection")]
    if q.offset + limit < page.matched:
        links.append(_link(url(q.offset + limit), "next", GEOJSON, "next page"))
    if q.offset > 0:
        links.append(_link(url(max(0, q.offset - limit)), "prev", GEOJSON, "previous page"))
    return links


@router.get("/collections/{collection_id}/items/{feature_id}",
            responses={**documented(OGC_GEOJSON, *CREDIT), **BAD, **MISSING},
            summary="One feature")
def item(request: Request, store: StoreDep, settings: SettingsDep,
         collection_id: CollectionId,
         feature_id: Annotated[str, Path(description="control: <snapshot id>-<n>; places, "
                                         "regions: slug; frontline: date",
                                         examples=["1-0"])],
         ext: Annotated[Extensions, Depends(ogc_query.item_extensions)],
         fmt: Format) -> Response:
    p = _provider(store, settings, collection_id)

    def build():
        page = p.get(feature_id)
        doc = {"links": [_link(str(request.url), "self", GEOJSON),
                         _link(f"{_base(request)}/collections/{p.id}", "collection")],
               **page.meta}
        [(geom, props)] = ext.shape(page.features)
        body = (b'{"type":"Feature","id":' + orjson.dumps(page.ids[0]) + b',"geometry":'
                + rfc7946([geom], ext.crs.decimals)[0] + b',"properties":'
                + orjson.dumps(props) + b"," + orjson.dumps(doc)[1:])
        return make_entry(body, GEOJSON, {"Cache-Control": LATEST, **_credit(store, page),
                                          **ext.headers()})

    return cached(request, store, ogc_html.negotiated(build, fmt, "item", request,
                                                      request.app.state.settings.assets))


def refine_openapi(doc: dict[str, Any]) -> None:
    """What FastAPI's generator cannot say about the OGC routes: `bbox` is an array of 4 (or
    6) numbers sent comma-separated (style form, explode false), `limit` has its minimum,
    maximum and default, and a bad parameter is the documented 400, not a 422."""
    for path, ops in doc.get("paths", {}).items():
        op = ops.get("get")
        if op is None or not any(r.path == path for r in router.routes):
            continue
        op.get("responses", {}).pop("422", None)
        for param in op.get("parameters", []):
            if param["name"] == "bbox":
                param.update(style="form", explode=False, schema={
                    "type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"},
                    "description": param.get("description", "")})
                param["example"] = [37.5, 48.0, 38.5, 49.0]
                param.pop("examples", None)
            elif param["name"] == "limit":
                param["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                   "default": DEFAULT_LIMIT}
