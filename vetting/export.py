"""Exports that are safe to open in a spreadsheet."""

from __future__ import annotations

import numpy as np
import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype):
            text = s.astype("string")
            risky = text.str.startswith(FORMULA_PREFIXES).fillna(False).to_numpy(dtype=bool)
            if risky.any():
                out[col] = np.where(risky, "'" + text.fillna(""), s.astype(object))
    return out


def to_csv(frame: pd.DataFrame) -> str:
    """CSV text of `frame` with formula-like cells neutralised (no index)."""
    return neutralise(frame).to_csv(index=False)
