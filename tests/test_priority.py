"""Background work yields the CPU to readers (frontwatch.priority): imports and syncs run at
FRONTWATCH_IMPORT_NICE, render threads and processes at nice +10."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from frontwatch import priority
from frontwatch.errors import InputError
from frontwatch.settings import Settings

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_a_thread_is_lowered_alone():
    seen: dict[str, int | None] = {}

    def work() -> None:
        seen["thread"] = priority.lower(5, thread=True)
        seen["own"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = os.getpriority(os.PRIO_PROCESS, 0)
    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen["thread"] == seen["own"] == min(19, before + 5)
    assert os.getpriority(os.PRIO_PROCESS, 0) == before  # the rest of the process is not


def test_nothing_changes_for_zero_and_the_floor_is_19():
    out = subprocess.run(
        [sys.executable, "-c", "import os; from frontwatch import priority; "
         "print(priority.lower(0), priority.lower(50), os.getpriority(os.PRIO_PROCESS, 0))"],
        capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([os.path.join(REPO, "src"), REPO])})
    assert out.stdout.split() == ["None", "19", "19"]


def test_an_import_runs_at_the_configured_priority(tmp_path):
    """The real CLI in a child process (a priority, once lowered, cannot be raised back);
    the import step reports the nice value it runs at."""
    code = ("import os, sys, frontwatch.ingest as ingest; real = ingest.import_paths\n"
            "def spy(*a, **k):\n"
            "    print('nice', os.getpriority(os.PRIO_PROCESS, 0), file=sys.stderr)\n"
            "    return real(*a, **k)\n"
            "ingest.import_paths = spy\n"
            "sys.argv = ['frontwatch', '--db', sys.argv[1], 'import', sys.argv[2]]\n"
            "from frontwatch.cli import main; main()")
    geojson = tmp_path / "zones.geojson"
    geojson.write_text('{"type": "FeatureCollection", "features": []}')
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.join(REPO, "src"), REPO])}
    base = os.getpriority(os.PRIO_PROCESS, 0)
    for nice in (7, 0):
        proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / f"s{nice}.sqlite"),
                               str(geojson)], capture_output=True, text=True,
                              env={**env, "FRONTWATCH_IMPORT_NICE": str(nice)})
        assert f"nice {min(19, base + nice)}" in proc.stderr, proc.stderr


@pytest.mark.parametrize("value", ["20", "-1", "high"])
def test_a_bad_setting_is_named(monkeypatch, value):
    monkeypatch.setenv("FRONTWATCH_IMPORT_NICE", value)
    with pytest.raises(InputError, match="FRONTWATCH_IMPORT_NICE"):
        Settings()
