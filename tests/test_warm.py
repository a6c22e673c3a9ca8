"""A worker warms up before it takes traffic (api.warm): representative reads through the
app itself, then the garbage collector's long-lived objects frozen."""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from frontwatch.api import warm
from frontwatch.api.app import create_app
from frontwatch.errors import InputError
from frontwatch.settings import Settings
from tests.helpers import OCC, deepstate_fc, free_port, square, wait_until_serving, write

ROOT = Path(__file__).resolve().parents[1]


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
        # the reads went through the response cache (keyed by host too: a client's own
        # host does not hit these entries; what it shares are the caches below them)
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


def test_a_server_started_on_an_empty_store_warms_when_data_arrives(store, tmp_path):
    """The real `frontwatch serve` on a store with no snapshots, then `frontwatch import` in
    another process: the worker notices the new data version and warms again for it, in
    the background (polled with a bounded deadline, no sleeps asserted)."""
    port, base = free_port(), ""
    env = {**os.environ, "FRONTWATCH_WORKERS": "1", "FRONTWATCH_WARM": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    env.pop("FRONTWATCH_SOURCE", None)
    proc = subprocess.Popen([sys.executable, "-m", "frontwatch", "serve", "--db",
                             str(store.path), "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(proc, base)
        first = httpx.get(f"{base}/healthz", timeout=10).json()["warm"]
        assert first["round"] == 1 and set(first["statuses"]) <= set(warm.LANDING)

        zones = write(tmp_path / "1719835200.geojson", deepstate_fc((OCC, square())))
        done = subprocess.run([sys.executable, "-m", "frontwatch", "--db", str(store.path),
                               "import", str(zones)], env=env, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        version = list(store.data_version())
        assert version != first["data_version"]

        deadline = time.monotonic() + 180
        while True:
            health = httpx.get(f"{base}/healthz", timeout=10).json()
            if health["warm"].get("data_version") == version:
                break
            assert time.monotonic() < deadline, f"never warmed for {version}: {health['warm']}"
            time.sleep(0.5)
        report = health["warm"]
        assert report["round"] >= 2 and "error" not in report
        assert report["statuses"]["/v1/snapshots/2024-07-01"] == 200
        assert set(report["statuses"].values()) == {200}
        # the round's prefill (api.warm.prefill) ran too: the zone's text was already
        # written by the reads, so it found nothing more to write
        assert report["prefill"]["stopped"] == "done" and report["prefill"]["texts"] == 0
        # the reads filled the worker's caches for the new version (the response cache
        # keys hold the host, so the geometry texts are what a client's first read reuses)
        caches = health["caches"]
        assert caches["response"]["entries"] >= 5 and caches["geojson"]["entries"] >= 1, caches
    finally:
        proc.terminate()
        proc.wait(timeout=30)
