"""Maps for people: interactive Leaflet pages, static PNG/SVG images and charts.

Entry points take a store and a checked :class:`MapQuery`; results are cached by (what was
asked, the content hashes of the snapshots drawn), so a repeated request, or the same map
asked for by a different date that resolves to the same snapshot, costs one lookup.
"""

from __future__ import annotations

from typing import Any

from frontwatch import dates, memo
from frontwatch.render import assets
from frontwatch.render.chart import ChartQuery, parse_chart_query
from frontwatch.render.query import ImageSize, MapQuery, parse_query, parse_size
from frontwatch.render.scene import build, clamp_timelapse, compared_snapshot, resolve_snapshot
from frontwatch.settings import cache_bytes
from frontwatch.store.base import SqlStore

__all__ = ["ChartQuery", "ImageSize", "MapQuery", "cache", "chart_image", "map_image",
           "map_page", "parse_chart_query", "parse_query", "parse_size"]


# Rendered bytes/text keyed by (what was asked, content hashes of what is drawn): new data
# means new keys, so nothing stale is served; old entries age out of the byte bound. A map of
# the latest state counts its age to today, so its key holds dates.today_part (the one rule
# of every cache of an age-bearing answer); a chart's content key holds its age itself.
cache: memo.Cache[Any] = memo.Cache("render", cache_bytes("render"))


def _hashes(store: SqlStore, q: MapQuery) -> tuple[str, ...]:
    """Content hashes of every snapshot the map draws: the cache's notion of 'same data'."""
    if q.timelapse:
        infos = [resolve_snapshot(store, q, d) for d in q.frames()]
    else:  # the dates asked for, checked against the data (errors name the input)
        infos = [resolve_snapshot(store, q), *([resolve_snapshot(
            store, q, q.compare, q.names.compare)] if q.compare else [])]
    other = (compared_snapshot(store, q).content_hash,) if q.compare_source else ()
    return tuple(i.content_hash for i in infos) + other


def map_page(store: SqlStore, q: MapQuery, assets_mode: str = "cdn",
             oembed_url: str | None = None) -> str:
    """The interactive page (single date, compare or time-lapse) as HTML text."""
    from frontwatch.render import timelapse, webmap

    assets.check_mode(assets_mode)
    asked = q.on  # a time-lapse's age counts to the end asked for, before it is cut
    q, cut = clamp_timelapse(store, q)
    key = ("html", q.key(), _hashes(store, q), assets_mode, oembed_url, asked,
           dates.today_part(asked))

    def make() -> str:
        if q.timelapse:
            page = timelapse.render_page(store, q, oembed_url, no_newer=cut, asked=asked)
        else:
            page = webmap.render_page(build(store, q), oembed_url)
        return assets.apply(page, assets_mode)

    return cache.get_or_make(key, make)


def map_image(store: SqlStore, q: MapQuery, fmt: str = "png", size: ImageSize | None = None
              ) -> bytes:
    """A static image of a single-date (or compare) map."""
    from frontwatch.errors import InputError
    from frontwatch.render import static

    if q.timelapse:
        raise InputError(f"a time-lapse ({q.names.start}) has no static image; ask for one "
                         "date")
    size = size or ImageSize()
    key = ("img", fmt, q.key(), _hashes(store, q), size, dates.today_part(q.on))
    return cache.get_or_make(key, lambda: static.render_image(build(store, q), fmt,
                                                             size).data)


def chart_image(store: SqlStore, q: ChartQuery, fmt: str = "png",
                size: ImageSize | None = None) -> bytes:
    """The area chart of a region (PNG or SVG). The series is read first (milliseconds, from
    the stats table) and its hash is the cache key, so new data shows at once."""
    from frontwatch.render import chart

    c = chart.build(store, q)
    size = size or ImageSize()
    key = ("chart", fmt, q.key(), c.fingerprint(), size)
    return cache.get_or_make(key, lambda: chart.render_image(c, fmt, size).data)
