"""Reading input bytes: plain or gzip-compressed files, with errors that name the file."""

from __future__ import annotations

import gzip
import io
import warnings
import zlib
from pathlib import Path
from typing import Any

import orjson
import pyogrio

from frontwatch.errors import InputError

MAX_INPUT_BYTES = 512 * 1024 * 1024


def read_bytes(path: Path) -> bytes:
    """The file's content, decompressed when it is gzip (by magic number, not by name)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", origin=str(path)) from exc
    return decompress(raw, str(path))


def decompress(raw: bytes, origin: str) -> bytes:
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        out = gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise InputError(f"corrupt or truncated gzip data ({exc})", origin=origin) from exc
    if len(out) > MAX_INPUT_BYTES:
        raise InputError("decompressed input is larger than 512 MiB", origin=origin)
    return out


def load_json(data: bytes, origin: str) -> Any:
    if not data.strip():
        raise InputError("file is empty", origin=origin)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc}", origin=origin) from exc


def strip_suffixes(name: str) -> str:
    """'1751314076.geojson.gz' → '1751314076'."""
    for suffix in (".gz", ".geojson", ".json"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


def read_vector(data: bytes, origin: str):
    """A GeoDataFrame in lon/lat (EPSG:4326) from any bytes pyogrio/GDAL can read."""
    if not data.strip():
        raise InputError("file is empty", origin=origin)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's notes on /vsimem names
            df = pyogrio.read_dataframe(io.BytesIO(data))
    except Exception as exc:  # pyogrio raises several DataSource/Field errors
        raise InputError(f"not a readable vector file: {exc}", origin=origin) from exc
    if df.crs is not None and df.crs.to_epsg() != 4326:
        try:
            df = df.to_crs(4326)
        except Exception as exc:
            raise InputError(f"cannot reproject from {df.crs}: {exc}", origin=origin) from exc
    return df
