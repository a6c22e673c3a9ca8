"""The Python API for notebooks.

>>> import frontwatch
>>> fw = frontwatch.open()  # doctest: +SKIP
>>> fw.areas("Donetsk Oblast", "2025-04-01", "2025-06-30")  # doctest: +SKIP

Every method returns a typed result: pandas DataFrames (dates as ``datetime64[ns]``, areas
in km², lengths and distances in km, shares in %), GeoDataFrames in lon/lat (EPSG:4326), or
:class:`typing.TypedDict` documents. Figures are read from the store's precomputed tables
(geodesic km² on WGS84, see :mod:`frontwatch.geometry`) and credit their source in an
``attribution`` member or ``.attrs["attribution"]``.

Dates are :class:`datetime.date` or ``'YYYY-MM-DD'``; regions and places are names (English
or Ukrainian), KATOTTG codes or slugs; ``source=None`` uses the store's default source.
Mistakes raise :class:`frontwatch.errors.InputError` (a bad value, naming it) or
:class:`frontwatch.errors.NotFound` (an unknown name, or a date outside the data).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, TypedDict, overload

import geopandas as gpd
import pandas as pd

from frontwatch import analytics, dates
from frontwatch.analytics import precompute  # noqa: F401  (registers ingest's hooks)
from frontwatch.analytics.common import region_of, snapshot_on, source_of
from frontwatch.analytics.results import AreaFigures, PlaceChange, PlaceNearFront, StatusPeriod
from frontwatch.dates import iso
from frontwatch.errors import NotFound
from frontwatch.snapshots import features
from frontwatch.store import SqlStore, open_store, sqlite_path

When = date | str

__all__ = ["AreaFigures", "Frontwatch", "PlaceChange", "PlaceNearFront", "SnapshotRef",
           "StatusPeriod", "open"]


class SnapshotRef(TypedDict):
    """Which snapshot a frame shows (``.attrs["snapshot"]`` of :meth:`Frontwatch.snapshot`)."""

    id: int
    source: str
    valid_at: str  # ISO 8601 UTC ("…Z")


@overload
def _day(value: When, what: str = "date") -> date: ...
@overload
def _day(value: None, what: str = "date") -> None: ...
def _day(value: When | None, what: str = "date") -> date | None:
    if value is None or isinstance(value, date):
        return value
    return dates.day(value, what)


def _dated(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """`columns` as datetime64[ns] (None → NaT), so pandas resamples and plots them."""
    for col in columns:
        if col in frame.columns:
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
    return frame


class Frontwatch:
    """A store opened for analysis (see :func:`open`); a context manager that closes it.

    Parameters
    ----------
    store : SqlStore
        an open store (SQLite or PostGIS); closed by :meth:`close` or at the ``with``'s end.

    Examples
    --------
    >>> with frontwatch.open() as fw:  # doctest: +SKIP
    ...     fw.area("Donetsk Oblast", "2025-06-30")["occupied_pct"]
    """

    def __init__(self, store: SqlStore):
        self.store = store

    def close(self) -> None:
        """Close the store (the object is unusable afterwards)."""
        self.store.close()

    def __enter__(self) -> Frontwatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sources(self) -> list[str]:
        """Names of the sources the store holds, e.g. ``['deepstate', 'nzz']``.

        Returns
        -------
        list of str
            sorted by name. ``source=None`` means the publishers' preference among them
            (DeepStateMap first, see :func:`frontwatch.lookup.default_source`).
        """
        return self.store.sources()

    def areas(self, region: str = "donbas", start: When | None = None,
              end: When | None = None, source: str | None = None) -> pd.DataFrame:
        """Daily area series of a region: each day's state carried forward from the last
        revision on or before it.

        Parameters
        ----------
        region : str
            name, code or slug (default the Donbas: Donetsk + Luhansk oblasts).
        start, end : date or 'YYYY-MM-DD', optional
            inclusive; default and clamp: the source's first and newest day.
        source : str, optional
            None: the store's default source.

        Returns
        -------
        pandas.DataFrame
            One row per day, from the precomputed stats table (geodesic km² on WGS84).
            ``date`` datetime64[ns]; ``snapshot_id`` int64; float64:
            ``region_km2``, ``occupied_km2``, ``contested_km2``, ``ukrainian_km2`` (km²),
            ``occupied_pct``, ``contested_pct``, ``ukrainian_pct`` (% of the region),
            ``occupied_change_km2``, ``contested_change_km2`` (km² since the day before),
            ``occupied_rate_7d``, ``occupied_rate_30d``, ``contested_rate_7d``,
            ``contested_rate_30d`` (trailing means, km²/day; NaN until the window is full).

        Raises
        ------
        NotFound
            unknown region or source, or a range wholly outside the data.
        InputError
            a malformed or inverted date.
        """
        span = self.store.snapshot_span(source_of(self.store, source))
        if span is None:
            raise NotFound(f"no snapshots from source {source_of(self.store, source)!r}")
        first, last = span[0].date(), span[1].date()
        frame = analytics.series(self.store, region, _day(start, "start") or first,
                                 _day(end, "end") or last, source)
        return _dated(frame, "date")

    def area(self, region: str, on: When, source: str | None = None) -> AreaFigures:
        """A region's km² and % occupied, contested and Ukrainian-held on a date.

        Parameters
        ----------
        region : str
            name (English or Ukrainian), KATOTTG code or slug.
        on : date or 'YYYY-MM-DD'
            past the newest snapshot: that snapshot's state (``stale_days`` says how old).
        source : str, optional
            None: the store's default source.

        Returns
        -------
        AreaFigures
            km² (geodesic, WGS84, from the precomputed stats table) and % of the region,
            the snapshot shown (``snapshot_id``, ``valid_at``), ``attribution``,
            ``data_through`` and ``stale_days``.

        Raises
        ------
        NotFound
            unknown region or source, or a date before the source's history.
        InputError
            a malformed date.
        """
        return analytics.area(self.store, region, _day(on), source)

    def diff(self, region: str | None, d1: When, d2: When, source: str | None = None
             ) -> gpd.GeoDataFrame:
        """What changed between two dates, as polygons.

        Parameters
        ----------
        region : str or None
            name, code or slug; None: the whole theatre.
        d1, d2 : date or 'YYYY-MM-DD'
            the two dates (each shows the revision in force at its end), ``d1 <= d2``.
        source : str, optional
            None: the store's default source.

        Returns
        -------
        geopandas.GeoDataFrame
            EPSG:4326, one row per changed piece, largest first: ``change`` (e.g.
            ``occupied_gained``), ``km2`` (km²), ``nearest_place``, ``place_name``,
            ``direction`` (compass point from the place), ``distance_km`` (km),
            ``description``, ``rank``. ``.attrs["summary"]`` holds the totals (km²) and the
            two snapshots; ``.attrs["places_changed"]`` a list of :class:`PlaceChange`.
            Areas are measured on the theatre's equal-area plane (within ~1e-8 of geodesic
            km² on WGS84, see :mod:`frontwatch.geometry`).

        Raises
        ------
        NotFound
            unknown region or source, or a date before the source's history.
        InputError
            a malformed date, or ``d2`` before ``d1``.
        """
        res = analytics.diff(self.store, region, _day(d1), _day(d2), source)
        df = _frame(res.features)
        df.attrs["summary"] = res.summary
        df.attrs["places_changed"] = res.places_changed
        return df

    def snapshot(self, on: When, region: str | None = None, source: str | None = None
                 ) -> gpd.GeoDataFrame:
        """The zones in force on a date, clipped to a region when given.

        Parameters
        ----------
        on : date or 'YYYY-MM-DD'
            the revision in force at the end of that day.
        region : str, optional
            name, code or slug to clip to; None: every zone, unclipped.
        source : str, optional
            None: the store's default source.

        Returns
        -------
        geopandas.GeoDataFrame
            EPSG:4326, one row per zone: ``status`` (occupied | contested | ukrainian),
            ``kind``, ``since`` (year the ground was taken, when the source says), ``label``,
            ``area_km2`` (km²). ``.attrs["snapshot"]`` is a :class:`SnapshotRef`.

        Raises
        ------
        NotFound
            an unknown source or (when given) region, or a date before the history.
        InputError
            a malformed date.
        """
        day = _day(on)
        info = snapshot_on(self.store, day, source)
        r = region_of(self.store, region, day) if region else None
        df = _frame(features(self.store, info, r))
        df.attrs["snapshot"] = SnapshotRef(id=info.id, source=info.source,
                                           valid_at=iso(info.valid_at))
        return df

    def frontline(self, on: When, source: str | None = None) -> gpd.GeoDataFrame:
        """The front line on a date: where occupied and contested ground meets the rest of
        Ukraine, leaving out the international border and the coast.

        Parameters
        ----------
        on : date or 'YYYY-MM-DD'
        source : str, optional
            None: the store's default source.

        Returns
        -------
        geopandas.GeoDataFrame
            EPSG:4326, one row: ``date`` datetime64[ns], ``length_km`` float64 (geodesic km
            on WGS84, ``pyproj.Geod``), a MultiLineString geometry.

        Raises
        ------
        NotFound
            unknown source, or a date before the source's history.
        """
        day = _day(on)
        line, km = analytics.frontline(self.store, day, source)
        when = pd.to_datetime([day]).astype("datetime64[ns]")
        return gpd.GeoDataFrame({"date": when, "length_km": [km]},
                                geometry=[line], crs="EPSG:4326")

    def changelog(self, region: str, start: When, end: When, source: str | None = None
                  ) -> pd.DataFrame:
        """km² gained and lost per revision day in a region, against the state the day before.

        Parameters
        ----------
        region : str
            name, code or slug.
        start, end : date or 'YYYY-MM-DD'
            inclusive.
        source : str, optional
            None: the store's default source.

        Returns
        -------
        pandas.DataFrame
            One row per day with a revision: ``date`` datetime64[ns], ``snapshot_id`` int64;
            float64 km² (precomputed at import, geodesic on WGS84): ``occupied_gained_km2``,
            ``occupied_lost_km2``, ``contested_gained_km2``, ``contested_lost_km2``,
            ``occupied_net_km2``.

        Raises
        ------
        InputError
            a malformed or inverted date.
        NotFound
            unknown region or source, or a range wholly outside the data.
        """
        return _dated(analytics.changelog(self.store, region, _day(start), _day(end), source),
                      "date")

    def place(self, place: str, start: When | None = None, end: When | None = None,
              source: str | None = None) -> pd.DataFrame:
        """A settlement's periods of constant status, oldest first.

        Parameters
        ----------
        place : str
            name (English or Ukrainian), KATOTTG code or slug.
        start, end : date or 'YYYY-MM-DD', optional
            default: the whole history.
        source : str, optional
            None: the store's default source.

        Returns
        -------
        pandas.DataFrame
            The rows of :class:`StatusPeriod`: ``status`` (occupied | contested |
            ukrainian), ``start`` and ``end`` datetime64[ns] (``end`` NaT while the period
            still holds), ``days`` int64. Status from the place-status table (outlines by
            majority, points by the layer they lie in).

        Raises
        ------
        NotFound
            unknown place or source, or no snapshot in the range.
        """
        return _dated(pd.DataFrame(analytics.place_timeline(
            self.store, place, _day(start), _day(end), source)), "start", "end")

    def near_front(self, km: float, on: When, source: str | None = None) -> pd.DataFrame:
        """Settlements within `km` of the front line on a date, nearest first.

        Parameters
        ----------
        km : float
            geodesic km, 0 or more.
        on : date or 'YYYY-MM-DD'
        source : str, optional
            None: the store's default source.

        Returns
        -------
        pandas.DataFrame
            The rows of :class:`PlaceNearFront`: ``slug``, ``name_en``, ``name_uk``,
            ``lon``, ``lat`` (degrees, WGS84), ``population`` (the gazetteer's, None where
            unknown), ``status``, ``distance_km`` (geodesic km on WGS84, 2 decimals).

        Raises
        ------
        NotFound
            unknown source, or a date before the source's history.
        InputError
            a negative or non-numeric `km`.
        """
        return pd.DataFrame(analytics.places_near_front(self.store, km, _day(on), source))


def _frame(items: list[tuple[Any, dict[str, Any]]]) -> gpd.GeoDataFrame:
    props = pd.DataFrame([p for _, p in items])
    return gpd.GeoDataFrame(props, geometry=[g for g, _ in items], crs="EPSG:4326")


def open(db: str | Path | None = None, *, create: bool = False) -> Frontwatch:
    """Open a store for analysis.

    Parameters
    ----------
    db : str or pathlib.Path, optional
        A SQLite file, ``sqlite:///path`` (``?mode=ro`` for read-only) or a
        ``postgresql://…`` URL. None: the default store, the one ``frontwatch serve`` and
        the CLI use (``FRONTWATCH_DATABASE_URL``, else ``frontwatch.sqlite`` in the user
        data folder; created with the bundled places and demo when it does not exist yet).
    create : bool
        Create a new, empty SQLite store when `db` does not exist (default: refuse).

    Returns
    -------
    Frontwatch
        the opened store; use it as a context manager, or call ``close()``.

    Raises
    ------
    NotFound
        `db` is a SQLite file that does not exist (and not `create`).
    StoreError
        an unsupported URL, or a store that cannot be opened.
    """
    from frontwatch.bootstrap import prepare_default_store
    from frontwatch.settings import Settings

    settings = Settings()
    url = settings.database_url if db is None else str(db)
    path = sqlite_path(url)
    if db is not None and not create and path is not None and not path.exists():
        raise NotFound(f"no store at {path}: give an existing store, or create=True for a "
                       "new empty one")
    store = open_store(url)
    if db is None:
        prepare_default_store(store, settings.is_default_database)
    return Frontwatch(store)
