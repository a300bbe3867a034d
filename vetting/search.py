"""A patient's search: where, what they need, how to sort; with counts that explain what was hidden."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .checklist import period_words
from .evidence import VERIFIED
from .filters import GeoIndex, list_contains, with_distance, within
from .geo import Place
from .scoring import MET, UNKNOWN

#: Why a clinic meeting every must-have is hidden when the physician wants each backed by evidence.
NOT_BACKED = "with a must-have not backed by evidence"

SORTS = {
    "score": "Best score",
    "distance": "Nearest",
    "price": "Lowest price",
    "value": "Best value (score per dollar)",
}


@dataclass(frozen=True)
class PatientQuery:
    """What a patient asks for. Empty tuples and None mean "no constraint"."""

    origin: Place | None = None
    radius_km: float | None = None
    routes: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    max_price: float | None = None
    insurance: bool = False
    financing: bool = False
    new_patients: bool = False
    min_grade: str | None = None  # a grade letter: hide clinics graded below it
    hide_red_flags: bool = True
    stale_after_days: int | None = None  # hide records not verified within this many days (the checklist's)
    sort: str = "score"
    must_have: tuple[str, ...] = ()
    unverified_passes: bool = False
    evidence_backed: bool = False  # a must-have counts only when evidence backs it (vetting.evidence: verified)


@dataclass
class SearchResult:
    """Clinics shown, in order, and how many of the clinics in the area each filter hid."""

    clinics: pd.DataFrame
    in_area: int
    hidden: int
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def matched(self) -> int:
        """Clinics that pass every filter (more than `len(clinics)` when the search was limited)."""
        return self.in_area - self.hidden


def is_stale(last_verified: pd.Series, today: dt.date, days: int) -> np.ndarray:
    """Rows whose last verification is more than `days` before `today`."""
    return (pd.Timestamp(today) - last_verified).dt.days.to_numpy() > days


def value_per_100_dollars(score: pd.Series, price: pd.Series) -> pd.Series:
    """Score points per $100 of a session; NaN where the price is unknown or zero."""
    p = pd.to_numeric(price, errors="coerce")
    return (100 * score / p.where(p > 0)).round(1)


def must_have_mask(states: pd.DataFrame, criteria: tuple[str, ...] | list[str],
                   unverified_passes: bool = False, verified: pd.DataFrame | None = None) -> np.ndarray:
    """Clinics meeting every must-have criterion ("yes"; with `unverified_passes`, unknown passes too).

    A criterion that does not apply to a clinic (e.g. REMS without esketamine) does not meet a must-have.
    With `verified` (vetting.evidence.verification: clinics x criteria, the rows of `states` or more), a
    must-have passes only when it is met AND evidence backs it (VERIFIED): `unverified_passes` then lets
    nothing more through, since an unknown answer is never verified.
    """
    criteria = list(criteria)
    s = states[criteria].to_numpy()
    if verified is not None:
        v = verified.reindex(index=states.index, columns=criteria).to_numpy()
        return ((s == MET) & (v == VERIFIED)).all(axis=1)
    ok = (s == MET) | ((s == UNKNOWN) & unverified_passes)
    return ok.all(axis=1)


def _filters(frame: pd.DataFrame, q: PatientQuery, today: dt.date,
             states: pd.DataFrame | None, verified: pd.DataFrame | None = None) -> dict[str, np.ndarray]:
    """Each active filter as (reason -> mask of clinics it hides)."""
    hide: dict[str, np.ndarray] = {}
    if q.must_have:
        if states is None:
            raise ValueError("must-have criteria need the clinics' criterion states (Scores.states)")
        mine = states.loc[frame.index]
        met = must_have_mask(mine, q.must_have, q.unverified_passes and not q.evidence_backed)
        hide["not meeting every must-have"] = ~met
        if q.evidence_backed:
            if verified is None:
                raise ValueError("evidence-backed must-haves need the clinics' verification "
                                 "(vetting.evidence.verification)")
            hide[NOT_BACKED] = met & ~must_have_mask(mine, q.must_have, verified=verified)
    if q.hide_red_flags:
        hide["with a red flag"] = (frame["n_red_flags"] > 0).to_numpy()
    if q.min_grade is not None:  # grades are an ordered category, worst < best
        hide[f"graded below {q.min_grade}"] = (frame["grade"] < q.min_grade).to_numpy(dtype=bool)
    if q.routes:
        offered = np.zeros(len(frame), dtype=bool)
        for r in q.routes:
            offered |= list_contains(frame["routes"], r)
        hide["not offering your treatment route"] = ~offered
    if q.conditions:
        treated = np.zeros(len(frame), dtype=bool)
        for c in q.conditions:
            treated |= list_contains(frame["conditions"], c)
        hide["not listing your condition"] = ~treated
    if q.max_price is not None:
        price = frame["price_per_session_usd"].to_numpy(dtype=float)
        hide[f"over ${q.max_price:,.0f}"] = price > q.max_price
        hide["without a listed price"] = np.isnan(price)
    for flag, column, reason in ((q.insurance, "accepts_insurance", "not confirmed to take insurance"),
                                 (q.financing, "financing_available", "not confirmed to offer financing"),
                                 (q.new_patients, "accepting_new_patients", "not confirmed to take new patients")):
        if flag:
            hide[reason] = ~frame[column].fillna(False).to_numpy(dtype=bool)
    if q.stale_after_days is not None:
        hide[f"not verified in the last {period_words(q.stale_after_days)}"] = is_stale(
            frame["last_verified"], today, q.stale_after_days)
    return hide


def search(clinics: pd.DataFrame, q: PatientQuery, today: dt.date | None = None,
           states: pd.DataFrame | None = None, limit: int | None = None, index: GeoIndex | None = None,
           verified: pd.DataFrame | None = None) -> SearchResult:
    """Apply a query to scored clinics (vetting.scoring.scored); `states` (same index) for must-haves,
    `verified` (vetting.evidence.verification, same index) for evidence-backed must-haves.

    With `limit`, only the first `limit` clinics in order are returned (the counts still cover all);
    `index` (GeoIndex.of(clinics)) makes the radius search read only the circle's latitude band."""
    today = today or dt.date.today()
    frame = clinics
    if q.origin is not None:
        lat, lon = q.origin.latitude, q.origin.longitude
        frame = (within(frame, lat, lon, q.radius_km, index) if q.radius_km is not None
                 else with_distance(frame, lat, lon))
    hide = _filters(frame, q, today, states, verified)
    hidden_any = np.zeros(len(frame), dtype=bool)
    for mask in hide.values():
        hidden_any |= mask
    keep = np.flatnonzero(~hidden_any)
    value = value_per_100_dollars(frame["score"], frame["price_per_session_usd"]).to_numpy()[keep]
    keys = frame[[c for c in _SORT_KEYS if c in frame]].iloc[keep].assign(value=value)
    order = sort_order(keys, q.sort)
    order = order[:limit]
    shown = frame.take(keep[order]).assign(value=value[order])  # only the rows returned are copied
    reasons = {reason: int(mask.sum()) for reason, mask in hide.items() if mask.any()}
    return SearchResult(shown, len(frame), int(hidden_any.sum()), reasons)


_SORT_KEYS = ("score", "distance_km", "price_per_session_usd", "name")


def sort_order(frame: pd.DataFrame, how: str) -> np.ndarray:
    """Positions that order `frame` by score, distance, price or value; ties: higher score, then name.

    Missing values sort last. Works on arrays (np.lexsort, stable), so callers can order a few key
    columns and take the full rows once."""
    if how not in SORTS:
        raise ValueError(f"unknown sort {how!r}: use one of {', '.join(SORTS)}")
    if "distance_km" not in frame and how == "distance":
        how = "score"

    def up(column: str) -> np.ndarray:
        return frame[column].to_numpy(dtype=float, na_value=np.nan)

    def down(column: str) -> np.ndarray:
        return -up(column)

    first = {"score": None, "distance": ("distance_km", up), "price": ("price_per_session_usd", up),
             "value": ("value", down)}[how]
    primary = ([first[1](first[0])] if first else []) + [down("score")]
    names = pd.factorize(frame["name"], sort=True)[0]
    return np.lexsort([names, *reversed(primary)])  # lexsort: the last key is the primary one


def sort_results(frame: pd.DataFrame, how: str) -> pd.DataFrame:
    """Order results: by score, distance, price or value; ties go to the higher score, then the name."""
    return frame.take(sort_order(frame, how))


def describe(result: SearchResult, place: Place | None, radius_km: float | None) -> str:
    """'23 clinics within 80 km of Denver, CO; 5 hidden by your filters (3 with a red flag, ...); 18 shown.'"""
    where = f"within {radius_km:g} km of {place.label}" if place and radius_km else "in the directory"
    n = result.in_area
    text = f"{n} clinic{'s' if n != 1 else ''} {where}"
    if result.hidden:
        detail = ", ".join(f"{count} {reason}" for reason, count in
                           sorted(result.reasons.items(), key=lambda kv: -kv[1]))
        overlap = "; some for more than one reason" if sum(result.reasons.values()) > result.hidden else ""
        text += f"; {result.hidden} hidden by your filters ({detail}{overlap})"
    shown = result.matched
    return text + f"; {shown} shown."
