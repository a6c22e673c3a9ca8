"""Where a source is unreliable: per revision, what import repaired or dropped, area jumps
beyond a plausible daily change, and front-line lengths far from their neighbours'.

The two detectors are pure functions over plain rows (:func:`area_jumps`,
:func:`length_outliers`); :func:`check` reads the rows from the store (import notes, the
precomputed area stats, the front-line length of each revision) and assembles the report.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import pairwise

from frontwatch.analytics.common import region_of, source_of
from frontwatch.analytics.front import line_length_km
from frontwatch.errors import NotFound
from frontwatch.oblasts import THEATRE
from frontwatch.store.base import SqlStore, iso, parse_iso

# Plausible change of occupied or grey-zone ground, in km² per day elapsed between two
# revisions (at least one day: revisions of the same day share one day's allowance). The
# fastest genuine moves in the record — the Kharkiv counteroffensive (September 2022) and
# the withdrawal from the Dnipro's right bank (November 2022) — ran at ~500–1,000 km²/day;
# from 2023 to mid-2025 the theatre's change stays under 60 km²/day. Above this, a change is
# either such an event or a drawing change of the source, which is what a researcher wants
# to look at.
MAX_KM2_PER_DAY = 250.0
# A revision's front line is an outlier when its length differs from the median length of
# the window of NEIGHBOURS revisions on each side, itself included (a Hampel-style filter:
# one odd revision cannot drag its neighbours' median), by more than this fraction.
LENGTH_TOLERANCE = 0.25
NEIGHBOURS = 4
# Import notes that say the stored revision differs from the file (`kept` notes — markers
# left out of the control layer — are routine and not listed), or, written by migration 0013
# (frontwatch.ingest.rehash), that it stands for a revision merged into it or that its hash
# was marked.
NOTE_KINDS = ("repaired", "dropped", "excluded", "skipped", "merged", "marked")

Row = tuple[datetime, int, float, float]  # (valid_at, snapshot id, occupied km², contested km²)


def area_jumps(rows: Sequence[Row], max_km2_per_day: float = MAX_KM2_PER_DAY) -> list[dict]:
    """Consecutive revisions whose occupied or contested km² changed by more than
    `max_km2_per_day` × days elapsed (days counted ≥ 1). Rows oldest first; one finding per
    revision and status: {snapshot_id, status, change_km2, days, km2_per_day, limit_km2}."""
    out = []
    for (t0, _, occ0, con0), (t1, sid, occ1, con1) in pairwise(rows):
        days = max((t1 - t0).total_seconds() / 86400.0, 1.0)
        for status, before, after in (("occupied", occ0, occ1), ("contested", con0, con1)):
            change = after - before
            if abs(change) > max_km2_per_day * days:
                out.append({"snapshot_id": sid, "status": status,
                            "change_km2": round(change, 1), "days": round(days, 2),
                            "km2_per_day": round(change / days, 1),
                            "limit_km2": round(max_km2_per_day * days, 1)})
    return out


def length_outliers(lengths: Sequence[tuple[int, float]], tolerance: float = LENGTH_TOLERANCE,
                    neighbours: int = NEIGHBOURS) -> list[dict]:
    """Revisions (in time order) whose front-line km differs from the median of the window
    of `neighbours` revisions on each side (itself included) by more than `tolerance`:
    {snapshot_id, length_km, neighbours_median_km, deviation_pct}."""
    out = []
    for i, (sid, km) in enumerate(lengths):
        around = [k for _, k in lengths[max(0, i - neighbours):i + 1 + neighbours]]
        if len(around) < 3:
            continue
        median = statistics.median(around)
        if median > 0 and abs(km - median) > tolerance * median:
            out.append({"snapshot_id": sid, "length_km": round(km, 1),
                        "neighbours_median_km": round(median, 1),
                        "deviation_pct": round(100.0 * (km - median) / median, 1)})
    return out


def check(store: SqlStore, source: str | None = None, region: str = THEATRE,
          frontline: bool = True, progress: Callable[[int, int], None] | None = None
          ) -> dict:
    """The reliability report of one source: every revision with a finding, oldest first,
    and the thresholds used. `frontline=False` skips the length check (one line per
    revision); `progress(done, total)` follows it."""
    src = source_of(store, source)
    try:
        reg = region_of(store, region)
    except NotFound:
        if region != THEATRE:
            raise
        reg = None  # no regions imported: only the import notes can be checked
    snaps = store.snapshots(src)
    notes = store.import_notes(src)
    found: dict[int, dict] = {}

    def entry(sid: int) -> dict:
        return found.setdefault(sid, {"import": [], "area_jumps": [], "frontline": None})

    for sid, items in notes.items():
        listed = [{"kind": k, "note": n} for k, n in items if k in NOTE_KINDS]
        if listed:
            entry(sid)["import"] = listed
    by_snapshot: dict[int, Row] = {}
    for valid_at, sid, _vf, _area, occ, con in (store.stats_series(reg.slug, src)
                                                if reg else []):
        by_snapshot[sid] = (parse_iso(valid_at), sid, float(occ), float(con))  # latest version
    rows = sorted(by_snapshot.values(), key=lambda r: r[0])
    for jump in area_jumps(rows):
        entry(jump.pop("snapshot_id"))["area_jumps"].append(jump)
    lengths: list[tuple[int, float]] = []
    frontline = frontline and reg is not None
    if frontline:
        for i, info in enumerate(snaps, 1):
            lengths.append((info.id, line_length_km(store, info)))
            if progress:
                progress(i, len(snaps))
        for row in length_outliers(lengths):
            entry(row.pop("snapshot_id"))["frontline"] = row
    revisions = []
    for info in snaps:
        if info.id in found:
            revisions.append({"snapshot_id": info.id, "valid_at": iso(info.valid_at),
                              "revision": info.revision, "origin": info.origin,
                              **found[info.id]})
    return {
        "source": src, "region": reg.slug if reg else None,
        "revisions_checked": len(snaps),
        "revisions_with_import_notes": len(notes),
        "thresholds": {"max_km2_per_day": MAX_KM2_PER_DAY,
                       "frontline_tolerance_pct": 100 * LENGTH_TOLERANCE,
                       "frontline_neighbours": NEIGHBOURS} if frontline else
                      {"max_km2_per_day": MAX_KM2_PER_DAY},
        "summary": {
            "import": {kind: sum(1 for r in revisions if any(n["kind"] == kind
                                                             for n in r["import"]))
                       for kind in NOTE_KINDS},
            "area_jumps": sum(1 for r in revisions if r["area_jumps"]),
            "frontline_outliers": sum(1 for r in revisions if r["frontline"]),
        },
        "not_checked": [] if reg else [
            "area jumps and front line: the store holds no regions (frontwatch regions "
            "import …)"],
        "revisions": revisions,
    }
