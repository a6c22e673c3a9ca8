"""What a source covers, and how a requested date or range relates to it: the store-side half
of :mod:`frontwatch.dates` (which holds the rules). Every entry point that answers for a date
or a range goes through here, so a range is clamped to the data in one place and every
answer past the newest snapshot says how old it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from frontwatch import dates
from frontwatch.errors import NotFound, echo
from frontwatch.model import SnapshotInfo
from frontwatch.store.base import SqlStore, iso


def newest(store: SqlStore, source: str) -> SnapshotInfo:
    """The source's newest revision (NotFound when it has none)."""
    return store.resolve(source)


def freshness(store: SqlStore, source: str | Sequence[str], on: date | datetime | None
              ) -> dict[str, Any]:
    """`data_through` (the newest snapshot's valid_at) and `stale_days` (how many days the
    requested date lies past it; 0 when it does not): members of every dated answer. An
    answer drawing on several sources (a comparison) holds data only up to the earliest of
    their newest snapshots: that one is its `data_through`."""
    last = data_through(store, source)
    return {"data_through": iso(last.valid_at), "stale_days": dates.stale_days(on, last.date)}


def data_through(store: SqlStore, source: str | Sequence[str]) -> SnapshotInfo:
    """The newest snapshot an answer drawing on `source` (one or several) can show: of
    several, the earliest of their newest (the one its `data_through` names)."""
    names = [source] if isinstance(source, str) else list(source)
    return min((newest(store, s) for s in names), key=lambda info: info.valid_at)


def snapshot_said(source: str, valid_at: datetime, on: date | datetime | None,
                  brackets: bool = False) -> str:
    """How an English output names the snapshot it shows and its age on the date it shows
    (`on`; None: the latest state, as of today): "deepstate snapshot of 2023-05-29 08:00 UTC,
    2 days old" (tables), or "… UTC (2 days old)" with `brackets` (the map and chart lines,
    several snapshots in one sentence). The one English wording of an age; the rendered
    outputs' words in each language are render.style's ``age``/``source_age``."""
    age = f"{dates.n_days(dates.age_days(valid_at.date(), on))} old"
    named = f"{source} snapshot of {valid_at:%Y-%m-%d %H:%M} UTC"
    return f"{named} ({age})" if brackets else f"{named}, {age}"


def newest_said(store: SqlStore, source: str, span: Span) -> str:
    """How a table over a range names the newest revision it shows and that one's age on
    the end asked for (an open range: today), as a chart does: "newest: deepstate snapshot
    of 2025-06-30 20:07 UTC, 40 days old"."""
    info = store.resolve(source, span.end)
    return f"newest: {snapshot_said(info.source, info.valid_at, span.requested.end)}"


def newest_members(info: SnapshotInfo, span: Span) -> dict[str, Any]:
    """What a table over `span` says in JSON of `info`, the newest revision it shows (its
    title says it with :func:`newest_said`): `source`, `newest` (its valid_at, ISO 8601
    UTC) and `age_days`, its age on the end asked for (an open range: today)."""
    return {"source": info.source, "newest": iso(info.valid_at),
            "age_days": dates.age_days(info.date, span.requested.end)}


def stale_warning(doc: dict[str, Any], on: date | datetime | str | None,
                  source: str | None = None) -> str | None:
    """The one-line warning for an answer past the newest snapshot (None when it is not);
    `source` (else the doc's ``source``) names whose newest snapshot that is."""
    if not doc.get("stale_days"):
        return None
    src = source or doc.get("source")
    of = f"{src} of " if isinstance(src, str) else ""
    return (f"warning: no newer data: {on} is {dates.n_days(doc['stale_days'])} after the newest "
            f"snapshot ({of}{doc['data_through']}); showing that snapshot's state")


@dataclass(frozen=True, slots=True)
class Span:
    """A range cut to what a source covers."""

    start: date
    end: date
    requested: dates.DayRange
    data_through: datetime  # the newest snapshot's valid_at
    first: date | None = None  # the source's first day

    @property
    def base_day(self) -> date:
        """The day whose end-of-day state the range's changes are counted from: `from`
        starts at 00:00 UTC, so the day before `start` — or `start` itself when the history
        begins on it (its first state is the base; nothing older to compare with)."""
        return self.start if self.start == self.first else self.start - timedelta(days=1)

    @property
    def bounds(self) -> tuple[date, date]:
        return self.start, self.end

    @property
    def clamped(self) -> bool:
        """True when the requested end lies after the newest snapshot's day."""
        return self.requested.end is not None and self.requested.end > self.end

    @property
    def from_clamped(self) -> bool:
        """True when the requested start lies before the source's first day."""
        return self.requested.start is not None and self.requested.start < self.start

    def members(self) -> dict[str, Any]:
        """What a table answer says about its range: from/to as answered, data_through and,
        when `to` or `from` was cut, the day asked for (`to_requested`, `from_requested`)
        and `clamped`."""
        out: dict[str, Any] = {"from": self.start.isoformat(), "to": self.end.isoformat(),
                               "data_through": iso(self.data_through)}
        if self.clamped:
            out["to_requested"] = self.requested.end.isoformat()  # type: ignore[union-attr]
        if self.from_clamped:
            out["from_requested"] = self.requested.start.isoformat()  # type: ignore[union-attr]
        if self.clamped or self.from_clamped:
            out["clamped"] = True
        return out

    def note(self, name: str = "to") -> str | None:
        """A one-line note when the end was cut to the data (None otherwise)."""
        if not self.clamped:
            return None
        return (f"note: {name} {self.requested.end} is after the newest snapshot "
                f"({iso(self.data_through)}): the range ends {self.end}")

    def from_note(self, name: str = "from") -> str | None:
        """A one-line note when the start was cut to the data (None otherwise)."""
        if not self.from_clamped:
            return None
        return (f"note: {name} {self.requested.start} is before the first snapshot "
                f"({self.start}): the range starts {self.start}")


def span(store: SqlStore, source: str | Sequence[str], rng: dates.DayRange,
         names: tuple[str, str] = ("from", "to")) -> Span:
    """`rng` clamped to the source's days (see :func:`dates.clamp`, whose errors name the
    bound as `names` spell it); several sources (a comparison): to the days all of them
    cover, from the latest first day to the earliest newest snapshot."""
    srcs = [source] if isinstance(source, str) else list(source)
    held = [store.snapshot_span(s) for s in srcs]
    for s, h in zip(srcs, held):
        if h is None:
            raise NotFound(f"no snapshots from source {echo(s)}", suggestions=store.sources())
    first = max(h[0] for h in held if h)
    newest = min(h[1] for h in held if h)
    what = " and ".join(echo(s) for s in srcs)
    if first.date() > newest.date():
        raise NotFound(f"{what} cover no day together: one's history ends before the other's "
                       "starts")
    start, end = dates.clamp(rng, first.date(), newest.date(), f"{what} snapshot", names)
    return Span(start, end, rng, newest, first.date())


def check_day(store: SqlStore, source: str | Sequence[str], day: date | datetime | None,
              name: str) -> None:
    """NotFound when `day` lies before the history of `source` (of several: before the
    days all of them cover), naming the input as the caller spells it (`name`: ``date``,
    ``from`` of the API; ``--date``, ``DATE``, ``D1`` of the CLI): the one check of a single
    date against the data, before anything resolves a revision on it. None (the latest) and
    a day past the newest snapshot (answered with its age) pass."""
    if day is not None:
        on = day.date() if isinstance(day, datetime) else day
        span(store, source, dates.DayRange(None, on), (name, name))
