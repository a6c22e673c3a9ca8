"""DeepStateMap's own API format → statuses.

Feature names came in three generations (Ukrainian only; "uk /// en"; "uk /// en /// i18n key")
with stray whitespace and, in a few files, broken UTF-8. The i18n key is trusted first, then the
English text, then Ukrainian keywords. Anything else is a free-form note and is skipped with a
report, never guessed.

The module has the shape of one format (frontwatch.ingest.base): :data:`FORMAT`, with
:data:`PUBLISHER`; :func:`read` also reads DeepStateMap's KML export (ingest/kml.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from frontwatch.errors import InputError, described
from frontwatch.ingest.base import Format, Input
from frontwatch.ingest.prepare import RawZone, build_snapshot
from frontwatch.ingest.vector import geojson_zones
from frontwatch.model import Publisher, Snapshot, Status

SOURCE = "deepstate"
PUBLISHER = Publisher(
    SOURCE, "Control data: DeepStateMap (deepstatemap.live)",
    "DeepStateMap licence agreement (deepstatemap.live/license-en.html)", "all", preference=0)


@dataclass(frozen=True, slots=True)
class Meaning:
    """What a feature's name means for the control layer."""

    role: str  # "zone" | "outside" | "marker" | "ignored" | "unknown"
    status: Status | None = None
    kind: str = ""
    since: int | None = None


OCCUPIED = Meaning("zone", Status.OCCUPIED, "occupied", 2022)
ORDLO = Meaning("zone", Status.OCCUPIED, "ordlo", 2014)
CRIMEA = Meaning("zone", Status.OCCUPIED, "crimea", 2014)
CONTESTED = Meaning("zone", Status.CONTESTED, "contested")
LIBERATED = Meaning("zone", Status.LIBERATED, "liberated")
OUTSIDE = Meaning("outside")
MARKER = Meaning("marker")
IGNORED = Meaning("ignored")
UNKNOWN = Meaning("unknown")

_KEYS: dict[str, Meaning] = {
    "status.occupied": OCCUPIED,
    "status.unknown": CONTESTED,
    "status.dismissed": LIBERATED,
    "status.dismissed_at": LIBERATED,
    "territories.crimea": CRIMEA,
    "territories.tuzla": CRIMEA,
    "territories.ordlo": ORDLO,
    "status.attack_direction": MARKER,
    "zmiinyi_island": IGNORED,
}
_KEY_RE = re.compile(r"geojson\.([a-z0-9_.\-]+)")

# English and Ukrainian phrases, checked in order (the first match wins).
_PHRASES: list[tuple[tuple[str, ...], Meaning]] = [
    (("transnistria", "abkhazia", "petsamo", "salla", "estonia", "latvia", "kuril", "prussia",
      "karelia", "ichkeria", "pechorsky", "tskhinval", "придністров", "абхаз", "петсамо",
      "салла", "естоні", "латві", "куриль", "прусі", "карелі", "ічкері", "печорськ",
      "цхінвал"), OUTSIDE),
    (("cadr", "calr", "ордло"), ORDLO),
    (("crimea", "tuzla", "крим", "тузла"), CRIMEA),
    (("snake island", "зміїний"), IGNORED),
    (("direction of attack", "напрямок удару"), MARKER),
    (("under control of the afu", "під контролем зсу", "відсутні", "відстуність"), IGNORED),
    (("liberated", "taken back", "recaptured", "pushed back", "звільнен", "відбиті",
      "відкинуто"), LIBERATED),
    (("contested", "contenesed", "contensed", "unknown status", "situation is unknown",
      "під питанням", "невідом", "сіра зона"), CONTESTED),
    (("occupied", "under occupation", "окупован", "окуповано", "захоплено", "зайняті ворогом",
      "контролюється ворогом"), OCCUPIED),
]


# Real names are under 200 characters; only this much of a name is ever classified.
MAX_NAME = 1000


def normalize(name: str) -> str:
    return re.sub(r"\s+", " ", name.replace("\xa0", " ")).strip().lower()


def classify(name: str) -> Meaning:
    """The meaning of a DeepStateMap feature name (any of the three generations)."""
    text = normalize(name[:MAX_NAME])
    key = _KEY_RE.search(text)
    if key:
        k = key.group(1)
        if k in _KEYS:
            return _KEYS[k]
        if k.startswith("territories."):
            return OUTSIDE
        if k.startswith(("units.", "airfield", "status.")) or "." in k:
            # units, airfields and other markers; an unknown status key is unknown.
            return UNKNOWN if k.startswith("status.") else MARKER
    for phrases, meaning in _PHRASES:
        if any(p in text for p in phrases):
            return meaning
    return UNKNOWN


def is_deepstate(doc: Any) -> bool:
    """Does this JSON look like DeepStateMap's API output (envelope or bare collection)?"""
    if isinstance(doc, dict) and "map" in doc and ("datetime" in doc or "id" in doc):
        return True
    if not (isinstance(doc, dict) and doc.get("type") == "FeatureCollection"):
        return False
    feats = doc.get("features") or []
    names = [str((f.get("properties") or {}).get("name", "")) for f in feats[:400]
             if isinstance(f, dict)]
    hits = sum(1 for n in names if classify(n).role in ("zone", "outside", "marker"))
    return hits >= max(1, len(names) // 4) and any(n for n in names)


def unwrap(doc: Any, origin: str) -> tuple[dict, datetime | None]:
    """The FeatureCollection and, for the `/api/history/last` envelope, its time."""
    if isinstance(doc, dict) and "map" in doc:
        fc = doc["map"]
        when = _envelope_time(doc, origin)
        if not (isinstance(fc, dict) and fc.get("type") == "FeatureCollection"):
            raise InputError("envelope's 'map' is not a GeoJSON FeatureCollection", origin=origin)
        return fc, when
    return doc, None


def _envelope_time(doc: dict, origin: str) -> datetime:
    value = doc.get("datetime")
    if isinstance(value, str) and value:
        try:
            t = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise InputError(f"envelope has an invalid 'datetime' {described(value)}",
                             origin=origin) from exc
        return t if t.tzinfo else t.replace(tzinfo=UTC)
    ident = doc.get("id")
    if isinstance(ident, int | float) or (isinstance(ident, str) and ident.isascii()
                                            and ident.isdigit()):
        return datetime.fromtimestamp(int(ident), UTC)
    raise InputError("envelope has neither 'datetime' nor a numeric 'id'", origin=origin)


def time_from_name(stem: str) -> datetime | None:
    """Publication time from a file named `<unix-seconds>.geojson[.gz]`."""
    if re.fullmatch(r"[0-9]{9,11}", stem):  # ASCII only: int() reads '１７５…' too
        return datetime.fromtimestamp(int(stem), UTC)
    return None


def read(features: list[tuple[dict, Any]], origin: str, when: datetime | None,
         source: str = SOURCE, notes: list[str] | None = None) -> Snapshot:
    """The snapshot of a DeepStateMap map (API file or its KML export): zones classified
    by their names; territories outside Ukraine, markers and unclassified annotations kept
    out of the control layer and counted in the notes."""
    if when is None:
        raise InputError("no publication time: name the file <unix-seconds>.geojson, use the "
                         "{id, datetime, map} envelope, or pass --date", origin=origin)
    zones: list[RawZone] = []
    skipped: dict[str, int] = {}
    outside = markers = 0
    for props, geom in features:
        label = str(props.get("name", ""))[:MAX_NAME]
        meaning = classify(label)
        kind = None if geom is None else geom.geom_type
        if meaning.role == "outside":
            outside += 1
        elif meaning.role == "zone" and kind in ("Polygon", "MultiPolygon",
                                                 "GeometryCollection"):
            zones.append(RawZone(meaning.status, meaning.kind, geom, meaning.since,
                                 normalize(label)[:200]))
        elif meaning.role in ("marker", "zone") or kind in ("Point", "LineString",
                                                            "MultiPoint"):
            markers += 1
        elif meaning.role == "unknown":
            key = normalize(label)[:60] or "(no name)"
            skipped[key] = skipped.get(key, 0) + 1
    notes = list(notes or [])
    if outside:
        notes.append(f"excluded {outside} territories outside Ukraine")
    if markers:
        notes.append(f"kept {markers} markers (attack directions, units…) out of the control "
                     "layer")
    if skipped:
        notes.append(f"skipped {sum(skipped.values())} unclassified annotation(s): "
                     + "; ".join(f"{k!r}" for k in list(skipped)[:5]))
    return build_snapshot(source, when, zones, origin, notes)


def _detect(inp: Input) -> bool:
    """The API's JSON: recognised by its feature names or envelope, or a FeatureCollection
    named `<unix-seconds>.geojson` as the API's history serves them."""
    if not inp.is_json:
        return False
    doc = inp.doc
    return is_deepstate(doc) or (time_from_name(inp.stem) is not None and isinstance(
        doc, dict) and doc.get("type") == "FeatureCollection")


def _read(inp: Input) -> list[Snapshot]:
    fc, when = unwrap(inp.doc, inp.name)
    when = inp.opts.date or when or time_from_name(inp.stem)
    notes: list[str] = []
    feats = geojson_zones(fc, inp.name, inp.opts.limits, notes)
    return [read(feats, inp.name, when, FORMAT.source(inp.opts), notes)]


FORMAT = Format("deepstate", "DeepStateMap API JSON", _detect, _read, (".geojson", ".json"),
                publisher=PUBLISHER)
