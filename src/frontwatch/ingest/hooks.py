"""The one registry through which ingest tells the derived tables what it changed.

Ingest never imports analytics (analytics imports ingest): :mod:`frontwatch.analytics.precompute`
registers its handlers here when it is imported, and every entry point (the CLI, the API,
``frontwatch.open``) imports it. Each event runs inside the transaction that made the change,
so no derived table lags behind the snapshots, and a failing handler rolls the change back.

Events (a handler is appended to the event's list):

- ``on_snapshot(store, infos, progress)``: new revisions were stored — all of one import at
  once, oldest first, so a handler can work through them as a batch (a chain, pairs formed
  against the final state) rather than once per revision;
- ``on_delete(store, info)``: a revision was deleted;
- ``on_regions(store, progress)``: region versions were added.

``progress(table, done, total)`` (may be None) follows long work, one table at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from frontwatch.model import SnapshotInfo
    from frontwatch.store.base import SqlStore

# progress(table, done, total): items done so far for one table (total None: unknown).
Progress = Callable[[str, int, "int | None"], None]
SnapshotHandler = Callable[["SqlStore", "Sequence[SnapshotInfo]", "Progress | None"], None]
DeleteHandler = Callable[["SqlStore", "SnapshotInfo"], None]
RegionsHandler = Callable[["SqlStore", "Progress | None"], None]


@dataclass
class Hooks:
    on_snapshot: list[SnapshotHandler] = field(default_factory=list)
    on_delete: list[DeleteHandler] = field(default_factory=list)
    on_regions: list[RegionsHandler] = field(default_factory=list)

    def snapshots_stored(self, store: SqlStore, infos: Sequence[SnapshotInfo],
                         progress: Progress | None = None) -> None:
        if infos:
            for handler in _registered(self.on_snapshot):
                handler(store, infos, progress)

    def snapshot_deleted(self, store: SqlStore, info: SnapshotInfo) -> None:
        for handler in _registered(self.on_delete):
            handler(store, info)

    def regions_added(self, store: SqlStore, progress: Progress | None = None) -> None:
        for handler in _registered(self.on_regions):
            handler(store, progress)


def _registered(handlers: list) -> list:
    """The handlers of an event; none at all is a program that forgot to import
    frontwatch.analytics.precompute, and would store data without its derived tables."""
    if not handlers:
        raise RuntimeError("no derived-table handlers registered: import "
                           "frontwatch.analytics.precompute before storing (the CLI, the "
                           "API and frontwatch.open do)")
    return handlers


SNAPSHOT_HOOKS = Hooks()
