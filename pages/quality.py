"""Data quality: what is missing, stale, unverified, misplaced or duplicated; which critical answers no evidence
backs, where the evidence disagrees with the record, and what the NPI registry's saved answers found. Each list
is downloadable. Nothing here asks the registry: its answers come from the cache the Verify page fills."""

import datetime as dt

import streamlit as st

from ui.boot import through_dashboard
from ui.data import checklist, npi_registry, usable_directory
from ui.evidence import cached_report, evidence_problems, fetched_anything, registry_findings, registry_table
from vetting.evidence import contradictions
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
    first, space, rest = title.partition(" ")  # "Likely duplicates" -> "likely duplicates"; NPI stays NPI
    st.download_button(f"Download: {first if first.isupper() else first.lower()}{space}{rest}", to_csv(shown),
                       f"{name}.csv", "text/csv", key=name)


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


# ---------------------------------------------------------------------- evidence
if data.evidence_errors:
    section("Problems in the evidence file", evidence_problems(data), "evidence-problems",
            "The evidence file does not pass its checks, so no evidence is shown anywhere until it is fixed "
            "(upload a corrected file on the Verify page). Each problem by row and column:")
if data.verified is not None and data.compared is not None:
    section("Critical criteria without evidence", data.work_list,
            "critical-without-evidence",
            "Each critical criterion of each clinic that applies but that no evidence backs yet (or whose latest "
            "evidence disagrees with the record): the work list, clinics last verified longest ago first.")
    section("Evidence that disagrees with the record", contradictions(data.compared, data.clinics),
            "evidence-disagrees",
            "The latest evidence for a field says something else than the clinics file: newest check first. "
            "Nothing is changed automatically: ask the clinic, then correct the record or add new evidence.")

# ---------------------------------------------------------------------- the NPI registry, from its cache only
try:
    registry = npi_registry()
except ValueError:  # the configured address is not http(s)
    registry = None
if registry is None:
    st.header("NPI registry findings", anchor=False)
    st.warning("The NPI registry's address (`VETTING_NPI_REGISTRY_URL`) is not an http(s) address, so its saved "
               "answers cannot be read.", icon=":material/warning:")
else:
    report = cached_report(registry)
    if fetched_anything(report):
        note = ("Each NPI the registry does not confirm, from the answers saved by the checks run on the Verify "
                f"page (nothing is asked from this page). {report.summary()}")
    else:
        note = ("Nothing has been fetched from the NPI registry yet: an analyst can run the check on the Verify "
                "page (link below).")
    section("NPI registry findings", registry_table(registry_findings(report), data.clinics),
            "npi-registry-findings", note)
st.page_link("pages/verify.py", label="Check NPIs in the registry (Verify page)", icon=":material/verified:")
