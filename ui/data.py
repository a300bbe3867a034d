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
from vetting.evidence import compare, empty_evidence, evidence_path, load_evidence, unbacked_critical, verification
from vetting.filters import GeoIndex
from vetting.geo import OnlineGeocoder, Place, locate
from vetting.registry import NpiRegistry, default_cache_path, default_registry_url
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
    evidence: pd.DataFrame | None = None  # the evidence file, typed (vetting.evidence); empty when none
    compared: pd.DataFrame | None = None  # the latest evidence per clinic and field, beside the record
    verified: pd.DataFrame | None = None  # clinics x criteria verification codes (vetting.evidence)
    evidence_errors: tuple[str, ...] = ()  # why the evidence file could not be used (then no evidence shows)
    rules: Checklist | None = None  # the checklist it was scored and weighed against

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

    @cached_property
    def work_list(self) -> pd.DataFrame:
        """Critical criteria no evidence backs, oldest record first (vetting.evidence.unbacked_critical): built
        once per directory, not on every run of Data quality (about 0.9 s at 100k clinics)."""
        return unbacked_critical(self.clinics, self.states, self.verified, self.rules)


# cache_resource, not cache_data: every session gets the same Directory object instead of its own
# unpickled copy (a copy per rerun cost ~0.3 s and ~0.5 GB per session at 100k clinics). Pages treat it
# as read-only; pandas' copy-on-write keeps derived frames from writing back into it.
@st.cache_resource(show_spinner="Loading and scoring clinics…", max_entries=2)
def _load(path: str, mtime_ns: int, today: dt.date, checklist_file: str, evidence_mtime_ns: int = -1) -> Directory:
    """Load, validate and score, then weigh the evidence; keyed on both files' modification times so a save of
    either refreshes it."""
    result = load_clinics(path, today=today)
    is_sample = Path(path).resolve() == DEFAULT_DATA
    if not result.ok:
        empty = pd.DataFrame()
        return Directory(empty, empty, _without_folders(result.errors, path), tuple(result.warnings), path,
                         is_sample)
    scores = score(result.frame, load_checklist(checklist_file), today=today)
    clinics = result.frame.join(scores.summary.drop(columns="clinic_id")).set_index("clinic_id", drop=False)
    states = scores.states.set_axis(clinics.index, axis=0)
    evidence, evidence_errors = _evidence(path, clinics.index, today)
    compared = compare(clinics, evidence)
    rules = load_checklist(checklist_file)
    return Directory(clinics, states, (), tuple(result.warnings), path, is_sample, GeoIndex.of(clinics), evidence,
                     compared, verification(states, compared, rules), evidence_errors, rules)


def _evidence(path: str, clinic_ids: pd.Index, today: dt.date) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The evidence file beside the clinics file (none when absent); when it has problems, no evidence and
    the problems (Data quality shows them to analysts)."""
    file = evidence_path(path)
    if not file.exists():
        return empty_evidence(), ()
    loaded = load_evidence(file, clinic_ids, today)
    if not loaded.ok:
        return empty_evidence(), _without_folders(loaded.errors, file)
    return loaded.frame, ()


def _without_folders(errors: list, path: str | Path) -> tuple[str, ...]:
    """Problems as sentences that name the file but not the server's folders (a file that cannot be read is
    named by its path in the library's message; visitors see only its name)."""
    return tuple(str(e).replace(str(path), Path(path).name) for e in errors)


def mtime_ns(path: Path) -> int:
    """A file's modification time, the cache key a save of it changes (-1 when it is absent)."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def _version() -> tuple[str, int, dt.date, str, int]:
    """The data file and its modification time (the cache key that a save invalidates), today, the checklist
    and the evidence file's modification time."""
    path = data_path()
    return str(path), mtime_ns(path), dt.date.today(), str(checklist_path()), mtime_ns(evidence_path(path))


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


def npi_registry() -> NpiRegistry:
    """The server's one NPI registry client (its rate limit remembers the last request, its disk cache holds
    answers across checks and sessions): one per configured address and cache file."""
    return _npi_registry(default_registry_url(), str(default_cache_path()))


@st.cache_resource(show_spinner=False, max_entries=4)
def _npi_registry(url: str, cache_path: str) -> NpiRegistry:
    return NpiRegistry(url, cache_path)


@st.cache_data(show_spinner=False, max_entries=1000)
def find_place(query: str, online: bool) -> Place | None:
    """Resolve a place: the offline gazetteer; then, if enabled, the server's one online geocoder."""
    return locate(query, online_geocoder() if online else None)


@st.cache_resource(show_spinner="Re-ranking with your weights…", max_entries=8)
def _rescore(path: str, mtime_ns: int, today: dt.date, checklist_file: str, evidence_mtime_ns: int,
             weights: tuple[tuple[str, float], ...]) -> pd.DataFrame:
    """The clinics scored with custom weights (cached per file version and weights)."""
    d = _load(path, mtime_ns, today, checklist_file, evidence_mtime_ns)
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
