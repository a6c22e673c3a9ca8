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
  1000) is answered **503** at once and closed, before anything is read;
- a method httptools does not know (`FOO`, `get`: methods are case-sensitive) is a **501**,
  as RFC 9110 §9.1 asks of a method the server does not implement (a method it knows but a
  route does not take, `PUT`, is the application's 405 with `Allow`);
- a WebSocket handshake (`websocket` among the protocols an `Upgrade` field lists, in any
  case or with a version, on any path, whatever `Connection` says) is a **400** naming the
  `Upgrade` header: Frontwatch serves no WebSocket. It is refused here, before uvicorn's
  WebSocket protocol parses it, so that every handshake, well-formed or not, gets the same
  answer (uvicorn answered a well-formed one with an empty `text/plain` 403 and one without
  `Sec-WebSocket-Key` with the websockets library's plain-text 400). Another `Upgrade`
  (`h2c`) is ignored, as RFC 9110 §7.8 allows: the request is answered over HTTP/1.1 and the
  connection closed after it (the parser reads nothing after an upgrade request).

Each is a problem+json body (`code` limit-exceeded, input-invalid, timeout, unavailable or
not-implemented) with `Connection: close`. A refusal that comes while an earlier request on
the connection (pipelined) is still being answered waits for that answer to be written, then
follows it. Once the refusal is written the connection stops counting toward
`max_connections` (a burst of refused clients that are slow to hang up kept new clients out)
and stops being read: the server shuts its side, discards what the client is still sending
for at most LINGER_S seconds (so the client reads the answer instead of a reset), closes,
and LINGER_S later drops the connection if the client has still not taken the answer.
SECURITY.md and the README say what a client sees; /healthz reports the counts
(`connection_stats`).
"""

from __future__ import annotations

import re
from asyncio import TimerHandle
from typing import Any

import httptools
import orjson
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from frontwatch.api.problems import CODES, TITLES, TYPE_PREFIX
from frontwatch.errors import echo

MAX_TARGET_BYTES = 64_000  # httptools cannot split a longer URL (16-bit offsets) anyway
MAX_HEADER_BYTES = 64_000
MAX_HEADER_FIELDS = 100
LINGER_S = 2.0
WEBSOCKET_REFUSED = ("header 'Upgrade': websocket is not served: Frontwatch has no WebSocket "
                     "endpoint; request the resource over plain HTTP, without 'Upgrade'")
UNKNOWN_METHOD = ("request line: method {} is not one this server implements (it answers "
                  "GET and HEAD, and POST where a route takes uploads)")
METHOD = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+) ")  # a token, then the target (RFC 9110)

# This worker's connections as BoundedHttpTools counts them, for /healthz: uvicorn's set of
# open connections (the one `max_connections` is checked against), the limit, and how many
# connections were refused for it since the worker started.
_seen: dict[str, Any] = {"open": None, "max": None, "refused": 0}


def connection_stats() -> dict[str, int] | None:
    """{"open", "max", "refused"} for this worker; None when it is not served by
    `frontwatch serve` (a test client, another server)."""
    if _seen["open"] is None:
        return None
    return {"open": len(_seen["open"]), "max": _seen["max"], "refused": _seen["refused"]}


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
        self._begun, self._mid_message = 0, False  # messages begun in a chunk; one still open
        self._cycles: list[Any] = []  # the requests begun and not yet answered (pipelined)

    # --- the connection ---------------------------------------------------------------------
    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        _seen.update(open=self.connections, max=self.max_connections)
        if len(self.connections) > self.max_connections:
            _seen["refused"] += 1
            self._answer(503, f"the server has {self.max_connections:,} connections open, "
                         "its limit: retry shortly", wait=False, retry_after=True)
            return
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        for cycle in self._cycles:  # uvicorn marks only the newest cycle: a pipelined one
            self._gone(cycle)       # being answered went on writing to the closed transport
        self._cycles.clear()
        super().connection_lost(exc)

    # --- a client gone mid-response ------------------------------------------------------
    def _track(self, cycle: Any) -> None:
        """Keep `cycle` for connection_lost and route its writes through a guard: a client
        that hangs up while an answer is written (a pipelined one, a slow reader) is a
        disconnect, not an application error. uvloop refuses a write to a closed transport
        with a RuntimeError, which uvicorn logged as `ERROR: Exception in ASGI application`
        with its traceback, once per connection, for any client to provoke."""
        self._cycles = [c for c in self._cycles if not c.response_complete]
        self._cycles.append(cycle)
        send = cycle.send

        async def guarded(message: Any) -> None:
            if self.transport.is_closing():
                self._gone(cycle)  # uvicorn's send then drops the message
            try:
                await send(message)
            except RuntimeError:
                if not self.transport.is_closing():
                    raise  # not the transport: an application's mistake, logged as such
                self._gone(cycle)
        cycle.send = guarded  # before its task first runs (scheduled, not started)

    def _gone(self, cycle: Any) -> None:
        """`cycle`'s client is gone: its further writes are dropped and its app's receive()
        answers http.disconnect (a streaming response stops)."""
        if not cycle.response_complete and not cycle.disconnected:
            self.logger.debug("client gone before its answer was written: %s %s",
                              cycle.scope.get("method"), echo(cycle.scope.get("path", "")))
            cycle.disconnected = True
            cycle.message_event.set()

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
        self._begun += 1
        self._mid_message = True
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

    def on_message_complete(self) -> None:
        self._mid_message = False
        super().on_message_complete()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm_head_timer()
        if self._is_websocket():  # before a cycle starts: the application never sees it
            self._refuse(400, WEBSOCKET_REFUSED)
        previous = self.cycle
        super().on_headers_complete()
        if self.cycle is not None and self.cycle is not previous:
            self._track(self.cycle)
        if self.parser.should_upgrade():
            self.cycle.keep_alive = False  # h2c & co.: answered, then closed (see _parse)

    def _refuse(self, status: int, detail: str) -> None:
        self._refusal = (status, detail)
        raise HeadTooLarge(detail)

    # --- bytes as they arrive ---------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self._draining:
            return  # the answer is sent: what the client still sends is dropped
        in_head = self._in_head
        self._parse(data)
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

    def _parse(self, data: bytes) -> None:
        """uvicorn's data_received, with the parser's outcomes told apart: an unknown method
        (501), any other parse error or a limit of ours (send_400_response), a WebSocket
        handshake (400), another upgrade (ignored: see on_headers_complete)."""
        self._unset_keepalive_if_required()
        fresh, self._begun = not self._mid_message, 0
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserInvalidMethodError:
            # the message refused is the last begun; the first began here unless one was open
            method = _refused_method(data, self._begun - 1 if fresh else self._begun)
            if method is not None:
                self._answer(501, UNKNOWN_METHOD.format(echo(method.decode("latin-1"), 40)))
            else:  # not a method at all (a TLS handshake, binary): malformed
                self.send_400_response("")
        except httptools.HttpParserError:
            self.send_400_response("")
        except httptools.HttpParserUpgrade:
            if self._is_websocket():
                self._answer(400, WEBSOCKET_REFUSED)

    def _is_websocket(self) -> bool:
        """Whether any protocol the request's `Upgrade` fields list is websocket (`WebSocket`,
        `foo, websocket`, `websocket/13`), whatever `Connection` says: every handshake,
        well-formed or not (uvicorn compared the whole field with b"websocket", so
        `websocket, foo` went to the application as plain HTTP)."""
        return any(t.split(b"/", 1)[0].rstrip() == b"websocket"
                   for t in header_tokens(self.headers, b"upgrade"))

    def _should_upgrade(self) -> bool:
        """uvicorn's question "hand this request to the WebSocket protocol?": a WebSocket
        handshake is kept from the application (no cycle starts) and refused in _parse."""
        return self._is_websocket()

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
        """Write the refusal and end the connection, bounded: it stops counting toward
        `max_connections` now; the client gets LINGER_S to hang up, and LINGER_S more to
        take the answer before the connection is dropped."""
        self.connections.discard(self)
        self.transport.write(answer)
        if self.transport.can_write_eof():
            self.transport.write_eof()  # the client sees the answer, then end of stream
            self.loop.call_later(LINGER_S, self._close_bounded)
        else:
            self._close_bounded()

    def _close_bounded(self) -> None:
        self.transport.close()  # after what is still buffered is sent…
        self.loop.call_later(LINGER_S, self.transport.abort)  # …which a client may never read

    def eof_received(self) -> bool | None:
        if self._draining:
            if self._deferred is not None:
                return True  # half-closed: the answer in flight and the refusal still go out
            self.transport.close()
            return None
        return super().eof_received()


def header_tokens(headers: list[tuple[bytes, bytes]], name: bytes) -> list[bytes]:
    """The elements of a list-valued header (`Upgrade`, `Connection`) as RFC 9110 §5.6.1
    defines them: every field named `name` (lower-case, as uvicorn keeps the names) split at
    commas, trimmed, lower-cased (its tokens are case-insensitive), empty elements left out."""
    return [t for n, v in headers if n == name
            for t in (e.strip().lower() for e in v.split(b",")) if t]


def _refused_method(data: bytes, nth: int) -> bytes | None:
    """The method httptools refused, opening the `nth` message (from 0) that begins in
    `data`, the messages before it being heads without a body (pipelined GETs); None when
    that is no token followed by a space (a TLS handshake, binary) or cannot be found."""
    heads = data.split(b"\r\n\r\n")
    m = METHOD.match(heads[nth]) if 0 <= nth < len(heads) else None
    return m.group(1) if m else None
