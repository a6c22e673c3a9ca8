"""HTTP/1.1 as `frontwatch serve` reads it: explicit limits on a request's head, and every
refusal at this layer answered as problem+json like the application's own.

uvicorn's httptools protocol puts no bound on a request's head: a 20 MB header was read into
memory and answered 200, and a 50 MB request line was taken whole (13 s of one core) before
a `text/plain` "Invalid HTTP request received." Here, as the bytes arrive:

- the request target (path and query) may be at most MAX_TARGET_BYTES: over it, **414**;
- the header fields at most MAX_HEADER_BYTES together and MAX_HEADER_FIELDS in number: over
  either, **431** (a head still incomplete past both limits together is refused before it
  is parsed further);
- a request httptools cannot parse is a **400**.

Each is a problem+json body (`code` limit-exceeded or input-invalid) with `Connection:
close`; the connection then stops being read: the server shuts its side, discards what the
client is still sending for at most LINGER_S seconds (so the client reads the answer
instead of a reset), and closes. SECURITY.md and the README say what a client sees.
"""

from __future__ import annotations

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


def problem_bytes(status: int, detail: str) -> bytes:
    """A complete HTTP/1.1 response: problem+json, Connection: close."""
    code = CODES[status]
    body = orjson.dumps({"type": TYPE_PREFIX + code, "title": TITLES.get(status, "Error"),
                         "status": status, "detail": detail, "code": code})
    return (STATUS_LINE[status] + b"content-type: application/problem+json\r\n"
            + b"content-length: " + str(len(body)).encode() + b"\r\n"
            + b"connection: close\r\n\r\n" + body)


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits above (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refusal: tuple[int, str] | None = None
        self._in_head = True  # until the current request's headers are complete
        self._head_bytes = self._target_bytes = self._header_bytes = self._fields = 0
        self._draining = False

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
        if self.transport.is_closing() or not (in_head and self._in_head):
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

    def _answer(self, status: int, detail: str) -> None:
        self.logger.warning("refused a request head: %s", detail)
        self.transport.write(problem_bytes(status, detail))
        self._draining = True
        if self.transport.can_write_eof():
            self.transport.write_eof()  # the client sees the answer, then end of stream
            self.loop.call_later(LINGER_S, self.transport.close)
        else:
            self.transport.close()

    def eof_received(self) -> bool | None:
        if self._draining:
            self.transport.close()
            return None
        return super().eof_received()
