"""Heavy work (map renders, charts, diffs) run in a separate process.

A web worker's threads share one GIL: a render computing on one of them slows every other
request of that worker, whatever its OS priority. So the web layer hands such work to a child
process through :func:`run`: `run(url, func, *args)` calls `func(store, *args)` on this
process's store for `url` (opened once). `func` is a module-level domain function (pickled
by name), its arguments and result plain values (dates, the parsed query dataclasses, bytes,
str), and its errors are :class:`~frontwatch.errors.FrontwatchError` subclasses, which pickle
with their message and attributes — a NotFound raised here is a 404 in the web process.

Nothing here knows about HTTP; :func:`start` is the child's initializer.
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from frontwatch import memo, priority
from frontwatch.store import open_store
from frontwatch.store.base import SqlStore

T = TypeVar("T")
# imported at start so that a child's first job does not pay for them (seconds on a busy core)
WARM = ("frontwatch.render", "frontwatch.render.static", "frontwatch.render.webmap",
        "frontwatch.render.timelapse", "frontwatch.render.chart", "frontwatch.analytics")

_stores: dict[str, SqlStore] = {}
_lock = threading.Lock()


def start(cache_bounds: dict[str, int], nice: int) -> None:
    """Initialize a child: lower its OS priority by `nice` (so the web workers' cheap reads
    get the cores first), bound its caches like the parent's, import the renderers.

    SIGINT is ignored, as by a worker pool's processes: Ctrl-C reaches the whole process
    group and cut the render in flight (a KeyboardInterrupt sent back to the worker,
    answered 500) instead of letting the worker's graceful shutdown finish it. SIGTERM is
    not: the pool ends a child still starting with it at shutdown (ignored, the stop waited
    for the watchdog's kill)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    priority.lower(nice)  # not allowed: it keeps its priority
    for module in WARM:
        importlib.import_module(module)
    memo.configure(cache_bounds)
    gc.collect()
    gc.freeze()  # the imports' objects: not walked by every full collection (api.warm)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True,
                         name="frontwatch-parent-watch").start()


def _exit_with(parent_sentinel: int) -> None:
    """Exit as soon as the parent (the web worker) is gone, however it ended: a worker
    leaves through os._exit, which tells no process pool to stop, and a killed one cannot."""
    multiprocessing.connection.wait([parent_sentinel])
    os._exit(0)


def store_for(url: str) -> SqlStore:
    """This process's store for `url`, opened on first use and kept (a read connection)."""
    with _lock:
        store = _stores.get(url)
        if store is None:
            store = _stores[url] = open_store(url, create=False)  # reads only
        return store


class Expired(Exception):
    """A job whose deadline passed before it started: the web process has answered its
    request already (503), so computing it would only delay the jobs behind it."""


def run(url: str, deadline: float | None, func: Callable[..., T], *args: Any) -> T:
    """`func(store, *args)` on the store at `url`, unless `deadline` (a `time.time()`
    instant, or None for none) has passed: then :class:`Expired`. Jobs run one at a time
    per process, so the one connection is never shared between threads."""
    if deadline is not None and time.time() > deadline:
        raise Expired
    return func(store_for(url), *args)

