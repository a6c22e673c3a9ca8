"""`frontwatch map`: write an interactive map page or a static image of a date;
`frontwatch chart`: the area chart of a region over time."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from frontwatch import dates, values
from frontwatch.cli.common import (
    Source,
    checked_output,
    emit_json,
    err,
    stale_note,
    warn,
    write_output,
)
from frontwatch.cli.context import Cli
from frontwatch.cli.strict import one_of
from frontwatch.coverage import data_through, freshness, snapshot_said
from frontwatch.errors import InputError, echo_name, exclusive


def _langs() -> tuple[str, ...]:
    from frontwatch.render.style import LANGS
    return LANGS


Lang = Annotated[str, typer.Option(parser=one_of(_langs), help="en or uk.")]
# the bounds are the API's (frontwatch.values): the same number is refused the same way
Width = Annotated[int | None, typer.Option(help="Image width, px (1200).",
                                           min=values.PIXELS.lo, max=values.PIXELS.hi)]
Height = Annotated[int | None, typer.Option(help="Image height, px (800).",
                                            min=values.PIXELS.lo, max=values.PIXELS.hi)]
Dpi = Annotated[int | None, typer.Option(help="Image dpi (100).", min=values.DPI.lo,
                                         max=values.DPI.hi)]
SUFFIXES = {".png": "png", ".svg": "svg", ".html": "html", ".htm": "html"}


def _format(output: Path | None, png: bool, svg: bool, default: str) -> str:
    """--png/--svg, else the output's suffix, else `default` (whose suffixes are allowed)."""
    if png or svg:
        return "png" if png else "svg"
    if output is None:
        return default
    allowed = {k: v for k, v in SUFFIXES.items() if v in ("png", "svg", default)}
    fmt = allowed.get(output.suffix.lower())
    if fmt is None:
        raise InputError(f"{echo_name(output)}: unknown suffix; use "
                         f"{', '.join(sorted(allowed))}")
    return fmt


def _names():
    """The dates as the command line spells them, for render's checks (format, future,
    order, outside the data): the map's DATE argument (a time-lapse's end too), --from,
    --compare, chart's --to."""
    from frontwatch.render.query import DateNames

    return DateNames(date="DATE", start="--from", end="DATE", compare="--compare")


def map_cmd(
    cli: Cli,
    day: Annotated[str, typer.Argument(metavar="DATE", help="YYYY-MM-DD or latest.")],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", callback=checked_output, help="File to write; its "
                      ".html/.png/.svg suffix picks the format.")] = None,
    png: Annotated[bool, typer.Option("--png", help="Write a PNG image.")] = False,
    svg: Annotated[bool, typer.Option("--svg", help="Write an SVG image.")] = False,
    region: Annotated[str | None, typer.Option(help="Focus on a region (name/code/slug).")]
    = None,
    place: Annotated[str | None, typer.Option(help="Focus on a place.")] = None,
    radius_km: Annotated[float | None, typer.Option(
        "--radius-km", help="With --place (15).", min=values.RADIUS_KM.lo,
        max=values.RADIUS_KM.hi)]
    = None,
    bbox: Annotated[str | None, typer.Option(help="minlon,minlat,maxlon,maxlat")] = None,
    compare: Annotated[str | None, typer.Option(help="Show changes since this date.")]
    = None,
    start: Annotated[str | None, typer.Option("--from", help="Time-lapse from this date "
                     "to DATE.")] = None,
    step: Annotated[str | None, typer.Option(help="Time-lapse step: 7, 7d, 2w, 1m.")] = None,
    compare_source: Annotated[str | None, typer.Option(
        "--compare-source", help="Draw where this source and the map's differ (e.g. nzz).")]
    = None,
    lang: Lang = "en",
    tiles: Annotated[bool, typer.Option("--tiles", help="Show OpenStreetMap tiles on "
                     "opening (needs internet).")] = False,
    width: Width = None,
    height: Height = None,
    dpi: Dpi = None,
    source: Source = None,
) -> None:
    """Render a map of DATE: an HTML page (default), or --png/--svg for print and social."""
    from frontwatch import render
    from frontwatch.render import assets

    exclusive(png=png, svg=svg)
    exclusive(region=region, place=place, bbox=bbox)
    exclusive(compare=compare, compare_source=compare_source)
    exclusive(compare=compare, **{"from": start})
    exclusive(compare_source=compare_source, **{"from": start})
    fmt = _format(output, png, svg, "html")
    settings = cli.settings
    q = render.parse_query(day, source=source or settings.source, region=region, place=place,
                           radius_km=radius_km, bbox=bbox, compare=compare, start=start,
                           end=day if start else None, step=step, lang=lang, tiles=tiles,
                           compare_source=compare_source, names=_names())
    output = output or Path(f"map-{day}.{fmt}")
    store = cli.store()
    if fmt == "html":
        page = render.map_page(store, q, "cdn")
        if assets.check_mode(settings.assets) == "local":  # a file: self-contained
            page = assets.inline(page)
        data = page.encode()
    else:
        data = render.map_image(store, q, fmt, render.parse_size(width, height, dpi))
    shown = render.scene.shown_snapshots(store, q)  # as on the map; ages to the date asked
    info, other = shown[0], shown[1] if len(shown) > 1 else None
    fresh = freshness(store, [i.source for i in shown], q.on)
    write_output(output, data)
    said = " compared with ".join(snapshot_said(i.source, i.valid_at, q.on, brackets=True)
                                  for i in shown)
    err.print(f"wrote {echo_name(output)} ({len(data) / 1024:.0f} KB), {said}",
              highlight=False)
    if q.timelapse and fresh["stale_days"]:
        warn(f"note: DATE {q.on} is after the newest snapshot ({fresh['data_through']}): "
             f"the time-lapse ends {info.date}")
    else:
        stale_note(fresh, q.on, data_through(store, [i.source for i in shown]).source)
    if cli.json:
        emit_json({"output": str(output), "format": fmt, "bytes": len(data),
                   "source": info.source, "valid_at": info.valid_at.isoformat(),
                   "content_hash": info.content_hash, "illustrative": info.illustrative,
                   "age_days": dates.age_days(info.date, q.on),
                   **({"compare_source": {
                       "source": other.source, "valid_at": other.valid_at.isoformat(),
                       "content_hash": other.content_hash,
                       "age_days": dates.age_days(other.date, q.on)}}
                      if other is not None else {}),
                   **fresh})


def chart_cmd(
    cli: Cli,
    region: Annotated[str, typer.Option("--region", "-r", help="Region (name/code/slug).")],
    start: Annotated[str | None, typer.Option("--from", help="First day (default: the "
                     "source's first snapshot).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (default: its latest).")]
    = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", callback=checked_output, help="File to write; "
                      ".png or .svg picks the format.")] = None,
    svg: Annotated[bool, typer.Option("--svg", help="Write SVG (default PNG).")] = False,
    lang: Lang = "en",
    width: Width = None,
    height: Height = None,
    dpi: Dpi = None,
    source: Source = None,
) -> None:
    """Chart a region's occupied and contested km² over time, with the daily change."""
    from frontwatch import render
    from frontwatch.render import chart

    fmt = _format(output, False, svg, "png")
    q = render.parse_chart_query(region, start=start, end=end, lang=lang,
                                 source=source or cli.settings.source,
                                 names=dataclasses.replace(_names(), end="--to"))
    size = render.parse_size(width, height, dpi)
    store = cli.store()
    c = chart.build(store, q)
    data = render.chart_image(store, q, fmt, size)
    output = output or Path(f"areas-{c.slug}.{fmt}")
    write_output(output, data)
    newest = snapshot_said(c.source, c.newest.valid_at, q.end, brackets=True)
    err.print(f"wrote {echo_name(output)} ({len(data) / 1024:.0f} KB): {c.title}, "
              f"{c.subtitle}; newest: {newest}",
              highlight=False)
    if c.no_newer:
        warn(f"note: --to {q.end} is after the newest snapshot: the chart ends {c.last}")
    span, _ = chart.drawn(store, q)  # a --from before the data is cut too: said as a range's
    warn(span.from_note("--from"))
    if cli.json:
        cut = {"from_requested": span.members()["from_requested"]} if span.from_clamped else {}
        emit_json({"output": str(output), "format": fmt, "bytes": len(data),
                   "region": c.slug, "region_name": c.where, "from": c.first.isoformat(),
                   "to": c.last.isoformat(), "clamped": c.no_newer or span.from_clamped, **cut,
                   "source": c.source, "illustrative": c.illustrative,
                   "valid_at": c.newest.valid_at.isoformat(),
                   "content_hash": c.newest.content_hash, "age_days": c.age_days,
                   "description": c.description})
