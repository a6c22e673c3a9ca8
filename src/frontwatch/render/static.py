"""Static images (PNG/SVG) of a scene with matplotlib's Agg backend: the same colours, title,
date, legend, place labels and credits as the web page, plus a scale bar, drawn in the
theatre's equal-area projection (true shapes and a true scale) with no tile server.
A bare `Figure` (no pyplot) renders with Agg and keeps no global state between requests."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

import matplotlib
import matplotlib.patheffects as pe
import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Bbox

from frontwatch import geometry
from frontwatch.errors import InputError, echo
from frontwatch.render import labels, style
from frontwatch.render.query import ImageSize
from frontwatch.render.scene import Scene
from frontwatch.text import slugify

FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
HEADER_PX, FOOTER_PX = 74, 46
HALO = [pe.withStroke(linewidth=2.5, foreground="white")]
MAX_LABELS = 45  # place labels on a 1200×700 map area (scaled with the area)
MAX_TRIED = 400  # candidates tried, most populous first


@dataclass
class Image:
    data: bytes
    media_type: str
    pixel: Callable[[float, float], tuple[int, int]]  # lon, lat → (column, row)
    # place labels drawn (maps; none on charts): name, (x0, y0, x1, y1) in pixels
    labels: list[tuple[str, labels.Box]] = field(default_factory=list)


def _path(geom) -> MplPath | None:
    """A compound path of (multi)polygons, holes included (even-odd filling)."""
    verts, codes = [], []
    for poly in geometry.polygons_of(geom):
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)
            if len(xy) < 3:
                continue
            verts.append(xy)
            codes.append(np.r_[MplPath.MOVETO, np.full(len(xy) - 2, MplPath.LINETO),
                               MplPath.CLOSEPOLY])
    if not verts:
        return None
    return MplPath(np.concatenate(verts), np.concatenate(codes).astype(np.uint8))


def _fill(ax, geom, color: str, z: float, edge: str = "none", lw: float = 0.0) -> None:
    path = _path(geometry.to_equal_area(geom)) if not geom.is_empty else None
    if path is not None:
        ax.add_patch(PathPatch(path, facecolor=color, edgecolor=edge, linewidth=lw, zorder=z))


def _lines(ax, geom, lw: float, z: float, ls: str = "-") -> None:
    if geom is None or geom.is_empty:
        return
    for part in shapely.get_parts(geometry.to_equal_area(geom)):
        xy = shapely.get_coordinates(part)
        ax.plot(xy[:, 0], xy[:, 1], color=style.OUTLINE, lw=lw, ls=ls, zorder=z)


def _extent(scene: Scene, aspect: float) -> tuple[float, float, float, float]:
    """The focus in the plane, padded to the map area's aspect ratio (width / height)."""
    x0, y0, x1, y1 = geometry.to_equal_area(scene.focus).bounds
    w, h = (x1 - x0) * 1.06, (y1 - y0) * 1.06
    w, h = max(w, h * aspect), max(h, w / aspect)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2


class _Group:
    """Artists that one label must keep clear of, as one box."""

    def __init__(self, *artists):
        self.artists = artists

    def get_window_extent(self, renderer):
        return Bbox.union([a.get_window_extent(renderer) for a in self.artists])


def _scale_bar(ax, extent) -> _Group:
    x0, x1, y0, y1 = extent
    target = (x1 - x0) / 5
    km = max(k for k in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500) if k * 1000 <= target) \
        if target >= 1000 else 1
    bx, by = x1 - (x1 - x0) * 0.04 - km * 1000, y0 + (y1 - y0) * 0.05
    bar = ax.add_patch(Rectangle((bx, by), km * 1000, (y1 - y0) * 0.008, facecolor="black",
                                 zorder=9))
    text = ax.text(bx + km * 500, by + (y1 - y0) * 0.018, f"{km} km", ha="center",
                   va="bottom", fontsize=9, zorder=9, path_effects=HALO)
    return _Group(bar, text)


@dataclass(frozen=True)
class Layout:
    """Where things go on an image, in figure fractions, scaled with its size."""

    size: ImageSize
    k: float  # scale: 1 at 1200×800
    head: float  # header (title, subtitle, notice) height
    foot: float  # footer (credits) height
    fs: float  # body font size, points

    def px(self, pixels: float, axis: str = "y") -> float:
        """`pixels` (at 1200×800, scaled) as a fraction of the image's height or width."""
        return pixels * self.k / (self.size.height if axis == "y" else self.size.width)


def canvas(size: ImageSize, notice: bool, credit_lines: int = 3) -> tuple[Figure, Layout]:
    """A bare Agg figure of `size` and the layout every image shares: laid out in pixels
    scaled with the image, so it reads the same at any size and dpi (the footer grows past
    three lines of credits: a map of two sources credits both)."""
    fig = Figure(figsize=(size.width / size.dpi, size.height / size.dpi), dpi=size.dpi,
                 facecolor="white")
    k = max(0.6, min(size.width, size.height * 1.5) / 1200)
    head = min(HEADER_PX * k * (1.3 if notice else 1), size.height * 0.3) / size.height
    foot = FOOTER_PX * k * max(credit_lines, 3) / 3 / size.height
    fs = 12 * k * 72 / size.dpi  # font size in points for ~12 px text at 1200 px wide
    return fig, Layout(size, k, head, foot, fs)


def frame_text(fig: Figure, lay: Layout, title: str, subtitle: str, notice: str | None,
               credits: list[str]) -> None:
    """Title, subtitle, the illustrative-data banner and the credits, as on every image."""
    top = 1 - lay.px(8)
    fig.text(0.012, top, title, fontsize=lay.fs * 1.45, fontweight="bold", va="top")
    fig.text(0.012, top - lay.px(26), subtitle, fontsize=lay.fs * 1.1, va="top")
    if notice:
        fig.text(0.012, top - lay.px(50), notice, fontsize=lay.fs, va="top",
                 color="#ffff00", fontweight="bold", backgroundcolor="black")
    fig.text(0.012, lay.px(6), "\n".join(credits), fontsize=lay.fs * 0.8, va="bottom",
             color="#333")


def save(fig: Figure, fmt: str, size: ImageSize, title: str, subtitle: str,
         description: str) -> bytes:
    """PNG or SVG bytes with the title and the one-sentence description (the image's text
    alternative) in its metadata."""
    if fmt not in FORMATS:
        raise InputError(f"unknown image format {echo(fmt)}: expected png or svg")
    buf = io.BytesIO()
    meta = {"Title": f"{title} — {subtitle}" if fmt == "png" else title,
            "Description": description}
    if fmt == "svg":  # same bytes for the same image in every process: stable ETags
        meta["Date"] = None
        matplotlib.rcParams["svg.hashsalt"] = "frontwatch"
    fig.savefig(buf, format=fmt, dpi=size.dpi, metadata=meta)
    return buf.getvalue()


def figure(scene: Scene, size: ImageSize) -> tuple[Figure, Callable, list]:
    fig, lay = canvas(size, bool(scene.notice), len(scene.credits))
    head, foot, fs = lay.head, lay.foot, lay.fs
    ax = fig.add_axes((0, foot, 1, 1 - head - foot))
    ax.set_axis_off()
    ax.set_facecolor(style.BACKGROUND)
    ax.add_patch(Rectangle((0, 0), 1, 1, transform=ax.transAxes, color=style.BACKGROUND,
                           zorder=0))
    extent = _extent(scene, size.width / (size.height * (1 - head - foot)))
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    _fill(ax, scene.land, style.HELD, 1)
    if scene.other is not None:  # two sources: the comparison replaces the control layers
        from frontwatch.render.webmap import source_rows

        for colour, _, key in source_rows(scene):
            _fill(ax, scene.changes[key], colour, 3)
    else:
        _fill(ax, scene.layers["contested"], style.CONTESTED, 2)
        _fill(ax, scene.layers["occupied"], style.OCCUPIED, 3)
    for key in ("gained", "lost"):
        if key in scene.changes:
            _fill(ax, scene.changes[key], style.FILLS[key], 4, edge="black", lw=0.5)
    _lines(ax, scene.outlines["raion"], 0.4, 5, ":")
    _lines(ax, scene.outlines["oblast"], 1.1, 5)
    if scene.query.place or scene.query.bbox:
        _lines(ax, shapely.boundary(scene.focus), 1.5, 5, "--")
    bar = _scale_bar(ax, extent)
    leg = _legend(ax, scene, fs)
    placed = _place_labels(fig, ax, scene, fs, extent, [bar, leg])
    frame_text(fig, lay, scene.title, scene.subtitle, scene.notice, scene.credits)

    def pixel(lon: float, lat: float) -> tuple[int, int]:
        x, y = shapely.get_coordinates(geometry.to_equal_area(shapely.Point(lon, lat)))[0]
        dx, dy = ax.transData.transform((x, y))
        return round(float(dx)), round(float(size.height - dy))

    return fig, pixel, [(name, (x0, size.height - y1, x1, size.height - y0))
                        for name, (x0, y0, x1, y1) in placed]


def _place_labels(fig: Figure, ax, scene: Scene, fs: float, extent, obstacles: list
                  ) -> list[tuple[str, labels.Box]]:
    """Name the places the scale admits (render.labels), most populous first, each to the
    right of its marker, else to the left, else not at all: no label box (marker included,
    in display pixels, measured with the font drawn) meets another, the legend or the scale
    bar, and none leaves the map. Returns (name, box) of the labels drawn."""
    ax.apply_aspect()  # the box the equal aspect gives it, as drawn
    renderer = FigureCanvasAgg(fig).get_renderer() if not hasattr(
        fig.canvas, "get_renderer") else fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    m_per_px = (extent[1] - extent[0]) / max(frame.width, 1)
    need = labels.min_population(m_per_px)
    cands = [p for p in scene.places if p[3] >= need][:MAX_TRIED]
    if not cands:
        return []
    pts = geometry.to_equal_area(shapely.points([p[1] for p in cands], [p[2] for p in cands]))
    xy = shapely.get_coordinates(pts)
    disp = ax.transData.transform(xy)
    font = FontProperties(size=fs, weight="bold")
    px = fig.dpi / 72  # pixels per point
    gap, halo, dot = 4 * px, 1.5 * px, 3 * px
    taken = [(b.x0, b.y0, b.x1, b.y1) for b in
             (o.get_window_extent(renderer) for o in obstacles if o is not None)]
    limit = round(MAX_LABELS * frame.width * frame.height / (1200 * 700))
    options: list[list[tuple[str, labels.Box]]] = []
    for (name, *_), (x, y) in zip(cands, disp):
        w, h, _ = renderer.get_text_width_height_descent(name, font, ismath=False)
        lo, hi = y - h / 2 - halo, y + h / 2 + halo
        sides = (("right", (x - dot, lo, x + gap + w + halo, hi)),
                 ("left", (x - gap - w - halo, lo, x + dot, hi)))
        options.append([(side, b) for side, b in sides if b[0] >= frame.x0
                        and b[2] <= frame.x1 and b[1] >= frame.y0 and b[3] <= frame.y1])
    chosen = labels.greedy(([b for _, b in opts] for opts in options), taken)
    placed: list[tuple[str, labels.Box]] = []
    for (name, *_), (x, y), opts, choice in zip(cands, xy, options, chosen):
        if choice is None:
            continue
        side, box = opts[choice]
        ax.plot([x], [y], "o", ms=4, mfc="white", mec="black", mew=0.8, zorder=7)
        ax.annotate(name, (x, y), xytext=(4 if side == "right" else -4, 0),
                    textcoords="offset points", va="center",
                    ha="left" if side == "right" else "right", fontsize=fs,
                    fontweight="bold", zorder=8, path_effects=HALO,
                    gid=f"place-{len(placed)}-{slugify(name)}")  # SVG: <g id=…> names it
        placed.append((name, box))
        if len(placed) >= limit:
            break
    return placed


def _legend(ax, scene: Scene, fs: float):
    from frontwatch.render.webmap import legend_rows  # one list of rows for web and print

    handles = [Rectangle((0, 0), 1, 1, facecolor=c, edgecolor="#555", lw=0.6)
               for c, _, _ in legend_rows(scene)]
    labels = [f"{label}: {fig}" if fig else label for _, label, fig in legend_rows(scene)]
    leg = ax.legend(handles, labels, loc="lower left", fontsize=fs * 0.95, framealpha=0.92,
                    edgecolor="#999")
    leg.set_zorder(10)
    return leg


def render_image(scene: Scene, fmt: str = "png", size: ImageSize | None = None) -> Image:
    if fmt not in FORMATS:
        raise InputError(f"unknown image format {echo(fmt)}: expected png or svg")
    size = size or ImageSize()
    fig, pixel, placed = figure(scene, size)
    data = save(fig, fmt, size, scene.title, scene.subtitle, scene.description)
    return Image(data, FORMATS[fmt], pixel, placed)
