"""Where bundled data lives."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from frontwatch.settings import Settings


def data_dir() -> Path:
    """The bundled data folder: FRONTWATCH_DATA_DIR, else the package data
    `frontwatch/geodata` — in a wheel the files setup.py installs there, in a source
    checkout the symlink src/frontwatch/geodata → data/geo. Never found by walking up from a
    source file, which would leave an installed package without it."""
    configured = Settings().data_dir
    if configured:
        return Path(configured)
    return Path(str(files("frontwatch") / "geodata"))
