"""Reading input files: only the formats Frontwatch documents, recognised by their content
and opened by the one GDAL driver each needs.

JSON (DeepStateMap, the archive, GeoJSON) is parsed by orjson, never by GDAL, for snapshots.
Binary formats are copied into a private temporary folder under a name we choose and opened
there with their driver: nothing in an input (a VRT, a `/vsicurl/` path, a Shapefile sidecar
or a zip member) can make GDAL read another file, fetch a URL or switch drivers, and the CRS
a file carries is read by Frontwatch and replaced in that copy, never parsed by GDAL
(ingest/carried_crs.py). Errors name
the file and a generic reason; they never repeat what GDAL or the parser said about the
content, since that text can quote it.
"""

from __future__ import annotations

import io
import re
import stat
import struct
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from frontwatch import staging
from frontwatch.errors import FrontwatchError, InputError, NotFound, brief, echo_name
from frontwatch.ingest.carried_crs import (
    replace_flatgeobuf_crs,
    replace_geojson_crs,
    replace_geopackage_crs,
)
from frontwatch.ingest.crs import from_wkt, registered
from frontwatch.ingest.limits import (
    Limits,
    check_features,
    check_vertices,
    copy_capped,
    decompress,
    exceeded,
)


@dataclass(frozen=True, slots=True)
class VectorFormat:
    """A format handed to GDAL: its name as the README gives it, the only driver that may
    open it, the suffix of the private file it is copied to, and whether GDAL's
    `DRIVER:path` syntax can force that driver (the others are forced by their magic)."""

    name: str
    driver: str
    suffix: str
    prefixed: bool


# The allow-list: the only drivers GDAL is ever asked to open an input with.
GEOJSON = VectorFormat("GeoJSON", "GeoJSON", ".geojson", prefixed=True)
GEOPACKAGE = VectorFormat("GeoPackage", "GPKG", ".gpkg", prefixed=True)
FLATGEOBUF = VectorFormat("FlatGeobuf", "FlatGeobuf", ".fgb", prefixed=False)
SHAPEFILE = VectorFormat("zipped Shapefile", "ESRI Shapefile", ".shp", prefixed=False)
VECTOR_FORMATS = (GEOJSON, GEOPACKAGE, SHAPEFILE, FLATGEOBUF)
# What read_vector takes (snapshot imports list every registered format: ingest/formats.py).
ACCEPTED = f"accepted: {', '.join(f.name for f in VECTOR_FORMATS)} (each optionally .gz)"

# Zipped Shapefile: the parts extracted (under our own name), the sidecars passed over
# (never extracted, so GDAL never sees them), and bounds on the zip's directory, checked
# before zipfile indexes it.
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
SHAPEFILE_REQUIRED = (".shp", ".shx", ".dbf")
IGNORED_SIDECARS = (".sbn", ".sbx", ".qix", ".xml", ".qmd")
MAX_ZIP_MEMBERS = 16
MAX_ZIP_DIRECTORY = 64 * 1024

_JSON_START = re.compile(rb"(?:\xef\xbb\xbf)?\s*[\[{]")
# The UTF-8 byte-order mark Windows tools and Esri exports put before JSON and XML text.
BOM = b"\xef\xbb\xbf"
_SHP_MAGIC = b"\x00\x00\x27\x0a"
_SQLITE_MAGIC = b"SQLite format 3\x00"


def is_json(data: bytes) -> bool:
    """Whether the content starts like a JSON document (without copying it)."""
    return _JSON_START.match(data) is not None


def sniff(data: bytes) -> VectorFormat | None:
    """The accepted format the content is, by magic bytes; None for anything else."""
    if data[:16] == _SQLITE_MAGIC and data[68:72] in (b"GPKG", b"GP10", b"GP11"):
        return GEOPACKAGE
    if data[:3] == b"fgb" and data[4:7] == b"fgb":
        return FLATGEOBUF
    if data[:4] == b"PK\x03\x04":
        return SHAPEFILE
    if is_json(data):
        return GEOJSON
    return None


def known_other(data: bytes) -> str | None:
    """What the content is when it is recognisably a format Frontwatch refuses."""
    if data[:16] == _SQLITE_MAGIC:
        return "an SQLite database that is not a GeoPackage"
    if data[:256].lstrip().startswith(b"<"):
        return "XML that is not KML, such as VRT or GML"
    if data[:4] == _SHP_MAGIC:
        return "a bare .shp: zip it with its .shx and .dbf"
    if data[:4] == b"PK\x05\x06":
        return "an empty zip"
    return None


def unaccepted(data: bytes, origin: str, accepted: str = ACCEPTED) -> InputError:
    """The refusal for content that is no accepted format, saying what it looks like."""
    what = known_other(data) or "unrecognised content"
    return InputError(f"not a format Frontwatch reads ({what}); {accepted}", origin=origin)


def read_bytes(path: Path, limits: Limits | None = None) -> bytes:
    """The file's content, decompressed when it is gzip (by magic number, not by name),
    within the uncompressed-size limit."""
    limits = limits or Limits.from_settings()
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # opening a FIFO would wait for a writer for ever
            raise InputError("not a regular file (a FIFO, device, socket or folder)",
                             origin=str(path))
        size = st.st_size
        # gzip never makes data more than ~0.1 % larger, so a file beyond the limit (plus
        # that margin) cannot decompress to less: refuse it without reading it.
        if size > limits.uncompressed_bytes * 1.001 + 1024:
            raise limits.too_large(str(path))
        with path.open("rb") as f:
            return decompress(f, str(path), limits)
    except FileNotFoundError as exc:  # README: a file that does not exist is `not-found`
        raise NotFound(f"{echo_name(str(path))}: no such file or directory") from exc
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", origin=str(path)) from exc


def strip_bom(data: bytes) -> bytes:
    """The text without a leading UTF-8 byte-order mark (which JSON parsers refuse)."""
    return data[len(BOM):] if data.startswith(BOM) else data


def load_json(data: bytes, origin: str) -> Any:
    data = strip_bom(data)
    if not data or data.isspace():
        raise InputError("file is empty", origin=origin)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"not valid JSON at line {exc.lineno}, column {exc.colno}: "
                         f"{json_reason(exc.msg)}", origin=origin) from None


# The parser's message → our words (its text is never shown: SECURITY.md); first match wins.
JSON_REASONS = (
    ("utf-8", "not UTF-8 text"),
    ("surrogate", "an invalid \\u escape"),
    ("infinity", "a number too large"),
    ("depth", "nested too deeply"),
    ("end of data", "the text ends too early"),
    ("escape", "an invalid escape in a string"),
    ("control character", "a control character in a string"),
    ("after document", "more text after the JSON value"),
    ("number", "an invalid number"),
    ("digit", "an invalid number"),
)


def json_reason(message: str) -> str:
    """What is wrong, in our own words, from orjson's message."""
    low = message.lower()
    return next((ours for key, ours in JSON_REASONS if key in low), "an unexpected character")


def strip_suffixes(name: str) -> str:
    """'1751314076.geojson.gz' → '1751314076'."""
    for suffix in (".gz", ".geojson", ".json"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


def read_vector(data: bytes, origin: str, limits: Limits):
    """A GeoDataFrame in lon/lat (EPSG:4326) from GeoJSON, GeoPackage, FlatGeobuf or a
    zipped Shapefile (decompressed bytes), within the feature and vertex limits."""
    if not data or data.isspace():
        raise InputError("file is empty", origin=origin)
    fmt = sniff(data)
    if fmt is None:
        raise unaccepted(data, origin)
    with staging.private_folder(staging.INPUT) as tmp:
        path = tmp / f"input{fmt.suffix}"
        # No CRS text of the input's reaches GDAL: the CRS is read here and the copy GDAL
        # opens carries the registry's definition or none (ingest/carried_crs.py).
        target = None
        if fmt is SHAPEFILE:
            unzip_shapefile(data, path, origin, limits)
            target = take_prj(path, origin)
        elif fmt is GEOPACKAGE:
            path.write_bytes(data)
            replace_geopackage_crs(path, origin)
        elif fmt is FLATGEOBUF:
            copy, target = replace_flatgeobuf_crs(data, origin)
            path.write_bytes(copy)
        else:
            copy, target = replace_geojson_crs(load_json(data, origin), origin)
            path.write_bytes(copy)
        df = _read_with_driver(fmt, path, origin, limits)
    if fmt is GEOPACKAGE and df.crs is not None:  # the registry's definition we wrote
        target = registered(df.crs, "its CRS is", origin)
    try:
        df = df.set_crs(target or 4326, allow_override=True).to_crs(4326)
    except Exception:
        raise InputError("cannot reproject its coordinate reference system to WGS 84 "
                         "lon/lat", origin=origin) from None
    return df


def take_prj(shp: Path, origin: str):
    """The registered CRS a Shapefile's .prj describes (None for lon/lat or no .prj), read by
    us and then removed, so that GDAL never parses the input's CRS text (GDAL follows a grid
    named in an EXTENSION while it reads a .prj, before any check on its result)."""
    prj = shp.with_suffix(".prj")
    if not prj.exists():
        return None
    with prj.open("rb") as f:
        text = f.read(20_001)
    prj.unlink()
    if not text.strip():
        return None
    return from_wkt(strip_bom(text).decode("utf-8", "replace"), "its .prj holds", origin)


def _read_with_driver(fmt: VectorFormat, path: Path, origin: str, limits: Limits):
    import pyogrio
    import shapely

    target = f"{fmt.driver}:{path}" if fmt.prefixed else str(path)
    most = limits.features + 1 if limits.features is not None else None
    refused = InputError(f"not a readable {fmt.name} file", origin=origin)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # GDAL's notes may quote the content
            if pyogrio.read_info(target)["driver"] != fmt.driver:
                raise refused
            # Geometry alone first, counted in slices, so that an input over the limits is
            # refused before a data frame of it exists.
            _, _, wkb, _ = pyogrio.raw.read(target, columns=[], max_features=most)
            check_features(len(wkb), origin, limits)
            total = 0
            for start in range(0, len(wkb), 1024):
                part = shapely.from_wkb(wkb[start:start + 1024], on_invalid="ignore")
                total += int(shapely.get_num_coordinates(part).sum())
                check_vertices(total, origin, limits)
            del wkb
            return pyogrio.read_dataframe(target, max_features=most)
    except FrontwatchError:
        raise
    except Exception:  # pyogrio's DataSource/Field errors, GEOS errors: never echoed
        raise refused from None


def unzip_shapefile(data: bytes, shp: Path, origin: str, limits: Limits) -> None:
    """Extract the one Shapefile a zip holds as `shp` and its sibling parts, within the
    uncompressed limit; refuse zips with other members, several Shapefiles or a directory
    too large for a Shapefile's few parts."""
    check_zip_directory(data, origin)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception:  # zipfile raises several kinds for a damaged directory
        raise InputError("corrupt zip", origin=origin) from None
    members: dict[str, zipfile.ZipInfo] = {}
    stems = set()
    for info in archive.infolist():
        name = PurePosixPath(info.filename.replace("\\", "/"))
        if info.is_dir() or not name.parts or name.parts[0] == "__MACOSX" \
                or name.name.startswith("._"):
            continue
        suffix = name.suffix.lower()
        if suffix in IGNORED_SIDECARS:
            continue
        if suffix not in SHAPEFILE_PARTS:
            raise InputError(f"zip holds a {brief(suffix or '(no suffix)', 12)} member; a "
                             f"zipped Shapefile holds only {', '.join(SHAPEFILE_PARTS)} "
                             f"(and {', '.join(IGNORED_SIDECARS)}, ignored)", origin=origin)
        if suffix in members:
            raise InputError("zip holds more than one Shapefile; upload one per file",
                             origin=origin)
        if info.flag_bits & 0x1:
            raise InputError("zip is encrypted", origin=origin)
        members[suffix] = info
        stems.add(name.stem.lower())
    missing = [s for s in SHAPEFILE_REQUIRED if s not in members]
    if missing:
        raise InputError(f"zip holds no complete Shapefile (missing {', '.join(missing)})",
                         origin=origin)
    if len(stems) > 1:
        raise InputError("the Shapefile's parts in the zip have different names",
                         origin=origin)
    budget = limits.uncompressed_bytes
    for suffix, info in members.items():
        if info.file_size > budget:
            raise limits.too_large(origin)
        try:
            with archive.open(info) as src, shp.with_suffix(suffix).open("wb") as dst:
                budget -= copy_capped(src, dst, origin, limits, budget)
        except FrontwatchError:
            raise
        except Exception:  # bad headers, CRC, deflate data, unsupported methods
            raise InputError("corrupt zip", origin=origin) from None
    with shp.open("rb") as f:
        if f.read(4) != _SHP_MAGIC:
            raise InputError("the zip's .shp is not a Shapefile", origin=origin)


def check_zip_directory(data: bytes, origin: str, max_members: int = MAX_ZIP_MEMBERS,
                        what: str = "a zipped Shapefile") -> None:
    """Bound the zip's member count and central directory from its end record, before
    zipfile builds an index of them (a zip of a million empty members is small)."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF))
    if at < 0 or len(data) < at + 22:
        raise InputError("corrupt zip", origin=origin)
    members, directory = struct.unpack_from("<HI", data, at + 10)
    if members > max_members or directory > MAX_ZIP_DIRECTORY:
        raise exceeded(f"zip holds too many members for {what}", f"{max_members} members",
                       origin)
