"""Small geodesic helpers for describing changes and places: status of points, compass
directions, nearest places, distances to a line."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from frontwatch.geometry import WGS84
from frontwatch.model import DERIVED_UKRAINIAN, Place

_COMPASS = ("north", "north-east", "east", "south-east", "south", "south-west", "west",
            "north-west")


def compass(azimuth_deg: float) -> str:
    """Eight-point compass name of an azimuth (degrees clockwise from north)."""
    return _COMPASS[int(((azimuth_deg % 360) + 22.5) // 45) % 8]


def point_status(occupied, contested, lon, lat) -> np.ndarray:
    """Status of points (arrays of lon/lat) given the two disjoint layers."""
    lon, lat = np.atleast_1d(lon), np.atleast_1d(lat)
    out = np.full(len(lon), DERIVED_UKRAINIAN, dtype=object)
    for name, layer in (("contested", contested), ("occupied", occupied)):
        if layer is not None and not layer.is_empty:
            shapely.prepare(layer)
            out[shapely.intersects_xy(layer, lon, lat)] = name
    return out


class NearestPlaces:
    """Nearest-place lookups over a whole gazetteer (5,000+ points): an STRtree on lon/lat
    with longitudes shrunk by cos 48.5° (so degrees are roughly isotropic over Ukraine) picks
    the candidates, the ellipsoid decides among them."""

    _SHRINK = float(np.cos(np.radians(48.5)))

    def __init__(self, places: Sequence[Place]) -> None:
        self.places = list(places)
        self.lon = np.array([p.lon for p in self.places], dtype=float)
        self.lat = np.array([p.lat for p in self.places], dtype=float)
        self.tree = shapely.STRtree(shapely.points(self.lon * self._SHRINK, self.lat))

    def __call__(self, lon: float, lat: float) -> tuple[Place, float, str]:
        """(place, geodesic km, compass direction of the point as seen from the place)."""
        pt = shapely.Point(lon * self._SHRINK, lat)
        first = int(self.tree.query_nearest(pt)[0])
        reach = shapely.distance(pt, self.tree.geometries[first])
        # Within 30 % of the planar nearest: the local distortion of the shrunk degrees is
        # far smaller, so the geodesic nearest is among these.
        idx = self.tree.query(pt, predicate="dwithin", distance=reach * 1.3 + 1e-9)
        idx = np.union1d(idx, [first]).astype(int)
        az, _, dist = WGS84.inv(self.lon[idx], self.lat[idx], np.full(len(idx), lon),
                                np.full(len(idx), lat))
        i = int(np.argmin(dist))
        return self.places[idx[i]], float(dist[i]) / 1000.0, compass(float(az[i]))


def nearest_place(places: Sequence[Place], lon: float, lat: float) -> tuple[Place, float, str]:
    """(place, geodesic km, compass direction of the point as seen from the place); for many
    lookups build one :class:`NearestPlaces`."""
    return NearestPlaces(places)(lon, lat)


def describe(km2: float, place: Place, distance_km: float, direction: str) -> str:
    """"12.4 km² west of Toretsk" (or "at Toretsk" when it is on top of it)."""
    where = f"at {place.name_en}" if distance_km < 1.0 else f"{direction} of {place.name_en}"
    return f"{km2:,.1f} km² {where}"


def distances_km(line, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Geodesic km from points to the nearest point of a (Multi)LineString: the nearest point
    is found in lon/lat, the distance to it measured exactly on the ellipsoid."""
    if line is None or line.is_empty:
        return np.full(len(lon), np.nan)
    pts = shapely.points(lon, lat)
    near = shapely.get_coordinates(shapely.shortest_line(pts, line))[1::2]
    return WGS84.inv(lon, lat, near[:, 0], near[:, 1])[2] / 1000.0
