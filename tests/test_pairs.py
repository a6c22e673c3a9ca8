"""The source comparison's per-track incremental measurement (analytics.pairs.LayerFigures):
each step equals a full intersection, and a step GEOS refuses is measured in full."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.errors import GEOSException

from frontwatch import geometry
from frontwatch.analytics.incremental import RegionSet
from frontwatch.analytics.pairs import LayerFigures

REGIONS = np.array([shapely.box(37, 47, 38, 48), shapely.box(38, 47, 39, 48),
                    shapely.box(30, 45, 31, 46)], dtype=object)


def _layers() -> list:
    """A front moving east step by step, plus a fixed far-away piece."""
    far = shapely.box(30.2, 45.2, 30.5, 45.5)
    return [geometry.polygonal(shapely.union(
        shapely.Polygon([(37, 47), (37.5 + 0.1 * i, 47), (37.6 + 0.1 * i, 48), (37, 48)]), far))
        for i in range(6)]


class RefusingRegions(RegionSet):
    """Regions whose incremental update fails with GEOS's error on chosen calls, as clipping
    a degenerate ring did on the real data."""

    def update_km2(self, previous, old, new):
        self.calls = getattr(self, "calls", 0) + 1
        if self.calls in getattr(self, "refuse", ()):
            raise GEOSException("IllegalArgumentException: Invalid number of points in "
                                "LinearRing found 3 - must be 0 or >= 4")
        return super().update_km2(previous, old, new)


def test_each_step_of_a_track_equals_a_full_intersection():
    rs = RegionSet(np.arange(3), REGIONS, geometry.area_km2(REGIONS))
    figures = LayerFigures(None, rs)
    for layer in _layers():
        assert np.allclose(figures.km2(("nzz", "x"), layer), rs.full_km2(layer),
                           rtol=1e-12, atol=1e-9)
    assert figures.fallbacks == 0


def test_a_step_geos_refuses_is_measured_in_full_and_the_track_goes_on():
    rs = RefusingRegions(np.arange(3), REGIONS, geometry.area_km2(REGIONS))
    rs.refuse = {2}
    figures = LayerFigures(None, rs)
    got = [figures.km2(("deepstate", "nzz", "x"), layer) for layer in _layers()]
    assert figures.fallbacks == 1
    assert rs.calls == len(_layers()) - 1  # every step after the first tries the update
    for layer, km2 in zip(_layers(), got):
        assert np.allclose(km2, rs.full_km2(layer), rtol=1e-12, atol=1e-9)
    assert got[2][0] > got[1][0]  # the front moved into the first region's east
