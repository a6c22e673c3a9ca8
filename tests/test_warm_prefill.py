"""The warm-up prefills the geometry-text cache (api.warm.prefill): the texts of the stored
zones, newest revisions first, written by the same code as a request's, until half the
cache's bound or the warm-up's budget."""

from __future__ import annotations

import asyncio
import gc
import time

import pytest
from fastapi.testclient import TestClient

from frontwatch import geojson
from frontwatch.api import warm
from frontwatch.api.app import create_app
from frontwatch.api.deps import StorePool
from frontwatch.settings import Settings

OLDER = "/collections/control/items?datetime=2025-03-15&limit=100"


@pytest.fixture
def cold_texts():
    """An empty geometry-text cache with its bound as it was (process-wide: restored)."""
    bound = geojson._texts.max_bytes
    geojson._texts.clear()
    yield geojson._texts
    geojson._texts.resize(bound)
    geojson._texts.clear()
    gc.unfreeze()  # the warm-up froze the collector's objects: the test process goes on


def features_of(body: bytes) -> bytes:
    """The features array of an items page, byte for byte (the members after it hold the
    request's time and links)."""
    head, _, rest = body.partition(b'"features":[')
    assert head, body[:200]
    return rest.partition(b'],"numberMatched"')[0]


def test_an_older_page_finds_every_text_in_the_cache(real_db, monkeypatch, cold_texts):
    monkeypatch.setenv("FRONTWATCH_WARM", "1")
    with TestClient(create_app(Settings(database_url=str(real_db), render_processes=0))
                    ) as client:
        report = client.get("/healthz").json()["warm"]["prefill"]
        assert report["texts"] > 100 and report["stopped"] in ("done", "bound"), report
        assert report["bytes"] <= geojson.prefill_room()
        before = geojson.cache_stats()
        warmed = client.get(OLDER)
        assert warmed.status_code == 200
        returned = warmed.json()["numberReturned"]
        after = geojson.cache_stats()
        assert returned > 10
        assert (after["hits"] - before["hits"], after["misses"] - before["misses"]) == \
            (returned, 0)

        # the same page built cold (no texts cached; another URL: not a response-cache hit)
        geojson._texts.clear()
        cold = client.get(OLDER + "&offset=0")
        assert geojson.cache_stats()["misses"] == returned
        assert features_of(cold.content) == features_of(warmed.content)


def test_a_tiny_bound_stops_the_prefill(real_db, cold_texts):
    cold_texts.resize(400_000)
    room = geojson.prefill_room()
    report = asyncio.run(warm.prefill(StorePool(str(real_db)), time.monotonic() + 60))
    assert report["stopped"] == "bound" and report["texts"] > 0, report
    assert 0 < cold_texts.bytes <= room == 200_000
    assert report["bytes"] == cold_texts.bytes and cold_texts.evictions == 0
    assert len(cold_texts) == report["texts"]


def test_the_budget_stops_the_prefill(real_db, cold_texts):
    report = asyncio.run(warm.prefill(StorePool(str(real_db)), time.monotonic()))
    assert report["stopped"] == "budget" and report["texts"] == 0 == len(cold_texts)


def test_an_unreadable_store_is_reported_not_raised(tmp_path, cold_texts):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database " * 100)
    report = asyncio.run(warm.prefill(StorePool(str(junk)), time.monotonic() + 5))
    assert "error" in report and report["texts"] == 0


def test_no_prefill_when_warming_is_off(real_db, monkeypatch, cold_texts):
    monkeypatch.setenv("FRONTWATCH_WARM", "0")
    with TestClient(create_app(Settings(database_url=str(real_db), render_processes=0))
                    ) as client:
        assert client.get("/healthz").json()["warm"] is None
        assert len(cold_texts) == 0


def test_a_later_round_walks_only_new_revisions(real_db, cold_texts):
    cold_texts.resize(2**30)  # room for every revision's texts: the walk ends, not the bound
    pool, done = StorePool(str(real_db)), set()
    first = asyncio.run(warm.prefill(pool, time.monotonic() + 120, done=done))
    assert first["stopped"] == "done" and first["texts"] > 0 and done
    newest = max(done)
    done.discard(newest)  # as if this revision had just been imported
    geojson._texts.clear()
    again = asyncio.run(warm.prefill(pool, time.monotonic() + 120, done=done))
    with pool.store() as store:
        zones = store.zones(newest)
    assert again["stopped"] == "done" and 0 < again["texts"] <= len(zones)
    assert newest in done and len(cold_texts) == again["texts"]
