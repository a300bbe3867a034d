"""Vectorised selections over a clinics frame."""

from __future__ import annotations

import numpy as np
import pandas as pd


def list_contains(series: pd.Series, item: str) -> np.ndarray:
    """Where a `;`-list column (categorical, as loaded) includes `item`; decided once per distinct list."""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype("category")
    cats = series.cat.categories
    has = np.fromiter((item in str(c).split(";") for c in cats), dtype=bool, count=len(cats))
    codes = series.cat.codes.to_numpy()
    return np.append(has, False)[codes]  # code -1 (no list) picks the trailing False


KM_PER_DEGREE_LAT_MIN = 110.5  # a degree of latitude is 110.57-111.69 km on WGS-84


def _box(lats: np.ndarray, lons: np.ndarray, lat: float, lon: float, radius_km: float) -> np.ndarray:
    """A cheap, conservative pre-filter: clinics inside the lat/lon box that contains the circle."""
    dlat = radius_km / KM_PER_DEGREE_LAT_MIN * 1.01
    inside = np.abs(lats - lat) <= dlat
    edge = min(abs(lat) + dlat, 90.0)
    if edge < 89.0:  # near a pole every longitude can be within reach
        dlon = dlat / np.cos(np.radians(edge))
        gap = np.abs(lons - lon)
        inside &= np.minimum(gap, 360.0 - gap) <= dlon if abs(lon) + dlon > 180 else gap <= dlon
    return inside


def _distances(frame: pd.DataFrame, lat: float, lon: float, radius_km: float | None
               ) -> tuple[np.ndarray, np.ndarray]:
    """(row positions, distances in km) of the located clinics within `radius_km` (all when None).

    The exact ellipsoidal distance is computed only for clinics inside the circle's bounding box."""
    from .geo import distance_km

    lats = frame["latitude"].to_numpy(dtype=float, na_value=np.nan)
    lons = frame["longitude"].to_numpy(dtype=float, na_value=np.nan)
    rows = np.flatnonzero(_box(lats, lons, lat, lon, radius_km) if radius_km is not None else ~np.isnan(lats))
    d = distance_km(lats[rows], lons[rows], lat, lon)
    keep = d <= radius_km if radius_km is not None else ~np.isnan(d)
    return rows[keep], d[keep]


def within(frame: pd.DataFrame, lat: float, lon: float, radius_km: float | None = None) -> pd.DataFrame:
    """Clinics within `radius_km` of (lat, lon) (every located clinic when None), with `distance_km`.

    Only the rows found are copied, so a local search over a million clinics stays cheap."""
    rows, d = _distances(frame, lat, lon, radius_km)
    return frame.iloc[rows].assign(distance_km=d)


def with_distance(frame: pd.DataFrame, lat: float, lon: float) -> pd.DataFrame:
    """The frame with `distance_km` from (lat, lon); NaN where a clinic has no coordinates."""
    from .geo import distance_km

    return frame.assign(distance_km=distance_km(frame["latitude"].to_numpy(dtype=float, na_value=np.nan),
                                                frame["longitude"].to_numpy(dtype=float, na_value=np.nan),
                                                lat, lon))


def nearby(frame: pd.DataFrame, lat: float, lon: float, radius_km: float | None = None,
           limit: int | None = None) -> pd.DataFrame:
    """Clinics within `radius_km` of (lat, lon), nearest first (ties: higher score first if scored).

    Ordering works on arrays; only the `limit` rows returned are taken from the frame."""
    rows, d = _distances(frame, lat, lon, radius_km)
    if limit is not None and limit < len(rows):  # the nearest `limit` (with ties) before sorting
        cutoff = np.partition(d, limit - 1)[limit - 1]
        rows, d = rows[d <= cutoff], d[d <= cutoff]
    keys = [d]
    if "score" in frame:
        keys.insert(0, -frame["score"].to_numpy(dtype=float, na_value=np.nan)[rows])
    order = np.lexsort(keys)[:limit]  # stable: distance, then higher score, then file order
    return frame.iloc[rows[order]].assign(distance_km=d[order])
