"""`frontwatch check`: where a source is unreliable, revision by revision."""

from __future__ import annotations

from typing import Annotated

import typer

from frontwatch.cli.common import Source, emit_json, out, progress_bar
from frontwatch.cli.context import Cli
from frontwatch.dates import n_days


def check_cmd(
    cli: Cli,
    source: Source = None,
    region: Annotated[str, typer.Option("--region", "-r", help="Region whose areas are "
                                        "checked for jumps.")] = "theatre",
    no_frontline: Annotated[bool, typer.Option("--no-frontline", help="Skip the front-line "
                                               "length check (one line per revision).")
                            ] = False,
) -> None:
    """Per revision: what import repaired or dropped, area jumps beyond a plausible daily
    change, and front-line lengths far from their neighbours'."""
    from frontwatch.analytics.check import check

    store = cli.store()
    with progress_bar() as bar:
        task = bar.add_task("front lines", total=None, visible=not no_frontline)
        report = check(store, source, region, frontline=not no_frontline,
                       progress=lambda done, total: bar.update(task, completed=done,
                                                               total=total))
    if cli.json:
        emit_json(report)
        return
    s, th = report["summary"], report["thresholds"]
    out.print(f"{report['source']}: {report['revisions_checked']} revisions checked "
              f"({report['revisions_with_import_notes']} with import notes)", highlight=False)
    out.print("  import: " + ", ".join(f"{n} revision(s) {kind}" for kind, n in
                                       s["import"].items()), highlight=False)
    for what in report["not_checked"]:
        out.print(f"  not checked: {what}", highlight=False)
    if report["region"]:
        out.print(f"  area jumps in {report['region']} (> {th['max_km2_per_day']:,.0f} km² per "
                  f"day elapsed): {s['area_jumps']} revision(s)", highlight=False)
    if "frontline_tolerance_pct" in th:
        out.print(f"  front-line outliers (> {th['frontline_tolerance_pct']:.0f} % from the "
                  f"median of {th['frontline_neighbours']} revisions each side): "
                  f"{s['frontline_outliers']} revision(s)", highlight=False)
    for r in report["revisions"]:
        lines = [n["note"] for n in r["import"] if n["kind"] != "excluded"]
        lines += [f"{j['status']} {j['change_km2']:+,.1f} km² in {n_days(j['days'])} "
                  f"({j['km2_per_day']:+,.1f} km²/day)" for j in r["area_jumps"]]
        if r["frontline"]:
            f = r["frontline"]
            lines.append(f"front line {f['length_km']:,.1f} km vs {f['neighbours_median_km']:,.1f}"
                         f" km around it ({f['deviation_pct']:+.1f} %)")
        if lines:  # territories excluded by name are routine: counted above, listed in JSON
            out.print(f"{r['valid_at']} (#{r['snapshot_id']} rev {r['revision']}):",
                      highlight=False)
            for line in lines:
                out.print(f"  - {line}", highlight=False)
