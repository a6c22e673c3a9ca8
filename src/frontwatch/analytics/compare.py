"""Where two sources agree and where they differ: km² each calls occupied in a region, the
ground both call occupied, the ground only one does, and their agreement (intersection over
union), with the disagreement pieces ranked and described like a diff.

Like with like. Sources do not map the same thing: DeepStateMap maps all occupied ground
(Crimea and the Donbas areas held since 2014 included, each as its own zone kind), NZZ only
ground taken since 24 February 2022 (until its map of 2024-03-15 with the areas held since
2014 mixed in, kind ``occupied-ordlo``), and the DeepStateMap daily archive one union without
kinds. So a comparison is always on a named *layer*:

- ``since-2022`` (the default, the layer both DeepStateMap and NZZ cover): the occupied zones
  of kind ``occupied``. A revision whose occupied layer mixes in pre-2022 ground without
  telling it apart (the archive; NZZ's maps up to 2024-03-08) cannot give it: refused.
- ``all``: every occupied zone. Only sources that map all of it give it (DeepStateMap, the
  archive); NZZ never maps Crimea: refused.

The grey zone (contested) is never compared: NZZ has none, so comparing it would compare a
grey zone with nothing. Each source's grey-zone km² in the region is reported beside the
figures, marked as not compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import shapely

from frontwatch import dates, geometry, lookup
from frontwatch.analytics.changes import describe_pieces
from frontwatch.analytics.common import region_of
from frontwatch.coverage import freshness
from frontwatch.errors import InputError, NotFound, echo
from frontwatch.model import Region, SnapshotInfo
from frontwatch.oblasts import THEATRE
from frontwatch.precision import AGREEMENT as AGREEMENT_DECIMALS
from frontwatch.precision import KM2
from frontwatch.sources import attribution, publisher
from frontwatch.store.base import SqlStore, iso

SINCE_2022 = "since-2022"
ALL = "all"
LAYERS = {
    SINCE_2022: "occupied ground taken since 24 February 2022 (Crimea and the Donbas areas "
                "held since 2014 left out)",
    ALL: "all occupied ground (Crimea and the Donbas areas held since 2014 included)",
}
AGREEMENT = ("agreement: intersection over union (IoU) of the two layers, a fraction from 0 "
             "to 1 (1: the same ground): km² both call occupied / km² either does")
# How a reader sees an agreement, in every table, legend and sentence (agreement_text)
AGREEMENT_WORDS = {
    "en": ("agreement {v} (intersection over union)", "agreement n/a (neither source calls "
                                                        "any ground here occupied)"),
    "uk": ("збіг {v} (відношення перетину до об'єднання)", "збіг н/д (жодне джерело не "
                                                           "вважає тут територію окупованою)"),
}
RULE = ("only the occupied layer is compared, on the same ground for both sources; the grey "
        "zone is not compared (a source without one would be compared with nothing)")
_PRE_2022_KINDS = ("ordlo", "crimea")
# The most distinct revision pairs one request may overlay (0.1–0.5 s each: at most about a
# map render's time; 400 held a heavy slot for a minute, breaker trial), and the most dates a
# series may sample (rows only, but bounded all the same). Precomputed pairs do not count.
MAX_PAIRS = 100
MAX_DATES = 3660


@dataclass(frozen=True, slots=True)
class Figures:
    """km² of the pairwise comparison inside one region (pure numbers, full precision).

    Only the region's ground each source calls occupied and the ground both do are measured;
    what only one does is derived (each − both). Measured directly, it would differ: a km²
    figure of lon/lat polygons is not additive to ~1e-4 relative (an edge split by a new
    vertex is measured along another curve), and the only-one figure of a difference and of
    each − both differed by up to 0.12 km² on the theatre, so the one-date figure and the
    precomputed series disagreed. Derived, the columns add up and every output agrees."""

    a_km2: float
    b_km2: float
    both_km2: float

    @property
    def only_a_km2(self) -> float:
        return max(self.a_km2 - self.both_km2, 0.0)

    @property
    def only_b_km2(self) -> float:
        return max(self.b_km2 - self.both_km2, 0.0)

    @property
    def union_km2(self) -> float:
        return self.a_km2 + self.b_km2 - self.both_km2

    @property
    def agreement(self) -> float | None:
        """Intersection over union (None when neither calls anything occupied)."""
        return self.both_km2 / self.union_km2 if self.union_km2 > 0 else None


@dataclass(slots=True)
class Comparison:
    """One date's comparison: `summary` (JSON-ready) and the disagreement `features`
    ((lon/lat polygon, properties with `claimed_by`, `km2`, nearest place, `rank`))."""

    summary: dict[str, Any]
    features: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)

    def to_geojson(self) -> bytes:
        from frontwatch.geojson import feature_collection

        return feature_collection(self.features, {"summary": self.summary,
                                                  "attribution": self.summary["attribution"]})


def agreement_text(value: float | None, lang: str = "en") -> str:
    """An agreement as every output shows it to a reader: the 0–1 fraction with the decimals
    of the tables (:data:`frontwatch.precision.AGREEMENT`) and what it is, never a percentage.

    Parameters
    ----------
    value : float or None
        intersection over union, 0–1 (None: neither source calls anything occupied).
    lang : str
        "en" or "uk" (maps in Ukrainian write a decimal comma).

    Returns
    -------
    str

    Examples
    --------
    >>> agreement_text(0.91912)
    'agreement 0.9191 (intersection over union)'
    >>> agreement_text(0.91912, "uk")
    "збіг 0,9191 (відношення перетину до об'єднання)"
    """
    words, missing = AGREEMENT_WORDS[lang]
    if value is None or value != value:
        return missing
    v = f"{value:.{AGREEMENT_DECIMALS}f}"
    return words.format(v=v.replace(".", ",") if lang == "uk" else v)


# --- pure geometry -----------------------------------------------------------------------
def overlay(a, b, region) -> tuple[Figures, np.ndarray, np.ndarray]:
    """Compare two lon/lat (Multi)Polygons inside `region`: the figures and the polygon
    pieces only `a` and only `b` call occupied (arrays of lon/lat polygons).

    The figures are measured exactly as the precomputed table measures them
    (:func:`measure`), so a date read from the table and one overlaid live agree."""
    figures = measure(a, b, region)
    ar = geometry.polygonal(shapely.intersection(a, region))
    br = geometry.polygonal(shapely.intersection(b, region))
    only_a = np.asarray(geometry.polygons_of(shapely.difference(ar, br)), dtype=object)
    only_b = np.asarray(geometry.polygons_of(shapely.difference(br, ar)), dtype=object)
    return figures, only_a, only_b


def measure(a, b, region) -> Figures:
    """The figures of two lon/lat layers inside `region`: km² of region ∩ a, region ∩ b and
    region ∩ (a ∩ b), each intersected region-first as
    :meth:`frontwatch.analytics.incremental.RegionSet.full_km2` does for the table."""
    shapely.prepare(region)
    both = geometry.polygonal(shapely.intersection(a, b))
    return Figures(*(_km2(shapely.intersection(region, g)) if not g.is_empty else 0.0
                     for g in (a, b, both)))


def in_layer_km2(pieces: np.ndarray, layer) -> float:
    """km² of `pieces` (lon/lat polygons) lying inside `layer`."""
    if not len(pieces) or layer is None or layer.is_empty:
        return 0.0
    return float(np.sum(geometry.area_km2(shapely.intersection(pieces, layer))))


def _km2(geom) -> float:
    return 0.0 if geom is None or geom.is_empty else float(geometry.area_km2(geom))


def _areas(parts: np.ndarray) -> np.ndarray:
    return geometry.area_km2(parts) if len(parts) else np.zeros(0)


# --- layers ------------------------------------------------------------------------------
def layer_of(store: SqlStore, info: SnapshotInfo, layer: str):
    """The `layer` (SINCE_2022 or ALL) of one revision, as a lon/lat MultiPolygon; InputError
    saying why when the revision cannot give it (see the module docstring)."""
    parts = layer_parts(store, info, layer)
    return store.layer(info.id, "occupied") if parts is None else geometry.union(parts)


def layer_parts(store: SqlStore, info: SnapshotInfo, layer: str) -> list | None:
    """The zones making up `layer` of one revision (None: the whole occupied layer), without
    dissolving them (point tests need no union); InputError saying why when the revision
    cannot give the layer."""
    if layer not in LAYERS:
        raise InputError(f"layer={echo(layer)}: choose from {', '.join(LAYERS)}")
    zones = store.zones(info.id, ["occupied"])
    kinds = {z.kind for z in zones}
    terms = publisher(info.source)
    covers = terms.occupied if terms else ALL
    tells_apart = any(k in kinds for k in _PRE_2022_KINDS)
    day = info.date.isoformat()
    if layer == SINCE_2022:
        if "occupied-ordlo" in kinds:
            raise InputError(f"{info.source} on {day}: its map mixes ground taken since 2022 "
                             "with the Donbas areas held since 2014 (kind occupied-ordlo), "
                             "so it has no since-2022 layer; NZZ's maps give one from "
                             "2024-03-15 on")
        if covers != SINCE_2022 and not tells_apart and zones:
            raise InputError(f"{info.source} on {day}: its occupied layer includes Crimea and "
                             "the areas held since 2014 without telling them apart, so it has "
                             "no since-2022 layer; compare it on the 'all' layer")
        return [z.geometry for z in zones if z.kind == "occupied"]
    if covers == SINCE_2022:
        raise InputError(f"{info.source} maps only ground taken since 24 February 2022 (never "
                         "Crimea): it has no 'all' layer; compare on the since-2022 layer")
    if covers not in (ALL, "illustrative") and not tells_apart:
        raise InputError(f"{info.source} does not say whether its layer holds the ground "
                         "taken before 2022: it has no 'all' layer")
    return None


def parse_sources(text: str | list[str], known: list[str]) -> tuple[str, str]:
    """'deepstate,nzz' → ('deepstate', 'nzz'): exactly two different stored sources."""
    names = [s.strip() for part in ([text] if isinstance(text, str) else text)
             for s in part.split(",") if s.strip()]
    if len(names) != 2 or names[0] == names[1]:
        raise InputError(f"sources={echo(','.join(names) or text)}: name two different sources, "
                         "e.g. deepstate,nzz")
    for n in names:
        if n not in known:
            raise NotFound(f"unknown source {echo(n)}", suggestions=known)
    return names[0], names[1]


# --- one date ----------------------------------------------------------------------------
def compare(store: SqlStore, sources: tuple[str, str], region: Region | str | None, on: date,
            layer: str = SINCE_2022, min_km2: float = 0.01) -> Comparison:
    """Compare two sources' `layer` inside `region` (None = the whole theatre) on a date:
    each source's revision in force that day (latest valid by its end)."""
    a_src, b_src = sources
    r = region_of(store, region if region is not None else THEATRE, on)
    a, b = store.resolve(a_src, on), store.resolve(b_src, on)
    figures, only_a, only_b = overlay(layer_of(store, a, layer), layer_of(store, b, layer),
                                      r.geometry)
    features, _ = describe_pieces({a_src: only_a, b_src: only_b}, "claimed_by",
                                  store.places(on), min_km2)
    grey_layer = {s: store.layer(i.id, "contested") for s, i in ((a_src, a), (b_src, b))}
    grey = {s: _km2(shapely.intersection(g, r.geometry)) for s, g in grey_layer.items()}
    # How much of what only one source calls occupied the other calls grey zone (no overlay
    # of grey with grey: it explains a disagreement, e.g. NZZ has no grey zone).
    in_grey = {s: in_layer_km2(only, grey_layer[other]) for s, other, only in
               ((a_src, b_src, only_a), (b_src, a_src, only_b))}
    summary = {
        "region": r.slug, "region_name": r.name_en, "date": on.isoformat(),
        **header(a, b, on, layer), **freshness(store, sources, on),
        **row_figures(a_src, b_src, figures),
        "grey_zone_km2_not_compared": {s: round(v, KM2) for s, v in grey.items()},
        "only_in_other_grey_zone_km2": {s: round(v, KM2) for s, v in in_grey.items()},
        "pieces": len(features),
        "largest": [f"{p['claimed_by']} only: {p['description']}" for _, p in features[:5]],
    }
    return Comparison(summary, features)


def header(a: SnapshotInfo, b: SnapshotInfo, on: date, layer: str) -> dict[str, Any]:
    """What every comparison output says: the layer and the rule, and which revision of each
    source it used, of what date, and how old it was on the day asked."""
    return {
        "layer": layer, "layer_meaning": LAYERS[layer], "rule": RULE,
        "agreement_meaning": AGREEMENT,
        "sources": [{"source": i.source, "snapshot_id": i.id, "revision": i.revision,
                     "valid_at": iso(i.valid_at), "age_days": dates.age_days(i.date, on),
                     "attribution": attribution(i.source)} for i in (a, b)],
        "attribution": "; ".join(attribution(i.source) for i in (a, b)),
    }


def row_figures(a_src: str, b_src: str, f: Figures) -> dict[str, Any]:
    """The figures as flat named members (km² to the project's KM2 decimals, agreement to
    AGREEMENT_DECIMALS: a fraction, not a percentage)."""
    return figure_rows(a_src, b_src, [(f.a_km2, f.b_km2, f.both_km2)])[0]


def figure_rows(a_src: str, b_src: str, figures: Sequence[tuple[float, float, float]]
                ) -> list[dict[str, Any]]:
    """:func:`row_figures` of many (a_km2, b_km2, both_km2), rounded at once (a year's series
    rounds ~1,200 numbers; one date and a series round alike, so they print the same
    figure)."""
    m = np.array(figures, dtype=float).reshape(-1, 3)
    a, b, both = m.T
    union = a + b - both
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(union > 0, both / union, np.nan)
    km2 = np.round(np.column_stack([a, b, both, np.maximum(a - both, 0.0),
                                    np.maximum(b - both, 0.0), union]), KM2) + 0.0
    names = (f"{a_src}_km2", f"{b_src}_km2", "both_km2", f"only_{a_src}_km2",
             f"only_{b_src}_km2", "union_km2")
    return [{**dict(zip(names, row)), "agreement": None if g != g else g}
            for row, g in zip(km2.tolist(), np.round(share, AGREEMENT_DECIMALS).tolist())]


# --- over time ---------------------------------------------------------------------------
def compare_series(store: SqlStore, sources: tuple[str, str], region: Region | str | None,
                   start: date, end: date, step: int = 7, layer: str = SINCE_2022,
                   precomputed: bool = True) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The figures on `start`, `start + step`, … `end` (rows with date, each source's
    snapshot id and date, the figures), and a header.

    Each date takes each source's revision in force that day. A pair of revisions with
    precomputed figures (the compare_stats table, see analytics.pairs) is read, not
    computed (`precomputed=False` forces geometry, for checks and benchmarks); dates served
    by the same missing pair share one overlay, and more than MAX_PAIRS missing pairs is
    refused (InputError naming step). Dates before either source's history are left out;
    dates a source cannot give the layer on are left out and counted, with the reason, in
    the header's `left_out`."""
    if end < start:
        raise InputError(f"the range ends ({end}) before it starts ({start})")
    if step < 1:
        raise InputError(f"step={step}: expected a whole number of days ≥ 1")
    if layer not in LAYERS:
        raise InputError(f"layer={echo(layer)}: choose from {', '.join(LAYERS)}")
    a_src, b_src = sources
    wanted = region if region is not None else THEATRE
    # The region's geometry only for pairs the table lacks: a year's read needs its slug.
    r = wanted if isinstance(wanted, Region) else lookup.resolve_region(
        store, wanted, end, with_geometry=False)
    n_dates = (end - start).days // step + 1
    if n_dates > MAX_DATES:
        raise InputError(f"step={step}: {start} to {end} samples {n_dates:,} dates, more than "
                         f"the {MAX_DATES:,} allowed; use a larger step or a shorter range")
    ords = np.arange(start.toordinal(), end.toordinal() + 1, step)
    revs, (a_day, b_day), (ia, ib) = in_force(store, (a_src, b_src), ords)
    versions = store.region_versions(r.slug)
    starts = np.array([_ordinal(v[1]) for v in versions], dtype=np.int64)
    iv = np.searchsorted(starts, ords, side="right") - 1  # the region's version each day
    keep = np.flatnonzero((ia >= 0) & (ib >= 0) & (iv >= 0))
    if not len(keep):
        raise NotFound(f"{a_src} and {b_src} have no revisions in force together between "
                       f"{start} and {end}" + ("" if versions else f" (no {r.slug} versions)"))
    # Each date's (region version, a revision, b revision), by index: few distinct ones.
    keys = list(zip(iv[keep].tolist(), ia[keep].tolist(), ib[keep].tolist()))
    used = set(keys)
    stored = {v: _stored(store, versions[v][0], layer, a_src, b_src) if precomputed else {}
              for v in {k[0] for k in used}}
    missing = {k for k in used if (revs[0][k[1]][0], revs[1][k[2]][0]) not in stored[k[0]]}
    if len(missing) > MAX_PAIRS:
        raise InputError(f"step={step}: {start} to {end} needs {len(missing)} distinct pairs "
                         f"of revisions, more than the {MAX_PAIRS} allowed; use a larger step "
                         "or a shorter range")
    done: dict[tuple[int, int, int], dict[str, Any] | str] = {}  # a row's members, or why not
    measured: dict[tuple[int, int, int], tuple[float, float, float]] = {}
    for v, i, j in used:
        a_id, b_id = revs[0][i][0], revs[1][j][0]
        got = stored[v].get((a_id, b_id))
        if got is not None:
            measured[v, i, j] = got
            continue
        try:
            geom = region_of(store, r.slug, date.fromisoformat(versions[v][1])).geometry
            f = measure(layer_of(store, store.snapshot(a_id), layer),
                        layer_of(store, store.snapshot(b_id), layer), geom)
            measured[v, i, j] = (f.a_km2, f.b_km2, f.both_km2)
        except InputError as exc:  # e.g. NZZ's maps before 2024-03-15 on since-2022
            done[v, i, j] = str(exc)
    done.update(zip(measured, figure_rows(a_src, b_src, list(measured.values()))))
    rows = []
    left_out: dict[str, int] = {}
    ka, kb = ((f"{s}_snapshot", f"{s}_date", f"{s}_age_days") for s in (a_src, b_src))
    days = np.asarray(ords[keep] - _EPOCH, dtype="datetime64[D]").astype(str).tolist()
    for k, o, day in zip(keys, ords[keep].tolist(), days):
        got = done[k]
        if isinstance(got, str):
            left_out[got] = left_out.get(got, 0) + 1
            continue
        (a_id, a_at), (b_id, b_at) = revs[0][k[1]], revs[1][k[2]]
        rows.append({"date": day,
                     ka[0]: a_id, ka[1]: a_at[:10], ka[2]: o - a_day[k[1]],
                     kb[0]: b_id, kb[1]: b_at[:10], kb[2]: o - b_day[k[2]], **got})
    if not rows:  # every date left out, for what one date would be refused for: a 400
        raise InputError(f"no date from {start} to {end} can be compared on the {layer!r} layer: "
                         f"{next(iter(left_out))}")
    last = keys[-1]
    doc = {"region": r.slug, "region_name": r.name_en, "from": start.isoformat(),
           "to": end.isoformat(), "step": step,
           **header(store.snapshot(revs[0][last[1]][0]), store.snapshot(revs[1][last[2]][0]),
                    date.fromordinal(int(ords[keep][-1])), layer)}
    doc["sources"] = [{"source": s["source"], "attribution": s["attribution"]}
                      for s in doc["sources"]]  # per row: *_snapshot, *_date, *_age_days
    doc.update(freshness(store, sources, end))
    doc["left_out"] = [{"dates": n, "reason": why} for why, n in left_out.items()]
    doc["precomputed_pairs"] = len(used) - len(missing)
    doc["computed_pairs"] = len(missing)
    return rows, doc


def in_force(store: SqlStore, sources: tuple[str, str], ords: np.ndarray
             ) -> tuple[list[list[tuple[int, str]]], list[list[int]], list[np.ndarray]]:
    """Each source's revisions ((id, valid_at) in store order), their dates (proleptic
    ordinals) and, for each day of `ords`, the index of its revision in force that day (-1
    before its history): the latest revision valid by the end of the day, as
    :meth:`SqlStore.resolve` picks it (valid_at by the day's 23:59:59Z is valid_at's date
    by the day). Resolved in memory: a year of days costs two queries."""
    lists = [store.snapshot_times(s) for s in sources]
    for s, revs in zip(sources, lists):
        if not revs:
            raise NotFound(f"no snapshots from source {echo(s)}", suggestions=store.sources())
    days = [[_ordinal(t) for _, t in revs] for revs in lists]
    picks = [np.searchsorted(np.asarray(d, dtype=np.int64), ords, side="right") - 1
             for d in days]
    return lists, days, picks


_EPOCH = date(1970, 1, 1).toordinal()  # numpy's day 0


def _ordinal(iso_text: str) -> int:
    """Proleptic ordinal of the date an ISO date or timestamp text starts with."""
    return date.fromisoformat(iso_text[:10]).toordinal()


def _stored(store: SqlStore, region_id: int, layer: str, a_src: str, b_src: str
            ) -> dict[tuple[int, int], tuple[float, float, float]]:
    """Precomputed (a_km2, b_km2, both_km2) by (a id, b id) in the caller's source order."""
    if a_src < b_src:
        return store.compare_stats_rows(region_id, layer, a_src, b_src)
    rows = store.compare_stats_rows(region_id, layer, b_src, a_src)
    return {(k[1], k[0]): (v[1], v[0], v[2]) for k, v in rows.items()}
