"""`frontwatch serve`: the HTTP API and map server."""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Annotated

import typer

from frontwatch.cli.common import err, warn
from frontwatch.cli.context import Cli
from frontwatch.errors import PortUnavailable, redact_secrets
from frontwatch.settings import Settings, max_workers

WORKER_HEALTHCHECK_S = 60  # seconds a worker may take to answer uvicorn's supervisor


def serve_cmd(
    cli: Cli,
    host: Annotated[str | None, typer.Option(
        help="Interface to listen on \\[env FRONTWATCH_HOST; default: 127.0.0.1].")] = None,
    port: Annotated[int | None, typer.Option(
        min=1, max=65535, help="TCP port \\[env FRONTWATCH_PORT or PORT; default: 8000].")
    ] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, max=max_workers(), help="Worker processes \\[env FRONTWATCH_WORKERS; default: "
        "one per CPU core; at most 4 per core].")
    ] = None,
) -> None:
    """Run the HTTP API and map server.

    Each worker is a process with its own caches and its own cap on heavy requests
    (renders, diffs, front lines, uploads: FRONTWATCH_HEAVY_JOBS running, by default the
    cores shared out between the workers, and FRONTWATCH_HEAVY_QUEUE waiting; more get 503
    with Retry-After)."""
    from frontwatch import staging
    from frontwatch.render.assets import startup_warning

    settings = cli.settings.serving(workers, host, port)
    staging.remove_stale()  # uploads' private folders left by a killed server
    # create (in an existing folder), migrate and bootstrap once before workers start
    cli.store(create=True, new_folder=False)
    cli.close()
    warn(startup_warning(settings.assets))  # a fresh clone without `npm ci`: maps say so
    check_port(settings.host, settings.port)
    warming = "; each warms up (a few seconds) before it answers" if settings.warm else ""
    err.print(f"serving {redact_secrets(settings.database_url)} on "
              f"http://{settings.host}:{settings.port} with "
              f"{settings.workers} worker{'s' if settings.workers > 1 else ''}{warming}",
              highlight=False)
    run_server(settings)


def check_port(host: str, port: int) -> None:
    """Raise PortUnavailable, one line naming the address and why, when `host:port` cannot
    be listened on (bound and released at once, with the address reuse uvicorn uses), rather
    than uvicorn's log line after the start banner and exit 3."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        raise PortUnavailable(f"cannot listen on {host}:{port}: "
                              f"{(exc.strerror or str(exc)).lower()}") from exc


def run_server(settings: Settings) -> None:
    """Serve `create_app(settings)` with uvicorn, in `settings.workers` processes.

    The settings travel to the worker processes with the app factory (pickled by uvicorn's
    process supervisor; api.factory says why it is a small object), not through this
    process's environment: what `serve` was given is what every worker runs with.

    Shutdown is bounded (SIGTERM or SIGINT): requests in flight get
    FRONTWATCH_SHUTDOWN_GRACE_S (uvicorn's graceful shutdown), then a worker still running
    KILL_MARGIN_S later (one stuck in a native call never sees the signal) is killed with
    its render processes."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from frontwatch.api.factory import AppFactory
    from frontwatch.api.wire import BoundedHttpTools  # limits on a request's head

    # a worker answers the supervisor's health pings once it has unpickled the factory: a
    # small object (api.factory), so it answers while it imports the app; 60 s rather than
    # uvicorn's 5 s keeps a worker starved of CPU on a busy machine from being killed and
    # restarted forever
    patient = ({"timeout_worker_healthcheck": WORKER_HEALTHCHECK_S}
               if "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config).parameters
               else {})
    config = uvicorn.Config(AppFactory(settings), factory=True, host=settings.host,
                            port=settings.port, workers=settings.workers, log_level="warning",
                            http=functools.partial(  # type: ignore[arg-type]
                                BoundedHttpTools, head_timeout_s=settings.head_timeout_s,
                                max_connections=settings.max_connections),
                            timeout_graceful_shutdown=settings.shutdown_grace_s, **patient)
    server = _bounded(uvicorn.Server)(config)
    server.grace_s = settings.shutdown_grace_s
    try:
        if settings.workers > 1:
            # uvicorn < 0.46 takes the target; later versions make it themselves
            target = ({"target": server.run}
                      if "target" in inspect.signature(Multiprocess).parameters else {})
            supervisor = _bounded(Multiprocess)(config, sockets=[config.bind_socket()],
                                                **target)
            supervisor.grace_s = settings.shutdown_grace_s
            supervisor.run()
        else:
            server.run()
    except KeyboardInterrupt:
        return
    if settings.workers == 1 and not server.started:
        raise SystemExit(3)  # uvicorn logged why (a port in use, say), as uvicorn.run does


KILL_MARGIN_S = 3.0  # after the grace: a worker's own shutdown (lifespan, pools) may take this
PING_SLICE_S = 0.25  # the supervisor's health ping of a worker waits in slices this long


def _bounded(base: type) -> type:
    """uvicorn's Server (one worker: a watchdog armed by the first SIGTERM/SIGINT) or
    Multiprocess supervisor (several: joining the workers has a deadline) whose shutdown
    ends `grace_s` + KILL_MARGIN_S after the signal, killing what still runs."""

    class Bounded(base):  # type: ignore[valid-type, misc]
        grace_s: float = 10.0
        _armed = False

        def handle_exit(self, sig: int, frame: object) -> None:  # uvicorn.Server's
            if not self._armed:
                self._armed = True
                threading.Thread(target=_watchdog, args=(self.grace_s + KILL_MARGIN_S,),
                                 daemon=True, name="shutdown-watchdog").start()
            super().handle_exit(sig, frame)

        def keep_subprocess_alive(self) -> None:  # Multiprocess's, every 0.5 s
            """uvicorn's health check, but a stop comes first. uvicorn waits up to
            WORKER_HEALTHCHECK_S for each worker's answer while a SIGTERM that came meanwhile
            waits in its queue: a stop asked while a hung worker was being pinged took a
            minute, and the hung worker was killed without its render processes and replaced
            first. Here the wait is cut in slices that end on a stop (join_all then deals
            with the hung worker); a worker silent for WORKER_HEALTHCHECK_S is killed with
            its descendants, and uvicorn replaces it."""
            if self._stop_asked():
                return  # shutdown (join_all) deals with every worker
            replace = False
            for process in self.processes:
                deadline = time.monotonic() + getattr(self.config, "timeout_worker_healthcheck", 5)
                while not process.is_alive(timeout=PING_SLICE_S):
                    if self._stop_asked():
                        return
                    if not process.process.is_alive() or time.monotonic() > deadline:
                        if process.pid is not None:
                            kill_tree(process.pid)
                        process.process.join(KILL_MARGIN_S)
                        replace = True
                        break
            if replace and not self._stop_asked():
                super().keep_subprocess_alive()  # replaces the dead (the others answer at once)

        def _stop_asked(self) -> bool:
            """A stop is asked: a SIGINT/SIGTERM waits in the queue, or one was handled
            already (uvicorn's run loop handles the queue just before it calls the health
            check: pinging the hung worker then took the whole health-check time, and the
            worker was killed silently, without the "killed" line)."""
            return self.should_exit.is_set() or any(
                sig in (signal.SIGINT, signal.SIGTERM) for sig in self.signal_queue)

        def join_all(self) -> None:  # Multiprocess's, after it sent every worker SIGTERM
            deadline = time.monotonic() + self.grace_s + KILL_MARGIN_S
            for worker in self.processes:
                worker.process.join(max(0.0, deadline - time.monotonic()))
            for worker in self.processes:
                if worker.process.exitcode is None and worker.pid is not None:
                    _say_killed(worker.pid, self.grace_s + KILL_MARGIN_S)
                    kill_tree(worker.pid)
                    worker.process.join()

    Bounded.__name__ = Bounded.__qualname__ = f"Bounded{base.__name__}"
    return Bounded


def _watchdog(after_s: float) -> None:
    """One worker's last resort: still running `after_s` after the signal (a request stuck
    in a native call keeps the interpreter from exiting), kill its children and exit."""
    time.sleep(after_s)
    _say_killed(os.getpid(), after_s)
    for child in descendants(os.getpid()):
        _kill(child)
    os._exit(1)


def _say_killed(pid: int, after_s: float) -> None:
    err.print(f"worker {pid} still running {after_s:g} s after the signal "
              "(FRONTWATCH_SHUTDOWN_GRACE_S + 3 s): killed", style="yellow", highlight=False)


def descendants(pid: int) -> list[int]:
    """The process ids of `pid`'s children, grandchildren…, from /proc (every thread's
    children: a process pool starts its processes from a thread); [] where /proc lacks it."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL `pid` and its descendants (found first: a killed parent's children move)."""
    for victim in [pid, *descendants(pid)]:
        _kill(victim)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)
