"""`mypy --strict` passes on the public Python API: the modules listed in pyproject's
[tool.mypy] (``frontwatch.open()`` and its object, ``frontwatch.analytics``, the pure
helpers, the model and the settings). A new untyped function or a result whose type no
longer matches its annotation fails here."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = ("frontwatch/__init__.py", "frontwatch/notebook.py", "frontwatch/analytics/__init__.py",
          "frontwatch/geometry.py", "frontwatch/dates.py", "frontwatch/text.py",
          "frontwatch/precision.py", "frontwatch/cql.py", "frontwatch/model.py",
          "frontwatch/settings.py", "frontwatch/provenance.py")


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]


def test_the_public_modules_are_checked_strictly():
    config = _config()
    assert config["strict"] is True
    for module in PUBLIC:
        assert f"src/{module}" in config["files"], f"{module} is not type-checked"
    # src/frontwatch/api is a symlink to api/: checked twice it would be two modules
    assert any("src/frontwatch/api" in e for e in config["exclude"])


def test_mypy_strict_passes():
    pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[test]')")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(ROOT / ".mypy_cache")],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success: no issues found" in proc.stdout


def test_mypy_sees_the_typed_results(tmp_path):
    """A notebook's view: what open() and its methods return is known to a type checker
    (TypedDict keys, DataFrames), not Any."""
    pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[test]')")
    user = tmp_path / "notebook_cell.py"
    user.write_text(
        "import frontwatch\n"
        "from frontwatch import analytics\n"
        "fw = frontwatch.open()\n"
        "reveal_type(fw.area('donbas', '2025-06-30')['occupied_km2'])\n"
        "reveal_type(fw.areas())\n"
        "reveal_type(analytics.place_timeline)\n"
        "fw.area('donbas', '2025-06-30')['occupied']\n")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(ROOT / ".mypy_cache"),
         str(user)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    out = proc.stdout
    assert re.search(r'Revealed type is "(builtins\.)?float"', out), out
    assert "pandas.core.frame.DataFrame" in out, out
    assert "StatusPeriod" in out, out
    # a key that AreaFigures does not have is an error, not a silent KeyError later
    assert 'TypedDict "AreaFigures" has no key "occupied"' in out, out
