"""Recording evidence from the app: rows appended to the evidence file through its store (lock, conflict
check, atomic write, history, audit), after the whole new file passes the evidence contract."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from ui.data import Directory, data_path, directory, mtime_ns
from vetting.contract import Issue
from vetting.evidence import (
    EVIDENCE_CONTRACT,
    Recorded,
    evidence_csv,
    evidence_store,
    load_evidence,
)
from vetting.evidence import record as record_rows
from vetting.load import text_table
from vetting.registry import NO, Lookup, NpiRegistry, RegistryReport, check, plain, to_evidence
from vetting.store import Store
from vetting.textfile import UnreadableFile

BY_NAME_EVIDENCE = EVIDENCE_CONTRACT.by_name
FAR_FUTURE = dt.date(2200, 1, 1)  # comparing versions: a date is a date, however far ahead


def store() -> Store:
    """The evidence file's store (beside the clinics file)."""
    return evidence_store(data_path())


def record(rows: pd.DataFrame, base_hash: str, who: str, note: str, action: str = "evidence") -> Recorded:
    """Append `rows` to the evidence file if it still has `base_hash` and the new file passes every check."""
    return record_rows(store(), rows, base_hash, directory().clinics.index, who, note, action, dt.date.today())


def problems_table(errors: list | tuple) -> pd.DataFrame:
    """Problems as a table: row, column and what is wrong (a problem with no row, such as an unreadable file,
    has an empty row and column)."""
    return pd.DataFrame([{"row": getattr(e, "row", None), "column": getattr(e, "column", ""),
                          "problem": getattr(e, "message", str(e))} for e in errors],
                        columns=["row", "column", "problem"])


_ISSUE = re.compile(r"row (\d+), column (.*?): (.*)", re.DOTALL)


def evidence_problems(d: Directory) -> pd.DataFrame:
    """Why the directory's evidence file could not be used, by row and column (as the directory said them:
    naming the file, never the server's folders)."""
    found = [_ISSUE.fullmatch(e) for e in d.evidence_errors]
    return problems_table([Issue(int(m[1]), m[2], m[3]) if m else e for m, e in zip(found, d.evidence_errors,
                                                                                     strict=True)])


# ---------------------------------------------------------------------- the NPI registry check
#: The registry check's record columns as a person reads them (Verify and Data quality, tables and CSVs).
REGISTRY_LABELS = {"clinic_id": "clinic_id", "name": "name", "role": "NPI of", "npi": "NPI", "findings": "findings",
                   "found": "in the registry", "active": "active", "type_ok": "right type",
                   "state_ok": "same state", "specialty_ok": "same specialty", "name_ok": "same name",
                   "fetched_on": "fetched on", "error": "error"}


def registry_table(records: pd.DataFrame, clinics: pd.DataFrame) -> pd.DataFrame:
    """Registry records with each clinic's name, under the column names people read (REGISTRY_LABELS)."""
    out = records.copy()
    out.insert(1, "name", clinics["name"].reindex(out["clinic_id"]).to_numpy() if len(out) else [])
    return out[list(REGISTRY_LABELS)].rename(columns=REGISTRY_LABELS).reset_index(drop=True)


def registry_findings(report: RegistryReport) -> pd.DataFrame:
    """The records an analyst must look at: any comparison 'no', or a lookup that failed."""
    r = report.records
    if r.empty:
        return r
    return r[(r[list(YES_NO_COLUMNS)] == NO).any(axis=1) | (r["error"] != "")]


YES_NO_COLUMNS = ("found", "active", "type_ok", "state_ok", "specialty_ok", "name_ok")


def fetched_anything(report: RegistryReport) -> bool:
    """Whether any NPI of the report has an answer from the registry (fetched now or kept in the cache)."""
    return any(lookup.answered for lookup in report.lookups.values())


def with_npi(clinics: pd.DataFrame, clinic_id: str | None = None) -> pd.DataFrame:
    """The clinics that list an NPI (their own or their director's), or only `clinic_id`."""
    if clinic_id:
        return clinics.loc[[clinic_id]] if clinic_id in clinics.index else clinics.iloc[0:0]
    listed = [clinics[c].fillna("").astype(str).str.strip() != "" for c in ("npi", "medical_director_npi")
              if c in clinics]
    return clinics[np.logical_or.reduce(listed)] if listed else clinics.iloc[0:0]


def cached_report(registry: NpiRegistry, clinic_id: str | None = None) -> RegistryReport:
    """What the registry's answers kept in its cache say about the clinics (or one clinic): nothing is sent.
    Kept per version of the clinics file and of the cache (reading a large cache takes seconds)."""
    path, cache = data_path(), Path(registry.client.cache.path)
    return _cached_report(str(path), mtime_ns(path), registry.url, str(cache), mtime_ns(cache), clinic_id or "",
                          registry)


@st.cache_resource(show_spinner="Reading the NPI registry's saved answers…", max_entries=8)
def _cached_report(path: str, mtime_ns: int, url: str, cache_path: str, cache_mtime_ns: int, clinic_id: str,
                   _registry: NpiRegistry) -> RegistryReport:
    """(The registry is not part of the key: its address and cache file are.)"""
    return check(with_npi(directory().clinics, clinic_id or None), _registry, online=False)


def check_online(clinics: pd.DataFrame, registry: NpiRegistry,
                 progress: Callable[[int, int], None] | None = None, step: int = 5) -> RegistryReport:
    """Ask the registry about each clinic's NPIs, `step` clinics at a time, telling `progress` (NPIs asked
    about, NPIs in all) after each step. Answers already in the cache and younger than the refresh age are not
    asked again; an interrupted check keeps what it fetched (each answer is cached as it arrives)."""
    clinics = with_npi(clinics)
    total = len({n for c in ("npi", "medical_director_npi") if c in clinics
                 for n in clinics[c].dropna().astype(str).str.strip() if n})
    parts: list[pd.DataFrame] = []
    lookups: dict[str, Lookup] = {}
    for start in range(0, len(clinics), step):
        part = check(clinics.iloc[start:start + step], registry, online=True)
        parts.append(part.records)
        for npi, lookup in part.lookups.items():
            lookups.setdefault(npi, lookup)
        if progress is not None:
            progress(len(lookups), total)
    if not parts:
        return check(clinics, registry, online=False)
    return RegistryReport(pd.concat(parts, ignore_index=True), lookups)


def registry_rows(report: RegistryReport, clinics: pd.DataFrame, who: str, registry_url: str,
                  current: bytes) -> tuple[pd.DataFrame, int]:
    """The evidence rows a registry check gives that the evidence file does not already hold, and how many
    it gives in all."""
    limit = BY_NAME_EVIDENCE["checked_by"].max_length or len(who)
    rows = to_evidence(report, clinics, plain(who, limit), registry_url)
    if rows.empty:
        return rows, 0
    held = _text_rows(current)[0]
    if held is None or held.empty:
        return rows.reset_index(drop=True), len(rows)
    key = list(EVIDENCE_CONTRACT.names)
    merged = rows.merge(held.drop_duplicates(), on=key, how="left", indicator=True)
    return rows[(merged["_merge"] == "left_only").to_numpy()].reset_index(drop=True), len(rows)


# ---------------------------------------------------------------------- comparing two versions of the file
@dataclass(frozen=True)
class EvidenceChange:
    """What a new version of the evidence file changes, row by row (rows compared as their text, each value
    as the contract writes it): rows before and after, and the rows added and removed."""

    before: int
    after: int
    added: pd.DataFrame
    removed: pd.DataFrame
    old_checked: bool  # False when the old version does not pass the checks (compared as written)

    @property
    def empty(self) -> bool:
        return self.added.empty and self.removed.empty

    def summary(self) -> str:
        return (f"{self.before} → {self.after} evidence rows: {len(self.added)} added, "
                f"{len(self.removed)} removed.")


def _text_rows(data: bytes) -> tuple[pd.DataFrame | None, bool]:
    """The file's rows as text in the contract's columns, and whether it passes the checks (clinic ids not
    checked): each value as the contract writes it when it does, else as written; None when it cannot be read
    at all."""
    names = list(EVIDENCE_CONTRACT.names)
    if not data.strip():
        return pd.DataFrame(columns=names, dtype=object), True
    loaded = load_evidence(data, None, FAR_FUTURE)
    if loaded.ok:
        return text_table(evidence_csv(loaded.frame).encode("utf-8"))[names], True
    try:
        cells = text_table(data)
    except (UnreadableFile, ValueError, pd.errors.ParserError):
        return None, False
    return cells.reindex(columns=names).fillna("").astype(str), False


def _numbered(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with the count of equal rows before each (a multiset's rows made distinct)."""
    return rows.assign(_n=rows.groupby(list(rows.columns), sort=False, dropna=False).cumcount())


@st.cache_data(show_spinner="Comparing the versions…", max_entries=8)
def evidence_change(old: bytes, new: bytes) -> EvidenceChange:
    """Rows added and removed between two versions of the evidence file (an equal row twice counts twice)."""
    names = list(EVIDENCE_CONTRACT.names)
    (a, old_ok), (b, _) = _text_rows(old), _text_rows(new)
    a = pd.DataFrame(columns=names, dtype=object) if a is None else a
    b = pd.DataFrame(columns=names, dtype=object) if b is None else b
    merged = _numbered(b).merge(_numbered(a), how="outer", indicator=True, sort=False)
    added = merged[merged["_merge"] == "left_only"][names].reset_index(drop=True)
    removed = merged[merged["_merge"] == "right_only"][names].reset_index(drop=True)
    return EvidenceChange(len(a), len(b), added, removed, old_ok)
