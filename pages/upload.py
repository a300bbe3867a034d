"""Upload a new clinics file: every problem listed by row and column; a reviewed diff; a safe save."""

import streamlit as st

from ui.auth import sign_in
from ui.boot import through_dashboard
from ui.saving import review_and_save, store, uploaded

through_dashboard()

st.title("Upload clinics data")
st.caption("Replace the whole clinics file with a new version. It is checked against the data contract; "
           "nothing is saved while any problem remains, and you see exactly what changes before saving. "
           "The replaced version is kept and can be restored from History.")
who = sign_in()
if who is None:
    st.stop()

saved = st.session_state.pop("upload_saved", None)
if saved:  # start the next upload from scratch: a fresh uploader and a fresh base version
    st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
    for key in ("upload_base", "upload_base_for", "upload_note", "upload_sure"):
        st.session_state.pop(key, None)
    st.success(f"Saved: {saved['rows_before']} → {saved['rows_after']} clinics. The previous version is kept "
               f"as {saved['backup']}. Every page now shows the new data.", icon=":material/task_alt:")
    st.page_link("pages/find.py", label="See it on Find clinics", icon=":material/search:")

got = uploaded("Clinics CSV (UTF-8, at most {mb} MB)", f"upload_file_{st.session_state.get('upload_round', 0)}",
               "upload", lambda: store().read()[1])
if got is None:
    st.stop()
review_and_save(*got, who, action="upload", key="upload")
