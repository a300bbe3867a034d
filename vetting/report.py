"""Explaining scores: one clinic's checklist, the questions to ask it, and side-by-side comparisons."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .checklist import Checklist, label_lists
from .scoring import MET, NOT_MET, UNKNOWN, join_ids, state_labels

STATE_ICONS = {"met": "✓ met", "not met": "✗ not met", "not verified": "? not verified",
               "not applicable": "– not applicable"}


def criteria_report(states: pd.Series, checklist: Checklist) -> pd.DataFrame:
    """Every criterion for one clinic (a row of Scores.states): its state, meaning and sources."""
    labels = state_labels(states.to_frame().T).iloc[0]
    return pd.DataFrame([{
        "category": checklist.categories[c.category],
        "criterion": c.label,
        "critical": c.critical,
        "weight": c.weight,
        "state": labels[c.id],
        "what it means": c.explanation,
        "sources": "; ".join(checklist.cite(r) for r in c.sources),
    } for c in checklist.criteria], index=pd.Index(checklist.ids, name="id"))


def questions_to_ask(states: pd.Series, checklist: Checklist) -> list[str]:
    """Questions for the criteria this clinic's record leaves unknown, critical ones first."""
    unknown = [c for c in checklist.criteria if states[c.id] == UNKNOWN]
    unknown.sort(key=lambda c: (not c.critical, -c.weight))
    return [c.question for c in unknown]


def red_flag_sentences(states: pd.Series, checklist: Checklist) -> list[str]:
    """Plain sentences for the critical criteria this clinic answers no."""
    return [f"The clinic's record says no to: {c.label.lower()}." for c in checklist.criteria
            if c.critical and states[c.id] == NOT_MET]


def compare_table(states: pd.DataFrame, names: list[str], checklist: Checklist) -> pd.DataFrame:
    """Criteria x clinics, each cell a state word; `differs` marks criteria where the clinics disagree.

    `states` holds the chosen clinics' rows of Scores.states, in the order of `names`.
    """
    labels = state_labels(states)
    table = pd.DataFrame(labels.to_numpy().T, index=pd.Index(states.columns, name="id"), columns=names)
    table.insert(0, "criterion", [checklist[c].label for c in states.columns])
    table.insert(1, "critical", [checklist[c].critical for c in states.columns])
    table["differs"] = labels.nunique(axis=0).to_numpy() > 1
    return table


def _yes_no(value) -> str:
    return "not verified" if pd.isna(value) else ("yes" if value else "no")


def _money(value) -> str:
    return "not listed" if pd.isna(value) else f"${value:,.0f}"


def cost_table(clinic: pd.Series) -> pd.DataFrame:
    """A clinic's prices and access answers in words ('not listed', 'not verified' for unknowns)."""
    items = [("Price per session", _money(clinic["price_per_session_usd"])),
             ("Initial series", _money(clinic["price_series_usd"])),
             ("Consultation", _money(clinic["consultation_fee_usd"])),
             ("Accepts insurance", _yes_no(clinic["accepts_insurance"])),
             ("Financing", _yes_no(clinic["financing_available"])),
             ("Telehealth consultation", _yes_no(clinic["telehealth_consult"])),
             ("Accepting new patients", _yes_no(clinic["accepting_new_patients"]))]
    return pd.DataFrame(items, columns=["Item", "This clinic"])


def compare_facts(clinics: pd.DataFrame, names: list[str], distance_label: str | None = None) -> pd.DataFrame:
    """The headline facts of clinics being compared; `distance_km` shown when present and labelled."""
    facts = pd.DataFrame({
        "Clinic": names,
        "City": (clinics["city"] + ", " + clinics["state"]).to_numpy(),
        "Grade": clinics["grade"].to_numpy(),
        "Score": clinics["score"].to_numpy(),
        "Red flags": clinics["n_red_flags"].to_numpy(),
        "Critical not verified": clinics["n_unverified"].to_numpy(),
        "Session": clinics["price_per_session_usd"].to_numpy(),
        "Series": clinics["price_series_usd"].to_numpy(),
        "Consultation": clinics["consultation_fee_usd"].to_numpy(),
    })
    if distance_label and "distance_km" in clinics:
        facts.insert(2, distance_label, clinics["distance_km"].round(0).to_numpy())
    return facts


def referral_list(clinics: pd.DataFrame, states: pd.DataFrame, must_have: list[str] | tuple[str, ...],
                  checklist: Checklist) -> pd.DataFrame:
    """Referral rows: contacts, grade, price, distance, why each matched and what is not verified.

    `clinics` are the chosen results in order (scored; distance_km if searched near a place); `states`
    are their criterion states (same index).
    """
    st = states.loc[clinics.index]
    ids = list(st.columns)
    s = st.to_numpy()
    wanted = np.isin(ids, list(must_have))
    met_wanted = join_ids((s == MET) & wanted, ids)
    unknown_wanted = join_ids((s == UNKNOWN) & wanted, ids)
    critical = np.array([checklist[c].critical for c in ids])
    unknown_critical = join_ids((s == UNKNOWN) & critical, ids)
    unknown_other = join_ids((s == UNKNOWN) & ~critical, ids)
    why = np.where(met_wanted != "", "Meets: " + label_lists(pd.Series(met_wanted), checklist).to_numpy(),
                   "No must-haves chosen")
    why = np.where(unknown_wanted != "", why + ". Passed as not verified: "
                   + label_lists(pd.Series(unknown_wanted), checklist).to_numpy(), why)
    out = pd.DataFrame({
        "rank": np.arange(1, len(clinics) + 1),
        "clinic_id": clinics["clinic_id"].to_numpy(),
        "name": clinics["name"].to_numpy(),
        "grade": clinics["grade"].to_numpy(),
        "score": clinics["score"].to_numpy(),
        "why it matched": why,
        "critical, not verified": label_lists(pd.Series(unknown_critical), checklist).to_numpy(),
        "other, not verified": label_lists(pd.Series(unknown_other), checklist).to_numpy(),
        "distance_km": clinics["distance_km"].round(1).to_numpy() if "distance_km" in clinics else np.nan,
        "price_per_session_usd": clinics["price_per_session_usd"].to_numpy(),
        "phone": clinics["phone"].to_numpy(),
        "website": clinics["website"].to_numpy(),
        "address": (clinics["street_address"].fillna("") + ", " + clinics["city"] + ", " + clinics["state"]
                    + " " + clinics["zip"]).str.lstrip(", ").to_numpy(),
    })
    return out
