"""Map pages: Frontwatch's render (scene cut to the view, coverage-simplified, rounded) vs a
naive folium render of the raw snapshot (every zone of the day, full precision, folium's
default page), for the same date, in the same run. Reports HTML size and render time.

    python -m bench.bench_maps [--repeat 3]

Builds a throwaway store from ../shared/data (oblasts, raions, the 2025 raw snapshots).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import date
from pathlib import Path

import folium
import shapely

from bench.common import build_real_store, median_seconds, need_shared
from frontwatch import render

DAY = "2025-06-01"


def build_store(path: Path):
    return build_real_store(path, need_shared(), raw_until=1751328000)


def naive(store) -> str:
    """What one would write first: every zone of the day and the Donbas oblast and raion
    boundaries, as stored, into a default folium map."""
    info = store.resolve("deepstate", date.fromisoformat(DAY))
    donbas = ("donetsk-oblast", "luhansk-oblast")
    geoms = [z.geometry for z in store.zones(info.id)] + [
        r.geometry for r in store.regions(with_geometry=True)
        if r.slug in donbas or r.parent in donbas]
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": json.loads(shapely.to_geojson(g))}
        for g in geoms]}
    m = folium.Map(location=[48.3, 38.0], zoom_start=7)
    folium.GeoJson(fc).add_to(m)
    return m.get_root().render()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = build_store(Path(tmp) / "bench.sqlite")
        cases = {
            "naive folium, raw snapshot": lambda: naive(store),
            "frontwatch, full Donbas": lambda: render.map_page(
                store, render.parse_query(DAY), "cdn"),
            "frontwatch, 15 km around Kramatorsk": lambda: render.map_page(
                store, render.parse_query(DAY, place="Kramatorsk"), "cdn"),
            "frontwatch, 26-frame time-lapse": lambda: render.map_page(
                store, render.parse_query("2025-06-30", start="2025-01-06", step="7d"), "cdn"),
            "frontwatch, static PNG 1200×800": lambda: render.map_image(
                store, render.parse_query(DAY)),
        }
        rows = []
        for name, fn in cases.items():
            def cold(fn=fn):
                render.cache.clear()
                return fn()
            seconds = median_seconds(cold, args.repeat)
            size = len(fn() if isinstance(fn(), bytes) else fn().encode())
            rows.append((name, size, seconds))
        cases["frontwatch, full Donbas"]()  # prime the cache
        cached = median_seconds(cases["frontwatch, full Donbas"], args.repeat)
        store.close()
    base_size, base_t = rows[0][1], rows[0][2]
    print("| map | HTML/bytes | size ratio | render s | time ratio |")
    print("|---|---|---|---|---|")
    for name, size, t in rows:
        print(f"| {name} | {size / 1024:,.0f} KB | {size / base_size:.2f} | {t:.2f} | "
              f"{t / base_t:.2f} |")
    print(f"| frontwatch, full Donbas, cached | | | {cached:.4f} | {cached / base_t:.3f} |")


if __name__ == "__main__":
    main()
