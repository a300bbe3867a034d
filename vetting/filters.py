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


def with_distance(frame: pd.DataFrame, lat: float, lon: float) -> pd.DataFrame:
    """The frame with `distance_km` from (lat, lon); NaN where a clinic has no coordinates."""
    from .geo import distance_km

    return frame.assign(distance_km=distance_km(frame["latitude"].to_numpy(dtype=float),
                                                frame["longitude"].to_numpy(dtype=float), lat, lon))


def nearby(frame: pd.DataFrame, lat: float, lon: float, radius_km: float | None = None,
           limit: int | None = None) -> pd.DataFrame:
    """Clinics within `radius_km` of (lat, lon), nearest first (ties: higher score first if scored)."""
    out = with_distance(frame, lat, lon)
    keep = out["distance_km"].notna()
    if radius_km is not None:
        keep &= out["distance_km"] <= radius_km
    out = out[keep]
    keys, asc = ["distance_km"], [True]
    if "score" in out:
        keys, asc = ["distance_km", "score"], [True, False]
    out = out.sort_values(keys, ascending=asc, kind="stable")
    return out.head(limit) if limit is not None else out
