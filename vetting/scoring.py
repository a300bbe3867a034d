"""Scoring clinics against the checklist, vectorised over the whole frame.

Every clinic x criterion gets a state: met, not met, not verified (unknown) or not applicable.
score = 100 x weights met / weights applicable. Unknown counts like "not met" in the score but is
reported separately; critical "no" is a red flag (grade F); critical unknown caps the grade.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .checklist import GRADES, Checklist, Criterion, load_checklist
from .filters import list_contains

MET, NOT_MET, UNKNOWN, NOT_APPLICABLE = np.int8(1), np.int8(0), np.int8(-1), np.int8(-2)
STATE_LABELS = {int(MET): "met", int(NOT_MET): "not met", int(UNKNOWN): "not verified",
                int(NOT_APPLICABLE): "not applicable"}


def _known_and_true(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(known, true) numpy masks of a nullable boolean series."""
    b = s.astype("boolean")
    known = b.notna().to_numpy()
    return known, b.fillna(False).to_numpy(dtype=bool)


def _codes(known: np.ndarray, true: np.ndarray) -> np.ndarray:
    return np.where(known, np.where(true, MET, NOT_MET), UNKNOWN).astype(np.int8)


def _number(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def evaluate_criterion(frame: pd.DataFrame, c: Criterion, today: dt.date) -> np.ndarray:
    """The int8 state of one criterion for every clinic."""
    ev = c.evaluate
    kind = ev["kind"]
    if kind == "tristate":
        codes = _codes(*_known_and_true(frame[ev["column"]]))
    elif kind == "one_of":
        s = frame[ev["column"]]
        codes = _codes(s.notna().to_numpy(), s.isin(ev["values"]).to_numpy())
    elif kind == "at_least":
        x = _number(frame[ev["column"]])
        need = np.full(len(frame), float(ev["min"]))
        if "when_route" in ev:
            need = np.where(list_contains(frame["routes"], ev["when_route"]), float(ev["min_when"]), need)
        codes = _codes(~np.isnan(x), x >= need)
    elif kind == "reviews":
        rating, count = _number(frame[ev["rating_column"]]), _number(frame[ev["count_column"]])
        r_known, c_known = ~np.isnan(rating), ~np.isnan(count)
        r_ok, c_ok = rating >= float(ev["min_rating"]), count >= float(ev["min_count"])
        failed = (r_known & ~r_ok) | (c_known & ~c_ok)  # one known failure is enough: Kleene AND
        codes = np.where(failed, NOT_MET, np.where(r_ok & c_ok, MET, UNKNOWN)).astype(np.int8)
    elif kind == "years_open":
        year = _number(frame[ev["column"]])
        codes = _codes(~np.isnan(year), today.year - year >= float(ev["min_years"]))
    else:  # parse_checklist refuses unknown kinds; this guards hand-built checklists
        raise ValueError(f"criterion {c.id}: unknown evaluate.kind {kind!r}")
    if c.applies_when_route:
        codes = np.where(list_contains(frame["routes"], c.applies_when_route), codes, NOT_APPLICABLE)
    return codes.astype(np.int8)


def evaluate(frame: pd.DataFrame, checklist: Checklist | None = None, today: dt.date | None = None
             ) -> pd.DataFrame:
    """State codes (int8: 1 met, 0 not met, -1 not verified, -2 not applicable), clinics x criteria."""
    checklist = checklist or load_checklist()
    today = today or dt.date.today()
    data = {c.id: evaluate_criterion(frame, c, today) for c in checklist.criteria}
    return pd.DataFrame(data, index=frame.index)


def state_labels(states: pd.DataFrame) -> pd.DataFrame:
    """The state codes as words: met, not met, not verified, not applicable."""
    labels = np.array(["not applicable", "not verified", "not met", "met"], dtype=object)
    return pd.DataFrame(labels[states.to_numpy() + 2], index=states.index, columns=states.columns)


def resolve_weights(checklist: Checklist, weights: Mapping[str, float] | None = None) -> pd.Series:
    """The checklist's weights overridden by `weights` (by criterion id); checks ids and signs."""
    w = checklist.weights()
    if weights:
        unknown = sorted(set(weights) - set(w.index))
        if unknown:
            raise ValueError(f"unknown criterion id(s) in weights: {', '.join(unknown)}")
        for cid, value in weights.items():
            value = float(value)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"weight of {cid} must be a number >= 0, not {weights[cid]!r}")
            w[cid] = value
    if w.sum() <= 0:
        raise ValueError("at least one criterion needs a weight above zero")
    return w


def grade_of(score: np.ndarray, red_flag: np.ndarray, unverified: np.ndarray, checklist: Checklist
             ) -> np.ndarray:
    """Letter grades from scores, with the red-flag and not-verified rules applied."""
    g = checklist.grading
    order = {letter: i for i, letter in enumerate(GRADES)}
    idx = np.full(len(score), order["F"], dtype=np.int8)
    for letter in reversed(GRADES[:-1]):  # D, C, B, A: a higher threshold overrides a lower one
        idx = np.where(score >= g.thresholds[letter], order[letter], idx)
    idx = np.where(unverified, np.maximum(idx, order[g.unverified_grade_cap]), idx)
    idx = np.where(red_flag, order[g.red_flag_grade], idx)
    return np.array(GRADES)[idx]


def join_ids(mask: np.ndarray, ids: list[str]) -> np.ndarray:
    """Per row, the ids whose column is True in `mask`, joined with ';'."""
    out = np.full(mask.shape[0], "", dtype=object)
    for j, cid in enumerate(ids):
        out = np.where(mask[:, j], np.where(out == "", cid, out + ";" + cid), out)
    return out


@dataclass
class Scores:
    """Scoring output: one summary row per clinic and the state of every criterion."""

    summary: pd.DataFrame
    states: pd.DataFrame
    weights: pd.Series


def score(frame: pd.DataFrame, checklist: Checklist | None = None,
          weights: Mapping[str, float] | None = None, today: dt.date | None = None) -> Scores:
    """Score every clinic.

    summary columns: clinic_id, score (0-100, one decimal), grade (A-F), red_flags and unverified
    (critical criterion ids joined by ';'), n_red_flags, n_unverified, completeness (0-1, share of
    applicable criteria with a known answer), subscore_<category> (0-100 or NaN), met, applicable.
    """
    checklist = checklist or load_checklist()
    w = resolve_weights(checklist, weights)
    states = evaluate(frame, checklist, today)
    s = states.to_numpy()
    wv = w.reindex(states.columns).to_numpy()
    applicable = s != NOT_APPLICABLE
    met = s == MET
    known = applicable & (s != UNKNOWN)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw_score = 100.0 * (met * wv).sum(axis=1) / (applicable * wv).sum(axis=1)
        completeness = known.sum(axis=1) / applicable.sum(axis=1)
    score_1dp = np.round(raw_score, 1)
    critical = np.array([checklist[c].critical for c in states.columns])
    red = (s == NOT_MET) & critical
    unv = (s == UNKNOWN) & critical
    summary = pd.DataFrame({
        "clinic_id": frame["clinic_id"].to_numpy(),
        "score": score_1dp,
        "grade": grade_of(np.nan_to_num(score_1dp, nan=0.0), red.any(axis=1), unv.any(axis=1), checklist),
        "red_flags": join_ids(red, list(states.columns)),
        "unverified": join_ids(unv, list(states.columns)),
        "n_red_flags": red.sum(axis=1),
        "n_unverified": unv.sum(axis=1),
        "completeness": np.round(completeness, 3),
    }, index=frame.index)
    for cat in checklist.categories:
        in_cat = np.array([checklist[c].category == cat for c in states.columns])
        with np.errstate(invalid="ignore", divide="ignore"):
            sub = 100.0 * (met * wv * in_cat).sum(axis=1) / (applicable * wv * in_cat).sum(axis=1)
        summary[f"subscore_{cat}"] = np.round(sub, 1)
    summary["met"] = met.sum(axis=1)
    summary["applicable"] = applicable.sum(axis=1)
    return Scores(summary, states, w)


def scored(frame: pd.DataFrame, checklist: Checklist | None = None,
           weights: Mapping[str, float] | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """The clinics frame with the score summary columns joined on (one call for screens and the CLI)."""
    summary = score(frame, checklist, weights, today).summary
    return frame.join(summary.drop(columns="clinic_id"))


def score_columns(frame: pd.DataFrame) -> list[str]:
    """The columns `scored` adds to a clinics frame (to drop them before scoring again)."""
    fixed = {"score", "grade", "red_flags", "unverified", "n_red_flags", "n_unverified", "completeness", "met",
             "applicable"}
    return [c for c in frame.columns if c in fixed or c.startswith("subscore_")]


def ranked(frame: pd.DataFrame) -> pd.DataFrame:
    """Scored clinics best first: higher score, then fewer unverified, then name."""
    return frame.sort_values(["score", "n_unverified", "name"], ascending=[False, True, True],
                             na_position="last", kind="stable")
