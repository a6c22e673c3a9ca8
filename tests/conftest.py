"""Shared fixtures. Tests that need the real data in ../shared/data skip, with a reason,
where it is absent; nothing from it is ever written into the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from frontwatch.analytics import precompute  # noqa: F401  (registers ingest's hooks, as every entry point does)
from frontwatch.store import open_store

# Apps made by tests start cold: warming every one (api.warm, seconds each) would only slow the
# suite; tests/test_warm.py turns it on where it is the subject.
os.environ.setdefault("FRONTWATCH_WARM", "0")
# `frontwatch import` run in-process (CliRunner) lowers the CPU priority of the process it runs
# in, and a process cannot raise it back: two imports would leave the rest of the suite at
# nice 19, and the render threads no lower than the thread asking them. tests/test_priority.py
# sets it on the subprocesses it checks.
os.environ.setdefault("FRONTWATCH_IMPORT_NICE", "0")

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


@pytest.fixture(scope="module")
def rstore(real_db):
    """The real data's store, opened once per test module (for tests that only read it)."""
    s = open_store(real_db)
    yield s
    s.close()


# The comparison store (cmp_db): DeepStateMap raw files and NZZ maps
DS_FILE = "1748806839.geojson.gz"  # DeepStateMap, 2025-06-01
DS_APRIL = "1743539135.geojson.gz"  # DeepStateMap, 2025-04-01
DS_2024 = "1709587318.geojson.gz"  # DeepStateMap, 2024-03-04
NZZ_FILE = "2025-06-01.json.gz"  # NZZ's map of 2025-05-27, fetched on 2025-06-01
NZZ_APRIL = "2025-04-01.json.gz"
NZZ_ORDLO = "2024-03-04.json.gz"  # a map that still mixes in the areas held since 2014


@pytest.fixture(scope="session")
def cmp_db(tmp_path_factory):
    """Oblasts, three DeepStateMap revisions and three NZZ maps (one with ORDLO)."""
    from frontwatch.bootstrap import ensure_places
    from frontwatch.ingest import ImportOptions, import_paths
    from frontwatch.ingest.regions import import_regions
    from frontwatch.store import open_store

    shared = need_shared()
    path = tmp_path_factory.mktemp("compare") / "c.sqlite"
    store = open_store(path)
    ensure_places(store)
    import_regions(store, shared / "boundaries" / "Ukraine.geojson.gz", "oblast")
    import_paths(store, [*(shared / "deepstate-raw" / f for f in (DS_2024, DS_APRIL, DS_FILE)),
                         *(shared / "nzz" / f for f in (NZZ_ORDLO, NZZ_APRIL, NZZ_FILE))],
                 ImportOptions())
    store.close()
    return path


@pytest.fixture(scope="module")
def cstore(cmp_db):
    """The comparison store, opened once per test module (for tests that only read it)."""
    s = open_store(cmp_db)
    yield s
    s.close()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    """A store file with the bundled places and the illustrative demo (for CLI tests that
    read it; a test that writes makes its own)."""
    from frontwatch.bootstrap import ensure_places, load_demo

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    with open_store(path) as s:
        ensure_places(s)
        load_demo(s)
    return path
