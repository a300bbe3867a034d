"""Find clinics: where you are first, then the results (a list and a map), with what you need one tap away."""

import datetime as dt

import streamlit as st

from ui.boot import through_dashboard
from ui.choices import PRICES, condition_label, price_label
from ui.data import checklist, find_place, online_geocoding_enabled, usable_directory
from ui.results import PER_PAGE, clinic_cards
from ui.text import Bold, line
from ui.urlstate import Param, count_set, publish, start
from vetting.contract import CONDITIONS, ROUTE_LABELS, ROUTES
from vetting.export import shortlist, shortlist_page, to_csv
from vetting.geo import MAX_PLACE_CHARS
from vetting.maps import CLINIC_ID, OFFLINE_TOPOJSON_CONFIG, clinic_map
from vetting.search import SORTS, PatientQuery, describe, search

through_dashboard()

RADII = [10, 25, 50, 80, 120, 200, 400]
SHOWN = 1000  # clinics drawn on the map at most: enough to browse; more would only slow every click

data = usable_directory()
grading = checklist().grading
lowest = grading.letters[-1]

# Everything a visitor sets lives in the URL as plain values (?near=80903&sort=value&condition=ptsd): a link
# opens with the same search. `needs` and `safety` are the filters behind the Filters button.
place_params = [Param("near", ""), Param("radius", 80, RADII), Param("sort", "score", list(SORTS), SORTS.get)]
needs = [Param("route", [], ROUTES, ROUTE_LABELS.get, many=True),
         Param("condition", [], CONDITIONS, condition_label, many=True),
         Param("max_price", "any", PRICES, price_label),
         Param("insurance", False), Param("financing", False), Param("new_patients", False)]
safety = [Param("min_grade", lowest, list(grading.letters)), Param("hide_red", True), Param("hide_stale", False)]
params = [*place_params, *needs, *safety, Param("street", False)]
starting = {p.key: start(p) for p in params}  # each widget's starting value, from the URL

st.title("Find a ketamine therapy clinic", anchor=False)
st.caption("Every clinic is scored against a published safety checklist. Open a clinic to see why.")

online = online_geocoding_enabled()
where, within = st.columns([2, 1.4], vertical_alignment="bottom")
near = where.text_input(
    "Where", starting["near"], key="near", max_chars=MAX_PLACE_CHARS,
    placeholder="ZIP, or City, ST" + (", or an address" if online else ""),
).strip()
radius = within.select_slider("Within (km)", RADII, starting["radius"], key="radius", disabled=not near,
                              help="80 km is roughly an hour's drive.")
st.caption("A ZIP (80903), a city and state (Colorado Springs, CO) or coordinates (38.83,-104.82). "
           + ("Addresses are looked up online (OpenStreetMap)." if online
              else "Looked up on this server: your location is not sent anywhere."))

chosen = count_set(needs) + count_set(safety)
buttons = st.container(horizontal=True, vertical_alignment="center")  # side by side, also on a phone
with buttons.popover("Filters" + (f" ({chosen} set)" if chosen else ""), icon=":material/tune:",
                    help="What you need (route, condition, price, insurance) and safety filters."):
    st.markdown("**What you need**")
    routes = st.pills("Treatment route", ROUTES, format_func=ROUTE_LABELS.get, selection_mode="multi",
                      default=starting["route"], key="route", help="Show clinics offering any of these.")
    conditions = st.multiselect("Condition", CONDITIONS, starting["condition"], key="condition",
                                filter_mode="contains", select_all=False, wrap=True, format_func=condition_label,
                                help="Show clinics that list any of these conditions.")
    max_price = st.select_slider("Max price per session", PRICES, starting["max_price"], key="max_price",
                                 format_func=price_label)
    insurance = st.toggle("Accepts insurance", starting["insurance"], key="insurance")
    financing = st.toggle("Offers financing", starting["financing"], key="financing")
    new_patients = st.toggle("Accepting new patients", starting["new_patients"], key="new_patients")
    st.markdown("**Safety and freshness**")
    min_grade = st.select_slider("Minimum grade", list(reversed(grading.letters)), starting["min_grade"],
                                 key="min_grade", help=f"{lowest} shows every grade.")
    hide_red = st.toggle("Hide clinics with a red flag", starting["hide_red"], key="hide_red",
                         help="A red flag: the clinic's record says no to a critical safety criterion.")
    hide_stale = st.toggle(f"Hide records not verified in the last {grading.stale_period}", starting["hide_stale"],
                           key="hide_stale")
sort = buttons.selectbox("Sort by", list(SORTS), list(SORTS).index(starting["sort"]),
                         format_func=lambda s: f"Sort: {SORTS[s]}", key="sort",
                         label_visibility="collapsed", width="stretch")

place = find_place(near, online) if near else None
if near and place is None:
    st.warning("We could not find that place. Try a 5-digit ZIP or “City, ST”"
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

line(Bold(describe(found, place, radius if place else None)))
if place is None and sort == "distance":
    st.caption("Enter a location to sort by distance; sorted by score meanwhile.")

listed, drawn = st.columns([1.1, 1], gap="medium")
with listed:
    pages = max(1, -(-len(found.clinics) // PER_PAGE))
    cards = st.container()  # the page's clinics, drawn above the page numbers that choose them
    # The page number starts again at 1 whenever the search changes (its key is the search).
    page = st.pagination(pages, key=f"page-{hash(query)}", max_visible_pages=5) if pages > 1 else 1
    first = (page - 1) * PER_PAGE
    clinic_cards(found.clinics.iloc[first:first + PER_PAGE], grading.letters, near or None, where=cards)
    if len(found.clinics):
        st.caption(f"Clinics {first + 1:,}–{min(first + PER_PAGE, len(found.clinics)):,} of "
                   f"{len(found.clinics):,}" + (f" (the first {len(found.clinics):,} of {found.matched:,} "
                                                 "matches, in the order chosen)" if found.matched > SHOWN else "")
                   + ". Open a clinic's name to see why it scored as it did.")
with drawn:
    street = st.session_state.get("street", starting["street"])
    chart = st.plotly_chart(
        clinic_map(found.clinics, searched=place, street=street, radius_km=radius if place else None), key="map",
        on_select="rerun", selection_mode="points",
        config=OFFLINE_TOPOJSON_CONFIG if not street else {"displaylogo": False})
    st.toggle("Street map (loads map tiles from OpenStreetMap over the internet)", starting["street"], key="street",
              help="Off: the built-in outline map, which sends nothing to anyone.")
    picked = [p["customdata"][CLINIC_ID] for p in (chart.selection.points if chart else []) if p.get("customdata")]
publish(params)
if picked:
    # `near` is bound to the Where box here, so the place travels as `place` (the details page's distance)
    st.switch_page("pages/clinic.py", query_params={"clinic": picked[0], **({"place": near} if near else {})})

left, right = st.columns(2)
# Files are made when a button is pressed (a callable), not on every rerun; pressing does not rerun.
left.download_button("Download results (CSV)", lambda: to_csv(shortlist(found.clinics)), "clinics.csv",
                     "text/csv", help="The first 50 results, safe to open in a spreadsheet.", width="stretch",
                     on_click="ignore")  # no rerun: it would replace the callable while it is being fetched
context = [describe(found, place, radius if place else None),
           f"Sorted by: {SORTS[query.sort].lower()}", f"Printed {dt.date.today():%Y-%m-%d}"]
if data.is_sample:
    context.append("Sample data: fictional clinics")
right.download_button("Printable list (HTML)",
                      lambda: shortlist_page(found.clinics, "Ketamine clinic shortlist", context),
                      "clinic-shortlist.html", "text/html", width="stretch", on_click="ignore")
