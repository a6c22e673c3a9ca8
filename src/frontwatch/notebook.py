"""The Python API for notebooks.

>>> import frontwatch
>>> fw = frontwatch.open()  # doctest: +SKIP
>>> fw.areas("Donetsk Oblast", "2025-04-01", "2025-06-30")  # doctest: +SKIP

Every method returns a typed result: pandas DataFrames (dates as ``datetime64[ns]``, areas
in km², lengths and distances in km, shares in %), GeoDataFrames in lon/lat (EPSG:4326), or
:class:`typing.TypedDict` documents. Figures are read from the store's precomputed tables
(geodesic km² on WGS84, see :mod:`frontwatch.geometry`) and credit their source in an
``attribution`` member or ``.attrs["attribution"]``.

Every frame says what it shows in ``.attrs``, a :data:`Provenance` with the facts the HTTP
answers give: ``source``, ``snapshot`` (the revision shown: for a range, the newest in it),
``date`` or ``from``/``to`` (as answered: a range is cut to the data), ``data_through`` (the
source's newest snapshot), ``stale_days`` (days the date asked for lies after it; 0 when it
does not), ``attribution`` and ``illustrative`` (with ``notice`` for demo data). A date past
the newest snapshot is answered with that snapshot's state and a ``stale_days`` above 0:

>>> fw.frontline("2026-11-01").attrs["stale_days"]  # doctest: +SKIP
489

Dates are :class:`datetime.date` or ``'YYYY-MM-DD'``; regions and places are names (English
or Ukrainian), KATOTTG codes or slugs; ``source=None`` uses the store's default source.
Mistakes raise :class:`frontwatch.errors.InputError` (a bad value, naming it) or
:class:`frontwatch.errors.NotFound` (an unknown name, or a date outside the data).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, overload

import geopandas as gpd
import pandas as pd

from frontwatch import analytics, coverage, dates
from frontwatch.analytics import precompute  # noqa: F401  (registers ingest's hooks)
from frontwatch.analytics.common import place_of, region_of, snapshot_on, source_of
from frontwatch.analytics.front import line_of
from frontwatch.analytics.results import AreaFigures, PlaceChange, PlaceNearFront, StatusPeriod
from frontwatch.errors import NotFound
from frontwatch.model import SnapshotInfo
from frontwatch.provenance import Provenance, SnapshotRef, provenance, shown
from frontwatch.snapshots import features
from frontwatch.store import SqlStore, open_store, sqlite_path

When = date | str

__all__ = ["AreaFigures", "Frontwatch", "PlaceChange", "PlaceNearFront", "Provenance",
           "SnapshotRef", "StatusPeriod", "open"]


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
            ``.attrs``: a :data:`Provenance` with ``from``/``to`` as answered (an end past
            the newest snapshot is cut to it: ``to_requested``, ``clamped``, ``stale_days``).

        Raises
        ------
        NotFound
            unknown region or source, or a range wholly outside the data.
        InputError
            a malformed or inverted date.
        """
        span, info = self._span(start, end, source)
        frame = analytics.series(self.store, region, span.start, span.end, info.source)
        return shown(_dated(frame, "date"), provenance(self.store, info, span=span))

    def _span(self, start: When | None, end: When | None, source: str | None
              ) -> tuple[coverage.Span, SnapshotInfo]:
        """[start, end] cut to the source's days (default: its whole history), and the
        newest revision in it."""
        src = source_of(self.store, source)
        span = coverage.span(self.store, src, dates.DayRange(_day(start, "start"),
                                                             _day(end, "end")))
        return span, self.store.resolve(src, span.end)

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
            ``data_through``, ``stale_days`` (days `on` lies after data_through, 0 when it
            does not) and ``illustrative`` (demo data).

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
            two snapshots; ``.attrs["places_changed"]`` a list of :class:`PlaceChange`; the
            rest of ``.attrs`` is a :data:`Provenance` of the revision in force on `d2`
            (``from``/``to``: `d1` and `d2`; ``stale_days``: how far `d2` lies past the
            data). Areas are measured on the theatre's equal-area plane (within ~1e-8 of geodesic
            km² on WGS84, see :mod:`frontwatch.geometry`).

        Raises
        ------
        NotFound
            unknown region or source, or a date before the source's history.
        InputError
            a malformed date, or ``d2`` before ``d1``.
        """
        a, b = _day(d1, "d1"), _day(d2, "d2")
        res = analytics.diff(self.store, region, a, b, source)
        assert res.attrs is not None  # analytics.diff's results carry their provenance
        df = shown(_frame(res.features), res.attrs)
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
            ``area_km2`` (km²). ``.attrs``: a :data:`Provenance` (``snapshot``, a
            :class:`SnapshotRef`: the revision shown; ``stale_days``: how far `on` lies
            past the newest snapshot).

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
        return shown(_frame(features(self.store, info, r)),
                      provenance(self.store, info, day))

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
            EPSG:4326, one row: ``date`` datetime64[ns] (the date asked for),
            ``length_km`` float64 (geodesic km on WGS84, ``pyproj.Geod``), a
            MultiLineString geometry. ``.attrs``: a :data:`Provenance` (``snapshot``: the
            revision whose line it is; past the newest snapshot, that one's line with
            ``stale_days`` above 0).

        Raises
        ------
        NotFound
            unknown source, or a date before the source's history.
        """
        day = _day(on)
        info = snapshot_on(self.store, day, source)
        line, km = line_of(self.store, info)  # = analytics.frontline, without a 2nd lookup
        when = pd.to_datetime([day]).astype("datetime64[ns]")
        return shown(gpd.GeoDataFrame({"date": when, "length_km": [km]},
                                       geometry=[line], crs="EPSG:4326"),
                      provenance(self.store, info, day))

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
            ``occupied_net_km2``. ``.attrs``: a :data:`Provenance` with ``from``/``to`` as
            answered (cut to the data, like :meth:`areas`).

        Raises
        ------
        InputError
            a malformed or inverted date.
        NotFound
            unknown region or source, or a range wholly outside the data.
        """
        span, info = self._span(start, end, source)
        frame = analytics.changelog(self.store, region, span.start, span.end, info.source)
        return shown(_dated(frame, "date"), provenance(self.store, info, span=span))

    def place(self, place: str, start: When | None = None, end: When | None = None,
              source: str | None = None) -> pd.DataFrame:
        """A settlement's periods of constant status, oldest first.

        Parameters
        ----------
        place : str
            name (English or Ukrainian), KATOTTG code or slug.
        start, end : date or 'YYYY-MM-DD', optional
            default: the whole history; cut to the data (an `end` past the newest snapshot
            ends there).
        source : str, optional
            None: the store's default source.

        Returns
        -------
        pandas.DataFrame
            The rows of :class:`StatusPeriod`: ``status`` (occupied | contested |
            ukrainian), ``start`` and ``end`` datetime64[ns] (``end`` NaT while the period
            still holds: in the newest snapshot, ``.attrs["data_through"]``), ``days``
            int64. Status from the place-status table (outlines by majority, points by the
            layer they lie in). ``.attrs``: a :data:`Provenance` with ``from``/``to`` as
            answered and ``places_attribution``.

        Raises
        ------
        NotFound
            unknown place or source, or no snapshot in the range.
        """
        a, b = _day(start, "start"), _day(end, "end")
        span, info = self._span(a, b, source)
        p = place_of(self.store, place, span.end)
        # as the HTTP timeline: an open end stays open (NaT: still holds, up to data_through)
        periods = analytics.place_timeline(self.store, p, a and span.start, b and span.end,
                                           info.source)
        return shown(_dated(pd.DataFrame(periods), "start", "end"),
                      provenance(self.store, info, span=span, places=True))

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
            ``.attrs``: a :data:`Provenance` (the revision whose line and statuses these
            are, ``stale_days``) with ``places_attribution``.

        Raises
        ------
        NotFound
            unknown source, or a date before the source's history.
        InputError
            a negative or non-numeric `km`.
        """
        day = _day(on)
        info = snapshot_on(self.store, day, source)
        rows = analytics.places_near_front(self.store, km, day, info.source)
        return shown(pd.DataFrame(rows), provenance(self.store, info, day, places=True))


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
