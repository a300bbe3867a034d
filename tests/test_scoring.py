"""Scoring rules of CHECKLIST.md: score, grades, red flags, not verified, completeness, N/A, weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from factory import TODAY, TRISTATES, row, typed
from hypothesis import given
from hypothesis import strategies as st

from vetting.checklist import load_checklist
from vetting.scoring import MET, NOT_APPLICABLE, NOT_MET, UNKNOWN, evaluate, grade_of, score, state_labels

CHECKLIST = load_checklist()
CRITICAL = CHECKLIST.critical_ids()
TRI_CRITERIA = [c.id for c in CHECKLIST.criteria if c.evaluate["kind"] == "tristate"]
WEIGHTS = CHECKLIST.weights()


def summary_of(**overrides):
    return score(typed([row(**overrides)]), today=TODAY).summary.iloc[0]


def test_clinic_meeting_everything_scores_100_grade_a():
    s = summary_of()
    assert s["score"] == 100.0 and s["grade"] == "A"
    assert s["red_flags"] == "" and s["unverified"] == "" and s["completeness"] == 1.0


def test_score_is_weighted_share_of_applicable_criteria():
    # acls_on_site (4) and team_published (2) not met; rems_certified not applicable (no intranasal)
    s = summary_of(acls_on_site="no", team_published="no")
    applicable = WEIGHTS.drop("rems_certified").sum()
    assert s["score"] == round(100 * (applicable - 6) / applicable, 1)


def test_critical_no_is_red_flag_and_grade_f_whatever_the_score():
    s = summary_of(vitals_monitoring="no")
    assert s["score"] > 90
    assert s["grade"] == "F"
    assert s["red_flags"] == "vitals_monitoring" and s["n_red_flags"] == 1


def test_critical_unknown_is_not_verified_and_caps_grade_at_c():
    s = summary_of(emergency_protocol="")
    assert s["score"] > 90
    assert s["grade"] == "C"
    assert s["unverified"] == "emergency_protocol" and s["red_flags"] == ""


def test_several_red_flags_are_listed_in_checklist_order():
    s = summary_of(in_clinic_only="no", physician_supervised="no")
    assert s["red_flags"] == "physician_supervised;in_clinic_only"


@pytest.mark.parametrize(("value", "grade"), [(85, "A"), (84.9, "B"), (70, "B"), (69.9, "C"), (55, "C"),
                                              (54.9, "D"), (40, "D"), (39.9, "F"), (0, "F")])
def test_grade_thresholds(value, grade):
    no = np.array([False])
    assert grade_of(np.array([value]), no, no, CHECKLIST)[0] == grade


def test_grade_cap_does_not_raise_a_low_grade():
    assert grade_of(np.array([45.0]), np.array([False]), np.array([True]), CHECKLIST)[0] == "D"


def test_completeness_counts_known_answers_among_applicable():
    s = summary_of(acls_on_site="", board_certified="", rating="")
    n_applicable = len(CHECKLIST.criteria) - 1  # rems not applicable
    assert s["completeness"] == round((n_applicable - 3) / n_applicable, 3)


def test_rems_applies_only_with_intranasal():
    states = evaluate(typed([row(routes="iv", rems_certified="no"),
                             row(routes="iv;intranasal", rems_certified="no")]), today=TODAY)
    assert list(states["rems_certified"]) == [NOT_APPLICABLE, NOT_MET]


def test_observation_needs_120_minutes_with_esketamine():
    f = typed([row(routes="iv", post_session_observation_min="60"),
               row(routes="intranasal", post_session_observation_min="60"),
               row(routes="intranasal", post_session_observation_min="120"),
               row(post_session_observation_min="")])
    assert list(evaluate(f, today=TODAY)["post_session_observation_min"]) == [MET, NOT_MET, MET, UNKNOWN]


@pytest.mark.parametrize(("rating", "count", "state"), [
    ("4.0", "10", MET), ("3.9", "500", NOT_MET), ("4.8", "9", NOT_MET), ("", "50", UNKNOWN),
    ("4.5", "", UNKNOWN), ("3.0", "", NOT_MET), ("", "3", NOT_MET), ("", "", UNKNOWN)])
def test_reviews_rule(rating, count, state):
    f = typed([row(rating=rating, review_count=count)])
    assert evaluate(f, today=TODAY)["reviews"].iloc[0] == state


@pytest.mark.parametrize(("year", "state"), [("2024", MET), ("2025", NOT_MET), ("", UNKNOWN)])
def test_established_two_years(year, state):
    assert evaluate(typed([row(year_opened=year)]), today=TODAY)["established"].iloc[0] == state


@pytest.mark.parametrize(("specialty", "state"), [("psychiatry", MET), ("emergency_medicine", MET),
                                                  ("other", NOT_MET), ("none", NOT_MET), ("", UNKNOWN)])
def test_director_specialty(specialty, state):
    f = typed([row(medical_director_specialty=specialty)])
    assert evaluate(f, today=TODAY)["medical_director_specialty"].iloc[0] == state


def test_state_labels_are_words():
    f = typed([row(acls_on_site="", board_certified="no")])
    labels = state_labels(evaluate(f, today=TODAY)).iloc[0]
    assert labels["acls_on_site"] == "not verified"
    assert labels["board_certified"] == "not met"
    assert labels["rems_certified"] == "not applicable"
    assert labels["vitals_monitoring"] == "met"


def test_price_and_access_never_change_the_score():
    a = summary_of(price_per_session_usd="300", accepts_insurance="yes", routes="iv", conditions="ptsd")
    b = summary_of(price_per_session_usd="3000", accepts_insurance="no", routes="iv;oral",
                   conditions="depression", latitude="", longitude="")
    assert a["score"] == b["score"]


def test_subscores_per_category():
    s = summary_of(risks_disclosed="no")
    assert s["subscore_transparency"] == round(100 * (13 - 3) / 13, 1)
    assert s["subscore_safety"] == 100.0


def test_custom_weight_zero_removes_a_criterion():
    f = typed([row(acls_on_site="no")])
    assert score(f, weights={"acls_on_site": 0}, today=TODAY).summary["score"].iloc[0] == 100.0


def test_custom_weights_are_checked():
    f = typed([row()])
    with pytest.raises(ValueError, match="unknown criterion id"):
        score(f, weights={"nope": 1}, today=TODAY)
    with pytest.raises(ValueError, match=">= 0"):
        score(f, weights={"acls_on_site": -1}, today=TODAY)
    with pytest.raises(ValueError, match="above zero"):
        score(f, weights=dict.fromkeys(WEIGHTS.index, 0), today=TODAY)


# ----------------------------------------------------------------------------- properties
answers = st.fixed_dictionaries({c: st.sampled_from(["yes", "no", ""]) for c in TRISTATES})
clinic = st.builds(lambda a, routes, obs, rating, count, year: row(**a, routes=routes,
                                                                   post_session_observation_min=obs,
                                                                   rating=rating, review_count=count,
                                                                   year_opened=year),
                   answers, st.sampled_from(["iv", "intranasal", "iv;intranasal", "oral", ""]),
                   st.sampled_from(["", "30", "60", "120", "180"]), st.sampled_from(["", "2.5", "4.2"]),
                   st.sampled_from(["", "5", "50"]), st.sampled_from(["", "2010", "2026"]))


@given(c=clinic, criterion=st.sampled_from(TRI_CRITERIA))
def test_no_to_yes_never_lowers_the_score(c, criterion):
    before = score(typed([dict(c, **{criterion: "no"})]), today=TODAY).summary.iloc[0]
    after = score(typed([dict(c, **{criterion: "yes"})]), today=TODAY).summary.iloc[0]
    assert after["score"] >= before["score"]
    assert "ABCDF".index(after["grade"]) <= "ABCDF".index(before["grade"])


@given(c=clinic, criterion=st.sampled_from(TRI_CRITERIA))
def test_unknown_and_no_score_alike_but_are_reported_differently(c, criterion):
    f = typed([dict(c, **{criterion: "no"}), dict(c, **{criterion: ""})])
    result = score(f, today=TODAY)
    no, unknown = result.summary.iloc[0], result.summary.iloc[1]
    assert no["score"] == unknown["score"]
    if result.states[criterion].iloc[0] != NOT_APPLICABLE:
        assert result.states[criterion].iloc[0] == NOT_MET and result.states[criterion].iloc[1] == UNKNOWN
        assert unknown["completeness"] < no["completeness"]
    if criterion in CRITICAL:
        assert criterion in no["red_flags"].split(";") and criterion not in no["unverified"].split(";")
        assert criterion in unknown["unverified"].split(";") and criterion not in unknown["red_flags"].split(";")


@given(c=clinic.filter(lambda r: "intranasal" not in r["routes"]), value=st.sampled_from(["yes", "no", ""]))
def test_not_applicable_criteria_leave_the_score_unchanged(c, value):
    base = score(typed([dict(c, rems_certified="yes")]), today=TODAY).summary.iloc[0]
    other = score(typed([dict(c, rems_certified=value)]), today=TODAY).summary.iloc[0]
    assert other["score"] == base["score"] and other["completeness"] == base["completeness"]


@given(c=clinic)
def test_score_range_and_grade_rules_hold(c):
    s = score(typed([c]), today=TODAY).summary.iloc[0]
    assert 0 <= s["score"] <= 100
    if s["n_red_flags"]:
        assert s["grade"] == "F"
    elif s["n_unverified"]:
        assert s["grade"] in "CDF"


@given(c=clinic, criterion=st.sampled_from(TRI_CRITERIA), value=st.sampled_from(["yes", "no", ""]))
def test_zero_weight_criterion_has_no_influence_on_score(c, criterion, value):
    w = {criterion: 0}
    a = score(typed([dict(c, **{criterion: "yes"})]), weights=w, today=TODAY).summary.iloc[0]
    b = score(typed([dict(c, **{criterion: value})]), weights=w, today=TODAY).summary.iloc[0]
    assert pd.isna(a["score"]) and pd.isna(b["score"]) or a["score"] == b["score"]


def test_vectorised_matches_one_by_one():
    rng = np.random.default_rng(3)
    rows = [row(clinic_id=f"c{i}", **{c: rng.choice(["yes", "no", ""]) for c in TRISTATES})
            for i in range(40)]
    together = score(typed(rows), today=TODAY).summary.reset_index(drop=True)
    alone = pd.concat([score(typed([r]), today=TODAY).summary for r in rows], ignore_index=True)
    # The id lists are categoricals with each frame's own categories; compare their text.
    pd.testing.assert_frame_equal(together, alone, check_dtype=False, check_categorical=False)


@pytest.mark.parametrize("value", [1e308, float("inf"), 101])
def test_weights_are_bounded_so_scores_stay_finite(value):
    with pytest.raises(ValueError, match="at most 100|>= 0"):
        score(typed([row()]), weights={"acls_on_site": value}, today=TODAY)
