"""`POST /v1/snapshots`: upload one snapshot in any format the importer reads.

Guarded by a bearer token (FRONTWATCH_API_TOKEN; no token configured → writes disabled), a
body size limit checked before and while streaming the body to a spooled temporary file, the
importer's limits (uncompressed size, features, vertices: 413) and its own validation; one
upload is one transaction, so a rejected file leaves the store unchanged."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from tempfile import SpooledTemporaryFile
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, Query, Request
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import Response

from frontwatch import webhooks
from frontwatch.api import deps
from frontwatch.api.heavy import HEAVY
from frontwatch.api.problems import Problem
from frontwatch.api.respond import json_entry, send
from frontwatch.api.routes.common import snapshot_row
from frontwatch.errors import ECHO_CHARS, FrontwatchError, InputError, echo
from frontwatch.ingest import ImportOptions, parse_date, parse_snapshot, store_snapshot
from frontwatch.ingest.formats import CHOICES, REGISTRY
from frontwatch.ingest.limits import Limits, decompress
from frontwatch.ingest.vector import StatusMapping
from frontwatch.model import SnapshotInfo
from frontwatch.sources import attribution

# the token is checked first, before the body is read or a heavy slot taken
router = APIRouter(prefix="/v1", tags=["v1"], dependencies=deps.WRITE)

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


# Bodies are spooled to a temporary file above this size, never held whole in memory.
SPOOL_BYTES = 1 << 20


async def _limited_stream(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The request body, refused (413) as soon as it passes `limit` bytes — whatever
    Content-Length claimed."""
    too_big = Problem(413, f"request body larger than the {limit / 2**20:g} MB limit "
                      "(FRONTWATCH_MAX_UPLOAD_MB)")
    declared = request.headers.get("content-length")
    if declared and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise too_big
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_big
        yield chunk


def _multipart_reason(exc: Exception) -> str:
    """What is wrong with a multipart body, in our words (the parser's are never shown)."""
    text = str(exc).lower()
    if "too many files" in text:
        return "only one file part is accepted"
    if "too many fields" in text:
        return "too many form fields"
    if "boundary" in text:
        return "no valid boundary"
    return "a part is not well formed"


async def _receive(request: Request, limit: int, filename: str | None
                   ) -> tuple[UploadFile, str]:
    """The uploaded file, spooled (a multipart field `file`, or the raw body), and its name
    (which can carry the date, e.g. 1719792000.geojson or deepstatemap_data_20250630.geojson)."""
    body = _limited_stream(request, limit)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        try:
            form = await MultiPartParser(request.headers, body, max_files=1,
                                         max_fields=10).parse()
        except (MultiPartException, ValueError) as exc:
            raise InputError(f"body: malformed multipart/form-data ({_multipart_reason(exc)})"
                             ) from None
        part = form.get("file")
        if not isinstance(part, UploadFile):
            await form.close()
            raise InputError("body: multipart upload needs a file field named 'file'")
        return part, _file_name(filename or part.filename or "upload.geojson")
    spool = UploadFile(SpooledTemporaryFile(max_size=SPOOL_BYTES), size=0)  # noqa: SIM115
    try:  # the caller closes it once read
        async for chunk in body:
            await spool.write(chunk)
        if not spool.size:
            raise InputError("body: empty upload")
    except BaseException:
        await spool.close()
        raise
    await spool.seek(0)
    return spool, _file_name(filename or "upload.geojson")


def _file_name(name: str) -> str:
    """The upload's file name (query `filename`, else the multipart part's): every message
    about the file leads with it, so it must be short enough to be shown whole and hold
    nothing a terminal or log would act on (errors.ECHO_CHARS, SECURITY.md)."""
    if len(name) > ECHO_CHARS or not name.isprintable():
        raise InputError(f"filename={echo(name)}: a file name of at most {ECHO_CHARS} "
                         "printable characters, such as 1719835200.geojson")
    return name


# The importer's messages name `frontwatch import`'s options; an HTTP client gets its own
# words: the upload's query parameters, and the import command for what only it offers.
HTTP_PARAMS = {"--date": "date", "--status": "status", "--status-field": "status_field",
               "--status-map": "status_map", "--source": "source", "--format": "format"}
_OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]*)( (?=[A-Z]{2,}|['\"]))?")


def http_words(message: str) -> str:
    """`message` with each CLI option named as the upload's query parameter (`--status-map
    VALUE=STATUS` → `status_map=VALUE=STATUS`) or, when the upload has none, as the import
    command's (`--date-field` → `frontwatch import --date-field`)."""
    def name(m: re.Match) -> str:
        param = HTTP_PARAMS.get(m[1])
        if param is None:
            return f"`frontwatch import {m[1]}`" + (m[2] or "")
        return f"{param}=" if m[2] else param
    return _OPTION.sub(name, message)


@contextmanager
def _in_http_words() -> Iterator[None]:
    """Errors raised inside speak HTTP (see http_words); class, code and limit unchanged."""
    try:
        yield
    except FrontwatchError as exc:
        exc.args = (http_words(str(exc)), *exc.args[1:])
        raise


@router.post("/snapshots", status_code=201, openapi_extra=UPLOAD_BODY,
             dependencies=[HEAVY],
             summary="Upload a snapshot (needs Authorization: Bearer <token>)",
             description="Multipart (field `file`) or the raw file as the body; any format "
             "`frontwatch import` reads (" + ", ".join(f.label for f in REGISTRY) + "; those "
             "of no publisher with `status`/`status_field`; each optionally .gz). 201 with the "
             "new revision; 200 when the same claim is already stored (compared normalized: "
             "the same zones from another format are not a new revision).",
             responses={200: {"description": "the same claim already stored"},
                        201: {"description": "new revision stored"},
                        401: {"description": "missing or wrong token"},
                        403: {"description": "writes disabled (no token configured)"},
                        413: {"description": "body over FRONTWATCH_MAX_UPLOAD_MB, or input "
                              "over FRONTWATCH_MAX_UNCOMPRESSED_MB, FRONTWATCH_MAX_FEATURES "
                              "or FRONTWATCH_MAX_VERTICES"}})
async def upload_snapshot(
    request: Request,
    filename: Annotated[str | None, Query(description="file name (format and date detection)",
                                          examples=["1751313476.geojson"])] = None,
    format: Annotated[str, Query(description=" | ".join(CHOICES))] = "auto",
    source: Annotated[str | None, Query(description="source to store under")] = None,
    date: Annotated[str | None, Query(description="date the map depicts, for formats "
                                      "without one", examples=["2025-06-30"])] = None,
    status: Annotated[str | None, Query(description="status of every feature")] = None,
    status_field: Annotated[str | None, Query(description="property holding the status")
                            ] = None,
    status_map: Annotated[list[str] | None, Query(description="VALUE=STATUS or VALUE=ignore, "
                                                  "repeatable")
                          ] = None,
) -> Response:
    settings = request.app.state.settings
    if filename is not None:
        _file_name(filename)  # before the body is read
    with _in_http_words():
        opts = ImportOptions(format=format, source=source,
                             date=parse_date(date, "date") if date else None,
                             status=StatusMapping.of(status, status_field, status_map),
                             limits=Limits.from_settings(settings))
    if format not in CHOICES:
        raise InputError(f"format={echo(format)}: choose one of {', '.join(CHOICES)}")
    upload, name = await _receive(request, int(settings.max_upload_mb * 2**20), filename)
    try:
        with _in_http_words():
            info, created, notes = await run_in_threadpool(_store, request, upload.file,
                                                           name, opts)
    finally:
        await upload.close()
    request.app.fast_path.invalidate()
    doc: dict[str, Any] = {"created": created, "snapshot": snapshot_row(info), "notes": notes,
                           "attribution": attribution(info.source)}
    entry = json_entry(doc, {"Location": f"/v1/snapshots/revisions/{info.id}",
                             "Cache-Control": "no-store"})
    entry.status = 201 if created else 200
    response = send(request, entry)
    if created and settings.webhook_url:  # after the answer: a slow receiver delays no one
        response.background = BackgroundTask(_notify, request, info)
    return response


def _notify(request: Request, info: SnapshotInfo) -> None:
    """The webhook for a new revision (frontwatch.webhooks: never raises, logs)."""
    with request.app.state.pool.store() as store:
        webhooks.after_import(store, request.app.state.settings, [info])


def _store(request: Request, file: BinaryIO, name: str, opts: ImportOptions):
    snap = parse_snapshot(decompress(file, name, opts.limits), name, opts)
    # one transaction, once not a duplicate; an upload creates a new store, as import does
    with request.app.state.pool.store(create=True) as store:
        info, created = store_snapshot(store, snap)
    return info, created, snap.notes
