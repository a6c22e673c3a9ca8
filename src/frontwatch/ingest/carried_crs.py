"""The CRS a GeoPackage, FlatGeobuf or GeoJSON file carries, read by Frontwatch and replaced
in the private copy GDAL opens, so that no CRS text from an input reaches GDAL's parser.

GDAL parses a file's CRS definition while it opens the file, before anything of ours sees
the result, and PROJ follows what a definition names (a grid, a file, a network resource,
an expensive pipeline). A deny-list of such words cannot be complete, so the rule is
*replace, not filter*: the definition is read here, mapped to a registered CRS (an
authority and a code, see :mod:`frontwatch.ingest.crs`) or refused, and the copy GDAL opens
carries either the registry's own definition of that CRS (GeoPackage) or no CRS at all, the
CRS being applied afterwards (FlatGeobuf, GeoJSON). A Shapefile's ``.prj`` is handled the
same way by ``reader.take_prj``.
"""

from __future__ import annotations

import contextlib
import sqlite3
import struct
from pathlib import Path
from typing import Any

import flatbuffers.number_types as fbn
import orjson
from flatbuffers.table import Table
from pyproj import CRS

from frontwatch.errors import InputError
from frontwatch.ingest.crs import WGS84, from_wkt, geojson_crs, known

# --- GeoPackage --------------------------------------------------------------------------

# SQLite refuses any string or blob longer than this while we read and rewrite the copy: a
# CHECK or generated column of `zeroblob(2e9)` cannot allocate gigabytes.
_SQLITE_MAX_LENGTH = 1 << 20
_MAX_SCHEMA_ENTRIES = 10_000
_MAX_CRSS = 16  # distinct CRSs the feature tables of one GeoPackage may use
_UNDEFINED = "undefined"  # the GeoPackage spec's definition for srs_id -1 and 0
_GPKG_TABLES = ("gpkg_spatial_ref_sys", "gpkg_contents", "gpkg_geometry_columns")


def replace_geopackage_crs(path: Path, origin: str) -> None:
    """Rewrite the CRS table of the private GeoPackage copy at `path`: every CRS a feature
    table uses, read from its authority code (GDAL's own preference) or else its WKT, is
    mapped to a registered CRS or refused; the table is then dropped and made anew with only
    the registry's definitions (and the spec's two `undefined` rows), so GDAL parses no
    text of the input's. Also refused: SQL views and generated columns (queries GDAL would
    run on read). Triggers are dropped from the copy before anything is written."""
    unreadable = InputError("not a readable GeoPackage file", origin=origin)
    try:
        db = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error:
        raise unreadable from None
    with contextlib.closing(db):
        try:
            _harden(db)
            schema = db.execute("SELECT type, name, sql FROM sqlite_master LIMIT ?",
                                (_MAX_SCHEMA_ENTRIES + 1,)).fetchall()
            _check_schema(schema, origin)
            if db.execute("SELECT 1 FROM sqlite_master AS m, pragma_table_xinfo(m.name) AS x "
                          "WHERE m.type = 'table' AND x.hidden IN (2, 3) LIMIT 1").fetchone():
                raise InputError("a GeoPackage with generated columns is not accepted: only "
                                 "tables of features", origin=origin)
            used = _used_crss(db, origin)
            db.execute("BEGIN")
            for kind, name, _ in schema:
                if kind == "trigger":
                    db.execute(f"DROP TRIGGER IF EXISTS {_quoted(name)}")
            _write_registry_table(db, used)
            db.execute("COMMIT")
        except InputError:
            raise
        except (sqlite3.Error, ValueError, TypeError):
            raise unreadable from None


def _harden(db: sqlite3.Connection) -> None:
    """SQLite's advice for database files from elsewhere ("defense against the dark arts"):
    no SQL function with side effects from the schema, cells checked, no foreign-key
    actions, bounded strings."""
    db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, _SQLITE_MAX_LENGTH)
    # secure_delete: the dropped CRS table's text is overwritten, not left in free pages
    for pragma in ("trusted_schema = OFF", "cell_size_check = ON", "foreign_keys = OFF",
                   "recursive_triggers = OFF", "secure_delete = ON"):
        db.execute(f"PRAGMA {pragma}")


def _check_schema(schema: list[tuple[str, str, str | None]], origin: str) -> None:
    if not all(isinstance(name, str) and isinstance(sql, str | None)
               for _, name, sql in schema):
        raise InputError("not a readable GeoPackage file", origin=origin)
    if len(schema) > _MAX_SCHEMA_ENTRIES:
        raise InputError(f"a GeoPackage with more than {_MAX_SCHEMA_ENTRIES:,} tables, "
                         "indexes and triggers is not accepted", origin=origin)
    # A view is a query GDAL runs when it reads the layer (a 96 KB file's recursive view
    # ran for minutes, another's `zeroblob` took 2 GB).
    if any(kind == "view" for kind, _, _ in schema):
        raise InputError("a GeoPackage holding SQL views is not accepted: only tables of "
                         "features", origin=origin)
    tables = {name.lower(): (sql or "") for kind, name, sql in schema if kind == "table"}
    for name in _GPKG_TABLES:
        if name not in tables or tables[name].lstrip()[:14].upper() == "CREATE VIRTUAL":
            raise InputError("not a readable GeoPackage file", origin=origin)


def _used_crss(db: sqlite3.Connection, origin: str) -> dict[int, CRS | None]:
    """srs_id → registered CRS of every CRS a feature table uses (None: undefined)."""
    ids = [r[0] for r in db.execute("SELECT DISTINCT srs_id FROM gpkg_geometry_columns "
                                    "LIMIT ?", (_MAX_CRSS + 1,))]
    if len(ids) > _MAX_CRSS:
        raise InputError(f"its feature tables use more than {_MAX_CRSS} CRSs", origin=origin)
    columns = {r[1] for r in db.execute("SELECT * FROM pragma_table_info("
                                        "'gpkg_spatial_ref_sys')")}
    wkt2 = "definition_12_063" if "definition_12_063" in columns else "NULL"
    used: dict[int, CRS | None] = {}
    for srs_id in ids:
        if not isinstance(srs_id, int):
            raise InputError("its geometry table names no valid srs_id", origin=origin)
        row = db.execute("SELECT organization, organization_coordsys_id, definition, "
                         f"{wkt2} FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
                         (srs_id,)).fetchone()
        used[srs_id] = None if row is None else _geopackage_row_crs(srs_id, row, origin)
    return used


def _geopackage_row_crs(srs_id: int, row: tuple[Any, ...], origin: str) -> CRS | None:
    """The registered CRS one gpkg_spatial_ref_sys row describes, in GDAL's order: the
    EPSG code when the organisation is EPSG (its text then unread: GDAL writes EPSG:3857
    with a PROJ string in it), else the WKT (2019 if present, else 1), which `from_wkt`
    checks and identifies."""
    what = "its CRS table holds"
    organization, code, definition, definition_12_063 = (
        v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in row)
    texts = [t for t in (definition_12_063, definition)
             if isinstance(t, str) and t.strip() and t.strip().lower() != _UNDEFINED]
    if srs_id in (-1, 0) or (not texts and str(organization).upper() == "NONE"):
        return None
    if str(organization).upper() == "EPSG" and str(code).isascii() and str(code).isdigit():
        return known(f"EPSG:{int(code)}", "its CRS table names", origin) or WGS84
    if not texts:
        raise InputError(f"{what} no CRS definition for srs_id {srs_id}", origin=origin)
    return from_wkt(texts[0], what, origin) or WGS84


def _write_registry_table(db: sqlite3.Connection, used: dict[int, CRS | None]) -> None:
    has_wkt2 = any(r[1] == "definition_12_063" for r in db.execute(
        "SELECT * FROM pragma_table_info('gpkg_spatial_ref_sys')"))
    db.execute("DROP TABLE gpkg_spatial_ref_sys")
    db.execute("CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER "
               "PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER "
               "NOT NULL, definition TEXT NOT NULL, description TEXT"
               + (", definition_12_063 TEXT NOT NULL" if has_wkt2 else "") + ")")
    rows = {-1: ("Undefined cartesian SRS", -1, "NONE", -1, _UNDEFINED, _UNDEFINED),
            0: ("Undefined geographic SRS", 0, "NONE", 0, _UNDEFINED, _UNDEFINED)}
    for srs_id, crs in used.items():
        if crs is None:
            rows.setdefault(srs_id, (_UNDEFINED, srs_id, "NONE", srs_id, _UNDEFINED,
                                     _UNDEFINED))
            continue
        authority, code = crs.to_authority() or ("EPSG", "4326")
        rows[srs_id] = (crs.name, srs_id, authority, int(code), crs.to_wkt("WKT1_GDAL"),
                        crs.to_wkt())
    values = [(*r[:5], None, r[5]) if has_wkt2 else (*r[:5], None) for r in rows.values()]
    db.executemany(f"INSERT INTO gpkg_spatial_ref_sys VALUES "
                   f"({', '.join('?' * len(values[0]))})", values)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- FlatGeobuf --------------------------------------------------------------------------

# Slots (vtable offsets) in FlatGeobuf's header.fbs: Header.crs is field 10; Crs.org 0,
# Crs.code 1, Crs.wkt 4, Crs.code_string 5 (name and description between them).
_HEADER_CRS, _CRS_ORG, _CRS_CODE, _CRS_WKT, _CRS_CODE_STRING = 24, 4, 6, 12, 14
_FGB_HEADER_AT = 12  # 8 bytes of magic, then the header's size as a little-endian uint32


def replace_flatgeobuf_crs(data: bytes, origin: str) -> tuple[bytes, CRS | None]:
    """The FlatGeobuf with no CRS in its header, and the registered CRS the header named
    (None for lon/lat or none). Read as GDAL reads it: the EPSG code when the organisation
    is EPSG or absent, another authority's code, else the WKT. The header keeps its size
    (only the field's vtable entry is cleared), so the index and features are unchanged."""
    unreadable = InputError("not a readable FlatGeobuf file", origin=origin)
    if len(data) < _FGB_HEADER_AT + 8:
        raise unreadable
    (size,) = struct.unpack_from("<I", data, 8)
    header = bytearray(data[_FGB_HEADER_AT:_FGB_HEADER_AT + size])
    try:
        root = _table(header, _get(header, fbn.UOffsetTFlags, 0))
        at = _field(root, _HEADER_CRS)
        if not at:
            return data, None
        crs = _table(header, root.Indirect(root.Pos + at))
        org, code, wkt = (_string(crs, _CRS_ORG), _int(crs, _CRS_CODE),
                          _string(crs, _CRS_WKT))
        for slot in range(_CRS_ORG, _CRS_CODE_STRING + 2, 2):  # its texts zeroed too
            if slot != _CRS_CODE and (at_text := _field(crs, slot)):
                start, length = _text_span(crs, at_text)
                header[start:start + length] = bytes(length)
        vtable = root.Pos - _get(header, fbn.SOffsetTFlags, root.Pos)
        struct.pack_into("<H", header, vtable + _HEADER_CRS, 0)
    except (struct.error, IndexError, UnicodeDecodeError, ValueError):
        raise unreadable from None
    target = _flatgeobuf_crs(org, code, wkt, origin)
    return data[:_FGB_HEADER_AT] + bytes(header) + data[_FGB_HEADER_AT + size:], target


def _flatgeobuf_crs(org: str | None, code: int, wkt: str | None, origin: str) -> CRS | None:
    what = "its header names"
    if code and (org is None or org.upper() == "EPSG"):
        return known(f"EPSG:{code}", what, origin)
    if code and org:
        try:
            return known(f"{org}:{code}", what, origin)
        except InputError:
            if not wkt:
                raise
    if wkt:
        return from_wkt(wkt, "its header holds", origin)
    return None


def _get(buf: bytearray, flags: Any, at: int) -> int:
    """A number at `at`, refusing positions outside the buffer (Python would wrap a
    negative one round to the end)."""
    if at < 0 or at + flags.bytewidth > len(buf):
        raise ValueError("offset outside the FlatGeobuf header")
    return int(flags.packer_type.unpack_from(buf, at)[0])


def _table(buf: bytearray, pos: int) -> Table:
    _get(buf, fbn.SOffsetTFlags, pos)
    table = Table(buf, pos)
    vtable = pos - _get(buf, fbn.SOffsetTFlags, pos)
    _get(buf, fbn.VOffsetTFlags, vtable + _get(buf, fbn.VOffsetTFlags, vtable) - 2)
    return table


def _field(table: Table, slot: int) -> int:
    at = table.Offset(slot)
    if at:
        _get(table.Bytes, fbn.UOffsetTFlags, table.Pos + at)
    return at


def _text_span(table: Table, at: int) -> tuple[int, int]:
    """(start, length) of the string a field at `at` points to, inside the buffer."""
    start = table.Pos + at + _get(table.Bytes, fbn.UOffsetTFlags, table.Pos + at)
    length = _get(table.Bytes, fbn.UOffsetTFlags, start)
    if start + 4 + length > len(table.Bytes):
        raise ValueError("string outside the FlatGeobuf header")
    return start + 4, length


def _string(table: Table, slot: int) -> str | None:
    at = _field(table, slot)
    if not at:
        return None
    _text_span(table, at)
    return table.String(table.Pos + at).decode("utf-8")


def _int(table: Table, slot: int) -> int:
    at = _field(table, slot)
    return _get(table.Bytes, fbn.Int32Flags, table.Pos + at) if at else 0


# --- GeoJSON -----------------------------------------------------------------------------

def replace_geojson_crs(doc: Any, origin: str) -> tuple[bytes, CRS | None]:
    """The GeoJSON document re-serialised with no ``crs`` member, and the registered CRS its
    top-level ``crs`` names (None for lon/lat or none). GDAL reads a ``crs`` member in any
    letter case, and on each geometry too: such members are refused, since Frontwatch reads
    only the top-level ``crs`` (RFC 7946 members are case-sensitive)."""
    target = geojson_crs(doc, origin)
    if isinstance(doc, dict):
        doc = {k: v for k, v in doc.items() if k != "crs"}
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if any(isinstance(k, str) and k.lower() == "crs" for k in item):
                raise InputError("a 'crs' member inside a feature or geometry, or spelt other "
                                 "than 'crs', is not read: name the CRS once, in the "
                                 "top-level 'crs' member", origin=origin)
            stack.extend(v for k, v in item.items() if k in ("features", "geometry",
                                                              "geometries"))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, dict))
    return orjson.dumps(doc), target
