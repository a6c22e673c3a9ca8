"""Where map pages get Leaflet and its plugins: public CDNs (default) or our own server.

With ``FRONTWATCH_ASSETS=local`` every CDN URL a rendered page references is rewritten to
``/assets/<package>/<file>``, served from ``node_modules`` (installed by ``npm ci`` from the
repository's package.json, never committed). Rewriting the rendered HTML, page by page,
avoids folium's class-level ``add_js_link`` which would change every map in the process.
"""

from __future__ import annotations

import re
from pathlib import Path

from frontwatch.errors import InputError, NotFound
from frontwatch.settings import Settings

MODES = ("cdn", "local")
PREFIX = "/assets/"

# CDN URL (as folium and our pages write it) → file under node_modules. One line per file;
# package.json pins the same versions.
LOCAL_FILES: dict[str, str] = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": "leaflet/dist/leaflet.js",
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": "leaflet/dist/leaflet.css",
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js":
        "leaflet.fullscreen/Control.FullScreen.js",
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css":
        "leaflet.fullscreen/Control.FullScreen.css",
}
# files the served ones load by relative URL (icons, marker images)
_EXTRA = ("leaflet.fullscreen/icon-fullscreen.svg", "leaflet/dist/images/layers.png",
          "leaflet/dist/images/layers-2x.png", "leaflet/dist/images/marker-icon.png",
          "leaflet/dist/images/marker-icon-2x.png", "leaflet/dist/images/marker-shadow.png")
SERVED = frozenset(LOCAL_FILES.values()) | frozenset(_EXTRA)
_URL = re.compile(r"https?://[^\s\"'<>)]+")
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml",
               ".png": "image/png"}


def node_modules() -> Path:
    """The npm install folder: $FRONTWATCH_NODE_MODULES, else the repository's."""
    configured = Settings().node_modules
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "node_modules"


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise InputError(f"FRONTWATCH_ASSETS={mode!r}: expected one of {', '.join(MODES)}")
    return mode


def missing_local() -> list[str]:
    """Files local mode needs that are not installed (empty when `npm ci` has run)."""
    root = node_modules()
    return sorted(f for f in SERVED if not (root / f).is_file())


def localize(html: str, base: str = PREFIX) -> str:
    """Point every known CDN URL in a page at our server; unknown external scripts or
    styles are an error, so an offline page never silently depends on the internet."""
    def swap(m: re.Match) -> str:
        url = m.group(0)
        return base + LOCAL_FILES[url] if url in LOCAL_FILES else url

    out = _URL.sub(swap, html)
    leftover = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?://[^"]+)"', out)
    leftover = [u for u in leftover if "oembed" not in u]
    if leftover:
        raise InputError(f"no local copy of {leftover[0]}: add it to package.json and "
                         "render.assets.LOCAL_FILES")
    return out


def apply(html: str, mode: str) -> str:
    return localize(html) if check_mode(mode) == "local" else html


def asset_file(name: str) -> Path:
    """The installed file for /assets/<name>; only the files listed above are served."""
    if name not in SERVED:
        raise NotFound(f"no asset {name!r}")
    path = node_modules() / name
    if not path.is_file():
        raise NotFound(f"asset {name!r} is not installed: run `npm ci` in the repository")
    return path


def media_type(name: str) -> str:
    return MEDIA_TYPES.get(Path(name).suffix, "application/octet-stream")
