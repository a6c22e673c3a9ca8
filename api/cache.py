"""Serialize once, compress once, serve bytes.

A data response is built once per (data version, URL) and kept in the app's response cache
(a frontwatch.memo.Cache bounded by FRONTWATCH_RESPONSE_CACHE_MB) with its gzip (and brotli,
when the package is installed) variants computed the first time a client asks for each —
in a worker thread, never on the event loop — and then kept, never made per request. Its
strong ETag is the hash of the identity body, suffixed per encoding (RFC 9110 §8.8.3: each
encoding is its own representation), so a client's `If-None-Match` still answers 304 after
the cache was invalidated by new data, as long as the bytes did not change.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
from dataclasses import dataclass, field
from datetime import date

from frontwatch import dates

try:  # optional: brotli is ~20 % smaller than gzip on GeoJSON
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None

MIN_COMPRESS = 1024  # bytes; below this, compression costs more than it saves
ENCODINGS = ("br", "gzip") if brotli else ("gzip",)


@dataclass(slots=True)
class Entry:
    """One response: its identity body and the encoded variants made so far."""

    media_type: str
    headers: dict[str, str]
    bodies: dict[str, bytes]
    tag: str  # content hash of the identity body
    status: int = 200
    # the UTC day it holds for: set (dates.today_part) on an answer counting an age to
    # today (the latest state, an open range); None: any day. The key itself has no date.
    day: date | None = None
    size: int = field(init=False)
    _raw: dict[str, tuple[list, list]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.size = sum(len(b) for b in self.bodies.values())

    def holds(self) -> bool:
        """Whether it may still be served: not an answer of an earlier day's `latest`."""
        return self.day is None or self.day == dates.today()

    @property
    def offered(self) -> tuple[str, ...]:
        """The encodings this response can be sent in besides identity."""
        return ENCODINGS if len(self.bodies["identity"]) >= MIN_COMPRESS else ()

    def body(self, encoding: str) -> bytes:
        """The body in `encoding`, compressed now if no request asked for it before (two
        threads may both compress it; the bytes are the same). `size` grows with it."""
        body = self.bodies.get(encoding)
        if body is None:
            body = _COMPRESS[encoding](self.bodies["identity"])
            self.bodies[encoding] = body
            self.size += len(body)
        return body

    def etag(self, encoding: str) -> str:
        return f'"{self.tag}"' if encoding == "identity" else f'"{self.tag}-{encoding}"'

    def raw_headers(self, encoding: str) -> tuple[list, list]:
        """(headers of a 304, headers of a 200) in this encoding, built once."""
        if encoding not in self._raw:
            vary = [v for k, v in self.headers.items() if k.lower() == "vary"]
            if self.offered:
                vary.append("Accept-Encoding")
            common = [(k.lower().encode(), v.encode()) for k, v in self.headers.items()
                      if k.lower() != "vary"]  # one Vary line (`Accept` from ogc_html too)
            common.append((b"etag", self.etag(encoding).encode()))
            if vary:
                common.append((b"vary", ", ".join(vary).encode()))
            full = [*common, (b"content-type", self.media_type.encode()),
                    (b"content-length", str(len(self.body(encoding))).encode())]
            if encoding != "identity":
                full.append((b"content-encoding", encoding.encode()))
            self._raw[encoding] = (common, full)
        return self._raw[encoding]


# gzip level 4, brotli quality 5: on a 273 KB snapshot gzip 4 takes 7.9 ms CPU for 94.4 KB,
# level 6 18.4 ms for 92.4 KB (as long as building the GeoJSON itself: half a cache miss's
# cost for 2 % fewer bytes), level 1 4.1 ms for 104.6 KB
_COMPRESS = {"gzip": lambda body: gzip.compress(body, compresslevel=4, mtime=0),
             "br": lambda body: brotli.compress(body, quality=5)}


def make_entry(body: bytes, media_type: str, headers: dict[str, str] | None = None,
               status: int = 200) -> Entry:
    """Hash a body once; its compressed variants are made when first asked for
    (:meth:`Entry.body`)."""
    tag = hashlib.blake2b(body, digest_size=16).hexdigest()
    return Entry(media_type, dict(headers or {}), {"identity": body}, tag, status)


def negotiate(accept_encoding: str, entry: Entry) -> str:
    """The best encoding the client accepts (q > 0) that we offer; identity otherwise."""
    accepted = _accepted(accept_encoding)
    for enc in entry.offered:
        if accepted.get(enc, accepted.get("*", 0.0)) > 0:
            return enc
    return "identity"


@functools.lru_cache(maxsize=256)
def _accepted(accept_encoding: str) -> dict[str, float]:
    """Accept-Encoding → {coding: q}; clients send a handful of distinct values."""
    accepted: dict[str, float] = {}
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        if name:
            accepted[name.strip().lower()] = q
    return accepted


def matches(if_none_match: str | None, entry: Entry) -> bool:
    """Weak comparison (RFC 9110 §13.1.2) against any encoding of this content: a client that
    cached the gzip variant and now asks without gzip still holds the same data."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    for tag in if_none_match.split(","):
        tag = tag.strip().removeprefix("W/").strip('"')
        if tag == entry.tag or tag.split("-", 1)[0] == entry.tag:
            return True
    return False


def render(entry: Entry, accept_encoding: str, if_none_match: str | None, head: bool = False
           ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, raw headers and body for one request: the same bytes for the route and for
    the ASGI fast path (api.app.FastPath). May compress (see :meth:`Entry.body`): the fast
    path, on the event loop, first checks :func:`ready`."""
    enc = negotiate(accept_encoding, entry)
    not_modified, full = entry.raw_headers(enc)
    if entry.status == 200 and matches(if_none_match, entry):
        return 304, list(not_modified), b""
    return entry.status, list(full), b"" if head else entry.body(enc)


def ready(entry: Entry, accept_encoding: str) -> bool:
    """Whether `render` can answer this client without compressing anything."""
    return negotiate(accept_encoding, entry) in entry.bodies
