"""First-run content: the bundled places (facts, loaded into every store) and the
illustrative demo (only into an empty default store, or on request)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import shapely

from frontwatch import geometry
from frontwatch.errors import InputError, StoreLocked
from frontwatch.ingest import store_snapshot
from frontwatch.ingest.prepare import RawZone, build_snapshot
from frontwatch.ingest.regions import region_hash
from frontwatch.ingest.vector import VOCABULARY
from frontwatch.model import DEMO_SOURCE, Region
from frontwatch.paths import data_dir
from frontwatch.places import load_bundled_places
from frontwatch.store.base import SqlStore


def ensure_places(store: SqlStore) -> int:
    """Load (or refresh) the bundled gazetteer; returns how many places changed."""
    with store.transaction():
        return store.add_places(load_bundled_places())


def demo_path() -> Path:
    return data_dir() / "demo.geojson"


def load_demo(store: SqlStore, force: bool = False) -> int:
    """Load the illustrative demo; refuses a store that already holds real data."""
    if store.has_real_data() and not force:
        raise InputError("this store holds real data; the illustrative demo is never mixed "
                         "with it (use an empty store: --db demo.sqlite)")
    doc = orjson.loads(demo_path().read_bytes())
    added = 0
    by_date: dict[str, list[RawZone]] = {}
    with store.transaction():
        for f in doc["features"]:
            p = f["properties"]
            geom = shapely.geometry.shape(f["geometry"])
            if p["layer"] == "region":  # regions first: stats of the snapshots need them
                r = Region(slug=p["slug"], level=p["level"], name_en=p["name_en"],
                           name_uk=p["name_uk"], geometry=geometry.polygonal(geom),
                           illustrative=True, area_km2=float(geometry.area_km2(geom)))
                store.add_region(r, region_hash(r))
            elif p["layer"] == "control":
                st, kind, since = VOCABULARY[p["status"]]
                by_date.setdefault(p["date"], []).append(
                    RawZone(st, kind, geom, since, "illustrative"))
        for day, zones in sorted(by_date.items()):
            when = datetime.fromisoformat(day).replace(tzinfo=UTC)
            snap = build_snapshot(DEMO_SOURCE, when, zones, "bundled demo", illustrative=True)
            _, created = store_snapshot(store, snap)
            added += created
    return added


def prepare_default_store(store: SqlStore, is_default: bool) -> None:
    """The places if the store has none; the demo only for a brand-new default store, so a
    fresh install has something to show.

    Checked by reads first, so opening a prepared store writes nothing and never waits; a
    read-only store is served as it is, and while another process holds the write lock (an
    import into a new store) the preparation is left to a later open instead of waiting."""
    if store.readonly or not _unprepared(store, is_default):
        return
    try:
        with store.transaction(wait=False):
            if not store.has_places():  # re-checked under the lock
                ensure_places(store)
            if is_default and store.is_empty():
                load_demo(store)
    except StoreLocked:
        return


def _unprepared(store: SqlStore, is_default: bool) -> bool:
    return not store.has_places() or (is_default and store.is_empty())
