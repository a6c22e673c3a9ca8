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


def nearest_place(places: Sequence[Place], lon: float, lat: float) -> tuple[Place, float, str]:
    """(place, geodesic km, compass direction of the point as seen from the place)."""
    plon = np.array([p.lon for p in places])
    plat = np.array([p.lat for p in places])
    az, _, dist = WGS84.inv(plon, plat, np.full(len(plon), lon), np.full(len(plat), lat))
    i = int(np.argmin(dist))
    return places[i], float(dist[i]) / 1000.0, compass(float(az[i]))


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
