"""Read a snapshot back as features: clipped to a region, filtered by status, simplified."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from frontwatch import geometry
from frontwatch.geojson import feature_collection, snapshot_meta
from frontwatch.model import Region, SnapshotInfo, Status, Zone
from frontwatch.precision import KM2
from frontwatch.store.base import SqlStore


def simplify_m(geoms, tolerance_m: float):
    """Simplify lon/lat geometries by a tolerance in metres (in the equal-area plane)."""
    if not tolerance_m:
        return geoms
    planar = shapely.simplify(geometry.to_equal_area(geoms), tolerance_m, preserve_topology=True)
    return shapely.make_valid(geometry.from_equal_area(planar))


def features(store: SqlStore, info: SnapshotInfo, region: Region | None = None,
             statuses: list[str] | None = None, simplify: float | None = None
             ) -> list[tuple[Any, dict[str, Any]]]:
    """(geometry, properties) for each zone of a snapshot."""
    zones = store.zones(info.id, statuses)
    geoms = np.array([z.geometry for z in zones], dtype=object)
    if region is not None and len(geoms):
        geoms = shapely.intersection(geoms, region.geometry)
    if simplify and len(geoms):
        geoms = simplify_m(geoms, simplify)
    return [f for f in zone_features(zones, geoms) if not f[0].is_empty]


def zone_features(zones: list[Zone], geoms) -> list[tuple[Any, dict[str, Any]]]:
    """(polygonal geometry, properties) of zones drawn as `geoms` (their own geometry, or
    clipped/simplified), each with its geodesic area in km²."""
    out = []
    areas = geometry.area_km2(geoms) if len(geoms) else []
    for z, g, a in zip(zones, geoms, areas):
        out.append((geometry.polygonal(g), {
            "status": str(z.status), "kind": z.kind, "since": z.since, "label": z.label,
            "area_km2": round(float(a), KM2)}))
    return out


def snapshot_geojson(store: SqlStore, info: SnapshotInfo, region: Region | None = None,
                     statuses: list[str] | None = None, simplify: float | None = None,
                     extra: dict[str, Any] | None = None) -> bytes:
    """The snapshot as one GeoJSON FeatureCollection with its provenance (and `extra`,
    e.g. data_through/stale_days) as members."""
    meta = {**snapshot_meta(info), **(extra or {})}
    if region is not None:
        meta["region"] = region.slug
    feats = features(store, info, region, statuses, simplify)
    return feature_collection(feats, meta, ids=[f"{info.id}-{i}" for i in range(len(feats))])


STATUS_CHOICES = [s.value for s in Status]
