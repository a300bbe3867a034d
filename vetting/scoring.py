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

from .checklist import Checklist, Criterion, load_checklist
from .filters import list_contains
from .weights import validated

MET, NOT_MET, UNKNOWN, NOT_APPLICABLE = np.int8(1), np.int8(0), np.int8(-1), np.int8(-2)
_BLOCK = 1 << 16  # clinics per block in `score`
STATE_LABELS = {int(MET): "met", int(NOT_MET): "not met", int(UNKNOWN): "not verified",
                int(NOT_APPLICABLE): "not applicable"}


def _known_and_true(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(known, true) numpy masks of a nullable boolean series."""
    b = s.array if isinstance(s.dtype, pd.BooleanDtype) else s.astype("boolean").array
    values, mask = getattr(b, "_data", None), getattr(b, "_mask", None)
    if isinstance(values, np.ndarray) and isinstance(mask, np.ndarray):
        # pandas' masked array keeps the values and the NA mask as numpy arrays: read them without the
        # copies `fillna(...).to_numpy()` makes (~4 ms a column at a million rows, x27 columns).
        known = ~mask
        return known, values & known
    return ~b.isna(), b.fillna(False).to_numpy(dtype=bool)


def _codes(known: np.ndarray, true: np.ndarray) -> np.ndarray:
    """met 1 / not met 0 / not verified -1, as int8 arithmetic: known x (true + 1) - 1."""
    return known.view(np.int8) * (true.view(np.int8) + np.int8(1)) - np.int8(1)


def _number(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.to_numpy(dtype=float, na_value=np.nan)
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
    return pd.DataFrame(_state_matrix(frame, checklist, today).T, index=frame.index,
                        columns=[c.id for c in checklist.criteria], copy=False)


def _state_matrix(frame: pd.DataFrame, checklist: Checklist, today: dt.date) -> np.ndarray:
    """criteria x clinics int8 states (one contiguous row per criterion; its transpose is the frame)."""
    out = np.empty((len(checklist.criteria), len(frame)), dtype=np.int8)
    for j, c in enumerate(checklist.criteria):
        out[j] = evaluate_criterion(frame, c, today)
    return out


def state_labels(states: pd.DataFrame) -> pd.DataFrame:
    """The state codes as words: met, not met, not verified, not applicable."""
    labels = np.array(["not applicable", "not verified", "not met", "met"], dtype=object)
    return pd.DataFrame(labels[states.to_numpy() + 2], index=states.index, columns=states.columns)


def grade_of(score: np.ndarray, red_flag: np.ndarray, unverified: np.ndarray, checklist: Checklist
             ) -> pd.Categorical:
    """Letter grades from scores, with the red-flag and not-verified rules applied (the checklist's
    ordered grade category)."""
    g = checklist.grading
    codes = grade_codes(score, red_flag, unverified, checklist)
    return pd.Categorical.from_codes(len(g.letters) - 1 - codes, dtype=g.dtype)  # the dtype is worst first


def grade_codes(score: np.ndarray, red_flag: np.ndarray, unverified: np.ndarray, checklist: Checklist
                ) -> np.ndarray:
    """Grades as positions in the checklist's letters, best first (0 = A ... 4 = F)."""
    g = checklist.grading
    letters = g.letters
    order = {letter: i for i, letter in enumerate(letters)}
    idx = np.full(len(score), len(letters) - 1, dtype=np.int8)
    for letter in reversed(letters[:-1]):  # D, C, B, A: a higher threshold overrides a lower one
        idx = np.where(score >= g.thresholds[letter], order[letter], idx)
    idx = np.where(unverified, np.maximum(idx, order[g.unverified_grade_cap]), idx)
    return np.where(red_flag, order[g.red_flag_grade], idx).astype(np.int8)


def id_lists(rows: np.ndarray, ids: list[str]) -> pd.Categorical:
    """Per clinic, the ids whose row is True in `rows` (ids x clinics, bool), joined with ';'.

    A categorical: clinics share few distinct lists. Each clinic's set is packed into the bits of one
    integer, the distinct patterns are found (a lookup table up to 20 ids, hashing up to 64, sorting
    beyond), and only those are spelled out; no per-clinic Python loop."""
    k, n = rows.shape
    if k <= 64:
        kind = next(t for t in (np.uint8, np.uint16, np.uint32, np.uint64) if np.iinfo(t).bits >= k)
        word, bit = np.zeros(n, dtype=kind), np.empty(n, dtype=kind)
        for i in range(k):  # k passes over the clinics, in the narrowest integer that holds k bits
            np.left_shift(rows[i], kind(i), out=bit, casting="unsafe")
            word |= bit
        if k <= 20:
            patterns = np.flatnonzero(np.bincount(word, minlength=1 << k))
            lookup = np.zeros(1 << k, dtype=np.int32)
            lookup[patterns] = np.arange(len(patterns))
            codes = lookup[word]
        else:
            codes, patterns = pd.factorize(word)
        sets = [[i for i in range(k) if int(p) >> i & 1] for p in patterns]
    else:
        unique, codes = np.unique(np.packbits(rows, axis=0, bitorder="little").T, axis=0, return_inverse=True)
        sets = [np.flatnonzero(np.unpackbits(u, bitorder="little")[:k]).tolist() for u in unique]
    labels = [";".join(ids[i] for i in members) for members in sets]
    return pd.Categorical.from_codes(np.asarray(codes).reshape(n), categories=pd.Index(labels, dtype=object))


def join_ids(mask: np.ndarray, ids: list[str]) -> np.ndarray:
    """Per row, the ids whose column is True in `mask` (rows x ids), joined with ';'."""
    return np.asarray(id_lists(np.asarray(mask, dtype=bool).T, ids), dtype=object)


@dataclass
class Scores:
    """Scoring output: one summary row per clinic and the state of every criterion."""

    summary: pd.DataFrame
    states: pd.DataFrame
    weights: pd.Series


def score(frame: pd.DataFrame, checklist: Checklist | None = None,
          weights: Mapping[str, float] | None = None, today: dt.date | None = None) -> Scores:
    """Score every clinic.

    summary columns: clinic_id, score (0-100, one decimal), grade (the checklist's ordered category, A-F),
    red_flags and unverified (critical criterion ids joined by ';'), n_red_flags, n_unverified, completeness
    (0-1, share of applicable criteria with a known answer), subscore_<category> (0-100 or NaN), met, applicable.

    Vectorised: each criterion is evaluated over all clinics at once, then blocks of 65,536 clinics are
    summed with one matrix product per block (weights by category x criteria), so the temporaries stay
    small at a million clinics.
    """
    checklist = checklist or load_checklist()
    today = today or dt.date.today()
    w = validated(checklist, weights)
    ids = [c.id for c in checklist.criteria]
    s = _state_matrix(frame, checklist, today)  # criteria x clinics
    n = s.shape[1]
    cats = list(checklist.categories)
    # Per criterion, a column of weights by category, then a column of ones (to count); multiplying
    # the met / applicable indicator matrices by it gives weighted sums and counts in one BLAS call
    # (float32: exact for counts and for weights in halves; others carry ~1e-7 relative error).
    by_cat = np.zeros((len(cats) + 1, len(ids)), dtype=np.float32)
    for j, c in enumerate(checklist.criteria):
        by_cat[cats.index(c.category), j] = w[c.id]
    by_cat[-1] = 1.0
    critical = np.array([c.critical for c in checklist.criteria])
    crit_ids = [cid for cid, crit in zip(ids, critical, strict=True) if crit]
    met_sums, app_sums = np.empty((len(cats) + 1, n), np.float32), np.empty((len(cats) + 1, n), np.float32)
    known_n = np.empty(n, dtype=np.int16)
    red_rows, unv_rows = np.empty((len(crit_ids), n), dtype=bool), np.empty((len(crit_ids), n), dtype=bool)
    flags = np.empty((len(ids), min(n, _BLOCK)), dtype=bool)  # reused by every block: no fresh pages each time
    indicator = np.empty((len(ids), min(n, _BLOCK)), dtype=np.float32)
    crit_rows = np.flatnonzero(critical)
    for lo in range(0, n, _BLOCK):  # blocks of clinics bound the temporaries' memory
        block, part = s[:, lo:lo + _BLOCK], slice(lo, lo + _BLOCK)
        width = block.shape[1]
        f, x = flags[:, :width], indicator[:, :width]
        np.equal(block, MET, out=f)
        np.copyto(x, f)
        np.matmul(by_cat, x, out=met_sums[:, part])
        np.not_equal(block, NOT_APPLICABLE, out=f)
        np.copyto(x, f)
        np.matmul(by_cat, x, out=app_sums[:, part])
        np.greater_equal(block, NOT_MET, out=f)  # met or not met: known
        f.sum(axis=0, dtype=np.int16, out=known_n[part])
        critical_block = block[crit_rows]
        np.equal(critical_block, NOT_MET, out=red_rows[:, part])
        np.equal(critical_block, UNKNOWN, out=unv_rows[:, part])
    met_n, app_n = met_sums[-1].astype(np.int16), app_sums[-1].astype(np.int16)
    with np.errstate(invalid="ignore", divide="ignore"):
        score_1dp = np.round(100.0 * met_sums[:-1].sum(axis=0, dtype=np.float64)
                             / app_sums[:-1].sum(axis=0, dtype=np.float64), 1)
        completeness = np.round(known_n / app_n, 3)
    n_red = red_rows.sum(axis=0, dtype=np.int16)
    n_unv = unv_rows.sum(axis=0, dtype=np.int16)
    summary = {
        "clinic_id": frame["clinic_id"].array,
        "score": score_1dp,
        "grade": grade_of(np.nan_to_num(score_1dp, nan=0.0), n_red > 0, n_unv > 0, checklist),
        "red_flags": id_lists(red_rows, crit_ids),
        "unverified": id_lists(unv_rows, crit_ids),
        "n_red_flags": n_red,
        "n_unverified": n_unv,
        "completeness": completeness,
    }
    with np.errstate(invalid="ignore", divide="ignore"):
        for i, cat in enumerate(cats):
            summary[f"subscore_{cat}"] = np.round(100.0 * met_sums[i].astype(np.float64) / app_sums[i], 1)
    summary["met"] = met_n
    summary["applicable"] = app_n
    states = pd.DataFrame(s.T, index=frame.index, columns=ids, copy=False)
    return Scores(pd.DataFrame(summary, index=frame.index), states, w.reindex(ids))


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
