"""NZZ's front-line map (Neue Zürcher Zeitung), a second assessor independent of DeepStateMap.

A file is what NZZ's interactive map served one day, as scraped by the public
`conflict-investigations/nzz-maps` repository: ``{"value": FeatureCollection}`` whose features
carry ``properties.type`` — ``nochange`` (held at both ends of the change window), ``gains``
(taken during it), ``losses`` (lost during it) — and ``properties.date``, the map's own date.
The file name is only the day it was fetched, so the date comes from the content.

What is stored: ``nochange ∪ gains`` is the occupied layer; ``losses`` is recovered ground,
kept as the model's ``liberated`` annotation (never part of the control layer). There is no
grey zone. NZZ maps ground taken since 24 February 2022: Crimea is never in it, so its zones
get the kind ``occupied`` (since 2022). Until mid-March 2024 NZZ's layer also covered the
areas of Donetsk and Luhansk oblasts held since 2014 (ORDLO), which cannot be told apart from
the rest: such maps get the kind ``occupied-ordlo`` (since 2014), recognised by the two cities
held since 2014 lying inside the layer.

The module has the shape of one format (frontwatch.ingest.base): :data:`FORMAT`, with
:data:`PUBLISHER`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import shapely

from frontwatch.errors import InputError, described
from frontwatch.ingest.base import Format, Input
from frontwatch.ingest.prepare import RawZone, build_snapshot
from frontwatch.ingest.vector import geojson_zones
from frontwatch.model import Publisher, Snapshot, Status

SOURCE = "nzz"
PUBLISHER = Publisher(
    SOURCE, "Control data: NZZ (nzz.ch), via conflict-investigations/nzz-maps; ground taken "
    "since 24 Feb 2022 only (no Crimea; Donbas areas held since 2014 only until March 2024)",
    # preference: after DeepStateMap, since NZZ maps only the ground taken since 2022
    "none stated (© NZZ); credit NZZ", "since-2022", preference=2,
    note="until the map of 2024-03-15 NZZ's layer also covered the Donbas areas held since "
    "2014 (kind occupied-ordlo); Crimea never")
ATTRIBUTION = PUBLISHER.attribution
HELD = ("nochange", "gains")  # together: the ground Russia holds on the map's date
LOST = "losses"
TYPES = (*HELD, LOST)

# Donetsk and Luhansk city centres (lon, lat): held since 2014, so never "taken since 2022".
# A layer containing either also covers the ground held before the full-scale invasion.
HELD_SINCE_2014 = ((37.8028, 48.0159), (39.3078, 48.5740))
KIND_SINCE_2022 = ("occupied", 2022)
KIND_WITH_ORDLO = ("occupied-ordlo", 2014)
ORDLO_NOTE = ("map includes ORDLO (the Donbas areas held since 2014): zones stored as kind "
              "'occupied-ordlo'")


def detect(doc: Any) -> bool:
    """Is this parsed JSON an NZZ map: ``{"value": FeatureCollection}`` whose every feature
    has a ``properties.type`` of nochange, gains or losses? (Dates are checked by
    :func:`read`, so a file with a bad date is refused with that reason, not as unknown.)"""
    fc = doc.get("value") if isinstance(doc, dict) else None
    if not (isinstance(fc, dict) and fc.get("type") == "FeatureCollection"):
        return False
    feats = fc.get("features")
    if not isinstance(feats, list) or not feats:
        return False
    return all(isinstance(f, dict) and isinstance(f.get("properties"), dict)
               and f["properties"].get("type") in TYPES for f in feats)


def read(doc: Any, origin: str, source: str = SOURCE) -> list[Snapshot]:
    """One snapshot per distinct map date in the file (NZZ's files hold one), oldest first.

    Raises InputError naming the feature for a missing or invalid ``properties.date``, and
    for a date whose map holds no nochange or gains ground."""
    if not detect(doc):
        raise InputError("not an NZZ map: expected {\"value\": FeatureCollection} with "
                         "features typed nochange, gains or losses", origin=origin)
    by_day: dict[date, list[tuple[str, Any]]] = {}
    for i, (props, geom) in enumerate(geojson_zones(doc["value"], origin)):
        by_day.setdefault(_map_date(props.get("date"), i, origin), []).append(
            (props["type"], geom))
    if not by_day:
        raise InputError("NZZ map has no geometries", origin=origin)
    return [_snapshot(day, feats, origin, source) for day, feats in sorted(by_day.items())]


def _map_date(value: Any, i: int, origin: str) -> date:
    if not isinstance(value, str) or not value:
        raise InputError(f"feature {i} has no properties.date (the map's date)", origin=origin)
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise InputError(f"feature {i} has an invalid properties.date {described(value)}: expected "
                         "YYYY-MM-DD", origin=origin) from None


def _snapshot(day: date, feats: list[tuple[str, Any]], origin: str, source: str) -> Snapshot:
    held = [g for t, g in feats if t in HELD]
    if not held:
        raise InputError(f"the NZZ map of {day} has no nochange or gains features: it claims "
                         "no held ground", origin=origin)
    with_ordlo = any(shapely.contains_xy(g, x, y).any() for g in held
                     for x, y in HELD_SINCE_2014)
    kind, since = KIND_WITH_ORDLO if with_ordlo else KIND_SINCE_2022
    zones = [RawZone(Status.OCCUPIED, kind, g, since, t) if t in HELD
             else RawZone(Status.LIBERATED, "liberated", g, None, t) for t, g in feats]
    when = datetime.combine(day, datetime.min.time(), UTC)
    return build_snapshot(source, when, zones, origin, [ORDLO_NOTE] if with_ordlo else [])


def _detect(inp: Input) -> bool:
    """NZZ's JSON, unless the user gives the statuses."""
    return inp.is_json and not inp.by_status and detect(inp.doc)


def _read(inp: Input) -> list[Snapshot]:
    if inp.opts.date is not None or inp.opts.date_field:
        raise InputError("NZZ maps carry their own date (properties.date): drop --date",
                         origin=inp.name)
    return read(inp.doc, inp.name, FORMAT.source(inp.opts))


FORMAT = Format("nzz", "NZZ map", _detect, _read, (".json",), publisher=PUBLISHER)
