"""History: every saved version with who and what; the difference between any two; roll back to one."""

import datetime as dt

import pandas as pd
import streamlit as st

from ui.auth import sign_in
from ui.boot import through_dashboard
from ui.saving import checked, store
from vetting.diff import diff_frames

through_dashboard()

st.title("History of the clinics data")
st.caption("Every save is kept: who made it, when, what kind of change, and the version it replaced.")

s = store()
log = s.history()
if log.empty:
    st.info("No saves yet: the data has not been changed through this app.")
    st.stop()
st.dataframe(log.drop(columns=["hash_before"]), hide_index=True, width="stretch", placeholder="—",
             column_order=["when", "who", "action", "note", "rows_before", "rows_after", "backup", "hash_after"],
             column_config={"when": st.column_config.TextColumn("When (UTC)"),
                            "who": st.column_config.TextColumn("Who"),
                            "action": st.column_config.TextColumn("Change"),
                            "note": st.column_config.TextColumn("Note"),
                            "rows_before": st.column_config.NumberColumn("Clinics before"),
                            "rows_after": st.column_config.NumberColumn("Clinics after"),
                            "backup": st.column_config.TextColumn("Replaced version kept as"),
                            "hash_after": st.column_config.TextColumn("New version (hash)")})

versions = s.versions()
label = {h: f"{h[:12]} · {when} · {by or '—'} · {action} · {rows} clinics"
         for h, when, by, action, rows in zip(*(versions[c] for c in ("hash", "saved", "by", "action", "rows")),
                                              strict=True)}
current_hash = s.read()[1]
st.subheader("Compare two versions", anchor=False)
left, right = st.columns(2)
older = left.selectbox("Older", list(label), index=min(1, len(label) - 1), format_func=label.get)
newer = right.selectbox("Newer", list(label), index=0, format_func=label.get)
today = dt.date.today()
(a, a_scores), (b, b_scores) = checked(s.version(older), today), checked(s.version(newer), today)
if a.ok and b.ok:
    d = diff_frames(a.frame, b.frame, a_scores, b_scores)
    st.markdown(f"**{d.summary()}**")
    st.dataframe(d.changed, hide_index=True, width="stretch", placeholder="(empty)")
    if not d.added.empty or not d.removed.empty:
        st.dataframe(pd.concat([d.added[["clinic_id", "name"]].assign(change="added"),
                                d.removed[["clinic_id", "name"]].assign(change="removed")]), hide_index=True)
else:
    st.warning("One of these versions does not pass the current checks, so it cannot be compared field by field.")

st.subheader("Roll back", anchor=False)
restored = st.session_state.pop("restored", None)
if restored:
    st.success(f"Restored {restored[0][:12]}. The version it replaced is kept as {restored[1]['backup']}.",
               icon=":material/task_alt:")
who = sign_in()
if who:
    target = st.selectbox("Restore this version", [h for h in label if h != current_hash], format_func=label.get,
                          index=None, placeholder="Choose a version")
    if target and st.button("Restore it (a new, audited save)", type="primary"):
        entry = s.rollback(target, current_hash, who)
        st.session_state["restored"] = (target, entry)
        st.rerun()
