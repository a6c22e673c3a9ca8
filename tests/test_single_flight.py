"""Identical heavy requests share one job (api.heavy.SingleFlight): in-process, ordered by
events (never by timers), then over the wire with a real `frontwatch serve` counting its
renders on /healthz."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
from pathlib import Path

import anyio
import httpx
import pytest
from fastapi import Request

from frontwatch.api.app import create_app
from frontwatch.api.heavy import HEAVY
from frontwatch.errors import NotFound
from frontwatch.settings import Settings
from tests.helpers import serving, until


class Job:
    """A heavy route that counts its runs and blocks until released."""

    def __init__(self, app, path: str, fail: bool = False):
        self.runs, self.started, self.release = 0, threading.Event(), threading.Event()

        @app.get(path, dependencies=[HEAVY])
        def job(request: Request, n: int = 0) -> dict[str, int]:
            self.runs += 1
            self.started.set()
            self.release.wait(timeout=30)
            if fail:
                raise NotFound(f"nothing for n={n}")
            return {"n": n, "run": self.runs}


def _app(store_path: Path, **overrides):
    return create_app(dataclasses.replace(
        Settings(database_url=str(store_path), render_processes=0, warm=False), **overrides))


def test_identical_requests_share_one_job_and_its_answer(store):
    app = _app(store.path)
    ok, bad = Job(app, "/test/job"), Job(app, "/test/bad", fail=True)
    flights = app.state.flights

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t") as http:
            same = [asyncio.create_task(http.get("/test/job?n=1")) for _ in range(6)]
            other = asyncio.create_task(http.get("/test/job?n=2"))  # another URL: its own
            head = asyncio.create_task(http.head("/test/job?n=1"))  # HEAD joins the GETs
            await until(lambda: flights.followers == 6, "six requests joined")
            assert len(flights) == 2 and flights.leaders == 2
            ok.release.set()
            answers = await asyncio.gather(*same)
            assert {r.status_code for r in answers} == {200}
            assert len({r.content for r in answers}) == 1 and answers[0].json()["n"] == 1
            assert (await other).json()["n"] == 2
            h = await head
            assert h.status_code == 200 and h.content == b""
            assert h.headers["content-length"] == answers[0].headers["content-length"]
            assert ok.runs == 2

            # an error is everyone's: the same problem+json for each requester
            failing = [asyncio.create_task(http.get("/test/bad?n=7")) for _ in range(5)]
            await until(lambda: flights.followers == 10, "five more joined")
            bad.release.set()
            errors = await asyncio.gather(*failing)
            assert {r.status_code for r in errors} == {404} and bad.runs == 1
            assert {r.headers["content-type"] for r in errors} == {"application/problem+json"}
            assert len({r.content for r in errors}) == 1
            assert "nothing for n=7" in errors[0].json()["detail"]

            health = (await http.get("/healthz")).json()["flights"]
            assert health["in_flight"] == 0 and health["leaders"] == 3
        assert app.state.heavy.admitted == 0

    anyio.run(scenario)


def test_a_leader_that_leaves_does_not_cancel_the_job(store):
    app = _app(store.path)
    job = Job(app, "/test/job")

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t") as http:
            leader = asyncio.create_task(http.get("/test/job?n=3"))
            await anyio.to_thread.run_sync(job.started.wait, 30)
            follower = asyncio.create_task(http.get("/test/job?n=3"))
            await until(lambda: app.state.flights.followers == 1, "the follower joined")
            leader.cancel()  # the first client disconnects
            with pytest.raises(asyncio.CancelledError):
                await leader
            job.release.set()
            answer = await follower
            assert answer.status_code == 200 and answer.json() == {"n": 3, "run": 1}
            await until(lambda: not app.state.flights, "the job left the table")

    anyio.run(scenario)


def test_waiting_is_bounded_and_the_table_too(store):
    app = _app(store.path, heavy_jobs=1, heavy_queue=0)  # two flights at most
    job = Job(app, "/test/job")
    flights = app.state.flights
    assert flights.max_flights == 2
    flights.wait_s = 0.05  # a job slower than its requesters' patience

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t") as http:
            late = await http.get("/test/job?n=1")  # the job runs on; its requester is told
            assert late.status_code == 503 and int(late.headers["retry-after"]) >= 1
            assert late.headers["content-type"] == "application/problem+json"
            assert "computing for over 0.05 s" in late.json()["detail"]
            flights.wait_s = 60
            second = asyncio.create_task(http.get("/test/job?n=2"))  # refused by the limiter
            assert (await second).status_code == 503
            # a full table: requests run on their own (the limiter still bounds them)
            flights.max_flights = 1
            third = await http.get("/test/job?n=3")
            assert third.status_code == 503 and flights.stats()["unmerged"] == 1
            job.release.set()
            await until(lambda: not flights, "the slow job ended and left the table")
            assert flights.stats()["gave_up"] == 1 and job.runs == 1

    anyio.run(scenario)


# --- over the wire --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(real_db):
    # one worker (one table of flights); a render process's first render on a loaded
    # machine can take longer than the default deadline: what is counted is not the time
    env = {**os.environ, "FRONTWATCH_SOURCE": "deepstate", "FRONTWATCH_WORKERS": "1",
           "FRONTWATCH_WARM": "0", "FRONTWATCH_RENDER_DEADLINE_S": "600"}
    with serving(["--db", str(real_db)], env) as (_, base):
        yield base


async def _together(base: str, url: str, n: int) -> tuple[dict, list[httpx.Response], dict]:
    """`n` clients on `n` open connections asking `url` at once; /healthz before and after."""
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as http:
        await asyncio.gather(*(http.get("/v1/sources") for _ in range(n)))  # connect all
        before = (await http.get("/healthz")).json()
        answers = await asyncio.gather(*(http.get(url) for _ in range(n)))
        after = (await http.get("/healthz")).json()
    return before, answers, after


def _renders(before: dict, after: dict) -> int:
    return after["render_processes"]["jobs"] - before["render_processes"]["jobs"]


def test_twenty_clients_asking_for_the_same_new_map_cost_one_render(server):
    before, answers, after = anyio.run(_together, server, "/maps/2025-06-02.png", 20)
    assert [r.status_code for r in answers] == [200] * 20
    assert len({r.content for r in answers}) == 1 and answers[0].content[:4] == b"\x89PNG"
    assert _renders(before, after) == 1
    assert after["flights"]["leaders"] - before["flights"]["leaders"] == 1
    assert after["flights"]["followers"] - before["flights"]["followers"] == 19
    assert after["flights"]["in_flight"] == 0 and after["heavy"]["refused"] == 0


def test_twenty_clients_asking_for_a_failing_map_get_the_same_problem(server):
    before, answers, after = anyio.run(_together, server,
                                       "/maps/2025-06-02.png?region=Atlantis", 20)
    assert [r.status_code for r in answers] == [404] * 20
    assert {r.headers["content-type"] for r in answers} == {"application/problem+json"}
    assert len({r.content for r in answers}) == 1
    assert "unknown region" in answers[0].json()["detail"]
    # a lookup that fails fails fast: requests arriving after it ended start a job of their
    # own (that one job is shared by all is shown in-process, with a job held open)
    leaders = after["flights"]["leaders"] - before["flights"]["leaders"]
    followers = after["flights"]["followers"] - before["flights"]["followers"]
    assert _renders(before, after) == leaders and leaders + followers == 20
    assert after["flights"]["in_flight"] == 0
