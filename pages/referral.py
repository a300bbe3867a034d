"""Referral builder: a physician's must-haves and priorities, ranked, as a list to hand the patient."""

import datetime as dt
from dataclasses import replace

import streamlit as st

from ui.boot import through_dashboard
from ui.choices import PRICES, condition_label, price_label
from ui.data import checklist, find_place, online_geocoding_enabled, rescored, usable_directory
from ui.results import clinic_cards, wide_only
from ui.text import Bold, line, text
from ui.urlstate import Param, publish, start
from vetting.contract import CONDITIONS, ROUTE_LABELS, ROUTES
from vetting.evidence import VERIFICATION_MEANINGS
from vetting.export import REWEIGHTED_COLUMNS, referral_sheet, reweighted_note, to_csv
from vetting.geo import DIRECTIONS_HELP, MAX_PLACE_CHARS
from vetting.report import must_have_line, referral_list
from vetting.search import PatientQuery, describe, search
from vetting.weights import Weights, parse_weights, shares, to_toml

through_dashboard()

URL = "query-params"
RADII = [10, 25, 50, 80, 120, 200, 400, 800]

st.title("Build a referral list")
st.caption("For referring clinicians: set the non-negotiables, weigh what matters for this patient, and hand "
           "over a list with reasons and contacts. The whole query lives in the URL: bookmark it or send it.")

data = usable_directory()
rules = checklist()
labels = {c.id: c.label for c in rules.criteria}

# Choices with labels travel in the URL as values (?must=rems&condition=ptsd&preset=safety); links made with the
# labels still open (ui.urlstate). The others are bound to the URL by Streamlit: their values are their text.
must_p = Param("must", [], rules.ids, labels.get, many=True)
condition_p = Param("condition", [], CONDITIONS, condition_label, many=True)
route_p = Param("route", [], ROUTES, ROUTE_LABELS.get, many=True)
price_p = Param("max_price", "any", PRICES, price_label)
preset_p = Param("preset", "balanced", list(rules.presets), lambda p: rules.presets[p].label)
evidence_p = Param("evidence", False)  # ?evidence=1 (or true): must-haves must be backed by evidence
params = [must_p, evidence_p, condition_p, route_p, price_p, preset_p]
EVIDENCE_LABEL = "Only must-haves backed by evidence"

loaded = st.session_state.pop("loaded_weights", None)
if loaded is not None:  # apply an uploaded weights file to the controls before they are drawn
    st.session_state["preset"] = loaded.preset or "balanced"
    base = rules.presets[st.session_state["preset"]].categories
    for cat in rules.categories:
        wanted = loaded.categories.get(cat, base.get(cat, 1.0))
        st.session_state[f"w_{cat}"] = round(wanted / base.get(cat, 1.0), 2) if base.get(cat, 1.0) else 1.0
    st.session_state["criterion_weights"] = loaded.criteria

controls, results = st.columns([1, 2.4], gap="large")
with controls:
    st.header("Must-haves", anchor=False)
    must = st.multiselect("Criteria the clinic must meet", rules.ids, start(must_p), format_func=labels.get,
                          key="must", help="Met means the record says yes; not merely not no.",
                          filter_mode="contains", select_all=False, wrap=True)
    evidence_on = st.checkbox(
        EVIDENCE_LABEL, start(evidence_p), key="evidence", disabled=not must or data.verified is None, wrap=True,
        help="A must-have then counts only when it is verified: " + VERIFICATION_MEANINGS["verified"]
             + " (in 'Must-have evidence'). A clinic whose record says yes without evidence yet is left out. "
               "Choose must-haves first.")
    evidence_backed = bool(evidence_on and must and data.verified is not None)
    unverified_ok = st.toggle("Accept unverified must-haves", key="unverified_ok", bind=URL,
                              disabled=evidence_backed,
                              help="On: a must-have the data does not confirm either way (not verified) "
                                   "still counts as met. Off: it excludes the clinic. Not in effect while "
                                   "must-haves must be backed by evidence.")
    unverified_ok = unverified_ok and not evidence_backed
    hide_red = st.toggle("Exclude clinics with a red flag", value=True, key="hide_red", bind=URL)
    st.header("The patient", anchor=False)
    near = st.text_input("Patient's location", key="near", bind=URL, max_chars=MAX_PLACE_CHARS,
                         placeholder="ZIP or City, ST").strip()
    radius = st.select_slider("Maximum distance (km)", RADII, value=120, key="radius", bind=URL,
                              disabled=not near)
    conditions = st.multiselect("Conditions", CONDITIONS, start(condition_p), key="condition",
                                format_func=condition_label, filter_mode="contains", select_all=False, wrap=True)
    routes = st.multiselect("Routes", ROUTES, start(route_p), format_func=ROUTE_LABELS.get, key="route",
                            filter_mode="contains", select_all=False, wrap=True)
    max_price = st.select_slider("Price ceiling per session", PRICES, start(price_p), key="max_price",
                                 format_func=price_label)
    insurance = st.toggle("Must accept insurance", key="insurance", bind=URL)

    st.header("Weights", anchor=False)
    # A weights file just loaded set the preset and the sliders in session state: no starting value then.
    preset = st.selectbox("Preset", list(rules.presets),
                          0 if loaded is not None else list(rules.presets).index(start(preset_p)),
                          format_func=lambda p: rules.presets[p].label, key="preset",
                          help="Each preset multiplies whole categories.")
    st.caption(rules.presets[preset].description)
    base = rules.presets[preset].categories
    adjust = {cat: st.slider(f"{name} (× the preset)", 0.0, 3.0, 1.0, 0.25, key=f"w_{cat}", bind=URL)
              for cat, name in rules.categories.items()}
    weights = Weights(preset, {cat: base.get(cat, 1.0) * a for cat, a in adjust.items() if a != 1.0},
                      st.session_state.get("criterion_weights", {}))
    upload = st.file_uploader("Load weights (TOML or JSON)", type=["toml", "json"], key="weights_file")
    if upload is not None and st.session_state.get("weights_file_seen") != upload.file_id:
        try:
            st.session_state["loaded_weights"] = parse_weights(upload.getvalue().decode("utf-8", "replace"),
                                                               json_format=upload.name.lower().endswith(".json"),
                                                               where=upload.name)
            st.session_state["weights_file_seen"] = upload.file_id
            st.rerun()
        except ValueError as err:
            st.error("This weights file cannot be used:")
            text(err)
publish(params)

try:
    effective = weights.resolve(rules)
except ValueError as err:
    results.error("These weights cannot be used:")
    text(err, where=results)
    st.stop()
clinics = rescored(effective) if weights != Weights(preset) or preset != "balanced" else data.clinics
place = find_place(near, online_geocoding_enabled()) if near else None
query = PatientQuery(
    origin=place, radius_km=float(radius) if place else None,
    routes=tuple(routes or ()), conditions=tuple(conditions or ()),
    max_price=None if max_price == "any" else float(max_price), insurance=insurance,
    hide_red_flags=hide_red, must_have=tuple(must), unverified_passes=unverified_ok, sort="score",
    evidence_backed=evidence_backed,
)
found = search(clinics, query, dt.date.today(), states=data.states, limit=50,  # the list holds 50 at most
               index=data.geo, verified=data.verified)  # rescored clinics keep the rows and order of the index

with results:
    in_effect = weights.describe(rules)
    st.info(f"**Weights in effect:** {in_effect}.", icon=":material/balance:")
    with st.expander("Effective weight of each category"):
        share = shares(effective).groupby(lambda cid: rules[cid].category).sum()
        st.bar_chart(share.rename(index=rules.categories) * 100, horizontal=True, y_label="% of the score")
    if near and place is None:
        st.warning("We could not find that place. Try a 5-digit ZIP or “City, ST”.")
    line(Bold(describe(found, place, radius if place else None)))
    if evidence_backed and data.evidence_errors:
        st.warning("The evidence file has problems, so no evidence is used and no must-have counts as backed by "
                   "evidence. Analysts see the problems under Data quality.")
    if evidence_backed and not found.matched:
        without = search(clinics, replace(query, evidence_backed=False), dt.date.today(), states=data.states,
                         limit=0, index=data.geo)
        if without.matched:
            st.warning(f"No clinic is left: of the clinics that meet every must-have, none has evidence backing "
                       f"each one yet. Turn off “{EVIDENCE_LABEL}” to list the {without.matched} that meet them by "
                       f"their records ('Must-have evidence' then says which are backed).")
    top_n = st.columns([1, 3])[0].number_input("How many to list", 1, 50, 10, key="top", bind=URL)
    reweighted = effective != rules.weights().to_dict()  # grades differ from those patients see on the site
    rows = referral_list(found.clinics.head(int(top_n)), data.states, must, rules,
                         site=data.clinics if reweighted else None, compared=data.compared, verified=data.verified)
    must_line = must_have_line(must, rules, unverified_ok, evidence_backed)
    st.caption(must_line)
    if reweighted:
        st.caption(reweighted_note(in_effect))
    grade_headers = REWEIGHTED_COLUMNS if reweighted else {"grade": "Grade"}
    # On a phone the same clinics as cards (a table of this many columns would scroll sideways there).
    clinic_cards(found.clinics.head(int(top_n)), rules.grading.letters, near or None, phone_only=True, details=[
        [("Phone", r["phone"]), ("Address", r["address"]),
         ("Grade on the site", r.get("site_grade", "") if reweighted else ""),
         ("Must-haves to confirm", r["must-haves to confirm"] if must and unverified_ok else ""),
         ("Must-have evidence", r.get("must-have evidence", "")),
         ("Evidence coverage", f"{r['evidence coverage']} criteria verified" if r.get("evidence coverage")
          else ""),
         ("Critical, not verified", r["critical, not verified"])]
        for r in rows.astype(object).where(rows.notna(), "").to_dict("records")])
    wide_only("referral_table")
    # The evidence beside the must-haves: right after the record's own date when the physician asked for it.
    evidence_columns = [*(["must-have evidence"] if must and "must-have evidence" in rows else []),
                        *(["evidence coverage"] if "evidence coverage" in rows else [])]
    st.container(key="referral_table").dataframe(rows, hide_index=True, width="stretch", placeholder="—", column_order=[
        "rank", "name", "grade", "site_grade", "distance_km", "price_per_session_usd", "last_verified",
        *(evidence_columns if evidence_backed else []), "phone", "directions", "website",
        *(["must-haves to confirm"] if must and unverified_ok else []), *([] if evidence_backed else evidence_columns),
        "critical, not verified", "address", "score", "other, not verified"],
        column_config={
            "rank": st.column_config.NumberColumn("#", width="small"),
            "name": st.column_config.TextColumn("Clinic", width="medium"),
            "grade": st.column_config.TextColumn(grade_headers["grade"], width="small" if not reweighted else None),
            "site_grade": st.column_config.TextColumn(REWEIGHTED_COLUMNS["site_grade"],
                                                      help="The grade patients see in the directory."),
            "must-haves to confirm": st.column_config.TextColumn(
                "Must-haves to confirm", help="Must-haves this clinic's record does not confirm either way."),
            "must-have evidence": st.column_config.TextColumn(
                "Must-have evidence", width="large",
                help="How each must-have is backed: verified (the latest evidence agrees with the record; when, "
                     "how and by whom), no evidence yet, or a check that disagrees with the record."),
            "evidence coverage": st.column_config.TextColumn(
                "Evidence coverage", help="Of the criteria that apply to the clinic, how many the latest evidence "
                                          "backs (verified)."),
            "critical, not verified": st.column_config.TextColumn("Critical, not verified"),
            "other, not verified": st.column_config.TextColumn("Other, not verified"),
            "phone": st.column_config.TextColumn("Phone"),
            "address": st.column_config.TextColumn("Address", width="large"),
            "score": st.column_config.ProgressColumn("Score", min_value=0, max_value=100, format="%.0f"),
            "distance_km": st.column_config.NumberColumn("Distance", format="%d km"),
            "price_per_session_usd": st.column_config.NumberColumn("Session", format="$%d"),
            "last_verified": st.column_config.TextColumn("Last verified"),
            "directions": st.column_config.LinkColumn("Directions", display_text="Directions",
                                                      validate=r"^https://", help=DIRECTIONS_HELP),
            "website": st.column_config.LinkColumn("Website", validate=r"^https?://"),
        })
    criteria_used = [
        must_line,
        f"Location: {place.label}, within {radius} km" if place else "Location: anywhere",
        "Conditions: " + (", ".join(condition_label(c) for c in conditions) or "any"),
        "Routes: " + (", ".join(ROUTE_LABELS[r] for r in routes or ()) or "any"),
        f"Price ceiling: {'none' if max_price == 'any' else f'${max_price:,} per session'}"
        + ("; must accept insurance" if insurance else ""),
        "Clinics with a red flag excluded" if hide_red else "Clinics with a red flag included",
        f"Weights: {in_effect}",
        *([reweighted_note(in_effect)] if reweighted else []),
    ]
    left, mid, right = st.columns(3)
    left.download_button("Referral list (CSV)", to_csv(rows), "referral-list.csv", "text/csv", width="stretch")
    mid.download_button("Printable referral sheet", referral_sheet(rows, criteria_used, dt.date.today(),
                                                                   data.is_sample, bool(evidence_backed) if must
                                                                   else None),
                        "referral-sheet.html", "text/html", width="stretch")
    right.download_button("Save these weights", to_toml(weights), "referral-weights.toml", "application/toml",
                          width="stretch", help="Load them here again, or use them with the command line: "
                                                "python -m vetting score PATH --weights referral-weights.toml")
