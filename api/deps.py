"""The store and settings as FastAPI dependencies.

SQLite connections are cheap but opening a store runs its migration check (a write
transaction), so stores are pooled: a request checks one out for its whole duration and
returns it, so no connection is ever used by two threads at once."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request

from frontwatch.settings import Settings
from frontwatch.store import open_store
from frontwatch.store.base import SqlStore


class StorePool:
    """Idle store connections for one database URL; grows on demand, bounded when idle."""

    def __init__(self, url: str, max_idle: int = 16):
        self.url = url
        self._idle: queue.LifoQueue[SqlStore] = queue.LifoQueue()
        self.max_idle = max_idle

    @contextmanager
    def store(self) -> Iterator[SqlStore]:
        try:
            s = self._idle.get_nowait()
        except queue.Empty:
            s = open_store(self.url)
        try:
            yield s  # errors inside are rolled back by SqlStore.transaction: reusable
        finally:
            if self._idle.qsize() < self.max_idle:
                self._idle.put(s)
            else:
                s.close()

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> Iterator[SqlStore]:
    with request.app.state.pool.store() as s:
        yield s


StoreDep = Annotated[SqlStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
