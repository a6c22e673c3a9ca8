"""The illustrative demo: shown on a fresh default store, never beside real data."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from frontwatch.bootstrap import load_demo
from frontwatch.errors import InputError
from frontwatch.ingest import ImportOptions, import_paths
from frontwatch.model import DEMO_SOURCE
from tests.helpers import OCC, deepstate_fc, square, write


def test_fresh_default_store_shows_the_demo_and_says_so(tmp_path):
    env = {"XDG_DATA_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "frontwatch"]
    snaps = json.loads(subprocess.run([*cmd, "snapshots", "--json"], env=env, check=True,
                                      capture_output=True, text=True).stdout)
    assert snaps and all(s["source"] == DEMO_SOURCE and s["illustrative"] for s in snaps)
    fc = json.loads(subprocess.run([*cmd, "show", "latest"], env=env, check=True,
                                   capture_output=True, text=True).stdout)
    assert fc["illustrative"] is True and "NOT an assessment" in fc["notice"]
    assert "ILLUSTRATIVE" in fc["attribution"]


def test_real_import_retires_the_demo(store, tmp_path):
    load_demo(store)
    assert DEMO_SOURCE in store.sources()
    assert {r.slug for r in store.regions()} >= {"demo-donetsk", "donbas"}
    write(tmp_path / "1719835200.geojson", deepstate_fc((OCC, square())))
    import_paths(store, [tmp_path / "1719835200.geojson"], ImportOptions())
    assert store.sources() == ["deepstate"]
    assert not [r for r in store.regions(include_illustrative=True) if r.illustrative]
    with pytest.raises(InputError, match="never mixed"):
        load_demo(store)
