"""HTTP/1.1 as `frontwatch serve` reads it: explicit limits on a request's head, and every
refusal at this layer answered as problem+json like the application's own.

uvicorn's httptools protocol puts no bound on a request's head: a 20 MB header was read into
memory and answered 200, and a 50 MB request line was taken whole (13 s of one core) before
a `text/plain` "Invalid HTTP request received." Here, as the bytes arrive:

- the request target (path and query) may be at most MAX_TARGET_BYTES: over it, **414**;
- the header fields at most MAX_HEADER_BYTES together and MAX_HEADER_FIELDS in number: over
  either, **431** (a head still incomplete past both limits together is refused before it
  is parsed further);
- a request httptools cannot parse is a **400**;
- a head not complete `head_timeout_s` (FRONTWATCH_HEAD_TIMEOUT_S, 10 s) after the
  connection opened or the head's first byte arrived is a **408** (a slow head, one byte at
  a time, held a connection and a file descriptor for as long as it kept sending);
- a connection beyond `max_connections` open on the worker (FRONTWATCH_MAX_CONNECTIONS,
  1000) is answered **503** at once and closed, before anything is read.

Each is a problem+json body (`code` limit-exceeded or input-invalid) with `Connection:
close`. A refusal that comes while an earlier request on the connection (pipelined) is still
being answered waits for that answer to be written, then follows it. The connection then
stops being read: the server shuts its side, discards what the
client is still sending for at most LINGER_S seconds (so the client reads the answer
instead of a reset), and closes. SECURITY.md and the README say what a client sees.
"""

from __future__ import annotations

from asyncio import TimerHandle
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from frontwatch.api.problems import CODES, TITLES, TYPE_PREFIX

MAX_TARGET_BYTES = 64_000  # httptools cannot split a longer URL (16-bit offsets) anyway
MAX_HEADER_BYTES = 64_000
MAX_HEADER_FIELDS = 100
LINGER_S = 2.0


class HeadTooLarge(Exception):
    """Raised inside a parser callback: httptools stops and uvicorn calls send_400_response,
    which answers with the refusal recorded on the protocol."""


def problem_bytes(status: int, detail: str, retry_after: bool = False) -> bytes:
    """A complete HTTP/1.1 response: problem+json, Connection: close (and Retry-After: 1)."""
    code = CODES[status]
    body = orjson.dumps({"type": TYPE_PREFIX + code, "title": TITLES.get(status, "Error"),
                         "status": status, "detail": detail, "code": code})
    return (STATUS_LINE[status] + b"content-type: application/problem+json\r\n"
            + b"content-length: " + str(len(body)).encode() + b"\r\n"
            + b"retry-after: 1\r\n" * retry_after + b"connection: close\r\n\r\n" + body)


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits above (see the module docstring)."""

    def __init__(self, *args: Any, head_timeout_s: float = 10.0, max_connections: int = 1000,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_timeout_s, self.max_connections = head_timeout_s, max_connections
        self._head_timer: TimerHandle | None = None
        self._deferred: bytes | None = None  # a refusal waiting for the answer in flight
        self._refusal: tuple[int, str] | None = None
        self._in_head = True  # until the current request's headers are complete
        self._head_bytes = self._target_bytes = self._header_bytes = self._fields = 0
        self._draining = False

    # --- the connection ---------------------------------------------------------------------
    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            self._answer(503, f"the server has {self.max_connections:,} connections open, "
                         "its limit: retry shortly", wait=False, retry_after=True)
            return
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_too_slow)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing() and not self._draining:
            self._answer(408, f"request head: not complete within {self.head_timeout_s:g} s "
                         "(FRONTWATCH_HEAD_TIMEOUT_S), the server's limit")

    # --- counting, as httptools reports the head ----------------------------------------
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = self._target_bytes = self._header_bytes = self._fields = 0

    def on_url(self, url: bytes) -> None:
        self._target_bytes += len(url)
        if self._target_bytes > MAX_TARGET_BYTES:
            self._refuse(414, f"request line: the request target (path and query) is longer "
                         f"than {MAX_TARGET_BYTES:,} bytes, the server's limit")
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._fields += 1
        self._header_bytes += len(name) + len(value) + 4
        if self._fields > MAX_HEADER_FIELDS:
            self._refuse(431, f"request headers: more than {MAX_HEADER_FIELDS} header "
                         "fields, the server's limit")
        if self._header_bytes > MAX_HEADER_BYTES:
            self._refuse(431, f"request headers: larger than {MAX_HEADER_BYTES:,} bytes "
                         "together, the server's limit")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm_head_timer()
        super().on_headers_complete()

    def _refuse(self, status: int, detail: str) -> None:
        self._refusal = (status, detail)
        raise HeadTooLarge(detail)

    # --- bytes as they arrive ---------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self._draining:
            return  # the answer is sent: what the client still sends is dropped
        in_head = self._in_head
        super().data_received(data)
        if self.transport.is_closing() or self._draining:
            return
        if self._in_head:
            self._arm_head_timer()  # a new head began (or the first goes on): its clock runs
        if not (in_head and self._in_head):
            return
        # one header or the target still incomplete: httptools keeps it whole in memory
        # until it ends, so a head that can no longer fit is refused before it does
        self._head_bytes += len(data)
        if self._head_bytes > MAX_TARGET_BYTES + MAX_HEADER_BYTES + 8192:
            self._answer(431, f"request head: larger than {MAX_TARGET_BYTES:,} bytes of "
                         f"request line and {MAX_HEADER_BYTES:,} bytes of headers, the "
                         "server's limits")

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a head httptools refused (or our callbacks did)."""
        status, detail = self._refusal or (
            400, "invalid HTTP request: the request line or a header is malformed")
        self._answer(status, detail)

    def _answer(self, status: int, detail: str, wait: bool = True,
                retry_after: bool = False) -> None:
        """Write the refusal and stop reading; after the answer in flight if one is (`wait`):
        writing now would cut into it, and its end would be written after end of stream."""
        self.logger.warning("refused a request%s: %s", " head" * (status != 503), detail)
        answer = problem_bytes(status, detail, retry_after)
        self._draining = True
        self._disarm_head_timer()
        if wait and self._in_flight():
            self._deferred = answer
            self.flow.pause_reading()
            return
        self._write_and_close(answer)

    def _in_flight(self) -> bool:
        return bool(self.pipeline) or (self.cycle is not None
                                       and not self.cycle.response_complete
                                       and not self.cycle.disconnected)

    def on_response_complete(self) -> None:
        super().on_response_complete()  # starts the next pipelined request, if any
        if self._deferred is not None and not self._in_flight():
            self._unset_keepalive_if_required()
            answer, self._deferred = self._deferred, None
            if not self.transport.is_closing():
                self._write_and_close(answer)

    def _write_and_close(self, answer: bytes) -> None:
        self.transport.write(answer)
        if self.transport.can_write_eof():
            self.transport.write_eof()  # the client sees the answer, then end of stream
            self.loop.call_later(LINGER_S, self.transport.close)
        else:
            self.transport.close()

    def eof_received(self) -> bool | None:
        if self._draining:
            if self._deferred is not None:
                return True  # half-closed: the answer in flight and the refusal still go out
            self.transport.close()
            return None
        return super().eof_received()
