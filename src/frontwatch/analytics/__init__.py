"""Analytics over the versioned store: areas, time series, diffs, the front line, places.

Every function takes an open store, a region or place (a resolved model object, or the text a
user typed, resolved with :mod:`frontwatch.lookup`), dates and a source (None = the store's
default source). Areas follow the convention of :mod:`frontwatch.geometry` (overlay in lon/lat,
measure in the theatre's equal-area plane), so every figure agrees with ``pyproj.Geod``.
The frames returned (and the diff's ``DiffResult.attrs``) say what they show in ``.attrs``, a
:data:`frontwatch.provenance.Provenance`, as ``frontwatch.open()``'s frames do.

Submodules (named apart from the functions the package re-exports) are imported lazily so
that ``import frontwatch.analytics`` stays cheap:

- :mod:`.areas` — `area`, `series`, the precomputed stats table (`on_snapshot`, `rebuild`);
- :mod:`.changes` — `diff` (gained/lost polygons, places that changed);
- :mod:`.changelog_table` — `changelog` (km² gained/lost per day), precomputed at import;
- :mod:`.front` — `frontline`, `frontline_series`, the precomputed lengths;
- :mod:`.precompute` — what an import precomputes (`on_snapshot`, `on_regions`, `rebuild`);
- :mod:`.places` — `place_status`, `place_timeline`, `distance_to_front_km`,
  `distance_series`, `places_near_front`, `places_in_region`.
- :mod:`.compare` — `compare`, `compare_series`: two sources on a named layer (since-2022 by
  default), km² by each, by both, by one, agreement; :mod:`.pairs` precomputes the series;
- :mod:`.check` — `check`: where a source is unreliable (import notes, area jumps, front-line
  length outliers), behind `frontwatch check`;
- :mod:`.results` — the TypedDicts the functions return (`AreaFigures`, `PlaceChange`,
  `StatusPeriod`, `PlaceNearFront`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for type checkers and readers only
    from frontwatch.analytics.areas import area, rebuild, series
    from frontwatch.analytics.changelog_table import changelog
    from frontwatch.analytics.changes import CHANGES, DiffResult, diff
    from frontwatch.analytics.front import frontline, frontline_series
    from frontwatch.analytics.places import (
        distance_series,
        distance_to_front_km,
        place_status,
        place_timeline,
        places_in_region,
        places_near_front,
    )
    from frontwatch.analytics.results import (
        AreaFigures,
        PlaceChange,
        PlaceNearFront,
        StatusPeriod,
    )

_EXPORTS = {
    "area": "areas", "series": "areas", "rebuild": "areas",
    "diff": "changes", "DiffResult": "changes", "CHANGES": "changes",
    "changelog": "changelog_table",
    "frontline": "front", "frontline_series": "front",
    "place_status": "places", "place_timeline": "places",
    "distance_to_front_km": "places", "distance_series": "places",
    "places_near_front": "places", "places_in_region": "places",
    "AreaFigures": "results", "PlaceChange": "results", "PlaceNearFront": "results",
    "StatusPeriod": "results",
}

__all__ = [
    "CHANGES", "AreaFigures", "DiffResult", "PlaceChange", "PlaceNearFront", "StatusPeriod",
    "area", "changelog", "diff", "distance_series",
    "distance_to_front_km", "frontline", "frontline_series", "place_status", "place_timeline",
    "places_in_region", "places_near_front", "rebuild", "series",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'frontwatch.analytics' has no attribute {name!r}")
    return getattr(importlib.import_module(f"frontwatch.analytics.{module}"), name)
