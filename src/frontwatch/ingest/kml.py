"""KML and KMZ: DeepStateMap's own export, Google My Maps, hand-made files.

Every Placemark is a feature, whatever Document or Folder it sits in (folders are walked; the
folder path is kept as the ``folder`` property). Its properties are what a user may take the
status from: ``name``, ``description``, ``styleUrl`` (``--status-field styleUrl``; My Maps
colours each layer by style) and every ExtendedData ``Data``/``SimpleData`` value. Altitudes
are dropped: zones are 2-D.

A KML is hostile input like any other: it is parsed by defusedxml (no DTD, no entity
expansion, nothing fetched: NetworkLinks and external styles are ignored), never by GDAL's
LIBKML driver. A KMZ is a zip holding the KML (``doc.kml``, or its one ``.kml``); only that
member is inflated, within the uncompressed-size limit.

The module has the shape of one format (frontwatch.ingest.base): :data:`FORMAT`. Statuses
come from `--status`/`--status-field`, except in DeepStateMap's own export, which is read by
its placemark names like its API files.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
import shapely
from defusedxml import DefusedXmlException

from frontwatch.errors import FrontwatchError, InputError, described
from frontwatch.ingest import dated, deepstate
from frontwatch.ingest.base import Format, Input
from frontwatch.ingest.limits import (
    Limits,
    check_features,
    check_markup,
    check_vertices,
    read_capped,
)
from frontwatch.ingest.reader import check_zip_directory, strip_bom
from frontwatch.model import Snapshot

LABEL = "KML/KMZ"
ZIP_MAGIC = b"PK\x03\x04"
# A KMZ from Google Earth or My Maps holds its KML and some icons.
MAX_KMZ_MEMBERS = 256
MAX_DEPTH = 100  # folders in folders; a real map nests a handful
# (A DOCTYPE is recognised here so that the parser can refuse it by name.)
_KML_ROOT = re.compile(rb"^\s*(<\?xml[^>]*\?>\s*)?((<!--.*?-->|<!DOCTYPE[^\[>]*(\[.*?\])?\s*>)"
                       rb"\s*)*<(\w+:)?kml[\s>]", re.S)
_CONTAINERS = ("Document", "Folder")
_GEOMETRIES = ("Polygon", "MultiGeometry", "Point", "LineString", "LinearRing")

Feature = tuple[dict, Any]


def detect(data: bytes) -> bool:
    """KML text (a `<kml>` root, after an optional BOM, XML declaration and comments) or a
    KMZ (a zip whose directory lists a `.kml` member)."""
    return bool(_KML_ROOT.match(strip_bom(data[:4096]))) or _is_kmz(data)


def read(data: bytes, origin: str, limits: Limits) -> list[Feature]:
    """(properties, geometry in lon/lat) of every Placemark, in document order."""
    if data[:4] == ZIP_MAGIC:
        data = _unzip_kml(data, origin, limits)
    check_markup(data, origin, limits)
    try:
        root = SafeET.fromstring(strip_bom(data), forbid_dtd=True)
    except DefusedXmlException:
        raise InputError("KML declares a DTD or entities, which are refused", origin=origin
                         ) from None
    except ParseError as exc:
        raise InputError(f"not well-formed XML (line {exc.position[0]})", origin=origin
                         ) from None
    if _local(root.tag) != "kml":
        raise InputError("XML root is not <kml>", origin=origin)
    _check_depth(root, origin)
    out: list[Feature] = []
    vertices = [0]
    _walk(root, [], out, vertices, origin, limits)
    return out


def _check_depth(root: Element, origin: str) -> None:
    """Refuse nesting deeper than any map needs, before the recursive walk meets it."""
    stack = [(root, 0)]
    while stack:
        elem, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(f"XML nested deeper than {MAX_DEPTH} elements", origin=origin)
        stack.extend((c, depth + 1) for c in elem)


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(elem: Element, name: str) -> Element | None:
    return next((c for c in elem if _local(c.tag) == name), None)


def _text(elem: Element | None) -> str | None:
    if elem is None or elem.text is None:
        return None
    return elem.text.strip() or None


def _walk(elem: Element, folders: list[str], out: list[Feature], vertices: list[int],
          origin: str, limits: Limits) -> None:
    for child in elem:
        tag = _local(child.tag)
        if tag in _CONTAINERS:
            name = _text(_child(child, "name"))
            inner = [*folders, name] if tag == "Folder" and name else folders
            _walk(child, inner, out, vertices, origin, limits)
        elif tag == "Placemark":
            check_features(len(out) + 1, origin, limits)
            out.append(_placemark(child, folders, len(out), vertices, origin, limits))
        elif tag == "kml":
            _walk(child, folders, out, vertices, origin, limits)


def _placemark(pm: Element, folders: list[str], i: int, vertices: list[int], origin: str,
               limits: Limits) -> Feature:
    props: dict[str, Any] = {}
    for key in ("name", "description", "styleUrl"):
        value = _text(_child(pm, key))
        if value is not None:
            props[key] = value
    if folders:
        props["folder"] = "/".join(folders)
    extended = _child(pm, "ExtendedData")
    if extended is not None:
        for item in extended.iter():
            tag = _local(item.tag)
            if tag == "Data" and item.get("name"):
                props.setdefault(item.get("name"), _text(_child(item, "value")))
            elif tag == "SimpleData" and item.get("name"):
                props.setdefault(item.get("name"), _text(item))
    geom_elem = next((c for c in pm if _local(c.tag) in _GEOMETRIES), None)
    geom = None if geom_elem is None else _geometry(geom_elem, i, vertices, origin, limits)
    return props, geom


def _geometry(elem: Element, i: int, vertices: list[int], origin: str, limits: Limits
              ) -> Any:
    tag = _local(elem.tag)
    if tag == "MultiGeometry":
        parts = [_geometry(c, i, vertices, origin, limits) for c in elem
                 if _local(c.tag) in _GEOMETRIES]
        parts = [p for p in parts if p is not None]
        if parts and all(p.geom_type in ("Polygon", "MultiPolygon") for p in parts):
            return shapely.MultiPolygon([q for p in parts for q in getattr(p, "geoms", [p])])
        return shapely.GeometryCollection(parts) if parts else None
    if tag == "Polygon":
        outer = _ring(elem, "outerBoundaryIs", i, vertices, origin, limits)
        if not outer:
            raise InputError(f"placemark {i}: Polygon has no outerBoundaryIs ring",
                             origin=origin)
        holes = _ring(elem, "innerBoundaryIs", i, vertices, origin, limits)
        return shapely.Polygon(outer[0], holes)
    coords = _coordinates(_child(elem, "coordinates"), i, vertices, origin, limits)
    if tag == "Point":
        return shapely.Point(coords[0]) if coords else None
    if len(coords) < 2:
        raise InputError(f"placemark {i}: {tag} has fewer than 2 positions", origin=origin)
    return shapely.LineString(coords) if tag == "LineString" else shapely.Polygon(coords)


def _ring(polygon: Element, boundary: str, i: int, vertices: list[int], origin: str,
          limits: Limits) -> list[list[tuple[float, float]]]:
    rings = []
    for b in polygon:
        if _local(b.tag) != boundary:
            continue
        for ring in b:
            if _local(ring.tag) == "LinearRing":
                coords = _coordinates(_child(ring, "coordinates"), i, vertices, origin, limits)
                if len(coords) < 3:
                    raise InputError(f"placemark {i}: a ring has fewer than 3 positions",
                                     origin=origin)
                rings.append(coords)
    return rings


def _coordinates(elem: Element | None, i: int, vertices: list[int], origin: str,
                 limits: Limits) -> list[tuple[float, float]]:
    """`lon,lat[,alt] lon,lat[,alt] …` → [(lon, lat), …]: altitude dropped."""
    tuples = (_text(elem) or "").split()
    vertices[0] += len(tuples)
    check_vertices(vertices[0], origin, limits)
    out = []
    for n, t in enumerate(tuples):
        parts = t.split(",")
        try:
            if len(parts) not in (2, 3):
                raise ValueError
            out.append((float(parts[0]), float(parts[1])))
        except ValueError:
            raise InputError(f"placemark {i}: coordinate {n} is not lon,lat[,alt] {described(t)}",
                             origin=origin) from None
    return out


def _is_kmz(data: bytes) -> bool:
    if data[:4] != ZIP_MAGIC:
        return False
    try:
        check_zip_directory(data, "", MAX_KMZ_MEMBERS, "a KMZ")
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return any(n.lower().endswith(".kml") for n in z.namelist())
    except Exception:  # not a readable zip: left to the Shapefile reader's refusal
        return False


def _unzip_kml(data: bytes, origin: str, limits: Limits) -> bytes:
    """The KMZ's KML: `doc.kml` at its root, else its only `.kml`; within the limit."""
    check_zip_directory(data, origin, MAX_KMZ_MEMBERS, "a KMZ")
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        kmls = [i for i in z.infolist() if i.filename.lower().endswith(".kml")
                and not i.is_dir()]
    except Exception:
        raise InputError("corrupt zip", origin=origin) from None
    main = next((i for i in kmls if i.filename.lower() == "doc.kml"), None)
    if main is None:
        if len(kmls) != 1:
            raise InputError(f"KMZ holds {len(kmls)} .kml files and no doc.kml: which one is "
                             "the map is unclear", origin=origin)
        main = kmls[0]
    if main.flag_bits & 0x1:
        raise InputError("zip is encrypted", origin=origin)
    if main.file_size > limits.uncompressed_bytes:
        raise limits.too_large(origin)
    try:
        with z.open(main) as src:
            return read_capped(src, origin, limits)
    except FrontwatchError:
        raise
    except Exception:  # bad headers, CRC, deflate data, unsupported methods
        raise InputError("corrupt zip", origin=origin) from None


def _snapshots(inp: Input) -> list[Snapshot]:
    feats = read(inp.data, inp.name, inp.opts.limits)
    if not inp.by_status and _deepstate_export(feats):
        if inp.opts.date is None:
            raise InputError("this format carries no date: pass --date YYYY-MM-DD",
                             origin=inp.name)
        return [deepstate.read(feats, inp.name, inp.opts.date,
                               inp.opts.source or deepstate.SOURCE)]
    return dated.given_statuses(feats, inp, FORMAT.source(inp.opts), LABEL)


def _deepstate_export(feats: list[Feature]) -> bool:
    """DeepStateMap's own export names its placemarks as its API does: at least half of them
    carry its keys (``… /// geoJSON.status.occupied``) or its bilingual ``///`` form, and they
    read as its vocabulary. A hand-made KML whose names merely contain a word such as
    "occupied" ("Not occupied", "Russian advance") is not read by its names: its statuses
    must be given (`--status`, `--status-field`)."""
    names = [str(p.get("name") or "") for p, _ in feats]
    named = [n for n in names if n.strip()]
    marked = sum(1 for n in named if "///" in n or "geojson." in n.lower())
    return bool(named) and marked * 2 >= len(named) and deepstate.is_deepstate(
        {"type": "FeatureCollection", "features": [{"properties": {"name": n}} for n in names]})


# KML has no publisher of its own: name the source with --source.
FORMAT = Format("kml", LABEL, lambda inp: detect(inp.data), _snapshots, (".kml", ".kmz"),
                json=False)
