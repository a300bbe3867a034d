"""The one way data changes: validate, show exactly what will change, confirm, save safely."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from ui.data import checklist, data_path
from ui.text import text
from vetting import LoadResult, load_clinics, score
from vetting.diff import diff_frames, grade_counts
from vetting.export import to_csv
from vetting.geo import FAR_FROM_ZIP_KM, far_from_zip, fill_coordinates
from vetting.store import ConflictError, Store, StoreError
from vetting.textfile import size_words


def store() -> Store:
    return Store(data_path())


def uploaded(label: str, key: str, base: str, current_hash: Callable[[], str]) -> tuple[bytes, str] | None:
    """The file an analyst uploads (at most server.maxUploadSize; a bigger one is refused in a sentence) and the
    version it replaces: the stored file's hash when this upload was first seen, kept in session state under
    `{base}_base`, so a save by someone else in between is refused. None while there is nothing to use."""
    limit_mb = st.get_option("server.maxUploadSize")  # .streamlit/config.toml
    upload = st.file_uploader(label.format(mb=limit_mb), type=["csv"], key=key)
    if upload is None:
        return None
    if upload.size > limit_mb * 1024 * 1024:
        st.error(f"The file is {size_words(upload.size)}; the limit is {limit_mb} MB. Nothing was read or saved.",
                 icon=":material/error:")
        return None
    if st.session_state.get(f"{base}_base_for") != upload.file_id:
        st.session_state[f"{base}_base_for"] = upload.file_id
        st.session_state[f"{base}_base"] = current_hash()
    return upload.getvalue(), st.session_state[f"{base}_base"]


def problems(errors: list) -> None:
    """Every problem, by row and column, with a download so someone can fix them."""
    st.error(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} found: nothing can be saved until every "
             "one is fixed. The current data is unchanged.")
    table = pd.DataFrame([{"row": getattr(e, "row", None), "column": getattr(e, "column", ""),
                           "problem": getattr(e, "message", str(e))} for e in errors])
    st.dataframe(table, hide_index=True, width="stretch", placeholder="—")
    st.download_button("Download the problems (CSV)", to_csv(table), "problems.csv", "text/csv")


@st.cache_data(show_spinner="Checking the file…", max_entries=8)
def checked(data: bytes, today: dt.date) -> tuple[LoadResult, pd.DataFrame | None]:
    """A version of the file validated (not located) and scored, cached by content: reruns of the review
    (typing the note, ticking the box) do not redo the work."""
    result = load_clinics(data, today=today, locate=False)
    return result, (score(result.frame, today=today).summary if result.ok else None)


def review_and_save(candidate: bytes, base_hash: str, who: str, action: str, key: str) -> None:
    """Validate `candidate` (the whole new file), show its diff against the current file, save on confirm.

    `base_hash` is the version the analyst started from: if the file changed since, the save is refused.
    """
    today = dt.date.today()
    new, new_scores = checked(candidate, today)
    if not new.ok:
        problems(new.errors)
        return
    if new.warnings:  # they may quote the file's own text (a column name): shown as text, never Markdown
        st.warning(f"{len(new.warnings)} note{'s' if len(new.warnings) != 1 else ''} about this file:",
                   icon=":material/info:")
        st.code("\n".join(new.warnings), language=None)
    far = far_from_zip(fill_coordinates(new.frame))
    if not far.empty:
        st.warning(f"{len(far)} clinic(s) have coordinates more than {FAR_FROM_ZIP_KM:g} km from their ZIP code's "
                   "centre (swapped or mistyped?). You can still save; check them on Data quality.")
        st.dataframe(far[["clinic_id", "name", "zip", "latitude", "longitude", "km_from_zip"]].round(1),
                     hide_index=True)
    current_bytes, current_hash = store().read()
    if current_hash != base_hash:
        last = store().last_entry() or {}
        st.warning("The clinics file changed since you started. Saving this would overwrite that change, so it "
                   "will be refused: start again from the current data.", icon=":material/sync_problem:")
        text(f"Last saved by {last.get('who', 'someone')} at {last.get('when', 'an unknown time')}.")
    old, old_scores = checked(current_bytes, today)
    if not old.ok:  # the live file is broken: show everything as new rather than guessing
        old_frame = new.frame.iloc[0:0]
        old_scores = score(old_frame, today=today).summary
    else:
        old_frame = old.frame
    d = diff_frames(old_frame, new.frame, old_scores, new_scores)
    st.header("Review the change", anchor=False)
    if d.empty:
        st.info("This version is identical to the current data: there is nothing to save.")
        return
    st.markdown(f"**{d.summary()}**")
    changed, added, removed, grades = st.tabs([f"Changed fields ({len(d.changed)})", f"Added ({len(d.added)})",
                                               f"Removed ({len(d.removed)})", f"Grades ({len(d.grades)} move)"])
    added.dataframe(d.added[["clinic_id", "name", "city", "state"]], hide_index=True, width="stretch")
    removed.dataframe(d.removed[["clinic_id", "name", "city", "state"]], hide_index=True, width="stretch")
    changed.dataframe(d.changed, hide_index=True, width="stretch", placeholder="(empty)")
    grades.dataframe(grade_counts(old_scores["grade"], new_scores["grade"], checklist().grading.letters),
                     width="stretch")
    grades.dataframe(d.grades, hide_index=True, width="stretch")
    note = st.text_input("What is this change? (goes into the audit log)", key=f"{key}_note", max_chars=500)
    sure = st.checkbox("I have reviewed these changes", key=f"{key}_sure")
    removal_ok = confirm_removal(len(old_frame), len(new.frame), len(d.removed), f"{key}_remove_{base_hash[:12]}")
    if st.button("Save", type="primary", disabled=not (sure and removal_ok), key=f"{key}_save"):
        try:
            entry = store().save(candidate, base_hash, who=who, action=action, note=note)
        except ConflictError as err:  # its sentence names who saved: that part is shown as data, not Markdown
            st.error("The clinics file changed since you loaded it. Nothing was saved: reload, review the other "
                     "change, and apply yours again.", icon=":material/sync_problem:")
            if err.last_change:
                st.json(err.last_change)
            return
        except StoreError as err:  # lock held too long, disk full or read-only: the store's own sentence
            st.error(str(err), icon=":material/error:")
            return
        st.session_state[f"{key}_saved"] = entry
        st.rerun()


def confirm_removal(before: int, after: int, removed: int, key: str) -> bool:
    """A version that leaves no clinics, or removes more than half of them, needs a second, explicit tick
    that says how many go; True when no such tick is needed or it is given."""
    if after > 0 and removed * 2 <= before:
        return True
    left = "leaving no clinics at all" if after == 0 else f"leaving {after}"
    st.warning(f"This version removes {removed} of the {before} clinics in the directory, {left}." if before
               else "This version has no clinics.", icon=":material/warning:")
    label = f"Yes, remove {removed} of {before} clinics" if before else "Yes, save a file with no clinics"
    return st.checkbox(label, key=key)
