"""Commands that answer questions: area, series, diff, frontline, place, export, stats."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from frontwatch import values
from frontwatch.cli.common import (
    Source,
    checked_output,
    clamped_span,
    date_or_series,
    emit_json,
    err,
    out,
    parse_day,
    parse_range,
    progress_bar,
    stale_note,
    tables_progress,
    warn,
    write_output,
)
from frontwatch.cli.context import Cli
from frontwatch.cli.output import OutputFormat, print_rows, print_table
from frontwatch.cli.strict import one_of
from frontwatch.dates import n_days
from frontwatch.errors import NotFound, echo_name
from frontwatch.precision import KM, round_values

Region = Annotated[str, typer.Option("--region", "-r", help="Region: name (en/uk), code or "
                                     "slug, e.g. 'Donetsk Oblast', donbas, UA14.")]
From = Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")]
To = Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")]


def area_cmd(cli: Cli, region: Region,
             day: Annotated[str, typer.Option("--date", help="YYYY-MM-DD")],
             source: Source = None) -> None:
    """km² and % of a region occupied, contested and Ukrainian-held on a date."""
    from frontwatch.analytics import area

    on = parse_day(day)
    res = area(cli.store(), region, on, source, "--date")
    stale_note(res, res["date"])
    if cli.json:
        emit_json(round_values(res))
        return
    # A source mapping only ground taken since 2022 leaves a rest that is not Ukrainian-held.
    rest = "not mapped as taken since 2022" if res["note"] else "ukrainian"
    print_table(("status", "km²", "%"),
                [*((label, f"{res[f'{st}_km2']:,.1f}", f"{res[f'{st}_pct']:.2f}")
                   for st, label in (("occupied", "occupied"), ("contested", "contested"),
                                     ("ukrainian", rest))),
                 ("region", f"{res['region_km2']:,.1f}", "100.00")],
                f"{res['region_name']} on {res['date']} "
                f"({_said(res['source'], res['valid_at'], on)})")
    warn(res["note"])
    err.print(res["attribution"], style="dim", highlight=False)


def _said(source: str, valid_at: str | datetime, on: date) -> str:
    """The snapshot a table shows and its age on `on` (valid_at: or the JSON's ISO text)."""
    from frontwatch.coverage import snapshot_said

    when = datetime.fromisoformat(valid_at) if isinstance(valid_at, str) else valid_at
    return snapshot_said(source, when, on)


def _newest(store, source: str, span) -> dict[str, Any]:
    """The JSON members of a table over `span` naming the newest revision it shows and its
    age (coverage.newest_members, what its title says) and the source's credit."""
    from frontwatch.coverage import newest_members
    from frontwatch.sources import attribution

    return {**newest_members(store.resolve(source, span.end), span),
            "attribution": attribution(source)}


def series_cmd(cli: Cli, region: Region, start: From, end: To, source: Source = None) -> None:
    """Daily area series (km², %, change per day, 7/30-day rates)."""
    from frontwatch.analytics import series
    from frontwatch.analytics.common import source_of
    from frontwatch.coverage import newest_said
    from frontwatch.sources import remainder_note

    d1, d2 = parse_range(start, end)
    store = cli.store()
    span = clamped_span(store, source, d1, d2)
    df = series(store, region, d1, d2, source)
    src = source_of(store, source)
    note = remainder_note(src)
    if cli.output is not OutputFormat.json:
        warn(note)  # stderr: the CSV and the table stay plain
    print_rows(cli.output, df,
               ("date", "occupied km²", "contested km²", "ukrainian km²", "occupied %",
                "Δ/day", "7d rate", "30d rate"),
               lambda r: (str(r.date), f"{r.occupied_km2:,.1f}", f"{r.contested_km2:,.1f}",
                          f"{r.ukrainian_km2:,.1f}", f"{r.occupied_pct:.2f}",
                          _num(r.occupied_change_km2), _num(r.occupied_rate_7d),
                          _num(r.occupied_rate_30d)),
               title=f"{region}: daily areas, {span.start} → {span.end} ({src}; "
               f"{newest_said(store, src, span)})",
               doc={"region": region, **span.members(), "note": note,
                    **_newest(store, src, span)})


def changelog_cmd(cli: Cli, region: Region, start: From, end: To,
                  source: Source = None) -> None:
    """km² gained and lost by each side per day with a new snapshot (the daily change log)."""
    from frontwatch.analytics import changelog
    from frontwatch.analytics.common import region_of, source_of
    from frontwatch.coverage import newest_said

    first, last = parse_range(start, end)
    store = cli.store()
    src = source_of(store, source)
    span = clamped_span(store, src, first, last)
    d1, d2 = span.bounds
    reg = region_of(store, region, d2)
    df = changelog(store, reg, d1, d2, src)
    net = float(df["occupied_net_km2"].sum())
    print_rows(cli.output, df,
               ("date", "occupied gained", "occupied lost", "occupied net",
                "contested gained", "contested lost"),
               lambda r: (str(r.date), f"{r.occupied_gained_km2:,.2f}",
                          f"{r.occupied_lost_km2:,.2f}", _num(r.occupied_net_km2, 2),
                          f"{r.contested_gained_km2:,.2f}", f"{r.contested_lost_km2:,.2f}"),
               title=f"{reg.name_en}: km² changed per day, {d1} → {d2} ({src}; "
               f"{newest_said(store, src, span)}); occupied net {net:+,.1f} km² over "
               f"{n_days((d2 - d1).days + 1)}, {len(df)} with a new snapshot",
               doc={"region": reg.slug, "region_name": reg.name_en, "source": src,
                    **span.members(), "occupied_net_km2": net, **_newest(store, src, span)})


def _km(v: float | None) -> str:
    return "" if v is None or v != v else f"{v:,.2f}"


def _distance(km: float) -> str:
    """A distance in whole km, or to 0.1 km under 10 km (0.43 km is not "0 km")."""
    return f"{km:,.1f}" if abs(km) < 10 else f"{km:,.0f}"


def _count(v: float | None) -> str:
    return "" if v is None or v != v else f"{int(v):,}"


def _num(v: float, digits: int = 1) -> str:
    return "" if v != v else f"{v:+,.{digits}f}"


def diff_cmd(cli: Cli,
             d1: Annotated[str, typer.Argument(metavar="D1")],
             d2: Annotated[str, typer.Argument(metavar="D2")],
             region: Annotated[str | None, typer.Option("--region", "-r", help="Region "
                               "(default: the whole theatre).")] = None,
             output: Annotated[Path | None, typer.Option(
                 "-o", "--output", callback=checked_output, help="Write the "
                               "changed polygons as GeoJSON.")] = None,
             min_km2: Annotated[float, typer.Option(help="Leave out smaller pieces.",
                                                    min=values.MIN_KM2.lo,
                                                    max=values.MIN_KM2.hi)] = 0.01,
             source: Source = None) -> None:
    """Polygons gained and lost by each side between two dates, and places that changed."""
    from frontwatch.analytics import diff
    from frontwatch.analytics.common import source_of
    from frontwatch.coverage import check_day, freshness

    later = parse_day(d2, "D2")
    earlier = parse_day(d1, "D1")
    store = cli.store()
    if earlier <= later:  # else refused by diff; in order, a day before the data is D1
        check_day(store, source_of(store, source), earlier, "D1")
    res = diff(store, region, earlier, later, source, min_km2=min_km2)
    fresh = freshness(store, source_of(store, source), later)
    stale_note(fresh, later, res.summary["source"])
    if output:
        write_output(output, res.to_geojson())
        err.print(f"wrote {len(res.features)} changed polygon(s) to {echo_name(output)}",
                  highlight=False)
    if cli.json:
        emit_json({"summary": res.summary, "places_changed": res.places_changed,
                   "changes": [p for _, p in res.features], **fresh})
        return
    s = res.summary
    print_table(("change", "km²"),
                [(key.replace("_", " "), f"{s[f'{key}_km2']:,.1f}")
                 for key in ("occupied_gained", "occupied_lost", "contested_gained",
                             "contested_lost", "occupied_net")],
                f"{s['region_name']}: {s['from']} "
                f"({_said(s['source'], s['from_valid_at'], earlier)}) → {s['to']} "
                f"({_said(s['source'], s['to_valid_at'], later)})")
    for _, p in res.features[:10]:
        out.print(f"  {p['rank']:>2}. {p['change'].replace('_', ' ')}: {p['description']}",
                  highlight=False)
    for p in res.places_changed:
        out.print(f"  {p['name']}: {p['before']} → {p['after']}", highlight=False)


def frontline_cmd(cli: Cli,
                  day: Annotated[str | None, typer.Option("--date", help="One date, "
                                 "YYYY-MM-DD.")] = None,
                  start: Annotated[str | None, typer.Option("--from", help="With --to: the "
                                   "length series from this day.")] = None,
                  end: Annotated[str | None, typer.Option("--to", help="Last day of the "
                                 "series.")] = None,
                  step: Annotated[int, typer.Option("--step", help="Days between sampled "
                                  "dates of the series.", min=values.STEP_DAYS.lo,
                                  max=values.STEP_DAYS.hi)] = 7,
                  output: Annotated[Path | None, typer.Option(
                      "-o", "--output", callback=checked_output, help="Write "
                                    "the line as GeoJSON (with --date).")] = None,
                  source: Source = None) -> None:
    """The line of contact on a date (no international border, no coast) and its length, or
    (--from/--to) the series of its length."""
    if date_or_series(day, start, end, output=output, csv=cli.output is OutputFormat.csv,
                      one="one line"):
        _frontline_series(cli, *parse_range(start, end), step, source)
        return
    from frontwatch.analytics.common import snapshot_on, source_of
    from frontwatch.analytics.front import line_of
    from frontwatch.coverage import check_day, freshness, snapshot_said
    from frontwatch.geojson import feature_collection, snapshot_meta

    on = parse_day(day)
    store = cli.store()
    check_day(store, source_of(store, source), on, "--date")
    info = snapshot_on(store, on, source)
    line, km = line_of(store, info)
    fresh = freshness(store, info.source, on)
    meta = {**snapshot_meta(info), "date": on.isoformat(), "length_km": round(km, KM), **fresh}
    stale_note(fresh, on, info.source)
    if output:
        write_output(output, feature_collection([(line, {"length_km": meta["length_km"]})],
                                                meta))
        err.print(f"wrote the front line to {echo_name(output)}", highlight=False)
    if cli.json:
        emit_json({**meta, "parts": len(line.geoms)})
        return
    out.print(f"front line on {on} ({snapshot_said(info.source, info.valid_at, on)}): "
              f"{km:,.1f} km in {len(line.geoms)} part(s)", highlight=False)


def _frontline_series(cli: Cli, d1: date, d2: date, step: int, source: str | None) -> None:
    from frontwatch.analytics import frontline_series
    from frontwatch.analytics.common import source_of
    from frontwatch.analytics.front import frontline_samples
    from frontwatch.coverage import newest_said

    store = cli.store()
    src = source_of(store, source)
    span = clamped_span(store, src, d1, d2)
    frontline_samples(store, d1, d2, src, step)  # bad input fails before the bar shows
    with progress_bar() as bar:
        task = bar.add_task("front lines", total=None)
        df = frontline_series(store, d1, d2, src, step, progress=lambda done, total:
                              bar.update(task, completed=done, total=total))
    valid = {i: store.snapshot(i).valid_at for i in dict.fromkeys(df["snapshot_id"].tolist())}
    print_rows(cli.output, df, ("date", "snapshot", "length km"),
               lambda r: (str(r.date), f"{r.snapshot_id}: "
                          + _said(src, valid[r.snapshot_id], r.date), f"{r.length_km:,.1f}"),
               title=f"front-line length, {d1} → {span.end} every {n_days(step)} ({src}; "
               f"{newest_said(store, src, span)})",
               doc={"source": src, **span.members(), "step": step,
                    **_newest(store, src, span)})


def places_changed_cmd(
    cli: Cli, start: From, end: To,
    region: Annotated[str | None, typer.Option("--region", "-r", help="Only places inside "
                      "this region (any level: donbas, an oblast, a raion…).")] = None,
    source: Source = None,
) -> None:
    """Places whose status changed on any day from --from through --to (from the state at
    the end of the day before --from): from → to, on which revision's date, with population
    and distance to the front. A table read (computed at import)."""
    from frontwatch.analytics import placestatus
    from frontwatch.analytics.common import region_of, source_of
    from frontwatch.coverage import newest_said

    d1, d2 = parse_range(start, end)
    store = cli.store()
    src = source_of(store, source)
    span = clamped_span(store, src, d1, d2)
    reg = region_of(store, region, span.end) if region else None
    items = placestatus.changes(store, *span.bounds, region=reg, source=src)
    frame = placestatus.changes_frame(items)
    print_rows(cli.output, frame, ("date", "place", "population", "change", "km to front"),
               lambda r: (str(r.date), r.name, _count(r.population),
                          f"{r.from_status} → {r.to_status}", _km(r.distance_to_front_km)),
               title=f"{reg.name_en if reg else 'All places'}: {len(items)} change(s) of "
               f"status, {span.start} → {span.end} ({src}; {newest_said(store, src, span)})",
               doc={"source": src, "region": reg.slug if reg else None, **span.members(),
                    "count": len(items), "rule": placestatus.RULE,
                    **_newest(store, src, span)})


def place_cmd(cli: Cli,
              place: Annotated[str, typer.Argument(metavar="PLACE", help="Slug or name.")],
              start: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
              end: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
              source: Source = None) -> None:
    """A place's status periods and its distance to the front line (on the last day shown and
    90 days before)."""
    from frontwatch import coverage, dates, lookup
    from frontwatch.analytics import distance_to_front_km, place_timeline
    from frontwatch.analytics.common import source_of
    from frontwatch.sources import attribution

    d1, d2 = parse_range(start, end)
    store = cli.store()
    src = source_of(store, source)
    fresh = coverage.freshness(store, src, d2)  # as GET /v1/places/{slug}: before clamping
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
    doc = {"place": p.slug, "name": p.name_en, "name_uk": p.name_uk or None, "source": src,
           "periods": [{**x, "start": x["start"].isoformat(),
                        "end": x["end"].isoformat() if x["end"] else None} for x in periods],
           "status": periods[-1]["status"] if periods else None,
           "distance_to_front_km": round(now, 2), "date": last.isoformat(),
           "distance_90_days_before_km": None if before is None else round(before, 2),
           **fresh, "attribution": attribution(src)}  # `end` null: still so at data_through
    if cli.json:
        emit_json(doc)
        return
    through = date.fromisoformat(fresh["data_through"][:10])
    age = dates.age_days(through, None)  # the newest snapshot's age today
    held = f"{through} (newest snapshot; {f'{n_days(age)} ago' if age else 'today'})"
    out.print(f"{p.name_en} ({src}, data through {through})", highlight=False)
    for x in doc["periods"]:
        out.print(f"{x['status']:>10} {x['start']} → {x['end'] or held} ({n_days(x['days'])})",
                  highlight=False)
    line = f"the front is {_distance(now)} km from {p.name_en} on {last}"
    if before is not None:
        delta = before - now
        line += (f", {_distance(abs(delta))} km {'closer' if delta > 0 else 'farther'} than 90 "
                 "days before" if _distance(abs(delta)) != "0.0" else
                 ", as far as 90 days before")
    out.print(line, highlight=False)
    err.print(doc["attribution"], style="dim", highlight=False)


def _export_formats() -> list[str]:
    from frontwatch.export import FORMATS
    return list(FORMATS)


def export_cmd(cli: Cli,
               fmt: Annotated[str, typer.Option("--format", parser=one_of(_export_formats),
                                                help="gpkg | parquet | fgb | csv")],
               output: Annotated[Path, typer.Option(
                   "-o", "--output", callback=checked_output, help="File to write.")],
               region: Annotated[str | None, typer.Option("--region", "-r", help="Clip to a "
                                 "region.")] = None,
               start: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
               end: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
               source: Source = None) -> None:
    """Zones with valid_from/valid_to, places with status periods and the area series."""
    from frontwatch.export import export

    d1, d2 = parse_range(start, end)
    store = cli.store()
    if d2 is not None:
        d2 = clamped_span(store, source, d1, d2).end
    notes: list[str] = []
    files = export(store, fmt, output, region, d1, d2, source, notes=notes)
    for note in notes:  # GDAL's warnings, each one line naming the user's file
        warn(f"note: {note}")
    if cli.json:
        emit_json({"format": fmt, "files": [str(f) for f in files]})
        return
    shown = [echo_name(f) for f in files]
    if len(files) > 1:
        err.print(f"{fmt} holds one layer per file: zones in {shown[0]}, places in "
                  f"{shown[1]}, areas in {shown[2]}", highlight=False)
    else:
        err.print(f"wrote layers zones, places and areas to {shown[0]}", highlight=False)


def stats_rebuild(cli: Cli, source: Annotated[str | None, typer.Option(
        "--source", help="Only this source (default: every source).")] = None) -> None:
    """Recompute the precomputed tables: area statistics, front-line lengths, the change
    log of every region and snapshot, and the status of every place."""
    from frontwatch.analytics.precompute import rebuild

    store = cli.store()
    with tables_progress() as progress:
        res = rebuild(store, source, progress)
    if cli.json:
        emit_json(res)
        return
    err.print(f"rebuilt {res['rows']:,} rows: {res['snapshots']} revisions × {res['regions']} "
              f"regions (largest drift of the incremental updates: {res['max_drift']:.1e}); "
              f"{res['front_lines']:,} front lines; change log of {res['change_revisions']:,} "
              f"revisions; place status of {res['place_revisions']:,} revisions",
              highlight=False)
