"""The API docs (/docs Swagger UI, /redoc) and /favicon.ico, served without a CDN.

Swagger UI's and Redoc's files come with the `fastapi-offline` package and are served here
under /assets/docs/ (FRONTWATCH_ASSETS=local, the default); FRONTWATCH_ASSETS=cdn keeps
FastAPI's CDN URLs. Either way a page whose scripts fail to load says so.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from starlette.responses import FileResponse, HTMLResponse, Response

from frontwatch.errors import NotFound, echo
from frontwatch.render import assets

# Pass-through: the only router without deps.READ (like the app's /openapi.json and /healthz).
# Its pages are static and the OAuth2 redirect page receives whatever query the identity
# provider appends.
router = APIRouter(include_in_schema=False)

FILES = Path(fastapi_offline.__file__).parent / "static"
SERVED = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
          "redoc.standalone.js": "text/javascript"}
PREFIX = "/assets/docs/"
IMMUTABLE = {"Cache-Control": "public, max-age=86400"}

# Frontwatch's mark: a front line between two zones (our own drawing, not library code)
FAVICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
           '<rect width="32" height="32" rx="6" fill="#cce4f7"/>'
           '<path d="M0 0h14l4 8-5 8 6 8-3 8H0z" fill="#d55e00"/>'
           '<path d="M14 0l4 8-5 8 6 8-3 8" fill="none" stroke="#222" stroke-width="2"/>'
           '</svg>')


def _urls(request: Request) -> dict[str, str]:
    if request.app.state.settings.assets == "cdn":
        return {}  # FastAPI's defaults: jsDelivr
    root = request.scope.get("root_path", "")
    return {"swagger_js_url": f"{root}{PREFIX}swagger-ui-bundle.js",
            "swagger_css_url": f"{root}{PREFIX}swagger-ui.css",
            "redoc_js_url": f"{root}{PREFIX}redoc.standalone.js"}


# With local assets nothing else may load: Redoc's bundle would fetch its own logo from its
# vendor's CDN, which this policy stops in the browser (the page works without it).
SAME_ORIGIN = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
               "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "worker-src 'self' blob:; connect-src 'self'")


def _page(request: Request, html: HTMLResponse, needs: str) -> HTMLResponse:
    body = assets.with_load_notice(bytes(html.body).decode(), needs, "API documentation")
    local = request.app.state.settings.assets != "cdn"
    return HTMLResponse(body, headers={"Content-Security-Policy": SAME_ORIGIN} if local else {})


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    urls = _urls(request)
    page = get_swagger_ui_html(
        openapi_url=request.app.openapi_url, title=f"{request.app.title} – API docs",
        oauth2_redirect_url="/docs/oauth2-redirect", swagger_favicon_url="/favicon.ico",
        **{k: v for k, v in urls.items() if k.startswith("swagger")})
    return _page(request, page, "SwaggerUIBundle")


@router.get("/docs/oauth2-redirect")
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    urls = _urls(request)
    page = get_redoc_html(openapi_url=request.app.openapi_url,
                          title=f"{request.app.title} – API reference",
                          redoc_favicon_url="/favicon.ico", with_google_fonts=False,
                          **{k: v for k, v in urls.items() if k.startswith("redoc")})
    return _page(request, page, "Redoc")


@router.get("/assets/docs/{name}")
def docs_asset(name: str) -> Response:
    if name not in SERVED:
        raise NotFound(f"no asset {echo(name)}")
    return FileResponse(FILES / name, media_type=SERVED[name], headers=IMMUTABLE)


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(FAVICON, media_type="image/svg+xml", headers=IMMUTABLE)
