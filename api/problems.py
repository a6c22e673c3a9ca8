"""RFC 9457 problem details: every error the API returns, whatever raised it, is
`application/problem+json` with a `detail` that names the parameter and the reason."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from frontwatch.errors import FrontwatchError, Merged, echo, not_finite, reason, visible
from frontwatch.settings import Settings
from frontwatch.values import past_bound

PROBLEM = "application/problem+json"
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 406: "Not Acceptable", 408: "Request Timeout",
          409: "Conflict",
          413: "Content Too Large", 414: "URI Too Long", 415: "Unsupported Media Type",
          422: "Unprocessable Content", 431: "Request Header Fields Too Large",
          500: "Internal Server Error", 501: "Not Implemented",
          502: "Bad Gateway", 503: "Service Unavailable", 507: "Insufficient Storage"}
# The stable code of a problem the API layer raises itself, by status (domain errors carry
# their own: frontwatch.errors). The `type` member is TYPE_PREFIX + code.
CODES = {400: "input-invalid", 401: "unauthorized", 403: "forbidden", 404: "not-found",
         405: "method-not-allowed", 406: "not-acceptable", 408: "timeout",
         409: "conflict",
         413: "limit-exceeded", 414: "limit-exceeded", 415: "media-unsupported",
         422: "input-invalid", 431: "limit-exceeded",
         500: "internal", 501: "not-implemented", 503: "unavailable"}
TYPE_PREFIX = "urn:frontwatch:error:"
log = logging.getLogger("frontwatch.api")


class Problem(Exception):
    """An HTTP error raised by the API layer itself (auth, size limits, parameters)."""

    def __init__(self, status: int, detail: str, *, code: str | None = None, **extra: Any):
        super().__init__(detail)
        self.status, self.detail, self.code, self.extra = status, detail, code, extra


INSTANCE_CHARS = 256


def problem_response(status: int, detail: str, instance: str | None = None,
                     headers: dict[str, str] | None = None, *, code: str | None = None,
                     **extra: Any) -> Response:
    """The problem+json response; `type` is ``urn:frontwatch:error:<code>`` and `code` the
    bare code (default: the code of the status, see CODES).

    Messages quote a client's values through `errors.echo` (cut, escaped); as a last guard
    the `detail` carries no raw control character whatever raised it (`errors.visible`), and
    `instance`, the request's path, is percent-encoded and cut."""
    code = code or CODES.get(status, "error")
    body: dict[str, Any] = {"type": TYPE_PREFIX + code, "title": TITLES.get(status, "Error"),
                            "status": status, "detail": visible(detail), "code": code}
    if instance:  # the request's path: a 20,000-character one is not echoed whole either
        body["instance"] = quote(instance, safe="/:@!$&'()*+,;=~")[:INSTANCE_CHARS]
    body.update({k: v for k, v in extra.items() if v})
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM,
                    headers=headers)


def _location(loc: tuple) -> str:
    """`('query', 'limit')` → `query parameter 'limit'`."""
    if not loc:
        return "request"
    where, *rest = loc
    name = ".".join(str(p) for p in rest) or str(where)
    kind = {"query": "query parameter", "path": "path parameter", "body": "body field",
            "header": "header"}.get(str(where), str(where))
    return f"{kind} {echo(name)}"


BOUNDS = frozenset({"less_than", "less_than_equal", "greater_than", "greater_than_equal"})


def _message(error: dict) -> str:
    """The reason of one validation error: NaN or infinity is "not a finite number" (pydantic
    says "should be less than or equal to 1000000" for `nan`), a number past a bound is said
    as the CLI says it (values.past_bound: "too large: at most 1000", not pydantic's "Input
    should be less than or equal to 1000"; a bound that guards a type is not named), and no
    "Value error, "."""
    kind, given = error.get("type"), error.get("input")
    if kind in BOUNDS and not_finite(given):
        return f"must be a finite number, not {echo(given)}"
    bound = next(iter((error.get("ctx") or {}).values()), None)
    if kind in BOUNDS and isinstance(bound, int | float) and not isinstance(bound, bool):
        return past_bound(kind, bound)
    return reason(str(error.get("msg", "")))


# A merged id's pointer never changes (ids are never handed out again), but the revision kept
# can still be deleted: a day, not forever.
MOVED_CACHE = "public, max-age=86400"


def merged_location(request: Request, exc: Merged) -> str | None:
    """Where a read of a revision merged away (migration 0013) is redirected (308): the
    same URL with the kept revision's id, when a path parameter IS the revision (the whole
    revision, `/v1/snapshots/revisions/{id}`). None (a 404 naming the kept id) for a part
    of it, an OGC feature `{id}-{n}` (the kept revision may split its features differently,
    so the same `n` need not be the same feature), for a change, and for an id given
    in the query."""
    if request.method != "GET":
        return None
    old = str(exc.snapshot_id)
    if old not in {str(v) for v in request.path_params.values()}:
        return None
    parts = request.url.path.split("/")
    if old not in parts:  # spelt otherwise ("007"): say it, do not guess
        return None
    parts[len(parts) - 1 - parts[::-1].index(old)] = str(exc.kept)  # the last one
    # relative (RFC 9110 allows it; curl, GDAL and browsers resolve it): built from the
    # client's Host header, an absolute one could be pointed elsewhere and kept for a day
    # by a cache that does not key on Host (breaker trial)
    query = request.url.query
    return "/".join(parts) + (f"?{query}" if query else "")


def install(app: FastAPI) -> None:
    """Map the domain's errors, our own, FastAPI's validation errors and any unexpected
    exception to problem+json (a bug is a 500 without a traceback unless FRONTWATCH_DEBUG)."""

    @app.exception_handler(FrontwatchError)
    async def domain_error(request: Request, exc: FrontwatchError) -> Response:
        if isinstance(exc, Merged):
            moved = merged_location(request, exc)
            if moved:
                return Response(status_code=308, headers={"Location": moved,
                                                          "Cache-Control": MOVED_CACHE})
        status = exc.status_code
        if status >= 500:
            log.error("store error on %s: %s", request.url.path, exc)
        # A writer's lock is released when its import ends: worth retrying.
        headers = {"Retry-After": "10"} if exc.code == "store-locked" else None
        # exc.detail, not str(exc): a store error's path, URL and driver words stay in the
        # log (StoreError); the client gets what is wrong and what to do.
        return problem_response(status, exc.detail, request.url.path, headers, code=exc.code,
                                suggestions=getattr(exc, "suggestions", None),
                                limit=getattr(exc, "limit", None),
                                kept_id=getattr(exc, "kept", None))

    @app.exception_handler(Problem)
    async def api_problem(request: Request, exc: Problem) -> Response:
        headers = exc.extra.pop("headers", None)
        return problem_response(exc.status, exc.detail, request.url.path, headers,
                                code=exc.code, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        detail = "; ".join(f"{_location(tuple(e.get('loc', ())))}: {_message(e)}"
                           for e in errors)
        status = 422 if any(e.get("loc", ("",))[0] == "body" for e in errors) else 400
        return problem_response(status, detail, request.url.path,
                                errors=[{"loc": list(e.get("loc", ())), "msg": _message(e)}
                                        for e in errors])

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
        headers = dict(exc.headers or {})
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such resource: {echo(request.url.path)}"
        if exc.status_code == 405:
            allowed = allowed_methods(request.app.routes, request.url.path)
            headers["Allow"] = ", ".join(allowed)
            detail = (f"method {echo(request.method)} is not allowed on "
                      f"{echo(request.url.path)}; allowed: {', '.join(allowed)}")
        return problem_response(exc.status_code, detail, request.url.path, headers)

    @app.exception_handler(NotImplementedError)
    async def not_implemented(request: Request, exc: NotImplementedError) -> Response:
        return problem_response(501, "this analysis is not available in this version yet",
                                request.url.path)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s", request.url.path)
        detail = "internal error" + (f": {exc!r}" if Settings().debug
                                     else "; the server log has the details")
        return problem_response(500, detail, request.url.path)


def allowed_methods(routes: list, path: str, prefix: str = "") -> list[str]:
    """Every method some route answers on `path` (HEAD wherever GET is: api.app.HeadAsGet).
    Starlette's 405 named only the first matching route's (`Allow: GET` on /v1/snapshots,
    which also takes POST)."""
    from starlette.routing import compile_path

    found: set[str] = set()
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:  # an included router: its routes under its prefix
            found.update(allowed_methods(inner.routes, path,
                                         prefix + route.include_context.prefix))
        elif getattr(route, "methods", None) and compile_path(
                prefix + route.path)[0].match(path):
            found.update(route.methods)
    if "GET" in found:
        found.add("HEAD")
    return sorted(found)
