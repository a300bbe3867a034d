"""Clinic details: who they are, what it costs, how they scored on every criterion and why, and the evidence
behind each answer; analysts record new evidence here."""

import datetime as dt
from html import escape

import pandas as pd
import streamlit as st

from ui.auth import analyst
from ui.boot import through_dashboard
from ui.choices import condition_label
from ui.clinic_evidence import record_evidence, registry_panel
from ui.data import checklist, find_place, online_geocoding_enabled, usable_directory
from ui.text import Bold, heading, line, text
from vetting.contract import ROUTE_LABELS
from vetting.evidence import coverage, coverage_text, criterion_evidence
from vetting.geo import directions_urls, distance_km
from vetting.kinds import web_link
from vetting.report import (
    checks_to_make,
    cost_table,
    criteria_html,
    criterion_notes,
    lists_prices,
    questions_to_ask,
    red_flag_sentences,
)
from vetting.search import is_stale

PICKED = "clinic_picked"  # the picker's session-state key: its identity, whatever the URL says
VERIFIED_MEANS = ("Verified means an analyst checked the answer (on the clinic's website, by phone, from a "
                  "document, in the NPI registry or by a visit) and found what the record says. Evidence never "
                  "changes a score.")

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
    registry_panel(clinic_id)
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
