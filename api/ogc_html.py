"""HTML pages of the OGC API (Part 1's HTML conformance class) so a browser user can look
around: landing page, conformance, collections, one collection, its queryables, items (a
table and a small Leaflet map of the page) and one item.

Each page is rendered from the very JSON document the resource sends (so the two never
disagree), by Jinja2 with autoescaping. Leaflet comes from our own server like the map pages'
(`FRONTWATCH_ASSETS`, see frontwatch.render.assets), never from a CDN by default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jinja2
import orjson
from fastapi import Query, Request
from markupsafe import Markup

from frontwatch import dates
from frontwatch.api import negotiate
from frontwatch.api.cache import Entry, make_entry
from frontwatch.render import assets

CONFORMANCE = ["http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html"]
HTML = "text/html; charset=utf-8"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
# the CDN URLs of Leaflet that frontwatch.render.assets knows (rewritten to /assets/… when
# FRONTWATCH_ASSETS=local); taken from there rather than from the folium pages' module, which
# would load folium at every server start
LEAFLET_JS, LEAFLET_CSS = (next(u for u, f in assets.LOCAL_FILES.items()
                                if f == f"leaflet/dist/leaflet.{ext}") for ext in ("js", "css"))

_BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} – Frontwatch OGC API</title>
<link rel="alternate" type="application/json" href="{{ json_url }}">
{% block head %}{% endblock %}
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:72em;padding:0 1em 2em;
color:#222}
nav{padding:.6em 0;border-bottom:1px solid #ddd;margin-bottom:1em}
nav a{margin-right:.3em}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border-bottom:1px solid #eee;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f6f6f6}
code{background:#f4f4f4;padding:0 .2em}
.meta{color:#555}
#map{height:420px;margin:1em 0;border:1px solid #ccc}
</style></head>
<body>
<nav>{% for label, href in crumbs %}<a href="{{ href }}">{{ label }}</a> › {% endfor %}
<strong>{{ title }}</strong> · <a href="{{ json_url }}">JSON</a></nav>
<main>{% block main %}{% endblock %}</main>
{% if attribution %}<p class="meta">Data: {{ attribution }}</p>{% endif %}
</body></html>
"""

_TEMPLATES = {
    "base": _BASE,
    "landing": """{% extends "base" %}{% block main %}
<h1>{{ doc.title }}</h1><p>{{ doc.description }}</p>
<ul>{% for l in doc.links if l.rel != "self" %}
<li><a href="{{ l.href }}">{{ l.title or l.rel }}</a></li>{% endfor %}</ul>
{% endblock %}""",
    "conformance": """{% extends "base" %}{% block main %}
<h1>Conformance classes</h1>
<ul>{% for c in doc.conformsTo %}<li><code>{{ c }}</code></li>{% endfor %}</ul>
{% endblock %}""",
    "collections": """{% extends "base" %}{% block main %}
<h1>Collections</h1>
<table><tr><th>collection</th><th>description</th><th>time span</th></tr>
{% for c in doc.collections %}<tr><td><a href="{{ link(c, 'self') }}">{{ c.title }}</a>
<br><code>{{ c.id }}</code></td><td>{{ c.description }}</td>
<td>{{ span(c) }}</td></tr>{% endfor %}</table>
{% endblock %}""",
    "collection": """{% extends "base" %}{% block main %}
<h1>{{ doc.title }}</h1><p>{{ doc.description }}</p>
<ul><li><a href="{{ link(doc, 'items') }}">Items</a></li>
{% if link(doc, 'http://www.opengis.net/def/rel/ogc/1.0/queryables') %}
<li><a href="{{ link(doc, 'http://www.opengis.net/def/rel/ogc/1.0/queryables') }}">
Queryables</a> (properties for <code>filter</code> and <code>sortby</code>)</li>{% endif %}
</ul>
<p>Extent: {{ doc.extent.spatial.bbox[0] | join(', ') }} (lon/lat); time: {{ span(doc) }}</p>
{% if doc.crs %}<p>CRS: {% for c in doc.crs %}<code>{{ c }}</code> {% endfor %}</p>{% endif %}
{% endblock %}""",
    "queryables": """{% extends "base" %}{% block main %}
<h1>{{ doc.title }}: queryables</h1>
<p>Use them in <code>filter</code> (CQL2 text or JSON) and <code>sortby</code>.</p>
<table><tr><th>name</th><th>type</th><th>description</th></tr>
{% for name, s in doc.properties.items() %}<tr><td><code>{{ name }}</code></td>
<td>{{ s.format or s.type }}</td><td>{{ s.title }}{% if s.enum %}: {{ s.enum | join(', ') }}
{% endif %}</td></tr>{% endfor %}</table>
{% endblock %}""",
    "items": """{% extends "base" %}
{% block head %}{% if geojson %}<link rel="stylesheet" href="{{ leaflet_css }}">
<script src="{{ leaflet_js }}"></script>{% endif %}{% endblock %}
{% block main %}
<h1>{{ title }}</h1>
<p class="meta">{{ doc.numberReturned }} of {{ doc.numberMatched }} features
{% if doc.valid_at %}· state of {{ doc.valid_at }} (snapshot {{ doc.snapshot_id }}){% endif %}
{% if doc.data_through %}· data through {{ doc.data_through }}{% endif %}
{% if doc.stale_days %}· {{ doc.stale_days | days }} old{% endif %}
{% if link(doc, 'prev') %}· <a href="{{ link(doc, 'prev') }}">previous page</a>{% endif %}
{% if link(doc, 'next') %}· <a href="{{ link(doc, 'next') }}">next page</a>{% endif %}</p>
{% if geojson %}<div id="map"></div>{% else %}<p class="meta">No map: the geometries are
not in lon/lat (<code>crs</code>).</p>{% endif %}
<table><tr><th>id</th>{% for k in columns %}<th>{{ k }}</th>{% endfor %}</tr>
{% for f in doc.features %}<tr><td><a href="{{ item_url(f.id) }}">{{ f.id }}</a></td>
{% for k in columns %}<td>{{ f.properties.get(k, '') if f.properties.get(k) is not none
else '' }}</td>{% endfor %}</tr>{% endfor %}</table>
{% if geojson %}{{ map_script(geojson) }}{% endif %}
{% endblock %}""",
    "item": """{% extends "base" %}
{% block head %}{% if geojson %}<link rel="stylesheet" href="{{ leaflet_css }}">
<script src="{{ leaflet_js }}"></script>{% endif %}{% endblock %}
{% block main %}
<h1>{{ title }}</h1>
{% if geojson %}<div id="map"></div>{% endif %}
<table>{% for k, v in (doc.properties or {}).items() %}<tr><th>{{ k }}</th>
<td>{{ v if v is not none else '' }}</td></tr>{% endfor %}</table>
{% if geojson %}{{ map_script(geojson) }}{% endif %}
{% endblock %}""",
}

_MAP_SCRIPT = """<script>
(function(){var data=%s;
var map=L.map("map");
L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png",{maxZoom:18,
attribution:'&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
}).addTo(map);
var layer=L.geoJSON(data,{style:function(f){var s=(f.properties||{}).status;
return {weight:1.5,color:s==="occupied"?"#b2182b":s==="contested"?"#e08214":"#2166ac",
fillOpacity:.25};},pointToLayer:function(f,ll){return L.circleMarker(ll,{radius:5});},
onEachFeature:function(f,l){if(f.id!==undefined){l.bindTooltip(String(f.id));}}}).addTo(map);
var b=layer.getBounds();if(b.isValid()){map.fitBounds(b,{maxZoom:12});}
else{map.setView([48.5,35],6);}})();
</script>"""

_ENV = jinja2.Environment(loader=jinja2.DictLoader(_TEMPLATES), autoescape=True,
                          undefined=jinja2.ChainableUndefined)
_ENV.filters["days"] = dates.n_days  # "1 day", "2 days"


def fmt(request: Request, f: Annotated[str | None, Query(
        description="json (default) or html; browsers sending Accept: text/html get HTML",
        examples=["html"], json_schema_extra={"enum": list(negotiate.FORMATS)})] = None
        ) -> str:
    """A FastAPI dependency: the representation this request gets ('json' or 'html')."""
    return negotiate.choose(f, request.headers.get("accept"))


def negotiated(build: Callable[[], Entry], chosen: str, kind: str, request: Request,
               assets_mode: str = "local", title: str | None = None) -> Callable[[], Entry]:
    """`build` as it is (JSON) or turned into the HTML page of `kind`; both say `Vary: Accept`
    since the same URL answers browsers with HTML."""
    def json_variant() -> Entry:
        entry = build()
        entry.headers["Vary"] = "Accept"
        return entry

    def html_variant() -> Entry:
        entry = build()
        doc = orjson.loads(entry.bodies["identity"])
        keep = {k: v for k, v in entry.headers.items() if k.lower() != "content-location"}
        body = render(kind, doc, str(request.url), assets_mode, title,
                      entry.headers.get("Content-Crs", f"<{CRS84}>"))
        return make_entry(body.encode(), HTML, {**keep, "Vary": "Accept"}, entry.status)

    return html_variant if chosen == "html" else json_variant


def _with_query(url: str, **params: str) -> str:
    """The same resource with `params` set, as a same-origin relative URL."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in params]
    return urlunsplit(("", "", parts.path, urlencode([*query, *params.items()]), ""))


def render(kind: str, doc: dict[str, Any], url: str, assets_mode: str = "local",
           title: str | None = None, content_crs: str = f"<{CRS84}>") -> str:
    """The HTML page of one resource from its JSON document."""
    parts = urlsplit(url)
    root = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    path = [p for p in parts.path.split("/") if p]
    crumbs = [("Home", f"{root}/")]
    for i in range(len(path) - 1):
        crumbs.append((path[i], f"{root}/{'/'.join(path[: i + 1])}"))
    lon_lat = content_crs == f"<{CRS84}>"
    geojson = None
    if kind in ("items", "item") and lon_lat:
        geojson = {k: doc.get(k) for k in ("type", "features", "geometry", "properties", "id")
                   if k in doc}
    columns: list[str] = []
    for f in doc.get("features") or []:
        for k in f.get("properties") or {}:
            if k not in columns:
                columns.append(k)
    base_items = f"{root}/{'/'.join(path)}"
    html = _ENV.get_template(kind).render(
        doc=doc, title=title or doc.get("title") or _title(kind, path, doc),
        crumbs=crumbs, json_url=_with_query(url, f="json"), attribution=doc.get("attribution"),
        geojson=geojson, columns=columns, leaflet_js=LEAFLET_JS, leaflet_css=LEAFLET_CSS,
        link=_link, span=_span, item_url=lambda fid: f"{base_items}/{fid}",
        map_script=_map_script)
    return assets.apply(html, assets_mode) if geojson else html


def _title(kind: str, path: list[str], doc: dict[str, Any]) -> str:
    if kind == "items":
        return f"{path[1]}: items" if len(path) > 1 else "Items"
    if kind == "item":
        return f"{path[1]} {doc.get('id', '')}"
    return {"landing": "Frontwatch", "conformance": "Conformance",
            "collections": "Collections"}.get(kind, kind)


def _link(doc: dict[str, Any], rel: str) -> str | None:
    for link in doc.get("links") or []:
        if link.get("rel") == rel:
            return link.get("href")
    return None


def _span(c: dict[str, Any]) -> str:
    try:
        a, b = c["extent"]["temporal"]["interval"][0]
    except (KeyError, IndexError, TypeError, ValueError):
        return ""
    return f"{a or '..'} / {b or '..'}"


def _map_script(geojson: dict[str, Any]) -> Markup:
    """The map's script with the data inlined: JSON made safe inside <script> (every `<`,
    which only occurs inside strings, as the escape \\u003c)."""
    data = orjson.dumps(geojson).decode().replace("<", "\\u003c")
    return Markup(_MAP_SCRIPT % data)
