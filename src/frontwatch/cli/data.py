"""Commands that bring data in and read it back: import, regions, sync, snapshots, show."""

from __future__ import annotations

import dataclasses
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer

from frontwatch import lookup, priority, staging, values
from frontwatch.cli.common import (
    Source,
    checked_output,
    emit_json,
    err,
    out,
    parse_day,
    progress_bar,
    shown_json,
    stale_note,
    tables_progress,
    write_output,
)
from frontwatch.cli.context import Cli
from frontwatch.cli.output import OutputFormat, print_rows
from frontwatch.cli.strict import one_of
from frontwatch.dates import iso
from frontwatch.errors import InputError, echo_name, exclusive
from frontwatch.ingest.formats import CHOICES, REGISTRY
from frontwatch.settings import Settings


# The choices of options below, read when a value is parsed (cli.strict.one_of): an unknown
# one is a usage mistake (exit 2). `import --format` takes the format registry's names.
def _levels() -> tuple[str, ...]:
    from frontwatch.ingest.regions import LEVELS
    return LEVELS


def _vocabulary() -> list[str]:
    from frontwatch.ingest.vector import VOCABULARY
    return sorted(VOCABULARY)


def _statuses() -> list[str]:
    from frontwatch.snapshots import STATUS_CHOICES
    return STATUS_CHOICES


# --- import -------------------------------------------------------------------------------
def import_cmd(
    cli: Cli,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (recursively); .gz ok.")],
    format: Annotated[str, typer.Option(
        parser=one_of(lambda: CHOICES), help=" | ".join(CHOICES))] = "auto",
    source: Annotated[str | None, typer.Option(help="Source name to store under.")] = None,
    status: Annotated[str | None, typer.Option(parser=one_of(_vocabulary, fold=str.lower),
                                               help="Status of every feature (vector files): "
                                               "occupied | contested | liberated …")] = None,
    status_field: Annotated[str | None, typer.Option(help="Field holding each feature's "
                                                     "status (vector files).")] = None,
    status_map: Annotated[list[str] | None, typer.Option(help="VALUE=STATUS or VALUE=ignore "
                                                         "(skip those features), repeatable.")
                          ] = None,
    date_: Annotated[str | None, typer.Option("--date", help="Date (or ISO date-time) the "
                                              "map depicts, for formats without one.")] = None,
    date_field: Annotated[str | None, typer.Option(help="Property holding each feature's "
                                                   "date: one revision per distinct date.")
                          ] = None,
    merge_dates: Annotated[bool, typer.Option(help="Store features of several dates as one "
                                              "snapshot (refused otherwise).")] = False,
    skip_invalid: Annotated[bool, typer.Option(help="Skip bad files (reported) instead of "
                                               "aborting the whole import.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Every note of every file, "
                                          "routine ones included.")] = False,
) -> None:
    from frontwatch.ingest import ImportOptions, import_paths, iter_files, parse_date
    from frontwatch.ingest.vector import StatusMapping

    exclusive(date=date_, date_field=date_field)
    exclusive(date_field=date_field, merge_dates=merge_dates)
    opts = ImportOptions(
        format=format, source=source, skip_invalid=skip_invalid,
        date=parse_date(date_, "--date") if date_ else None, date_field=date_field,
        merge_dates=merge_dates,
        status=StatusMapping.of(status, status_field, status_map))
    files = iter_files(paths)
    staging.remove_stale()  # private folders of imports killed (SIGKILL) before they ended
    priority.lower(cli.settings.import_nice)  # a server's reads on this machine come first
    store = cli.store(create=True)
    with tables_progress() as progress:
        # Bars for each phase (files read, revisions stored, each derived table), on a
        # terminal only; none with --json.
        report = import_paths(store, files, opts, None if cli.json else progress)
    delivery = notify_webhook(store, cli.settings, report.added)
    if cli.json:
        emit_json({**report.to_dict(), **webhook_member(delivery)})
        return
    print_notes(report.notes, verbose)
    err.print(f"imported {len(report.added)} new revision(s); "
              f"{len(report.unchanged)} file(s) already stored", highlight=False)


import_cmd.__doc__ = ("Import control snapshots: " + ", ".join(f.label for f in REGISTRY)
                      + " (formats are tried in this order).")


def notify_webhook(store, settings: Settings, added: list) -> Any:
    """POST the places the new revisions changed to FRONTWATCH_WEBHOOK_URL (after the
    import committed; a failed delivery is reported and logged, the import stays)."""
    from frontwatch import webhooks

    return report_delivery(webhooks.after_import(store, settings, added), settings)


def report_delivery(delivery: Any, settings: Settings) -> Any:
    """One stderr line for a webhook delivery (None: nothing was posted)."""
    if delivery is not None:
        if delivery.ok:
            err.print(f"webhook: {delivery.changes} place change(s) delivered (HTTP "
                      f"{delivery.status}, {delivery.attempts} attempt(s))", highlight=False)
        else:
            err.print(f"webhook: delivery failed after {delivery.attempts} attempt(s): "
                      f"{delivery.error}; the import is kept, see {settings.webhook_log}",
                      style="yellow", markup=False, highlight=False)
    return delivery


def webhook_member(delivery: Any) -> dict[str, Any]:
    return {"webhook": dataclasses.asdict(delivery)} if delivery is not None else {}


# Notes every DeepStateMap file produces: summarized unless --verbose.
_ROUTINE = (re.compile(r"^excluded \d+ territories outside Ukraine$"),
            re.compile(r"^kept \d+ markers .*$"),
            re.compile(r"^map includes ORDLO .*$"))


def print_notes(notes: list[str], verbose: bool) -> None:
    """Repairs, skips and warnings per file; routine exclusions as one count each."""
    routine: Counter[str] = Counter()
    for note in notes:
        text = note.split(": ", 1)[-1]
        kind = next((p.pattern for p in _ROUTINE if p.match(text)), None)
        if kind and not verbose:
            routine[re.sub(r"\d+ ", "", text)] += 1
            continue
        err.print(note, style="yellow" if "skipped" in text or "repaired" in text else "dim",
                  markup=False, highlight=False)
    for what, files in routine.items():
        err.print(f"{what} in {files} file(s) (--verbose lists them)", style="dim",
                  markup=False, highlight=False)


# --- regions ------------------------------------------------------------------------------
def regions_import(
    cli: Cli,
    paths: Annotated[list[Path], typer.Argument(help="Boundary files or folders "
                                                "(GeoJSON, GeoPackage …; .gz ok)")],
    level: Annotated[str | None, typer.Option(parser=one_of(_levels),
                                              help="country | oblast | raion | hromada "
                                              "(default: from the file's COD-AB admN or "
                                              "OSM admin_level fields)")] = None,
    valid_from: Annotated[str | None, typer.Option(help="Date these boundaries took effect.")
                          ] = None,
    name_field: Annotated[str | None, typer.Option(help="Field with the English (or only) "
                                                   "name.")] = None,
    name_uk_field: Annotated[str | None, typer.Option(help="Field with the Ukrainian name.")
                             ] = None,
    code_field: Annotated[str | None, typer.Option(help="Field with the code (KATOTTG or "
                                                   "COD-AB pcode).")] = None,
) -> None:
    """Import administrative boundaries (OSM or OCHA COD-AB conventions, or named fields);
    raions also yield their oblast."""
    from frontwatch.ingest.regions import RegionFields, import_regions

    vf = parse_day(valid_from, "--valid-from", future=True) if valid_from else None
    fields = RegionFields(name=name_field, name_uk=name_uk_field, code=code_field)
    store = cli.store(create=True)
    with tables_progress() as progress:
        result = import_regions(store, paths, level, vf, progress, fields)
    if cli.json:
        emit_json(result)
    else:
        err.print(f"{len(result['added'])} region version(s) added, "
                  f"{len(result['unchanged'])} unchanged", highlight=False)


def regions_list(
    cli: Cli,
    level: Annotated[str | None, typer.Option(parser=one_of(_levels),
                                              help="Only this level.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="Boundaries in force on.")] = None,
) -> None:
    """List regions (slug, level, names, code, km²)."""
    day = parse_day(on) if on else None
    regions = cli.store().regions(level=level, on=day)
    rows = [{"slug": r.slug, "level": r.level, "name_en": r.name_en, "name_uk": r.name_uk,
             "code": r.code, "parent": r.parent, "area_km2": round(r.area_km2 or 0, 2),
             "illustrative": r.illustrative} for r in regions]
    print_rows(cli.output, rows, ("slug", "level", "name", "code", "km²"),
               lambda r: (r["slug"], r["level"], r["name_en"], r["code"] or "",
                          f"{r['area_km2']:,.1f}"))


# --- sync ---------------------------------------------------------------------------------
def sync_deepstate_cmd(
    cli: Cli,
    since: Annotated[str | None, typer.Option(help="Only snapshots published on or after "
                                              "this date.")] = None,
    base_url: Annotated[str | None, typer.Option(
        help="API root \\[env FRONTWATCH_DEEPSTATE_URL; default: deepstatemap.live's].")] = None,
) -> None:
    """Download the snapshots the store does not have yet from DeepStateMap's public API."""
    from frontwatch.ingest.sync import sync_deepstate

    since_day = parse_day(since, "--since") if since else None
    priority.lower(cli.settings.import_nice)
    store = cli.store(create=True)
    with progress_bar() as bar:
        task = bar.add_task("downloading", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = sync_deepstate(store, base_url=base_url or cli.settings.deepstate_url,
                                since=since_day, progress=tick)
    delivery = notify_webhook(store, cli.settings, report.added)
    if cli.json:
        emit_json({**report.to_dict(), **webhook_member(delivery)})
    else:
        for note in report.notes:
            if note.startswith("skipped"):  # refused bodies: retried by the next sync
                err.print(note, style="yellow", markup=False, highlight=False)
        err.print(f"downloaded {len(report.added)} new revision(s)", highlight=False)


# --- reading ------------------------------------------------------------------------------
def snapshots_cmd(ctx: typer.Context, cli: Cli, source: Source = None) -> None:
    """List every stored revision with its date and zone counts (`delete` one)."""
    if ctx.invoked_subcommand:
        return
    infos = cli.store().snapshots(source)
    rows = [{"id": s.id, "source": s.source,
             "valid_at": iso(s.valid_at),
             "date": s.date.isoformat(), "revision": s.revision, **s.counts,
             "content_hash": s.content_hash, "illustrative": s.illustrative} for s in infos]
    print_rows(cli.output, rows,
               ("id", "source", "valid_at (UTC)", "rev", "occupied", "contested", "liberated"),
               lambda r: (str(r["id"]), r["source"] + (" (illustrative)" if r["illustrative"]
                                                       else ""), r["valid_at"],
                          str(r["revision"]), str(r["occupied"]), str(r["contested"]),
                          str(r["liberated"])))
    if cli.output is OutputFormat.table:
        err.print(f"{len(rows)} revision(s)", highlight=False)


def show_cmd(
    cli: Cli,
    day: Annotated[str, typer.Argument(metavar="DATE", help="YYYY-MM-DD or 'latest'.")],
    source: Source = None,
    as_of: Annotated[str | None, typer.Option(help="What was known at this time.")] = None,
    region: Annotated[str | None, typer.Option(help="Clip to a region.")] = None,
    status: Annotated[list[str] | None, typer.Option(parser=one_of(_statuses),
                                                     help="Only these statuses.")] = None,
    simplify: Annotated[float | None, typer.Option(help="Tolerance in metres.",
                                                   min=values.SIMPLIFY_M.lo,
                                                   max=values.SIMPLIFY_M.hi)] = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", callback=checked_output, help="Write to a file.")
                      ] = None,
) -> None:
    """Print the control zones on DATE as GeoJSON."""
    from frontwatch import dates
    from frontwatch.coverage import check_day, freshness
    from frontwatch.snapshots import snapshot_geojson

    on = None if day == "latest" else parse_day(day, "DATE")
    known_at = dates.instant(as_of, "--as-of") if as_of else None
    store = cli.store()
    src = lookup.default_source(store, source or cli.settings.source)
    check_day(store, src, on, "DATE")
    info = store.resolve(src, on, known_at)
    reg = lookup.resolve_region(store, region, on) if region else None
    fresh = freshness(store, src, on)
    body = snapshot_geojson(store, info, reg, status, simplify, fresh)
    stale_note(fresh, on)
    if output:
        write_output(output, body)
        err.print(f"wrote {echo_name(output)} ({len(body):,} bytes)", highlight=False)
    else:
        sys.stdout.buffer.write(shown_json(body) + b"\n")


def places_cmd(
    ctx: typer.Context,
    cli: Cli,
    region: Annotated[str | None, typer.Option(help="Only places inside this region (any "
                                               "level: donbas, theatre, an oblast, a raion…).")
                      ] = None,
    on: Annotated[str | None, typer.Option("--date", help="Names as of this day.")] = None,
) -> None:
    """List the places (settlements) the store knows (`import` attaches outlines)."""
    from frontwatch.analytics import places_in_region

    if ctx.invoked_subcommand:
        return
    day = parse_day(on) if on else None
    store = cli.store()
    places = places_in_region(store, region, day) if region else store.places(day)
    rows = [{"slug": p.slug, "name_en": p.name_en, "name_uk": p.name_uk or None, "kind": p.kind,
             "population": p.population, "region": p.region, "lon": p.lon, "lat": p.lat,
             "katottg": p.katottg} for p in places]
    print_rows(cli.output, rows, ("slug", "name", "назва", "kind", "population", "region"),
               lambda r: (r["slug"], r["name_en"], r["name_uk"] or "", r["kind"],
                          f"{r['population'] or 0:,}", r["region"]))


def places_import(
    cli: Cli,
    files: Annotated[list[Path], typer.Argument(help="GeoJSON files (.gz too) of settlement "
                                                "boundaries, e.g. OSM hromada files.")],
) -> None:
    """Attach settlement outlines to gazetteer places, by KATOTTG code (`katotth`) or, for
    a polygon without one, by Ukrainian name and position."""
    from frontwatch import webhooks
    from frontwatch.analytics.placestatus import on_places
    from frontwatch.ingest.place_polygons import codes_from_outlines, read_outlines

    reports = {}
    store = cli.store(create=True)
    with store.transaction():
        before = webhooks.before_places_import(store, cli.settings)
        places = store.places()
        for path in files:
            rows, report = read_outlines(path, places)
            store.set_place_polygons(rows)
            store.set_place_codes(codes_from_outlines(rows, places))
            reports[str(path)] = report.to_dict()
        if not any(r["attached"] for r in reports.values()):  # the wrong file(s): say so
            raise _nothing_attached(reports)  # and store nothing
        on_places(store)  # the status of those places, over every revision
    # committed: statuses the outlines changed are posted like an import's
    report_delivery(webhooks.after_places_import(store, cli.settings, before), cli.settings)
    if cli.json:
        emit_json(reports)
        return
    for path, r in reports.items():
        out.print(f"{path}: {r['attached']} outline(s) attached, {r['unmatched']} of "
                  f"settlements not in the gazetteer, {r['skipped']} other feature(s) skipped",
                  highlight=False)


def _nothing_attached(reports: dict[str, dict[str, Any]]) -> InputError:
    """The error of a `places import` that attached no outline at all (one file: its
    counts; several files each attaching nothing: their names)."""
    unmatched = sum(r["unmatched"] for r in reports.values())
    skipped = sum(r["skipped"] for r in reports.values())
    names = list(reports)
    where = names[0] if len(names) == 1 else (
        f"{len(names)} files ({', '.join(names[:3])}{', …' if len(names) > 3 else ''})")
    return InputError(f"no settlement outline attached: {unmatched} polygon(s) matched no "
                      "gazetteer place (by katotth code, or by Ukrainian name around the "
                      f"place's point), {skipped} other feature(s) skipped", origin=where)


def demo_load(cli: Cli) -> None:
    """Load the illustrative demo into an empty store."""
    from frontwatch.bootstrap import load_demo

    n = load_demo(cli.store(create=True))
    err.print(f"loaded {n} illustrative demo snapshot(s) — NOT an assessment of control",
              highlight=False)
