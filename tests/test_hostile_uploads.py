"""Hostile inputs, uploaded (POST /v1/snapshots with the write token) and imported
(`frontwatch import`): VRTs reaching for server files or URLs, bombs, zips hiding other
formats, formats Frontwatch does not document, and inputs over the feature and vertex
limits. Each is refused with a 4xx problem+json (413 naming the limit) or CLI exit 1 with
one line, naming the file and the reason and never repeating its content; the store is
unchanged and the server still answers. Refused inputs cost under 100 MB of memory."""

from __future__ import annotations

import gzip
import http.server
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient

from frontwatch.settings import Settings
from frontwatch.store import open_store
from tests import hostile as h
from tests.helpers import (
    GREY,
    OCC,
    cli_in_process,
    deepstate_fc,
    free_port,
    square,
    wait_until_serving,
)

TOKEN = "s3cret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# Small limits keep the bombs small; the memory test below runs with the defaults.
LIMITS = {"FRONTWATCH_MAX_UNCOMPRESSED_MB": "2", "FRONTWATCH_MAX_FEATURES": "50",
          "FRONTWATCH_MAX_VERTICES": "2000"}
VECTOR = {"status": "occupied", "date": "2025-06-01"}
NOT_ACCEPTED = "not a format Frontwatch reads"
PASSWD_LINE = (Path(h.PASSWD).read_text().splitlines() or ["root:x:0:0"])[0] \
    if Path(h.PASSWD).exists() else "root:x:0:0"


@dataclass(frozen=True)
class Case:
    """One hostile input: its bytes, the name it arrives under, the options given with it,
    and the refusal expected (status, a pattern of the message)."""

    id: str
    build: Callable[[], bytes]
    name: str
    status: int
    message: str
    params: dict[str, str] = field(default_factory=dict)


CASES = [
    # formats that can reach outside the upload
    Case("vrt-csv-passwd", lambda: h.vrt(f"CSV:{h.PASSWD}"), "zones.vrt", 400,
         NOT_ACCEPTED + r".*XML", VECTOR),
    Case("vrt-vsicurl", lambda: h.vrt("/vsicurl/http://127.0.0.1:9/zones.geojson", "zones"),
         "remote.vrt", 400, NOT_ACCEPTED, VECTOR),
    Case("vrt-named-geojson", lambda: h.vrt(f"CSV:{h.PASSWD}"), "1719835200.geojson", 400,
         NOT_ACCEPTED + r".*XML"),
    Case("vrt-named-gpkg", lambda: h.vrt(f"CSV:{h.PASSWD}"), "zones.gpkg", 400,
         NOT_ACCEPTED, VECTOR),
    Case("gpkg-view-running-forever", h.gpkg_with_view, "zones.gpkg", 400,
         "holding SQL views is not accepted", VECTOR),
    Case("gpkg-virtualogr-passwd", h.gpkg_reaching_out, "zones.gpkg", 400,
         "not a readable GeoPackage", VECTOR),
    Case("zip-with-vrt", lambda: h.zip_of(("zones.vrt", h.vrt(f"CSV:{h.PASSWD}"))),
         "zones.zip", 400, r"'\.vrt' member", VECTOR),
    Case("shapefile-zip-with-vrt-sidecar",
         lambda: h.shapefile_zip(h.frame(), (("zones.vrt", h.vrt(f"CSV:{h.PASSWD}")),)),
         "zones.zip", 400, r"'\.vrt' member", VECTOR),
    Case("zip-with-gpkg", lambda: h.zip_of(("zones.gpkg", h.vector_bytes(h.frame(), ".gpkg"))),
         "zones.zip", 400, r"'\.gpkg' member", VECTOR),
    Case("zip-two-shapefiles",
         lambda: h.shapefile_zip(h.frame(), (("other/zones.shp", b"\0" * 100),)),
         "zones.zip", 400, "more than one Shapefile", VECTOR),
    # a CRS is taken by its identifier only: PROJ would open what a PROJ string or WKT names
    Case("geojson-crs-proj-grid", lambda: h.geojson_with_crs(h.GRID_PROJ), "zones.geojson",
         400, r"'crs' member names a PROJ string \(\d+ characters\): only a CRS identifier",
         VECTOR),
    Case("geojson-crs-file-path", lambda: h.geojson_with_crs(h.PASSWD), "zones.geojson", 400,
         r"'crs' member names a file path", VECTOR),
    Case("geojson-crs-wkt-grid", lambda: h.geojson_with_crs(h.grid_wkt("WKT1_GDAL")),
         "zones.geojson", 400, r"'crs' member names a WKT", VECTOR),
    Case("esrijson-wkt-grid", lambda: h.esrijson_with_wkt(h.grid_wkt()), "query.json", 400,
         r"'spatialReference' names a CRS definition that refers to a grid file",
         {"date": "2025-06-01"}),
    Case("shapefile-prj-grid", h.shapefile_with_grid_prj, "zones.zip", 400,
         r"its \.prj holds a CRS definition that refers to a grid file", VECTOR),
    # a CRS a file carries is read by Frontwatch, never parsed by GDAL (test_crs_carried)
    Case("gpkg-crs-bound-to-a-grid", lambda: h.geopackage_with_crs(
        h.frame().to_crs(32637), h.BOUND_NTV2, "NONE"), "zones.gpkg", 400,
         "its CRS table holds a CRS with no EPSG code", VECTOR),
    Case("fgb-crs-bound-to-a-grid", lambda: h.flatgeobuf_with_wkt(
        h.frame().to_crs(h.CUSTOM), h.BOUND_NTV2), "zones.fgb", 400,
         "its header holds a CRS with no EPSG code", VECTOR),
    Case("geojson-crs-other-case", lambda: h.geojson_with_crs("EPSG:3857").replace(
        b'"crs"', b'"CRS"'), "zones.geojson", 400, "spelt other than 'crs'", VECTOR),
    Case("gpkg-generated-column", h.gpkg_with_generated_column, "zones.gpkg", 400,
         "generated columns is not accepted", VECTOR),
    # formats Frontwatch does not document
    Case("csv-with-wkt", lambda: f'WKT,state\n"POLYGON((38 48,39 48,39 49,38 48))",'
         f'{h.MARKER}\n'.encode(), "zones.csv", 400, NOT_ACCEPTED, VECTOR),
    Case("kml-external-entity", lambda: f'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x '
         f'SYSTEM "file://{h.PASSWD}">]><kml><Placemark><name>&x;{h.MARKER}</name>'
         '</Placemark></kml>'.encode(), "zones.kml", 400, "DTD or entities", VECTOR),
    Case("kml-billion-laughs", lambda: ('<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "'
         + h.MARKER + '">' + "".join(f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10
                                     + '">' for i in range(9))
         + ']><kml><Document><name>&j;</name></Document></kml>').encode(), "zones.kml", 400,
         "DTD or entities", VECTOR),
    Case("kml-deep-folders", lambda: (b'<kml>' + b"<Folder>" * 5000 + b"</Folder>" * 5000
                                      + b"</kml>"), "zones.kml", 400, "nested deeper",
         VECTOR),
    # breaker trial: 15.6 MB of empty elements took 900 MB as a tree before any limit
    Case("kml-many-elements", lambda: b"<kml>" + b"<a/>" * 200_000 + b"</kml>", "zones.kml",
         413, "more than 100,000 XML tags.*FRONTWATCH_MAX_FEATURES", VECTOR),
    Case("kmz-bomb", lambda: h.zip_bomb(64 << 20, member="doc.kml"), "zones.kmz", 413,
         "FRONTWATCH_MAX_UNCOMPRESSED_MB", VECTOR),
    Case("xml-not-kml", lambda: f'<?xml version="1.0"?><html>{h.MARKER}</html>'.encode(),
         "zones.kml", 400, NOT_ACCEPTED + r".*XML", VECTOR),
    Case("gml", lambda: f'<gml:FeatureCollection xmlns:gml="http://www.opengis.net/gml">'
         f'{h.MARKER}</gml:FeatureCollection>'.encode(), "zones.gml", 400, NOT_ACCEPTED,
         VECTOR),
    Case("sqlite-not-gpkg", h.sqlite_not_gpkg, "zones.gpkg", 400,
         "SQLite database that is not a GeoPackage", VECTOR),
    Case("wrong-magic-gpkg", lambda: b"\x00GPKG?" + h.MARKER.encode() * 50, "zones.gpkg", 400,
         NOT_ACCEPTED, VECTOR),
    Case("gpkg-truncated", lambda: h.vector_bytes(h.frame(3), ".gpkg")[:6000], "zones.gpkg",
         400, "not a readable GeoPackage", VECTOR),
    Case("fgb-truncated", lambda: h.vector_bytes(h.frame(3), ".fgb")[:300], "zones.fgb", 400,
         "not a readable FlatGeobuf", VECTOR),
    Case("bare-shp", lambda: b"\x00\x00\x27\x0a" + bytes(96), "zones.shp", 400, "bare .shp",
         VECTOR),
    Case("topojson", lambda: orjson.dumps({"type": "Topology", "objects": {}, "arcs": []}),
         "zones.json", 400, "not a GeoJSON FeatureCollection", VECTOR),
    # a name of non-ASCII digits is no publication time (int() would read them)
    Case("fullwidth-digits-name", lambda: gzip.compress(h.deepstate_json((OCC, square()))),
         "\uff11\uff17\uff15\uff11\uff13\uff11\uff14\uff10\uff17\uff16.geojson.gz", 400,
         "no publication time"),
    Case("math-bold-digits-name", lambda: h.deepstate_json((OCC, square())),
         "".join(chr(0x1D7CE + int(c)) for c in "1751314076") + ".geojson", 400,
         "no publication time"),
    # bombs and sizes
    Case("gzip-bomb", lambda: h.gzip_bomb(64 << 20), "1719835200.geojson.gz", 413,
         "larger than 2 MB uncompressed.*FRONTWATCH_MAX_UNCOMPRESSED_MB"),
    Case("nested-gzip", lambda: gzip.compress(gzip.compress(h.deepstate_json())),
         "1719835200.geojson.gz", 400, "gzip inside gzip"),
    Case("zip-bomb", lambda: h.zip_bomb(64 << 20), "zones.zip", 413,
         "FRONTWATCH_MAX_UNCOMPRESSED_MB", VECTOR),
    Case("zip-bomb-understated", lambda: h.zip_bomb(64 << 20, declared=1000), "zones.zip",
         400, "corrupt zip", VECTOR),
    Case("zip-many-members", lambda: h.zip_many_members(5000), "zones.zip", 413,
         "too many members", VECTOR),
    Case("plain-over-limit", lambda: b" " * (3 << 20) + h.deepstate_json(),
         "1719835200.geojson", 413, "FRONTWATCH_MAX_UNCOMPRESSED_MB"),
    Case("too-many-features-json",
         lambda: orjson.dumps(deepstate_fc(*[(OCC, square(0.001 * i)) for i in range(51)])),
         "1719835200.geojson", 413, "more than 50 features.*FRONTWATCH_MAX_FEATURES"),
    Case("too-many-features-gpkg", lambda: h.vector_bytes(h.frame(51), ".gpkg"), "zones.gpkg",
         413, "more than 50 features.*FRONTWATCH_MAX_FEATURES", VECTOR),
    Case("too-many-vertices-json", lambda: h.deepstate_json((OCC, h.ring(2001, z=True))),
         "1719835200.geojson", 413, "more than 2,000 vertices.*FRONTWATCH_MAX_VERTICES"),
    Case("too-many-vertices-fgb", lambda: h.vector_bytes(h.frame(ring=h.ring(2001)), ".fgb"),
         "zones.fgb", 413, "more than 2,000 vertices.*FRONTWATCH_MAX_VERTICES", VECTOR),
    Case("json-values-bomb", lambda: h.values_bomb(300_000), "zones.geojson", 413,
         "JSON holds more values", VECTOR),
    # values a parser or a geometry library may choke on
    Case("enormous-coordinates",
         lambda: h.deepstate_json((OCC, [[x * 1e9, y] for x, y in square()])),
         "1719835200.geojson", 400, "out of lon/lat range"),
    Case("infinite-number", lambda: h.deepstate_json().replace(b"38.0", b"1e400", 1),
         "1719835200.geojson", 400, "not valid JSON"),
    Case("nan-json", lambda: h.deepstate_json().replace(b"38.0", b"NaN", 1),
         "1719835200.geojson", 400, "not valid JSON"),
    Case("nan-gpkg", lambda: h.vector_bytes(h.frame(ring=[
        [38.0, 48.6], [float("nan"), 48.6], [38.1, 48.7], [38.0, 48.6]]), ".gpkg"),
         "zones.gpkg", 400, "NaN or infinite", VECTOR),
    Case("deeply-nested-json", lambda: h.nested_json(5000), "1719835200.geojson", 400,
         "not valid JSON"),
    Case("deeply-nested-geometry", lambda: orjson.dumps(deepstate_fc(
        (OCC, [[[38.0, 48.6]]]))).replace(b"[[[[38.0,48.6]]]]",
                                         b"[" * 900 + b"38.0" + b"]" * 900), "1719835200.geojson",
         400, "malformed geometry"),
    Case("huge-name-string", lambda: h.deepstate_json((h.MARKER * 80_000, square())),
         "1719835200.geojson", 400, "no control zones"),
    Case("huge-status-value",
         lambda: h.vector_bytes(h.frame(state=h.MARKER * 10_000), ".gpkg"), "zones.gpkg", 400,
         r"unknown status \(a 190,000-character value\)",
         {"status_field": "state", "date": "2025-06-01"}),
    Case("binary-named-geojson", lambda: bytes(range(256)) * 4, "1719835200.geojson", 400,
         "not valid JSON"),
    Case("empty-file", lambda: b"", "1719835200.geojson", 400, "empty"),
    Case("whitespace-only", lambda: b" \n\t " * 1000, "zones.gpkg", 400, "empty", VECTOR),
    # breaker trial 7: the parser's words and the file's content stay out of every message
    Case("json-number-too-large", lambda: h.deepstate_json().replace(b"38.0", b"1e400", 1),
         "1719835200.geojson", 400, r"not valid JSON at line 1, column \d+: a number too large"),
    Case("json-lone-surrogate", lambda: h.deepstate_json().replace(
        b'"properties":{', b'"properties":{"note":"\\ud800",', 1), "1719835200.geojson",
         400, r"not valid JSON at line 1, column \d+: an invalid \\u escape"),
    Case("json-not-utf8", lambda: h.deepstate_json().replace(
        b'"properties":{', b'"properties":{"note":"\xed\xa0\x80",', 1), "1719835200.geojson",
         400, r"not valid JSON at line 1, column \d+: not UTF-8 text"),
    *[Case(f"marker-in-{where}", build, name, 400, message, params)
      for where, build, name, message, params in h.MARKER_IN_CONTENT],
]
# Reached by `import --date-field` only (the upload has no date_field)
IMPORT_ONLY = [Case(f"marker-in-{where}", build, name, 400, message, params)
               for where, build, name, message, params in h.MARKER_IN_DATE_FIELD]


def _no_content_echoed(text: str) -> None:
    """No error may repeat the file's content: neither our marker nor a server file."""
    assert h.MARKER not in text
    assert PASSWD_LINE not in text and "root:x:0" not in text
    assert len(text) < 600, "an error is one short line"


# --- the store and the app -----------------------------------------------------------------
def _fingerprint(db: Path) -> tuple:
    """What a refused input must leave untouched: every revision and the data version."""
    store = open_store(db)
    try:
        return [(s.id, s.content_hash) for s in store.snapshots()], store.data_version()
    finally:
        store.close()


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory) -> Path:
    """A store holding one revision, so that 'unchanged' means something."""
    from frontwatch.bootstrap import ensure_places
    from frontwatch.ingest import ImportOptions, import_paths

    folder = tmp_path_factory.mktemp("hostile")
    first = folder / "1719835200.geojson"
    first.write_bytes(h.deepstate_json((OCC, square()), (GREY, square(0.2))))
    store = open_store(folder / "store.sqlite")
    ensure_places(store)  # as the CLI would on first use, so it changes nothing later
    import_paths(store, [first], ImportOptions())
    store.close()
    return folder / "store.sqlite"


@pytest.fixture(scope="module")
def api(seeded_db):
    from frontwatch.api.app import create_app

    settings = Settings(database_url=str(seeded_db), api_token=TOKEN, max_upload_mb=4,
                        max_uncompressed_mb=float(LIMITS["FRONTWATCH_MAX_UNCOMPRESSED_MB"]),
                        max_features=int(LIMITS["FRONTWATCH_MAX_FEATURES"]),
                        max_vertices=int(LIMITS["FRONTWATCH_MAX_VERTICES"]))
    with TestClient(create_app(settings)) as client:
        yield client


def _still_answering(api: TestClient) -> None:
    assert api.get("/healthz").status_code == 200
    assert api.get("/v1/snapshots/latest").status_code == 200


def _refused(r: httpx.Response, status: int, pattern: str) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    detail = r.json()["detail"]
    assert re.search(pattern, detail), detail
    _no_content_echoed(r.text)
    return detail


# --- uploads -------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_upload_refused(api, seeded_db, case):
    before = _fingerprint(seeded_db)
    data = case.build()
    r = api.post("/v1/snapshots", content=data, headers=AUTH,
                 params={"filename": case.name, **case.params})
    detail = _refused(r, case.status, case.message)
    assert detail.startswith((case.name, "body: empty")), "the detail names the file"
    if case.status == 413:
        assert "limit" in detail
    assert _fingerprint(seeded_db) == before
    _still_answering(api)


@pytest.mark.parametrize("case", [c for c in CASES if c.id in (
    "vrt-csv-passwd", "gzip-bomb", "zip-bomb", "too-many-features-gpkg")],
    ids=lambda c: c.id)
def test_multipart_upload_refused(api, seeded_db, case):
    before = _fingerprint(seeded_db)
    r = api.post("/v1/snapshots", files={"file": (case.name, case.build())}, headers=AUTH,
                 params=case.params)
    _refused(r, case.status, case.message)
    assert _fingerprint(seeded_db) == before
    _still_answering(api)


def _multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "xyz") -> bytes:
    out = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"'
                                                      if filename else "")
        out += (f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
                + content + b"\r\n")
    return out + f"--{boundary}--\r\n".encode()


MULTIPART = {**AUTH, "Content-Type": "multipart/form-data; boundary=xyz"}


@pytest.mark.parametrize(("body", "headers", "status", "pattern"), [
    (b"", AUTH, 400, "empty upload"),
    (_multipart([("note", None, h.MARKER.encode())]), MULTIPART, 400,
     "needs a file field named 'file'"),
    (_multipart([("file", "a.geojson", h.deepstate_json()),
                 ("file", "b.geojson", h.deepstate_json())]), MULTIPART, 400,
     "malformed multipart.*only one file part is accepted"),
    (b"--xyz\r\nContent-Disposition: form-data\r\n\r\n" + h.MARKER.encode(), MULTIPART, 400,
     "malformed multipart"),
    (_multipart([("file", "1719835200.geojson", b"")]), MULTIPART, 400, "empty"),
], ids=["empty-body", "multipart-without-file", "multipart-two-files",
        "multipart-malformed", "multipart-empty-file"])
def test_malformed_bodies_refused(api, seeded_db, body, headers, status, pattern):
    before = _fingerprint(seeded_db)
    _refused(api.post("/v1/snapshots", content=body, headers=headers), status, pattern)
    assert _fingerprint(seeded_db) == before
    _still_answering(api)


def test_body_over_the_limit_is_refused_while_streaming(api, seeded_db):
    """A chunked body (no Content-Length to trust) is cut off at the 4 MB limit: the app
    stops reading there instead of taking the whole body first. Driven at the ASGI level,
    where each chunk the server pulls is counted."""
    import anyio

    before = _fingerprint(seeded_db)
    pulled, sent = 0, []

    async def receive():
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b" " * 65536, "more_body": pulled < 256}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/v1/snapshots", "raw_path":
             b"/v1/snapshots", "root_path": "", "query_string": b"filename=x.geojson",
             "headers": [(b"host", b"test"), (b"authorization", AUTH["Authorization"].encode()),
                         (b"content-type", b"application/octet-stream")],
             "client": ("127.0.0.1", 1), "server": ("test", 80)}
    anyio.run(api.app, scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert start["status"] == 413
    assert b"FRONTWATCH_MAX_UPLOAD_MB" in body
    assert pulled <= 4 * 16 + 1, f"read {pulled} chunks of 64 KiB for a 4 MB limit"
    declared = api.post("/v1/snapshots", content=b"{}", headers={
        **AUTH, "Content-Length": str(5 << 20)})  # a declared size over the limit
    _refused(declared, 413, "FRONTWATCH_MAX_UPLOAD_MB")
    assert _fingerprint(seeded_db) == before
    _still_answering(api)


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self):
        self.hits.append(self.path)
        body = h.deepstate_json()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


def test_vsicurl_sources_are_never_fetched(api, seeded_db):
    """A VRT (or a file name) pointing GDAL at a URL: refused, and nothing is fetched."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/zones.geojson"
    try:
        before = _fingerprint(seeded_db)
        for content, name in [(h.vrt(f"/vsicurl/{url}", "zones"), "remote.vrt"),
                              (h.vrt(f"/vsicurl/{url}", "zones"), f"/vsicurl/{url}"),
                              (h.vrt(f"GeoJSON:/vsicurl/{url}", "zones"), "zones.gpkg")]:
            r = api.post("/v1/snapshots", content=content, headers=AUTH,
                         params={"filename": name, **VECTOR})
            _refused(r, 400, NOT_ACCEPTED)
        assert _Recorder.hits == []
        assert _fingerprint(seeded_db) == before
    finally:
        server.shutdown()
        server.server_close()


def test_documented_formats_are_still_accepted(tmp_path):
    """Content decides, so a GeoJSON named .vrt is read as GeoJSON (by our JSON parser, not
    GDAL's VRT driver); zipped Shapefiles with the usual sidecars and odd member paths, .gz
    GeoPackages and FlatGeobuf are read by their own drivers."""
    from frontwatch.api.app import create_app

    app = TestClient(create_app(Settings(database_url=str(tmp_path / "ok.sqlite"),
                                         api_token=TOKEN)))
    accepted = [
        (h.deepstate_json((OCC, square())), "zones.vrt", {"date": "2025-06-01"}),
        (h.shapefile_zip(h.frame(2), (("zones.sbn", b"\0" * 64), ("zones.shp.xml", b"<x/>"),
                                      ("__MACOSX/._zones.shp", b"\0"))), "zones.zip", VECTOR),
        (gzip.compress(h.vector_bytes(h.frame(3), ".gpkg")), "zones.gpkg.gz",
         {**VECTOR, "date": "2025-06-02"}),
        (h.vector_bytes(h.frame(4), ".fgb"), "zones.fgb", {**VECTOR, "date": "2025-06-03"}),
    ]
    for content, name, params in accepted:
        r = app.post("/v1/snapshots", content=content, headers=AUTH,
                     params={"filename": name, **params})
        assert r.status_code == 201, r.text
    assert app.get("/v1/snapshots").json()["count"] == 4


# Options missing or wrong: the upload names its own query parameters, the CLI its flags
SPOKEN = [
    ("no-status", {"date": "2025-06-01"}, "need status=STATUS or status_field=FIELD",
     "need --status STATUS or --status-field FIELD"),
    ("no-date", {"status": "occupied"}, "pass date=YYYY-MM-DD", "pass --date YYYY-MM-DD"),
    ("bad-status-map", {"status_field": "state", "status_map": "bogus", "date": "2025-06-01"},
     "status_map='bogus': expected VALUE=STATUS", "--status-map 'bogus': expected VALUE=STATUS"),
]


@pytest.mark.parametrize(("case", "params", "http", "cli"), SPOKEN, ids=[c[0] for c in SPOKEN])
def test_upload_errors_name_the_uploads_parameters(api, seeded_db, tmp_path, monkeypatch,
                                                   capsys, case, params, http, cli):
    before = _fingerprint(seeded_db)
    data = h.vector_bytes(h.frame(), ".gpkg")
    r = api.post("/v1/snapshots", content=data, headers=AUTH,
                 params={"filename": "zones.gpkg", **params})
    detail = _refused(r, 400, re.escape(http))
    assert re.search(r"(?<!frontwatch import )--[a-z]", detail) is None, detail
    path = tmp_path / "zones.gpkg"
    path.write_bytes(data)
    code, err = _cli(["import", str(path), "--db", str(seeded_db), *_flags(params)],
                     monkeypatch, capsys)
    assert code == 1 and cli in err, err
    assert _fingerprint(seeded_db) == before


CONFLICTS = [
    ({"status": "occupied", "status_field": "state", "date": "2025-06-01"},
     "status and status_field exclude each other", "--status and --status-field exclude each"),
    ({"status_field": "", "status": "occupied", "status_map": "a=occupied",
      "date": "2025-06-01"}, "status_map needs status_field", "--status-map needs --status-field"),
]


@pytest.mark.parametrize(("params", "http", "cli"), CONFLICTS, ids=["status+field", "map-alone"])
def test_contradictory_options_are_a_usage_error(api, seeded_db, tmp_path, monkeypatch, capsys,
                                                 params, http, cli):
    """Two options of which one would be ignored: 400 naming both parameters on upload,
    exit 2 naming both options on import; nothing stored either way."""
    params = {k: v for k, v in params.items() if v}
    before = _fingerprint(seeded_db)
    data = h.vector_bytes(h.frame(), ".gpkg")
    r = api.post("/v1/snapshots", content=data, headers=AUTH,
                 params={"filename": "zones.gpkg", **params})
    _refused(r, 400, re.escape(http))
    assert r.json()["type"].endswith("options-conflict"), r.json()
    path = tmp_path / "zones.gpkg"
    path.write_bytes(data)
    code, err = _cli(["import", str(path), "--db", str(seeded_db), *_flags(params)],
                     monkeypatch, capsys)
    assert code == 2 and cli in err and "[options-conflict]" in err, err
    assert _fingerprint(seeded_db) == before


# What an upload's error repeats of the request (errors.echo): at most 80 characters of any
# value, no raw control character — whichever query parameter, file name or file carries it.
def _geojson(coordinates: list | None = None) -> bytes:
    """A generic GeoJSON zone (a `state` property, no publisher's format)."""
    return orjson.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"state": "occupied"},
        "geometry": {"type": "Polygon", "coordinates": [coordinates or square()]}}]})


def test_every_upload_parameter_echoes_at_most_80_characters(api, seeded_db):
    from tests.test_hostile_params import HOSTILE, NAMES, assert_nothing_echoed

    before = _fingerprint(seeded_db)
    params = {"filename": "zones.geojson", "status_field": "state", "date": "2025-06-01"}
    names = [p["name"] for p in api.app.openapi()["paths"]["/v1/snapshots"]["post"]
             ["parameters"]]
    assert {"filename", "status_map", "status_field", "status"} <= set(names)
    for name in names:
        for value in (HOSTILE, f"x={HOSTILE}"):
            given = {**params, name: value}
            if name == "status":
                del given["status_field"]
            r = api.post("/v1/snapshots", content=_geojson(), headers=AUTH, params=given)
            assert 400 <= r.status_code < 500, (name, r.text[:300])
            assert_nothing_echoed(r, value)
    made_up = "&".join(f"{n}=1" for n in NAMES)
    r = api.post(f"/v1/snapshots?{made_up}", content=_geojson(), headers=AUTH)
    assert r.status_code == 400 and "and 195 more" in r.json()["detail"], r.text[:300]
    assert_nothing_echoed(r, *NAMES)
    assert _fingerprint(seeded_db) == before
    _still_answering(api)


@pytest.mark.parametrize("name", ["zones\x1b[2J\x1b]0;owned\x07.geojson", "a\nb.geojson",
                                  "1719835200" + "9" * 200 + ".geojson"],
                         ids=["escapes", "newline", "long"])
def test_upload_file_names_are_short_and_printable(api, seeded_db, name):
    """A file name leads every message about its file: one with control characters or over
    80 characters is refused (400 naming `filename`), shown escaped and cut — given as the
    query parameter or as the multipart part's name (which a client may percent-encode)."""
    before = _fingerprint(seeded_db)
    r = api.post("/v1/snapshots", content=h.deepstate_json(), headers=AUTH,
                 params={"filename": name})
    detail = _refused(r, 400, "^filename=.*a file name of at most 80 printable")
    assert detail.isprintable(), detail
    assert r"\x1b" in detail or r"\n" in detail or "(218 characters)" in detail, detail
    r = api.post("/v1/snapshots", files={"file": (name, h.deepstate_json())}, headers=AUTH)
    assert r.status_code == 400 and r.json()["detail"].isprintable(), r.text
    assert len(r.json()["detail"]) < 300, r.text
    assert _fingerprint(seeded_db) == before


@pytest.mark.parametrize("doc", ["deepstate", "geojson"])
def test_a_1e308_coordinate_is_refused_in_a_short_message(api, seeded_db, doc):
    """Breaker trial: 1e308 written with one decimal was a 1,300-character detail."""
    before = _fingerprint(seeded_db)
    ring = [[1e308, y] for _, y in square()]
    if doc == "deepstate":
        r = api.post("/v1/snapshots", content=h.deepstate_json((OCC, ring)), headers=AUTH,
                     params={"filename": "1719835200.geojson"})
    else:
        r = api.post("/v1/snapshots", content=_geojson(ring), headers=AUTH,
                     params={"filename": "zones.geojson", "status_field": "state",
                             "date": "2025-06-01"})
    detail = _refused(r, 400, r"out of lon/lat range \(x 1e\+308\.\.1e\+308, y 48\.6\.\.48\.7\)")
    assert len(detail) < 250, detail
    assert _fingerprint(seeded_db) == before


# --- the CLI -------------------------------------------------------------------------------
def _cli(args: list[str], monkeypatch, capsys) -> tuple[int, str]:
    """`frontwatch ARGS` in this process (its real entry point): exit code and stderr."""
    for name, value in LIMITS.items():
        monkeypatch.setenv(name, value)
    r = cli_in_process(args, monkeypatch, capsys)
    return r.returncode, r.stderr


def _flags(params: dict[str, str]) -> list[str]:
    return [x for k, v in params.items() for x in (f"--{k.replace('_', '-')}", v)]


@pytest.mark.parametrize("case", CASES + IMPORT_ONLY, ids=[c.id for c in CASES + IMPORT_ONLY])
def test_cli_import_refused(seeded_db, tmp_path, monkeypatch, capsys, case):
    before = _fingerprint(seeded_db)
    path = tmp_path / case.name
    path.write_bytes(case.build())
    code, err = _cli(["import", str(path), "--db", str(seeded_db), *_flags(case.params)],
                     monkeypatch, capsys)
    assert code == 1, err
    line = err.strip()
    assert "\n" not in line and "Traceback" not in line and "internal error" not in line
    assert str(path) in line and re.search(case.message, line), line
    _no_content_echoed(line)
    assert _fingerprint(seeded_db) == before


def test_cli_skip_invalid_reports_hostile_files_and_imports_the_rest(seeded_db, tmp_path,
                                                                      monkeypatch, capsys):
    """A folder mixing hostile files with a good one: --skip-invalid names each refusal
    and imports the good file; without it nothing is stored."""
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "1720000000.geojson").write_bytes(h.deepstate_json((OCC, square(0.4))))
    (folder / "1720100000.geojson.gz").write_bytes(h.gzip_bomb(64 << 20))
    (folder / "zones.zip").write_bytes(h.zip_of(("zones.vrt", h.vrt(f"CSV:{h.PASSWD}"))))
    (folder / "passwd.vrt").write_bytes(h.vrt(f"CSV:{h.PASSWD}"))  # not an import suffix
    before = _fingerprint(seeded_db)
    code, err = _cli(["import", str(folder), "--db", str(seeded_db)], monkeypatch, capsys)
    assert code == 1 and "FRONTWATCH_MAX_UNCOMPRESSED_MB" in err
    assert _fingerprint(seeded_db) == before
    code, err = _cli(["import", str(folder), "--db", str(seeded_db), "--skip-invalid",
                      "--status", "occupied", "--date", "2025-06-01"],
                     monkeypatch, capsys)
    assert code == 0, err
    _no_content_echoed(err)
    assert "1720100000.geojson.gz" in err and "'.vrt' member" in err
    assert len(_fingerprint(seeded_db)[0]) == len(before[0]) + 1


def test_real_cli_process_refuses_a_bomb_and_a_vrt(seeded_db, tmp_path):
    """The installed entry point as users run it: exit 1, one line, no traceback."""
    before = _fingerprint(seeded_db)
    bomb = tmp_path / "1720000000.geojson.gz"
    bomb.write_bytes(h.gzip_bomb(1 << 30))  # 1 GiB of zeros in ~1 MB
    passwd = tmp_path / "zones.vrt"
    passwd.write_bytes(h.vrt(f"CSV:{h.PASSWD}"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTWATCH_MAX")}
    for path, pattern in [(bomb, "larger than 16 MB uncompressed .limit: "
                           "FRONTWATCH_MAX_UNCOMPRESSED_MB"), (passwd, NOT_ACCEPTED)]:
        proc = subprocess.run([sys.executable, "-m", "frontwatch", "import", str(path),
                               "--db", str(seeded_db), "--status", "occupied", "--date",
                               "2025-06-01"], capture_output=True, text=True, env=env,
                              timeout=300)
        assert proc.returncode == 1, proc.stderr
        line = proc.stderr.strip()
        assert "\n" not in line and str(path) in line and re.search(pattern, line), line
        _no_content_echoed(line)
    assert _fingerprint(seeded_db) == before


# --- memory --------------------------------------------------------------------------------
MEMORY_CASES = {
    "1720000000.geojson.gz": lambda: h.gzip_bomb(1 << 30),
    "zones.zip": lambda: h.zip_bomb(1 << 30),
    "nested.geojson.gz": lambda: gzip.compress(h.gzip_bomb(1 << 30)),
    "values.geojson": lambda: h.values_bomb(2_000_000),
    "1720100000.geojson": lambda: h.deepstate_json(*[(OCC, square(1e-4 * i))
                                                     for i in range(10_001)]),
    "1720200000.geojson": lambda: h.deepstate_json((OCC, h.ring(100_001, z=True))),
    "1720300000.geojson": lambda: h.deepstate_json((h.MARKER * 800_000, square())),
    "vertices.gpkg": lambda: h.vector_bytes(h.frame(ring=h.ring(100_001)), ".gpkg"),
    "features.gpkg": lambda: h.vector_bytes(h.frame(10_001), ".gpkg"),
    "array-of-objects.json": lambda: b"[" + b"{}," * 350_000 + b"{}]",
}


def test_refused_inputs_stay_under_100_mb(tmp_path):
    """With the default limits, reading and refusing each input (1 GiB bombs, inputs just
    over the feature and vertex limits, a 15 MB string, the most JSON values the prescan
    lets through) raises a process's peak RSS by less than 100 MB."""
    paths = []
    for name, build in MEMORY_CASES.items():
        (tmp_path / name).write_bytes(build())
        paths.append(str(tmp_path / name))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTWATCH_MAX")}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1] / "src"),
                                         str(Path(__file__).parents[1])])
    proc = subprocess.run([sys.executable, "-m", "tests.memory_probe", *paths], env=env,
                          capture_output=True, text=True, timeout=600,
                          cwd=Path(__file__).parents[1])
    assert proc.returncode == 0, proc.stderr
    results = {name: (peak, outcome) for name, peak, outcome in
               map(json.loads, proc.stdout.splitlines())}
    print(proc.stdout)
    assert set(results) == set(MEMORY_CASES)
    for name, (peak, outcome) in results.items():
        assert outcome != "accepted", name
        _no_content_echoed(outcome)
        assert peak < 100, f"{name}: peak +{peak} MB ({outcome})"
    assert "FRONTWATCH_MAX_UNCOMPRESSED_MB" in results["1720000000.geojson.gz"][1]
    assert "FRONTWATCH_MAX_VERTICES" in results["vertices.gpkg"][1]


def _vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_real_server_refuses_bombs_within_100_mb(seeded_db, tmp_path):
    """`frontwatch serve` over the wire, default limits: a 1 GiB gzip bomb, a 1 GiB zip
    bomb and a 60 MB chunked body are refused (413) while the server's peak RSS grows by
    less than 100 MB, and it answers afterwards."""
    import shutil

    db = tmp_path / "served.sqlite"
    shutil.copy(seeded_db, db)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTWATCH_MAX")}
    env["FRONTWATCH_API_TOKEN"] = TOKEN
    proc = subprocess.Popen([sys.executable, "-m", "frontwatch", "serve", "--db", str(db),
                             "--port", str(port), "--workers", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(proc, base)
        with httpx.Client(base_url=base, headers=AUTH, timeout=120) as http:
            # warm up every module an upload uses, then take the baseline
            warm = http.post("/v1/snapshots", params={"filename": "zones.gpkg", **VECTOR},
                             content=h.vector_bytes(h.frame(), ".gpkg"))
            assert warm.status_code == 201, warm.text
            start = _vm_hwm_mb(proc.pid)

            def chunks():
                for _ in range(60):
                    yield b" " * (1 << 20)

            for content, name in [(h.gzip_bomb(1 << 30), "1720000000.geojson.gz"),
                                  (h.zip_bomb(1 << 30), "zones.zip"), (chunks(), "big.json")]:
                r = http.post("/v1/snapshots", content=content,
                              params={"filename": name, **VECTOR})
                assert r.status_code == 413, r.text
                assert "limit" in r.json()["detail"]
            assert http.get("/v1/snapshots/latest").status_code == 200
            grown = _vm_hwm_mb(proc.pid) - start
            print(f"server peak RSS {start:.0f} MB before the bombs, +{grown:.0f} MB after")
            assert grown < 100, f"server peak RSS grew by {grown:.0f} MB"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
