"""Warm a worker before it takes traffic.

A fresh worker pays once for what every later request reuses: lazy imports, pyproj
transformers, GEOS and SQLite first use, Python's first full garbage collection over
everything those left behind. Measured under the load benchmark (64 clients arriving at once,
an import running), 33 of the 38 data requests slower than 2 s started in the first 8 s after
the workers came up, and the first full collections stalled a worker for 0.5–1.1 s each.

So before a worker accepts connections (in the app's lifespan), :func:`warm` sends a handful
of representative reads through the app itself — the newest snapshot whole and clipped to a
region, an OGC items page, an area series — and then freezes the objects that exist
(:func:`gc.freeze`): the interpreter's long-lived state (modules, routes, caches' keys) is no
longer walked by every full collection, which then only visits what requests allocate.

Warming never stops a worker from starting: a failure or a slow store is logged and skipped
(bounded by `budget_s`). `FRONTWATCH_WARM=0` turns it off.

Warming follows the data (:func:`follow`): a worker notices when the store's data version
changes — an import by another process, or the first one into a store that was empty when
the server started — and warms again in the background for the new version, one read at a
time, once the version has stopped changing. Only the first warm-up that read data freezes
the collector's objects (the imports a store with data brings in); later ones leave what
requests allocate to the collector.

Each warm-up then prefills the geometry-text cache (:func:`prefill`, the walk itself is
:mod:`frontwatch.prefill`): the GeoJSON texts of the stored zones, newest revisions first,
until half the cache's bound or the warm-up's budget.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from datetime import timedelta
from typing import Any

import httpx

from frontwatch import geojson
from frontwatch import prefill as prefill_walk
from frontwatch.store.base import SqlStore

log = logging.getLogger("frontwatch.warm")
MAP_REGION = "donbas"  # the maps' default region (render.scene), clipped by most requests
LANDING = ("/", "/collections", "/v1/sources")  # all an empty store gives to read
CHECK_S = 2.0  # how often a worker looks at the data version to warm again (follow)
Prefill = Callable[[float], Awaitable[dict[str, Any]]]  # deadline (monotonic) → its report


def warm_paths(store: SqlStore, source: str) -> list[str]:
    """The reads sent to warm a worker, built from what the store holds: `source`'s newest
    snapshot (whole, clipped to the Donbas or else the first region), an OGC items page and a
    30-day area series for that region. An empty store gives only the landing pages."""
    paths = list(LANDING)
    snaps = [s for s in store.snapshots(source) if not s.illustrative] or store.snapshots()
    if not snaps:
        return paths
    day = max(s.valid_at for s in snaps).date()
    paths += [f"/v1/snapshots/{day}", f"/collections/control/items?datetime={day}&limit=10"]
    slugs = [r.slug for r in store.regions(on=day)]
    if slugs:
        slug = MAP_REGION if MAP_REGION in slugs else slugs[0]
        paths += [f"/v1/snapshots/{day}?region={slug}",
                  f"/v1/areas?region={slug}&from={day - timedelta(days=30)}&to={day}"]
    return paths


async def warm(app: Any, paths: list[str], budget_s: float = 30.0, freeze: bool = True,
               prefill: Prefill | None = None) -> dict[str, Any]:
    """GET each of `paths` through `app` (ASGI, no socket, one at a time), run `prefill`
    in what is left of the budget, then collect and, with `freeze`, freeze the garbage
    collector's current objects.

    Returns
    -------
    dict
        ``requests`` (answered), ``statuses`` (path → HTTP status), ``seconds`` (wall) and
        ``frozen_objects`` (objects moved out of the collector's reach); ``error`` when it
        stopped early (the budget ran out or a request raised); ``prefill``, its report.
    """
    started = time.monotonic()
    statuses: dict[str, int] = {}
    report: dict[str, Any] = {"statuses": statuses}
    transport = httpx.ASGITransport(app=app)
    try:
        async with asyncio.timeout(budget_s), httpx.AsyncClient(
                transport=transport, base_url="http://warm.invalid") as client:
            for path in paths:
                response = await client.get(path, headers={"Accept-Encoding": "gzip"})
                statuses[path] = response.status_code
    except TimeoutError:
        report["error"] = f"stopped after {budget_s:g} s"
    except Exception as exc:  # warming must never keep a worker from starting
        report["error"] = f"{type(exc).__name__}: {exc}"[:200]
    if "error" in report:
        log.warning("warm-up incomplete: %s", report["error"])
    if prefill is not None:
        report["prefill"] = await prefill(started + budget_s)
    if freeze:
        gc.collect()
        gc.freeze()
    report.update(requests=len(statuses), seconds=round(time.monotonic() - started, 2),
                  frozen_objects=gc.get_freeze_count())
    return report


async def prefill(pool: Any, deadline: float, share: float = prefill_walk.SHARE,
                  batch: int = prefill_walk.BATCH, done: set[int] | None = None
                  ) -> dict[str, Any]:
    """Run the geometry-text prefill (:func:`frontwatch.prefill.walk`: the texts of the
    zones of `pool`'s stored revisions, newest first, until `share` of the cache's bound or
    `deadline`, time.monotonic) one step at a time on a thread, so the event loop (serving,
    when this follows new data) keeps its turns. Never raises: a failure ends it and is
    reported. `done` is the walk's, kept by the caller across rounds.

    Returns
    -------
    dict
        ``texts`` (added), ``bytes`` (the cache's, after), ``seconds`` (wall), ``stopped``
        ("done", "bound": the share reached, "budget": the deadline passed) or ``error``.
    """
    started = time.monotonic()
    report: dict[str, Any] = {"texts": 0}
    steps = prefill_walk.walk(pool.store, deadline, report, share, batch, done)
    try:
        while await asyncio.to_thread(next, steps, False) is not False:
            pass
    except Exception as exc:  # like the reads: never keeps a worker from starting
        report.pop("stopped", None)
        report["error"] = f"{type(exc).__name__}: {exc}"[:200]
        log.warning("geometry-text prefill stopped: %s", report["error"])
    report.update(bytes=geojson.cache_stats()["bytes"],
                  seconds=round(time.monotonic() - started, 2))
    return report


def has_data(paths: list[str]) -> bool:
    """Whether a warm-up's reads went beyond the landing pages (the store had snapshots)."""
    return len(paths) > len(LANDING)


async def follow(app: Any, version: Callable[[], Hashable],
                 paths: Callable[[], list[str]], warmed: Hashable, frozen: bool,
                 budget_s: float = 30.0, check_s: float = CHECK_S,
                 prefill: Prefill | None = None) -> None:
    """Warm `app` again whenever the data version moves away from `warmed` (what the last
    warm-up read), once two looks `check_s` apart agree (an import still writing is not
    waited on twice); forever, until cancelled (the app's shutdown). Each warm-up's report
    replaces `app.state.warm`, with the `data_version` it read and its `round`.

    `version()` is cheap and runs here, on the event loop (api.app.FastPath.version);
    `paths()` reads the store, on a thread. A failure is logged and tried again at the next
    change: warming never takes a worker down."""
    seen, rounds = warmed, 1
    while True:
        await asyncio.sleep(check_s)
        try:
            now = version()
        except Exception as exc:  # a store being replaced, a locked database: look later
            log.warning("data version unreadable: %s", exc)
            continue
        if now == warmed or now != seen:
            seen = now
            continue
        try:
            todo = await asyncio.to_thread(paths)
        except Exception as exc:
            log.warning("warm-up for new data skipped: %s", exc)
            todo = list(LANDING)
        report = await warm(app, todo, budget_s, freeze=not frozen and has_data(todo),
                            prefill=prefill)
        frozen = frozen or has_data(todo)
        rounds += 1
        app.state.warm = {**report, "data_version": list(now), "round": rounds}
        warmed = now
        log.info("warmed again for data version %s in %.2f s", now, report["seconds"])
