"""Admission control for CPU-heavy requests (map pages, images, charts, diffs, front lines,
uploads): at most `running` of them compute at once in a worker, at most `waiting` more wait
for a slot — without holding a thread — and any further one is refused at once with 503 and
`Retry-After` instead of timing out. Cheap requests (cached bodies, snapshots, area series)
never wait here, so they stay fast while renders queue.

Routes opt in with `dependencies=[HEAVY]`: the slot is taken before the route's other
dependencies (store, parsing) and given back when the route function returns
(`scope="function"`), before its response is sent.
"""

from __future__ import annotations

import asyncio
import math
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, Request

from api.problems import Problem


class HeavyLimiter:
    """`running` slots and `waiting` queue places for one worker process's event loop(s).

    Counting happens on the event loop thread (no await between test and increment), so it
    needs no lock; the semaphore is per loop because asyncio primitives belong to one."""

    def __init__(self, running: int, waiting: int):
        if running < 1 or waiting < 0:
            raise ValueError("heavy jobs: running ≥ 1 and waiting ≥ 0")
        self.running, self.waiting = running, waiting
        self.admitted = 0  # running + waiting now
        self.refused = 0
        self._seconds = 1.0  # moving average of a job's duration, for Retry-After
        self._sems: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        sem = self._sems.get(loop)
        if sem is None:
            sem = self._sems[loop] = asyncio.Semaphore(self.running)
        return sem

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: the queue ahead, at the average job time."""
        return max(1, min(60, math.ceil(self._seconds * self.admitted / self.running)))

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a running slot for the body; raise a 503 Problem when the queue is full."""
        if self.admitted >= self.running + self.waiting:
            self.refused += 1
            wait = self.retry_after()
            raise Problem(503, f"busy: {self.running} heavy requests are running and "
                          f"{self.waiting} waiting in this worker; retry in {wait} s",
                          headers={"Retry-After": str(wait)})
        self.admitted += 1
        try:
            async with self._semaphore():
                started = time.monotonic()
                try:
                    yield
                finally:
                    took = time.monotonic() - started
                    self._seconds = 0.8 * self._seconds + 0.2 * took
        finally:
            self.admitted -= 1

    def stats(self) -> dict[str, int]:
        return {"running_max": self.running, "waiting_max": self.waiting,
                "admitted": self.admitted, "refused": self.refused}


async def heavy_slot(request: Request) -> AsyncIterator[None]:
    """The dependency: one slot of the app's limiter (app.state.heavy) for this request."""
    async with request.app.state.heavy.slot():
        yield


HEAVY = Depends(heavy_slot, scope="function")
