"""Where bundled data lives."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The bundled data folder: $FRONTWATCH_DATA_DIR, else the repository's data/geo."""
    env = os.environ.get("FRONTWATCH_DATA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "data" / "geo"
