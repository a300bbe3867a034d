"""Data quality: what is missing, stale, unverified, misplaced or duplicated, each list downloadable."""

import datetime as dt

import streamlit as st

from ui.boot import through_dashboard
from ui.data import checklist, usable_directory
from vetting.export import to_csv
from vetting.geo import FAR_FROM_ZIP_KM
from vetting.quality import (
    PERCENT_COLUMNS,
    column_completeness,
    critical_unverified,
    grades_by_state,
    likely_duplicates,
    misplaced,
    readable,
)
from vetting.quality import stale as stale_rows

through_dashboard()

st.title("Data quality")
st.caption("Lists to go and verify. Each list can be downloaded as CSV.")
data = usable_directory()
clinics = data.clinics.reset_index(drop=True)
today = dt.date.today()
rules = checklist()


def section(title: str, table, name: str, note: str = "") -> None:
    """A list with its count; shown and downloadable as a person reads it (vetting.quality.readable), or
    "None." when empty (no table, no download of nothing)."""
    st.header(f"{title} ({len(table)})", anchor=False)
    if note:
        st.caption(note)
    if table.empty:
        st.write("None.")
        return
    shown = readable(table)
    st.dataframe(shown, hide_index=True, width="stretch", placeholder="—", height=min(400, 38 + 35 * len(shown)),
                 column_config={c: st.column_config.NumberColumn(format="%.1f%%") for c in PERCENT_COLUMNS.values()})
    st.download_button(f"Download: {title.lower()}", to_csv(shown), f"{name}.csv", "text/csv", key=name)


complete = clinics[["clinic_id", "name", "completeness"]].sort_values("completeness", kind="stable")
c1, c2 = st.columns(2)
with c1:
    section("Completeness per column", column_completeness(clinics), "completeness-by-column",
            "Share of clinics with a value in each column of the contract.")
with c2:
    section("Completeness per clinic", complete, "completeness-by-clinic",
            "Share of the checklist's applicable criteria with a known answer.")
section(f"Not verified in the last {rules.grading.stale_period}",
        stale_rows(clinics, today, rules.grading.stale_after_days), "stale")
section("Critical criteria not verified", critical_unverified(clinics, data.states.reset_index(drop=True), rules),
        "critical-not-verified")
section("Coordinates far from their ZIP", misplaced(clinics), "far-from-zip",
        f"More than {FAR_FROM_ZIP_KM:g} km from the ZIP code's centre: swapped or mistyped?")
section("Likely duplicates", likely_duplicates(clinics), "duplicates", "Same name and ZIP, or the same phone.")
section("Grades by state", grades_by_state(clinics, rules), "grades-by-state")
