"""Clinics: every clinic on a map and in a table, ranked by checklist score."""

import streamlit as st

from ui.data import checklist, directory
from ui.notices import data_errors
from vetting.checklist import label_lists
from vetting.maps import OFFLINE_TOPOJSON_CONFIG, clinic_map
from vetting.scoring import ranked

st.title("Ketamine therapy clinics, vetted")
st.write("Every clinic is scored against a checklist of safety, credentials, transparency, care and "
         "reputation criteria drawn from public guidance. Grades run from A to F; a clinic that answers "
         "**no** to a critical safety criterion is graded F and marked with a red flag.")

data = directory()
if data.errors:
    data_errors(data.errors, data.path)
    st.stop()

clinics = ranked(data.clinics)
n, red = len(clinics), int((clinics["n_red_flags"] > 0).sum())
unverified = int(((clinics["n_unverified"] > 0) & (clinics["n_red_flags"] == 0)).sum())
c1, c2, c3 = st.columns(3)
c1.metric("Clinics", n)
c2.metric("With a red flag", red, help="A critical safety criterion answered no: graded F.")
c3.metric("Critical facts not verified", unverified,
          help="The data does not say whether a critical criterion is met: graded C at best.")

st.plotly_chart(clinic_map(clinics), config=OFFLINE_TOPOJSON_CONFIG, key="clinic_map")

table = clinics.assign(
    rank=range(1, n + 1),
    place=clinics["city"] + ", " + clinics["state"],
    red_flag_text=label_lists(clinics["red_flags"], checklist()),
)
st.dataframe(
    table,
    hide_index=True,
    column_order=["rank", "name", "place", "grade", "score", "red_flag_text", "n_unverified", "completeness",
                  "price_per_session_usd", "website", "last_verified"],
    column_config={
        "rank": st.column_config.NumberColumn("#", width="small"),
        "name": st.column_config.TextColumn("Clinic"),
        "place": st.column_config.TextColumn("City"),
        "grade": st.column_config.TextColumn("Grade", width="small"),
        "score": st.column_config.ProgressColumn("Score", min_value=0, max_value=100, format="%.0f"),
        "red_flag_text": st.column_config.TextColumn("Red flags (critical criteria answered no)"),
        "n_unverified": st.column_config.NumberColumn("Critical not verified", width="small"),
        "completeness": st.column_config.ProgressColumn("Data complete", min_value=0, max_value=1,
                                                        format="percent"),
        "price_per_session_usd": st.column_config.NumberColumn("Session price", format="dollar"),
        "website": st.column_config.LinkColumn("Website", display_text="Open site"),
        "last_verified": st.column_config.DateColumn("Last verified", format="YYYY-MM-DD"),
    },
)
