"""Settings from one place: environment variables, overridden by command-line flags.

| variable | meaning | default |
|---|---|---|
| FRONTWATCH_DATABASE_URL | store (path, sqlite:///path, postgresql://…) | user data dir |
| FRONTWATCH_SOURCE | default control-data source | the best one the store holds |
| FRONTWATCH_API_TOKEN | bearer token for write endpoints; unset disables writes | unset |
| FRONTWATCH_ASSETS | `local` (served by us) or `cdn` for map and API-docs scripts | local |
| FRONTWATCH_MAX_UPLOAD_MB | largest accepted upload body | 50 |
| FRONTWATCH_MAX_UNCOMPRESSED_MB | largest input once decompressed (upload or import) | 16 |
| FRONTWATCH_MAX_FEATURES | most features in one input | 10000 |
| FRONTWATCH_MAX_VERTICES | most vertices in one input | 100000 |
| FRONTWATCH_DATA_DIR | folder with the bundled data | the package's (repository: data/geo) |
| FRONTWATCH_NODE_MODULES | npm folder for FRONTWATCH_ASSETS=local | the package's copy |
| FRONTWATCH_DEEPSTATE_URL | API root for `frontwatch sync deepstate` | deepstatemap.live |
| FRONTWATCH_DEBUG | tracebacks for internal errors (CLI and API) | unset |
| FRONTWATCH_LOCK_TIMEOUT | seconds a writer waits for the store's write lock (store.base) | 10 |
| FRONTWATCH_HOST | interface `frontwatch serve` listens on | 127.0.0.1 |
| FRONTWATCH_PORT (or PORT) | TCP port of `frontwatch serve` | 8000 |
| FRONTWATCH_WORKERS | `frontwatch serve` worker processes | the CPU cores |
| FRONTWATCH_HEAVY_JOBS | heavy requests (renders, diffs…) run at once, per worker | cores/workers |
| FRONTWATCH_HEAVY_QUEUE | such requests waiting per worker before 503 + Retry-After | 8 |
| FRONTWATCH_HEAVY_WAIT_S | longest wait for a slot before 503 + Retry-After | 10 |
| FRONTWATCH_GEOMETRY_WAIT_S | longest wait of a geometry read (region clip, bbox…) | 2 |
| FRONTWATCH_RENDER_PROCESSES | processes per worker running renders, diffs (0: threads) | 1 |
| FRONTWATCH_RENDER_DEADLINE_S | a render process's answer later than this: 503 + Retry-After | 20 |
| FRONTWATCH_IMPORT_NICE | CPU priority steps `import` and `sync` give up to a server's reads | 10 |
| FRONTWATCH_DATA_THREADS | threads running data requests at once, per worker | 4 |
| FRONTWATCH_WARM | workers read a few requests, prefill geometry texts, freeze the GC | 1 |
| FRONTWATCH_SHUTDOWN_GRACE_S | seconds `serve` waits on SIGTERM before killing busy workers | 10 |
| FRONTWATCH_*_CACHE_MB | byte bound of each in-process cache, per worker (CACHES) | see CACHES |
| FRONTWATCH_WEBHOOK_URL | POSTed the places that changed after each import (webhooks) | unset |
| FRONTWATCH_WEBHOOK_SECRET | HMAC-SHA256 key of X-Frontwatch-Signature | unset |
| FRONTWATCH_WEBHOOK_LOG | JSON-lines log of deliveries | webhooks.jsonl in the user data dir |
| FRONTWATCH_WEBHOOK_TIMEOUT_S | seconds one delivery attempt may take | 10 |
| FRONTWATCH_WEBHOOK_ATTEMPTS | attempts before a delivery is logged as failed | 4 |
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from platformdirs import user_data_dir

from frontwatch.errors import InputError, echo

DEEPSTATE_URL = "https://deepstatemap.live/api"

# cache name → (variable, default MB). Per worker process; /healthz reports them under the
# same name: `name` is bounded by FRONTWATCH_<NAME>_CACHE_MB (one naming; a test checks it).
CACHES = {
    "response": ("FRONTWATCH_RESPONSE_CACHE_MB", 128.0),  # serialized, compressed API bodies
    "render": ("FRONTWATCH_RENDER_CACHE_MB", 64.0),  # map pages, PNG/SVG, charts
    "region": ("FRONTWATCH_REGION_CACHE_MB", 64.0),  # prepared region sets for area stats
    "frontline": ("FRONTWATCH_FRONTLINE_CACHE_MB", 16.0),  # lengths, theatre outline zone
    "gazetteer": ("FRONTWATCH_GAZETTEER_CACHE_MB", 64.0),  # prepared places for status
    "feed": ("FRONTWATCH_FEED_CACHE_MB", 16.0),  # places' distances to a front line
    "geojson": ("FRONTWATCH_GEOJSON_CACHE_MB", 32.0),  # GeoJSON of published geometries
}


def default_database_path() -> Path:
    """The default store: ``frontwatch.sqlite`` in the user data folder.

    Returns
    -------
    pathlib.Path
        e.g. ``~/.local/share/frontwatch/frontwatch.sqlite`` on Linux (platformdirs).
    """
    return Path(user_data_dir("frontwatch", appauthor=False)) / "frontwatch.sqlite"


def cores() -> int:
    """CPU cores this process may run on (the affinity mask, as in a container).

    Returns
    -------
    int
        1 or more.
    """
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def cache_bytes(name: str) -> int:
    """The byte bound of one cache, from its variable or the default.

    Parameters
    ----------
    name : str
        a key of CACHES.

    Returns
    -------
    int
        bytes (the variable is in MB, 2**20 bytes).

    Raises
    ------
    KeyError
        an unknown cache name.
    InputError
        a variable that is not a number from 0 to 1,000,000 MB (one line naming it).
    """
    var, default = CACHES[name]
    return int(_number_env(var, default, zero=True, most=1_000_000) * 2**20)


# no number setting means anything above this (1e308 MB overflowed an int; a 1e13 s deadline
# overflowed the thread timeout)
EVERY_NUMBER_AT_MOST = 1_000_000_000


def _number_env(name: str, default: float, kind: Callable[[str], float] = float,
                zero: bool = False, most: float | None = None) -> float:
    """A number setting: a clear error naming the variable for anything that is not a
    positive number (a negative timeout or a typo must not surface as a traceback), or is
    above `most` (a typo's 100000 workers must not fork a machine to death)."""
    text = os.environ.get(name)
    if not text:
        return default
    most = EVERY_NUMBER_AT_MOST if most is None else most
    value: float | None
    try:
        value = kind(text)
    except ValueError:
        value = None
    if (value is None or not (value >= 0 if zero else value > 0) or value == float("inf")
            or (most is not None and value > most)):
        what = "a whole number" if kind is int else "a number"
        raise InputError(f"{name}={echo(text)}: expected {what} "
                         f"{'of 0 or more' if zero else 'above 0'}"
                         + (f" and at most {most:,.0f}" if most is not None else ""))
    return value


def _flag_env(name: str, default: bool) -> bool:
    """A yes/no setting: 1/true/yes/on or 0/false/no/off (any case); anything else is a
    clear error naming the variable."""
    text = (os.environ.get(name) or "").strip().lower()
    if not text:
        return default
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise InputError(f"{name}={echo(text)} should be 1 or 0 (true/false, yes/no, on/off)")


def _int_env(name: str, default: int, zero: bool = False, most: int | None = None) -> int:
    return int(_number_env(name, default, int, zero, most))  # int already: int() tells mypy


def _cores_per_worker(workers: int) -> int:
    """The default heavy-job cap of a worker: the cores shared out between `workers`."""
    return max(1, cores() // workers)


def max_workers() -> int:
    """The most worker processes `serve` starts: 4 per core (each holds its caches and a
    render process; more only thrash), so a typo cannot fork a machine to death."""
    return 4 * cores()


def _choice_env(name: str, choices: tuple[str, ...]) -> str:
    """A setting with a few values (the first is the default): a typo is an error at start,
    not pages that fail for every reader later."""
    text = os.environ.get(name) or choices[0]
    if text not in choices:
        raise InputError(f"{name}={echo(text)}: expected one of {', '.join(choices)}")
    return text


def debug_enabled() -> bool:
    """FRONTWATCH_DEBUG, readable even when another setting is malformed.

    Returns
    -------
    bool
        False when unset, empty, ``0``, ``false`` or ``no``.
    """
    return os.environ.get("FRONTWATCH_DEBUG", "").lower() not in ("", "0", "false", "no")


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting, read from its environment variable (the table above) when constructed.

    Raises
    ------
    InputError
        a number setting that is not a positive number, naming the variable.
    """

    database_url: str = field(default_factory=lambda: os.environ.get(
        "FRONTWATCH_DATABASE_URL") or str(default_database_path()))
    source: str | None = field(default_factory=lambda: os.environ.get("FRONTWATCH_SOURCE"))
    api_token: str | None = field(default_factory=lambda: os.environ.get(
        "FRONTWATCH_API_TOKEN") or None)
    assets: str = field(default_factory=lambda: _choice_env("FRONTWATCH_ASSETS",
                                                            ("local", "cdn")))
    max_upload_mb: float = field(default_factory=lambda: _number_env(
        "FRONTWATCH_MAX_UPLOAD_MB", 50))
    max_uncompressed_mb: float = field(default_factory=lambda: _number_env(
        "FRONTWATCH_MAX_UNCOMPRESSED_MB", 16))
    max_features: int = field(default_factory=lambda: _int_env("FRONTWATCH_MAX_FEATURES",
                                                               10_000))
    max_vertices: int = field(default_factory=lambda: _int_env("FRONTWATCH_MAX_VERTICES",
                                                               100_000))
    data_dir: str | None = field(default_factory=lambda: os.environ.get(
        "FRONTWATCH_DATA_DIR") or None)  # None: the bundled package data (paths.data_dir)
    node_modules: str | None = field(default_factory=lambda: os.environ.get(
        "FRONTWATCH_NODE_MODULES") or None)  # None: the package's copy (render.assets)
    deepstate_url: str = field(default_factory=lambda: os.environ.get(
        "FRONTWATCH_DEEPSTATE_URL") or DEEPSTATE_URL)
    debug: bool = field(default_factory=debug_enabled)
    lock_timeout: float = field(default_factory=lambda: _number_env(
        "FRONTWATCH_LOCK_TIMEOUT", 10, zero=True, most=3600))  # seconds (store.base)
    host: str = field(default_factory=lambda: os.environ.get("FRONTWATCH_HOST") or "127.0.0.1")
    port: int = field(default_factory=lambda: _int_env(
        # PORT: what PaaS platforms set
        "FRONTWATCH_PORT", _int_env("PORT", 8000, most=65535), most=65535))
    workers: int = field(default_factory=lambda: _int_env("FRONTWATCH_WORKERS", cores(),
                                                          most=max_workers()))
    heavy_jobs: int = field(default_factory=lambda: _int_env(
        "FRONTWATCH_HEAVY_JOBS", _cores_per_worker(_int_env(
            "FRONTWATCH_WORKERS", cores(), most=max_workers())), most=256))
    heavy_queue: int = field(default_factory=lambda: _int_env(
        "FRONTWATCH_HEAVY_QUEUE", 8, zero=True))
    heavy_wait_s: float = field(default_factory=lambda: _number_env(
        "FRONTWATCH_HEAVY_WAIT_S", 10))
    # geometry reads are data requests: a short wait keeps their latency bounded (issue 9's
    # p99 ≤ 2 s target) — a client told to retry beats one kept waiting behind others
    geometry_wait_s: float = field(default_factory=lambda: _number_env(
        "FRONTWATCH_GEOMETRY_WAIT_S", 2))
    # imports and syncs are batch work: at nice +10 the reads of a server on the same machine
    # get the cores first (frontwatch.priority); 0 keeps the shell's priority
    import_nice: int = field(default_factory=lambda: _int_env(
        "FRONTWATCH_IMPORT_NICE", 10, zero=True, most=19))
    # data requests running at once per worker (more wait their turn, holding no thread):
    # threads of one worker share one interpreter lock, so more of them only share it thinner
    data_threads: int = field(default_factory=lambda: _int_env(
        "FRONTWATCH_DATA_THREADS", 4, most=256))
    # each worker reads a few representative requests before it takes traffic, then freezes
    # the garbage collector's long-lived objects (api.warm): cold first requests and the first
    # full collections made most of the load benchmark's slow data requests
    warm: bool = field(default_factory=lambda: _flag_env("FRONTWATCH_WARM", True))
    # on SIGTERM/SIGINT, `serve` lets requests in flight finish for this long, then kills the
    # workers (and their render processes) still running: one stuck in a native call (GDAL)
    # never notices a signal, and a supervisor (systemd, Docker) must not wait forever
    shutdown_grace_s: float = field(default_factory=lambda: _number_env(
        "FRONTWATCH_SHUTDOWN_GRACE_S", 10, zero=True, most=3600))
    # a request's head (request line and headers) must be complete this long after its first
    # byte (or the connection's start), else 408 and close: a slow head (slowloris) holds a
    # connection, a file descriptor, for no longer (api.wire)
    head_timeout_s: float = field(default_factory=lambda: _number_env(
        "FRONTWATCH_HEAD_TIMEOUT_S", 10, most=3600))
    # open connections one worker keeps; one more is answered 503 and closed at once (api.wire)
    max_connections: int = field(default_factory=lambda: _int_env(
        "FRONTWATCH_MAX_CONNECTIONS", 1000, most=100_000))
    # renders and diffs run in child processes: off the worker's GIL (api.heavy.offload)
    render_processes: int = field(default_factory=lambda: _int_env(
        "FRONTWATCH_RENDER_PROCESSES", 1, zero=True, most=max_workers()))
    # a render not done by then is answered 503 + Retry-After, not left to a client's timeout
    # (30 s is common); a job whose time ran out while it waited is never started
    render_deadline_s: float = field(default_factory=lambda: _number_env(
        "FRONTWATCH_RENDER_DEADLINE_S", 20))
    webhook_url: str | None = field(default_factory=lambda: os.environ.get(
        "FRONTWATCH_WEBHOOK_URL") or None)
    webhook_secret: str | None = field(repr=False, default_factory=lambda: os.environ.get(
        "FRONTWATCH_WEBHOOK_SECRET") or None)
    webhook_log: str = field(default_factory=lambda: os.environ.get(
        "FRONTWATCH_WEBHOOK_LOG") or str(default_database_path().with_name("webhooks.jsonl")))
    webhook_timeout_s: float = field(default_factory=lambda: _number_env(
        "FRONTWATCH_WEBHOOK_TIMEOUT_S", 10))
    webhook_attempts: int = field(default_factory=lambda: _int_env(
        "FRONTWATCH_WEBHOOK_ATTEMPTS", 4))
    # (cache name, MB) pairs: a tuple keeps Settings hashable
    cache_mb: tuple[tuple[str, float], ...] = field(default_factory=lambda: tuple(
        (name, cache_bytes(name) / 2**20) for name in CACHES))

    def serving(self, workers: int | None = None, host: str | None = None,
                port: int | None = None) -> Settings:
        """These settings for `serve` with its command-line values in place: the heavy-job
        cap shares the cores out between `workers` unless FRONTWATCH_HEAVY_JOBS sets it.

        Parameters
        ----------
        workers : int, optional
            worker processes (None: FRONTWATCH_WORKERS).
        host : str, optional
        port : int, optional

        Returns
        -------
        Settings
            a copy; these settings are unchanged.
        """
        workers = workers or self.workers
        heavy = (self.heavy_jobs if os.environ.get("FRONTWATCH_HEAVY_JOBS")
                 else _cores_per_worker(workers))
        return replace(self, workers=workers, heavy_jobs=heavy, host=host or self.host,
                       port=port or self.port)

    def cache_bounds(self) -> dict[str, int]:
        """Cache name → byte bound.

        Returns
        -------
        dict of str to int
            bytes, for each of CACHES.
        """
        return {name: int(mb * 2**20) for name, mb in self.cache_mb}

    @property
    def is_default_database(self) -> bool:
        """Whether the store is the default one (:func:`default_database_path`)."""
        return self.database_url == str(default_database_path())
