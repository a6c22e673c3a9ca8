"""The area chart for articles: how much of a region was occupied and contested, day by day,
with the pace of change underneath. Same canvas, palette, header, credits and text
alternative as the static maps (render/static.py), so a chart and a map sit side by side.

The whole region is drawn as one stacked 100 %: occupied at the bottom, the grey zone on top
of it, the rest pale (called Ukrainian-held only where the source says so:
frontwatch.model.Claims), from a zero baseline (a truncated area chart would exaggerate
changes). The pace lives in its own panel: day-on-day change as bars and a rolling
average in km²/day, where a few hundred km² are plain to see."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from frontwatch import coverage, dates, lookup
from frontwatch.analytics import series
from frontwatch.errors import InputError, echo
from frontwatch.model import DEMO_NOTICE, OSM_ATTRIBUTION, Claims, SnapshotInfo
from frontwatch.render import static, style
from frontwatch.render.query import API_NAMES, DateNames, ImageSize, parse_date
from frontwatch.sources import attribution, claims_of
from frontwatch.store.base import SqlStore

LONG_RANGE_DAYS = 400  # beyond this, the 30-day average reads better than the 7-day one

WORDS = {
    "en": {
        "title": "Occupied territory: {where}",
        "title_occupied_since_2022": "Occupied since 24 February 2022 ({src}): {where}",
        "subtitle": "{d0} – {d1} · daily, geodesic km²",
        "area": "Area, km²",
        "share": "% of the region",
        "pace": "Change in occupied area per day (net {net} over the period)",
        "off_scale": "off scale: {v}",
        "gained": "newly occupied",
        "lost": "no longer occupied",
        "average": "{n}-day average",
        "per_day": "km²/day",
        "description": "Chart of {where} from {d0} to {d1}: {what} went from "
                       "{occ0} to {occ1} ({share} of the region){grey}, and over the last "
                       "{n} days it changed by {rate} a day on average.",
        "grey": ", the contested grey zone was {con} on the last day",
    },
    "uk": {
        "title": "Окупована територія: {where}",
        "title_occupied_since_2022": "Окуповано після 24 лютого 2022 ({src}): {where}",
        "subtitle": "{d0} – {d1} · щодня, геодезичні км²",
        "area": "Площа, км²",
        "share": "% регіону",
        "pace": "Зміна окупованої площі за день (разом {net} за період)",
        "off_scale": "поза шкалою: {v}",
        "gained": "окуповано",
        "lost": "звільнено",
        "average": "Середнє за {n} днів",
        "per_day": "км²/день",
        "description": "Графік: {where}, з {d0} до {d1}: {what} — з "
                       "{occ0} до {occ1} ({share} регіону){grey}, за останні {n} днів "
                       "зміна в середньому {rate} на день.",
        "grey": ", сіра зона в останній день — {con}",
    },
}
MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
           "Dec"),
    "uk": ("січ", "лют", "бер", "кві", "тра", "чер", "лип", "сер", "вер", "жов", "лис",
           "гру"),
}


@dataclass(frozen=True, slots=True)
class ChartQuery:
    region: str
    start: date | None = None  # None: the source's first snapshot
    end: date | None = None  # None: its latest
    source: str | None = None
    lang: str = "en"
    names: DateNames = field(default=API_NAMES, compare=False)  # for errors, not the chart

    def key(self) -> tuple:
        return tuple(sorted((k, v) for k, v in asdict(self).items() if k != "names"))


def parse_chart_query(region: str | None, *, start: str | None = None, end: str | None = None,
                      source: str | None = None, lang: str | None = None,
                      names: DateNames = API_NAMES) -> ChartQuery:
    """Check a chart request (URL parameters or CLI options) with errors naming the input
    as `names` spell it."""
    if not region or not region.strip():
        raise InputError("region is required: a name, KATOTTG code or slug, e.g. donbas, "
                         "'Donetsk Oblast', UA14")
    a, b = parse_date(start, names.start), parse_date(end, names.end)
    if a and b and a > b:
        raise InputError(f"{names.start} {a} is after {names.end} {b}: the range is inverted")
    lang = lang or "en"
    if lang not in WORDS:
        raise InputError(f"invalid lang {echo(lang)}: expected one of {', '.join(WORDS)}")
    return ChartQuery(region.strip(), a, b, source or None, lang, names)


@dataclass
class Chart:
    """What the chart shows and says, decided before drawing (and the cache's content key)."""

    frame: pd.DataFrame  # analytics.series columns, one row a day
    slug: str  # the region's
    where: str  # its name in the chart's language
    source: str
    lang: str
    illustrative: bool
    newest: SnapshotInfo  # the newest revision drawn (the one in force on the last day)
    on: date | None = None  # the range's end as asked (None: open, the latest state)
    no_newer: bool = False  # `to` was after the newest snapshot: the chart ends there

    @property
    def w(self) -> dict[str, str]:
        return WORDS[self.lang]

    @property
    def first(self) -> date:
        return self.frame["date"].iloc[0]

    @property
    def last(self) -> date:
        return self.frame["date"].iloc[-1]

    @property
    def window(self) -> int:
        return 30 if (self.last - self.first).days > LONG_RANGE_DAYS else 7

    @property
    def has_grey(self) -> bool:
        """False for sources without a grey zone (the daily archive): say so, not '0 km²'."""
        return bool(self.frame["contested_km2"].max() > 0)

    @property
    def claims(self) -> Claims:
        """What the source says about each area drawn (the legend's and title's words)."""
        return claims_of(self.source, self.has_grey)

    @property
    def title(self) -> str:
        key = f"title_{self.claims.occupied}"
        return self.w.get(key, self.w["title"]).format(where=self.where, src=self.source)

    @property
    def age_days(self) -> int:
        """How old the newest revision drawn is on the range's end as asked (an open range:
        today UTC), as a map's age counts to the date it shows (dates.age_days)."""
        return dates.age_days(self.newest.date, self.on)

    @property
    def subtitle(self) -> str:
        t = style.TEXT[self.lang]
        s = self.w["subtitle"].format(d0=style.long_date(self.first, self.lang),
                                      d1=style.long_date(self.last, self.lang))
        if self.no_newer:
            s += f" · {t['no_newer']}"
        if self.age_days:  # as on a map: a chart ending on its snapshot's day needs no age
            s += " · " + t["source_age"].format(src=self.source, d=self.newest.date,
                                                n=self.age_days,
                                                days=dates.n_days(self.age_days))
        return s

    @property
    def snapshot_line(self) -> str:
        """The footer's line naming the newest revision drawn and its age (always)."""
        t = style.TEXT[self.lang]
        return t["newest_snapshot"].format(t=f"{self.newest.valid_at:%Y-%m-%d %H:%M}",
                                           age=t["age"].format(
                                               n=self.age_days,
                                               days=dates.n_days(self.age_days)))

    @property
    def credits(self) -> list[str]:
        return [f"{attribution(self.source)}, {self.snapshot_line}", OSM_ATTRIBUTION]

    @property
    def notice(self) -> str | None:
        return DEMO_NOTICE if self.illustrative else None

    @property
    def description(self) -> str:
        f, lang = self.frame, self.lang
        rate = f[f"occupied_rate_{self.window}d"].iloc[-1]
        unit = "км²" if lang == "uk" else "km²"
        what = style.TEXT[lang][f"what_{self.claims.occupied}"].format(src=self.source)
        return self.w["description"].format(
            where=self.where, what=what, d0=style.long_date(self.first, lang),
            d1=style.long_date(self.last, lang), occ0=style.km2(f["occupied_km2"].iloc[0], lang),
            occ1=style.km2(f["occupied_km2"].iloc[-1], lang),
            share=f"{f['occupied_pct'].iloc[-1]:.1f}%",
            grey=self.w["grey"].format(con=style.km2(f["contested_km2"].iloc[-1], lang))
            if self.has_grey else "", n=self.window,
            rate="—" if np.isnan(rate) else f"{rate:+,.1f} {unit}")

    def fingerprint(self) -> str:
        """A hash of everything drawn: same figures and words → same image."""
        h = hashlib.blake2b(digest_size=16)
        h.update(pd.util.hash_pandas_object(self.frame, index=False).to_numpy().tobytes())
        h.update(repr((self.where, self.source, self.lang, self.illustrative,
                       self.newest.content_hash, self.newest.valid_at, self.age_days,
                       self.no_newer)).encode())  # the age: an open range's grows daily
        return h.hexdigest()


def drawn(store: SqlStore, q: ChartQuery) -> tuple[coverage.Span, SnapshotInfo]:
    """The days a chart of `q` draws (its range cut to the source's data: nothing is known
    past the newest snapshot, so the chart stops there, not at a later `to`) and the newest
    revision it draws, whose age it states. NotFound as coverage.span."""
    src = lookup.default_source(store, q.source)
    span = coverage.span(store, src, dates.DayRange(q.start, q.end),
                         (q.names.start, q.names.end))
    return span, store.resolve(src, span.end)


def build(store: SqlStore, q: ChartQuery) -> Chart:
    """The series to draw: `q`'s range, defaulting to the source's whole history."""
    span, latest = drawn(store, q)
    src, start, end = latest.source, span.start, span.end
    region = lookup.resolve_region(store, q.region, end)
    frame = series(store, region, start, end, src)
    if len(frame) < 2:
        raise InputError(f"from {start} to {end} is a single day of {echo(src)} data: a chart "
                         "needs at least two")
    where = region.name_uk if q.lang == "uk" else region.name_en
    return Chart(frame, region.slug, where, src, q.lang, latest.illustrative, latest, q.end,
                 span.clamped)


def _date_formatter(lang: str, span_days: int) -> FuncFormatter:
    """Month (and day for short ranges) names without depending on the process locale; the
    year under January and under the first tick."""
    months = MONTHS[lang]

    def fmt(x: float, pos: int | None) -> str:
        d = mdates.num2date(x)
        short = span_days > 92 and d.day == 1  # month ticks: the name says it all
        text = months[d.month - 1] if short else f"{d.day} {months[d.month - 1]}"
        return f"{text}\n{d.year}" if pos == 0 or (d.month == 1 and d.day <= 7) else text

    return FuncFormatter(fmt)


def _thousands(lang: str) -> FuncFormatter:
    sep = "\u202f" if lang == "uk" else ","
    return FuncFormatter(lambda v, _pos: f"{v:,.0f}".replace(",", sep))


def _end_labels(ax, chart: Chart, x, occ, con, fs: float) -> None:
    """The occupied km² and % on the first and last day, inside the occupied area where it
    is tall enough, else just above the stack."""
    f, top = chart.frame, ax.get_ylim()[1]
    for i, ha, dx in ((0, "left", 6), (-1, "right", -6)):
        inside = occ[i] / top > 0.12
        ax.annotate(style.km2(occ[i], chart.lang) + f" ({f['occupied_pct'].iloc[i]:.1f}%)",
                    (x[i], occ[i] if inside else occ[i] + con[i]),
                    xytext=(dx, -8 if inside else 6), textcoords="offset points", ha=ha,
                    va="top" if inside else "bottom", fontsize=fs, fontweight="bold",
                    color="white" if inside else style.OCCUPIED,
                    path_effects=[static.pe.withStroke(
                        linewidth=2.5, foreground=style.OCCUPIED if inside else "white")])


def _legend(ax, chart: Chart, occ, con, held, fs: float) -> None:
    """Last day's km² per status; placed where the chart is empty: above the stack when
    under half the region is occupied, else over the (uniform) occupied area."""
    t, lang = style.TEXT[chart.lang], chart.lang
    grey = style.km2(con[-1], lang) if chart.has_grey else t["no_grey"]
    c, src = chart.claims, chart.source
    rows = [(style.OCCUPIED, f"{style.occupied_words(c, src, lang)}: "
                             f"{style.km2(occ[-1], lang)}"),
            (style.CONTESTED, f"{t['contested']}: {grey}"),
            (style.HELD, f"{style.rest_words(c, src, lang)}: {style.km2(held[-1], lang)}")]
    high = float(np.max((occ + con) / chart.frame["region_km2"].to_numpy())) > 0.5
    ax.legend([Patch(facecolor=c, edgecolor="#555", lw=0.6) for c, _ in rows],
              [label for _, label in rows], loc="lower center" if high else "upper left",
              fontsize=fs * 0.95, framealpha=0.92, edgecolor="#999",
              title=style.long_date(chart.last, lang), title_fontsize=fs * 0.95)


def _pace(ax, chart: Chart, x, fs: float, k: float) -> None:
    """Day-on-day change as bars (newly / no longer occupied in the maps' change colours)
    and the rolling average. The scale fits the ordinary days: a rare jump (a source
    redrawing its map, weekly snapshots early on) is clipped and labelled, not allowed to
    flatten everything else."""
    f, w = chart.frame, chart.w
    change = np.nan_to_num(f["occupied_change_km2"].to_numpy())
    avg = f[f"occupied_rate_{chart.window}d"].to_numpy()
    ax.bar(x, change, width=1.0, color=np.where(change >= 0, style.GAINED, style.LOST),
           linewidth=0)
    line = ax.plot(x, avg, color="black", lw=1.6)[0]
    ax.axhline(0, color=style.OUTLINE, lw=0.6)
    moving = np.abs(change[change != 0])
    if len(moving):
        robust = max(float(np.percentile(moving, 98)) * 1.15,
                     float(np.nanmax(np.abs(avg), initial=0.0)) * 1.3, 1.0)
        hi = change.max() * 1.08 if change.max() <= 2.5 * robust else robust
        lo = change.min() * 1.08 if -change.min() <= 2.5 * robust else -robust
        lo = min(lo, -0.08 * hi)
        ax.set_ylim(lo, hi)
        off = np.flatnonzero((change > hi) | (change < lo))
        if len(off):
            ys = np.where(change[off] > 0, hi, lo)
            ax.plot(x[off], ys, "^", ms=4 * k, color="black", clip_on=False)
            big = off[np.argmax(np.abs(change[off]))]
            ax.annotate(w["off_scale"].format(v=f"{change[big]:+,.0f} " + w["per_day"]),
                        (x[big], ys[np.argmax(np.abs(change[off]))]), xytext=(6, -2),
                        textcoords="offset points", fontsize=fs * 0.8, va="top",
                        path_effects=static.HALO)
    ax.set_ylabel(w["per_day"], fontsize=fs)
    occ = f["occupied_km2"].to_numpy()
    net = occ[-1] - occ[0]
    ax.set_title(w["pace"].format(net=("+" if net >= 0 else "−") +
                                  style.km2(abs(net), chart.lang)),
                 fontsize=fs, loc="left", pad=3 * k)
    ax.yaxis.set_major_locator(MaxNLocator(4))
    keys = [(line, w["average"].format(n=chart.window)),
            (Patch(color=style.GAINED), w["gained"])]
    if change.min() < 0:
        keys.append((Patch(color=style.LOST), w["lost"]))
    ax.legend(*zip(*keys, strict=True), loc="lower right", bbox_to_anchor=(1, 1),
              fontsize=fs * 0.8, frameon=False, ncols=len(keys), borderaxespad=0.1,
              handlelength=1.4, columnspacing=1.2)


def render_image(chart: Chart, fmt: str = "png", size: ImageSize | None = None
                 ) -> static.Image:
    """The chart as PNG or SVG; `pixel(day ordinal, km²)` locates a value on the image."""
    size = size or ImageSize()
    fig, lay = static.canvas(size, bool(chart.notice))
    f, w, fs = chart.frame, chart.w, lay.fs
    x = np.array(f["date"], dtype="datetime64[D]")
    occ, con = f["occupied_km2"].to_numpy(), f["contested_km2"].to_numpy()
    region = f["region_km2"].to_numpy()
    held = np.clip(region - occ - con, 0, None)
    left, right = lay.px(84, "x"), 1 - lay.px(74, "x")
    low_y, low_h, gap = lay.foot + lay.px(44), lay.px(150), lay.px(34)
    top = 1 - lay.head - lay.px(10)
    main = fig.add_axes((left, low_y + low_h + gap, right - left, top - low_y - low_h - gap))
    pace = fig.add_axes((left, low_y, right - left, low_h), sharex=main)

    main.stackplot(x, occ, con, held, colors=[style.OCCUPIED, style.CONTESTED, style.HELD],
                   linewidth=0)
    main.plot(x, occ, color=style.OUTLINE, lw=1.0)
    main.plot(x, region, color=style.OUTLINE, lw=0.8, ls="--")
    main.set_ylim(0, float(region.max()) * 1.02)
    main.set_xlim(x[0], x[-1])
    main.set_ylabel(w["area"], fontsize=fs)
    main.yaxis.set_major_formatter(_thousands(chart.lang))
    main.yaxis.set_major_locator(MaxNLocator(6))
    total = float(region[-1])
    share = main.secondary_yaxis("right", functions=(lambda v: 100 * v / total,
                                                     lambda p: p * total / 100))
    share.set_ylabel(w["share"], fontsize=fs)
    for a in (main, share, pace):
        a.tick_params(labelsize=fs * 0.9)
    main.tick_params(labelbottom=False)
    _end_labels(main, chart, x, occ, con, fs)
    _legend(main, chart, occ, con, held, fs)

    _pace(pace, chart, x, fs, lay.k)
    span = (chart.last - chart.first).days
    pace.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=max(
        4, int(size.width / 110))))
    pace.xaxis.set_major_formatter(_date_formatter(chart.lang, span))
    for a in (main, pace):
        a.grid(axis="y", color="#ddd", lw=0.6)
        a.set_axisbelow(False)
        for side in ("top", "right"):
            a.spines[side].set_visible(side == "right" and a is main)

    static.frame_text(fig, lay, chart.title, chart.subtitle, chart.notice, chart.credits)
    data = static.save(fig, fmt, size, chart.title, chart.subtitle, chart.description)

    def pixel(day_ordinal: float, km2: float) -> tuple[int, int]:
        xd = mdates.date2num(date.fromordinal(int(day_ordinal)))
        px, py = main.transData.transform((xd, km2))
        return round(float(px)), round(float(size.height - py))

    return static.Image(data, static.FORMATS[fmt], pixel)
