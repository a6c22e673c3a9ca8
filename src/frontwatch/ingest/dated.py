"""Features with user-given statuses → snapshots, one per map date.

A file may hold several days: the public daily archive also ships as one FeatureCollection
with one feature per day and a ``date`` property. `--date-field NAME` makes one revision per
distinct value of that property; without it, features of different dates are never merged
into one snapshot silently: the import is refused, naming the dates, unless the caller asks
for the union (`--merge-dates`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from frontwatch import dates
from frontwatch.errors import InputError, described, echo
from frontwatch.ingest.base import Input
from frontwatch.ingest.prepare import build_snapshot
from frontwatch.ingest.vector import StatusMapping, check_field, with_statuses
from frontwatch.model import Snapshot

Feature = tuple[dict, Any]
# Property names that, when their values differ between features, mean "one file, many
# dates" (compared case-insensitively).
DATE_LIKE = ("date", "day", "map_date", "mapdate", "valid_at", "datetime")


def snapshots(features: list[Feature], origin: str, *, source: str, status: StatusMapping,
              when: datetime | None, date_field: str | None, merge_dates: bool,
              notes: list[str]) -> list[Snapshot]:
    """One snapshot, or with `date_field` one per distinct date (oldest first); a feature's
    date is read like `--date` (frontwatch.dates: a bare day is its start, 00:00 UTC)."""
    if date_field:
        if when is not None:
            raise InputError("--date and --date-field exclude each other: the dates come "
                             f"from the {echo(date_field)} property", origin=origin)
        fields = sorted({str(k) for p, _ in features for k in p})
        check_field(date_field, fields, origin)
        by_day: dict[datetime, list[Feature]] = {}
        for i, (props, geom) in enumerate(features):
            day = _feature_date(props.get(date_field), date_field, i, origin)
            by_day.setdefault(day, []).append((props, geom))
        out = []
        for day, group in sorted(by_day.items()):
            day_notes = list(notes)
            zones = with_statuses(group, status, f"{origin} ({day:%Y-%m-%d})", day_notes)
            out.append(build_snapshot(source, day, zones, origin, day_notes))
        return out
    if not merge_dates:
        _refuse_mixed_dates(features, origin)
    zones = with_statuses(features, status, origin, notes)
    if when is None:
        raise InputError("this format carries no date: pass --date YYYY-MM-DD (or "
                         "--date-field NAME when each feature carries its own)", origin=origin)
    return [build_snapshot(source, when, zones, origin, notes)]


def given_statuses(features: list[Feature], inp: Input, source: str, what: str,
                   notes: list[str] | None = None) -> list[Snapshot]:
    """Snapshots of features whose statuses the user gives (`--status`/`--status-field`,
    dated by `--date` or `--date-field`): the reading of every format without statuses of
    its own. Refused, with the daily archive's layout pointed out when the features look
    like it, when the user gives none."""
    opts = inp.opts
    if not inp.by_status:
        raise InputError(f"{what}: not DeepStateMap or archive data; give --status STATUS or "
                         "--status-field FIELD (with --status-map VALUE=STATUS or "
                         f"VALUE=ignore){layout_hint(features)}", origin=inp.name)
    return snapshots(features, inp.name, source=source, status=opts.status, when=opts.date,
                     date_field=opts.date_field, merge_dates=opts.merge_dates,
                     notes=list(notes or []))


def _feature_date(value: Any, field: str, i: int, origin: str) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
        # Esri JSON dates: milliseconds since 1970 (seconds when too small to be those)
        seconds = value / 1000 if abs(value) > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise InputError(f"feature {i} has an invalid {echo(field)}: a number out of range",
                             origin=origin) from None
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp from a date field
        value = value.to_pydatetime()
    if isinstance(value, datetime):  # GeoPackage/FlatGeobuf date-time fields
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time(), UTC)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"feature {i} has no {echo(field)} date", origin=origin)
    try:
        # The future is refused later, with a day's tolerance (prepare.check_valid_at).
        return dates.instant(value.strip()[:40], field, day_start=True, future=True)
    except InputError:
        raise InputError(f"feature {i} has an invalid {echo(field)} {described(value)}: expected "
                         "YYYY-MM-DD or an ISO 8601 date-time", origin=origin) from None


def _date_values(features: list[Feature]) -> tuple[str, list[str]] | None:
    """The first date-like property whose values differ between features, with them."""
    values: dict[str, set[str]] = {}
    for props, _ in features:
        for key, v in props.items():
            if str(key).lower() in DATE_LIKE and v is not None and str(v).strip():
                values.setdefault(str(key), set()).add(str(v)[:40])
    return next(((k, sorted(v)) for k, v in values.items() if len(v) > 1), None)


def _date_shown(value: str) -> str:
    """A date from the content as we read it (ISO 8601, our own spelling), or described by
    its length when it is not one: the raw text is never repeated."""
    try:
        t = dates.instant(value.strip(), "date", day_start=True, future=True)
    except (InputError, ValueError, OverflowError):
        return described(value)
    return t.date().isoformat() if t.time() == time() else t.isoformat()


def layout_hint(features: list[Feature]) -> str:
    """For a refusal: the daily archive's one-file layout, when the features look like it
    (one feature per day, a date property), and how to import it."""
    found = _date_values(features)
    if found is None:
        return ""
    key, shown = found
    one_per_day = len(shown) == len(features)
    return (f"; the features carry {len(shown)} dates in {key!r} ({_date_shown(shown[0])} … "
            f"{_date_shown(shown[-1])})"
            + (", one feature per day like the daily archive's one-file layout" if one_per_day
               else "") + f": e.g. --status occupied --date-field {key}")


def _refuse_mixed_dates(features: list[Feature], origin: str) -> None:
    found = _date_values(features)
    if found is None:
        return
    key, shown = found
    listed = ", ".join(_date_shown(v) for v in shown[:5]) + (
        f" … {_date_shown(shown[-1])}" if len(shown) > 5 else "")
    raise InputError(
        f"the features carry {len(shown)} different dates in {key!r} ({listed}): pass "
        f"--date-field {key} for one revision per date, or --merge-dates to store their "
        "union as one snapshot", origin=origin)
