"""Write demo.geojson: an ILLUSTRATIVE demo layer drawn by hand for Frontwatch.

The shapes are deliberately coarse (a few vertices, a straight "front" moved by fixed steps);
they are not derived from any map or dataset and are NOT an assessment of control. They exist
so that a fresh install has something to show. Run: python data/geo/build_demo.py
"""

from __future__ import annotations

import json
from pathlib import Path

import shapely
from shapely.geometry import mapping

NOTICE = ("Illustrative demo data drawn by the Frontwatch project: NOT an assessment of "
          "control.")
DONETSK = [(37.0, 49.2), (38.2, 49.1), (38.9, 48.5), (39.2, 47.9), (38.3, 47.1), (37.5, 46.95),
           (36.6, 47.6), (36.6, 48.4), (37.0, 49.2)]
LUHANSK = [(38.2, 49.1), (38.7, 50.0), (39.7, 50.1), (40.2, 49.5), (40.0, 48.5), (39.8, 47.9),
           (39.2, 47.9), (38.9, 48.5), (38.2, 49.1)]
DATES = ["2024-09-01", "2025-01-01", "2025-05-01"]


def front(step: int, shift: float = 0.0) -> list[tuple[float, float]]:
    """A straight-segment 'front' moved west by a fixed step per date."""
    return [(38.35 - 0.1 * step - shift, 50.3), (38.35 - 0.1 * step - shift, 49.3),
            (37.9 - 0.15 * step - shift, 48.5), (37.6 - 0.15 * step - shift, 47.8),
            (37.0 - 0.05 * step - shift, 46.5)]


def main() -> None:
    donbas = shapely.union(shapely.Polygon(DONETSK), shapely.Polygon(LUHANSK))
    feats = [
        {"type": "Feature", "geometry": mapping(shapely.Polygon(DONETSK)),
         "properties": {"layer": "region", "slug": "demo-donetsk", "level": "oblast",
                        "name_en": "Donetsk Oblast (coarse demo outline)",
                        "name_uk": "Донецька область (схематично)", "notice": NOTICE}},
        {"type": "Feature", "geometry": mapping(shapely.Polygon(LUHANSK)),
         "properties": {"layer": "region", "slug": "demo-luhansk", "level": "oblast",
                        "name_en": "Luhansk Oblast (coarse demo outline)",
                        "name_uk": "Луганська область (схематично)", "notice": NOTICE}},
        {"type": "Feature", "geometry": mapping(donbas),
         "properties": {"layer": "region", "slug": "donbas", "level": "group",
                        "name_en": "Donbas (coarse demo outline)",
                        "name_uk": "Донбас (схематично)", "notice": NOTICE}},
        {"type": "Feature", "geometry": mapping(donbas),
         "properties": {"layer": "region", "slug": "theatre", "level": "group",
                        "name_en": "Demo theatre (the coarse Donbas outline)",
                        "name_uk": "Демонстраційний театр (схематичний Донбас)",
                        "notice": NOTICE}},
    ]
    east = [(41.0, 46.5), (41.0, 50.3)]
    for step, day in enumerate(DATES):
        line = front(step)
        occupied = shapely.Polygon(line + east).intersection(donbas)
        band = shapely.Polygon(front(step, 0.12) + line[::-1]).intersection(donbas)
        for status, geom in (("occupied", occupied), ("contested", band)):
            geom = shapely.set_precision(geom, 1e-4)
            feats.append({"type": "Feature", "geometry": mapping(geom),
                          "properties": {"layer": "control", "status": status, "date": day,
                                         "notice": NOTICE}})
    doc = {"type": "FeatureCollection", "name": "frontwatch-demo", "notice": NOTICE,
           "features": feats}
    (Path(__file__).parent / "demo.geojson").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
