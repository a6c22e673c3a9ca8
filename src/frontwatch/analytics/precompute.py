"""What an import precomputes so that reading never touches geometry: the area statistics
(:mod:`.areas`), the front-line lengths (:mod:`.front`), the change log
(:mod:`.changelog_table`), the pairwise comparison of sources (:mod:`.pairs`) and the
status of every place (:mod:`.placestatus`). Each table
is filled inside the import transaction, so none lags behind the snapshots, and `frontwatch
stats rebuild` recomputes them all.
"""

from __future__ import annotations

from collections.abc import Callable

from frontwatch.analytics import areas, changelog_table, front, pairs, placestatus
from frontwatch.model import SnapshotInfo
from frontwatch.store.base import SqlStore

# progress(table, done, total): revisions done so far for one table (total None: unknown).
Progress = Callable[[str, int, int | None], None]
AREAS, LINES, CHANGES, PAIRS = ("area statistics", "front lines", "change log",
                                "source comparison")
PLACES = "place status"


def on_snapshot(store: SqlStore, info: SnapshotInfo) -> None:
    """Everything derived from a new revision (called by the import, in its transaction)."""
    areas.on_snapshot(store, info)
    front.on_snapshot(store, info)
    changelog_table.on_snapshot(store, info)
    pairs.on_snapshot(store, info)
    placestatus.on_snapshot(store, info)


def on_delete(store: SqlStore, info: SnapshotInfo) -> None:
    """After a revision was deleted (in the same transaction): the change-log rows measured
    from it went with it (ON DELETE CASCADE); measure those days from their new base."""
    changelog_table.refresh(store, info.source)
    pairs.on_delete(store, info)
    placestatus.on_delete(store, info)


def on_regions(store: SqlStore, progress: Progress | None = None) -> None:
    """After a regions import: stats and change-log rows of new region versions, and the
    front lines of every revision whose theatre changed or just appeared."""
    areas.on_regions(store, _advance(progress, AREAS))
    front.refresh(store, progress=_done(progress, LINES))
    changelog_table.refresh(store, progress=_done(progress, CHANGES))
    pairs.on_regions(store)
    placestatus.on_regions(store, _done(progress, PLACES))


def rebuild(store: SqlStore, source: str | None = None,
            progress: Progress | None = None) -> dict:
    """Recompute every table (or one source's part) in one transaction. Returns the area
    rebuild's {"sources", "snapshots", "regions", "rows", "max_drift"} with "front_lines"
    and "change_revisions" (revisions measured for each)."""
    with store.transaction():
        total = areas.snapshot_count(store, source)
        res = areas.rebuild(store, source, _advance(progress, AREAS, total))
        res["front_lines"] = front.rebuild(store, source, _done(progress, LINES))
        res["change_revisions"] = changelog_table.rebuild(store, source,
                                                          _done(progress, CHANGES))
        if source is None or source in pairs.paired_sources(store):
            res["comparison_pairs"] = pairs.rebuild(store, _advance(progress, PAIRS))["pairs"]
        res["place_revisions"] = placestatus.rebuild(store, source, _done(progress, PLACES))
    return res


def _advance(progress: Progress | None, table: str, total: int | None = None
             ) -> Callable[[int], None] | None:
    """An `advance(n)` callback (what areas reports) as `progress(table, done, total)`."""
    if progress is None:
        return None
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        progress(table, done, total)
    return tick


def _done(progress: Progress | None, table: str) -> Callable[[int, int], None] | None:
    return None if progress is None else (lambda done, total: progress(table, done, total))
