"""Clinic details: who they are, what it costs, how they scored on every criterion and why."""

import datetime as dt

import pandas as pd
import streamlit as st

from ui.boot import through_dashboard
from ui.data import checklist, find_place, online_geocoding_enabled, usable_directory
from ui.text import heading, line, text
from vetting.contract import ROUTE_LABELS
from vetting.geo import distance_km
from vetting.kinds import web_link
from vetting.report import STATE_ICONS, cost_table, criteria_report, questions_to_ask, red_flag_sentences
from vetting.search import is_stale

through_dashboard()

data = usable_directory()
rules = checklist()

ids = data.clinics.sort_values("name").index.tolist()
# The URL carries the clinic's id (?clinic=kc-000123); a bound selectbox would carry its label instead.
asked = st.query_params.get("clinic")
clinic_id = st.selectbox("Clinic", ids, index=ids.index(asked) if asked in ids else None, format_func=data.label,
                         placeholder="Choose a clinic (type to search)")
if clinic_id is not None:
    st.query_params["clinic"] = clinic_id
if clinic_id is None:
    st.title("Clinic details")
    st.info("Choose a clinic above, or find one near you on the Find clinics page.")
    st.page_link("pages/find.py", label="Find clinics", icon=":material/search:")
    st.stop()

c = data.clinics.loc[clinic_id]
states = data.states.loc[clinic_id]
heading(c["name"])
line(f"{c['city']}, {c['state']} · clinic id {clinic_id}", small=True)

flags = red_flag_sentences(states, rules)
if flags:
    st.error("**Red flag: graded F whatever its score.** " + " ".join(flags), icon=":material/flag:")
unverified = [rules[i].label.lower() for i in c["unverified"].split(";") if i]
if unverified:
    st.warning("**Not verified** (critical, so graded C at best): the data does not say whether "
               + "; ".join(unverified) + ". That is unknown, not no: ask the clinic.", icon=":material/help:")
verified = pd.Timestamp(c["last_verified"]).date()
if is_stale(pd.Series([pd.Timestamp(verified)]), dt.date.today(), rules.grading.stale_after_days)[0]:
    st.warning(f"This record was last verified on {verified:%Y-%m-%d}, more than {rules.grading.stale_period} ago: "
               "details may have changed.", icon=":material/history:")

m1, m2, m3, m4 = st.columns(4)
m1.metric("Grade", c["grade"])
m2.metric("Score", f"{c['score']:.0f} / 100")
m3.metric("Data complete", f"{c['completeness']:.0%}", help="Share of applicable criteria with a known answer")
near = st.query_params.get("place")
place = find_place(near, online_geocoding_enabled()) if near else None
if place is not None and pd.notna(c["latitude"]):
    km = float(distance_km(c["latitude"], c["longitude"], place.latitude, place.longitude))
    m4.metric("Distance", f"{km:.0f} km")
    line(f"from {place.label}", where=m4, small=True)
else:
    m4.metric("Last verified", f"{verified:%Y-%m-%d}")

about, cost = st.columns(2)
with about:
    st.subheader("Contact", anchor=False)
    text(", ".join(str(v) for v in (c["street_address"], c["city"], c["state"], c["zip"]) if pd.notna(v)))
    text(f"Phone: {c['phone'] if pd.notna(c['phone']) else 'not listed'}")
    if c["location_source"] == "ZIP centroid":
        st.caption("Map position is the centre of the ZIP code: the record has no coordinates.")
    url = web_link(c["website"])  # the url rule's own pattern: httpſ:// and javascript: are no link
    if url:
        st.link_button("Open the clinic's website", url)
    st.subheader("Treatments", anchor=False)
    routes = [ROUTE_LABELS[r] for r in str(c["routes"] or "").split(";") if r]
    st.markdown("**Routes:** " + (", ".join(routes) or "not listed"))
    conditions = [x.replace("_", " ") for x in str(c["conditions"] or "").split(";") if x]
    st.markdown("**Conditions treated:** " + (", ".join(conditions) or "not listed"))


with cost:
    st.subheader("Cost and access", anchor=False)
    st.dataframe(cost_table(c), hide_index=True, width="stretch")
    st.caption("IV, IM and oral ketamine are off-label and usually not covered by insurance; esketamine "
               "(Spravato) usually is, with prior authorisation.")

st.subheader("How it scored", anchor=False)
for col, (cat, name) in zip(st.columns(len(rules.categories)), rules.categories.items(), strict=True):
    sub = c[f"subscore_{cat}"]
    col.metric(name, "n/a" if pd.isna(sub) else f"{sub:.0f}")
report = criteria_report(states, rules)
report["state"] = report["state"].map(STATE_ICONS)
report["critical"] = report["critical"].map({True: "critical", False: ""})
report["weight"] = report["weight"].map("{:g}".format)
for category, rows in report.groupby("category", sort=False):
    with st.expander(f"{category}: " + ", ".join(f"{n} {s.split(' ', 1)[1]}" for s, n in
                                                  rows["state"].value_counts().items()), expanded=True):
        st.table(rows.set_index("criterion").rename_axis("Criterion")
                 [["state", "critical", "weight", "what it means", "sources"]]
                 .rename(columns={"state": "This clinic", "critical": "Critical", "weight": "Weight",
                                  "what it means": "What it means", "sources": "Sources"}))
st.caption("Not verified means the data does not say: it counts like not met in the score but is never "
           "reported as no. Not applicable criteria (e.g. REMS without esketamine) do not count at all.")

questions = questions_to_ask(states, rules)
if questions:
    st.subheader("Questions to ask this clinic", anchor=False)
    st.markdown("\n".join(f"{i}. {q}" for i, q in enumerate(questions, 1)))

line(f"Last verified {verified:%Y-%m-%d}. Source: {c['source'] if pd.notna(c['source']) else 'not given'}.",
     small=True)
if st.button("Compare with other clinics", icon=":material/compare_arrows:"):
    st.switch_page("pages/compare.py", query_params={"compare": [clinic_id], **({"place": near} if near else {})})
