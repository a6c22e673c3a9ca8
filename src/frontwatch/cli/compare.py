"""`frontwatch compare`: where two sources agree and differ, on one date or over a range."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from frontwatch import values
from frontwatch.cli.common import (
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
    write_output,
)
from frontwatch.cli.context import Cli
from frontwatch.cli.output import OutputFormat, print_rows, print_table, write_csv
from frontwatch.cli.strict import one_of
from frontwatch.coverage import check_day, data_through, freshness
from frontwatch.dates import n_days
from frontwatch.errors import InputError, echo_name
from frontwatch.precision import AGREEMENT


def _layers() -> list[str]:
    from frontwatch.analytics.compare import LAYERS
    return list(LAYERS)


def compare_cmd(
        ctx: typer.Context,
        cli: Cli,
        sources: Annotated[str, typer.Option("--sources", help="Two sources, e.g. "
                                             "deepstate,nzz.")] = "deepstate,nzz",
        region: Annotated[str | None, typer.Option("--region", "-r", help="Region (default: "
                                                   "the whole theatre).")] = None,
        day: Annotated[str | None, typer.Option("--date", help="One date, YYYY-MM-DD.")] = None,
        start: Annotated[str | None, typer.Option("--from", help="With --to: a series from "
                                                  "this day.")] = None,
        end: Annotated[str | None, typer.Option("--to", help="Last day of the series.")] = None,
        step: Annotated[int, typer.Option("--step", help="Days between sampled dates of the "
                                          "series.", min=values.STEP_DAYS.lo,
                                          max=values.STEP_DAYS.hi)] = 7,
        layer: Annotated[str, typer.Option("--layer", parser=one_of(_layers),
                                           help="since-2022 (ground taken since "
                                           "24 Feb 2022, default) or all.")] = "since-2022",
        output: Annotated[Path | None, typer.Option(
            "-o", "--output", callback=checked_output, help="Write the "
                                                    "disagreement pieces as GeoJSON (with "
                                                    "--date).")] = None,
        min_km2: Annotated[float, typer.Option(help="Leave out smaller pieces.",
                                               min=values.MIN_KM2.lo,
                                               max=values.MIN_KM2.hi)] = 0.01,
        ) -> None:
    """km² each of two sources calls occupied, by both, by only one, their agreement
    (intersection over union) and the pieces they disagree on; compares like with like (the
    since-2022 layer by default) and never the grey zone."""
    if ctx.invoked_subcommand is not None:
        return
    series = date_or_series(day, start, end, output=output,
                            csv=cli.output is OutputFormat.csv, one="one date's pieces",
                            csv_one=True)
    from frontwatch.analytics import compare as cmp

    store = cli.store()
    pair = cmp.parse_sources(sources, store.sources())
    behind = data_through(store, pair).source  # whose newest snapshot ends the data
    if series:
        d1, d2 = parse_range(start, end)
        span = clamped_span(store, pair, d1, d2)  # the days both cover; a note when cut
        rows, doc = cmp.compare_series(store, pair, region, *span.bounds, step, layer)
        doc.update({**span.members(), **freshness(store, pair, d2)})  # as the API's
        _print_series(rows, doc, pair, cli.output)
        return
    on = parse_day(day)
    check_day(store, pair, on, "--date")
    if cli.output is OutputFormat.csv:  # one date's CSV: the series' row of it (as the API)
        rows, doc = cmp.compare_series(store, pair, region, on, on, 1, layer)
        stale_note(doc, on, behind)
        _print_series(rows, doc, pair, cli.output)
        if not output:
            return
    res = cmp.compare(store, pair, region, on, layer, min_km2)
    stale_note(res.summary, on, behind)
    if output:
        write_output(output, res.to_geojson())
        err.print(f"wrote {len(res.features)} disagreement piece(s) to {echo_name(output)}",
                  highlight=False)
    if cli.output is OutputFormat.csv:
        return
    if cli.json:
        emit_json({"summary": res.summary, "pieces": [p for _, p in res.features]})
        return
    _print_one(res.summary, res.features, pair)


def _sources_line(doc: dict[str, Any]) -> str:
    return "; ".join(f"{s['source']} revision {s['snapshot_id']} of {s['valid_at'][:10]}"
                     + (f" ({n_days(s['age_days'])} old)" if s.get("age_days") else "")
                     for s in doc["sources"])


def _print_one(s: dict[str, Any], features: list, pair: tuple[str, str]) -> None:
    from frontwatch.analytics.compare import agreement_text

    a, b = pair
    print_table(("occupied by", "km²"),
                [(label, f"{s[key]:,.1f}") for label, key in (
                    (a, f"{a}_km2"), (b, f"{b}_km2"), ("both", "both_km2"),
                    (f"only {a}", f"only_{a}_km2"), (f"only {b}", f"only_{b}_km2"),
                    ("either", "union_km2"))],
                f"{s['region_name']} on {s['date']}: {a} vs {b}, layer {s['layer']}")
    out.print(agreement_text(s["agreement"]), highlight=False)
    for src, km2 in s["only_in_other_grey_zone_km2"].items():
        if km2 > 0:
            other = b if src == a else a
            out.print(f"of the {s[f'only_{src}_km2']:,.1f} km² only {src} calls occupied, "
                      f"{km2:,.1f} km² are in {other}'s grey zone", highlight=False)
    for _, p in features[:10]:
        out.print(f"  {p['rank']:>2}. only {p['claimed_by']}: {p['description']}",
                  highlight=False)
    grey = ", ".join(f"{k} {v:,.1f} km²" for k, v in s["grey_zone_km2_not_compared"].items())
    err.print(f"layer {s['layer']}: {s['layer_meaning']}; {s['rule']} (grey zone: "
              f"{grey})\n{_sources_line(s)}\n{s['attribution']}", style="dim", highlight=False)


def _print_series(rows: list[dict[str, Any]], doc: dict[str, Any], pair: tuple[str, str],
                  fmt: OutputFormat) -> None:
    a, b = pair
    print_rows(fmt, rows,
               ("date", f"{a} of", f"{b} of", f"{a} km²", f"{b} km²", "both km²",
                "agreement (IoU)"),
               lambda r: (r["date"], r[f"{a}_date"], r[f"{b}_date"], f"{r[f'{a}_km2']:,.1f}",
                          f"{r[f'{b}_km2']:,.1f}", f"{r['both_km2']:,.1f}",
                          "" if r["agreement"] is None else f"{r['agreement']:.{AGREEMENT}f}"),
               title=f"{doc['region_name']}: {a} vs {b}, layer {doc['layer']}, "
               f"{doc['from']} → {doc['to']} every {n_days(doc['step'])}", doc=doc,
               compact=True)  # whole dates and figures, even in 80 columns
    if fmt is OutputFormat.json:
        return
    notes = [f"left out {x['dates']} date(s): {x['reason']}" for x in doc["left_out"]]
    err.print("\n".join([f"layer {doc['layer']}: {doc['layer_meaning']}; "
                         f"{doc['rule']}", doc["agreement_meaning"], *notes,
                         doc["attribution"]]), style="dim", highlight=False)


def rebuild_cmd(cli: Cli) -> None:
    """Recompute the precomputed pairwise figures (filled at import; after importing new
    regions, run this so their comparison series read rows instead of geometry)."""
    from frontwatch.analytics import pairs

    store = cli.store()
    with progress_bar() as bar:
        task = bar.add_task("pairs of revisions", total=None)
        res = pairs.rebuild(store, progress=lambda n: bar.update(task, advance=n))
    if cli.json:
        emit_json(res)
        return
    err.print(f"rebuilt {res['pairs']:,} pairs of revisions × {res['regions']} regions "
              f"(sources: {', '.join(res['sources']) or 'none comparable'})", highlight=False)


def lag_cmd(
        cli: Cli,
        region: Annotated[str, typer.Option("--region", "-r", help="Region whose places and "
                                            "change pieces are followed.")],
        start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
        end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")],
        sources: Annotated[str, typer.Option("--sources", help="Two sources, e.g. "
                                             "deepstate,nzz.")] = "deepstate,nzz",
        layer: Annotated[str, typer.Option("--layer", parser=one_of(_layers),
                                           help="since-2022 (default) or "
                                           "all.")] = "since-2022",
        min_km2: Annotated[float, typer.Option("--min-km2", help="Change pieces at least "
                                               "this large (km²).", min=values.MIN_CHANGE_KM2.lo,
                                               max=values.MIN_CHANGE_KM2.hi)] = 1.0,
        output: Annotated[Path | None, typer.Option(
            "-o", "--output", callback=checked_output, help="Write the change "
                                                    "pieces as GeoJSON.")] = None,
        ) -> None:
    """Who showed it first: for the places of a region and the change pieces of at least
    --min-km2, the date each source first showed it occupied (or no longer occupied) and the
    lag in days, with each source's median lead."""
    from frontwatch.analytics import compare as cmp
    from frontwatch.analytics.lag import lag, table
    from frontwatch.analytics.piece_lag import SMALLEST
    from frontwatch.geojson import feature_collection

    if not min_km2 >= SMALLEST:
        raise InputError(f"--min-km2 {min_km2}: expected a size of at least {SMALLEST} km²")
    d1, d2 = parse_range(start, end)
    store = cli.store()
    pair = cmp.parse_sources(sources, store.sources())
    res = lag(store, pair, region, d1, d2, layer, min_km2)
    stale_note(res, d2, data_through(store, pair).source)
    features = res.pop("piece_features")
    if output:
        head = {k: v for k, v in res.items() if k not in ("rows", "pieces")}
        write_output(output, feature_collection(features, head))
        err.print(f"wrote {len(features)} change piece(s) to {echo_name(output)}",
                  highlight=False)
    if cli.json:
        emit_json(res)
        return
    if cli.output is OutputFormat.csv:
        write_csv(table(res, pair))
        return
    a, b = pair

    def cells(x: dict[str, Any], what: str) -> tuple[str, ...]:
        return (x[what], x["event"], x[f"{a}_date"] or "", x[f"{b}_date"] or "",
                "" if x["lag_days"] is None else str(x["lag_days"]), x["first"])

    print_table(("place", "event", a, b, "lag days", "first"),
                (cells(x, "name") for x in res["rows"]),
                f"{res['region_name']}, {res['from']} → {res['to']}: who showed it first "
                f"({a} vs {b}, layer {res['layer']}, {res['places']} places)")
    _print_lead(res["summary"], "change(s)")
    print_table(("piece", "event", a, b, "lag days", "first"),
                (cells(x, "description") for x in res["pieces"]),
                f"change pieces of at least {res['min_km2']:g} km² "
                f"({res['pieces_summary']['pieces']}, of which both showed "
                f"{res['pieces_summary']['pieces_both_showed']})")
    _print_lead({s: v for s, v in res["pieces_summary"].items() if s in pair}, "piece(s)")
    used = "; ".join(f"{x['source']}: {x['revisions']} revision(s), baseline "
                     + (x["baseline"] or f"none (its history starts {x['history_starts']})")
                     + f", last {x['last']}" for x in res["sources"])
    err.print(f"{res['note']}\n{used}\n{res['attribution']}", style="dim", highlight=False)


def _print_lead(summary: dict[str, Any], what: str) -> None:
    for s, v in summary.items():
        lead = "n/a" if v["median_lead_days"] is None else f"{v['median_lead_days']:+g} days"
        shown = v.get("changes_shown", v.get("pieces_shown"))
        out.print(f"{s}: {shown} {what} shown, first on {v['shown_first']}, median lead "
                  f"{lead}", highlight=False)

