"""How much one input may cost: decompressed bytes, features and vertices.

Every check runs before the expensive step it protects (inflating, parsing JSON, building
geometries), so a refused input costs little more memory than the limit itself. Limits come
from Settings (FRONTWATCH_MAX_UNCOMPRESSED_MB, FRONTWATCH_MAX_FEATURES,
FRONTWATCH_MAX_VERTICES); a refusal is a :class:`LimitExceeded` naming the limit (HTTP 413,
CLI exit 1)."""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass
from typing import IO

from frontwatch.errors import InputError, LimitExceeded
from frontwatch.settings import Settings

GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 1 << 16
# JSON values the parser may build per allowed vertex (`[x, y, z]` is a list and three
# numbers) and per allowed feature (its object, geometry, properties): the prescan's budget.
JSON_VALUES_PER_VERTEX = 4
JSON_VALUES_PER_FEATURE = 32


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps on one input file; None leaves a count uncapped (trusted boundary files)."""

    uncompressed_mb: float
    features: int | None
    vertices: int | None

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Limits:
        """The configured limits (the environment's when no settings are given)."""
        s = settings or Settings()
        return cls(s.max_uncompressed_mb, s.max_features, s.max_vertices)

    @property
    def uncompressed_bytes(self) -> int:
        return int(self.uncompressed_mb * 2**20)

    def too_large(self, origin: str) -> LimitExceeded:
        return exceeded(f"larger than {self.uncompressed_mb:g} MB uncompressed",
                        "FRONTWATCH_MAX_UNCOMPRESSED_MB", origin)


def exceeded(message: str, limit: str, origin: str) -> LimitExceeded:
    """The refusal for an input over `limit` (a setting's name), saying which one."""
    return LimitExceeded(f"{message} (limit: {limit})", limit=limit, origin=origin)


def copy_capped(src: IO[bytes], dst: IO[bytes], origin: str, limits: Limits,
                budget: int | None = None) -> int:
    """Copy `src` to `dst` in chunks, refused as soon as more than `budget` bytes (default:
    the uncompressed limit) have come out, so a bomb never inflates beyond the limit."""
    cap = limits.uncompressed_bytes if budget is None else budget
    done = 0
    while chunk := src.read(min(CHUNK, cap + 1 - done)):
        done += len(chunk)
        if done > cap:
            raise limits.too_large(origin)
        dst.write(chunk)
    return done


def read_capped(src: IO[bytes], origin: str, limits: Limits) -> bytes:
    buf = io.BytesIO()
    copy_capped(src, buf, origin, limits)
    return buf.getvalue()


def decompress(source: bytes | IO[bytes], origin: str, limits: Limits) -> bytes:
    """The input's content, gunzipped when it starts with the gzip magic (one layer: a
    gzip inside a gzip is refused), within the uncompressed limit either way."""
    stream: IO[bytes]
    if isinstance(source, bytes | bytearray | memoryview):
        head = bytes(source[:2])
        if head != GZIP_MAGIC:
            if len(source) > limits.uncompressed_bytes:
                raise limits.too_large(origin)
            return bytes(source)
        stream = io.BytesIO(source)
    else:
        stream = source
        head = stream.read(2)
        stream.seek(0)
        if head != GZIP_MAGIC:
            return read_capped(stream, origin, limits)
    try:
        with gzip.GzipFile(fileobj=stream, mode="rb") as gz:
            out = read_capped(gz, origin, limits)
    except (EOFError, OSError, zlib.error):
        raise InputError("corrupt or truncated gzip data", origin=origin) from None
    if out[:2] == GZIP_MAGIC:
        raise InputError("gzip inside gzip: compress the file once", origin=origin)
    return out


def check_json_size(data: bytes, origin: str, limits: Limits) -> None:
    """Refuse JSON whose structure alone exceeds what the limits allow, before parsing it:
    parsed JSON takes up to ~40 bytes per value, so `[[],[],…]` or a million-number array
    could cost gigabytes. Brackets and commas bound the number of values from above."""
    if limits.vertices is None or limits.features is None:
        return
    budget = (JSON_VALUES_PER_VERTEX * limits.vertices
              + JSON_VALUES_PER_FEATURE * limits.features)
    values = data.count(b"[") + data.count(b"{") + data.count(b",")
    if values > budget:
        raise exceeded(f"JSON holds more values than {limits.features:,} features with "
                       f"{limits.vertices:,} vertices need",
                       "FRONTWATCH_MAX_FEATURES, FRONTWATCH_MAX_VERTICES", origin)


def check_features(n: int, origin: str, limits: Limits) -> None:
    if limits.features is not None and n > limits.features:
        raise exceeded(f"more than {limits.features:,} features", "FRONTWATCH_MAX_FEATURES",
                       origin)


TAGS_PER_FEATURE = 50  # a KML Placemark with a name, style, data fields and one polygon: ~30
MIN_TAGS = 100_000


def check_markup(data: bytes, origin: str, limits: Limits) -> None:
    """Refuse XML with more tags than its feature limit allows (TAGS_PER_FEATURE each, at
    least MIN_TAGS) before a tree of it is built: 15.6 MB of `<a/>` took 900 MB as a tree.
    Counted as `<` bytes (C speed, an upper bound of the tags)."""
    if limits.features is None:
        return
    most = max(MIN_TAGS, TAGS_PER_FEATURE * limits.features)
    if data.count(b"<") > most:
        raise exceeded(f"more than {most:,} XML tags ({TAGS_PER_FEATURE} per feature of the "
                       "feature limit)", "FRONTWATCH_MAX_FEATURES", origin)


def check_vertices(n: int, origin: str, limits: Limits) -> None:
    if limits.vertices is not None and n > limits.vertices:
        raise exceeded(f"more than {limits.vertices:,} vertices", "FRONTWATCH_MAX_VERTICES",
                       origin)
