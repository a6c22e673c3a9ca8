"""Cross-origin policy: reads are public, writes are not cross-origin.

Any site may read (GET/HEAD, with the conditional and encoding headers a reader sends). No
browser page on another site may write: `POST /v1/snapshots` takes a bearer token, and a
token typed into some other site's page is a token leaked to that site's scripts, so a
preflight for POST (or any other method, or for `Authorization`) is refused. Newsroom tools
that upload run on a server or the command line, where CORS does not apply, or are served
from the API's own origin. SECURITY.md states the policy.

Starlette's middleware refuses a preflight with a `text/plain` 400 ("Disallowed CORS
method"); here a refusal is a 403 problem+json that says what was asked and what is
offered, and an allowed preflight is a 204 without a body."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from frontwatch.api.problems import problem_response
from frontwatch.errors import echo

READ_METHODS = ("GET", "HEAD")
READ_HEADERS = ("If-None-Match", "Accept-Encoding")


class ReadOnlyCors(CORSMiddleware):
    """CORSMiddleware whose preflight answers are a 204 or a 403 problem+json."""

    def preflight_response(self, request_headers: Headers) -> Response:
        request_headers = _without_empty_elements(request_headers)
        answer = super().preflight_response(request_headers)
        headers = {k: v for k, v in answer.headers.items()
                   if k.lower().startswith("access-control-") or k.lower() == "vary"}
        if answer.status_code < 400:
            return Response(status_code=204, headers=headers)
        detail = _refusal(request_headers, self)
        return problem_response(403, detail, code="cors-refused", headers=headers)


def _without_empty_elements(asked: Headers) -> Headers:
    """`asked` with the empty elements of Access-Control-Request-Headers dropped (`,,,`:
    a list's empty elements are ignored, RFC 9110 5.6.1), and the header with them when
    nothing is left; Starlette took an empty element for a header name it does not allow."""
    requested = asked.get("access-control-request-headers")
    if requested is None:
        return asked
    names = ", ".join(h.strip() for h in requested.split(",") if h.strip())
    raw = [(k, v) for k, v in asked.raw if k.lower() != b"access-control-request-headers"]
    if names:
        raw.append((b"access-control-request-headers", names.encode("latin-1")))
    return Headers(raw=raw)


def _refusal(asked: Headers, cors: CORSMiddleware) -> str:
    """What the preflight asked that is not offered, in words (the first reason)."""
    offered = (f"cross-origin requests may only read: methods {', '.join(READ_METHODS)}, "
               f"request headers {', '.join(READ_HEADERS)} (and the CORS-safelisted ones)")
    method = asked["access-control-request-method"]
    if method not in cors.allow_methods:
        write = (" (a write needs the token: upload from a server or the command line, "
                 "not from a page on another site)" if method not in ("OPTIONS", "QUERY")
                 else "")
        return (f"header 'Access-Control-Request-Method': {echo(method)} is not allowed "
                f"cross-origin{write}; {offered}")
    requested = asked.get("access-control-request-headers") or ""
    refused = [h.strip() for h in requested.split(",")
               if h.strip() and h.strip().lower() not in cors.allow_headers]
    if refused:
        return (f"header 'Access-Control-Request-Headers': {echo(', '.join(refused))} "
                f"{'is' if len(refused) == 1 else 'are'} not allowed cross-origin; {offered}")
    if "access-control-request-private-network" in asked:
        return ("header 'Access-Control-Request-Private-Network': a public page may not "
                "reach this server on a private network")
    return f"origin {echo(asked['origin'])} is not allowed; {offered}"  # all are, today
