"""A snapshot's claim in canonical form, and its content hash.

The same claim reaches Frontwatch in many encodings: a zipped Shapefile starts each ring at
another vertex and turns shells clockwise, a GeoPackage or FlatGeobuf makes a Polygon a
MultiPolygon of one part, writers order the parts of a MultiPolygon and the features of a
layer as they like, and one file draws as one feature what another splits into several.
None of that is a different claim, so none of it may be a new revision. The canonical form
keeps only what is claimed: for each (status, kind, since), the polygons holding it.

Coordinates are kept exactly as stored: the hash of a stored revision is recomputed from
the store (migration 0013 did so for hashes of older versions). A text format that writes
fewer digits than a double holds (GDAL's KML writes 15 significant ones, ~1e-13°) is matched
by :func:`same_claim`, which allows :data:`SAME_VERTEX_DEG` per vertex.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import shapely

from frontwatch.geometry import polygons_of
from frontwatch.model import Zone

# Bumped whenever the canonical form changes (stored hashes then need a migration).
HASH_FORMAT = b"frontwatch claim v2\n"
# Two vertices closer than this (degrees, ~1 cm) are the same vertex: far above the digits a
# text format drops (1e-13°), far below anything a map draws (tens of metres).
SAME_VERTEX_DEG = 1e-7

Canonical = dict[str, Any]  # "status|kind|since" → normalized MultiPolygon


def canonical(zones: Iterable[Zone]) -> Canonical:
    """The claim of `zones` in canonical form.

    Parameters
    ----------
    zones : iterable of Zone
        any polygonal geometry (Polygon, MultiPolygon, collection), lon/lat as stored.

    Returns
    -------
    dict of str to shapely.MultiPolygon
        "status|kind|since" → every polygon part of the zones with that status, kind and
        start year, as one MultiPolygon in GEOS normal form (parts ordered, each ring
        starting at its least vertex, shells clockwise and holes anticlockwise), keys
        sorted. Labels and the split into features are not part of it.

    Examples
    --------
    >>> from frontwatch.model import Status
    >>> a = shapely.Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])            # anticlockwise
    >>> b = shapely.Polygon([(1, 1), (1, 0), (0, 0), (0, 1)])            # clockwise, other start
    >>> one = canonical([Zone(Status.OCCUPIED, "occupied", a, 2022)])
    >>> other = canonical([Zone(Status.OCCUPIED, "occupied", shapely.MultiPolygon([b]), 2022)])
    >>> list(one), hash_canonical(one) == hash_canonical(other)
    (['occupied|occupied|2022'], True)
    """
    parts: dict[str, list[Any]] = {}
    for z in zones:
        parts.setdefault(f"{z.status}|{z.kind}|{z.since}", []).extend(polygons_of(z.geometry))
    return {head: shapely.normalize(shapely.MultiPolygon(polys))
            for head, polys in sorted(parts.items())}


def hash_canonical(claim: Canonical) -> str:
    """The content hash of a canonical claim.

    Parameters
    ----------
    claim : dict of str to shapely.MultiPolygon
        as :func:`canonical` gives it.

    Returns
    -------
    str
        sha256 (64 hex digits) of :data:`HASH_FORMAT`, then each group's key and the WKB of
        its geometry, by key.
    """
    h = hashlib.sha256(HASH_FORMAT)
    for head, geom in sorted(claim.items()):
        wkb = shapely.to_wkb(geom)
        h.update(f"{head}|{len(wkb)}|".encode() + wkb)
    return h.hexdigest()


def content_hash(zones: Iterable[Zone]) -> str:
    """Hash of what a snapshot claims (status, kind, start year and ground).

    Parameters
    ----------
    zones : iterable of Zone

    Returns
    -------
    str
        :func:`hash_canonical` of :func:`canonical`: independent of feature order and split,
        ring start and orientation, part order, Polygon or MultiPolygon, labels and the
        envelope the zones came in.
    """
    return hash_canonical(canonical(zones))


def same_claim(a: Canonical, b: Canonical, tolerance: float = SAME_VERTEX_DEG) -> bool:
    """Whether two canonical claims are the same, up to a tolerance per vertex.

    Parameters
    ----------
    a, b : dict of str to shapely.MultiPolygon
        as :func:`canonical` gives them.
    tolerance : float
        degrees each vertex may move (``shapely.equals_exact``).

    Returns
    -------
    bool
        the same groups, each with the same parts, rings and vertex counts, every vertex
        within `tolerance` of its counterpart.

    Examples
    --------
    >>> from frontwatch.model import Status
    >>> box = shapely.box(30, 48, 31, 49)
    >>> near = shapely.box(30 + 1e-13, 48, 31, 49)
    >>> far = shapely.box(30.001, 48, 31, 49)
    >>> def c(g): return canonical([Zone(Status.OCCUPIED, "occupied", g)])
    >>> same_claim(c(box), c(near)), same_claim(c(box), c(far))
    (True, False)
    """
    return a.keys() == b.keys() and all(
        shapely.equals_exact(a[k], b[k], tolerance=tolerance) for k in a)
