"""A request's head over the wire (api.wire): a real `frontwatch serve` and a raw socket. A
request line or headers over the documented limits were uvicorn's `text/plain` 400 — after
reading a 50 MB line whole — or, for headers, no limit at all (a 20 MB header was answered
200). Now: 414/431/400 problem+json with Connection: close, read by the client before the
server closes, and the server answers the next client."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import orjson
import pytest

from frontwatch.api.wire import MAX_HEADER_BYTES, MAX_HEADER_FIELDS, MAX_TARGET_BYTES
from tests.helpers import serving


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("wire") / "empty.sqlite"
    env = {**os.environ, "FRONTWATCH_WARM": "0"}
    with serving(["--db", str(db), "--workers", "1"], env) as (_, base):
        yield _port(base)


def _port(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


@contextlib.contextmanager
def _clean_log(tmp: Path) -> Iterator[IO[bytes]]:
    """A server's stderr file, checked when the server has stopped: no traceback, and no
    `write_eof` error (a refused connection closed twice)."""
    path = tmp / "serve.log"
    with path.open("wb") as log:
        yield log
    text = path.read_text(errors="replace")
    assert "Traceback" not in text and "write_eof" not in text, text[-3000:]


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
    tmp = tmp_path_factory.mktemp("wire")
    env = {**os.environ, "FRONTWATCH_WARM": "0", "FRONTWATCH_HEAD_TIMEOUT_S": "1",
           "FRONTWATCH_MAX_CONNECTIONS": "3"}
    with _clean_log(tmp) as log, serving(["--db", str(tmp / "empty.sqlite"), "--workers",
                                          "1"], env, stderr=log) as (proc, base):
        yield _port(base), proc


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


# --- what the server does not speak: WebSocket, unknown methods, other upgrades ------------
HANDSHAKE = (b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
             b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")


@pytest.mark.parametrize("head", [
    b"GET /v1/areas HTTP/1.1\r\nHost: x\r\n" + HANDSHAKE + b"\r\n",
    b"GET /no/such/path HTTP/1.1\r\nHost: x\r\n" + HANDSHAKE + b"\r\n",
    # not a valid handshake (no key): was the websockets library's text/plain 400
    b"GET /v1/areas HTTP/1.1\r\nHost: x\r\nupgrade: WebSocket\r\n"
    b"connection: keep-alive, Upgrade\r\n\r\n",
    # Upgrade is a list of protocols (RFC 9110 §7.8): websocket anywhere in it, in any case,
    # with a version, in a second field; these were answered as plain HTTP (200, 404)
    *(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n" + upgrade + b"\r\nConnection: Upgrade\r\n"
      b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
      for path, upgrade in (
          (b"/v1/sources", b"Upgrade: WebSocket, foo"), (b"/x", b"Upgrade: WebSocket, foo"),
          (b"/v1/sources", b"Upgrade: foo, websocket"), (b"/x", b"Upgrade: h2c, websocket"),
          (b"/v1/sources", b"Upgrade: websocket/13"),
          (b"/v1/sources", b"Upgrade: h2c\r\nUpgrade: WEBSOCKET"))),
    # no Connection: Upgrade: not a well-formed handshake, refused all the same
    b"GET /v1/sources HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n",
    b"GET /v1/sources HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    b"Connection: keep-alive\r\nConnection: upgrade\r\n\r\n",
], ids=["route", "no-such-path", "no-key", "listed-first", "listed-first-no-path",
        "listed-last", "after-h2c", "versioned", "second-field", "no-connection",
        "two-connection-fields"])
def test_a_websocket_handshake_is_refused_as_a_problem(server, head):
    """Frontwatch serves no WebSocket: a handshake, on any path, was uvicorn's empty
    text/plain 403; now a 400 problem+json naming the Upgrade header, whichever way the
    Upgrade and Connection fields list their tokens."""
    doc = _problem(_raw(server, head), 400, "header 'Upgrade': websocket is not served")
    assert doc["code"] == "input-invalid"
    ok = httpx.get(f"http://127.0.0.1:{server}/healthz", timeout=30)
    assert ok.status_code == 200


@pytest.mark.parametrize(("method", "named"), [
    (b"FOO", "method 'FOO' is"), (b"get", "method 'get' is"),
    (b"M" * 200, "method '" + "M" * 40 + "'… (200 characters) is")])
def test_a_method_the_server_does_not_know_is_a_501_problem(server, method, named):
    """httptools refuses a method it does not know before the app sees it: that was the
    wire's "malformed request" 400; RFC 9110 §9.1 asks a 501 (a method it knows that the
    route does not take is the app's 405 with Allow, tests/test_cors.py). A TLS handshake
    or binary is still a malformed request (400, above)."""
    doc = _problem(_raw(server, method + b" /v1/areas HTTP/1.1\r\nHost: x\r\n\r\n"), 501,
                   f"request line: {named} not one this server implements")
    assert doc["code"] == "not-implemented" and doc["title"] == "Not Implemented"


def test_a_refusal_pipelined_after_a_good_request_is_each_kind(server):
    for second, status in ((b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n", b"501 "),
                           (b"GET / HTTP/1.1\r\nHost: x\r\n" + HANDSHAKE + b"\r\n", b"400 ")):
        with socket.create_connection(("127.0.0.1", server), timeout=60) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + second)
            data = b""
            while chunk := s.recv(1 << 16):
                data += chunk
        first, refusal = data.split(b"HTTP/1.1 ")[1:]
        assert first.startswith(b"200 ") and refusal.startswith(status), data[-600:]


def test_another_upgrade_is_ignored_and_the_connection_closed_after_the_answer(server):
    """`Upgrade: h2c` (curl --http2 over http://) may be ignored (RFC 9110 §7.8): the app
    answers over HTTP/1.1; the parser reads nothing after an upgrade request, so the
    answer says Connection: close and the server closes (a request pipelined after it
    waited for the keep-alive timeout, unanswered)."""
    code, headers, body = _raw(server, b"GET /v1/sources HTTP/1.1\r\nHost: x\r\n"
                               b"Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                               b"HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"
                               b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert code == 200 and headers["connection"] == "close" and b'"sources"' in body
    assert b"HTTP/1.1" not in body  # the pipelined request was not answered after close


def test_an_upgrade_that_names_no_websocket_is_not_refused(server):
    """Only the websocket token counts: `websocketx` or `foo/websocket` (a version, not a
    protocol) is another upgrade, ignored like h2c."""
    for upgrade in (b"websocketx", b"foo/websocket, h2c"):
        code, headers, _ = _raw(server, b"GET /v1/sources HTTP/1.1\r\nHost: x\r\nUpgrade: "
                                + upgrade + b"\r\nConnection: Upgrade\r\n\r\n")
        assert code == 200 and headers["connection"] == "close", (upgrade, code)


# --- refused connections stop counting -------------------------------------------------
LIMIT = 3


@pytest.fixture(scope="module")
def lingering_server(tmp_path_factory):
    """A server with room for LIMIT connections whose refused connections linger 120 s
    (api.wire.LINGER_S, 2 s in production, set in the server process): long enough that a
    refused client still holding its socket is certainly there when the next client comes,
    whatever the machine's load."""
    tmp = tmp_path_factory.mktemp("wire")
    env = {**os.environ, "FRONTWATCH_WARM": "0", "FRONTWATCH_MAX_CONNECTIONS": str(LIMIT),
           "FRONTWATCH_HEAD_TIMEOUT_S": "1"}
    launch = ("import sys; import frontwatch.api.wire as wire; wire.LINGER_S = 120.0; "
              "from frontwatch.cli import main; sys.argv[0] = 'frontwatch'; main()")
    with _clean_log(tmp) as log, serving(["--db", str(tmp / "empty.sqlite"), "--workers", "1"],
                                         env, stderr=log,
                                         launch=[sys.executable, "-c", launch]) as (_, base):
        yield _port(base)


def _connections(port: int, open_: int, within_s: float = 120) -> dict:
    """/healthz's connection counts once `open_` are open (itself included): a client's
    close reaches the server a moment after the client made it (bounded wait)."""
    import time

    deadline = time.monotonic() + within_s
    while True:
        r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30)
        counts = r.json()["connections"] if r.status_code == 200 else None
        if counts and counts["open"] == open_:
            return counts
        assert time.monotonic() < deadline, (r.status_code, counts)
        time.sleep(0.1)


def _refused(port: int) -> socket.socket:
    """A connection over the limit: its 503 read, the socket kept open (a slow client)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    answer = s.recv(1 << 16)
    assert answer.startswith(b"HTTP/1.1 503 "), answer[:300]
    assert b"application/problem+json" in answer and b"retry-after: 1" in answer
    return s


def test_refused_connections_stop_counting_once_answered(lingering_server):
    """LIMIT + k connections: k refusals. With the refused clients still holding their
    sockets, one held connection closed is room for a new client, served at once; bursts
    again and again never ratchet the count (it was len(open connections): a refused one
    counted until it closed, up to 2 s, and a burst kept clients out)."""
    port = lingering_server
    before = _connections(port, 1)
    refused_so_far = before["refused"]
    assert before["max"] == LIMIT
    for _ in range(3):
        held = [socket.create_connection(("127.0.0.1", port), timeout=60)
                for _ in range(LIMIT)]
        slow = [_refused(port) for _ in range(4)]
        refused_so_far += 4
        held.pop().close()
        # room for one: the refused clients, still connected, do not count
        counts = _connections(port, LIMIT)
        assert counts["refused"] >= refused_so_far
        refused_so_far = counts["refused"]
        for s in held:
            s.close()
        _connections(port, 1)  # nothing left counted: no ratchet
        for s in slow:
            s.close()


def test_a_refusal_that_times_out_or_is_reset_stops_counting(lingering_server):
    """A 408 (slow head) and a 503 whose client resets the connection: the count goes back
    to what it was, never below (it is the set of open connections, a refused one taken
    out once)."""
    import struct

    port = lingering_server
    _connections(port, 1)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as slow:
        slow.sendall(b"GET / HTTP/1.1\r\nX: ")
        assert slow.recv(1 << 16).startswith(b"HTTP/1.1 408 ")
        held = [socket.create_connection(("127.0.0.1", port), timeout=60)
                for _ in range(LIMIT)]
        reset = _refused(port)
        reset.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        reset.close()  # RST
        for s in held:
            s.close()
        assert _connections(port, 1)["open"] == 1  # the 408 still open, not counted
