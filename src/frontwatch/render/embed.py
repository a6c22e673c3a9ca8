"""Copy-paste embedding: a responsive iframe snippet and the oEmbed (1.0) answer for a map
page URL, so a CMS that speaks oEmbed turns a pasted link into the live map."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from frontwatch.errors import InputError, NotFound
from frontwatch.render.query import MapQuery, parse_query

PROVIDER = "Frontwatch"
MAP_PARAMS = ("source", "as_of", "region", "place", "radius_km", "bbox", "compare", "from",
              "to", "step", "lang", "tiles", "compare_source")


def query_from_params(day: str, params: dict[str, str]) -> MapQuery:
    """A MapQuery from a map page's URL parameters (unknown ones are refused)."""
    unknown = sorted(set(params) - set(MAP_PARAMS))
    if unknown:
        raise InputError(f"unknown map parameter(s): {', '.join(unknown)}")
    return parse_query(
        day, source=params.get("source"), as_of=params.get("as_of"),
        region=params.get("region"), place=params.get("place"),
        radius_km=params.get("radius_km"), bbox=params.get("bbox"),
        compare=params.get("compare"), start=params.get("from"), end=params.get("to"),
        step=params.get("step"), lang=params.get("lang"),
        tiles=params.get("tiles", "").lower() in ("1", "true", "yes", "on"),
        compare_source=params.get("compare_source"))


def iframe(src: str, title: str, width: int | None = None, height: int = 600) -> str:
    """A responsive iframe: full width of its column (up to `width` px), 3:2 until it has
    room for `height`, framed by nothing but a thin border."""
    cap = f"max-width:{width}px;" if width else ""
    ratio = f"{(width or 900)}/{height}"
    return (f'<div class="frontwatch-map" style="position:relative;width:100%;{cap}'
            f'aspect-ratio:{ratio};min-height:360px">'
            f'<iframe src="{html.escape(src)}" title="{html.escape(title)}" '
            'style="position:absolute;top:0;left:0;width:100%;height:100%;border:1px solid #ccc"'
            ' loading="lazy" allowfullscreen referrerpolicy="strict-origin-when-cross-origin">'
            "</iframe></div>")


def page_of(url: str, own_host: str) -> tuple[str, dict[str, str]]:
    """(date, parameters) of one of our map page URLs; anything else is not ours (404)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (parses it: a bad port is a ValueError here, not later)
    except ValueError:
        raise InputError(f"url {url!r}: not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"url {url!r}: expected an absolute http(s) URL of a map page")
    if parts.netloc != own_host:
        raise NotFound(f"url {url!r} is not a map on this server ({own_host})")
    path = parts.path
    for prefix, suffix in (("/maps/", ".html"), ("/embed/", "")):
        if path.startswith(prefix) and path.endswith(suffix):
            day = path[len(prefix):len(path) - len(suffix)] if suffix else path[len(prefix):]
            if day and "/" not in day:
                return day, dict(parse_qsl(parts.query))
    raise NotFound(f"url {url!r} is not a map page (/maps/DATE.html)")


def oembed(page_url: str, title: str, base_url: str, maxwidth: int | None,
           maxheight: int | None) -> dict[str, Any]:
    width = min(maxwidth or 900, 1600)
    height = min(maxheight or round(width * 2 / 3), 1200)
    if width < 200 or height < 200:
        raise InputError("maxwidth and maxheight must leave at least 200 px")
    return {"version": "1.0", "type": "rich", "provider_name": PROVIDER,
            "provider_url": base_url, "title": title, "width": width, "height": height,
            "html": iframe(page_url, title, width, height), "cache_age": 3600}
