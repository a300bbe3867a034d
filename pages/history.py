"""History of either data file (the clinics file or the evidence file): every saved version with what and
when (and, for a signed-in analyst, who and the note); the difference between any two; roll back to one. A kept
copy that cannot be read is said in a sentence."""

import datetime as dt
import re

import pandas as pd
import streamlit as st

from ui import evidence
from ui.auth import analyst, mode, sign_in
from ui.boot import through_dashboard
from ui.data import directory
from ui.saving import checked, store
from vetting.diff import diff_frames
from vetting.evidence import load_evidence
from vetting.store import ConflictError, MissingVersion, StoreError

through_dashboard()

FILES = {"Clinics file": "the clinics data", "Evidence file": "the evidence file"}
which = st.session_state.get("history_file", "Clinics file")  # the choice below, known before it is drawn
which = which if which in FILES else "Clinics file"
is_evidence = which == "Evidence file"
st.title(f"History of {FILES[which]}")
st.caption("Every save is kept: who made it, when, what kind of change, and the version it replaced.")
st.radio("Which file", list(FILES), horizontal=True, key="history_file",
         help="The clinics file is the directory itself; the evidence file records how each answer was checked.")

s = evidence.store() if is_evidence else store()
rows_word = "evidence rows" if is_evidence else "clinics"
signed_in = analyst() is not None  # who saved and their notes are for analysts only
log = s.history()
if log.empty:
    st.info(f"No saves yet: {FILES[which]} has not been changed through this app." if is_evidence
            else "No saves yet: the data has not been changed through this app.")
    st.stop()
columns = (["when", "who", "action", "note", "rows_before", "rows_after", "backup", "hash_after"] if signed_in
           else ["when", "action", "rows_before", "rows_after", "hash_after"])
if not signed_in and mode() != "none":
    st.caption("Sign in as an analyst (below) to see who made each save and their notes.")
st.dataframe(log[columns], hide_index=True, width="stretch", placeholder="—", column_order=columns,
             column_config={"when": st.column_config.TextColumn("When (UTC)"),
                            "who": st.column_config.TextColumn("Who"),
                            "action": st.column_config.TextColumn("Change"),
                            "note": st.column_config.TextColumn("Note"),
                            "rows_before": st.column_config.NumberColumn(f"{rows_word.capitalize()} before"),
                            "rows_after": st.column_config.NumberColumn(f"{rows_word.capitalize()} after"),
                            "backup": st.column_config.TextColumn("Replaced version kept as"),
                            "hash_after": st.column_config.TextColumn("New version (hash)")})

versions = s.versions()
label = {h: " · ".join([str(h)[:12], str(when), *([str(by or "—")] if signed_in else []), str(action),
                        f"{rows} {rows_word}"])
         for h, when, by, action, rows in zip(*(versions[c] for c in ("hash", "saved", "by", "action", "rows")),
                                              strict=True) if isinstance(h, str)}
if not label:  # only a damaged audit log names no version
    st.info("No version can be compared or restored: the audit log names none.")
    st.stop()


def version(h: str, which: str) -> bytes | None:
    """A version's bytes, or None after saying in one sentence why it cannot be read."""
    try:
        return s.version(h)
    except MissingVersion:
        st.warning(f"The kept copy of the {which} version is missing, so it cannot be shown or compared.",
                   icon=":material/warning:")
    except StoreError:
        st.warning(f"The {which} version cannot be read right now, so it cannot be shown or compared.",
                   icon=":material/warning:")
    return None


try:
    current_hash = s.read()[1]
except StoreError:
    current_hash = None
st.header("Compare two versions", anchor=False)
left, right = st.columns(2)
older = left.selectbox("Older", list(label), index=min(1, len(label) - 1), format_func=label.get)
newer = right.selectbox("Newer", list(label), index=0, format_func=label.get)
today = dt.date.today()
older_bytes, newer_bytes = version(older, "older"), version(newer, "newer")
if older_bytes is not None and newer_bytes is not None and is_evidence:
    change = evidence.evidence_change(older_bytes, newer_bytes)
    st.markdown(f"**{change.summary()}**")
    if not change.empty:
        st.dataframe(pd.concat([change.added.assign(change="added"), change.removed.assign(change="removed")]),
                     hide_index=True, width="stretch", placeholder="—")
elif older_bytes is not None and newer_bytes is not None:
    (a, a_scores), (b, b_scores) = checked(older_bytes, today), checked(newer_bytes, today)
    if a.ok and b.ok:
        d = diff_frames(a.frame, b.frame, a_scores, b_scores)
        st.markdown(f"**{d.summary()}**")
        st.dataframe(d.changed, hide_index=True, width="stretch", placeholder="(empty)")
        if not d.added.empty or not d.removed.empty:
            st.dataframe(pd.concat([d.added[["clinic_id", "name"]].assign(change="added"),
                                    d.removed[["clinic_id", "name"]].assign(change="removed")]), hide_index=True)
    else:
        st.warning("One of these versions does not pass the current checks, so it cannot be compared field by "
                   "field.")

st.header("Roll back", anchor=False)
restored = st.session_state.pop("restored", None)
if restored:
    short = restored[0][:12] if re.fullmatch(r"[0-9a-f]{12,}", restored[0]) else "the chosen version"
    st.success(f"Restored {short}.", icon=":material/task_alt:")
    if restored[1].get("backup"):
        st.text(f"The version it replaced is kept as {restored[1]['backup']}.")  # a file name: plain text
who = sign_in()
if who:
    target = st.selectbox("Restore this version", [h for h in label if h != current_hash], format_func=label.get,
                          index=None, placeholder="Choose a version")
    if target and is_evidence:  # a version that no longer passes (a clinic since removed) hides all evidence
        kept = version(target, "chosen")
        if kept is not None and not load_evidence(kept, directory().clinics.index, today).ok:
            st.warning("This version does not pass the evidence file's checks against the current clinics file: "
                       "once restored, no evidence is shown until it is fixed (Data quality lists why).",
                       icon=":material/warning:")
    if target and st.button("Restore it (a new, audited save)", type="primary"):
        try:
            entry = s.rollback(target, current_hash or "", who)
        except MissingVersion:
            st.error("The kept copy of that version is missing, so it cannot be restored. Nothing was changed.",
                     icon=":material/error:")
        except ConflictError:
            st.error(f"The {s.label} changed since this page was loaded. Nothing was restored: look at the "
                     "newest save above and try again.", icon=":material/error:")
        except StoreError:
            st.error(f"The version could not be restored because the {s.label} could not be written (the disk "
                     "refused it, or another save held it too long). Nothing was changed.", icon=":material/error:")
        else:
            st.session_state["restored"] = (target, entry)
            st.rerun()
