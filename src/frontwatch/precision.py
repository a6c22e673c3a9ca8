"""How many decimals each quantity is written with, decided once for every table and
document (CLI CSV/JSON, API JSON/CSV, exports, GeoJSON properties).

Computations keep full precision; only writers round. The figures are as precise as the
data behind them, not as the float: a zone boundary drawn by hand is good to tens of metres,
so km² and km get 2 decimals (0.01 km² = 1 ha, the smallest change a diff reports by
default) and percentages 2. Coordinates have their own rule (6 decimals, see
:func:`frontwatch.geometry.publishable`).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

KM2 = 2  # areas and area changes (km², km²/day)
PCT = 2  # shares of a region (%)
KM = 2  # lengths and distances (km)
AGREEMENT = 4  # intersection over union, a fraction from 0 to 1 (1e-4 of the union)


def decimals_for(name: str) -> int | None:
    """Decimals for a column or member named by the project's conventions.

    Parameters
    ----------
    name : str
        a column or member name: `*_km2`, `km2`, `*_rate_7d` (km²/day), `*_pct`, `*_km`,
        `agreement`.

    Returns
    -------
    int or None
        KM2, PCT, KM or AGREEMENT; None for anything else (ids, counts, coordinates).

    Examples
    --------
    >>> decimals_for("occupied_km2"), decimals_for("occupied_pct"), decimals_for("snapshot_id")
    (2, 2, None)
    """
    if name == "agreement":
        return AGREEMENT
    if name.endswith("_pct"):
        return PCT
    if name.endswith("_km2") or name == "km2" or "_rate_" in name:
        return KM2
    if name.endswith("_km"):
        return KM
    return None


def round_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with each quantity column rounded to its decimals (NaN stays).

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        columns named by the conventions of :func:`decimals_for`; others are kept as they
        are.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        the same kind of frame (geometry and CRS kept), the same index, columns and
        ``attrs``; float quantity columns rounded (never ``-0.0``).

    Examples
    --------
    >>> import pandas as pd
    >>> round_table(pd.DataFrame({"occupied_km2": [1.234567], "snapshot_id": [7]}))
       occupied_km2  snapshot_id
    0          1.23            7
    """
    cols: dict[Any, Any] = {}
    for col in frame.columns:  # numpy per column: pandas' per-column assignment costs ~ms
        values, dec = frame[col], decimals_for(str(col))
        if dec is not None and pd.api.types.is_float_dtype(values):
            cols[col] = np.round(values.to_numpy(), dec) + 0.0  # + 0.0: never write "-0.0"
        else:
            cols[col] = values
    out = pd.DataFrame(cols, index=frame.index, columns=frame.columns)
    geopandas = sys.modules.get("geopandas")  # a GeoDataFrame stays one (geometry, CRS)
    if geopandas is not None and isinstance(frame, geopandas.GeoDataFrame):
        out = type(frame)(out, geometry=frame.geometry.name, crs=frame.crs)
    out.attrs = dict(frame.attrs)
    return out


def round_values(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a flat document with each quantity member rounded to its decimals.

    Parameters
    ----------
    doc : mapping of str to any
        members named by the conventions of :func:`decimals_for`; NaN and non-floats stay.

    Returns
    -------
    dict
        a new dict, same keys and order.

    Examples
    --------
    >>> round_values({"occupied_km2": 1234.5678, "snapshot_id": 7, "occupied_pct": -0.001})
    {'occupied_km2': 1234.57, 'snapshot_id': 7, 'occupied_pct': 0.0}
    """
    out = dict(doc)
    for key, value in doc.items():
        dec = decimals_for(key)
        if dec is not None and isinstance(value, float | np.floating) and value == value:
            out[key] = round(float(value), dec) + 0.0
    return out


def fixed(name: str, value: Any) -> Any:
    """A CSV cell: a float quantity as fixed-point text with its decimals (`0.9330`, not
    `0.933`: CSV is text, and its digits say how precise the figure is), NaN empty;
    anything else as it is.

    Parameters
    ----------
    name : str
        The column's name; its decimals come from :func:`decimals_for`.
    value : Any
        The cell's value.

    Returns
    -------
    Any
        str for a float in a quantity column ("" for NaN), else `value` unchanged.

    Examples
    --------
    >>> fixed("agreement", 0.933)
    '0.9330'
    """
    dec = decimals_for(name)
    if dec is None or not isinstance(value, float | np.floating):
        return value
    return "" if value != value else f"{round(float(value), dec) + 0.0:.{dec}f}"


def fixed_point(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` for a CSV writer: each float quantity column (see
    :func:`decimals_for`) as fixed-point text (:func:`fixed`); other columns as they are.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table; it is not changed.

    Returns
    -------
    pandas.DataFrame
        `frame` itself when no column is a float quantity, else a copy with those columns
        as str.
    """
    cols = {}
    for col in frame.columns:
        kind = frame[col].dtype
        if decimals_for(str(col)) is not None and (pd.api.types.is_float_dtype(kind)
                                                   or pd.api.types.is_object_dtype(kind)):
            cols[col] = [fixed(str(col), v) for v in frame[col].to_numpy()]
    return frame.assign(**cols) if cols else frame
