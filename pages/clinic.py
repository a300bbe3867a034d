"""Clinic details: who they are, what it costs, how they scored on every criterion and why, and the evidence
behind each answer; analysts record new evidence here."""

import datetime as dt
import logging
from html import escape

import pandas as pd
import streamlit as st

from ui.auth import analyst
from ui.boot import through_dashboard
from ui.choices import condition_label
from ui.data import checklist, find_place, npi_registry, online_geocoding_enabled, usable_directory
from ui.evidence import cached_report, record
from ui.evidence import store as evidence_store
from ui.text import Bold, clean, heading, line, text
from vetting.contract import BY_NAME, ROUTE_LABELS
from vetting.evidence import (
    EVIDENCE_CONTRACT,
    FIELDS,
    METHOD_WORDS,
    METHODS,
    coverage,
    coverage_text,
    criterion_evidence,
    criterion_fields,
)
from vetting.export import contract_text
from vetting.geo import directions_urls, distance_km
from vetting.kinds import TRISTATE, web_link
from vetting.registry import EXPECTED_TYPE, TYPE_WORDS
from vetting.report import (
    checks_to_make,
    cost_table,
    criteria_html,
    criterion_notes,
    lists_prices,
    questions_to_ask,
    red_flag_sentences,
)
from vetting.scoring import NOT_APPLICABLE
from vetting.search import is_stale
from vetting.store import StoreError

PICKED = "clinic_picked"  # the picker's session-state key: its identity, whatever the URL says
EVIDENCE_BASE = "evidence_base"  # session_state: (clinic id, the evidence file's hash when its form was first shown)
EVIDENCE_SAVED = "evidence_saved"  # session_state: what the last save recorded, shown once after the rerun
EVIDENCE_ROUND = "evidence_round"  # session_state: saves so far; a new round's form starts empty again
NOT_CONFIRMED = "not confirmed (empty)"  # a yes/no answer the check could not confirm: an empty value
VERIFIED_MEANS = ("Verified means an analyst checked the answer (on the clinic's website, by phone, from a "
                  "document, in the NPI registry or by a visit) and found what the record says. Evidence never "
                  "changes a score.")
log = logging.getLogger("clinic_directory.clinic")

# The criteria lists (vetting.report.criteria_html): one column on a phone, more where there is room; no
# colour carries meaning alone (each item says its state in words; the left border repeats it).
CRITERIA_STYLE = """<style>
.kc-cat h3 { font-size: 1.25rem; line-height: 1.3; margin: 1.25rem 0 0.125rem; padding: 0; }
.kc-sum { margin: 0 0 0.5rem; font-size: 0.875rem; opacity: 0.8; }
.kc-list { list-style: none; margin: 0 !important; padding: 0 !important; display: grid; gap: 0.5rem;
           grid-template-columns: repeat(auto-fill, minmax(min(100%, 22rem), 1fr)); }
.kc-item { margin: 0 !important; padding: 0.5rem 0.75rem; border: 1px solid rgba(128, 128, 128, 0.35);
           border-left: 0.3rem solid rgba(128, 128, 128, 0.6); border-radius: 0.25rem; overflow-wrap: anywhere; }
.kc-item p { margin: 0.125rem 0; }
.kc-met { border-left-color: #21a354; }
.kc-not-met { border-left-color: #d93025; }
.kc-not-verified { border-left-color: #d08c00; }
.kc-head { font-weight: 600; }
.kc-state { white-space: nowrap; margin-right: 0.25rem; }
.kc-meta, .kc-src, .kc-note { font-size: 0.875rem; }
.kc-meta, .kc-src { opacity: 0.8; }
.kc-label { font-weight: 600; }
.kc-q ol { margin: 0.25rem 0 0.75rem; padding-left: 1.5rem; }
.kc-q h3 { font-size: 1.25rem; line-height: 1.3; margin: 0.75rem 0 0.25rem; padding: 0; }
.kc-q p { margin: 0; }
.kc-ev { font-size: 0.875rem; margin: 0.25rem 0 !important; padding: 0.125rem 0.375rem; border-radius: 0.25rem; }
.kc-ev-mark { font-weight: 700; white-space: nowrap; }
.kc-ev-verified { background: rgba(33, 163, 84, 0.12); }
.kc-ev-stated, .kc-ev-partly { border: 1px dashed rgba(128, 128, 128, 0.45); }
.kc-ev-disagrees { background: rgba(208, 140, 0, 0.16); border: 1px solid rgba(208, 140, 0, 0.7); }
.kc-ev-none { opacity: 0.8; padding-left: 0; padding-right: 0; }
</style>"""


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


def registry_line(rec: pd.Series) -> str:
    """'NPI registry, fetched 2026-10-03 (the clinic's NPI 1234567893): found, active, ... name matches.' and the
    registry check's own findings."""
    kind = TYPE_WORDS.get(EXPECTED_TYPE.get(rec["role"], ""), "the expected kind of provider")
    words = [REGISTRY_WORDS[k][0 if rec[k] == "yes" else 1].format(type=kind) for k in REGISTRY_WORDS
             if rec[k] in ("yes", "no")]
    when = f"fetched {rec['fetched_on']}" if rec["fetched_on"] else "fetch date unknown"
    return (f"NPI registry, {when} ({ROLE_WORDS.get(rec['role'], rec['role'])} {rec['npi']}): {', '.join(words)}. "
            f"{rec['findings']}").strip()


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


through_dashboard()

data = usable_directory()
rules = checklist()
clinics = data.clinics
labels, ids = data.labels, data.ids_by_name
# The URL carries the clinic's id (?clinic=kc-000123). It seeds the picker once, when the page opens; from then
# on the picker's own state decides and the page writes its choice back to the URL. (Passing the URL's choice
# as index= made the widget a new one whenever the URL changed, so every second choice was lost.)
asked = st.query_params.get("clinic")
kept = st.session_state.get(PICKED)
if PICKED not in st.session_state or (kept is not None and kept not in labels):
    st.session_state[PICKED] = asked if asked in labels else None
clinic_id = st.selectbox("Clinic", ids, index=None, key=PICKED, format_func=labels.__getitem__,
                         filter_mode="contains", placeholder="Choose a clinic (type to search)")
if st.query_params.get("clinic") != clinic_id:
    if clinic_id is None:
        del st.query_params["clinic"]
    else:
        st.query_params["clinic"] = clinic_id
if clinic_id is None:
    st.title("Clinic details")
    if asked and asked not in labels:
        st.warning("The link names no clinic in this directory: it may have been removed.", icon=":material/help:")
    st.info("Choose a clinic above, or find one near you on the Find clinics page.")
    st.page_link("pages/find.py", label="Find clinics", icon=":material/search:")
    st.stop()

c = clinics.loc[clinic_id]
states = data.states.loc[clinic_id]
# Evidence is shown only when the evidence file could be read; otherwise a neutral line says so (analysts see
# the problems in the form's section).
has_evidence = not data.evidence_errors and data.verified is not None and data.compared is not None
verified = pd.Timestamp(c["last_verified"]).date()
heading(c["name"])
line(f"{c['city']}, {c['state']} · clinic id {clinic_id}", small=True)

flags = red_flag_sentences(states, rules)
if flags:
    st.error("**Red flag: graded F whatever its score.** " + " ".join(flags), icon=":material/flag:")
unverified = [rules[i].label.lower() for i in c["unverified"].split(";") if i]
if unverified:
    st.warning("**Not verified** (critical, so graded C at best): the data does not say whether "
               + "; ".join(unverified) + ". That is unknown, not no: ask the clinic.", icon=":material/help:")
if is_stale(pd.Series([pd.Timestamp(verified)]), dt.date.today(), rules.grading.stale_after_days)[0]:
    st.warning(f"This record was last verified on {verified:%Y-%m-%d}, more than {rules.grading.stale_period} ago: "
               "details may have changed.", icon=":material/history:")

near = st.query_params.get("place")
place = find_place(near, online_geocoding_enabled()) if near else None
with st.container(horizontal=True, gap="medium"):  # wraps: two or three a row on a phone
    st.metric("Grade", c["grade"], width="content")
    st.metric("Score", f"{c['score']:.0f} / 100", width="content")
    st.metric("Data complete", f"{c['completeness']:.0%}", width="content",
              help="Share of applicable criteria with a known answer")
    st.metric("Last verified", f"{verified:%Y-%m-%d}", width="content")
    if has_evidence:
        backed = coverage(data.verified.loc[[clinic_id]])
        done, applies = int(backed["verified"].iloc[0]), int(backed["applicable"].iloc[0])
        st.metric("Evidence", f"{done} of {applies}", width="content", help=f"{coverage_text(done, applies)}. "
                  f"{VERIFIED_MEANS}")
    if place is not None and pd.notna(c["latitude"]):
        km = float(distance_km(c["latitude"], c["longitude"], place.latitude, place.longitude))
        with st.container(width="content", gap=None):
            st.metric("Distance", f"{km:.0f} km", width="content")
            line(f"from {place.label}", small=True)

about, cost = st.columns(2, gap="medium")
with about:
    st.header("Contact", anchor=False)
    text(", ".join(str(v) for v in (c["street_address"], c["city"], c["state"], c["zip"]) if pd.notna(v)))
    text(f"Phone: {c['phone'] if pd.notna(c['phone']) else 'not listed'}")
    if c["location_source"] == "ZIP centroid":
        line("Map position is the centre of the ZIP code: the record has no coordinates.", small=True)
    with st.container(horizontal=True, gap="small"):
        url = web_link(c["website"])  # the url rule's own pattern: httpſ:// and javascript: are no link
        if url:
            st.link_button("Open the clinic's website", url, icon=":material/open_in_new:")
        st.link_button("Directions", directions_urls(clinics.loc[[clinic_id]]).iloc[0], icon=":material/directions:",
                       help="Opens Google Maps in a new tab, with this clinic's address as the destination.")
    st.header("Who runs it", anchor=False)
    line(Bold("Clinic NPI: "), c["npi"] if pd.notna(c["npi"]) else "not listed")
    director = [str(c["medical_director_name"])] if pd.notna(c["medical_director_name"]) else []
    if pd.notna(c["medical_director_specialty"]):
        director.append(f"specialty: {str(c['medical_director_specialty']).replace('_', ' ')}")
    if pd.notna(c["medical_director_npi"]):
        director.append(f"NPI {c['medical_director_npi']}")
    line(Bold("Medical director: "), ", ".join(director) or "not listed")
    checked = registry_records(clinic_id)
    if not checked.empty:
        with st.container(border=True, gap="small"):
            for _, rec in checked.iterrows():
                line(registry_line(rec), small=True)
            line(Bold("Not proof of a licence. "), NOT_A_LICENCE, small=True)
    st.header("Treatments", anchor=False)
    routes = [ROUTE_LABELS[r] for r in str(c["routes"] or "").split(";") if r]
    line(Bold("Routes: "), ", ".join(routes) or "not listed")
    conditions = [condition_label(x) for x in str(c["conditions"] or "").split(";") if x]
    line(Bold("Conditions treated: "), ", ".join(conditions) or "not listed")

with cost:
    st.header("Cost and access", anchor=False)
    st.dataframe(cost_table(c), hide_index=True, width="stretch")
    if lists_prices(c):
        line(f"Prices as the record lists them (last verified {verified:%Y-%m-%d}): confirm them with the "
             "clinic before you book.", small=True)
    line("IV, IM and oral ketamine are off-label and usually not covered by insurance; esketamine "
         "(Spravato) usually is, with prior authorisation.", small=True)

st.header("How it scored", anchor=False)
g = rules.grading
line(f"Critical criteria: a no is a red flag (grade {g.red_flag_grade}); not verified caps the grade at "
     f"{g.unverified_grade_cap}. The weight is how much a criterion counts in the score. Not verified means "
     "the data does not say: it counts like not met in the score but is never reported as no. Not "
     "applicable criteria (e.g. REMS without esketamine) do not count at all.", small=True)
if has_evidence:
    line(f"Under each answer, the evidence behind it. {VERIFIED_MEANS} Where a check found something else than "
         "the record, the disagreement is marked ⚠: ask the clinic.", small=True)
    evidence = criterion_evidence(clinic_id, data.verified.loc[clinic_id], data.compared, rules)
else:
    line("The evidence behind the answers could not be read, so none is shown here.", small=True)
    evidence = None
subscores = {cat: c[f"subscore_{cat}"] for cat in rules.categories}
st.html(CRITERIA_STYLE + criteria_html(states, rules, subscores, criterion_notes(c, states, rules), evidence))
who = analyst()
if who:  # signed-in analysts only: a visitor sees no form at all
    record_evidence(clinic_id, clinics.loc[[clinic_id]], states, who, data.evidence_errors)

questions, checks = questions_to_ask(states, rules), checks_to_make(states, rules)
if questions or checks:
    st.header("Questions to ask this clinic", anchor=False)
    parts = []
    if questions:
        parts.append("<h3>Not verified</h3><p>The record does not say. Ask:</p>"
                     "<ol>" + "".join(f"<li>{escape(q)}</li>" for q in questions) + "</ol>")
    if checks:
        parts.append("<h3>The record says no</h3><p>Check whether it is still so, and why:</p>"
                     "<ol>" + "".join(f"<li>{escape(q)}</li>" for q in checks) + "</ol>")
    st.html('<div class="kc-q">' + "".join(parts) + "</div>")

line(f"Last verified {verified:%Y-%m-%d}. Source: {c['source'] if pd.notna(c['source']) else 'not given'}.",
     small=True)
if st.button("Compare with other clinics", icon=":material/compare_arrows:"):
    st.switch_page("pages/compare.py", query_params={"compare": [clinic_id], **({"place": near} if near else {})})
