"""Copy-paste embedding: a responsive iframe snippet and the oEmbed (1.0) answer for a map
page URL, so a CMS that speaks oEmbed turns a pasted link into the live map."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from frontwatch import dates
from frontwatch.errors import InputError, NotFound, echo, echo_many
from frontwatch.render.query import MapQuery, parse_query

PROVIDER = "Frontwatch"
CACHE_AGE = 3600  # seconds an oEmbed answer may be kept (a dated map's)
MAP_PARAMS = ("source", "as_of", "region", "place", "radius_km", "bbox", "compare", "from",
              "to", "step", "lang", "tiles", "compare_source")
SNIPPET_PARAMS = ("width", "height")  # an /embed/ URL's own: the snippet's size
MIN_WIDTH, MIN_HEIGHT = 200, 150  # oEmbed: below this the map would be all controls
MAX_WIDTH, MAX_HEIGHT = 1600, 1200  # oEmbed answers no larger, whatever the consumer allows
DEFAULT_WIDTH = 900  # oEmbed without maxwidth; height 2/3 of the width


def query_from_params(day: str, params: dict[str, str]) -> MapQuery:
    """A MapQuery from a map page's URL parameters (unknown ones are refused)."""
    unknown = sorted(set(params) - set(MAP_PARAMS))
    if unknown:
        raise InputError(f"unknown map parameter(s): {echo_many(unknown)}")
    return parse_query(
        day, source=params.get("source"), as_of=params.get("as_of"),
        region=params.get("region"), place=params.get("place"),
        radius_km=params.get("radius_km"), bbox=params.get("bbox"),
        compare=params.get("compare"), start=params.get("from"), end=params.get("to"),
        step=params.get("step"), lang=params.get("lang"),
        tiles=params.get("tiles", "").lower() in ("1", "true", "yes", "on"),
        compare_source=params.get("compare_source"))


def iframe(src: str, title: str, width: int | None = None, height: int = 600) -> str:
    """A responsive iframe: full width of its column (up to `width` px) at the ratio
    width:height, never flatter than min(height, 360) px, framed by a thin border."""
    cap = f"max-width:{width}px;" if width else ""
    ratio = f"{(width or DEFAULT_WIDTH)}/{height}"
    return (f'<div class="frontwatch-map" style="position:relative;width:100%;{cap}'
            f'aspect-ratio:{ratio};min-height:{min(height, 360)}px">'
            f'<iframe src="{html.escape(src)}" title="{html.escape(title)}" '
            'style="position:absolute;top:0;left:0;width:100%;height:100%;border:1px solid #ccc"'
            ' loading="lazy" allowfullscreen referrerpolicy="strict-origin-when-cross-origin">'
            "</iframe></div>")


def fixed_iframe(src: str, title: str, width: int, height: int) -> str:
    """An iframe of exactly width × height px (border included), as oEmbed's `html`."""
    return (f'<iframe src="{html.escape(src)}" width="{width}" height="{height}" '
            f'title="{html.escape(title)}" style="border:1px solid #ccc;box-sizing:border-box;'
            'max-width:100%" loading="lazy" allowfullscreen '
            'referrerpolicy="strict-origin-when-cross-origin"></iframe>')


def map_page_url(base_url: str, day: str, params: dict[str, str]) -> str:
    """The map page (/maps/DATE.html) for a date and its map parameters."""
    query = {k: params[k] for k in MAP_PARAMS if k in params}
    url = f"{base_url.rstrip('/')}/maps/{day}.html"
    return url + ("?" + urlencode(query) if query else "")


def page_of(url: str, own_host: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """(date, map parameters, snippet size) of one of our map page URLs: /maps/DATE.html, or
    /embed/DATE, whose `width`/`height` (the snippet's) come apart as the third member;
    anything else is not ours (404)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (parses it: a bad port is a ValueError here, not later)
    except ValueError:
        raise InputError(f"url {echo(url)}: not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"url {echo(url)}: expected an absolute http(s) URL of a map page")
    if parts.netloc != own_host:
        raise NotFound(f"url {echo(url)} is not a map on this server ({own_host})")
    path = parts.path
    for prefix, suffix in (("/maps/", ".html"), ("/embed/", "")):
        if path.startswith(prefix) and path.endswith(suffix):
            day = path[len(prefix):len(path) - len(suffix)] if suffix else path[len(prefix):]
            if day and "/" not in day:
                params = dict(parse_qsl(parts.query))
                size = {k: params.pop(k) for k in SNIPPET_PARAMS
                        if prefix == "/embed/" and k in params}
                return day, params, size
    raise NotFound(f"url {echo(url)} is not a map page (/maps/DATE.html)")


def oembed_size(maxwidth: int | None, maxheight: int | None,
                width: int | None = None, height: int | None = None) -> tuple[int, int]:
    """(width, height) of the answer: the wanted size (an /embed/ URL's, else 900 wide at
    3:2) within the consumer's maxwidth × maxheight and our 1600 × 1200, never below
    MIN_WIDTH × MIN_HEIGHT (maxima smaller than that are refused by the caller)."""
    w = min(width or DEFAULT_WIDTH, maxwidth or MAX_WIDTH, MAX_WIDTH)
    h = min(height or round(w * 2 / 3), maxheight or MAX_HEIGHT, MAX_HEIGHT)
    return max(w, MIN_WIDTH), max(h, MIN_HEIGHT)


def oembed(page_url: str, title: str, base_url: str, size: tuple[int, int],
           on: date | None) -> dict[str, Any]:
    """The oEmbed 1.0 `rich` answer: an iframe of the map page of exactly `size`, titled
    `title` (which names the snapshot's age on `on`: see :func:`cache_age`)."""
    width, height = size
    return {"version": "1.0", "type": "rich", "provider_name": PROVIDER,
            "provider_url": base_url, "title": title, "width": width, "height": height,
            "html": fixed_iframe(page_url, title, width, height), "cache_age": cache_age(on)}


def cache_age(on: date | None, now: datetime | None = None) -> int:
    """Seconds a consumer may keep an oEmbed answer for the map of `on`: an hour, but one
    for the latest state (`on` None), whose title counts its age to today UTC, only until
    that day ends (dates.today_part: the rule of every age-bearing answer's cache)."""
    if dates.today_part(on) is None:
        return CACHE_AGE
    now = now or datetime.now(UTC)
    left = (datetime.combine(now.date(), time(), UTC) + timedelta(days=1) - now).total_seconds()
    return max(1, min(CACHE_AGE, int(left)))
