"""Frontwatch: a versioned record of territorial control in the Donbas.

``frontwatch.open(db)`` opens a store for notebooks (see :mod:`frontwatch.notebook`); it is
imported lazily so that ``import frontwatch`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - type checkers see open()'s signature
    from frontwatch.notebook import open

__all__ = ["open"]


def __getattr__(name: str) -> Any:
    if name == "open":
        from frontwatch.notebook import open as open_

        return open_
    raise AttributeError(f"module 'frontwatch' has no attribute {name!r}")
