"""Ingest never imports analytics: the derived tables register their handlers in ingest's one
hook registry when frontwatch.analytics.precompute is imported. Every entry point must import
it, or it would store revisions without their area stats, front lines and change log. Each
entry point runs here in a fresh interpreter, as a user starts it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from frontwatch.store import open_store
from tests.helpers import OCC, deepstate_fc, square, write
from tests.test_cli_data import run

# A small oblast around tests.helpers.SQUARE, in OSM's tags.
OBLAST = {"type": "FeatureCollection", "features": [{
    "type": "Feature",
    "properties": {"name": "Донецька область", "name:en": "Donetsk Oblast",
                   "name:uk": "Донецька область", "admin_level": "4",
                   "katotth": "UA14000000000013472"},
    "geometry": {"type": "Polygon", "coordinates": [[[37.5, 48.2], [38.6, 48.2], [38.6, 49.1],
                                                     [37.5, 49.1], [37.5, 48.2]]]}}]}


def _derived(db: Path) -> dict[str, int]:
    s = open_store(db)
    try:
        return {table: s._query(f"SELECT count(*) FROM {table}")[0][0]
                for table in ("snapshots", "region_stats", "frontline_lengths")}
    finally:
        s.close()


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def files(tmp_path):
    return (write(tmp_path / "oblast.geojson", OBLAST),
            write(tmp_path / "1719835200.geojson", deepstate_fc((OCC, square()))))


def test_cli_import_fills_the_derived_tables(tmp_path, files):
    db = tmp_path / "cli.sqlite"
    run("regions", "import", str(files[0]), "--level", "oblast", db=db)
    run("import", str(files[1]), db=db)
    counts = _derived(db)
    assert counts["snapshots"] == 1
    assert counts["region_stats"] > 0 and counts["frontline_lengths"] == 1


STORE_THEN_COUNT = """
import sys
from pathlib import Path
from frontwatch.ingest import ImportOptions, import_paths
from frontwatch.ingest.regions import import_regions
from frontwatch.store import open_store
{entry}
store = open_store(sys.argv[1])
import_regions(store, Path(sys.argv[2]), "oblast")
import_paths(store, [Path(sys.argv[3])], ImportOptions())
store.close()
"""


@pytest.mark.parametrize("entry", [
    "import frontwatch; frontwatch.open(sys.argv[1], create=True).close()",  # notebooks
    "from frontwatch.api.app import create_app",  # the API (uploads store through ingest)
])
def test_library_and_api_entry_points_register_the_hooks(tmp_path, files, entry):
    db = tmp_path / "lib.sqlite"
    proc = _python(STORE_THEN_COUNT.format(entry=entry), str(db), *map(str, files))
    assert proc.returncode == 0, proc.stderr
    counts = _derived(db)
    assert counts["region_stats"] > 0 and counts["frontline_lengths"] == 1


def test_storing_without_the_handlers_is_refused_and_changes_nothing(tmp_path, files):
    db = tmp_path / "bare.sqlite"
    proc = _python(STORE_THEN_COUNT.format(entry=""), str(db), *map(str, files))
    assert proc.returncode != 0
    assert "import frontwatch.analytics.precompute" in proc.stderr
    assert _derived(db)["snapshots"] == 0
