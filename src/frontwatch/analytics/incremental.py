"""Pure geometry for updating areas incrementally between two revisions of a layer.

Consecutive snapshots share almost all of their boundary. Outside the boxes that enclose the
boundary segments present in only one of the two layers, both layers have the same boundary
and therefore (by the crossing-number argument: every point outside disjoint boxes reaches
infinity without entering one) the same inside. So the symmetric difference lies inside
those boxes, and differencing only the parts clipped to them is exact, and cheap.

With the gained and lost pieces, each region's area follows from the additive identity
``area(R ∩ new) = area(R ∩ old) + area(R ∩ gained) − area(R ∩ lost)``; only pieces that cross
a region's edge need an overlay (the others are wholly inside or outside it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from frontwatch import geometry

# Boxes closer than this (degrees, ~0.1 m) are merged, so the final boxes are disjoint.
_MARGIN = 1e-6


def _segments(geom) -> np.ndarray:
    """Undirected boundary segments as rows (x1, y1, x2, y2), endpoints in canonical order."""
    parts = np.asarray(shapely.get_parts(geom))
    if not len(parts):
        return np.empty((0, 4))
    rings = shapely.get_rings(parts)
    coords, idx = shapely.get_coordinates(rings, return_index=True)
    same = idx[1:] == idx[:-1]
    seg = np.hstack([coords[:-1][same], coords[1:][same]])
    swap = (seg[:, 0] > seg[:, 2]) | ((seg[:, 0] == seg[:, 2]) & (seg[:, 1] > seg[:, 3]))
    seg[swap] = seg[swap][:, [2, 3, 0, 1]]
    return seg


def _unshared(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the rows of `a` absent from `b` and of `b` absent from `a` (exact floats)."""
    rows = np.vstack([a, b])
    if not len(rows):
        return np.zeros(0, bool), np.zeros(0, bool)
    label = np.r_[np.zeros(len(a), bool), np.ones(len(b), bool)]
    order = np.lexsort(rows.T[::-1])
    srt = rows[order]
    starts = np.r_[True, (srt[1:] != srt[:-1]).any(axis=1)]
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    has_b = np.maximum.reduceat(label[order], first)
    has_a = np.maximum.reduceat(~label[order], first)
    alone = np.empty(len(rows), bool)
    alone[order] = ~(has_a & has_b)[group]
    return alone[:len(a)], alone[len(a):]


def _run_boxes(seg: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """One box per run of consecutive flagged segments (runs follow the rings)."""
    idx = np.flatnonzero(mask)
    if not len(idx):
        return np.empty(0, dtype=object)
    first = np.flatnonzero(np.r_[True, np.diff(idx) != 1])
    s = seg[idx]
    xs, ys = s[:, [0, 2]], s[:, [1, 3]]
    return shapely.box(np.minimum.reduceat(xs.min(axis=1), first) - _MARGIN,
                       np.minimum.reduceat(ys.min(axis=1), first) - _MARGIN,
                       np.maximum.reduceat(xs.max(axis=1), first) + _MARGIN,
                       np.maximum.reduceat(ys.max(axis=1), first) + _MARGIN)


def change_boxes(old, new) -> list[shapely.Polygon]:
    """Disjoint boxes that contain every boundary segment of `old` or `new` absent from the
    other (empty when the boundaries are identical)."""
    sa, sb = _segments(old), _segments(new)
    only_a, only_b = _unshared(sa, sb)
    boxes = np.concatenate([_run_boxes(sa, only_a), _run_boxes(sb, only_b)])
    if not len(boxes):
        return []
    while True:
        merged = shapely.get_parts(shapely.union_all(boxes))
        envelopes = shapely.envelope(merged)
        if len(envelopes) == len(boxes) and all(shapely.equals(envelopes, merged)):
            return list(envelopes)
        boxes = shapely.buffer(envelopes, _MARGIN, join_style="mitre")


def changed_pieces(old, new) -> tuple[np.ndarray, np.ndarray]:
    """(gained, lost): polygon parts of `new − old` and `old − new`, computed only inside the
    change boxes. Both are arrays of lon/lat polygons (possibly empty)."""
    boxes = change_boxes(old, new)
    if not boxes:
        return np.empty(0, dtype=object), np.empty(0, dtype=object)
    boxes = np.asarray(boxes, dtype=object)
    a = shapely.intersection(old, boxes)
    b = shapely.intersection(new, boxes)
    gained = _polygon_parts(shapely.difference(b, a))
    lost = _polygon_parts(shapely.difference(a, b))
    return gained, lost


def _polygon_parts(geoms) -> np.ndarray:
    parts = [p for g in geoms for p in geometry.polygons_of(g)]
    return np.asarray(parts, dtype=object) if parts else np.empty(0, dtype=object)


@dataclass
class RegionSet:
    """Region geometries prepared once for many updates (STRtree + prepared geometries)."""

    ids: np.ndarray
    geoms: np.ndarray
    area_km2: np.ndarray

    def __post_init__(self) -> None:
        shapely.prepare(self.geoms)
        self.tree = shapely.STRtree(self.geoms)

    def full_km2(self, layer) -> np.ndarray:
        """km² of each region ∩ layer by a full intersection (the anchor)."""
        if layer is None or layer.is_empty:
            return np.zeros(len(self.geoms))
        out = np.zeros(len(self.geoms))
        hit = self.tree.query(layer, predicate="intersects")
        if len(hit):
            out[hit] = geometry.area_km2(shapely.intersection(self.geoms[hit], layer))
        return out

    def update_km2(self, previous: np.ndarray, old, new) -> np.ndarray:
        """Each region's km² ∩ `new`, from its km² ∩ `old`: only the change boxes are
        overlaid, as ``area(R∩B∩new) − area(R∩B∩old)`` per box B (measured this way, rather
        than through the gained/lost pieces, the update reproduces a full intersection to
        ~1e-12 relative even where region and layer share edges, e.g. the state border)."""
        boxes = np.asarray(change_boxes(old, new), dtype=object)
        if not len(boxes):
            return previous.copy()
        box_idx, region_idx = self.tree.query(boxes)
        if not len(box_idx):
            return previous.copy()
        old_b, new_b = _clip(old, boxes), _clip(new, boxes)
        regions = self.geoms[region_idx]
        inside = shapely.contains_properly(regions, boxes[box_idx])
        delta = np.empty(len(box_idx))
        bi = box_idx[inside]
        delta[inside] = geometry.area_km2(new_b[bi]) - geometry.area_km2(old_b[bi])
        cross = ~inside
        if cross.any():
            bi = box_idx[cross]
            clipped = _clip_each(regions[cross], boxes[bi])
            delta[cross] = (geometry.area_km2(shapely.intersection(clipped, new_b[bi]))
                            - geometry.area_km2(shapely.intersection(clipped, old_b[bi])))
        out = previous.copy()
        np.add.at(out, region_idx, delta)
        return out


def _clip(geom, boxes: np.ndarray) -> np.ndarray:
    """`geom` cut to each box (GEOS's rectangle clipping: linear time, valid output)."""
    return np.asarray([shapely.clip_by_rect(geom, *b.bounds) for b in boxes], dtype=object)


def _clip_each(geoms: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    return np.asarray([shapely.clip_by_rect(g, *b.bounds) for g, b in zip(geoms, boxes)],
                      dtype=object)
