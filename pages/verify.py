"""Verify: check the clinics' NPIs against the public NPI registry (only when asked), save what it found as
evidence, and keep the evidence file (download it, upload a checked and reviewed new version). Analysts only.

Nothing here changes the clinics file: where the registry or the evidence disagrees with it, Data quality lists
it for an analyst to follow up."""

import datetime as dt
import os
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from ui.auth import sign_in
from ui.boot import through_dashboard
from ui.data import npi_registry, usable_directory
from ui.evidence import (
    EvidenceChange,
    Recorded,
    cached_report,
    check_online,
    evidence_change,
    fetched_anything,
    problems_table,
    record,
    registry_findings,
    registry_rows,
    registry_table,
    store,
    with_npi,
)
from ui.saving import uploaded
from ui.text import Bold, line, text
from vetting.evidence import load_evidence
from vetting.export import to_csv
from vetting.registry import RegistryReport
from vetting.store import ConflictError, StoreError

through_dashboard()

MAX_LINES = 20  # findings and failed NPIs listed one per line; the rest are in the table
ALL = ""  # the clinic picker's "every clinic" (never a clinic id)

st.title("Verify records")
st.caption("Check the clinics' NPIs in the public NPI registry and keep the evidence file: what was checked, "
           "how, when and by whom. Nothing here changes the clinics file: where the registry or the evidence "
           "disagrees with it, Data quality lists it for you to follow up.")
who = sign_in()
if who is None:
    st.stop()
data = usable_directory()


def show_problems(errors, what: str, key: str) -> None:
    """Every problem by row and column, with a download; says that nothing was saved."""
    table = problems_table(errors)
    st.error(f"{len(table)} problem{'s' if len(table) != 1 else ''} found in {what}: nothing was saved, and the "
             "evidence file is unchanged.", icon=":material/error:")
    st.dataframe(table, hide_index=True, width="stretch", placeholder="—", height=min(400, 38 + 35 * len(table)))
    st.download_button("Download the problems (CSV)", to_csv(table), "evidence-problems.csv", "text/csv", key=key)


# ---------------------------------------------------------------------- the NPI registry
def registry_section() -> None:
    st.header("Check NPIs in the registry", anchor=False)
    try:
        registry = npi_registry()
    except ValueError:
        st.error("The NPI registry's address (`VETTING_NPI_REGISTRY_URL`) is not an http(s) address: fix the "
                 "server's setting to check NPIs.", icon=":material/error:")
        return
    host = urlsplit(registry.url).hostname or "(no host)"
    delay = registry.client.throttle.min_delay_seconds
    line("Requests go to ", Bold(host), f", at most one every {delay:g} s. Answers are kept on this server and "
         f"asked again after {registry.refresh_after.days} days. Nothing is sent until you press "
         "\u201cCheck online now\u201d.")

    ids = [ALL, *data.ids_by_name]
    scope = st.selectbox("Clinics to check", ids, format_func=lambda c: "Every clinic that lists an NPI" if c == ALL
                         else data.label(c), key="verify_scope")
    clinics = with_npi(data.clinics, scope or None)
    version = (data.path, os.stat(data.path).st_mtime_ns, scope)  # a report is for one version of the clinics
    if st.button("Check online now", type="primary", key="verify_check"):
        bar = st.progress(0.0, text="Asking the NPI registry…")

        def progress(done: int, total: int) -> None:
            bar.progress(done / total if total else 1.0, text=f"Asked about {done} of {total} NPIs…")

        report = check_online(clinics, registry, progress)
        bar.empty()
        st.session_state["verify_report"] = (version, report)
    kept = st.session_state.get("verify_report")
    if kept is not None and kept[0] == version:
        report, where = kept[1], "This check"
    else:
        report, where = cached_report(registry, scope or None), "The answers saved by earlier checks"
    show_report(report, where)
    if fetched_anything(report) or "verify_registry_saved" in st.session_state:
        save_findings(report, clinics, registry.url)


def show_report(report: RegistryReport, where: str) -> None:
    """The summary, every record in a table, then a line for each record the registry disagrees with and for each
    NPI that could not be checked. Before anything was fetched, only that (a table of unknowns says nothing)."""
    if not report.lookups:
        st.write(report.summary())
        return
    if not fetched_anything(report) and not report.failed:
        npis, clinics = len(report.lookups), report.records["clinic_id"].nunique()
        st.info(f"Nothing has been fetched from the registry yet for the {npis} NPI{'s' if npis != 1 else ''} of "
                f"{'this clinic' if clinics == 1 else f'these {clinics} clinics'}: press “Check online now” to ask "
                "it.", icon=":material/cloud_off:")
        return
    line(Bold(f"{where}: "), report.summary())
    table = registry_table(report.records, data.clinics)
    st.dataframe(table, hide_index=True, width="stretch", placeholder="—", height=min(400, 38 + 35 * len(table)),
                 column_config={"findings": st.column_config.TextColumn(width="large")})
    disagree = registry_findings(report)
    disagree = disagree[disagree["error"] == ""]
    if not disagree.empty:
        st.subheader(f"Where the registry disagrees with the clinics file ({len(disagree)})", anchor=False)
        st.caption("Findings to follow up (ask the clinic, then correct the record): nothing is changed "
                   "automatically. Saved as evidence, they are listed on Data quality.")
        listed(disagree, "findings")
    failed = report.failures().drop_duplicates("npi")
    if not failed.empty:
        st.subheader(f"Could not be checked ({len(failed)})", anchor=False)
        listed(failed, "error")


def listed(records: pd.DataFrame, column: str) -> None:
    """One line per record (at most MAX_LINES): the NPI, its clinic and role, and `column`'s sentence."""
    for r in records.head(MAX_LINES).to_dict("records"):
        line(Bold(f"NPI {r['npi']}"), f" ({r['clinic_id']}, {r['role']}): ", r[column])
    if len(records) > MAX_LINES:
        line(f"… and {len(records) - MAX_LINES} more: each is in the table above.")


def save_findings(report: RegistryReport, clinics: pd.DataFrame, registry_url: str) -> None:
    st.subheader("Save these findings as evidence", anchor=False)
    saved = st.session_state.pop("verify_registry_saved", None)
    if saved:
        st.success(f"Saved {saved['rows_after'] - saved['rows_before']} registry row(s) as evidence, checked by "
                   "you. The previous evidence file is kept (History).", icon=":material/task_alt:")
    try:
        current, base = store().read()
    except StoreError as err:
        st.error(str(err), icon=":material/error:")
        return
    rows, given = registry_rows(report, clinics, who, registry_url, current)
    if not given:
        st.write("Nothing to save: no NPI here has an answer from the registry yet.")
        return
    if rows.empty:
        st.write(f"The evidence file already holds all {given} evidence row(s) these answers give: nothing new to "
                 "save.")
        return
    st.write(f"{len(rows)} new evidence row(s) for {rows['clinic_id'].nunique()} clinic(s): what the registry "
             "confirms or says instead, each dated by when its answer was fetched, method registry, checked by you.")
    with st.expander(f"The {len(rows)} row(s) to be saved"):
        st.dataframe(rows, hide_index=True, width="stretch", placeholder="—")
    sure = st.checkbox("I have read these findings and want them in the evidence file", key="verify_sure")
    if st.button("Save these findings as evidence", type="primary", disabled=not sure, key="verify_save"):
        done: Recorded = record(rows, base, who, note=f"NPI registry check: {len(rows)} row(s)", action="registry")
        if done.entry is not None:
            st.session_state["verify_registry_saved"] = done.entry
            st.session_state.pop("verify_sure", None)
            st.rerun()
        elif done.problems:
            show_problems(list(done.problems), "the evidence file with these rows added", "verify_problems")
        else:
            st.error(done.refused or "The evidence file could not be saved. Nothing was changed.",
                     icon=":material/error:")


# ---------------------------------------------------------------------- the evidence file
def evidence_section() -> None:
    st.header("Evidence file", anchor=False)
    line("To record one check (a call, the clinic's website, a document, a visit), open the clinic on Clinic "
         "details while you are signed in: its page has a form, \u201cRecord evidence for this clinic\u201d.")
    st.page_link("pages/clinic.py", label="Clinic details", icon=":material/local_hospital:")
    saved = st.session_state.pop("evidence_upload_saved", None)
    if saved:  # start the next upload from scratch: a fresh uploader and a fresh base version
        st.session_state["evidence_upload_round"] = st.session_state.get("evidence_upload_round", 0) + 1
        for key in ("evidence_upload_base", "evidence_upload_base_for", "evidence_upload_note",
                    "evidence_upload_sure"):
            st.session_state.pop(key, None)
        st.success(f"Saved: {saved['rows_before']} → {saved['rows_after']} evidence rows. The previous version is "
                   "kept (History, Evidence file).", icon=":material/task_alt:")
    try:
        current, current_hash = store().read()
    except StoreError as err:
        st.error(str(err), icon=":material/error:")
        return
    rows = len(data.evidence) if data.evidence is not None else 0
    st.write(f"One row per checked answer: clinic, field, value, method, source, date, who. The file now holds "
             f"{rows} usable row(s). Download it, add or correct rows, and upload the new version: it is checked "
             "row by row against the clinics file, and you review the change before it is saved.")
    if current.strip():
        st.download_button("Download the evidence file (CSV)", current, "evidence.csv", "text/csv",
                           key="evidence_download")
        st.caption("Exactly as stored. A spreadsheet may treat a cell that starts with =, +, - or @ as a "
                   "formula: import it as text.")
    got = uploaded("New evidence file (CSV, UTF-8, at most {mb} MB)",
                   f"evidence_upload_{st.session_state.get('evidence_upload_round', 0)}", "evidence_upload",
                   lambda: current_hash)
    if got is None:
        return
    new, base = got
    loaded = load_evidence(new, data.clinics.index, dt.date.today())
    if not loaded.ok:
        show_problems(loaded.errors, "this file", "evidence_upload_problems")
        return
    if loaded.warnings:  # they may quote the file's own text: shown as text, never Markdown
        st.warning(f"{len(loaded.warnings)} note{'s' if len(loaded.warnings) != 1 else ''} about this file:",
                   icon=":material/info:")
        st.code("\n".join(loaded.warnings), language=None)
    review(evidence_change(current, new), new, base, current_hash)


def review(change: EvidenceChange, new: bytes, base: str, current_hash: str) -> None:
    st.subheader("Review the change", anchor=False)
    if current_hash != base:
        last = store().last_entry() or {}
        st.warning("The evidence file changed since you started. Saving this would overwrite that change, so it "
                   "will be refused: start again from the current file.", icon=":material/sync_problem:")
        text(f"Last saved by {last.get('who', 'someone')} at {last.get('when', 'an unknown time')}.")
    if change.empty:
        st.info("This version holds the same rows as the current evidence file: there is nothing to save.")
        return
    line(Bold(change.summary()))
    if not change.old_checked:
        st.caption("The current file does not pass the checks: its rows are compared as written.")
    added, removed = st.tabs([f"Added ({len(change.added)})", f"Removed ({len(change.removed)})"])
    added.dataframe(change.added, hide_index=True, width="stretch", placeholder="—")
    removed.dataframe(change.removed, hide_index=True, width="stretch", placeholder="—")
    st.text_input("What is this change? (goes into the audit log)", key="evidence_upload_note", max_chars=500)
    sure = st.checkbox("I have reviewed this change", key="evidence_upload_sure")
    removal_ok = True
    if not change.removed.empty:
        st.warning(f"This version removes {len(change.removed)} evidence row(s): the record of those checks will "
                   "be only in the kept copy of the current file.", icon=":material/warning:")
        removal_ok = st.checkbox(f"Yes, remove {len(change.removed)} evidence row(s)",
                                 key=f"evidence_upload_remove_{base[:12]}")
    if st.button("Save", type="primary", disabled=not (sure and removal_ok), key="evidence_upload_save"):
        try:
            entry = store().save(new, base, who=who, action="upload",
                                 note=st.session_state.get("evidence_upload_note", ""))
        except ConflictError:
            st.error("The evidence file changed since you loaded it. Nothing was saved: reload, review the other "
                     "change, and upload yours again.", icon=":material/sync_problem:")
            return
        except StoreError as err:  # a held lock, a full or read-only disk: the store's own sentence
            st.error(str(err), icon=":material/error:")
            return
        st.session_state["evidence_upload_saved"] = entry
        st.rerun()


registry_section()
evidence_section()
