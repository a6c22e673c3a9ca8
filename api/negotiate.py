"""Which representation an OGC API resource is sent in: JSON (the default, for every
non-browser client) or HTML (`f=html`, or a browser's `Accept: text/html`).

The response cache is keyed by URL, so a negotiated variant joins the key
(:func:`api.respond.request_key`) and the responses carry `Vary: Accept`.
"""

from __future__ import annotations

import functools

from frontwatch.errors import InputError, echo

FORMATS = ("json", "html")
# the OGC API resources that have an HTML page (the landing page is "/")
_HTML_PREFIXES = ("/collections", "/conformance")
_JSON_TYPES = ("application/json", "application/geo+json", "application/schema+json")


def has_html(path: str) -> bool:
    return path == "/" or path.startswith(_HTML_PREFIXES)


@functools.lru_cache(maxsize=256)
def wants_html(accept: str) -> bool:
    """True when `Accept` ranks text/html (or xhtml) above every JSON type it names: a
    browser's `text/html,…,*/*;q=0.8`, not `application/json`, `*/*` or nothing."""
    html = json = 0.0
    for part in accept.split(","):
        kind, _, params = part.strip().partition(";")
        kind = kind.strip().lower()
        q = 1.0
        for p in params.split(";"):
            name, _, value = p.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value) if value.strip().isascii() else 0.0
                except ValueError:
                    q = 0.0
        if kind in ("text/html", "application/xhtml+xml"):
            html = max(html, q)
        elif kind in _JSON_TYPES:
            json = max(json, q)
    return html > 0 and html > json


def variant(scope: dict) -> str:
    """'html' when an OGC resource is asked for by a browser, else '' (for the cache key;
    an explicit `f=` is in the query string, which the key holds already)."""
    if not has_html(scope["path"]):
        return ""
    accept = next((v for k, v in scope["headers"] if k == b"accept"), b"")
    return "html" if accept and wants_html(accept.decode("latin-1")) else ""


def choose(f: str | None, accept: str | None) -> str:
    """'json' or 'html' for a request: `f` wins (400 naming it when unknown), then Accept."""
    if f is not None:
        if f not in FORMATS:
            raise InputError(f"f={echo(f)}: expected one of {', '.join(FORMATS)}")
        return f
    return "html" if accept and wants_html(accept) else "json"
