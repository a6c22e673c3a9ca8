"""A map of where two sources differ (``compare_source=``): the ground both call occupied,
the ground only the map's source does, only the other does, and the occupied ground outside
the compared layer (held before 2022: drawn, not compared), with the km² of each inside the
focus. Compared like with like, as :mod:`frontwatch.analytics.compare` does: on the
since-2022 layer, never the grey zone."""

from __future__ import annotations

from typing import Any

import shapely

from frontwatch import geometry
from frontwatch.analytics.compare import SINCE_2022, layer_of, overlay
from frontwatch.errors import InputError, NotFound, echo
from frontwatch.model import SnapshotInfo
from frontwatch.render import simplify
from frontwatch.store.base import SqlStore

KEYS = ("both", "only_a", "only_b", "not_compared")


def other_snapshot(store: SqlStore, info: SnapshotInfo, name: str, on, as_of
                   ) -> SnapshotInfo:
    """The revision of source `name` in force on `on` to compare `info` with; InputError
    naming compare_source when it is not a stored source other than the map's."""
    known = store.sources()
    if name not in known:
        raise InputError(f"compare_source={echo(name)}: unknown source; choose from "
                         f"{', '.join(s for s in known if s != info.source)}")
    if name == info.source:
        others = [s for s in known if s != info.source]
        raise InputError(f"compare_source={echo(name)} is the map's own source: name another "
                         + (f"one ({', '.join(others)})" if others else
                            "(the store holds no other source)"))
    try:
        return store.resolve(name, on, as_of)
    except NotFound as exc:
        raise InputError(f"compare_source={echo(name)}: {exc}") from None


def layers(store: SqlStore, a: SnapshotInfo, b: SnapshotInfo) -> dict[str, Any]:
    """The four lon/lat layers of the comparison (whole, not cut to a view); InputError
    naming compare_source when a revision has no since-2022 layer."""
    try:
        la, lb = layer_of(store, a, SINCE_2022), layer_of(store, b, SINCE_2022)
    except InputError as exc:
        raise InputError(f"compare_source={echo(b.source)}: {exc}") from None
    compared = geometry.union([la, lb])
    occupied = geometry.union([store.layer(a.id, "occupied"), store.layer(b.id, "occupied")])
    return {"both": geometry.polygonal(shapely.intersection(la, lb)),
            "only_a": geometry.polygonal(shapely.difference(la, lb)),
            "only_b": geometry.polygonal(shapely.difference(lb, la)),
            "not_compared": geometry.polygonal(shapely.difference(occupied, compared)),
            "a": la, "b": lb}


def add_source_comparison(store: SqlStore, scene, land_focus) -> None:
    """Fill `scene.changes`/`change_km2` with KEYS (drawn cut to the view and simplified
    together as one coverage) and `scene.other` with the other source's revision."""
    other = other_snapshot(store, scene.info, scene.query.compare_source, scene.day,
                           scene.query.as_of)
    got = layers(store, scene.info, other)
    figures = overlay(got["a"], got["b"], land_focus)[0]
    scene.other = other
    scene.change_km2.update(
        both=figures.both_km2, only_a=figures.only_a_km2, only_b=figures.only_b_km2,
        not_compared=float(geometry.area_km2(shapely.intersection(got["not_compared"],
                                                                  land_focus))))
    scene.agreement = figures.agreement
    clipped = [geometry.polygonal(shapely.clip_by_rect(got[k], *scene.view))
               if not got[k].is_empty else geometry.EMPTY for k in KEYS]
    drawn = simplify.coverage(clipped, scene.tolerance_m, scene.decimals)
    scene.changes.update(zip(KEYS, drawn))

