"""Any vector file whose statuses the user gives: GeoJSON (parsed by Frontwatch, as JSON) and
the GDAL formats of ``reader.VECTOR_FORMATS`` (GeoPackage, zipped Shapefile, FlatGeobuf).

The last format of the registry: it takes every JSON input no publisher's format claimed and
every binary input with an accepted magic number. The module has the shape of one format
(frontwatch.ingest.base): :data:`FORMAT`.
"""

from __future__ import annotations

from frontwatch.ingest import dated, reader
from frontwatch.ingest.base import Format, Input
from frontwatch.ingest.vector import geojson_zones, read_features
from frontwatch.model import Snapshot


def _detect(inp: Input) -> bool:
    return inp.is_json or inp.binary is not None


def _read(inp: Input) -> list[Snapshot]:
    source = FORMAT.source(inp.opts)
    if inp.binary is not None:
        feats = read_features(inp.data, inp.name, inp.opts.status, inp.opts.limits)
        return dated.given_statuses(feats, inp, source, inp.binary.name)
    notes: list[str] = []
    feats = geojson_zones(inp.doc, inp.name, inp.opts.limits, notes)
    return dated.given_statuses(feats, inp, source, reader.GEOJSON.name, notes)


FORMAT = Format("vector", ", ".join(f.name for f in reader.VECTOR_FORMATS), _detect, _read,
                (".geojson", ".json", ".gpkg", ".zip", ".fgb"), binary=True)
