"""The OGC API query extensions on top of Part 1: CQL2 `filter` and `queryables` (Part 3),
`crs`/`bbox-crs` (Part 2), `sortby` and `properties`.

Each collection's queryables (one JSON Schema per collection) are declared by its provider
(frontwatch.providers), so a filter, a sort key or a property selection naming anything else
is a 400 before any data is read.
Filtering and sorting run on all the features a collection yields for the request (after
`bbox`/`datetime`), *before* paging, so `numberMatched` and the `next` links count the
filtered set; the geometries are reprojected and the properties cut only on the page sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import Path, Query, Request
from pygeofilter import ast

from frontwatch import cql, crs
from frontwatch.api.respond import json_entry
from frontwatch.cql import Queryable
from frontwatch.errors import InputError, NotFound, echo
from frontwatch.providers import PROVIDERS

FILTER_CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
]
CRS_CONFORMANCE = ["http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"]
CONFORMANCE = [*CRS_CONFORMANCE, *FILTER_CONFORMANCE]
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
SCHEMA_JSON = "application/schema+json"


def queryables_of(collection_id: str) -> tuple[Queryable, ...]:
    """The properties a collection's provider declares (NotFound naming the collections)."""
    if collection_id not in PROVIDERS:
        raise NotFound(f"unknown collection {echo(collection_id)}", suggestions=list(PROVIDERS))
    return PROVIDERS[collection_id].queryables


def queryables_entry(request: Request, collection_id: str, title: str):
    """The queryables resource (JSON Schema 2020-12) of one collection."""
    base = str(request.base_url).rstrip("/")
    doc = {"$schema": "https://json-schema.org/draft/2020-12/schema",
           "$id": f"{base}/collections/{collection_id}/queryables",
           "type": "object", "title": title,
           "properties": {q.name: q.schema() for q in queryables_of(collection_id)},
           "additionalProperties": False}
    return json_entry(doc, {"Cache-Control": "public, max-age=3600"}, SCHEMA_JSON)


_LON_LAT = crs.SUPPORTED[crs.CRS84]
_CRS_ENUM = {"enum": list(crs.SUPPORTED)}  # documented; other spellings are accepted too


@dataclass(frozen=True, slots=True)
class Extensions:
    """The parsed extension parameters of one items/item request."""

    queryables: tuple[Queryable, ...]
    filter: ast.Node | None = None
    filter_crs: crs.Crs = _LON_LAT
    crs: crs.Crs = _LON_LAT
    bbox_crs: crs.Crs = _LON_LAT
    sortby: tuple[tuple[str, bool], ...] = ()  # (property, descending)
    properties: tuple[str, ...] | None = None

    @property
    def reorders(self) -> bool:
        """Whether the features must all be read before a page can be cut."""
        return self.filter is not None or bool(self.sortby)

    def bbox(self, text: str | None) -> tuple[float, float, float, float] | None:
        """`bbox` (in `bbox-crs`) as lon/lat."""
        return crs.bbox(text, self.bbox_crs) if text else None

    def select(self, features: Sequence[tuple[Any, dict[str, Any]]], ids: Sequence[Any]
               ) -> tuple[list[tuple[Any, dict[str, Any]]], list[Any]]:
        """The features that match `filter`, in `sortby` order (else as given)."""
        feats, ids = list(features), list(ids)
        if not feats or not self.reorders:
            return feats, ids
        keep = np.arange(len(feats))
        if self.filter is not None:
            hit = cql.mask(self.filter, [p for _, p in feats], [g for g, _ in feats],
                           self.queryables,
                           to_crs84=lambda g: crs.to_crs84(g, self.filter_crs))
            keep = keep[hit]
        if self.sortby and len(keep):
            keep = keep[_order([feats[i][1] for i in keep], self.sortby, self.queryables)]
        return [feats[i] for i in keep], [ids[i] for i in keep]

    def shape(self, page: Sequence[tuple[Any, dict[str, Any]]]
              ) -> list[tuple[Any, dict[str, Any]]]:
        """The page as sent: geometries in `crs`, only the selected `properties`."""
        geoms = crs.from_crs84(np.asarray([g for g, _ in page], dtype=object), self.crs) \
            if page else []
        props = [p for _, p in page]
        if self.properties is not None:
            props = [{k: p.get(k) for k in self.properties} for p in props]
        return list(zip(geoms, props))

    def headers(self) -> dict[str, str]:
        return {"Content-Crs": crs.header(self.crs)}


def _order(props: list[dict[str, Any]], keys: Sequence[tuple[str, bool]],
           queryables: Sequence[Queryable]) -> np.ndarray:
    """Stable positions sorting `props` by `keys`, nulls last whatever the direction."""
    by = {q.name: q for q in queryables}
    frame = pd.DataFrame({f"k{i}": cql.column(props, by[name])
                          for i, (name, _) in enumerate(keys)})
    frame["pos"] = np.arange(len(props))
    frame = frame.sort_values([f"k{i}" for i in range(len(keys))],
                              ascending=[not desc for _, desc in keys],
                              na_position="last", kind="stable")
    return frame["pos"].to_numpy()


def _names(text: str, name: str, allowed: dict[str, Queryable], signed: bool = False
           ) -> list[tuple[str, bool]]:
    """The comma-separated property names of `sortby` (`signed`: each with one optional
    leading + or -, → descending) or `properties` (bare names), as (name, descending); an
    empty, unknown or malformed name (`-status` in properties, `--x` in sortby) is a 400
    naming the parameter, and so is a name given twice (which also bounds the work of a
    sort to the collection's few properties)."""
    out: list[tuple[str, bool]] = []
    for raw in text.split(","):
        item = raw.strip()  # `+name` arrives as ` name` when the + is not percent-encoded
        desc = signed and item.startswith("-")
        bare = item[1:] if signed and item[:1] in ("+", "-") else item
        if not item:
            raise InputError(f"{name}={echo(text)}: empty name in the comma-separated list")
        if bare not in allowed:
            form = "one optional + or - then a property" if signed else "a property name"
            raise InputError(f"{name}={echo(text)}: {echo(item)} is not {form} of this "
                             f"collection; choose from {', '.join(sorted(allowed))}")
        if any(bare == seen for seen, _ in out):
            raise InputError(f"{name}={echo(text)}: {echo(bare)} is named twice")
        out.append((bare, desc))
    return out


def extensions(
        collection_id: Annotated[str, Path()],
        filter_: Annotated[str | None, Query(
            alias="filter", description="CQL2 predicate on the collection's queryables "
            "(/collections/{id}/queryables), e.g. `status = 'occupied' AND area_km2 > 10`",
            examples=["status = 'occupied'"])] = None,
        filter_lang: Annotated[str | None, Query(
            alias="filter-lang", description="cql2-text (default) or cql2-json",
            json_schema_extra={"enum": list(cql.LANGS)})] = None,
        filter_crs: Annotated[str | None, Query(
            alias="filter-crs", description="CRS of the filter's geometry literals "
            "(default CRS84)", json_schema_extra=_CRS_ENUM)] = None,
        crs_: Annotated[str | None, Query(
            alias="crs", description="CRS of the response's geometries (default CRS84, "
            "lon/lat; EPSG:4326 is lat/lon)", json_schema_extra=_CRS_ENUM)] = None,
        bbox_crs: Annotated[str | None, Query(
            alias="bbox-crs", description="CRS of `bbox` (default CRS84)",
            json_schema_extra=_CRS_ENUM)] = None,
        sortby: Annotated[str | None, Query(
            description="comma-separated queryables, each with an optional + (ascending, "
            "default) or - (descending); nulls last", examples=["-population,name_en"])
        ] = None,
        properties: Annotated[str | None, Query(
            description="comma-separated properties to return (default all)",
            examples=["name_en,population"])] = None,
) -> Extensions:
    """A FastAPI dependency: parse and check the extension parameters of an items request
    against the collection's queryables (400 naming the parameter)."""
    qs = queryables_of(collection_id)
    by_name = {q.name: q for q in qs}
    scalar = {n: q for n, q in by_name.items() if q.type != "geometry"}
    node = None
    cql.language(filter_lang)
    if filter_ is not None:
        node = cql.parse(filter_, filter_lang)
        unknown = sorted(cql.properties(node) - set(by_name))
        if unknown:
            raise InputError(f"filter: unknown property {echo(unknown[0])}; queryables are "
                             f"{', '.join(sorted(by_name))}")
    keys = _names(sortby, "sortby", scalar, signed=True) if sortby is not None else []
    return Extensions(qs, node, crs.parse(filter_crs, "filter-crs"), crs.parse(crs_, "crs"),
                      crs.parse(bbox_crs, "bbox-crs"), tuple(keys),
                      _selected(properties, scalar))


def item_extensions(
        collection_id: Annotated[str, Path()],
        crs_: Annotated[str | None, Query(
            alias="crs", description="CRS of the geometry (default CRS84)",
            json_schema_extra=_CRS_ENUM)] = None,
        properties: Annotated[str | None, Query(
            description="comma-separated properties to return (default all)")] = None,
) -> Extensions:
    """The extension parameters one feature takes: `crs` and `properties`."""
    qs = queryables_of(collection_id)
    scalar = {q.name: q for q in qs if q.type != "geometry"}
    return Extensions(qs, crs=crs.parse(crs_, "crs"), properties=_selected(properties, scalar))


def _selected(properties: str | None, allowed: dict[str, Queryable]) -> tuple[str, ...] | None:
    """The names `properties` selects (None: all of them)."""
    if properties is None:
        return None
    return tuple(n for n, _ in _names(properties, "properties", allowed))
