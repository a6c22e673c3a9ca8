"""What an import precomputes so that reading never touches geometry: the area statistics
(:mod:`.areas`), the front-line lengths (:mod:`.front`), the change log
(:mod:`.changelog_table`), the pairwise comparison of sources (:mod:`.pairs`) and the
status of every place (:mod:`.placestatus`). Each table
is filled inside the import transaction, so none lags behind the snapshots, and `frontwatch
stats rebuild` recomputes them all.

Importing this module registers its handlers in ingest's one hook registry
(:mod:`frontwatch.ingest.hooks`); the CLI, the API and ``frontwatch.open`` import it. An
import announces all its new revisions at once, and each table works through them in turn
(oldest first): a new table is one more entry in STEPS.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from frontwatch.analytics import areas, changelog_table, front, pairs, placestatus
from frontwatch.ingest.hooks import SNAPSHOT_HOOKS, Progress
from frontwatch.model import SnapshotInfo
from frontwatch.store.base import SqlStore

AREAS, LINES, CHANGES, PAIRS = ("area statistics", "front lines", "change log",
                                "source comparison")
PLACES = "place status"
# step(store, revisions oldest first, advance(n) or None): one derived table.
Step = Callable[[SqlStore, Sequence[SnapshotInfo], Callable[[int], None] | None], None]


def each(update: Callable[[SqlStore, SnapshotInfo], None]) -> Step:
    """A per-revision update as a step (for a table with nothing to share across revisions)."""
    def step(store: SqlStore, infos: Sequence[SnapshotInfo],
             advance: Callable[[int], None] | None) -> None:
        for info in infos:
            update(store, info)
            if advance:
                advance(1)
    return step


def per_source(refresh: Callable[[SqlStore, str], object]) -> Step:
    """A table brought up to date a whole source at a time (stale revisions found by the
    table itself): one call per source of the new revisions."""
    def step(store: SqlStore, infos: Sequence[SnapshotInfo],
             advance: Callable[[int], None] | None) -> None:
        for source in dict.fromkeys(i.source for i in infos):
            refresh(store, source)
            if advance:
                advance(sum(i.source == source for i in infos))
    return step


STEPS: list[tuple[str, Step]] = [
    (AREAS, each(areas.on_snapshot)),  # in order: each revision's stats follow its previous
    (LINES, front.on_snapshots),
    (CHANGES, changelog_table.on_snapshots),
    (PAIRS, pairs.on_snapshots),
    (PLACES, per_source(placestatus.refresh)),
]


def on_snapshot(store: SqlStore, infos: Sequence[SnapshotInfo],
                progress: Progress | None = None) -> None:
    """Everything derived from new revisions (all of one import, inside its transaction):
    each table in turn, over the revisions oldest first."""
    order = sorted(infos, key=lambda i: (i.valid_at, i.recorded_at, i.id))
    for table, step in STEPS:
        step(store, order, _advance(progress, table, len(order)))


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


SNAPSHOT_HOOKS.on_snapshot.append(on_snapshot)
SNAPSHOT_HOOKS.on_delete.append(on_delete)
SNAPSHOT_HOOKS.on_regions.append(on_regions)
