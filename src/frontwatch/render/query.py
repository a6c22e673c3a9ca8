"""What a map request asks for, parsed once from text (URL parameters or CLI options) into
a checked value with precise errors, so the API and the CLI accept exactly the same input."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta

from frontwatch import dates, values
from frontwatch.errors import InputError, OptionConflict, echo
from frontwatch.geometry import UKRAINE_BOUNDS
from frontwatch.render.style import LANGS

MAX_FRAMES = 60
MAX_PIXELS = int(values.PIXELS.hi)
MAX_STEP_DAYS = int(values.STEP_DAYS.hi)
_STEP = re.compile(r"\s*([0-9]{1,5})\s*([dwm]?)\s*")


@dataclass(frozen=True, slots=True)
class DateNames:
    """How the caller spells each date input, for the errors about it (malformed, future,
    out of order, outside the data): the API's parameters by default; the CLI passes its
    options and arguments (``DATE``, ``--from``), so that a message names what was typed."""

    date: str = "date"
    start: str = "from"
    end: str = "to"
    compare: str = "compare"


API_NAMES = DateNames()


@dataclass(frozen=True, slots=True)
class MapQuery:
    on: date | None  # None: the latest snapshot
    source: str | None = None
    as_of: datetime | None = None
    region: str | None = None
    place: str | None = None
    radius_km: float = 15.0
    bbox: tuple[float, float, float, float] | None = None
    compare: date | None = None
    start: date | None = None  # time-lapse from …
    step_days: int = 7
    lang: str = "en"
    tiles: bool = False  # OpenStreetMap tiles shown on opening
    compare_source: str | None = None  # draw where this source and the map's source differ
    names: DateNames = field(default=API_NAMES, compare=False)  # for errors, not the map

    @property
    def timelapse(self) -> bool:
        return self.start is not None

    def key(self) -> tuple:
        return tuple(sorted((k, v) for k, v in asdict(self).items() if k != "names"))

    def frames(self) -> list[date]:
        """The dates of a time-lapse, from start to `on` every step (the last always in)."""
        assert self.start is not None and self.on is not None
        out, d = [], self.start
        while d < self.on:
            out.append(d)
            d += timedelta(days=self.step_days)
        return [*out, self.on]

    def frame_count(self) -> int:
        """len(self.frames()), counted without making them."""
        assert self.start is not None and self.on is not None
        return -(-(self.on - self.start).days // self.step_days) + 1


def check_frames(q: MapQuery, asked: MapQuery) -> None:
    """Refuse a time-lapse of more than MAX_FRAMES frames. `q` is the range cut to the data
    (what would be drawn: a range asked from 2020 on data starting in 2022 counts from 2022),
    `asked` the range as asked, named in the message when it differs."""
    n = q.frame_count()
    if n <= MAX_FRAMES:
        return
    cut = (f" (the range asked, {asked.start} to {asked.on}, cut to the data)"
           if (q.start, q.on) != (asked.start, asked.on) else "")
    raise InputError(f"{n} frames from {q.start} to {q.on}{cut} every {dates.n_days(q.step_days)}: "
                     f"at most {MAX_FRAMES}; use a larger step")


@dataclass(frozen=True, slots=True)
class ImageSize:
    width: int = 1200
    height: int = 800
    dpi: int = 100

    @property
    def pair(self) -> tuple[int, int]:
        return self.width, self.height


def parse_date(text: str | None, what: str) -> date | None:
    if text is None or text == "" or text == "latest":
        return None
    return dates.day(text, what)


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """'minlon,minlat,maxlon,maxlat' inside Ukraine's extent."""
    if not text:
        return None
    box = values.bbox(text)
    minx, miny, maxx, maxy = box
    if not (minx < maxx and miny < maxy):
        raise InputError(f"invalid bbox {echo(text)}: min must be below max")
    ux0, uy0, ux1, uy1 = UKRAINE_BOUNDS
    if maxx < ux0 or minx > ux1 or maxy < uy0 or miny > uy1:
        raise InputError(f"bbox {echo(text)} lies outside Ukraine "
                         f"({ux0},{uy0},{ux1},{uy1}); lon first, then lat")
    return box


def parse_step(text: str | int | None) -> int:
    """'7', '7d', '2w', '1m' (30 days) → days."""
    if text is None or text == "":
        return 7
    m = _STEP.fullmatch(str(text))
    days = int(m.group(1)) * {"": 1, "d": 1, "w": 7, "m": 30}[m.group(2)] if m else 0
    if not 1 <= days <= MAX_STEP_DAYS:
        raise InputError(f"invalid step {echo(text)}: expected a number of days like 7, 7d, 2w, "
                         f"1m (at most {MAX_STEP_DAYS} days)")
    return days


def parse_query(on: str | None, *, source: str | None = None, as_of: str | None = None,
                region: str | None = None, place: str | None = None,
                radius_km: float | str | None = None, bbox: str | None = None,
                compare: str | None = None, start: str | None = None, end: str | None = None,
                step: str | int | None = None, lang: str | None = None,
                tiles: bool = False, compare_source: str | None = None,
                names: DateNames = API_NAMES) -> MapQuery:
    """Check every parameter of a map request; the first problem is the error, a date's
    named as `names` spell it."""
    n = names
    day = parse_date(on, n.date)
    if end:
        day = parse_date(end, n.end)
    else:  # the end of a time-lapse is the map's own date: named as that one was given
        n = replace(n, end=n.date)
    as_of_t = dates.instant(as_of, "as_of") if as_of else None
    focus = [n for n, v in (("region", region), ("place", place), ("bbox", bbox)) if v]
    if len(focus) > 1:
        raise OptionConflict(f"give only one of region=, place=, bbox= (got {', '.join(focus)})")
    radius = values.number(radius_km, "radius_km", *values.RADIUS_KM) \
        if radius_km not in (None, "") else 15.0
    lang = lang or "en"
    if lang not in LANGS:
        raise InputError(f"invalid lang {echo(lang)}: expected one of {', '.join(LANGS)}")
    q = MapQuery(on=day, source=source or None, as_of=as_of_t, region=region or None,
                 place=place or None, radius_km=radius, bbox=parse_bbox(bbox),
                 compare=parse_date(compare, n.compare), start=parse_date(start, n.start),
                 step_days=parse_step(step), lang=lang, tiles=tiles,
                 compare_source=compare_source or None, names=n)
    if q.compare_source and (q.compare or q.start):
        raise OptionConflict(f"compare_source={echo(q.compare_source)} draws two sources on "
                             "one date: it cannot be combined with "
                             + ("compare=" if q.compare else "from="))
    if q.compare and q.start:
        raise OptionConflict("compare= and from= cannot be combined: a map either compares two "
                             "dates or animates a range")
    if q.start:
        if q.on is None:
            raise InputError(f"a time-lapse needs an end date: {names.end}=YYYY-MM-DD"
                             + (" (or the map date)" if names.end != n.date else ", not latest"))
        if q.start >= q.on:
            raise InputError(f"{n.start} {q.start} must be before {n.end} {q.on}")
        # the frame count is checked once the range is cut to the data (scene.clamp_timelapse)
    if q.compare and q.on and q.compare >= q.on:
        raise InputError(f"{n.compare} {q.compare} must be before the map date ({n.date} "
                         f"{q.on})")
    return q


def parse_size(width: int | str | None, height: int | str | None, dpi: int | str | None
               ) -> ImageSize:
    vals = {}
    for name, value, default, lo, hi in (("width", width, 1200, *values.PIXELS),
                                         ("height", height, 800, *values.PIXELS),
                                         ("dpi", dpi, 100, *values.DPI)):
        vals[name] = values.whole(value, name, lo, hi) if value not in (None, "") else default
    return ImageSize(**vals)
