"""Commands that answer questions: area, series, diff, frontline, place, export, stats."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from frontwatch.cli.common import (
    Db,
    Json,
    Source,
    app,
    clamped_span,
    emit_json,
    err,
    out,
    parse_day,
    places_app,
    progress_bar,
    stale_note,
    store_for,
    tables_progress,
    write_output,
)
from frontwatch.errors import InputError, NotFound
from frontwatch.precision import KM, round_table, round_values

stats_app = typer.Typer(no_args_is_help=True,
                        help="The precomputed tables (areas, front lines, change log).")
app.add_typer(stats_app, name="stats")

Region = Annotated[str, typer.Option("--region", "-r", help="Region: name (en/uk), code or "
                                     "slug, e.g. 'Donetsk Oblast', donbas, UA14.")]
From = Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")]
To = Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")]
Csv = Annotated[bool, typer.Option("--csv", help="Print CSV.")]


def _records(df) -> list[dict]:
    """DataFrame rows as JSON-ready dicts (dates as ISO text, NaN as null)."""
    df = df.astype(object).where(df.notna(), None)
    return [{k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}
            for row in df.to_dict("records")]


@app.command("area")
def area_cmd(region: Region, day: Annotated[str, typer.Option("--date", help="YYYY-MM-DD")],
             source: Source = None, json: Json = False, db: Db = None) -> None:
    """km² and % of a region occupied, contested and Ukrainian-held on a date."""
    from frontwatch.analytics import area

    with store_for(db) as store:
        res = area(store, region, parse_day(day), source)
    stale_note(res, res["date"])
    if json:
        emit_json(round_values(res))
        return
    through = f", data through {res['data_through'][:10]}" if res["stale_days"] else ""
    t = Table(title=f"{res['region_name']} on {res['date']} ({res['source']}{through})")
    for col in ("status", "km²", "%"):
        t.add_column(col, justify="right" if col != "status" else "left")
    for st in ("occupied", "contested", "ukrainian"):
        t.add_row(st, f"{res[f'{st}_km2']:,.1f}", f"{res[f'{st}_pct']:.2f}")
    t.add_row("region", f"{res['region_km2']:,.1f}", "100.00")
    out.print(t)
    err.print(f"[dim]{res['attribution']}[/dim]", highlight=False)


def _report(df, doc: dict, json: bool, csv: bool, columns: tuple[str, ...],
            cells: Callable[[Any], tuple[str, ...]], title: str | None = None) -> None:
    """How a command prints a table of rows: one JSON document ({**doc, "rows": […]}), CSV
    of every column, or a rich table of `columns` with `cells(row)` per row."""
    df = round_table(df)
    if json:
        emit_json({**round_values(doc), "rows": _records(df)})
    elif csv:
        df.to_csv(sys.stdout, index=False)
    else:
        t = Table(title=title)
        for col in columns:
            t.add_column(col, justify="right")
        for r in df.itertuples():
            t.add_row(*cells(r))
        out.print(t)


@app.command("series")
def series_cmd(region: Region, start: From, end: To, csv: Csv = False,
               source: Source = None, json: Json = False, db: Db = None) -> None:
    """Daily area series (km², %, change per day, 7/30-day rates)."""
    from frontwatch.analytics import series

    d1, d2 = parse_day(start, "--from"), parse_day(end, "--to")
    with store_for(db) as store:
        span = clamped_span(store, source, d1, d2)
        df = series(store, region, d1, d2, source)
    _report(df, {"region": region, **span.members()}, json, csv,
            ("date", "occupied km²", "contested km²", "ukrainian km²", "occupied %", "Δ/day",
             "7d rate", "30d rate"),
            lambda r: (str(r.date), f"{r.occupied_km2:,.1f}", f"{r.contested_km2:,.1f}",
                       f"{r.ukrainian_km2:,.1f}", f"{r.occupied_pct:.2f}",
                       _num(r.occupied_change_km2), _num(r.occupied_rate_7d),
                       _num(r.occupied_rate_30d)))


@app.command("changelog")
def changelog_cmd(region: Region, start: From, end: To, csv: Csv = False,
                  source: Source = None, json: Json = False, db: Db = None) -> None:
    """km² gained and lost by each side per day with a new snapshot (the daily change log)."""
    from frontwatch.analytics import changelog
    from frontwatch.analytics.common import region_of, source_of

    with store_for(db) as store:
        src = source_of(store, source)
        span = clamped_span(store, src, parse_day(start, "--from"), parse_day(end, "--to"))
        d1, d2 = span.bounds
        reg = region_of(store, region, d2)
        df = changelog(store, reg, d1, d2, src)
    net = float(df["occupied_net_km2"].sum())
    _report(df, {"region": reg.slug, "region_name": reg.name_en, "source": src,
                 **span.members(), "occupied_net_km2": net},
            json, csv,
            ("date", "occupied gained", "occupied lost", "occupied net", "contested gained",
             "contested lost"),
            lambda r: (str(r.date), f"{r.occupied_gained_km2:,.2f}",
                       f"{r.occupied_lost_km2:,.2f}", _num(r.occupied_net_km2, 2),
                       f"{r.contested_gained_km2:,.2f}", f"{r.contested_lost_km2:,.2f}"),
            f"{reg.name_en}: km² changed per day, {d1} → {d2} ({src}); occupied net "
            f"{net:+,.1f} km² over {len(df)} day(s)")


def _km(v: float | None) -> str:
    return "" if v is None or v != v else f"{v:,.2f}"


def _count(v: float | None) -> str:
    return "" if v is None or v != v else f"{int(v):,}"


def _num(v: float, digits: int = 1) -> str:
    return "" if v != v else f"{v:+,.{digits}f}"


@app.command("diff")
def diff_cmd(d1: Annotated[str, typer.Argument(metavar="D1")],
             d2: Annotated[str, typer.Argument(metavar="D2")],
             region: Annotated[str | None, typer.Option("--region", "-r", help="Region "
                               "(default: the whole theatre).")] = None,
             output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the "
                               "changed polygons as GeoJSON.")] = None,
             min_km2: Annotated[float, typer.Option(help="Leave out smaller pieces.")] = 0.01,
             source: Source = None, json: Json = False, db: Db = None) -> None:
    """Polygons gained and lost by each side between two dates, and places that changed."""
    from frontwatch.analytics import diff
    from frontwatch.analytics.common import source_of
    from frontwatch.coverage import freshness

    with store_for(db) as store:
        later = parse_day(d2)
        res = diff(store, region, parse_day(d1), later, source, min_km2=min_km2)
        fresh = freshness(store, source_of(store, source), later)
    stale_note(fresh, later)
    if output:
        write_output(output, res.to_geojson())
        err.print(f"wrote {len(res.features)} changed polygon(s) to {output}", highlight=False)
    if json:
        emit_json({"summary": res.summary, "places_changed": res.places_changed,
                   "changes": [p for _, p in res.features], **fresh})
        return
    s = res.summary
    t = Table(title=f"{s['region_name']}: {s['from']} → {s['to']} ({s['source']})")
    t.add_column("change")
    t.add_column("km²", justify="right")
    for key in ("occupied_gained", "occupied_lost", "contested_gained", "contested_lost",
                "occupied_net"):
        t.add_row(key.replace("_", " "), f"{s[f'{key}_km2']:,.1f}")
    out.print(t)
    for _, p in res.features[:10]:
        out.print(f"  {p['rank']:>2}. {p['change'].replace('_', ' ')}: {p['description']}",
                  highlight=False)
    for p in res.places_changed:
        out.print(f"  {p['name']}: {p['before']} → {p['after']}", highlight=False)


@app.command("frontline")
def frontline_cmd(day: Annotated[str | None, typer.Option("--date", help="One date, "
                                 "YYYY-MM-DD.")] = None,
                  start: Annotated[str | None, typer.Option("--from", help="With --to: the "
                                   "length series from this day.")] = None,
                  end: Annotated[str | None, typer.Option("--to", help="Last day of the "
                                 "series.")] = None,
                  step: Annotated[int, typer.Option("--step", help="Days between sampled "
                                  "dates of the series.")] = 7,
                  output: Annotated[Path | None, typer.Option("-o", "--output", help="Write "
                                    "the line as GeoJSON (with --date).")] = None,
                  csv: Csv = False, source: Source = None, json: Json = False,
                  db: Db = None) -> None:
    """The line of contact on a date (no international border, no coast) and its length, or
    (--from/--to) the series of its length."""
    if (day is None) == (start is None and end is None):
        raise InputError("give either --date D or --from D1 --to D2 (not both, not neither)")
    if day is None:
        if start is None or end is None:
            raise InputError(f"the series needs both --from and --to (missing "
                             f"{'--from' if start is None else '--to'})")
        if output:
            raise InputError("-o writes one line: use it with --date")
        _frontline_series(parse_day(start, "--from"), parse_day(end, "--to"), step, csv,
                          source, json, db)
        return
    from frontwatch.analytics.common import snapshot_on
    from frontwatch.analytics.front import line_of
    from frontwatch.coverage import freshness
    from frontwatch.geojson import feature_collection, snapshot_meta

    on = parse_day(day)
    with store_for(db) as store:
        info = snapshot_on(store, on, source)
        line, km = line_of(store, info)
        fresh = freshness(store, info.source, on)
    meta = {**snapshot_meta(info), "date": on.isoformat(), "length_km": round(km, KM), **fresh}
    stale_note(fresh, on)
    if output:
        write_output(output, feature_collection([(line, {"length_km": meta["length_km"]})],
                                                meta))
        err.print(f"wrote the front line to {output}", highlight=False)
    if json:
        emit_json({**meta, "parts": len(line.geoms)})
        return
    out.print(f"front line on {day} ({info.source}): {km:,.1f} km in {len(line.geoms)} "
              "part(s)", highlight=False)


def _frontline_series(d1: date, d2: date, step: int, csv: bool, source: str | None,
                      json: bool, db: str | None) -> None:
    from frontwatch.analytics import frontline_series
    from frontwatch.analytics.common import source_of
    from frontwatch.analytics.front import frontline_samples

    with store_for(db) as store:
        src = source_of(store, source)
        span = clamped_span(store, src, d1, d2)
        frontline_samples(store, d1, d2, src, step)  # bad input fails before the bar shows
        with progress_bar() as bar:
            task = bar.add_task("front lines", total=None)
            df = frontline_series(store, d1, d2, src, step, progress=lambda done, total:
                                  bar.update(task, completed=done, total=total))
    _report(df, {"source": src, **span.members(), "step": step},
            json, csv, ("date", "snapshot", "length km"),
            lambda r: (str(r.date), str(r.snapshot_id), f"{r.length_km:,.1f}"),
            f"front-line length, {d1} → {span.end} every {step} day(s) ({src})")


@places_app.command("changed")
def places_changed_cmd(
    ctx: typer.Context, start: From, end: To,
    region: Annotated[str | None, typer.Option("--region", "-r", help="Only places inside "
                      "this region (any level: donbas, an oblast, a raion…).")] = None,
    csv: Csv = False, source: Source = None, json: Json = False, db: Db = None,
) -> None:
    """Places whose status changed between two dates (after the state of --from, up to the
    end of --to): from → to, on which revision's date, with population and distance to the
    front. A table read (computed at import)."""
    from frontwatch.analytics import placestatus
    from frontwatch.analytics.common import region_of, source_of

    d1, d2 = parse_day(start, "--from"), parse_day(end, "--to")
    if d2 < d1:
        raise InputError(f"--to {d2} is before --from {d1}")
    with store_for(db or ctx.obj) as store:
        src = source_of(store, source)
        span = clamped_span(store, src, d1, d2)
        reg = region_of(store, region, span.end) if region else None
        items = placestatus.changes(store, *span.bounds, region=reg, source=src)
    frame = placestatus.changes_frame(items)
    doc = {"source": src, "region": reg.slug if reg else None, **span.members(),
           "count": len(items), "rule": placestatus.RULE}
    _report(frame, doc, json, csv,
            ("date", "place", "population", "change", "km to front"),
            lambda r: (str(r.date), r.name, _count(r.population),
                       f"{r.from_status} → {r.to_status}", _km(r.distance_to_front_km)),
            f"{reg.name_en if reg else 'All places'}: {len(items)} change(s) of status, "
            f"{span.start} → {span.end} ({src})")


@app.command("place")
def place_cmd(place: Annotated[str, typer.Argument(metavar="PLACE", help="Slug or name.")],
              start: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
              end: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
              source: Source = None, json: Json = False, db: Db = None) -> None:
    """A place's status periods and its distance to the front line (now and 90 days before)."""
    from frontwatch import lookup
    from frontwatch.analytics import distance_to_front_km, place_timeline
    from frontwatch.analytics.common import source_of

    d1 = parse_day(start, "--from") if start else None
    d2 = parse_day(end, "--to") if end else None
    if d1 and d2 and d2 < d1:
        raise InputError(f"--to {d2} is before --from {d1}")
    with store_for(db) as store:
        src = source_of(store, source)
        if d2 is not None:
            d2 = clamped_span(store, src, d1, d2).end
        p = lookup.resolve_place(store, place, d2)
        periods = place_timeline(store, p, d1, d2, src)
        last = d2 or store.resolve(src).date
        now = distance_to_front_km(store, p, last, src)
        try:
            before = distance_to_front_km(store, p, last - timedelta(days=90), src)
        except NotFound:  # the history starts later
            before = None
    doc = {"place": p.slug, "name": p.name_en, "name_uk": p.name_uk, "source": src,
           "periods": [{**x, "start": x["start"].isoformat(),
                        "end": x["end"].isoformat() if x["end"] else None} for x in periods],
           "status": periods[-1]["status"] if periods else None,
           "distance_to_front_km": round(now, 2), "date": last.isoformat(),
           "distance_90_days_before_km": None if before is None else round(before, 2)}
    if json:
        emit_json(doc)
        return
    for x in doc["periods"]:
        out.print(f"{x['status']:>10} {x['start']} → {x['end'] or 'now'} ({x['days']} days)",
                  highlight=False)
    line = f"the front is {now:,.0f} km from {p.name_en} on {last}"
    if before is not None:
        delta = before - now
        line += (f", {abs(delta):,.0f} km {'closer' if delta > 0 else 'farther'} than 90 days "
                 "before")
    out.print(line, highlight=False)


@app.command("export")
def export_cmd(fmt: Annotated[str, typer.Option("--format", help="gpkg | parquet | fgb | csv")],
               output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
               region: Annotated[str | None, typer.Option("--region", "-r", help="Clip to a "
                                 "region.")] = None,
               start: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
               end: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
               source: Source = None, json: Json = False, db: Db = None) -> None:
    """Zones with valid_from/valid_to, places with status periods and the area series."""
    from frontwatch.export import export

    d1 = parse_day(start, "--from") if start else None
    d2 = parse_day(end, "--to") if end else None
    with store_for(db) as store:
        if d2 is not None:
            d2 = clamped_span(store, source, d1, d2).end
        files = export(store, fmt, output, region, d1, d2, source)
    if json:
        emit_json({"format": fmt, "files": [str(f) for f in files]})
        return
    if len(files) > 1:
        err.print(f"{fmt} holds one layer per file: zones in {files[0]}, places in "
                  f"{files[1]}, areas in {files[2]}", highlight=False)
    else:
        err.print(f"wrote layers zones, places and areas to {files[0]}", highlight=False)


@stats_app.command("rebuild")
def stats_rebuild(source: Source = None, json: Json = False, db: Db = None) -> None:
    """Recompute the precomputed tables: area statistics, front-line lengths, the change
    log of every region and snapshot, and the status of every place."""
    from frontwatch.analytics.precompute import rebuild

    with store_for(db) as store, tables_progress() as progress:
        res = rebuild(store, source, progress)
    if json:
        emit_json(res)
        return
    err.print(f"rebuilt {res['rows']:,} rows: {res['snapshots']} revisions × {res['regions']} "
              f"regions (largest drift of the incremental updates: {res['max_drift']:.1e}); "
              f"{res['front_lines']:,} front lines; change log of {res['change_revisions']:,} "
              f"revisions; place status of {res['place_revisions']:,} revisions",
              highlight=False)
