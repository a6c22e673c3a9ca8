"""Where map pages get Leaflet and its plugins: our own server (default) or public CDNs.

With ``FRONTWATCH_ASSETS=local`` (the default) every CDN URL a rendered page references is
rewritten to ``/assets/<package>/<file>``, served same-origin from the files npm installed
(package.json / package-lock.json pin them; never committed): the copy built into the wheel
(setup.py copies them to ``frontwatch/render/npm``), else the repository's
``node_modules``. ``FRONTWATCH_ASSETS=cdn`` keeps the CDN URLs. Rewriting the rendered HTML,
page by page, avoids folium's class-level ``add_js_link`` which would change every map in
the process. Every page also carries a notice shown when its scripts did not load.
"""

from __future__ import annotations

import re
from pathlib import Path

from frontwatch.errors import InputError, NotFound, echo
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


STATIC = Path(__file__).resolve().parent / "npm"  # the wheel's copy (setup.py)


def node_modules() -> Path:
    """The folder holding the npm packages: FRONTWATCH_NODE_MODULES, else the copy built
    into the installed package, else the repository's node_modules (`npm ci`)."""
    configured = Settings().node_modules
    if configured:
        return Path(configured)
    if all((STATIC / f).is_file() for f in SERVED):
        return STATIC
    return Path(__file__).resolve().parents[3] / "node_modules"


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise InputError(f"FRONTWATCH_ASSETS={echo(mode)}: expected one of {', '.join(MODES)}")
    return mode


def missing_local() -> list[str]:
    """Files local mode needs that are not installed (empty when `npm ci` has run)."""
    root = node_modules()
    return sorted(f for f in SERVED if not (root / f).is_file())


FIX = "run `npm ci` in the repository (or set FRONTWATCH_ASSETS=cdn)"


def health(mode: str) -> dict[str, object]:
    """The state of the map assets for /healthz: the mode, the files local mode lacks and,
    when it lacks any, the command that installs them. A fresh clone without `npm ci` has
    none, and its map pages only say their scripts did not load."""
    missing = missing_local() if check_mode(mode) == "local" else []
    return {"mode": mode, "ok": not missing, "missing": missing,
            **({"fix": FIX} if missing else {})}


def startup_warning(mode: str) -> str | None:
    """One line for `frontwatch serve` to print when local mode lacks files (None when
    nothing is missing): what is missing, where it was looked for, what it breaks and the
    command that fixes it. The service runs anyway (the API needs none of them)."""
    missing = health(mode)["missing"]
    if not missing:
        return None
    assert isinstance(missing, list)
    return (f"warning: map assets missing: {len(missing)} of {len(SERVED)} files under "
            f"{node_modules()} (e.g. {missing[0]}), so map pages will say their scripts did "
            f"not load; to fix, {FIX}")


def localize(html: str, base: str = PREFIX) -> str:
    """Point every known CDN URL in a page at our server; unknown external scripts or
    styles are an error, so an offline page never silently depends on the internet."""
    def swap(m: re.Match) -> str:
        url = m.group(0)
        return base + LOCAL_FILES[url] if url in LOCAL_FILES else url

    out = _URL.sub(swap, html)
    # discovery links (oEmbed, the Atom feed: rel="alternate") point at our server anyway
    leftover = re.findall(r'<(?:script|link)(?![^>]*rel="alternate")[^>]+(?:src|href)='
                          r'"(https?://[^"]+)"', out)
    if leftover:
        raise InputError(f"no local copy of {leftover[0]}: add it to package.json and "
                         "render.assets.LOCAL_FILES")
    return out


def load_notice(needs: str = "L", what: str = "map") -> str:
    """HTML shown when the page's scripts did not load (blocked CDN, missing assets, scripts
    off) instead of a blank page; `needs` is the global the scripts define (Leaflet: L)."""
    return f"""<noscript><p class="fw-load-failed">This {what} needs JavaScript.</p></noscript>
<script>window.addEventListener("load",function(){{if(typeof {needs}==="undefined"){{
var p=document.createElement("p");p.className="fw-load-failed";p.setAttribute("role","alert");
p.style.cssText="font:16px sans-serif;padding:1em;margin:0;background:#fee;color:#600";
p.textContent="The {what}'s scripts did not load, so it cannot be shown. "+
"Reload the page; if this persists, the server's assets are missing.";
document.body.insertBefore(p,document.body.firstChild);}}}});</script>
"""


def with_load_notice(html: str, needs: str = "L", what: str = "map") -> str:
    """The page with load_notice() just before </body> (once)."""
    if "fw-load-failed" in html or "</body>" not in html:
        return html
    head, _, tail = html.rpartition("</body>")
    return head + load_notice(needs, what) + "</body>" + tail


def apply(html: str, mode: str) -> str:
    html = with_load_notice(html)
    return localize(html) if check_mode(mode) == "local" else html


def inline(html: str) -> str:
    """A self-contained page: each known CDN script and stylesheet copied into it (for a
    saved file, which must not name a path on the machine that made it)."""
    def script(m: re.Match) -> str:
        if m.group(1) not in LOCAL_FILES:
            return m.group(0)
        return "<script>" + _local_text(m.group(1)).replace("</script", "<\\/script") + \
            "</script>"

    def style(m: re.Match) -> str:
        if m.group(1) not in LOCAL_FILES:
            return m.group(0)
        return "<style>" + _local_text(m.group(1)) + "</style>"

    html = re.sub(r'<script src="(https?://[^"]+)"></script>', script, html)
    html = re.sub(r'<link rel="stylesheet" href="(https?://[^"]+)"\s*/?>', style, html)
    return localize(html)  # refuses what is left


def _local_text(url: str) -> str:
    return asset_file(LOCAL_FILES[url]).read_text(encoding="utf-8")


def asset_file(name: str) -> Path:
    """The installed file for /assets/<name>; only the files listed above are served."""
    if name not in SERVED:
        raise NotFound(f"no asset {echo(name)}")
    path = node_modules() / name
    if not path.is_file():
        raise NotFound(f"asset {echo(name)} is not installed: run `npm ci` in the repository, "
                       "or set FRONTWATCH_ASSETS=cdn")
    return path


def media_type(name: str) -> str:
    return MEDIA_TYPES.get(Path(name).suffix, "application/octet-stream")
