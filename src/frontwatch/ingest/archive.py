"""The daily occupied-territory archive: `deepstatemap_data_YYYYMMDD.geojson`, one
MultiPolygon of everything occupied that day (no grey zone)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from frontwatch.errors import InputError

SOURCE = "deepstate-archive"
_NAME = re.compile(r"deepstatemap_data_(\d{8})")


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
