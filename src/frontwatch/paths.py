"""Where bundled data lives."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from frontwatch.settings import Settings


def data_dir() -> Path:
    """The bundled data folder: FRONTWATCH_DATA_DIR, else the package data
    `frontwatch.geodata` (data/geo, installed into the wheel by setup.py); running from a
    source checkout without installing, the repository's data/geo."""
    configured = Settings().data_dir
    if configured:
        return Path(configured)
    spec = find_spec("frontwatch.geodata")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[2] / "data" / "geo"
