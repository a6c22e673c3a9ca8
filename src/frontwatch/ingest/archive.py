"""The daily occupied-territory archive: `deepstatemap_data_YYYYMMDD.geojson`, one
MultiPolygon of everything occupied that day (no grey zone)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from frontwatch.errors import InputError
from frontwatch.ingest import dated
from frontwatch.ingest.base import Format, Input
from frontwatch.ingest.vector import StatusMapping, geojson_zones
from frontwatch.model import Publisher, Snapshot

SOURCE = "deepstate-archive"
PUBLISHER = Publisher(
    SOURCE, "Control data: DeepStateMap (deepstatemap.live), daily archive by "
    "cyterat/deepstate-map-data (GPL-3.0)",
    "GPL-3.0 (the archive); DeepStateMap licence agreement (the maps)", "all", preference=1,
    note="one polygon per day: Crimea and the areas held since 2014 are not told apart")
_NAME = re.compile(r"deepstatemap_data_([0-9]{8})")  # ASCII: strptime reads '２０２４' too


def date_from_name(name: str, origin: str | None = None) -> datetime | None:
    """The day the file depicts, at 00:00 UTC; None when the name is not an archive name."""
    m = _NAME.search(name)
    if not m:
        return None
    try:
        return datetime.strptime(m.group(1), "%Y%m%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise InputError(f"invalid date {m.group(1)!r} in archive file name",
                         origin=origin or name) from exc


def _detect(inp: Input) -> bool:
    """JSON named like an archive file, unless the user gives the statuses."""
    return inp.is_json and not inp.by_status and date_from_name(inp.stem, inp.name) is not None


def _read(inp: Input) -> list[Snapshot]:
    opts = inp.opts
    notes: list[str] = []
    feats = geojson_zones(inp.doc, inp.name, opts.limits, notes)
    when = opts.date or date_from_name(inp.stem, inp.name)
    if when is None and not opts.date_field:
        raise InputError("archive files are named deepstatemap_data_YYYYMMDD; pass --date",
                         origin=inp.name)
    return dated.snapshots(feats, inp.name, source=FORMAT.source(opts),
                           status=StatusMapping(status="occupied"), when=when,
                           date_field=opts.date_field, merge_dates=opts.merge_dates,
                           notes=notes)


FORMAT = Format("archive", "the daily archive (deepstatemap_data_YYYYMMDD)", _detect, _read,
                (".geojson", ".json"), publisher=PUBLISHER)
