"""Data requests run on at most FRONTWATCH_DATA_THREADS threads per worker (api.app)."""

from __future__ import annotations

import pytest
from anyio import to_thread
from fastapi.testclient import TestClient

from frontwatch.api.app import create_app
from frontwatch.errors import InputError
from frontwatch.settings import Settings


def test_the_worker_bounds_its_data_threads(tmp_path, monkeypatch):
    monkeypatch.setenv("FRONTWATCH_DATA_THREADS", "3")
    settings = Settings(database_url=str(tmp_path / "s.sqlite"), render_processes=0)
    with TestClient(create_app(settings)) as client:
        tokens = client.portal.call(lambda: to_thread.current_default_thread_limiter()
                                    .total_tokens)
        assert tokens == 3
        assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("value", ["0", "257", "four"])
def test_a_bad_setting_is_named(monkeypatch, value):
    monkeypatch.setenv("FRONTWATCH_DATA_THREADS", value)
    with pytest.raises(InputError, match="FRONTWATCH_DATA_THREADS"):
        Settings()


def test_healthz_names_the_worker_and_its_data_threads(tmp_path):
    import os

    settings = Settings(database_url=str(tmp_path / "s.sqlite"), render_processes=0)
    with TestClient(create_app(settings)) as client:
        health = client.get("/healthz").json()
    assert health["worker"] == os.getpid() and health["data_threads"] == settings.data_threads
