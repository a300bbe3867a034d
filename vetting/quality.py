"""Data quality: what is missing, stale, unverified, misplaced or duplicated, so someone can go and check."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from .checklist import Checklist
from .contract import COLUMN_NAMES
from .export import iso_days, whole_km
from .geo import far_from_zip
from .scoring import UNKNOWN
from .search import is_stale


def column_completeness(frame: pd.DataFrame) -> pd.DataFrame:
    """Per contract column: how many clinics have a value, and the share."""
    present = [c for c in COLUMN_NAMES if c in frame]
    filled = frame[present].notna() & frame[present].astype("string").ne("").fillna(False)
    counts = filled.sum()
    return pd.DataFrame({"column": present, "filled": counts.to_numpy(),
                         "share": (counts / max(len(frame), 1)).round(3).to_numpy()}).sort_values(
        "share", kind="stable").reset_index(drop=True)


def stale(frame: pd.DataFrame, today: dt.date, days: int) -> pd.DataFrame:
    """Clinics not verified in `days`, oldest first, with how many days ago."""
    age = (pd.Timestamp(today) - frame["last_verified"]).dt.days
    out = frame.assign(days_since_verified=age)[is_stale(frame["last_verified"], today, days)].sort_values(
        "days_since_verified", ascending=False)
    out = out.assign(last_verified=iso_days(out["last_verified"]))
    return out[["clinic_id", "name", "city", "state", "last_verified", "days_since_verified", "phone",
                "website"]].reset_index(drop=True)


def critical_unverified(frame: pd.DataFrame, states: pd.DataFrame, checklist: Checklist) -> pd.DataFrame:
    """One row per clinic and critical criterion the data does not confirm either way."""
    crit = checklist.critical_ids()
    s = states[crit].to_numpy() == UNKNOWN
    rows, cols = s.nonzero()
    return pd.DataFrame({
        "clinic_id": frame["clinic_id"].to_numpy()[rows], "name": frame["name"].to_numpy()[rows],
        "criterion": [checklist[crit[j]].label for j in cols], "phone": frame["phone"].to_numpy()[rows],
        "website": frame["website"].to_numpy()[rows],
    })


def misplaced(frame: pd.DataFrame) -> pd.DataFrame:
    """Clinics whose listed coordinates are far from their ZIP (frame loaded with locate=True)."""
    far = far_from_zip(frame)
    return far[["clinic_id", "name", "city", "state", "zip", "latitude", "longitude", "km_from_zip"]].assign(
        km_from_zip=whole_km(far["km_from_zip"])).reset_index(drop=True)


def likely_duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    """Groups of clinics with the same name and ZIP, or the same phone number (digits only)."""
    name_key = frame["name"].str.lower().str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip() + "|" + frame["zip"]
    phone_key = frame["phone"].astype("string").str.replace(r"\D", "", regex=True)
    parts = []
    for reason, key in (("same name and ZIP", name_key), ("same phone", phone_key)):
        dup = key.notna() & key.ne("") & key.duplicated(keep=False)
        if dup.any():
            parts.append(frame.loc[dup, ["clinic_id", "name", "city", "state", "zip", "phone"]].assign(
                reason=reason, group=key[dup].to_numpy()))
    if not parts:
        return pd.DataFrame(columns=["reason", "group", "clinic_id", "name", "city", "state", "zip", "phone"])
    out = pd.concat(parts, ignore_index=True).sort_values(["reason", "group", "clinic_id"], kind="stable")
    return out[["reason", "group", "clinic_id", "name", "city", "state", "zip", "phone"]].reset_index(drop=True)


def grades_by_state(scored: pd.DataFrame, checklist: Checklist) -> pd.DataFrame:
    """Clinics per grade in each state (a row per state, a column per grade, best first, and total)."""
    table = pd.crosstab(scored["state"], scored["grade"]).reindex(columns=list(checklist.grading.letters),
                                                                  fill_value=0)
    return table.assign(total=table.sum(axis=1)).rename_axis(None, axis=1).reset_index()


PERCENT_COLUMNS = {"share": "% filled", "completeness": "% known"}


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """A quality list as a person reads it (on the page and in its CSV): dates as YYYY-MM-DD, shares
    (0.303) as percentages (30.3) under a name that says so."""
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = iso_days(out[column])
    for column in PERCENT_COLUMNS:
        if column in out:
            out[column] = (pd.to_numeric(out[column], errors="coerce") * 100).round(1)
    return out.rename(columns=PERCENT_COLUMNS)
