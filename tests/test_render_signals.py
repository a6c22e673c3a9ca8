"""Ctrl-C during a render (breaker trial): SIGINT reaches the whole process group, so the
render process got it too, and the render in flight came back to the worker as a
KeyboardInterrupt, answered text/plain 500 with a traceback. Render processes now ignore
SIGINT, as a worker pool's do: the worker's graceful shutdown lets the render in
flight finish (or answers 503 problem+json), never a 500."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.helpers import free_port, wait_until_serving
from tests.test_cli_breaker import _alive, _env, _renders_of


def _ignored(pid: int) -> int:
    """The signal mask `pid` ignores (/proc's SigIgn)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return int(line.split()[1], 16)
    return 0


def _ignores(pid: int, *signums: int) -> bool:
    return all(_ignored(pid) >> (n - 1) & 1 for n in signums)


def test_ctrl_c_during_a_render_is_never_a_500(demo_db, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "frontwatch", "serve", "--db", str(demo_db),
             "--port", str(port), "--workers", "1"], stdout=subprocess.DEVNULL, stderr=err,
            env=_env(FRONTWATCH_WARM="0", FRONTWATCH_SHUTDOWN_GRACE_S="30",
                     FRONTWATCH_RENDER_PROCESSES="1"))
    render: list[int] = []
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(proc, base)
        render = _renders_of(proc.pid, 1)
        for _ in range(1200):  # the render process's initializer runs after its spawn
            if _ignores(render[0], signal.SIGINT):
                break
            time.sleep(0.1)
        assert _ignores(render[0], signal.SIGINT), hex(_ignored(render[0]))
        answers: list[httpx.Response] = []

        def ask() -> None:
            with contextlib.suppress(httpx.HTTPError):
                answers.append(httpx.get(f"{base}/maps/latest.png", timeout=120))

        asked = threading.Thread(target=ask)
        asked.start()
        time.sleep(0.5)  # the request is in flight (a render takes longer on demo data)
        for pid in [proc.pid, *render]:  # what Ctrl-C does: the whole group
            os.kill(pid, signal.SIGINT)
        asked.join(timeout=120)
        proc.wait(timeout=120)
    finally:
        for pid in [proc.pid, *render]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    text = log.read_text()
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    if answers:  # answered within the grace: the render, or a 503 problem+json
        answer = answers[0]
        assert answer.status_code in (200, 503), answer.text[:500]
        if answer.status_code == 503:
            assert answer.headers["content-type"] == "application/problem+json"
