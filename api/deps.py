"""The dependencies every router shares (FastAPI's "bigger applications" layout): the store, the
settings, the check that refuses query parameters a route does not declare, and the write
token. Routers name them in `APIRouter(dependencies=...)`; errors go through api.problems.

SQLite connections are cheap but opening a store reads its schema (and migrates one that is
behind), so stores are pooled: a request checks one out for its whole duration and returns
it, so no connection is ever used by two threads at once. Reading never creates anything: a
read where no store is yet reads an empty one in memory; only a write (an upload) creates
the store, as `frontwatch import` would."""

from __future__ import annotations

import hmac
import logging
import queue
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.dependencies.utils import field_annotation_is_scalar_sequence
from fastapi.routing import APIRoute

from frontwatch.api.problems import Problem
from frontwatch.errors import InputError, NotFound, echo, echo_many
from frontwatch.settings import Settings
from frontwatch.store import open_store, sqlite_path
from frontwatch.store.base import SqlStore
from frontwatch.store.sqlite import SqliteStore

log = logging.getLogger("frontwatch.api")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class StorePool:
    """Idle store connections for one database URL; grows on demand, bounded when idle."""

    def __init__(self, url: str, max_idle: int = 16):
        self.url = url
        self._idle: queue.LifoQueue[SqlStore] = queue.LifoQueue()
        self.max_idle = max_idle

    @contextmanager
    def store(self, create: bool = False) -> Iterator[SqlStore]:
        """A store for one request; `create` (a write) creates a new store where none is.
        A read never does: where no SQLite store is yet (no file, 0 bytes) it reads an
        empty one in memory, so it answers as the empty store `serve` would have created
        (parameters checked first, then "no snapshots"), and nothing is made on disk."""
        try:
            s = self._idle.get_nowait()
        except queue.Empty:
            s = self._open(create)
        if s is None:
            with SqliteStore(Path(":memory:")) as empty:  # not pooled: the file may come
                yield empty
            return
        try:
            yield s  # errors inside are rolled back by SqlStore.transaction: reusable
        finally:
            if self._idle.qsize() < self.max_idle:
                self._idle.put(s)
            else:
                s.close()

    def _open(self, create: bool) -> SqlStore | None:
        """The store, or None for a read where no SQLite store is yet."""
        try:
            return open_store(self.url, create=create)
        except NotFound as exc:  # its message names the file: the log's business, not HTTP's
            path = sqlite_path(self.url)
            if not create and path is not None and (
                    not path.exists() or (path.is_file() and not path.stat().st_size)):
                log.warning("no store at %s yet: reads see an empty store", path)
                return None
            log.error("no store to serve: %s", exc)
            raise NotFound("this server's database is not a Frontwatch store (see the "
                           "server's log)") from None

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> Iterator[SqlStore]:
    with request.app.state.pool.store(create=request.method not in READ_METHODS) as s:
        yield s



def declared_query(route: APIRoute) -> frozenset[str]:
    """The query parameter names (aliases) a route and its dependencies declare."""
    return _declared(route)[0]


def repeatable_query(route: APIRoute) -> frozenset[str]:
    """The declared names that take a list (`?status=a&status=b`): FastAPI's own rule for
    reading every value of a name rather than the last."""
    return _declared(route)[1]


def _declared(route: APIRoute) -> tuple[frozenset[str], frozenset[str]]:
    key = id(route)
    if key not in _DECLARED:
        names, lists, todo = set(), set(), [route.dependant]
        while todo:  # the route's own parameters and those of every dependency
            d = todo.pop()
            names.update(p.alias for p in d.query_params)
            lists.update(p.alias for p in d.query_params
                         if field_annotation_is_scalar_sequence(p.field_info.annotation))
            todo.extend(d.dependencies)
        _DECLARED[key] = frozenset(names), frozenset(lists)
    return _DECLARED[key]


_DECLARED: dict[int, tuple[frozenset[str], frozenset[str]]] = {}


def no_unknown_query(request: Request) -> None:
    """A query parameter the route does not declare (itself or through its dependencies,
    aliases included) is a 400 naming it: made-up parameters cannot bust the caches (each
    distinct URL would otherwise cost a build or a render), a misspelt one is not silently
    ignored, and an OGC client's filter we do not implement is refused
    (/req/core/query-param-unknown). A single-valued parameter given twice is a 400 too
    (FastAPI would silently keep the last value). Every router but the docs pages' takes it."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(request.query_params) - declared_query(route))
    if unknown:
        known = sorted(declared_query(route))
        raise InputError(f"unknown query parameter(s) {echo_many(unknown)}; "
                         + (f"this route accepts: {', '.join(known)}" if known else
                            "this route takes no query parameters"))
    lists = repeatable_query(route)
    seen: set[str] = set()
    for name, _ in request.query_params.multi_items():
        if name in seen and name not in lists:
            raise InputError(f"query parameter {echo(name)} given twice; it takes one value")
        seen.add(name)


def write_token(request: Request) -> None:
    """Writes need `Authorization: Bearer <FRONTWATCH_API_TOKEN>` (403 when the server has no
    token: writes disabled; 401 otherwise). A router dependency, so it runs before the
    route's own (a refused request takes no heavy slot and reads no body)."""
    token = request.app.state.settings.api_token
    if not token:
        raise Problem(403, "writes are disabled on this server: set FRONTWATCH_API_TOKEN to "
                      "enable uploads")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                             token.encode()):
        raise Problem(401, "header 'Authorization': expected 'Bearer <FRONTWATCH_API_TOKEN>'",
                      headers={"WWW-Authenticate": 'Bearer realm="frontwatch"'})


StoreDep = Annotated[SqlStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
# What routers list in APIRouter(dependencies=...): reads refuse undeclared parameters;
# writes check the token first.
READ: list[Any] = [Depends(no_unknown_query)]
WRITE: list[Any] = [Depends(write_token), Depends(no_unknown_query)]
