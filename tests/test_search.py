"""The patient's search, the clinic report and the exports: rules and properties."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vetting import load_checklist, load_clinics, score, scored
from vetting.contract import CONDITIONS, ROUTES
from vetting.export import neutralise, printable_html, shortlist, shortlist_page, to_csv
from vetting.geo import Place
from vetting.report import (
    compare_facts,
    compare_table,
    cost_table,
    criteria_report,
    questions_to_ask,
    red_flag_sentences,
)
from vetting.scoring import NOT_MET, UNKNOWN
from vetting.search import SORTS, PatientQuery, describe, search, sort_results

TODAY = dt.date(2026, 11, 21)
SAMPLE = Path(__file__).resolve().parent.parent / "data" / "clinics.csv"
FRAME = load_clinics(SAMPLE, today=TODAY).frame
CLINICS = scored(FRAME, today=TODAY)
CHECKLIST = load_checklist()
DENVER = Place(39.74, -104.99, "Denver, CO")
STALE_DAYS = CHECKLIST.grading.stale_after_days

queries = st.builds(
    PatientQuery,
    origin=st.sampled_from([None, DENVER, Place(40.71, -74.0, "New York, NY")]),
    radius_km=st.sampled_from([None, 25.0, 80.0, 400.0]),
    routes=st.lists(st.sampled_from(ROUTES), max_size=2, unique=True).map(tuple),
    conditions=st.lists(st.sampled_from(CONDITIONS), max_size=2, unique=True).map(tuple),
    max_price=st.sampled_from([None, 400.0, 600.0, 900.0]),
    insurance=st.booleans(), financing=st.booleans(), new_patients=st.booleans(),
    min_grade=st.sampled_from([None, *CHECKLIST.grading.letters]), hide_red_flags=st.booleans(),
    stale_after_days=st.sampled_from([None, STALE_DAYS]), sort=st.sampled_from(list(SORTS)),
)
FILTERS_OFF_ON = {"insurance": (False, True), "financing": (False, True), "new_patients": (False, True),
                  "hide_red_flags": (False, True), "stale_after_days": (None, STALE_DAYS)}


@given(q=queries)
def test_counts_add_up_and_shown_clinics_pass_every_filter(q):
    r = search(CLINICS, q, TODAY)
    assert len(r.clinics) + r.hidden == r.in_area
    c = r.clinics
    if q.hide_red_flags:
        assert (c["n_red_flags"] == 0).all()
    if q.max_price is not None:
        assert (c["price_per_session_usd"] <= q.max_price).all()
    if q.insurance:
        assert c["accepts_insurance"].eq(True).all()
    if q.min_grade is not None:
        letters = CHECKLIST.grading.letters
        assert c["grade"].map(letters.index).astype(int).le(letters.index(q.min_grade)).all()
    if q.stale_after_days is not None:
        assert ((pd.Timestamp(TODAY) - c["last_verified"]).dt.days <= q.stale_after_days).all()
    if q.origin is not None and q.radius_km is not None:
        assert (c["distance_km"] <= q.radius_km).all()
    for route_list in c["routes"].astype(str):
        assert not q.routes or set(q.routes) & set(route_list.split(";"))


@given(q=queries, extra=st.sampled_from(sorted(FILTERS_OFF_ON)))
def test_turning_a_filter_on_never_grows_the_results(q, extra):
    off_value, on_value = FILTERS_OFF_ON[extra]
    off = search(CLINICS, PatientQuery(**{**q.__dict__, extra: off_value}), TODAY)
    on = search(CLINICS, PatientQuery(**{**q.__dict__, extra: on_value}), TODAY)
    assert set(on.clinics.index) <= set(off.clinics.index)


@given(q=queries.filter(lambda q: q.origin is not None))
def test_a_wider_radius_never_shows_fewer(q):
    near = search(CLINICS, PatientQuery(**{**q.__dict__, "radius_km": 50.0}), TODAY)
    far = search(CLINICS, PatientQuery(**{**q.__dict__, "radius_km": 200.0}), TODAY)
    assert set(near.clinics.index) <= set(far.clinics.index)


def test_sorting_orders_and_ties():
    r = search(CLINICS, PatientQuery(origin=DENVER, radius_km=400, hide_red_flags=False), TODAY)
    assert sort_results(r.clinics, "distance")["distance_km"].is_monotonic_increasing
    assert sort_results(r.clinics, "price")["price_per_session_usd"].dropna().is_monotonic_increasing
    value = sort_results(r.clinics, "value")
    assert value["value"].dropna().is_monotonic_decreasing
    assert value["value"].isna().iloc[-1] or not value["value"].isna().any()  # unknown prices go last
    with pytest.raises(ValueError, match="unknown sort"):
        sort_results(r.clinics, "random")


def test_value_is_score_per_100_dollars():
    r = search(CLINICS, PatientQuery(hide_red_flags=False), TODAY)
    row = r.clinics.dropna(subset=["price_per_session_usd"]).iloc[0]
    assert row["value"] == pytest.approx(round(100 * row["score"] / row["price_per_session_usd"], 1))


def test_describe_explains_hidden_clinics():
    r = search(CLINICS, PatientQuery(origin=DENVER, radius_km=80, max_price=600), TODAY)
    text = describe(r, DENVER, 80)
    assert text.startswith(f"{r.in_area} clinics within 80 km of Denver, CO; {r.hidden} hidden by your filters (")
    assert text.endswith(f"; {len(r.clinics)} shown.")
    for reason, n in r.reasons.items():
        assert f"{n} {reason}" in text
    everything = search(CLINICS, PatientQuery(hide_red_flags=False), TODAY)
    assert describe(everything, None, None) == f"{len(CLINICS)} clinics in the directory; {len(CLINICS)} shown."


@pytest.mark.parametrize(("days", "words"), [(STALE_DAYS, CHECKLIST.grading.stale_period), (90, "3 months"),
                                             (730, "2 years"), (1, "1 day")])
def test_stale_filter_hides_what_the_days_say_and_says_so(days, words):
    r = search(CLINICS, PatientQuery(hide_red_flags=False, stale_after_days=days), TODAY)
    age = (pd.Timestamp(TODAY) - CLINICS["last_verified"]).dt.days
    assert r.matched == (age <= days).sum() and r.reasons[f"not verified in the last {words}"] == (age > days).sum()


# ------------------------------------------------------------------ report
SCORES = score(FRAME, today=TODAY)


def test_criteria_report_covers_every_criterion_with_sources():
    report = criteria_report(SCORES.states.iloc[0], CHECKLIST)
    assert list(report.index) == CHECKLIST.ids
    assert report["sources"].str.len().min() > 10 and report["what it means"].str.len().min() > 10
    assert set(report["state"]) <= {"met", "not met", "not verified", "not applicable"}


def test_questions_come_from_unknown_criteria_critical_first():
    states = SCORES.states
    i = int((states == UNKNOWN).sum(axis=1).idxmax())
    questions = questions_to_ask(states.loc[i], CHECKLIST)
    unknown = [c for c in CHECKLIST.criteria if states.loc[i, c.id] == UNKNOWN]
    assert len(questions) == len(unknown) > 1
    assert set(questions) == {c.question for c in unknown}
    critical_q = [c.question for c in unknown if c.critical]
    assert questions[: len(critical_q)] == sorted(critical_q, key=questions.index)


def test_red_flags_are_plain_sentences():
    i = int((SCORES.summary["n_red_flags"] > 0).idxmax())
    sentences = red_flag_sentences(SCORES.states.loc[i], CHECKLIST)
    assert len(sentences) == SCORES.summary.loc[i, "n_red_flags"]
    assert all(s.startswith("The clinic's record says no to: ") for s in sentences)
    assert (SCORES.states.loc[i, CHECKLIST.critical_ids()] == NOT_MET).sum() == len(sentences)


def test_compare_table_marks_differences():
    table = compare_table(SCORES.states.iloc[[0, 1]], ["one", "two"], CHECKLIST)
    assert list(table.columns) == ["criterion", "critical", "one", "two", "differs"]
    assert (table["differs"] == (table["one"] != table["two"])).all()
    assert not compare_table(SCORES.states.iloc[[0, 0]], ["a", "b"], CHECKLIST)["differs"].any()


# ------------------------------------------------------------------ exports
@given(text=st.text(min_size=1, max_size=20))
def test_formula_cells_are_neutralised(text):
    out = neutralise(pd.DataFrame({"name": [text], "n": [-5]}))
    risky = text[0] in "=+-@\t\r"
    assert out.loc[0, "name"] == ("'" + text if risky else text)
    assert out.loc[0, "n"] == -5  # numbers are data, not formulas


def test_csv_export_is_neutralised():
    csv = to_csv(pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "@SUM(1)", "+1", "-1", "ok"]}))
    assert csv.splitlines()[1:] == ["'=cmd|' /C calc'!A0", "'@SUM(1)", "'+1", "'-1", "ok"]


def test_printable_page_escapes_everything_and_loads_nothing():
    page = printable_html(pd.DataFrame({"name": ["<script>alert(1)</script>"], "site": ["javascript:x"]}),
                          "Title <b>", ["line & more"], "Not medical advice.")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Title &lt;b&gt;" in page and "line &amp; more" in page and "Not medical advice." in page
    assert "http" not in page and "@media print" in page


def test_cost_table_says_not_listed_and_not_verified():
    row = CLINICS.iloc[0].copy()
    row["price_series_usd"], row["accepts_insurance"], row["financing_available"] = float("nan"), pd.NA, False
    table = cost_table(row).set_index("Item")["This clinic"]
    assert table["Initial series"] == "not listed"
    assert table["Accepts insurance"] == "not verified" and table["Financing"] == "no"
    assert table["Price per session"].startswith("$")


def test_compare_facts_and_shortlist():
    picked = CLINICS.iloc[:2].assign(distance_km=[12.4, 80.6])
    facts = compare_facts(picked, ["a", "b"], "km from Denver")
    assert list(facts.columns[:3]) == ["Clinic", "City", "km from Denver"] and list(facts["km from Denver"]) == [12, 81]
    assert "km from Denver" not in compare_facts(picked, ["a", "b"])
    short = shortlist(CLINICS, limit=5)
    assert len(short) == 5 and {"name", "phone", "website", "grade", "score"} <= set(short.columns)
    page = shortlist_page(CLINICS, "List", ["Near Denver"])
    assert "Not medical advice" in page and page.count("<tr>") == 51
