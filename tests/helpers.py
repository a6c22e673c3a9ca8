"""Small builders for synthetic inputs (written by the tests themselves, never real data)."""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

# A small square near Bakhmut, lon/lat.
SQUARE = [[38.0, 48.6], [38.1, 48.6], [38.1, 48.7], [38.0, 48.7], [38.0, 48.6]]


def square(dx: float = 0.0, dy: float = 0.0, z: bool = False) -> list:
    return [[x + dx, y + dy, 0.0] if z else [x + dx, y + dy] for x, y in SQUARE]


def deepstate_fc(*zones: tuple[str, list]) -> dict:
    """A FeatureCollection in DeepStateMap's format: (name, ring) pairs."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name},
         "geometry": {"type": "Polygon", "coordinates": [ring]}} for name, ring in zones]}


OCC = "Окуповано /// Occupied /// geoJSON.status.occupied"
GREY = "Статус невідомий /// Unknown status /// geoJSON.status.unknown"
LIB = "Звільнено /// Liberated /// geoJSON.status.dismissed"


def write(path: Path, doc: object, gz: bool = False) -> Path:
    data = orjson.dumps(doc) if not isinstance(doc, bytes | str) else (
        doc.encode() if isinstance(doc, str) else doc)
    if gz:
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def dumps(doc: object) -> str:
    return json.dumps(doc)


def free_port() -> int:
    """A loopback TCP port free at this moment (the OS picks it; closed again at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_serving(proc: subprocess.Popen, base: str, within_s: float = 180) -> None:
    """Poll `base`/healthz until the server process answers 200 (bounded; raises with its
    stderr when it exits or does not answer in time — stopped first, since reading the
    stderr of a live process would wait for ever). A start takes seconds, but over a
    minute on a loaded 2-core machine."""
    import httpx

    deadline = time.monotonic() + within_s
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            _, err = proc.communicate(timeout=30)
            raise RuntimeError(f"server did not start: {(err or b'').decode()}")
        time.sleep(0.2)


@contextlib.contextmanager
def serving(args: list[str], env: dict[str, str], *, stderr: Any = subprocess.PIPE,
            launch: list[str] | None = None) -> Iterator[tuple[subprocess.Popen, str]]:
    """A real `frontwatch serve ARGS` on a free loopback port for the `with` block:
    (process, base URL) once /healthz answers; stopped (SIGTERM, bounded wait) after.
    `launch` replaces `python -m frontwatch` (e.g. `python -c CODE` that patches a module
    first)."""
    port = free_port()
    command = launch or [sys.executable, "-m", "frontwatch"]
    proc = subprocess.Popen([*command, "serve", *args, "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(proc, base)
        yield proc, base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def until(predicate: Callable[[], bool], what: str) -> None:
    """Yield to the event loop until `predicate()` holds (bounded by steps, not timed)."""
    import asyncio

    for _ in range(100_000):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError(f"never happened: {what}")


def cli_in_process(args: list[str], monkeypatch, capsys) -> subprocess.CompletedProcess:
    """`frontwatch ARGS` run in this process through its real entry point (faster than a
    subprocess): the exit code, stdout and stderr as a CompletedProcess."""
    import sys

    from frontwatch.cli import main

    monkeypatch.setattr(sys, "argv", ["frontwatch", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, captured.out, captured.err)
