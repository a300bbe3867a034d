"""Compare clinics: two to four side by side, criterion by criterion, with the differences marked.

The tables are HTML this page writes (every value escaped): they fit a phone's width, and no table toolbar
floats over the clinic picker.
"""

import datetime as dt

import streamlit as st

from ui.boot import through_dashboard
from ui.data import checklist, find_place, online_geocoding_enabled, usable_directory
from vetting.evidence import coverage
from vetting.export import COMPARE_CSS, comparison_csv, comparison_page, criteria_html, differences_note, facts_html
from vetting.filters import with_distance
from vetting.maps import subscore_chart
from vetting.report import compare_facts, compare_table

through_dashboard()

MOST = 4

st.title("Compare clinics")
data = usable_directory()
rules = checklist()

ids = data.ids_by_name
# The URL carries clinic ids (?compare=kc-1&compare=kc-2). The picker's value lives under a stable key, given
# the URL's clinics the first time the page is drawn in a session; after that the picker is the truth and the
# URL follows it. (A `default=` read from the URL changed the widget's identity every other run, and a pick
# was lost.)
if "compare_ids" not in st.session_state:
    asked = [i for i in st.query_params.get_all("compare") if i in data.clinics.index]
    st.session_state["compare_ids"] = list(dict.fromkeys(asked))[:MOST]
elif not set(st.session_state["compare_ids"]) <= set(data.clinics.index):  # the data changed since
    st.session_state["compare_ids"] = [i for i in st.session_state["compare_ids"] if i in data.clinics.index]
chosen = st.multiselect("Clinics to compare (2 to 4)", ids, key="compare_ids", format_func=data.label,
                        max_selections=MOST, filter_mode="contains", select_all=False, wrap=True,
                        placeholder="Type a clinic's name")
if st.query_params.get_all("compare") != chosen:
    st.query_params["compare"] = chosen
if len(chosen) < 2:
    st.info("Choose at least two clinics. Tip: open a clinic from Find clinics and press "
            "“Compare with other clinics”.")
    st.stop()

picked = data.clinics.loc[chosen]
names = [f"{i + 1}. {n}" for i, n in enumerate(picked["name"])]

near = st.query_params.get("place")
place = find_place(near, online_geocoding_enabled()) if near else None
if place is not None:
    picked = with_distance(picked, place.latitude, place.longitude)
backed = coverage(data.verified.loc[chosen]) if data.verified is not None and not data.evidence_errors else None
facts = compare_facts(picked, names, f"km from {place.label}" if place else None, backed)
st.header("At a glance", anchor=False)
st.html(f"<style>{COMPARE_CSS}</style>{facts_html(facts, website_text='Website')}")

st.header("Category subscores", anchor=False)
st.plotly_chart(subscore_chart(picked, names, rules), config={"displaylogo": False}, key="subscores")

st.header("Checklist, side by side", anchor=False)
only_diff = st.toggle("Show only the criteria where they differ", key="only_diff", bind="query-params")
table = compare_table(data.states.loc[chosen], names, rules)
if only_diff:
    st.caption(differences_note(table))
st.html(f"<style>{COMPARE_CSS}</style>{criteria_html(table[table['differs']] if only_diff else table, names)}")
st.caption("Highlighted rows, tagged “differs”: the clinics differ. “? not verified” means the data does not say "
           "(not “no”).")

lines = [f"{n}: {data.label(i)}" for n, i in zip(names, chosen, strict=True)] + [f"Printed {dt.date.today():%Y-%m-%d}"]
left, right = st.columns(2)
left.download_button("Download comparison (CSV)", comparison_csv(facts, table, only_diff), "clinic-comparison.csv",
                     "text/csv", width="stretch")
right.download_button("Printable comparison (HTML)", comparison_page(facts, table, lines, only_diff),
                      "clinic-comparison.html", "text/html", width="stretch")
