"""Value types of the domain.

Plain data only: no I/O and no geometry operations, so every layer (store, analytics, API,
CLI) can share them without pulling in each other. Geometries are carried as shapely objects
but never computed on here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from frontwatch.dates import iso

PLACES_CREDIT = "Places: GeoNames (CC BY 4.0)"
OSM_ATTRIBUTION = "Boundaries: © OpenStreetMap contributors (ODbL)"
DEMO_SOURCE = "demo"
DEMO_NOTICE = (
    "Illustrative demo data: coarse shapes drawn by the Frontwatch project to show the tool. "
    "NOT an assessment of control."
)


@dataclass(frozen=True, slots=True)
class Publisher:
    """Who made a source's maps, how to credit them, on what terms they may be used and what
    their occupied layer covers. Each publishing format declares its own
    (frontwatch.ingest.formats collects them); `frontwatch.sources` looks them up.

    `occupied` is "all" (Crimea and the areas held since 2014 included), "since-2022" (only
    ground taken since 24 February 2022) or "illustrative", so unlike layers are never
    compared by accident; the grey zone is read from the stored data instead. `preference`
    orders the sources that answer when a request names none (lowest first)."""

    source: str
    attribution: str
    licence: str
    occupied: str
    preference: int
    note: str = ""


DEMO_PUBLISHER = Publisher(
    DEMO_SOURCE, "ILLUSTRATIVE DEMO DATA, not an assessment of the situation",
    "AGPL-3.0-or-later (drawn by the Frontwatch project)", "illustrative", preference=99)


class Status(enum.StrEnum):
    """What a control zone claims about its ground.

    Ukrainian-held is not a stored status: it is derived as region − occupied − contested.
    """

    OCCUPIED = "occupied"
    CONTESTED = "contested"
    LIBERATED = "liberated"


# the stored control layers, as plain names (SQL parameters, column prefixes `occupied_km2`)
CONTROL_STATUSES: tuple[str, ...] = (Status.OCCUPIED.value, Status.CONTESTED.value)
DERIVED_UKRAINIAN = "ukrainian"


@dataclass(frozen=True, slots=True)
class Claims:
    """What one source's map asserts about each layer a map or chart of it draws: the keys of
    the words every legend, title and sentence use (frontwatch.render.style.TEXT), so none
    says more than the source does. Made by :func:`claims`.

    `occupied`: "occupied" (all occupied ground) or "occupied_since_2022" (a layer of only
    the ground taken since 24 February 2022, e.g. NZZ's). `grey_zone`: whether the source
    maps one (else the contested row says "not in this source", never "0 km²"). `rest`, the
    ground no layer covers: "ukrainian" (Ukrainian-held: the source maps all occupied ground
    and the grey zone), "not_occupied" (it maps all occupied ground but no grey zone) or
    "rest_unstated" (it maps part of the occupied ground, or does not say which: it makes no
    claim about the rest)."""

    occupied: str
    grey_zone: bool
    rest: str


def claims(occupied_layer: str, grey_zone: bool) -> Claims:
    """What a map of a source may say about each layer it draws.

    Parameters
    ----------
    occupied_layer : str
        what the source's occupied layer covers (:attr:`Publisher.occupied`): "all",
        "since-2022", "illustrative" or "not declared".
    grey_zone : bool
        whether the source (or the revision shown) maps a grey zone.

    Returns
    -------
    Claims
        the keys of the words for the occupied layer, the grey zone and the rest.

    Examples
    --------
    >>> claims("since-2022", grey_zone=False)
    Claims(occupied='occupied_since_2022', grey_zone=False, rest='rest_unstated')
    >>> claims("all", grey_zone=True).rest, claims("all", grey_zone=False).rest
    ('ukrainian', 'not_occupied')
    """
    whole = occupied_layer in ("all", "illustrative")
    occupied = "occupied_since_2022" if occupied_layer == "since-2022" else "occupied"
    if not whole:
        return Claims(occupied, grey_zone, "rest_unstated")
    return Claims(occupied, grey_zone, DERIVED_UKRAINIAN if grey_zone else "not_occupied")


@dataclass(frozen=True, slots=True)
class Zone:
    """One polygonal zone of a snapshot.

    `kind` keeps occupied-since-2014 areas distinguishable: "occupied" (since 2022),
    "ordlo" (CADR/CALR, since 2014), "crimea" (since 2014), "occupied-ordlo" (a source's
    layer that holds both the 2022 gains and ORDLO without telling them apart), "contested",
    "liberated".
    """

    status: Status
    kind: str
    geometry: Any  # shapely (Multi)Polygon, lon/lat
    since: int | None = None
    label: str = ""


@dataclass(slots=True)
class Snapshot:
    """The zones one source published for one moment, before it is stored."""

    source: str
    valid_at: datetime  # UTC, tz-aware
    zones: list[Zone]
    origin: str = ""  # file name or URL it came from
    notes: list[str] = field(default_factory=list)  # repairs and skips, for the import report
    illustrative: bool = False


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """A stored snapshot revision, without its geometry."""

    id: int
    source: str
    valid_at: datetime
    recorded_at: datetime
    content_hash: str
    revision: int
    counts: dict[str, int]
    origin: str = ""
    illustrative: bool = False

    @property
    def date(self) -> date:
        """The UTC day of `valid_at`."""
        return self.valid_at.date()


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """What a store holds of one source (no geometry): revision count, first and last
    moment, whether any revision has a grey zone, and each zone kind's first and last date."""

    source: str
    revisions: int
    first: datetime
    last: datetime
    grey_zone: bool
    kinds: dict[str, tuple[date, date]]
    illustrative: bool = False


@dataclass(frozen=True, slots=True)
class Region:
    """An administrative unit or a named group, valid from a date."""

    slug: str
    level: str  # country | oblast | raion | hromada | group
    name_en: str
    name_uk: str
    geometry: Any
    code: str | None = None
    parent: str | None = None
    valid_from: date | None = None
    area_km2: float | None = None
    illustrative: bool = False


@dataclass(frozen=True, slots=True)
class Place:
    """A settlement, as a point."""

    slug: str
    name_en: str
    name_uk: str
    kind: str
    population: int | None
    region: str  # slug of its oblast
    lon: float
    lat: float
    geonameid: int | None = None
    valid_from: date | None = None
    katottg: str | None = None  # code in the KATOTTG codifier (UA14020130010015598)
    raion: str | None = None  # Ukrainian names of its raion and hromada, from the codifier
    hromada: str | None = None
    alt_names: tuple[str, ...] = ()  # other spellings, for search (Artemivsk, Kiev, Часов Яр)

    @property
    def label_uk(self) -> str:
        """The Ukrainian name to show: `name_uk` is "" for the few places no source spells
        in Ukrainian, which are labelled by their English name instead."""
        return self.name_uk or self.name_en


@dataclass(slots=True)
class ImportReport:
    """What one import did: per file, so a user sees exactly what happened."""

    added: list[SnapshotInfo] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # origins whose content was stored
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": [
                {
                    "id": s.id,
                    "source": s.source,
                    "valid_at": iso(s.valid_at),
                    "revision": s.revision,
                    "content_hash": s.content_hash,
                    "counts": s.counts,
                    "origin": s.origin,
                }
                for s in self.added
            ],
            "unchanged": self.unchanged,
            "notes": self.notes,
        }
