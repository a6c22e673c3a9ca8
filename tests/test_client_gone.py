"""A client that hangs up while its answers are being written (api.wire): a real
`frontwatch serve` and raw sockets. Twenty GETs pipelined on one connection by a client
that stops reading (a tiny receive buffer) and then closes made uvloop refuse the next write
to the closed transport; uvicorn logged `ERROR: Exception in ASGI application` and a
traceback, once per connection, for any anonymous client to repeat. A client gone
mid-response is normal: the server's log stays clean and it answers the next client."""

from __future__ import annotations

import math
import os
import socket
import struct
import time

import httpx
import pytest

from tests.helpers import OCC, deepstate_fc, serving, write
from tests.test_cli_breaker import _cli

DAY = "2025-06-30"
PIPELINED = 20


@pytest.fixture(scope="module")
def big_db(tmp_path_factory):
    """One revision whose GeoJSON is large (a 40,000-vertex ring, ~0.9 MB an answer), so
    that twenty answers fill every buffer between the server and a client not reading."""
    folder = tmp_path_factory.mktemp("gone")
    n = 40_000
    ring = [[37 + 0.5 * math.cos(2 * math.pi * i / n), 48 + 0.5 * math.sin(2 * math.pi * i / n)]
            for i in range(n)]
    ring = [*ring, ring[0]][::-1]
    src = write(folder / "big.geojson", deepstate_fc((OCC, ring)))
    db = folder / "big.sqlite"
    r = _cli("--db", str(db), "import", str(src), "--date", DAY, cwd=folder)
    assert r.returncode == 0, r.stderr
    return db


def _hang_up_mid_answer(port: int, abort: bool) -> None:
    """Pipeline the GETs, take the first bytes of the answer (the server is writing),
    stop reading, then close (a FIN, or a reset when `abort`)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256)
    s.settimeout(120)
    s.connect(("127.0.0.1", port))
    s.sendall(f"GET /v1/snapshots/{DAY} HTTP/1.1\r\nHost: x\r\n\r\n".encode() * PIPELINED)
    assert s.recv(64).startswith(b"HTTP/1.1 200")
    time.sleep(3)  # the server's buffers fill and its writes pause (not a timing assertion)
    if abort:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def test_a_client_gone_mid_answer_leaves_no_error_in_the_log(big_db, tmp_path):
    env = {**os.environ, "FRONTWATCH_WARM": "0"}
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log, serving(["--db", str(big_db), "--workers", "1"], env,
                                             stderr=log) as (_, base):
        port = int(base.rsplit(":", 1)[1])
        first = httpx.get(f"{base}/v1/snapshots/{DAY}", timeout=120)  # cached: the fast path
        assert first.status_code == 200 and len(first.content) > 500_000
        for abort in (False, True, False):
            _hang_up_mid_answer(port, abort)
        # the server still answers, the same document
        again = httpx.get(f"{base}/v1/snapshots/{DAY}", timeout=120)
        assert again.status_code == 200 and again.content == first.content
        assert httpx.get(f"{base}/healthz", timeout=60).status_code == 200
    text = log_path.read_text(errors="replace")
    assert "Traceback" not in text and "ERROR" not in text, text[-3000:]
    assert "Exception in ASGI application" not in text, text[-3000:]
