"""Vectorised selections over a clinics frame."""

from __future__ import annotations

from dataclasses import dataclass

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


def _coordinates(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes as float arrays, NaN where a clinic has none."""
    return (frame["latitude"].to_numpy(dtype=float, na_value=np.nan),
            frame["longitude"].to_numpy(dtype=float, na_value=np.nan))


KM_PER_DEGREE_LAT_MIN = 110.5  # a degree of latitude is 110.57-111.69 km on WGS-84


@dataclass(frozen=True)
class GeoIndex:
    """The located clinics sorted by latitude: a circle search then reads only its latitude band.

    Build it once per loaded frame (`GeoIndex.of`) and pass it to `within`, `nearby` or `search`; it holds
    row positions, so it belongs to that frame (same rows, same order)."""

    order: np.ndarray  # row positions of the located clinics, by latitude
    lats: np.ndarray  # their latitudes, ascending
    lons: np.ndarray  # their longitudes, same order
    rows: int  # rows of the frame it was built from

    @classmethod
    def of(cls, frame: pd.DataFrame) -> GeoIndex:
        lats, lons = _coordinates(frame)
        located = np.flatnonzero(~(np.isnan(lats) | np.isnan(lons)))
        order = located[np.argsort(lats[located], kind="stable")]
        return cls(order, lats[order], lons[order], len(frame))


def _lon_ok(lons: np.ndarray, lat: float, lon: float, dlat: float) -> np.ndarray | None:
    """Longitudes within reach of a circle of `dlat` degrees of latitude (None: all, near a pole)."""
    edge = min(abs(lat) + dlat, 90.0)
    if edge >= 89.0:
        return None
    dlon = dlat / np.cos(np.radians(edge))
    gap = np.abs(lons - lon)
    return np.minimum(gap, 360.0 - gap) <= dlon if abs(lon) + dlon > 180 else gap <= dlon


def _candidates(frame: pd.DataFrame, lat: float, lon: float, radius_km: float, index: GeoIndex | None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, lats, lons) of the clinics inside the bounding box of the circle (a conservative superset)."""
    dlat = radius_km / KM_PER_DEGREE_LAT_MIN * 1.01
    if index is not None:
        if index.rows != len(frame):
            raise ValueError("the GeoIndex was built from another frame")
        lo = np.searchsorted(index.lats, lat - dlat, side="left")
        hi = np.searchsorted(index.lats, lat + dlat, side="right")
        rows, lats, lons = index.order[lo:hi], index.lats[lo:hi], index.lons[lo:hi]
    else:
        lats, lons = _coordinates(frame)
        rows = np.flatnonzero(np.abs(lats - lat) <= dlat)
        lats, lons = lats[rows], lons[rows]
    keep = _lon_ok(lons, lat, lon, dlat)
    return (rows, lats, lons) if keep is None else (rows[keep], lats[keep], lons[keep])


def _distances(frame: pd.DataFrame, lat: float, lon: float, radius_km: float | None,
               index: GeoIndex | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(row positions, distances in km) of the located clinics within `radius_km` (all when None), in
    file order. The exact ellipsoidal distance is computed only inside the circle's bounding box."""
    from .geo import distance_km

    if radius_km is None:
        lats, lons = _coordinates(frame)
        rows = np.flatnonzero(~np.isnan(lats))
        d = distance_km(lats[rows], lons[rows], lat, lon)
        keep = ~np.isnan(d)
        return rows[keep], d[keep]
    rows, lats, lons = _candidates(frame, lat, lon, radius_km, index)
    d = distance_km(lats, lons, lat, lon)
    keep = d <= radius_km
    rows, d = rows[keep], d[keep]
    if index is not None:  # the index is in latitude order: back to file order
        in_file_order = np.argsort(rows, kind="stable")
        rows, d = rows[in_file_order], d[in_file_order]
    return rows, d


def within(frame: pd.DataFrame, lat: float, lon: float, radius_km: float | None = None,
           index: GeoIndex | None = None) -> pd.DataFrame:
    """Clinics within `radius_km` of (lat, lon) (every located clinic when None), with `distance_km`.

    Only the rows found are copied, so a local search over a million clinics stays cheap."""
    rows, d = _distances(frame, lat, lon, radius_km, index)
    return frame.iloc[rows].assign(distance_km=d)


def with_distance(frame: pd.DataFrame, lat: float, lon: float) -> pd.DataFrame:
    """The frame with `distance_km` from (lat, lon); NaN where a clinic has no coordinates."""
    from .geo import distance_km

    return frame.assign(distance_km=distance_km(*_coordinates(frame), lat, lon))


def nearby(frame: pd.DataFrame, lat: float, lon: float, radius_km: float | None = None,
           limit: int | None = None, index: GeoIndex | None = None) -> pd.DataFrame:
    """Clinics within `radius_km` of (lat, lon), nearest first (ties: higher score first if scored).

    Ordering works on arrays; only the `limit` rows returned are taken from the frame. With `index`
    (GeoIndex.of(frame), built once), only the circle's latitude band is read."""
    rows, d = _distances(frame, lat, lon, radius_km, index)
    if limit is not None and limit < len(rows):  # the nearest `limit` (with ties) before sorting
        cutoff = np.partition(d, limit - 1)[limit - 1]
        rows, d = rows[d <= cutoff], d[d <= cutoff]
    keys = [d]
    if "score" in frame:
        keys.insert(0, -frame["score"].to_numpy(dtype=float, na_value=np.nan)[rows])
    order = np.lexsort(keys)[:limit]  # stable: distance, then higher score, then file order
    return frame.iloc[rows[order]].assign(distance_km=d[order])
