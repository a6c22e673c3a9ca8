"""A worker warms up before it takes traffic (api.warm): representative reads through the
app itself, then the garbage collector's long-lived objects frozen."""

from __future__ import annotations

import asyncio
import gc

import pytest
from fastapi.testclient import TestClient

from frontwatch.api import warm
from frontwatch.api.app import create_app
from frontwatch.errors import InputError
from frontwatch.settings import Settings


@pytest.fixture
def unfreeze():
    yield
    gc.unfreeze()  # the test process goes on as it was


def test_a_worker_reads_the_newest_snapshot_before_taking_traffic(real_db, monkeypatch,
                                                                   unfreeze):
    monkeypatch.setenv("FRONTWATCH_WARM", "1")
    settings = Settings(database_url=str(real_db), render_processes=0)
    assert settings.warm
    with TestClient(create_app(settings)) as client:
        report = client.get("/healthz").json()["warm"]
        assert "error" not in report
        newest = report["statuses"]  # every read answered, none a 4xx/5xx
        assert set(newest.values()) == {200} and report["requests"] == len(newest) >= 7
        assert "/v1/snapshots/2025-06-30?region=donbas" in newest
        assert report["frozen_objects"] > 10_000 and gc.get_freeze_count() > 0
        # the reads filled the response cache: the first client's read of them is a hit
        hits = client.get("/healthz").json()["caches"]["response"]["entries"]
        assert hits >= 4


def test_warm_paths_follow_the_store(store, real_store):
    assert warm.warm_paths(store, "deepstate") == ["/", "/collections", "/v1/sources"]
    paths = warm.warm_paths(real_store, "deepstate")
    assert "/v1/snapshots/2025-06-30" in paths
    assert "/v1/areas?region=donbas&from=2025-05-31&to=2025-06-30" in paths


def test_a_failing_read_never_stops_a_worker(unfreeze):
    async def broken(scope, receive, send):
        raise RuntimeError("boom")

    report = asyncio.run(warm.warm(broken, ["/"]))
    assert report["error"].startswith("RuntimeError") and report["requests"] == 0
    assert report["frozen_objects"] > 0


def test_the_budget_bounds_the_warm_up(unfreeze):
    async def slow(scope, receive, send):
        await asyncio.sleep(5)

    report = asyncio.run(warm.warm(slow, ["/"], budget_s=0.2))
    assert report["error"] == "stopped after 0.2 s" and report["seconds"] < 5


@pytest.mark.parametrize("value, expected", [("0", False), ("off", False), ("Yes", True)])
def test_the_switch(monkeypatch, value, expected):
    monkeypatch.setenv("FRONTWATCH_WARM", value)
    assert Settings().warm is expected


def test_a_malformed_switch_is_named(monkeypatch):
    monkeypatch.setenv("FRONTWATCH_WARM", "perhaps")
    with pytest.raises(InputError, match="FRONTWATCH_WARM='perhaps' should be 1 or 0"):
        Settings()
