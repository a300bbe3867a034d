"""Clinic details' evidence panels: the NPI registry's cached answers about a clinic, and the analysts' form
that records a check of one answer (saved through the evidence file's store)."""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
import streamlit as st

from ui.data import checklist, npi_registry
from ui.evidence import cached_report, record
from ui.evidence import store as evidence_store
from ui.text import Bold, clean, line, text
from vetting.contract import BY_NAME
from vetting.evidence import (
    EVIDENCE_CONTRACT,
    FIELDS,
    METHOD_WORDS,
    METHODS,
    criterion_fields,
)
from vetting.export import contract_text
from vetting.kinds import TRISTATE
from vetting.registry import EXPECTED_TYPE, TYPE_WORDS
from vetting.scoring import NOT_APPLICABLE
from vetting.store import StoreError

log = logging.getLogger("clinic_directory.clinic")

EVIDENCE_BASE = "evidence_base"  # session_state: (clinic id, the evidence file's hash when its form was first shown)
EVIDENCE_SAVED = "evidence_saved"  # session_state: what the last save recorded, shown once after the rerun
EVIDENCE_ROUND = "evidence_round"  # session_state: saves so far; a new round's form starts empty again
NOT_CONFIRMED = "not confirmed (empty)"  # a yes/no answer the check could not confirm: an empty value


# --- the NPI registry's cached answers --------------------------------------------------------------------
REGISTRY_WORDS = {  # a registry record's comparisons in words (vetting.registry: "yes" / "no"; unknown is left out)
    "found": ("found", "not found"),
    "active": ("active", "deactivated"),
    "type_ok": ("registered to {type}", "not registered to {type}"),
    "state_ok": ("practice location in the clinic's state", "practice location in another state"),
    "specialty_ok": ("registered specialty matches", "registered specialty does not match"),
    "name_ok": ("name matches", "name does not match"),
}
ROLE_WORDS = {"clinic": "the clinic's NPI", "director": "the medical director's NPI"}
NOT_A_LICENCE = ("A check of public records (the CMS NPPES NPI Registry), read from the analysts' last check: an "
                 "NPI identifies a provider for billing; it does not prove a licence, a board certification or a DEA "
                 "registration.")


def registry_records(clinic_id: str) -> pd.DataFrame:
    """The registry check of this clinic's NPIs from the registry's disk cache (nothing is fetched): only the
    records the cache has an answer for. None are shown when the cache cannot be read."""
    try:
        records = cached_report(npi_registry(), clinic_id).records
    except Exception:  # an optional panel: never a traceback on a patient's page
        log.warning("the NPI registry cache could not be read for the clinic page", exc_info=True)
        return pd.DataFrame()
    return records[records["found"].isin(["yes", "no"])]


def registry_line(rec: dict) -> str:
    """'NPI registry, fetched 2026-10-03 (the clinic's NPI 1234567893): found, active, ... name matches.' and the
    registry check's own findings."""
    kind = TYPE_WORDS.get(EXPECTED_TYPE.get(rec["role"], ""), "the expected kind of provider")
    words = [REGISTRY_WORDS[k][0 if rec[k] == "yes" else 1].format(type=kind) for k in REGISTRY_WORDS
             if rec[k] in ("yes", "no")]
    when = f"fetched {rec['fetched_on']}" if rec["fetched_on"] else "fetch date unknown"
    return (f"NPI registry, {when} ({ROLE_WORDS.get(rec['role'], rec['role'])} {rec['npi']}): {', '.join(words)}. "
            f"{rec['findings']}").strip()


def registry_panel(clinic_id: str) -> None:
    """The registry's cached answers about this clinic's NPIs, in a box that says what they do not prove
    (nothing when the cache holds none)."""
    checked = registry_records(clinic_id)
    if checked.empty:
        return
    with st.container(border=True, gap="small"):
        for rec in checked.to_dict("records"):
            line(registry_line(rec), small=True)
        line(Bold("Not proof of a licence. "), NOT_A_LICENCE, small=True)


# --- recording evidence (analysts) ------------------------------------------------------------------------
def _field_label(field: str) -> str:
    return field.replace("_", " ")


def _value_input(field: str, recorded: str, key: str) -> str | None:
    """The widget for one field's value as verified, prefilled with the record's: yes / no / not confirmed for
    a yes/no field (none chosen when the record does not say), else the record's text. None: nothing chosen."""
    column = BY_NAME[field]
    # The record's text is data: shown as plain text, never in a widget's help (help is Markdown).
    line(Bold(f"The record's {_field_label(field)}: "), recorded or "(empty: the record does not say)", small=True)
    if column.kind is TRISTATE:
        options = ["yes", "no", NOT_CONFIRMED]
        chosen = st.radio(f"The answer you found for “{_field_label(field)}”", options, horizontal=True, key=key,
                          index=options.index(recorded) if recorded in options else None)
        return None if chosen is None else "" if chosen == NOT_CONFIRMED else chosen
    return st.text_input(f"The value you found for “{_field_label(field)}” (empty: the check found none)",
                         value=recorded, max_chars=column.max_length, key=key)


def _evidence_base(clinic_id: str) -> str | None:
    """The evidence file's hash when this clinic's form was first shown (a save must still find it)."""
    kept = st.session_state.get(EVIDENCE_BASE)
    if not (isinstance(kept, tuple) and kept[0] == clinic_id):
        try:
            kept = (clinic_id, evidence_store().read()[1])
        except StoreError as err:
            _refused(str(err))
            return None
        st.session_state[EVIDENCE_BASE] = kept
    return kept[1]


def _refused(sentence: str) -> None:
    """The store's own sentence (it may name who saved last), as plain text under a fixed message."""
    st.error("Nothing was saved.", icon=":material/sync_problem:")
    text(sentence)


def _show_problems(problems: tuple) -> None:
    """Every problem by row and column of the evidence file (the new rows come last)."""
    st.error(f"Nothing was saved: {len(problems)} problem{'s' if len(problems) != 1 else ''} with the evidence "
             "(rows of the evidence file; yours are its last rows).", icon=":material/error:")
    st.dataframe(pd.DataFrame([{"row": getattr(p, "row", None), "column": getattr(p, "column", ""),
                                "problem": getattr(p, "message", str(p))} for p in problems]),
                 hide_index=True, width="stretch", placeholder="—")


def record_evidence(clinic_id: str, row: pd.DataFrame, states: pd.Series, who: str, errors: tuple[str, ...]) -> None:
    """The analysts' form for one clinic (`row`: its row of the directory): what was checked, the value found,
    how, where and when; saved through the evidence file's store (whole-file checks, conflict check, audit)."""
    saved = st.session_state.pop(EVIDENCE_SAVED, None)
    if saved:
        st.success("Evidence saved.", icon=":material/task_alt:")
        text(saved)  # it names the analyst: plain text
    with st.expander("Record evidence for this clinic", icon=":material/fact_check:", expanded=bool(saved)):
        if errors:
            st.error(f"The evidence file has {len(errors)} problem{'s' if len(errors) != 1 else ''}, so nothing can "
                     "be recorded until it is fixed:", icon=":material/error:")
            st.code("\n".join(errors[:50]), language=None)
            return
        rules = checklist()
        applicable = [c.id for c in rules.criteria if states[c.id] != NOT_APPLICABLE]
        options = [f"criterion:{c}" for c in applicable] + [f"field:{f}" for f in FIELDS]
        what = st.selectbox(
            "What did you check?", options, key=f"evidence_what_{clinic_id}",
            format_func=lambda o: (rules[o.split(":", 1)[1]].label if o.startswith("criterion:")
                                   else f"The record's {_field_label(o.split(':', 1)[1])} (a field)"),
            help="A criterion of this clinic's checklist, or directly a field of its record.")
        kind, name = what.split(":", 1)
        fields = criterion_fields(rules[name]) if kind == "criterion" else (name,)
        base = _evidence_base(clinic_id)
        if base is None:
            return
        text(f"Checked by: {who}")
        round_ = st.session_state.get(EVIDENCE_ROUND, 0)
        with st.form(f"evidence_form_{clinic_id}_{what}_{round_}"):
            values = {f: _value_input(f, str(contract_text(row[f]).iloc[0]), f"evidence_value_{clinic_id}_{f}_{round_}")
                      for f in fields}
            method = st.selectbox("How it was checked", METHODS, format_func=lambda m: f"{m}: {METHOD_WORDS[m]}")
            source = st.text_input("Source: the page's address, or a note (who answered the phone, which document)",
                                   max_chars=EVIDENCE_CONTRACT.by_name["source"].max_length)
            today = dt.date.today()
            checked_on = st.date_input("Checked on", value=today, max_value=today, format="YYYY-MM-DD")
            submitted = st.form_submit_button("Record evidence", type="primary")
        if not submitted:
            return
        if any(v is None for v in values.values()):
            st.error("Choose the answer you found for every field (or 'not confirmed').", icon=":material/error:")
            return
        rows = pd.DataFrame([{"clinic_id": clinic_id, "field": f, "value": v, "method": method,
                              "source": source.strip(), "checked_on": checked_on.isoformat(), "checked_by": who}
                             for f, v in values.items()])
        label = rules[name].label if kind == "criterion" else _field_label(name)
        try:
            outcome = record(rows, base, who, note=f"evidence for {clinic_id}: {label}")
        except StoreError as err:  # the evidence file could not even be read
            _refused(str(err))
            return
        if outcome.problems:
            _show_problems(outcome.problems)
        elif outcome.refused:
            st.session_state.pop(EVIDENCE_BASE, None)  # the next try starts from the file as it is now
            _refused(outcome.refused)
        else:
            st.session_state.pop(EVIDENCE_BASE, None)
            st.session_state[EVIDENCE_ROUND] = round_ + 1
            st.session_state[EVIDENCE_SAVED] = (
                f"{len(rows)} evidence row{'s' if len(rows) != 1 else ''} for “{clean(label)}”: checked "
                f"{checked_on:%Y-%m-%d} {METHOD_WORDS[method]} by {clean(who)}.")
            st.rerun()
