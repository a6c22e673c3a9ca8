"""`frontwatch map`: write an interactive map page or a static image of a date."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from frontwatch.cli.common import Db, Json, Source, app, emit_json, err, settings_for, store_for
from frontwatch.errors import InputError


@app.command("map")
def map_cmd(
    day: Annotated[str, typer.Argument(metavar="DATE", help="YYYY-MM-DD or latest.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write; its "
                      ".html/.png/.svg suffix picks the format.")] = None,
    png: Annotated[bool, typer.Option("--png", help="Write a PNG image.")] = False,
    svg: Annotated[bool, typer.Option("--svg", help="Write an SVG image.")] = False,
    region: Annotated[str | None, typer.Option(help="Focus on a region (name/code/slug).")]
    = None,
    place: Annotated[str | None, typer.Option(help="Focus on a place.")] = None,
    radius_km: Annotated[float | None, typer.Option("--radius-km", help="With --place.")]
    = None,
    bbox: Annotated[str | None, typer.Option(help="minlon,minlat,maxlon,maxlat")] = None,
    compare: Annotated[str | None, typer.Option(help="Show changes since this date.")]
    = None,
    start: Annotated[str | None, typer.Option("--from", help="Time-lapse from this date "
                     "to DATE.")] = None,
    step: Annotated[str | None, typer.Option(help="Time-lapse step: 7, 7d, 2w, 1m.")] = None,
    lang: Annotated[str, typer.Option(help="en or uk.")] = "en",
    tiles: Annotated[bool, typer.Option("--tiles", help="Show OpenStreetMap tiles on "
                     "opening (needs internet).")] = False,
    width: Annotated[int | None, typer.Option(help="Image width, px (1200).")] = None,
    height: Annotated[int | None, typer.Option(help="Image height, px (800).")] = None,
    dpi: Annotated[int | None, typer.Option(help="Image dpi (100).")] = None,
    source: Source = None,
    db: Db = None,
    json: Json = False,
) -> None:
    """Render a map of DATE: an HTML page (default), or --png/--svg for print and social."""
    from frontwatch import render
    from frontwatch.render import assets

    fmt = "png" if png else "svg" if svg else None
    if output is not None and fmt is None:
        fmt = {".png": "png", ".svg": "svg", ".html": "html", ".htm": "html"}.get(
            output.suffix.lower())
        if fmt is None:
            raise InputError(f"{output}: unknown suffix; use .html, .png or .svg")
    fmt = fmt or "html"
    settings = settings_for(db)
    q = render.parse_query(day, source=source or settings.source, region=region, place=place,
                           radius_km=radius_km, bbox=bbox, compare=compare, start=start,
                           end=day if start else None, step=step, lang=lang, tiles=tiles)
    output = output or Path(f"map-{day}.{fmt}")
    with store_for(db) as store:
        if fmt == "html":
            page = render.map_page(store, q, "cdn")
            if assets.check_mode(settings.assets) == "local":  # a file: point at the files
                page = assets.localize(page, assets.node_modules().as_uri() + "/")
            data = page.encode()
        else:
            data = render.map_image(store, q, fmt, render.parse_size(width, height, dpi))
        info = render.scene.resolve_snapshot(store, q)
    output.write_bytes(data)
    err.print(f"wrote {output} ({len(data) / 1024:.0f} KB), {info.source} snapshot of "
              f"{info.valid_at:%Y-%m-%d %H:%M} UTC", highlight=False)
    if json:
        emit_json({"output": str(output), "format": fmt, "bytes": len(data),
                   "source": info.source, "valid_at": info.valid_at.isoformat(),
                   "content_hash": info.content_hash, "illustrative": info.illustrative})
