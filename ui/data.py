"""Cached access to the clinics file. Caching lives here, in the UI layer, not in vetting/."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
import streamlit as st

from vetting import load_checklist, load_clinics, score
from vetting.checklist import Checklist, checklist_path
from vetting.filters import GeoIndex
from vetting.geo import OnlineGeocoder, Place, locate
from vetting.scoring import score_columns

DEFAULT_DATA = Path(__file__).resolve().parent.parent / "data" / "clinics.csv"


def data_path() -> Path:
    """The clinics CSV the app serves: $CLINICS_CSV, or the bundled fictional sample."""
    return Path(os.environ.get("CLINICS_CSV") or DEFAULT_DATA)


@dataclass(frozen=True)
class Directory:
    """What the screens show: scored clinics and each criterion's state, or the reasons there are none."""

    clinics: pd.DataFrame  # the clinics with their score summary, index = clinic_id
    states: pd.DataFrame  # clinics x criteria state codes (vetting.scoring), index = clinic_id
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    path: str
    is_sample: bool
    geo: GeoIndex | None = None  # the clinics by latitude, for radius searches (vetting.filters)

    @cached_property
    def labels(self) -> dict[str, str]:
        """'Name, City, ST' of each clinic id, for pickers: built once per directory (a label looked up per
        clinic on every run cost over a second at the sample's size)."""
        c = self.clinics
        text = c["name"].astype(str) + ", " + c["city"].astype(str) + ", " + c["state"].astype(str)
        return dict(zip(c.index, text, strict=True))

    @cached_property
    def ids_by_name(self) -> list[str]:
        """Clinic ids in the order of their names (pickers' options)."""
        return self.clinics.sort_values("name").index.tolist()

    def label(self, clinic_id: str) -> str:
        """'Name, City, ST' for pickers."""
        return self.labels[clinic_id]


# cache_resource, not cache_data: every session gets the same Directory object instead of its own
# unpickled copy (a copy per rerun cost ~0.3 s and ~0.5 GB per session at 100k clinics). Pages treat it
# as read-only; pandas' copy-on-write keeps derived frames from writing back into it.
@st.cache_resource(show_spinner="Loading and scoring clinics…", max_entries=2)
def _load(path: str, mtime_ns: int, today: dt.date, checklist_file: str) -> Directory:
    """Load, validate and score; keyed on the file's modification time so a save refreshes it."""
    result = load_clinics(path, today=today)
    is_sample = Path(path).resolve() == DEFAULT_DATA
    if not result.ok:
        empty = pd.DataFrame()
        return Directory(empty, empty, tuple(map(str, result.errors)), tuple(result.warnings), path, is_sample)
    scores = score(result.frame, load_checklist(checklist_file), today=today)
    clinics = result.frame.join(scores.summary.drop(columns="clinic_id")).set_index("clinic_id", drop=False)
    states = scores.states.set_axis(clinics.index, axis=0)
    return Directory(clinics, states, (), tuple(result.warnings), path, is_sample, GeoIndex.of(clinics))


def _version() -> tuple[str, int, dt.date, str]:
    """The data file and its modification time (the cache key that a save invalidates), today and the checklist."""
    path = data_path()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = -1
    return str(path), mtime, dt.date.today(), str(checklist_path())


def directory() -> Directory:
    """The current directory, from the cache unless the file changed."""
    return _load(*_version())


def checklist() -> Checklist:
    """The checklist the scorer uses ($VETTING_CHECKLIST or the bundled one; each file read once)."""
    return load_checklist()


def online_geocoding_enabled() -> bool:
    """Online geocoding is opt-in: VETTING_ONLINE_GEOCODER=1 in the environment turns it on."""
    return os.environ.get("VETTING_ONLINE_GEOCODER", "").strip().lower() in ("1", "true", "yes")


@st.cache_resource
def online_geocoder() -> OnlineGeocoder:
    """The server's one online geocoder: its rate limit and disk cache hold across queries and sessions."""
    return OnlineGeocoder()


@st.cache_data(show_spinner=False, max_entries=1000)
def find_place(query: str, online: bool) -> Place | None:
    """Resolve a place: the offline gazetteer; then, if enabled, the server's one online geocoder."""
    return locate(query, online_geocoder() if online else None)


@st.cache_resource(show_spinner="Re-ranking with your weights…", max_entries=8)
def _rescore(path: str, mtime_ns: int, today: dt.date, checklist_file: str,
             weights: tuple[tuple[str, float], ...]) -> pd.DataFrame:
    """The clinics scored with custom weights (cached per file version and weights)."""
    d = _load(path, mtime_ns, today, checklist_file)
    summary_columns = [c for c in score_columns(d.clinics) if c != "clinic_id"]
    frame = d.clinics.drop(columns=summary_columns).reset_index(drop=True)
    summary = score(frame, load_checklist(checklist_file), dict(weights), today).summary.drop(columns="clinic_id")
    return frame.join(summary).set_index("clinic_id", drop=False)


def rescored(weights: dict[str, float]) -> pd.DataFrame:
    """The current clinics scored with `weights` (criterion id -> effective weight)."""
    return _rescore(*_version(), tuple(sorted(weights.items())))


def usable_directory() -> Directory:
    """The directory for a page that needs clinics: if the file has problems, say so and stop the page."""
    from ui.notices import data_errors

    data = directory()
    if data.errors:
        data_errors(data.errors)
        st.stop()
    return data
