"""Interactive Leaflet pages (folium): one date, a comparison of two, or a time-lapse.

Pages are self-contained and lean: only Leaflet and the fullscreen control are loaded (set
per map instance, so other maps in the process are untouched), our own region outlines make
the map legible with no tile server, and the title, date, legend and source credit sit in a
visible block rather than only in Leaflet's small attribution control.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import quote, urlencode

import folium
import folium.plugins
import shapely
from branca.element import Element, MacroElement
from folium.template import Template

from frontwatch.geojson import geometry_object
from frontwatch.render import labels, style
from frontwatch.render.scene import Scene

LEAFLET_JS = ("leaflet", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")
LEAFLET_CSS = ("leaflet_css", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css")
ZOOM_IN = 3  # zoom levels offered beyond the fitted view
LAND_PANE, ZONES_PANE = "fw-land", "fw-zones"  # below Leaflet's overlayPane (400): outlines
# and places stay on top of the zones, however often a time-lapse swaps them
COMPACT = "(max-width:600px),(max-height:400px)"  # small embeds: one title line, legend
# behind its toggle (closed on opening), so the map stays visible


def _feature(geom, **props) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry_object(geom)}


def _layer(geom, name: str, fill: str, opacity: float, *, stroke: str | None = None,
           weight: float = 0.0, show: bool = True, control: bool = True,
           pane: str = ZONES_PANE) -> folium.GeoJson:
    fc = {"type": "FeatureCollection", "features": [] if geom.is_empty else [_feature(geom)]}
    st = {"fillColor": fill, "fillOpacity": opacity, "color": stroke or fill,
          "weight": weight, "stroke": bool(weight)}
    return folium.GeoJson(fc, name=name, style_function=lambda _f, st=st: st, show=show,
                          control=control, zoom_on_click=False, pane=pane)


def _lines(geom, name: str, weight: float, dash: str | None = None) -> folium.GeoJson:
    fc = {"type": "FeatureCollection", "features": [] if geom.is_empty else [_feature(geom)]}
    st = {"color": style.OUTLINE, "weight": weight, "opacity": 0.9, "dashArray": dash}
    return folium.GeoJson(fc, name=name, style_function=lambda _f, st=st: st,
                          zoom_on_click=False, control=False)


def new_map(scene: Scene) -> folium.Map:
    """A blank map fitted to the focus, with only the scripts our pages use."""
    minx, miny, maxx, maxy = scene.focus.bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None,
                   control_scale=scene.query.lang == "en",  # else _Localize adds a metric one
                   zoom_snap=0.25, attribution_control=True)
    m.default_js = [LEAFLET_JS]  # instance attributes: no jQuery/Bootstrap/Font Awesome
    m.default_css = [LEAFLET_CSS]
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.map.CustomPane(LAND_PANE, z_index=350).add_to(m)
    folium.map.CustomPane(ZONES_PANE, z_index=390).add_to(m)
    m.get_root().header.add_child(Element(
        f"<style>.leaflet-container{{background:{style.BACKGROUND}}}</style>"), name="fw_bg")
    return m


def add_base(m: folium.Map, scene: Scene) -> None:
    """Land (the rest of the region by contrast: what it is, the source says, or not),
    outlines, optional tiles."""
    t = scene.t
    folium.TileLayer("OpenStreetMap", name=t["tiles"], overlay=True, show=scene.query.tiles,
                     control=True, opacity=0.5, attr=t["osm_tiles"]).add_to(m)
    _layer(scene.land, style.rest_words(scene.claims, scene.info.source, scene.query.lang),
           style.HELD, 1.0, control=False, pane=LAND_PANE).add_to(m)


def add_overlays(m: folium.Map, scene: Scene) -> None:
    t = scene.t
    outlines = folium.FeatureGroup(name=t["regions"])
    _lines(scene.outlines["raion"], "raions", 0.6, "3,3").add_to(outlines)
    _lines(scene.outlines["oblast"], "oblasts", 1.6).add_to(outlines)
    if scene.query.place or scene.query.bbox:
        _lines(shapely.boundary(scene.focus), "focus", 2.0, "6,4").add_to(outlines)
    outlines.add_to(m)
    places = folium.FeatureGroup(name=t["places"])
    places.add_to(m)
    places.add_child(_Labels(scene.places))
    folium.plugins.Fullscreen(position="topleft", title=t["fullscreen"],
                              title_cancel=t["fullscreen_exit"]).add_to(m)
    folium.LayerControl(collapsed=True, position="topright").add_to(m)
    m.get_root().html.add_child(Element(_panel(scene)))
    m.add_child(_Expose())
    m.add_child(_Localize(scene.query.lang))


def add_control(m: folium.Map, scene: Scene) -> None:
    t = scene.t
    if scene.other is not None:  # two sources: the comparison replaces the control layers
        for colour, label, key in source_rows(scene):
            _layer(scene.changes[key], label, colour, 0.85, stroke="#000",
                   weight=0.8 if key != "not_compared" else 0.0).add_to(m)
        return
    show = not scene.query.compare
    _layer(scene.layers["contested"], t["contested"], style.CONTESTED,
           style.OPACITY["contested"], show=True).add_to(m)
    _layer(scene.layers["occupied"], style.occupied_words(scene.claims, scene.info.source,
                                                          scene.query.lang), style.OCCUPIED,
           style.OPACITY["occupied"] if show else 0.45).add_to(m)
    for key in ("gained", "lost"):
        if key in scene.changes:
            label = t[key].format(d=scene.query.compare.isoformat())
            _layer(scene.changes[key], label, style.FILLS[key], style.OPACITY[key],
                   stroke="#000", weight=1.2).add_to(m)


def legend_rows(scene: Scene) -> list[tuple[str, str, str]]:
    """(colour, label, figure) rows, also used by the static image."""
    t, lang, q = scene.t, scene.query.lang, scene.query
    if scene.other is not None:
        return [(c, label, style.km2(scene.change_km2[key], lang)
                 + (f" · {scene.agreement_text}" if key == "both" else ""))
                for c, label, key in source_rows(scene)] + [
            (style.HELD, t["neither"], "")]
    rows = [(colour, label, control_figure(scene, key, scene.stats[key]))
            for colour, label, key in control_rows(scene)]
    for key in ("gained", "lost"):
        if key in scene.change_km2:
            rows.append((style.FILLS[key], t[key].format(d=style.long_date(q.compare, lang)),
                         style.km2(scene.change_km2[key], lang)))
    return rows


def control_rows(scene: Scene) -> list[tuple[str, str, str]]:
    """(colour, label, figure key) of a one-source map's control layers and the rest of the
    region, labelled with only what the source claims (:attr:`Scene.claims`); the figure
    keys are `scene.stats`' (a time-lapse fills the same rows frame by frame)."""
    t, c, src, lang = scene.t, scene.claims, scene.info.source, scene.query.lang
    return [(style.OCCUPIED, style.occupied_words(c, src, lang), "occupied"),
            (style.CONTESTED, t["contested"], "contested"),
            (style.HELD, style.rest_words(c, src, lang), "ukrainian")]


def control_figure(scene: Scene, key: str, km2: float) -> str:
    """A control row's figure: km², or "not in this source" for the grey zone of a source
    that maps none (never a "0 km²" it does not claim)."""
    if key == "contested" and not scene.claims.grey_zone:
        return scene.t["no_grey"]
    return style.km2(km2, scene.query.lang)


def source_rows(scene: Scene) -> list[tuple[str, str, str]]:
    """(colour, label, key) of a two-source map's layers, in drawing order."""
    t = scene.t
    assert scene.other is not None
    return [(style.SOURCE_FILLS["both"], t["both"], "both"),
            (style.SOURCE_FILLS["only_a"], t["only"].format(src=scene.info.source), "only_a"),
            (style.SOURCE_FILLS["only_b"], t["only"].format(src=scene.other.source),
             "only_b"),
            (style.SOURCE_FILLS["not_compared"], t["not_compared"], "not_compared")]


_CSS = """
<style>
.fw-panel{position:absolute;z-index:1000;left:54px;top:10px;max-width:min(420px,calc(100% - 110px));
 background:rgba(255,255,255,.93);padding:6px 10px;border-radius:4px;
 box-shadow:0 1px 4px rgba(0,0,0,.3);
 font:13px/1.3 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#111}
.fw-panel h1{font-size:15px;margin:0 0 2px}
.fw-panel .fw-date{font-weight:600}
.fw-panel p{margin:2px 0}
.fw-legend{position:absolute;z-index:1000;left:10px;bottom:58px;background:rgba(255,255,255,.93);
 padding:5px 8px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);
 font:12px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
 max-width:calc(100% - 40px)}
.fw-legend i{display:inline-block;width:14px;height:11px;margin-right:5px;vertical-align:-1px;
 border:1px solid #555}
.fw-legend b{font-weight:600;margin-left:4px}
.fw-credit{font-size:11px;color:#333}
.fw-notice{background:#000;color:#ff0;font-weight:700;padding:3px 6px;margin:3px 0;
 border-radius:3px}
.fw-label{background:rgba(255,255,255,.8);border:0;box-shadow:none;padding:0 3px;font-size:11px;
 font-weight:600}
.fw-label:before{display:none}
@media (max-width:480px){.fw-panel{font-size:11px;left:46px;top:6px;padding:4px 6px}
 .fw-panel h1{font-size:13px}.fw-legend{font-size:10.5px}.fw-desc{display:none}
 .fw-label{font-size:10px}}
.fw-legend summary{cursor:pointer;font-weight:600;font-size:11px;color:#333}
.fw-legend:not([open]){padding:2px 7px}
@media COMPACT{
 .fw-panel{left:46px;right:60px;top:6px;max-width:none;padding:2px 6px;display:grid;
  grid-template-columns:minmax(0,max-content) auto;column-gap:6px;align-items:baseline;
  white-space:nowrap;overflow:hidden}
 .fw-panel h1{font-size:12px;margin:0;overflow:hidden;text-overflow:ellipsis}
 .fw-panel .fw-date{font-size:11px;margin:0}
 .fw-panel .fw-desc{display:none}
 .fw-panel .fw-notice{grid-column:1/-1;white-space:normal;font-size:10px}
 .fw-legend{font-size:10.5px;max-width:calc(100% - 20px)}
 .fw-label{font-size:10px}}
</style>
""".replace("COMPACT", COMPACT)


def _panel(scene: Scene) -> str:
    e = html.escape
    notice = (f'<p class="fw-notice" role="alert">{e(scene.notice)}</p>'
              if scene.notice else "")
    rows = "".join(f'<div><i style="background:{c}"></i>{e(label)}'
                   f'<b id="fw-fig-{i}">{e(fig)}</b></div>'
                   for i, (c, label, fig) in enumerate(legend_rows(scene)))
    credits = "<br>".join(e(c) for c in scene.credits)
    return (_CSS +
            f'<div class="fw-panel" id="fw-title"><h1>{e(scene.title)}</h1>'
            f'<p class="fw-date" id="fw-date">{e(scene.subtitle)}</p>{notice}'
            f'<p class="fw-desc" id="fw-desc">{e(scene.description)}</p></div>'
            f'<details class="fw-legend" id="fw-legend" open><summary>'
            f'{e(scene.t["legend"])}</summary>{rows}'
            f'<div class="fw-credit" id="fw-credit">{credits}</div></details>'
            # folded at once in a small frame, before the map's scripts place labels
            f'<script>if (window.matchMedia("{COMPACT}").matches) '
            'document.getElementById("fw-legend").open = false;</script>')


class _Labels(MacroElement):
    """Place labels placed in the browser (frontwatch.render.labels): at each zoom and pan the
    candidates the scale admits, in order, each shown only where its box (marker and text,
    measured with the label's font) meets none already shown and lies inside the map."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function(map, group, places, rule) {
          var ctx = document.createElement("canvas").getContext("2d"), widths = {};
          function width(name, small) {
            var key = (small ? "s" : "l") + name;
            if (!(key in widths)) {
              ctx.font = "600 " + (small ? 10 : 11) + "px system-ui,-apple-system,Segoe UI," +
                "Roboto,Arial,sans-serif";
              widths[key] = ctx.measureText(name).width + 6;
            }
            return widths[key];
          }
          function minPopulation(mpp) {
            for (var i = 0; i < rule.length; i++) if (mpp >= rule[i][0]) return rule[i][1];
            return 0;
          }
          var markers = places.map(function(p) {
            return L.circleMarker([p[2], p[1]], {radius: 3, color: "#000", weight: 1,
              fill: true, fillColor: "#fff", fillOpacity: 1}).bindTooltip(
              p[0].replace(/[&<>"]/g, function(c) {
                return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]; }),
              {permanent: true, direction: "right", className: "fw-label"});
          });
          function place() {
            var size = map.getSize(), small = size.x <= 480;
            var mpp = 40075016.686 * Math.cos(map.getCenter().lat * Math.PI / 180) /
              (256 * Math.pow(2, map.getZoom()));
            var need = minPopulation(mpp), shown = 0, el = map.getContainer();
            var frame = el.getBoundingClientRect(), kept = [];
            document.querySelectorAll(".fw-panel, .fw-legend, .leaflet-control").forEach(
              function(o) {  // the title, legend and controls cover the map: keep clear
                var r = o.getBoundingClientRect();
                if (r.width) kept.push([r.left - frame.left, r.top - frame.top,
                                        r.right - frame.left, r.bottom - frame.top]);
              });
            for (var i = 0; i < places.length; i++) {
              var p = places[i], ok = p[3] >= need, box = null;
              if (ok) {
                var pt = map.latLngToContainerPoint([p[2], p[1]]);
                box = [pt.x - 4, pt.y - 9, pt.x + 10 + width(p[0], small), pt.y + 9];
                ok = box[0] >= 0 && box[1] >= 0 && box[2] <= size.x && box[3] <= size.y;
                for (var k = 0; ok && k < kept.length; k++) {
                  var o = kept[k];
                  ok = !(box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3]);
                }
              }
              if (ok) { kept.push(box); shown++; if (!group.hasLayer(markers[i]))
                group.addLayer(markers[i]); }
              else if (group.hasLayer(markers[i])) group.removeLayer(markers[i]);
            }
            el.setAttribute("data-fw-labels", shown);
          }
          map.on("zoomend moveend resize", place);
          map.whenReady(place);
        })({{ this._parent._parent.get_name() }}, {{ this._parent.get_name() }},
           {{ this.places }}, {{ this.rule }});
        {% endmacro %}
    """)

    def __init__(self, places: list[tuple[str, float, float, int]]):
        super().__init__()
        self._name = "FwLabels"
        rows = [[name, round(lon, 4), round(lat, 4), pop] for name, lon, lat, pop in places]
        self.places = json.dumps(rows, ensure_ascii=False).replace("</", "<\\/")
        self.rule = json.dumps(labels.rule_for_js())


class _Expose(MacroElement):
    """Names the map for tests and host pages (window.frontwatchMap), limits zoom to the
    range the geometry was simplified for, and labels the map for screen readers."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        window.frontwatchMap = {{ this._parent.get_name() }};
        {{ this._parent.get_name() }}.setMaxZoom({{ this._parent.get_name() }}.getZoom() + """
                         + str(ZOOM_IN) + """);
        (function(el){ el.setAttribute("role", "region");
          el.setAttribute("aria-labelledby", "fw-title");
          el.setAttribute("aria-describedby", "fw-desc"); })
          ({{ this._parent.get_name() }}.getContainer());
        (function(map, legend){  // place labels again when the legend opens or folds
          if (legend) legend.addEventListener("toggle", function(){ map.fire("moveend"); });
        })({{ this._parent.get_name() }}, document.getElementById("fw-legend"));
        {% endmacro %}
    """)


class _Localize(MacroElement):
    """Leaflet's own controls in the page's language: zoom and layer button titles, the
    attribution prefix and, for Ukrainian, a metric-only scale bar in "км"/"м" (Leaflet
    itself speaks English and shows miles)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function(map, t){
          var zc = map.zoomControl;
          if (zc) { [[zc._zoomInButton, t.zoom_in], [zc._zoomOutButton, t.zoom_out]].forEach(
            function(b){ b[0].title = b[1]; b[0].setAttribute("aria-label", b[1]); }); }
          document.querySelectorAll(".leaflet-control-layers-toggle").forEach(function(a){
            a.title = t.layers; a.setAttribute("aria-label", t.layers); });
          map.attributionControl.setPrefix('<a href="https://leafletjs.com" title="'
            + t.leaflet + '">Leaflet</a>');
          if (t.metric_only) {
            var Scale = L.Control.Scale.extend({ _updateMetric: function (maxMeters) {
              L.Control.Scale.prototype._updateMetric.call(this, maxMeters);
              this._mScale.textContent = this._mScale.textContent
                .replace(/ km$/, " км").replace(/ m$/, " м"); } });
            new Scale({imperial: false}).addTo(map);
          }
        })({{ this._parent.get_name() }}, {{ this.words|tojson }});
        {% endmacro %}
    """)

    def __init__(self, lang: str) -> None:
        super().__init__()
        self._name = "Localize"
        t = style.TEXT[lang]
        self.words = {k: t[k] for k in ("zoom_in", "zoom_out", "layers", "leaflet")}
        self.words["metric_only"] = lang != "en"


def finish(m: folium.Map, scene: Scene, oembed_url: str | None = None) -> str:
    """The page as HTML text, with language, title, description and oEmbed discovery."""
    root = m.get_root()
    head = (f"<title>{html.escape(scene.title)} — {html.escape(scene.subtitle)}</title>"
            f'<meta name="description" content="{html.escape(scene.description)}">')
    if oembed_url:
        head += (f'<link rel="alternate" type="application/json+oembed" '
                 f'href="{html.escape(oembed_url)}" title="{html.escape(scene.title)}">')
        head += _feed_link(scene, oembed_url.split("oembed?", 1)[0])
    root.header.add_child(Element(head), name="fw_head")
    page = root.render()
    return page.replace("<html>", f'<html lang="{scene.query.lang}">', 1)


def _feed_link(scene: Scene, base_url: str) -> str:
    """Feed discovery: the Atom feed of settlements that changed hands in what the map shows
    (its region when it has one) from its source (api.routes.feeds)."""
    args = {"region": scene.query.region, "source": scene.info.source}
    href = f"{base_url}feeds/changes.atom?" + urlencode({k: v for k, v in args.items() if v})
    return (f'<link rel="alternate" type="application/atom+xml" href="{html.escape(href)}" '
            f'title="{html.escape(scene.t["feed"])}">')


def render_page(scene: Scene, oembed_url: str | None = None) -> str:
    """A single-date (or compare) map page."""
    m = new_map(scene)
    add_base(m, scene)
    add_control(m, scene)
    add_overlays(m, scene)
    return finish(m, scene, oembed_url)


def oembed_link(base_url: str, page_url: str) -> str:
    return f"{base_url.rstrip('/')}/oembed?url={quote(page_url, safe='')}&format=json"
