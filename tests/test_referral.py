"""Referring physicians: must-have filtering, weights (presets, files, zero weights), the referral list."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from vetting import load_checklist, load_clinics, score, scored
from vetting.export import referral_sheet
from vetting.geo import Place
from vetting.report import referral_list
from vetting.scoring import MET, UNKNOWN
from vetting.search import PatientQuery, must_have_mask, search
from vetting.weights import Weights, parse_weights, read_weights, shares, to_json, to_toml, write_weights

TODAY = dt.date(2026, 11, 21)
REPO = Path(__file__).resolve().parent.parent
FRAME = load_clinics(REPO / "data" / "clinics.csv", today=TODAY).frame
SCORES = score(FRAME, today=TODAY)
CLINICS = scored(FRAME, today=TODAY)
CHECKLIST = load_checklist()
IDS = CHECKLIST.ids

must_lists = st.lists(st.sampled_from(IDS), max_size=5, unique=True)


@given(must=must_lists, extra=st.sampled_from(IDS), passes=st.booleans())
def test_adding_a_must_have_never_grows_the_result(must, extra, passes):
    before = must_have_mask(SCORES.states, must, passes)
    after = must_have_mask(SCORES.states, [*must, extra], passes)
    assert not (after & ~before).any()


@given(must=must_lists)
def test_letting_not_verified_pass_never_shrinks_the_result(must):
    strict = must_have_mask(SCORES.states, must, False)
    lenient = must_have_mask(SCORES.states, must, True)
    assert not (strict & ~lenient).any()


def test_must_have_means_yes_not_merely_not_no():
    mask = must_have_mask(SCORES.states, ["acls_on_site"], False)
    assert (SCORES.states.loc[mask, "acls_on_site"] == MET).all()
    lenient = must_have_mask(SCORES.states, ["acls_on_site"], True)
    assert set(SCORES.states.loc[lenient, "acls_on_site"]) == {MET, UNKNOWN}


def test_not_applicable_does_not_meet_a_must_have():
    no_esketamine = ~CLINICS["routes"].astype(str).str.contains("intranasal")
    assert not must_have_mask(SCORES.states, ["rems_certified"], True)[no_esketamine.to_numpy()].any()


def test_search_with_must_haves_counts_them():
    q = PatientQuery(must_have=("acls_on_site", "psychiatric_evaluation"), hide_red_flags=False)
    r = search(CLINICS, q, TODAY, states=SCORES.states)
    assert r.reasons["not meeting every must-have"] == r.hidden > 0
    with pytest.raises(ValueError, match="criterion states"):
        search(CLINICS, q, TODAY)


# ------------------------------------------------------------------ weights
@pytest.mark.parametrize("preset", list(CHECKLIST.presets))
def test_presets_resolve_and_normalise(preset):
    w = Weights(preset).resolve(CHECKLIST)
    assert set(w) == set(IDS) and all(v >= 0 for v in w.values()) and sum(w.values()) > 0
    assert shares(w).sum() == pytest.approx(1.0)


def test_balanced_is_the_checklist_and_presets_change_the_ranking():
    assert Weights("balanced").resolve(CHECKLIST) == CHECKLIST.weights().to_dict()
    balanced = score(FRAME, weights=Weights("balanced").resolve(CHECKLIST), today=TODAY).summary["score"]
    safety = score(FRAME, weights=Weights("safety_first").resolve(CHECKLIST), today=TODAY).summary["score"]
    assert (balanced == SCORES.summary["score"]).all()
    assert not (safety == balanced).all()


def test_safety_first_weighs_safety_more():
    s = shares(Weights("safety_first").resolve(CHECKLIST))
    b = shares(Weights("balanced").resolve(CHECKLIST))
    safety_ids = [c.id for c in CHECKLIST.criteria if c.category == "safety"]
    assert s[safety_ids].sum() > b[safety_ids].sum()


TRISTATE_IDS = [c.id for c in CHECKLIST.criteria if c.evaluate["kind"] == "tristate"]


@given(cid=st.sampled_from(TRISTATE_IDS))
def test_a_zero_weight_removes_a_criterions_influence(cid):
    w = Weights(criteria={cid: 0.0}).resolve(CHECKLIST)
    flipped = FRAME.copy()
    column = CHECKLIST[cid].evaluate["column"]
    flipped[column] = ~FRAME[column].fillna(False).astype("boolean")
    a = score(FRAME, weights=w, today=TODAY).summary["score"]
    b = score(flipped, weights=w, today=TODAY).summary["score"]
    assert (a == b).all()


def test_a_zero_category_multiplier_removes_the_category():
    w = Weights(categories={"reputation": 0.0}).resolve(CHECKLIST)
    assert w["reviews"] == 0 and w["established"] == 0 and w["acls_on_site"] == CHECKLIST["acls_on_site"].weight


@pytest.mark.parametrize(("weights", "message"), [
    (Weights("nope"), "unknown preset 'nope'"),
    (Weights(categories={"vibes": 2}), "unknown category 'vibes'"),
    (Weights(categories={"safety": -1}), "multiplier of safety must be a number >= 0"),
    (Weights(criteria={"made_up": 1}), "unknown criterion id(s) in weights: made_up"),
    (Weights(categories=dict.fromkeys(CHECKLIST.categories, 0.0)), "at least one criterion"),
])
def test_bad_weights_are_refused_clearly(weights, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        weights.resolve(CHECKLIST)


@given(preset=st.sampled_from([None, *CHECKLIST.presets]),
       cats=st.dictionaries(st.sampled_from(list(CHECKLIST.categories)), st.floats(0, 4).map(lambda x: round(x, 2))),
       crit=st.dictionaries(st.sampled_from(IDS), st.integers(0, 9).map(float), max_size=4),
       as_json=st.booleans())
def test_weights_files_round_trip(preset, cats, crit, as_json):
    w = Weights(preset, cats, crit)
    text = to_json(w) if as_json else to_toml(w)
    assert parse_weights(text, json_format=as_json) == w


def test_write_and_read_weights_file(tmp_path):
    w = Weights("safety_first", {"care": 1.5}, {"acls_on_site": 6.0})
    for name in ("w.toml", "w.json"):
        write_weights(w, tmp_path / name)
        assert read_weights(tmp_path / name) == w
    (tmp_path / "flat.json").write_text(json.dumps({"acls_on_site": 0}))
    assert read_weights(tmp_path / "flat.json") == Weights(criteria={"acls_on_site": 0.0})


def test_cli_reads_a_saved_weights_file(tmp_path, capsys):
    from vetting.cli import main

    path = tmp_path / "w.toml"
    write_weights(Weights("safety_first"), path)
    assert main(["--today", "2026-11-21", "score", str(REPO / "data" / "clinics.csv"), "--format", "json",
                 "--weights", str(path)]) == 0
    records = {r["clinic_id"]: r["score"] for r in json.loads(capsys.readouterr().out)}
    expected = score(FRAME, weights=Weights("safety_first").resolve(CHECKLIST), today=TODAY).summary
    assert records == dict(zip(expected["clinic_id"], expected["score"], strict=True))


# ------------------------------------------------------------------ the list and the sheet
def test_referral_list_says_why_and_what_is_not_verified():
    must = ("acls_on_site", "psychiatric_evaluation")
    q = PatientQuery(origin=Place(39.74, -104.99, "Denver, CO"), radius_km=200, must_have=must, unverified_passes=True)
    r = search(CLINICS, q, TODAY, states=SCORES.states)
    rows = referral_list(r.clinics, SCORES.states, must, CHECKLIST)
    assert list(rows["rank"]) == list(range(1, len(rows) + 1)) and len(rows) > 0
    acls = CHECKLIST["acls_on_site"].label
    for why, (_, clinic) in zip(rows["why it matched"], r.clinics.iterrows(), strict=True):
        state = SCORES.states.loc[clinic.name, "acls_on_site"]
        assert (acls in why.split("Passed as not verified:")[0]) == (state == MET)
    assert rows["distance_km"].max() <= 200
    assert {"phone", "website", "address"} <= set(rows.columns)


def test_referral_sheet_has_date_criteria_and_disclaimer():
    rows = referral_list(CLINICS.head(3), SCORES.states, ["acls_on_site"], CHECKLIST)
    page = referral_sheet(rows, ["Must-haves: ACLS", "Location: Denver, CO"], TODAY, sample=True)
    assert "Prepared 2026-11-21" in page and "Must-haves: ACLS" in page and "Not medical advice" in page
    assert "fictional" in page and "size: landscape" in page and page.count("<tr>") == 4


# ------------------------------------------------------------------ the page
def referral_app(**params) -> AppTest:
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page("pages/referral.py")
    return at.run()


def test_referral_page_filters_ranks_and_says_which_weights():
    at = referral_app(near="Denver, CO")
    assert not at.exception
    assert "Balanced" in at.info[0].value
    before = len(at.dataframe[0].value)
    at.multiselect(key="must").set_value(["acls_on_site", "psychiatric_evaluation"]).run()
    after = at.dataframe[0].value
    assert 0 < len(after) < before
    assert after["why it matched"].str.startswith("Meets: ").all()
    at.toggle(key="unverified_ok").set_value(True).run()
    assert len(at.dataframe[0].value) >= len(after)
    at.selectbox(key="preset").set_value("safety_first").run()
    assert "Safety first" in at.info[0].value
    at.slider(key="w_care").set_value(2.0).run()
    assert "Care and support ×1.5" in at.info[0].value  # 0.75 (preset) x 2


def test_referral_page_ranking_follows_the_weights():
    today = dt.date.today()  # the page scores as of today
    frame = load_clinics(REPO / "data" / "clinics.csv", today=today).frame

    def top(weights: Weights, n: int) -> list[tuple[str, float]]:
        clinics = scored(frame, weights=weights.resolve(CHECKLIST), today=today)
        found = search(clinics, PatientQuery(), today, limit=n).clinics
        return list(zip(found["clinic_id"], found["score"], strict=True))

    at = referral_app()
    shown = at.dataframe[0].value
    assert list(zip(shown["clinic_id"], shown["score"], strict=True)) == top(Weights("balanced"), len(shown))
    at.slider(key="w_reputation").set_value(3.0).run()
    shown = at.dataframe[0].value
    reputation_x3 = top(Weights("balanced", {"reputation": 3.0}), len(shown))
    assert reputation_x3 != top(Weights("balanced"), len(shown))  # the slider changes the list
    assert list(zip(shown["clinic_id"], shown["score"], strict=True)) == reputation_x3


def test_referral_page_reads_its_query_from_the_url():
    label = CHECKLIST["acls_on_site"].label
    at = referral_app(near="80903", radius="200", must=label, preset="Safety first", top="5")
    assert at.multiselect(key="must").value == ["acls_on_site"]
    assert at.selectbox(key="preset").value == "safety_first"
    assert len(at.dataframe[0].value) == 5
    assert (at.dataframe[0].value["distance_km"] <= 200).all()


@pytest.mark.parametrize(("text", "message"), [
    ("\n".join(f"c{i} = 1" for i in range(300)), "has 300 entries"),
    (f'{"x" * 500} = 1', "longer than any criterion"),
    ("\n".join(f"made_up_{i} = 1" for i in range(9)),
     "made_up_0, made_up_1, made_up_2, made_up_3, made_up_4 and 4 more"),
])
def test_a_weights_file_is_bounded(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_weights(text).resolve(CHECKLIST)


def test_a_weights_file_must_be_a_small_regular_file():
    for path in ("/dev/zero", "/tmp"):
        with pytest.raises(ValueError, match="not a regular file|is a folder"):
            read_weights(path)
