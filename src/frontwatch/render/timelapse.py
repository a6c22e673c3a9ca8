"""Time-lapse pages: control over a range of dates, with a slider and a play button.

Each distinct snapshot in the range is embedded once (consecutive frames often resolve to
the same one) and simplified for the fitted view; the slider swaps which one is drawn. The
control is a few lines of Leaflet, so the page needs nothing beyond Leaflet itself: folium's
TimestampedGeoJson pulls jQuery, jQuery UI, moment and more, and TimeSliderChoropleth
re-styles every path on the page (outlines included) and relies on jQuery without loading it.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from branca.element import MacroElement
from folium.template import Template

from frontwatch import dates
from frontwatch.geojson import geometry_object
from frontwatch.render import simplify, style, webmap
from frontwatch.render.query import MapQuery
from frontwatch.render.scene import (
    CONTROL,
    build,
    control_km2,
    control_layers,
    resolve_snapshot,
    title_words,
)
from frontwatch.store.base import SqlStore

FIT_PIXELS = 1000  # a time-lapse is watched at its fitted zoom: simplify for that


class TimeSlider(MacroElement):
    _template = Template("""
    {% macro script(this, kwargs) %}
    (function () {
      var map = {{ this._parent.get_name() }};
      var data = {{ this.data|tojson }};
      var frames = {{ this.frames|tojson }};
      var styles = {{ this.styles|tojson }};
      var layers = data.map(function (fc) {
        return L.geoJson(fc, {pane: {{ this.pane|tojson }}, interactive: false,
                              style: function (f) { return styles[f.properties.s]; }});
      });
      var shown = null, input, label, timer = null;
      function show(k) {
        k = Math.max(0, Math.min(frames.length - 1, k | 0));
        var f = frames[k], layer = layers[f.i];
        if (shown !== layer) { if (shown) { map.removeLayer(shown); } layer.addTo(map);
                               shown = layer; }
        input.value = k; label.textContent = f.label;
        document.getElementById("fw-date").textContent = f.label;
        f.figs.forEach(function (v, j) {
          var el = document.getElementById("fw-fig-" + j); if (el) { el.textContent = v; } });
        map.getContainer().setAttribute("data-frame", k);
      }
      var Slider = L.Control.extend({ onAdd: function () {
        var div = L.DomUtil.create("div", "fw-slider leaflet-bar");
        var play = L.DomUtil.create("button", "", div);
        play.type = "button"; play.textContent = "▶"; play.title = {{ this.play|tojson }};
        play.setAttribute("aria-label", {{ this.play|tojson }});
        input = L.DomUtil.create("input", "", div);
        input.type = "range"; input.min = 0; input.max = frames.length - 1; input.step = 1;
        input.setAttribute("aria-label", {{ this.slider|tojson }});
        label = L.DomUtil.create("output", "", div);
        L.DomEvent.disableClickPropagation(div); L.DomEvent.disableScrollPropagation(div);
        input.addEventListener("input", function () { show(+input.value); });
        play.addEventListener("click", function () {
          if (timer) { clearInterval(timer); timer = null; play.textContent = "▶"; return; }
          if (+input.value >= frames.length - 1) { show(0); }
          play.textContent = "❚❚";
          timer = setInterval(function () {
            if (+input.value >= frames.length - 1) { clearInterval(timer); timer = null;
                                                     play.textContent = "▶"; return; }
            show(+input.value + 1); }, 700);
        });
        return div; } });
      new Slider({ position: "bottomright" }).addTo(map);
      show(frames.length - 1);
      window.frontwatchFrame = show;
    })();
    {% endmacro %}
    """)

    def __init__(self, data: list, frames: list, lang: str) -> None:
        super().__init__()
        self._name = "TimeSlider"
        self.data, self.frames, self.pane = data, frames, webmap.ZONES_PANE
        self.styles = {s: {"fillColor": style.FILLS[s], "fillOpacity": style.OPACITY[s],
                           "stroke": False} for s in CONTROL}
        self.play, self.slider = style.TEXT[lang]["play"], style.TEXT[lang]["slider"]


_CSS = """<style>.fw-slider{background:#fff;padding:4px 8px;display:flex;align-items:center;
gap:6px;font:13px system-ui,Arial,sans-serif;margin-bottom:28px!important}
.fw-slider input{width:min(260px,40vw)}.fw-slider button{border:0;background:#eee;
padding:2px 8px;cursor:pointer}.fw-slider output{min-width:7em}
@media COMPACT{.fw-slider{font-size:11px;padding:2px 6px;margin-bottom:64px!important}
.fw-slider output{min-width:6.5em}}</style>""".replace("COMPACT", webmap.COMPACT)  # above
# the folded legend


def render_page(store: SqlStore, q: MapQuery, oembed_url: str | None = None,
                no_newer: bool = False, asked: date | None = None) -> str:
    """The time-lapse page from q.start to q.on every q.step_days; `no_newer`: the range
    asked for ended after the newest snapshot and was cut there (the page says so).
    `asked`: the end asked for (default q.on), to which the age of the newest revision
    drawn (the last frame's) counts, as a map's counts to its date."""
    from branca.element import Element

    days = q.frames()
    infos = [resolve_snapshot(store, q, d) for d in days]
    scene = build(store, dataclasses.replace(q, start=None), pixels=FIT_PIXELS,
                  info=infos[-1])
    tol = simplify.tolerance_for(scene.focus.bounds, FIT_PIXELS)
    dec = simplify.decimals_for(tol)
    lang, t = q.lang, style.TEXT[q.lang]
    index: dict[int, int] = {}
    data, frames, occupied = [], [], []
    for day, info in zip(days, infos):
        if info.id not in index:
            raw, simple = control_layers(store, info, scene.view, tol, dec)
            feats = [{"type": "Feature", "properties": {"s": s},
                      "geometry": geometry_object(g, dec)}
                     for s, g in simple.items() if not g.is_empty]
            index[info.id] = len(data)
            data.append({"type": "FeatureCollection", "features": feats})
            km = control_km2(raw, scene.focus_land)
            km["ukrainian"] = max(scene.stats["total"] - km["occupied"] - km["contested"], 0)
            frames_km = km
        else:
            frames_km = next(f["km"] for f in frames if f["i"] == index[info.id])
        occupied.append(frames_km["occupied"])
        frames.append({"i": index[info.id], "km": frames_km,
                       "label": style.long_date(day, lang),
                       "figs": [webmap.control_figure(scene, k, frames_km[k])
                                for _, _, k in webmap.control_rows(scene)]})
    for f in frames:
        del f["km"]
    newest = infos[-1]
    age = dates.age_days(newest.date, asked or q.on)
    scene.text = {
        "title": f"{title_words(t, scene.claims, timelapse=True)}: {scene.where}",
        "subtitle": style.long_date(q.on, lang) + (f" · {t['no_newer']}" if no_newer else "")
        + (" · " + t["source_age"].format(src=newest.source, d=newest.date, n=age,
                                          days=dates.n_days(age))
           if age else ""),  # as on a map: a last frame of its snapshot's day needs no age
        "description": t["description_timelapse"].format(
            where=scene.where, what=t[f"what_{scene.claims.occupied}"].format(
                src=scene.info.source), d0=style.long_date(days[0], lang),
            d=style.long_date(days[-1], lang), occ0=style.km2(occupied[0], lang),
            occ=style.km2(occupied[-1], lang)),
    }
    m = webmap.new_map(scene)
    webmap.add_base(m, scene)
    m.add_child(TimeSlider(data, frames, lang))
    webmap.add_overlays(m, scene)
    m.get_root().header.add_child(Element(_CSS), name="fw_slider_css")
    return webmap.finish(m, scene, oembed_url)
