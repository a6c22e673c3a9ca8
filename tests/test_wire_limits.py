"""A request's head over the wire (api.wire): a real `frontwatch serve` and a raw socket. A
request line or headers over the documented limits were uvicorn's `text/plain` 400 — after
reading a 50 MB line whole — or, for headers, no limit at all (a 20 MB header was answered
200). Now: 414/431/400 problem+json with Connection: close, read by the client before the
server closes, and the server answers the next client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import httpx
import orjson
import pytest

from frontwatch.api.wire import MAX_HEADER_BYTES, MAX_HEADER_FIELDS, MAX_TARGET_BYTES
from tests.helpers import free_port, wait_until_serving


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    db = tmp_path_factory.mktemp("wire") / "empty.sqlite"
    env = {**os.environ, "FRONTWATCH_WARM": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "frontwatch", "serve", "--db", str(db),
                             "--port", str(port), "--workers", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_serving(proc, f"http://127.0.0.1:{port}")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _raw(port: int, head: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send `head`, read the answer until the server closes: (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(head)
        data = b""
        while chunk := s.recv(1 << 16):
            data += chunk
    top, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = top.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines)}
    return int(status_line.split()[1]), headers, body


def _problem(answer, status: int, pattern: str) -> dict:
    code, headers, body = answer
    assert code == status, body[:300]
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    doc = orjson.loads(body)
    assert doc["status"] == status and pattern in doc["detail"], doc
    assert doc["type"] == "urn:frontwatch:error:" + doc["code"]
    return doc


@pytest.mark.parametrize(("head", "status", "pattern"), [
    (b"GET /v1/sources?q=" + b"a" * (MAX_TARGET_BYTES + 1) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
     414, f"longer than {MAX_TARGET_BYTES:,} bytes"),
    (b"GET /v1/sources?q=" + b"a" * (4 << 20) + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414,
     "request target"),
    (b"GET /v1/sources HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * MAX_HEADER_BYTES + b"\r\n\r\n",
     431, f"larger than {MAX_HEADER_BYTES:,} bytes"),
    (b"GET /v1/sources HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (4 << 20) + b"\r\n\r\n", 431,
     "request head: larger than"),
    (b"GET /v1/sources HTTP/1.1\r\nHost: x\r\n"
     + b"".join(b"X-%d: y\r\n" % i for i in range(MAX_HEADER_FIELDS)) + b"\r\n", 431,
     f"more than {MAX_HEADER_FIELDS} header fields"),
    (b"GET /v1/sources HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400,
     "invalid HTTP request"),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(64), 400, "invalid HTTP request"),
], ids=["target-over-limit", "target-4mb", "header-over-limit", "header-4mb",
        "too-many-fields", "malformed-header", "tls-hello"])
def test_a_head_over_the_limits_is_a_problem(server, head, status, pattern):
    doc = _problem(_raw(server, head), status, pattern)
    assert doc["code"] == ("input-invalid" if status == 400 else "limit-exceeded")
    ok = httpx.get(f"http://127.0.0.1:{server}/healthz", timeout=30)
    assert ok.status_code == 200  # the server answers the next client


def test_heads_within_the_limits_reach_the_application(server):
    """Just under the limits the request is the application's: here a 400 naming the
    unknown query parameter, not the server layer's refusal."""
    target = b"/v1/sources?q=" + b"a" * (MAX_TARGET_BYTES - 100)
    code, headers, body = _raw(server, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n"
                               b"X-Big: " + b"a" * (MAX_HEADER_BYTES - 200) + b"\r\n"
                               b"Connection: close\r\n\r\n")
    assert code == 400 and "unknown query parameter(s) 'q'" in orjson.loads(body)["detail"]
    assert "x-frame-options" in headers  # the application's own answer


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    """A server with a 1 s head timeout and room for 3 connections (api.wire)."""
    port = free_port()
    db = tmp_path_factory.mktemp("wire") / "empty.sqlite"
    env = {**os.environ, "FRONTWATCH_WARM": "0", "FRONTWATCH_HEAD_TIMEOUT_S": "1",
           "FRONTWATCH_MAX_CONNECTIONS": "3"}
    proc = subprocess.Popen([sys.executable, "-m", "frontwatch", "serve", "--db", str(db),
                             "--port", str(port), "--workers", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_serving(proc, f"http://127.0.0.1:{port}")
        yield port, proc
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
        assert b"Traceback" not in stderr and b"write_eof" not in stderr, stderr[-3000:]


@pytest.mark.parametrize("head", [b"", b"GET / HTTP/1.1\r\nX: "], ids=["silent", "half-head"])
def test_a_slow_head_is_a_408(strict_server, head):
    """Slowloris: a head that stops (or never starts) is answered 408 and closed, not held."""
    doc = _problem(_raw(strict_server[0], head), 408, "not complete within 1 s")
    assert doc["code"] == "timeout"


def test_a_connection_over_the_limit_is_a_503(strict_server):
    port = strict_server[0]
    held = [socket.create_connection(("127.0.0.1", port), timeout=60) for _ in range(3)]
    try:
        code, headers, body = _raw(port, b"")
        assert code == 503 and headers["retry-after"] == "1"
        assert "3 connections open" in orjson.loads(body)["detail"]
    finally:
        for s in held:
            s.close()


def test_a_refusal_pipelined_after_a_good_request_follows_its_answer(strict_server):
    """The first answer arrives whole, then the refusal; nothing is written after end of
    stream (the server's stderr is checked for tracebacks when it stops)."""
    port = strict_server[0]
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /" + b"a" * 70_000
                  + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := s.recv(1 << 16):
            data += chunk
    first, second = data.split(b"HTTP/1.1 ")[1:]
    assert first.startswith(b"200 ") and second.startswith(b"414 "), data[:2000]
    assert b"application/problem+json" in second
