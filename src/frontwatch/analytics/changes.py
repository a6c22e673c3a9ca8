"""What changed between two dates: polygons gained and lost by each side, ranked and described
by their nearest place, and the places whose status changed. (The daily change log, measured
the same way, is precomputed in :mod:`.changelog_table`.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from frontwatch import geometry
from frontwatch.analytics.common import region_of, source_of
from frontwatch.analytics.geo import NearestPlaces, describe, point_status
from frontwatch.analytics.incremental import changed_pieces
from frontwatch.analytics.results import PlaceChange
from frontwatch.coverage import freshness
from frontwatch.dates import iso
from frontwatch.errors import InputError
from frontwatch.geojson import feature_collection
from frontwatch.model import CONTROL_STATUSES, Place, Region, SnapshotInfo
from frontwatch.oblasts import THEATRE
from frontwatch.precision import KM, KM2
from frontwatch.provenance import Provenance, of_dates
from frontwatch.sources import attribution
from frontwatch.store.base import SqlStore

CHANGES = ("occupied_gained", "occupied_lost", "contested_gained", "contested_lost")


@dataclass(slots=True)
class DiffResult:
    """The diff of a region between two dates.

    features: (lon/lat polygon, properties) with properties `change` (one of CHANGES), `km2`,
    `nearest_place` (slug), `place_name`, `direction` (compass point from the place),
    `distance_km`, `description` ("12.4 km² west of Toretsk"), `rank` (1 = largest).
    summary: region, source, dates, snapshot ids, totals per change and net occupied km².
    places_changed: :class:`PlaceChange` documents, for places whose status differs.
    attrs: its :data:`frontwatch.provenance.Provenance` (the revision in force on the second
    date, ``from``/``to``, ``stale_days``, credits), as a frame's ``.attrs``; None for a
    result made by hand."""

    features: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    places_changed: list[PlaceChange] = field(default_factory=list)
    attrs: Provenance | None = None

    def to_geojson(self) -> bytes:
        """The diff as GeoJSON.

        Returns
        -------
        bytes
            UTF-8 RFC 7946 FeatureCollection: a `change` property per feature, top-level
            members ``summary`` and ``places_changed``.
        """
        from frontwatch.geojson import feature_collection

        return feature_collection(self.features, {"summary": self.summary,
                                                  "places_changed": self.places_changed})


def region_pieces(pieces: np.ndarray, region: BaseGeometry) -> np.ndarray:
    """The polygonal parts of `pieces` inside `region` (whole pieces need no overlay)."""
    if not len(pieces):
        return pieces
    shapely.prepare(region)
    inside = shapely.contains_properly(region, pieces)
    out = list(pieces[inside])
    rest = pieces[~inside & shapely.intersects(region, pieces)]
    if len(rest):
        out += [p for g in shapely.intersection(rest, region) for p in geometry.polygons_of(g)]
    return np.asarray(out, dtype=object)


def describe_pieces(groups: dict[str, np.ndarray], key: str, places: list[Place],
                    min_km2: float) -> tuple[list[tuple[Any, dict[str, Any]]], dict[str, float]]:
    """Features for labelled polygon pieces, largest first: properties `key` (the group's
    label), `km2`, `nearest_place`, `place_name`, `direction`, `distance_km`, `description`
    ("12.4 km² west of Toretsk") and `rank` (1 = largest); pieces under `min_km2` are left
    out of the features but not of the totals. Returns (features, label → total km²)."""
    features: list[tuple[Any, dict[str, Any]]] = []
    exact: list[float] = []
    totals: dict[str, float] = {}
    nearest = NearestPlaces(places) if places else None  # one tree for all the pieces
    for label, geoms in groups.items():
        km2 = geometry.area_km2(geoms) if len(geoms) else np.zeros(0)
        totals[label] = float(np.sum(km2))
        for g, k in zip(geoms, km2):
            if k < min_km2:
                continue
            props: dict[str, Any] = {key: label, "km2": round(float(k), KM2)}
            if nearest is not None:
                pt = g.representative_point()
                place, dist, direction = nearest(pt.x, pt.y)
                props.update(nearest_place=place.slug, place_name=place.name_en,
                             direction=direction, distance_km=round(dist, KM),
                             description=describe(float(k), place, dist, direction))
            else:
                props["description"] = f"{k:,.1f} km²"
            features.append((g, props))
            exact.append(float(k))
    order = np.argsort(-np.asarray(exact), kind="stable")  # ranked by the exact km²
    features = [features[i] for i in order]
    for rank, (_, props) in enumerate(features, 1):
        props["rank"] = rank
    return features, totals


def changes_between(store: SqlStore, a: SnapshotInfo, b: SnapshotInfo, region: BaseGeometry
                    ) -> dict[str, np.ndarray]:
    """change name → polygons inside `region` gained/lost by each status from a to b."""
    out = {}
    for st in CONTROL_STATUSES:
        gained, lost = changed_pieces(store.layer(a.id, st), store.layer(b.id, st))
        out[f"{st}_gained"] = region_pieces(gained, region)
        out[f"{st}_lost"] = region_pieces(lost, region)
    return out


def diff(store: SqlStore, region: Region | str | None, d1: date, d2: date,
         source: str | None = None, min_km2: float = 0.01) -> DiffResult:
    """Gained/lost polygons inside a region from one date to another.

    Parameters
    ----------
    store : SqlStore
        read: both revisions' layers, the gazetteer, the place-status table.
    region : Region, str or None
        a region, or its name, KATOTTG code or slug; None: the whole theatre.
    d1, d2 : datetime.date
        each shows the revision in force at its end; ``d1 <= d2``.
    source : str, optional
        None: the store's default source.
    min_km2 : float
        pieces smaller than this (km²) are left out of the features, not of the totals.

    Returns
    -------
    DiffResult
        features (lon/lat polygons, largest first), the summary (km² per change, geodesic
        on WGS84 via the theatre's equal-area plane), the places that changed status and
        ``attrs``, a :data:`frontwatch.provenance.Provenance` (the revision in force on `d2`,
        ``from``/``to``: `d1` and `d2`, ``data_through``, ``stale_days``, ``attribution``,
        ``places_attribution``).

    Raises
    ------
    InputError
        `d2` before `d1`.
    NotFound
        an unknown region or source, or a date before the source's history.
    """
    if d2 < d1:
        raise InputError(f"the second date ({d2}) is before the first ({d1})")
    src = source_of(store, source)
    r = region_of(store, region if region is not None else THEATRE, d2)
    a, b = store.resolve(src, d1), store.resolve(src, d2)
    pieces = changes_between(store, a, b, r.geometry)
    places = [p for p in store.places(d2)]
    features, km2_of = describe_pieces({c: pieces[c] for c in CHANGES}, "change", places,
                                       min_km2)
    totals = {f"{c}_km2": km2_of[c] for c in CHANGES}
    summary = {
        "region": r.slug, "region_name": r.name_en, "source": src,
        "from": d1.isoformat(), "to": d2.isoformat(),
        "from_snapshot": a.id, "to_snapshot": b.id,
        "from_valid_at": iso(a.valid_at),
        "to_valid_at": iso(b.valid_at),
        **{k: round(v, KM2) for k, v in totals.items()},
        "occupied_net_km2": round(totals["occupied_gained_km2"]
                                  - totals["occupied_lost_km2"], KM2),
        "contested_net_km2": round(totals["contested_gained_km2"]
                                   - totals["contested_lost_km2"], KM2),
        "features": len(features),
        "largest": [f[1].get("description") for f in features[:5]],
        **freshness(store, src, d2),
        "attribution": attribution(src),
    }
    from frontwatch.analytics.places import places_in_region

    return DiffResult(features, summary,
                      places_changed(store, a, b, places_in_region(store, r, d2)),
                      of_dates(store, b, d1, d2, places=True))


def diff_geojson(store: SqlStore, region: str | None, d1: date, d2: date, source: str,
                 min_km2: float, meta: dict[str, Any]) -> bytes:
    """The diff as a GeoJSON FeatureCollection (UTF-8 bytes) with top-level members
    `summary`, `places_changed` and then `meta` (freshness, attribution): what the API sends,
    made from plain arguments so that it can run in a render process (frontwatch.jobs)."""
    result = diff(store, region, d1, d2, source, min_km2)
    return feature_collection(result.features, {"summary": result.summary,
                                                "places_changed": result.places_changed,
                                                **meta})


def places_changed(store: SqlStore, a: SnapshotInfo, b: SnapshotInfo, places: list[Place]
                   ) -> list[PlaceChange]:
    """The places given (a region's, from `places_in_region`) whose status differs between
    two revisions: read from the place-status table (:mod:`.placestatus`: outlines by
    majority, points by their layer); from the points' layers where the table does not
    cover the revisions yet."""
    from frontwatch.analytics.placestatus import statuses_between

    if not places:
        return []
    lon = np.array([p.lon for p in places])
    lat = np.array([p.lat for p in places])
    table = statuses_between(store, a, b)
    if table is not None:
        pairs: list[tuple[str | None, str | None]] = [
            table.get(p.slug, (None, None)) for p in places]
        before: list[str | None] | NDArray[np.object_] = [x for x, _ in pairs]
        after: list[str | None] | NDArray[np.object_] = [y for _, y in pairs]
    else:
        before = point_status(store.layer(a.id, "occupied"), store.layer(a.id, "contested"),
                              lon, lat)
        after = point_status(store.layer(b.id, "occupied"), store.layer(b.id, "contested"),
                             lon, lat)
    return [{"slug": p.slug, "name": p.name_en, "name_uk": p.name_uk or None, "before": x,
             "after": y, "population": p.population}
            for p, x, y in zip(places, before, after) if x != y]
