"""`POST /v1/snapshots`: upload one snapshot in any format the importer reads.

Guarded by a bearer token (FRONTWATCH_API_TOKEN; no token configured → writes disabled), a
body size limit checked before and while reading, and the importer's own validation; one
upload is one transaction, so a rejected file leaves the store unchanged."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import Response

from api.heavy import HEAVY
from api.problems import Problem
from api.respond import json_entry, send
from api.routes.common import snapshot_row
from frontwatch.errors import InputError
from frontwatch.ingest import FORMATS, ImportOptions, parse_date, parse_snapshot, store_snapshot
from frontwatch.ingest.vector import StatusMapping, parse_mapping
from frontwatch.model import attribution

router = APIRouter(prefix="/v1", tags=["v1"])

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}}}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "application/geo+json": {"schema": {"type": "object"}},
        },
    },
    "security": [{"bearer": []}],
}


def _authorize(request: Request) -> None:
    token = request.app.state.settings.api_token
    if not token:
        raise Problem(403, "writes are disabled on this server: set FRONTWATCH_API_TOKEN to "
                      "enable uploads")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                             token.encode()):
        raise Problem(401, "header 'Authorization': expected 'Bearer <FRONTWATCH_API_TOKEN>'",
                      headers={"WWW-Authenticate": 'Bearer realm="frontwatch"'})


async def _read_limited(request: Request, limit: int) -> bytes:
    too_big = f"request body larger than the {limit / 2**20:g} MB limit " \
              "(FRONTWATCH_MAX_UPLOAD_MB)"
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Problem(413, too_big)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, too_big)
        chunks.append(chunk)
    return b"".join(chunks)


async def _file_of(request: Request, body: bytes, filename: str | None) -> tuple[bytes, str]:
    """The uploaded file and its name (the name can carry the date, e.g. 1719792000.geojson
    or deepstatemap_data_20250630.geojson)."""
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        return body, filename or "upload.geojson"

    async def once() -> AsyncIterator[bytes]:
        yield body

    try:
        form = await MultiPartParser(request.headers, once(), max_files=1, max_fields=10).parse()
    except (MultiPartException, ValueError) as exc:
        raise InputError(f"body: malformed multipart/form-data: {exc}") from None
    part = form.get("file")
    if not isinstance(part, UploadFile):
        raise InputError("body: multipart upload needs a file field named 'file'")
    return await part.read(), filename or part.filename or "upload.geojson"


@router.post("/snapshots", status_code=201, openapi_extra=UPLOAD_BODY,
             dependencies=[HEAVY],
             summary="Upload a snapshot (needs Authorization: Bearer <token>)",
             description="Multipart (field `file`) or the raw file as the body; any format "
             "`frontwatch import` reads (DeepStateMap, the daily archive, GeoJSON/GeoPackage/"
             "FlatGeobuf/zipped Shapefile with `status`/`status_field`, .gz). 201 with the new "
             "revision; 200 when identical content is already stored.",
             responses={200: {"description": "identical content already stored"},
                        201: {"description": "new revision stored"},
                        401: {"description": "missing or wrong token"},
                        403: {"description": "writes disabled (no token configured)"},
                        413: {"description": "body over FRONTWATCH_MAX_UPLOAD_MB"}})
async def upload_snapshot(
    request: Request,
    filename: Annotated[str | None, Query(description="file name (format and date detection)",
                                          examples=["1751313476.geojson"])] = None,
    format: Annotated[str, Query(description=" | ".join(FORMATS))] = "auto",
    source: Annotated[str | None, Query(description="source to store under")] = None,
    date: Annotated[str | None, Query(description="date the map depicts, for formats "
                                      "without one", examples=["2025-06-30"])] = None,
    status: Annotated[str | None, Query(description="status of every feature")] = None,
    status_field: Annotated[str | None, Query(description="property holding the status")
                            ] = None,
    status_map: Annotated[list[str] | None, Query(description="VALUE=STATUS, repeatable")
                          ] = None,
) -> Response:
    _authorize(request)
    settings = request.app.state.settings
    body = await _read_limited(request, int(settings.max_upload_mb * 2**20))
    if not body:
        raise InputError("body: empty upload")
    data, name = await _file_of(request, body, filename)
    opts = ImportOptions(format=format, source=source,
                         date=parse_date(date, "date") if date else None,
                         status=StatusMapping(status=status, field=status_field,
                                              mapping=parse_mapping(status_map or [])))
    if format not in FORMATS:
        raise InputError(f"format={format!r}: choose one of {', '.join(FORMATS)}")
    info, created, notes = await run_in_threadpool(_store, request, data, name, opts)
    request.app.fast_path.invalidate()
    doc: dict[str, Any] = {"created": created, "snapshot": snapshot_row(info), "notes": notes,
                           "attribution": attribution(info.source)}
    entry = json_entry(doc, {"Location": f"/v1/snapshots/revisions/{info.id}",
                             "Cache-Control": "no-store"})
    entry.status = 201 if created else 200
    return send(request, entry)


def _store(request: Request, data: bytes, name: str, opts: ImportOptions):
    snap = parse_snapshot(data, name, opts)
    with request.app.state.pool.store() as store, store.transaction():
        info, created = store_snapshot(store, snap)
    return info, created, snap.notes
