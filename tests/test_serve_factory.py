"""`frontwatch serve --workers N` hands each worker a pickled app factory. A worker answers
its supervisor's health pings (every 5 s in uvicorn) only once that is unpickled, so
unpickling must not import the app: when it did, a busy machine's workers were killed for
silence and restarted, forever."""

from __future__ import annotations

import pickle
import subprocess
import sys

from frontwatch.api.factory import AppFactory
from frontwatch.settings import Settings
from tests.conftest import REPO


def test_unpickling_the_factory_imports_only_the_settings(tmp_path):
    settings = Settings(database_url=str(tmp_path / "x.sqlite"))
    blob = pickle.dumps(AppFactory(settings))
    code = ("import pickle, sys; f = pickle.loads(sys.stdin.buffer.read()); "
            "heavy = sorted(m for m in ('fastapi', 'geopandas', 'shapely', 'uvicorn', "
            "'frontwatch.api.app', 'frontwatch.store') if m in sys.modules); "
            "print(f.settings.database_url); print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], input=blob, capture_output=True,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    url, heavy = done.stdout.decode().splitlines()
    assert url == settings.database_url and heavy == "[]"


def test_the_factory_makes_the_app_with_its_settings(tmp_path):
    settings = Settings(database_url=str(tmp_path / "x.sqlite"))
    app = pickle.loads(pickle.dumps(AppFactory(settings)))()
    assert app.state.settings == settings
