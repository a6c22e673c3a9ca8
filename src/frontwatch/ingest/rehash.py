"""Migration 0013: every stored revision's content hash recomputed as the hash of its claim in
canonical form (:mod:`frontwatch.canonical`), so that re-importing a stored file, or the same
claim in another format, is "unchanged" after an upgrade.

Versions before it hashed the geometry as read (ring start, orientation and part order
included), so a store may hold two revisions of one moment that claim the same: the same map
imported from a Shapefile and from a GeoPackage. Their hashes now collide, and the store keeps
one revision per (source, moment, hash):

- a revision whose claim is that of the revision recorded just before it (same source and
  moment) claimed nothing new: it is merged into the first of the run. Its zones, layers and
  derived rows go the way of `frontwatch snapshots delete` (the derived tables follow, its id
  is never handed out again), the files that made it point to the revision kept (so they
  import as "unchanged"), and the revision kept gets a "merged" import note saying so;
- an earlier revision whose claim came back after a different one (A, B, A') stays, as what
  was known then, and so does the later one, which is the state of that moment: the earlier
  one's hash gets the suffix ``~r<revision>`` (and a "marked" note), the later one keeps the
  plain hash, so a re-import finds it.

It runs inside the migration's transaction: killed halfway, the store is as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from frontwatch import canonical
from frontwatch.dates import iso
from frontwatch.model import SnapshotInfo
from frontwatch.store.base import SqlStore


@dataclass(slots=True)
class Rehashed:
    """What the migration did: revisions hashed, hashes changed, revisions merged (dropped
    id, kept id) and earlier revisions whose hash got a ``~r<revision>`` suffix."""

    revisions: int = 0
    changed: int = 0
    merged: list[tuple[int, int]] = field(default_factory=list)
    marked: list[int] = field(default_factory=list)


def rehash_store(store: SqlStore) -> Rehashed:
    """Recompute every revision's content hash from its stored zones (see the module), in the
    caller's transaction (the migration's)."""
    out = Rehashed()
    infos = store.snapshots()  # by source, moment, then recorded
    fresh = {i.id: canonical.content_hash(store.zones(i.id)) for i in infos}
    out.revisions = len(infos)
    for _, group in groupby(infos, key=lambda i: (i.source, i.valid_at)):
        kept = _merge_runs(store, list(group), fresh, out)
        _mark_returns(store, kept, fresh, out)
    for info in store.snapshots():  # the merged ones are gone
        if fresh[info.id] != info.content_hash:
            store.set_content_hash(info.id, fresh[info.id])
            out.changed += 1
    return out


def _merge_runs(store: SqlStore, revisions: list[SnapshotInfo], fresh: dict[int, str],
                out: Rehashed) -> list[SnapshotInfo]:
    """Merge each revision claiming what the one recorded before it claimed into the first
    of that run; the revisions left, oldest first."""
    kept: list[SnapshotInfo] = []
    for info in revisions:
        head = kept[-1] if kept else None
        if head is None or fresh[head.id] != fresh[info.id]:
            kept.append(info)
            continue
        _merge(store, info, head)
        out.merged.append((info.id, head.id))
    return kept


def _merge(store: SqlStore, dup: SnapshotInfo, into: SnapshotInfo) -> None:
    """Drop `dup` as `frontwatch snapshots delete` would, its inputs pointed at `into`."""
    from frontwatch.analytics import precompute  # noqa: F401  (the derived tables follow)
    from frontwatch.ingest import delete_snapshot

    labels = {z.label for z in store.zones(dup.id)} - {z.label for z in store.zones(into.id)}
    store.move_inputs(dup.id, into.id)
    store.add_import_notes(into.id, [
        f"merged revision id {dup.id} (revision {dup.revision} of this moment, recorded "
        f"{iso(dup.recorded_at)}"
        + (f", from {dup.origin}" if dup.origin else "")
        + f") into this one, which id {dup.id} now answers for: the same claim (status, "
        "kind and ground; its vertex order, orientation or feature split differed)"
        + (f"; {len(labels)} zone label(s) of it not kept" if labels else "")])
    delete_snapshot(store, dup.id)
    store.record_merge(dup.id, into.id)  # its old id points at the kept one


def _mark_returns(store: SqlStore, revisions: list[SnapshotInfo], fresh: dict[int, str],
                  out: Rehashed) -> None:
    """An earlier revision whose claim recurs later (after a different one) keeps its place
    in the history under the hash with a ``~r<revision>`` suffix; the latest keeps the hash."""
    latest = {fresh[i.id]: i for i in revisions}  # oldest first: the last one wins
    for info in revisions:
        h = fresh[info.id]
        if latest[h] is not info:
            fresh[info.id] = f"{h}~r{info.revision}"
            out.marked.append(info.id)
            store.add_import_notes(info.id, [
                f"marked this revision's hash ~r{info.revision}: revision "
                f"{latest[h].revision} (id {latest[h].id}), recorded later, claims the same "
                "again after a different one, and holds the hash"])
