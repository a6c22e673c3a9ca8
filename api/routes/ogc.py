"""OGC API – Features, Part 1 (Core, GeoJSON, OpenAPI 3.0), read by QGIS and GDAL (`OAPIF:`).

Collections: `control` (the zones of one state: `datetime` picks the state on that date or
instant; for an interval, the state at its end, `..` meaning the latest), `places`, `regions`
(boundaries in force on `datetime`) and `frontline` (the line on each date).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
import shapely
from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from api import ogc_html, ogc_query, params
from api.cache import make_entry
from api.deps import SettingsDep, StoreDep
from api.heavy import heavy_when
from api.ogc_query import Extensions
from api.respond import GEOJSON, JSON, LATEST, cached, credit_headers, json_entry, send
from api.routes.common import PLACES_CREDIT
from frontwatch import analytics, coverage, crs, lookup
from frontwatch.errors import NotFound
from frontwatch.geojson import feature_collection, rfc7946
from frontwatch.model import OSM_ATTRIBUTION, SnapshotInfo
from frontwatch.precision import KM, KM2
from frontwatch.settings import Settings
from frontwatch.snapshots import features as snapshot_features
from frontwatch.sources import attribution
from frontwatch.store.base import SqlStore, iso

router = APIRouter(tags=["OGC API – Features"])

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    *ogc_html.CONFORMANCE, *ogc_query.CONFORMANCE,
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
UKRAINE_BBOX = [22.1, 44.3, 40.3, 52.4]
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
OGC_GEOJSON = {200: {"content": {GEOJSON: {"schema": {"type": "object"}}},
                     "description": "GeoJSON"}}
Format = Annotated[str, Depends(ogc_html.fmt)]


@dataclass(frozen=True, slots=True)
class Layer:
    """What one collection yields for a request: features, ids and provenance members."""

    features: list[tuple[Any, dict[str, Any]]]
    ids: list[str]
    meta: dict[str, Any]
    headers: dict[str, str]


def _end(dt: tuple[datetime | None, datetime | None] | None) -> datetime | None:
    return dt[1] if dt else None


def _control(store: SqlStore, settings: Settings, dt) -> Layer:
    info = store.resolve(lookup.default_source(store, settings.source), _end(dt))
    return _control_layer(store, info, coverage.freshness(store, info.source, _end(dt)))


def _control_layer(store: SqlStore, info: SnapshotInfo, fresh: dict | None = None) -> Layer:
    feats = snapshot_features(store, info)
    extra = {"source": info.source, "valid_at": iso(info.valid_at), "snapshot_id": info.id,
             "revision": info.revision}
    meta = {"source": info.source, "valid_at": iso(info.valid_at), "snapshot_id": info.id,
            "attribution": attribution(info.source), **(fresh or {})}
    return Layer([(g, {**p, **extra}) for g, p in feats],
                 [f"{info.id}-{i}" for i in range(len(feats))], meta,
                 credit_headers(info.source, info.illustrative))


def _day(dt) -> date | None:
    end = _end(dt)
    return end.date() if end else None


def _places(store: SqlStore, settings: Settings, dt) -> Layer:
    places = store.places(_day(dt))
    feats = [(shapely.Point(p.lon, p.lat), {
        "slug": p.slug, "name_en": p.name_en, "name_uk": p.name_uk, "kind": p.kind,
        "population": p.population, "region": p.region}) for p in places]
    return Layer(feats, [p.slug for p in places], {"attribution": PLACES_CREDIT}, {})


def _regions(store: SqlStore, settings: Settings, dt) -> Layer:
    regions = store.regions(on=_day(dt), with_geometry=True)
    feats = [(r.geometry, {
        "slug": r.slug, "level": r.level, "name_en": r.name_en, "name_uk": r.name_uk,
        "code": r.code, "parent": r.parent, "area_km2": round(r.area_km2 or 0.0, KM2),
        "valid_from": r.valid_from.isoformat() if r.valid_from else None}) for r in regions]
    return Layer(feats, [r.slug for r in regions], {"attribution": OSM_ATTRIBUTION}, {})


def _frontline(store: SqlStore, settings: Settings, dt) -> Layer:
    src = lookup.default_source(store, settings.source)
    info = store.resolve(src, _end(dt))
    day = _day(dt) or info.date
    line, km = analytics.frontline(store, day, src)
    props = {"date": day.isoformat(), "source": src, "length_km": round(float(km), KM),
             "snapshot_id": info.id}
    return Layer([(line, props)], [day.isoformat()],
                 {"attribution": attribution(src)},
                 credit_headers(info.source, info.illustrative))


@dataclass(frozen=True, slots=True)
class Collection:
    id: str
    title: str
    description: str
    load: Callable[[SqlStore, Settings, Any], Layer]


COLLECTIONS = {c.id: c for c in (
    Collection("control", "Control zones",
               "Occupied, contested and liberated zones of one state. `datetime` selects the "
               "state on that date (an instant; for an interval, the state at its end; `..` "
               "is the latest). Default: the latest state of the default source.", _control),
    Collection("places", "Places", "Settlements of the bundled gazetteer (GeoNames), named as "
               "on `datetime`.", _places),
    Collection("regions", "Regions", "Administrative boundaries (OpenStreetMap) in force on "
               "`datetime`: oblasts, raions, groups (donbas, theatre).", _regions),
    Collection("frontline", "Front line", "The line between held and occupied/contested ground "
               "on `datetime` (default: the latest), with its length in km.", _frontline),
)}


def _collection(cid: str) -> Collection:
    if cid not in COLLECTIONS:
        raise NotFound(f"unknown collection {cid!r}", suggestions=list(COLLECTIONS))
    return COLLECTIONS[cid]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _link(href: str, rel: str, type_: str = JSON, title: str | None = None) -> dict[str, str]:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def _temporal(store: SqlStore, settings: Settings, cid: str) -> list[str | None]:
    if cid not in ("control", "frontline"):
        return [None, None]
    try:
        infos = store.snapshots(lookup.default_source(store, settings.source))
    except NotFound:
        return [None, None]
    return [iso(infos[0].valid_at), iso(infos[-1].valid_at)] if infos else [None, None]


def _spatial(store: SqlStore) -> list[float]:
    groups = [r for r in store.regions(level="group") if r.slug == "theatre"]
    if groups:
        return [round(v, 6) for v in store.region("theatre").geometry.bounds]
    return UKRAINE_BBOX


def _describe(request: Request, store: SqlStore, settings: Settings, c: Collection,
              spatial: list[float]) -> dict[str, Any]:
    base = f"{_base(request)}/collections/{c.id}"
    return {
        "id": c.id, "title": c.title, "description": c.description, "itemType": "feature",
        "crs": list(crs.SUPPORTED), "storageCrs": CRS84,
        "extent": {"spatial": {"bbox": [spatial], "crs": CRS84},
                   "temporal": {"interval": [_temporal(store, settings, c.id)],
                                "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}},
        "links": [_link(base, "self"),
                  _link(f"{base}/items", "items", GEOJSON, f"{c.title} (GeoJSON)"),
                  _link(f"{base}/queryables", ogc_query.QUERYABLES_REL,
                        ogc_query.SCHEMA_JSON, "Queryables (for filter and sortby)")],
    }


@router.get("/", summary="Landing page (OGC API – Features)")
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


@router.get("/conformance", summary="Conformance classes")
def conformance(request: Request, fmt: Format) -> Response:
    return send(request, ogc_html.negotiated(
        lambda: json_entry({"conformsTo": CONFORMANCE}), fmt, "conformance", request)())


@router.get("/collections", summary="The feature collections")
def collections(request: Request, store: StoreDep, settings: SettingsDep,
                fmt: Format) -> Response:
    def build():
        spatial = _spatial(store)
        return json_entry({
            "links": [_link(f"{_base(request)}/collections", "self")],
            "collections": [_describe(request, store, settings, c, spatial)
                            for c in COLLECTIONS.values()]}, {"Cache-Control": LATEST})

    return cached(request, store, ogc_html.negotiated(build, fmt, "collections", request))


CollectionId = Annotated[str, Path(description=", ".join(COLLECTIONS), examples=["control"])]


@router.get("/collections/{collection_id}", summary="One collection")
def collection(request: Request, store: StoreDep, settings: SettingsDep,
               collection_id: CollectionId, fmt: Format) -> Response:
    c = _collection(collection_id)
    return cached(request, store, ogc_html.negotiated(lambda: json_entry(
        _describe(request, store, settings, c, _spatial(store)), {"Cache-Control": LATEST}),
        fmt, "collection", request))


@router.get("/collections/{collection_id}/queryables",
            summary="The properties a filter and sortby may name (JSON Schema)")
def queryables(request: Request, collection_id: CollectionId, fmt: Format) -> Response:
    c = _collection(collection_id)
    return send(request, ogc_html.negotiated(
        lambda: ogc_query.queryables_entry(request, c.id, c.title), fmt, "queryables",
        request, title=c.title)())


@router.get("/collections/{collection_id}/items", responses=OGC_GEOJSON,
            dependencies=[heavy_when("bbox", "filter", "crs")],
            summary="Features of a collection (paged with limit/offset and next/prev links)")
def items(request: Request, store: StoreDep, settings: SettingsDep,
          collection_id: CollectionId,
          bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat (CRS84)",
                                            examples=["37.5,48.0,38.5,49.0"])] = None,
          datetime_: Annotated[str | None, Query(
              alias="datetime", description="instant or interval (a/b, ../b, a/..)",
              examples=["2025-06-30"])] = None,
          limit: Annotated[int, Query(ge=1, description=f"page size (max {MAX_LIMIT}; larger "
                                      "values are clamped)")] = DEFAULT_LIMIT,
          offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
          ext: Annotated[Extensions, Depends(ogc_query.extensions)] = None,
          fmt: Format = "json") -> Response:
    c = _collection(collection_id)
    box = ext.bbox(bbox)
    dt = params.datetime_param(datetime_)
    limit = min(limit, MAX_LIMIT)

    def build():
        layer = c.load(store, settings, dt)
        feats, ids = layer.features, layer.ids
        if box is not None and feats:
            keep = shapely.intersects([g for g, _ in feats], shapely.box(*box))
            feats = [f for f, k in zip(feats, keep) if k]
            ids = [i for i, k in zip(ids, keep) if k]
        feats, ids = ext.select(feats, ids)
        page, page_ids = ext.shape(feats[offset:offset + limit]), ids[offset:offset + limit]
        meta = {"numberMatched": len(feats), "numberReturned": len(page),
                "timeStamp": iso(datetime.now(UTC)),
                "links": _page_links(request, c.id, offset, limit, len(feats)), **layer.meta}
        return make_entry(feature_collection(page, meta, page_ids, ext.crs.decimals), GEOJSON,
                          {"Cache-Control": LATEST, **layer.headers, **ext.headers()})

    return cached(request, store, ogc_html.negotiated(build, fmt, "items", request,
                                                      request.app.state.settings.assets))


def _page_links(request: Request, cid: str, offset: int, limit: int, matched: int
                ) -> list[dict[str, str]]:
    base = f"{_base(request)}/collections/{cid}/items"
    keep = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset",
                                                                               "limit")]

    def url(off: int) -> str:
        return f"{base}?{urlencode([*keep, ('limit', limit), ('offset', off)])}"

    links = [_link(url(offset), "self", GEOJSON),
             _link(f"{_base(request)}/collections/{cid}", "collection")]
    if offset + limit < matched:
        links.append(_link(url(offset + limit), "next", GEOJSON, "next page"))
    if offset > 0:
        links.append(_link(url(max(0, offset - limit)), "prev", GEOJSON, "previous page"))
    return links


@router.get("/collections/{collection_id}/items/{feature_id}", responses=OGC_GEOJSON,
            summary="One feature")
def item(request: Request, store: StoreDep, settings: SettingsDep,
         collection_id: CollectionId,
         feature_id: Annotated[str, Path(description="control: <snapshot id>-<n>; places, "
                                         "regions: slug; frontline: date",
                                         examples=["1-0"])],
         ext: Annotated[Extensions, Depends(ogc_query.item_extensions)],
         fmt: Format) -> Response:
    c = _collection(collection_id)

    def build():
        layer = _feature_layer(store, settings, c, feature_id)
        if feature_id not in layer.ids:
            raise NotFound(f"collection {c.id!r} has no feature {feature_id!r}")
        [(geom, props)] = ext.shape([layer.features[layer.ids.index(feature_id)]])
        doc = {"links": [_link(str(request.url), "self", GEOJSON),
                         _link(f"{_base(request)}/collections/{c.id}", "collection")],
               **layer.meta}
        body = (b'{"type":"Feature","id":' + orjson.dumps(feature_id) + b',"geometry":'
                + rfc7946([geom], ext.crs.decimals)[0] + b',"properties":'
                + orjson.dumps(props) + b"," + orjson.dumps(doc)[1:])
        return make_entry(body, GEOJSON, {"Cache-Control": LATEST, **layer.headers,
                                          **ext.headers()})

    return cached(request, store, ogc_html.negotiated(build, fmt, "item", request,
                                                      request.app.state.settings.assets))


def _feature_layer(store: SqlStore, settings: Settings, c: Collection, fid: str) -> Layer:
    """The layer that holds `fid`: control ids name their snapshot, frontline ids a date."""
    if c.id == "control":
        sid, _, n = fid.partition("-")
        params.feature_index(n, "featureId")
        return _control_layer(store, store.snapshot(params.feature_index(sid, "featureId")))
    if c.id == "frontline":
        d = params.day(fid, "featureId")
        return c.load(store, settings, (None, params.instant(d.isoformat(), "featureId")))
    return c.load(store, settings, None)
