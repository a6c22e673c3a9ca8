"""Shared fixtures. Tests that need the real data in ../shared/data skip, with a reason,
where it is absent; nothing from it is ever written into the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontwatch.store import open_store

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


def need_shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("real data in ../shared/data is absent")
    return SHARED


@pytest.fixture
def shared() -> Path:
    """The real data folder (deepstate-raw, deepstate-daily, boundaries)."""
    return need_shared()


@pytest.fixture
def store(tmp_path):
    """An empty SQLite store with the bundled places."""
    from frontwatch.bootstrap import ensure_places

    s = open_store(tmp_path / "test.sqlite")
    ensure_places(s)
    yield s
    s.close()


@pytest.fixture(scope="session")
def real_db(tmp_path_factory) -> Path:
    """A store file holding the real data: Donetsk/Luhansk raions (and their oblasts), all
    oblasts of Ukraine, the daily archive and the raw DeepStateMap snapshots of 2025.
    Built once per session; open it read-mostly with `open_store(real_db)`."""
    from bench.common import build_real_store

    path = tmp_path_factory.mktemp("real") / "real.sqlite"
    build_real_store(path, need_shared(), archive=True).close()
    return path


@pytest.fixture
def real_store(real_db):
    s = open_store(real_db)
    yield s
    s.close()
