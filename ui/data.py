"""Cached access to the clinics file. Caching lives here, in the UI layer, not in vetting/."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from vetting import load_checklist, load_clinics, scored
from vetting.checklist import Checklist

DEFAULT_DATA = Path(__file__).resolve().parent.parent / "data" / "clinics.csv"


def data_path() -> Path:
    """The clinics CSV the app serves: $CLINICS_CSV, or the bundled fictional sample."""
    return Path(os.environ.get("CLINICS_CSV", DEFAULT_DATA))


@dataclass(frozen=True)
class Directory:
    """What the screens show: scored clinics, or the reasons there are none."""

    clinics: pd.DataFrame
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    path: str
    is_sample: bool


@st.cache_data(show_spinner="Loading and scoring clinics…", max_entries=4)
def _load(path: str, mtime_ns: int, today: dt.date) -> Directory:
    """Load, validate and score; keyed on the file's modification time so a save refreshes it."""
    result = load_clinics(path, today=today)
    clinics = scored(result.frame, today=today) if result.ok else pd.DataFrame()
    return Directory(clinics, tuple(map(str, result.errors)), tuple(result.warnings), path,
                     Path(path).resolve() == DEFAULT_DATA)


def directory() -> Directory:
    """The current directory, from the cache unless the file changed."""
    path = data_path()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = -1
    return _load(str(path), mtime, dt.date.today())


@st.cache_resource
def checklist() -> Checklist:
    """The checklist the scorer uses (read once)."""
    return load_checklist()
