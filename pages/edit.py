"""Fix rows in place and fill missing coordinates; every change is validated and reviewed before saving."""

import datetime as dt

import pandas as pd
import streamlit as st

from ui.auth import sign_in
from ui.boot import through_dashboard
from ui.data import online_geocoder, online_geocoding_enabled
from ui.saving import checked, review_and_save, store
from vetting.export import clinics_csv
from vetting.geo import MIN_DELAY_SECONDS, geocode_missing
from vetting.load import UnreadableFile, text_table

through_dashboard()

st.title("Edit clinics data")
st.caption("Correct single rows, or fill missing coordinates. The same checks as an upload run before "
           "anything is saved, and you review the change first.")
who = sign_in()
if who is None:
    st.stop()

for key in ("edit", "geocode"):
    saved = st.session_state.pop(f"{key}_saved", None)
    if saved:
        st.success(f"Saved ({saved['action']}). The previous version is kept as {saved['backup']}.",
                   icon=":material/task_alt:")
        st.session_state.pop(f"{key}_base", None)
        st.session_state.pop(f"{key}_candidate", None)

current, current_hash = store().read()
try:
    cells = text_table(current)
except UnreadableFile as err:
    st.error(f"The current file cannot be read: {err} Upload a corrected file instead.")
    st.stop()

edit_tab, geo_tab = st.tabs(["Edit rows", "Fill coordinates"])
with edit_tab:
    # Edits start from the version on disk now; that version is what a save must still find.
    st.session_state.setdefault("edit_base", current_hash)
    query = st.text_input("Show rows whose id, name or city contains", key="edit_filter", max_chars=100,
                          placeholder="e.g. kc-000012 or Denver")
    shown = cells
    if query:
        hay = cells["clinic_id"] + " " + cells["name"] + " " + cells["city"]
        shown = cells[hay.str.contains(query, case=False, regex=False)]
    st.caption(f"{len(shown)} of {len(cells)} rows. Cells hold the file's own text: yes / no / empty for "
               "tri-states, `;` between list items, YYYY-MM-DD dates.")
    edited = st.data_editor(shown, key="editor", num_rows="dynamic", hide_index=True, width="stretch")
    candidate = pd.concat([cells.drop(index=shown.index), edited]).sort_index(kind="stable")
    if not candidate.equals(cells):
        review_and_save(candidate.to_csv(index=False, lineterminator="\n").encode(), st.session_state["edit_base"],
                        who, action="edit", key="edit")
    else:
        st.caption("No edits yet.")

with geo_tab:
    frame = checked(current, dt.date.today())[0].frame
    if frame is None:
        st.error("The current file has problems: fix them before geocoding.")
        st.stop()
    missing = int((frame["latitude"].isna() | frame["longitude"].isna()).sum())
    st.markdown(f"**{missing}** clinic(s) have no coordinates. They are shown at their ZIP's centre meanwhile.")
    online = online_geocoding_enabled() and st.toggle(
        "Also look up street addresses online for ZIPs we do not know (Nominatim, at most one request every "
        f"{MIN_DELAY_SECONDS:g} s)")
    if missing and st.button("Fill missing coordinates", type="primary"):
        bar = st.progress(0.0, text="Looking up addresses…") if online else None
        filled = geocode_missing(frame, online_geocoder() if online else None,
                                 progress=(lambda i, n: bar.progress(i / n, text=f"{i} of {n}")) if bar else None)
        st.session_state["geocode_candidate"] = clinics_csv(filled).encode()
        st.session_state["geocode_base"] = current_hash
    if "geocode_candidate" in st.session_state:
        review_and_save(st.session_state["geocode_candidate"], st.session_state["geocode_base"], who,
                        action="geocode", key="geocode")
