"""Tables shared by pages: how a list of clinics is shown (st.column_config), in one place."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

cc = st.column_config


def safety_notes(clinics: pd.DataFrame) -> np.ndarray:
    """'RED FLAG ×2' / '1 critical not verified' / '' for each clinic."""
    red, unv = clinics["n_red_flags"].to_numpy(), clinics["n_unverified"].to_numpy()
    red_text = np.where(red == 1, "RED FLAG", np.char.add("RED FLAG ×", red.astype(str)))
    unv_text = np.char.add(unv.astype(str), " critical not verified")
    both = np.where((red > 0) & (unv > 0), np.char.add(np.char.add(red_text, " · "), unv_text), "")
    return np.where(both != "", both, np.where(red > 0, red_text, np.where(unv > 0, unv_text, "")))


def results_table(clinics: pd.DataFrame, key: str):
    """Clinics as a selectable table: grade, score bar, safety notes, distance, price, link, date."""
    view = clinics.assign(place=clinics["city"] + ", " + clinics["state"], safety=safety_notes(clinics))
    columns = ["name", "grade", "score", "distance_km", "price_per_session_usd", "safety", "place", "value",
               "website", "last_verified"]
    return st.dataframe(
        view, key=key, on_select="rerun", selection_mode="single-row", hide_index=True, placeholder="—",
        column_order=[c for c in columns if c in view],
        column_config={
            "name": cc.TextColumn("Clinic", width="medium"),
            "place": cc.TextColumn("City"),
            "grade": cc.TextColumn("Grade", width="small"),
            "score": cc.ProgressColumn("Score", min_value=0, max_value=100, format="%.0f", width="small"),
            "safety": cc.TextColumn("Safety notes", help="RED FLAG: a critical safety criterion answered no "
                                    "(graded F). Not verified: a critical criterion the data does not confirm "
                                    "either way (graded C at best)."),
            "distance_km": cc.NumberColumn("Distance", format="%.0f km", width="small"),
            "price_per_session_usd": cc.NumberColumn("Session", format="$%d", width="small",
                                                     help="Typical price of one session; empty: not listed"),
            "value": cc.NumberColumn("Points per $100", format="%.1f", width="small",
                                     help="Score divided by session price: higher is better value"),
            "website": cc.LinkColumn("Website", display_text="Open site", validate=r"^https?://"),
            "last_verified": cc.DateColumn("Last verified", format="YYYY-MM-DD"),
        },
    )
