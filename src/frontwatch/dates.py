"""The date vocabulary of every entry point (CLI options, URL parameters, import options):
a *day*, an *instant* and a *range* of days, each parsed once here with the same rules.

- day: ``YYYY-MM-DD``, a calendar day in UTC.
- instant: a day, read as *the state on that date* (its end, 23:59:59 UTC), or an ISO 8601
  date-time; an offset is converted to UTC, none means UTC; whole seconds.
- range: ``from``/``to`` days; ``from`` starts at 00:00 UTC, ``to`` ends at 23:59:59 UTC.
- future: a date after today (UTC) is refused (the state on it is not known yet).
- stale: a date after a source's newest snapshot is answered with that snapshot, and the
  answer says how old it is (:func:`stale_days`).
- clamping: a range is cut to the days the source covers (:func:`clamp`), so it never costs
  more than the data.

Every mistake is an :class:`InputError` naming the parameter, never a ValueError or an
OverflowError (years are limited to MIN_YEAR..9999 and an offset that leaves that span is
refused)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from frontwatch.errors import FutureDate, InputError, NotFound, echo

MIN_YEAR = 1900  # nothing older is a date of this record; keeps arithmetic far from year 1
DAY_START, DAY_END = time(0, 0, 0), time(23, 59, 59)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9:.,]+([Zz]|[+-][0-9:]+)?")
DAY_HINT = "expected YYYY-MM-DD"
INSTANT_HINT = "expected YYYY-MM-DD or an ISO 8601 date-time such as 2025-06-30T12:00:00Z"


def iso(t: datetime) -> str:
    """The one text form of an instant in every output: UTC, whole seconds, ``Z``; sortable
    as text (the store keeps it so).

    Parameters
    ----------
    t : datetime.datetime
        timezone-aware (a naive one is taken as local time, as ``astimezone`` does).

    Returns
    -------
    str
        ``YYYY-MM-DDTHH:MM:SSZ``.

    Examples
    --------
    >>> iso(datetime(2025, 6, 30, 23, 7, 56, 400, tzinfo=UTC))
    '2025-06-30T23:07:56Z'
    """
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def today() -> date:
    """Today in UTC: the last day whose state can be asked for.

    Returns
    -------
    datetime.date
    """
    return datetime.now(UTC).date()


def _year_ok(d: date, text: str, name: str) -> None:
    if d.year < MIN_YEAR:
        raise InputError(f"{name}={echo(text)}: year {d.year} is out of range (dates from "
                         f"{MIN_YEAR}-01-01)")


def not_future(d: date | datetime, name: str, text: str | None = None) -> None:
    """Refuse a day (or an instant whose UTC day) is after today: its state is not known.

    Parameters
    ----------
    d : datetime.date or datetime.datetime
        an aware datetime is judged by its own date.
    name : str
        the parameter named in the error.
    text : str, optional
        what the user wrote, quoted in the error (default: the day).

    Raises
    ------
    FutureDate
        (an InputError) the day is after today, UTC.
    """
    day = d.date() if isinstance(d, datetime) else d
    if day > today():
        raise FutureDate(f"{name}={text or day.isoformat()!r} is in the future (today is "
                         f"{today().isoformat()} UTC): no state is known for it yet")


def day(text: str, name: str = "date", *, future: bool = False) -> date:
    """A calendar day ``YYYY-MM-DD``; `future=False` refuses days after today (UTC).

    Parameters
    ----------
    text : str
        ``YYYY-MM-DD``; surrounding white space is ignored.
    name : str
        the parameter named in an error.
    future : bool
        allow days after today.

    Returns
    -------
    datetime.date

    Raises
    ------
    InputError
        not ``YYYY-MM-DD``, or a year before MIN_YEAR; the message names `name`.
    FutureDate
        a day after today (UTC), unless `future`.

    Examples
    --------
    >>> day("2025-06-30")
    datetime.date(2025, 6, 30)
    >>> day("30.06.2025", "from")
    Traceback (most recent call last):
    frontwatch.errors.InputError: from='30.06.2025': invalid date, expected YYYY-MM-DD
    >>> day("2025-06-31")
    Traceback (most recent call last):
    frontwatch.errors.InputError: date='2025-06-31': invalid date, June 2025 has 30 days
    """
    t = text.strip()
    try:
        if not _DAY.fullmatch(t):
            raise ValueError
        d = date.fromisoformat(t)
    except ValueError:
        why = _not_a_day(t) if _DAY.fullmatch(t) else DAY_HINT
        raise InputError(f"{name}={echo(text)}: invalid date, {why}") from None
    _year_ok(d, text, name)
    if not future:
        not_future(d, name, text)
    return d


def _not_a_day(t: str) -> str:
    """Why a well-formed ``YYYY-MM-DD`` names no day: the format was right, the calendar
    says no (`2025-06-31`, `2025-13-01`, `2025-02-29`)."""
    y, m, d = (int(part) for part in t.split("-"))
    if not 1 <= m <= 12:
        return f"there is no month {m:02d} (months are 01-12)"
    if y < 1:
        return "there is no year 0000"
    days = calendar.monthrange(y, m)[1]
    return f"{calendar.month_name[m]} {y} has {days} days" if d else "days start at 01"


def instant(text: str, name: str = "date", *, day_start: bool = False,
            future: bool = False) -> datetime:
    """A UTC instant (whole seconds). A bare day is its end, 23:59:59 UTC (the state on that
    date), or its start with `day_start` (a range's first day, an imported map's day).

    Parameters
    ----------
    text : str
        ``YYYY-MM-DD`` or an ISO 8601 date-time; an offset is converted to UTC, none
        means UTC.
    name : str
        the parameter named in an error.
    day_start : bool
        a bare day is 00:00:00 UTC instead of 23:59:59.
    future : bool
        allow instants after today.

    Returns
    -------
    datetime.datetime
        aware, UTC, microseconds dropped.

    Raises
    ------
    InputError
        not a date or date-time, or a year out of range; FutureDate after today.

    Examples
    --------
    >>> instant("2025-06-30")
    datetime.datetime(2025, 6, 30, 23, 59, 59, tzinfo=datetime.timezone.utc)
    >>> instant("2025-06-30T12:00:00+03:00")
    datetime.datetime(2025, 6, 30, 9, 0, tzinfo=datetime.timezone.utc)
    """
    t = text.strip()
    if _DAY.fullmatch(t):
        d = day(t, name, future=future)
        return datetime.combine(d, DAY_START if day_start else DAY_END, UTC)
    try:
        if not _INSTANT.fullmatch(t):
            raise ValueError
        parsed = datetime.fromisoformat(t)
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        why = INSTANT_HINT
        if _INSTANT.fullmatch(t):  # the format is right: is the day part a day?
            try:
                date.fromisoformat(t[:10])
            except ValueError:
                why = _not_a_day(t[:10])
        raise InputError(f"{name}={echo(text)}: invalid date-time, {why}") from None
    try:
        value = parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-14:00 is in the year 10000 in UTC
        late = (parsed.utcoffset() or timedelta(0)) < timedelta(0)
        edge = "after the last" if late else "before the first"
        limit = "9999-12-31T23:59:59Z" if late else "0001-01-01T00:00:00Z"
        raise InputError(f"{name}={echo(text)}: in UTC this is {edge} instant a date-time "
                         f"can hold ({limit})") from None
    _year_ok(value, text, name)
    if not future:
        not_future(value, name, text)
    return value.replace(microsecond=0)


def day_or_instant(text: str, name: str = "date") -> date | datetime:
    """What a store lookup takes: a calendar day (the state at its end) or an instant.

    Parameters
    ----------
    text : str
        ``YYYY-MM-DD`` or an ISO 8601 date-time.
    name : str
        the parameter named in an error.

    Returns
    -------
    datetime.date or datetime.datetime
        a date for a bare day, else an aware UTC datetime.

    Raises
    ------
    InputError
        as :func:`day` and :func:`instant`.

    Examples
    --------
    >>> day_or_instant("2025-06-30"), day_or_instant("2025-06-30T00:00:00Z").hour
    (datetime.date(2025, 6, 30), 0)
    """
    t = text.strip()
    return day(t, name) if _DAY.fullmatch(t) else instant(t, name)


@dataclass(frozen=True, slots=True)
class DayRange:
    """Days `start`..`end` inclusive; None is an open end (the data's first or newest day)."""

    start: date | None = None
    end: date | None = None

    @property
    def start_instant(self) -> datetime | None:
        return datetime.combine(self.start, DAY_START, UTC) if self.start else None

    @property
    def end_instant(self) -> datetime | None:
        return datetime.combine(self.end, DAY_END, UTC) if self.end else None


def day_range(start: str | None, end: str | None, start_name: str = "from",
              end_name: str = "to") -> DayRange:
    """A range from two optional days (neither in the future).

    Parameters
    ----------
    start, end : str or None
        ``YYYY-MM-DD``; None or empty: an open end.
    start_name, end_name : str
        the parameters named in an error.

    Returns
    -------
    DayRange

    Raises
    ------
    InputError
        a malformed or future day, or `start` after `end` (naming both parameters).

    Examples
    --------
    >>> day_range("2025-01-01", None)
    DayRange(start=datetime.date(2025, 1, 1), end=None)
    """
    a = day(start, start_name) if start else None
    b = day(end, end_name) if end else None
    if a and b and a > b:
        raise InputError(f"{start_name} {a} is after {end_name} {b}: the range is inverted")
    return DayRange(a, b)


def clamp(rng: DayRange, first: date, newest: date, what: str = "the data",
          names: tuple[str, str] = ("from", "to")) -> tuple[date, date]:
    """The days of `rng` that `what` covers: open ends become its first/newest day, a start
    before the data moves to its first day, an end after it to its newest. A range wholly
    outside the data is NotFound (saying where the data starts or ends).

    Parameters
    ----------
    rng : DayRange
    first, newest : datetime.date
        the first and newest day `what` covers.
    what : str
        named in the error.
    names : tuple of (str, str)
        how the caller spells the start and the end (``from``/``to`` of the API, ``--from``/
        ``--to`` of the CLI): the error names the bound that lies outside the data.

    Returns
    -------
    tuple of (datetime.date, datetime.date)
        the clamped start and end, inclusive.

    Raises
    ------
    NotFound
        a range wholly before `first` or after `newest`.
    InputError
        a range that ends before it starts (said first, wherever the data lies).

    Examples
    --------
    >>> clamp(DayRange(date(2020, 1, 1), None), date(2022, 2, 24), date(2025, 6, 30))
    (datetime.date(2022, 2, 24), datetime.date(2025, 6, 30))
    """
    if rng.start is not None and rng.end is not None and rng.end < rng.start:
        raise InputError(f"the range is inverted: it starts {rng.start} and ends {rng.end}, "
                         "before it starts")
    if rng.end is not None and rng.end < first:
        raise NotFound(f"{names[1]}={rng.end}: no {what} on or before {rng.end}; its history "
                       f"starts {first}")
    if rng.start is not None and rng.start > newest:
        raise NotFound(f"{names[0]}={rng.start}: no {what} from {rng.start}: its newest "
                       f"snapshot is of {newest}")
    start = max(rng.start or first, first)
    end = min(rng.end or newest, newest)
    return start, end


def stale_days(on: date | datetime | None, newest: date) -> int:
    """Days between a requested date and the newest snapshot's day (0 when not after it,
    and for the latest state): the newest snapshot's :func:`age_days` on a date asked for.

    Parameters
    ----------
    on : datetime.date, datetime.datetime or None
        the requested date; None: the latest state.
    newest : datetime.date
        the newest snapshot's day.

    Returns
    -------
    int
        days, 0 or more.

    Examples
    --------
    >>> stale_days(date(2025, 7, 10), date(2025, 6, 30)), stale_days(None, date(2025, 6, 30))
    (10, 0)
    """
    return 0 if on is None else age_days(newest, on)


def n_days(n: float) -> str:
    """A count of days in English words, singular for one: "1 day", "0 days", "2.5 days",
    "1,234 days" (a whole number with separators, a fraction as ``:g``). The one spelling
    every English output uses, never "1 days" or "day(s)".

    Parameters
    ----------
    n : int or float
        The count of days.

    Returns
    -------
    str
        The count and the word, e.g. ``"1 day"``.

    Examples
    --------
    >>> n_days(1), n_days(0), n_days(2.5)
    ('1 day', '0 days', '2.5 days')
    """
    text = f"{n:,}" if isinstance(n, int) else f"{n:g}"
    return f"{text} day" if n == 1 else f"{text} days"


def age_days(snapshot_day: date, on: date | datetime | None) -> int:
    """How old a snapshot is on the date an output shows: `on`, the date asked for (None:
    the latest state, which is shown as of today UTC). Every output's "N days old" and
    ``age_days`` is this, so a map of a date past the data never calls its snapshot new.

    Parameters
    ----------
    snapshot_day : date
        The day of the snapshot shown (the revision in force on `on`).
    on : date, datetime or None
        The date the output shows; a datetime counts by its date; None: today (UTC).

    Returns
    -------
    int
        Whole days from `snapshot_day` to `on`, never negative.

    Examples
    --------
    >>> age_days(date(2025, 6, 30), date(2026, 11, 30))
    518
    >>> age_days(date(2023, 5, 29), date(2023, 5, 31))
    2
    """
    d = today() if on is None else on.date() if isinstance(on, datetime) else on
    return max((d - snapshot_day).days, 0)


def today_part(on: date | datetime | None) -> date | None:
    """The part of a cache key (or of a cached answer's validity) the calendar decides: an
    answer for the latest state or an open range (`on` None) counts its ages, and its "no
    newer data", to today UTC, so it holds for today only; an answer for a given date holds
    on any day. The one rule every cache of an age-bearing answer follows (rendered maps and
    charts, the API's response cache), so nothing else splits a cache by day.

    Parameters
    ----------
    on : date, datetime or None
        The date the answer shows; None: the latest state (or an open range's end).

    Returns
    -------
    datetime.date or None
        Today (UTC) when `on` is None, else None.

    Examples
    --------
    >>> today_part(date(2025, 6, 30)) is None, today_part(None) == today()
    (True, True)
    """
    return today() if on is None else None
