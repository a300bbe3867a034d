"""Find clinics: where you are, what you need; results on a map and in a table, ranked and explained."""

import datetime as dt

import streamlit as st

from ui.boot import through_dashboard
from ui.choices import PRICES, condition_label, price_label
from ui.data import checklist, find_place, online_geocoding_enabled, usable_directory
from ui.tables import results_table
from ui.text import Bold, line
from vetting.contract import CONDITIONS, ROUTE_LABELS, ROUTES
from vetting.export import shortlist, shortlist_page, to_csv
from vetting.geo import MAX_PLACE_CHARS
from vetting.maps import CLINIC_ID, OFFLINE_TOPOJSON_CONFIG, clinic_map
from vetting.search import SORTS, PatientQuery, describe, search

through_dashboard()

RADII = [10, 25, 50, 80, 120, 200, 400]
SHOWN = 1000  # clinics drawn and listed at most: enough to browse; more would only slow every click
URL = "query-params"

st.title("Find a ketamine therapy clinic")
st.caption("Every clinic is scored against a published safety checklist. Search near you, then open a "
           "clinic to see why it scored as it did.")

data = usable_directory()
grading = checklist().grading

online = online_geocoding_enabled()
controls, results = st.columns([1, 2.6], gap="large")
with controls:
    near = st.text_input(
        "Where", key="near", bind=URL, max_chars=MAX_PLACE_CHARS,
        placeholder="ZIP or City, ST" + (" or address" if online else ""),
        help="A 5-digit ZIP (80903), a city and state (Colorado Springs, CO) or coordinates (38.83,-104.82)."
             + (" Addresses are looked up online (OpenStreetMap)." if online else " Looked up on this server; "
                "your location is not sent anywhere."),
    ).strip()
    radius = st.select_slider("Within (km)", RADII, value=80, key="radius", bind=URL,
                              help="80 km is roughly an hour's drive.", disabled=not near)
    sort = st.selectbox("Sort by", list(SORTS), format_func=SORTS.get, key="sort", bind=URL)
    needs = ("route", "condition", "max_price", "insurance", "financing", "new_patients")
    chosen = sum(bool(st.session_state.get(k)) and st.session_state.get(k) != "any" for k in needs)
    with st.expander("What you need" + (f" ({chosen} set)" if chosen else ""), expanded=bool(chosen)):
        routes = st.pills("Treatment route", ROUTES, format_func=ROUTE_LABELS.get, selection_mode="multi",
                          key="route", bind=URL, help="Show clinics offering any of these.")
        conditions = st.multiselect("Condition", CONDITIONS, key="condition", bind=URL,
                                    filter_mode="contains", select_all=False, wrap=True,
                                    format_func=condition_label,
                                    help="Show clinics that list any of these conditions.")
        max_price = st.select_slider("Max price per session", PRICES, value="any", key="max_price", bind=URL,
                                     format_func=price_label)
        insurance = st.toggle("Accepts insurance", key="insurance", bind=URL)
        financing = st.toggle("Offers financing", key="financing", bind=URL)
        new_patients = st.toggle("Accepting new patients", key="new_patients", bind=URL)
    with st.expander("Safety and freshness"):
        lowest = grading.letters[-1]
        min_grade = st.select_slider("Minimum grade", list(reversed(grading.letters)), value=lowest,
                                     key="min_grade", bind=URL, help=f"{lowest} shows every grade.")
        hide_red = st.toggle("Hide clinics with a red flag", value=True, key="hide_red", bind=URL,
                             help="A red flag: the clinic's record says no to a critical safety criterion.")
        hide_stale = st.toggle(f"Hide records not verified in the last {grading.stale_period}", key="hide_stale",
                               bind=URL)
    street = st.toggle("Street map (loads map tiles from OpenStreetMap over the internet)", key="street",
                       bind=URL, help="Off: the built-in outline map, which sends nothing to anyone.")

place = find_place(near, online) if near else None
if near and place is None:
    results.warning("We could not find that place. Try a 5-digit ZIP or “City, ST”"
                    + ("." if online else " (street addresses need online lookup, which is off)."))
query = PatientQuery(
    origin=place, radius_km=float(radius) if place else None,
    routes=tuple(routes or ()), conditions=tuple(conditions or ()),
    max_price=None if max_price == "any" else float(max_price), insurance=insurance, financing=financing,
    new_patients=new_patients, min_grade=min_grade, hide_red_flags=hide_red,
    stale_after_days=grading.stale_after_days if hide_stale else None,
    sort=sort if place or sort != "distance" else "score",
)
found = search(data.clinics, query, dt.date.today(), limit=SHOWN, index=data.geo)

with results:
    line(Bold(describe(found, place, radius if place else None)))
    if place is None and sort == "distance":
        st.caption("Enter a location to sort by distance; sorted by score meanwhile.")
    chart = st.plotly_chart(
        clinic_map(found.clinics, searched=place, street=street, radius_km=radius if place else None), key="map",
        on_select="rerun",
        selection_mode="points", config=OFFLINE_TOPOJSON_CONFIG if not street else {"displaylogo": False})
    picked = [p["customdata"][CLINIC_ID] for p in (chart.selection.points if chart else [])
              if p.get("customdata")]
    if found.matched > len(found.clinics):
        st.caption(f"The map and the table show the first {len(found.clinics):,} of {found.matched:,} clinics, "
                   f"in the order chosen. Enter a place or add what you need to narrow the list.")
    st.caption("Select a clinic on the map or in the table to see why it scored as it did.")
    table = results_table(found.clinics, key="results")
    rows = table.selection.rows if table else []
    if rows:
        picked = [found.clinics.index[rows[0]]]
    if picked:
        # `near` is bound to the Where box here, so the place travels as `place` (the details page's distance)
        st.switch_page("pages/clinic.py", query_params={"clinic": picked[0], **({"place": near} if near else {})})

    left, right = st.columns(2)
    # Files are made when a button is pressed (a callable), not on every rerun; pressing does not rerun.
    left.download_button("Download results (CSV)", lambda: to_csv(shortlist(found.clinics)), "clinics.csv",
                         "text/csv",
                         help="The first 50 results, safe to open in a spreadsheet.", width="stretch",
                         on_click="ignore")  # no rerun: it would replace the callable while it is being fetched
    context = [describe(found, place, radius if place else None),
               f"Sorted by: {SORTS[query.sort].lower()}", f"Printed {dt.date.today():%Y-%m-%d}"]
    if data.is_sample:
        context.append("Sample data: fictional clinics")
    right.download_button("Printable list (HTML)",
                          lambda: shortlist_page(found.clinics, "Ketamine clinic shortlist", context),
                          "clinic-shortlist.html", "text/html", width="stretch", on_click="ignore")
