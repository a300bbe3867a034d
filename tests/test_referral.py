"""Referring physicians: must-have filtering, weights (presets, files, zero weights), the referral list."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from html import escape as html_escape
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from vetting import load_checklist, load_clinics, score, scored
from vetting.export import km_text, referral_sheet, reweighted_note, whole_km
from vetting.geo import Place, directions_urls
from vetting.report import must_have_line, referral_list
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
def test_referral_list_says_once_what_all_rows_share_and_per_row_what_is_theirs():
    must = ("acls_on_site", "psychiatric_evaluation")
    q = PatientQuery(origin=Place(39.74, -104.99, "Denver, CO"), radius_km=200, must_have=must, unverified_passes=True)
    r = search(CLINICS, q, TODAY, states=SCORES.states)
    rows = referral_list(r.clinics, SCORES.states, must, CHECKLIST)
    assert list(rows["rank"]) == list(range(1, len(rows) + 1)) and len(rows) > 0
    acls = CHECKLIST["acls_on_site"].label
    for confirm, (_, clinic) in zip(rows["must-haves to confirm"], r.clinics.iterrows(), strict=True):
        state = SCORES.states.loc[clinic.name, "acls_on_site"]
        assert (acls in confirm) == (state == UNKNOWN)  # only a must-have this clinic's record leaves open
    assert rows["distance_km"].max() <= 200
    assert {"phone", "website", "address", "last_verified", "directions"} <= set(rows.columns)
    assert list(rows["last_verified"]) == list(r.clinics["last_verified"].dt.strftime("%Y-%m-%d"))
    assert must_have_line(must, CHECKLIST, True).startswith(f"Must-haves: {acls}; ")


def test_referral_sheet_has_date_criteria_and_disclaimer():
    rows = referral_list(CLINICS.head(3), SCORES.states, ["acls_on_site"], CHECKLIST)
    page = referral_sheet(rows, ["Must-haves: ACLS", "Location: Denver, CO"], TODAY, sample=True)
    assert "Prepared 2026-11-21" in page and "Must-haves: ACLS" in page and "Not medical advice" in page
    assert "fictional" in page and "size: landscape" in page and page.count("<tr>") == 4


def sheet_rows(page: str) -> list[dict[str, str]]:
    """The sheet's table as {header: cell text} per row (tags dropped, entities read)."""
    import html

    def cells(row: str, tag: str) -> list[str]:
        return [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", row)]

    table = re.search(r"<table>(.*)</table>", page, re.S).group(1)
    head = cells(re.search(r"<thead>(.*?)</thead>", table, re.S).group(1), "th")
    body = table.split("<tbody>")[1]
    return [dict(zip(head, cells(r, "td"), strict=True)) for r in re.findall(r"<tr>(.*?)</tr>", body)]


def test_a_sheet_graded_with_other_weights_says_so_and_gives_the_sites_grade():
    # A preset under which some clinic's grade is not the one patients see in the directory.
    preset, clinics = next((p, c) for p in CHECKLIST.presets
                           if ((c := scored(FRAME, weights=Weights(p).resolve(CHECKLIST), today=TODAY))["grade"]
                               != CLINICS["grade"]).any())
    moved = clinics.index[(clinics["grade"] != CLINICS["grade"]).to_numpy()][:3]
    rows = referral_list(clinics.loc[moved], SCORES.states, [], CHECKLIST, site=CLINICS)
    label = CHECKLIST.presets[preset].label
    page = referral_sheet(rows, ["Must-haves: none", reweighted_note(label)], TODAY)
    assert "Grades re-weighted for this patient" in page and label in page
    for printed, i in zip(sheet_rows(page), moved, strict=True):
        assert printed["Grade, these weights"] == clinics.loc[i, "grade"]
        assert printed["Grade on the site"] == CLINICS.loc[i, "grade"] != clinics.loc[i, "grade"]
    plain = referral_sheet(referral_list(CLINICS.loc[moved], SCORES.states, [], CHECKLIST), [], TODAY)
    assert "Grade on the site" not in plain and [r["Grade"] for r in sheet_rows(plain)] == list(
        CLINICS.loc[moved, "grade"])


def test_the_sheet_states_the_must_haves_once_and_dates_and_directs_every_clinic():
    must = ["acls_on_site", "psychiatric_evaluation"]
    labels = [CHECKLIST[m].label for m in must]
    found = search(CLINICS, PatientQuery(must_have=tuple(must)), TODAY, states=SCORES.states).clinics.head(5)
    assert len(found) > 1
    rows = referral_list(found, SCORES.states, must, CHECKLIST)
    page = referral_sheet(rows, [must_have_line(must, CHECKLIST, False)], TODAY)
    for label in labels:
        assert page.count(label) == 1, f"{label!r} is printed {page.count(label)} times, not once in the header"
    printed = sheet_rows(page)
    assert [r["Last verified"] for r in printed] == list(found["last_verified"].dt.strftime("%Y-%m-%d"))
    assert [r["Directions"] for r in printed] == ["Directions"] * len(found)
    links = re.findall(r'<a href="([^"]+)">Directions</a>', page)
    assert links == [html_escape(u) for u in directions_urls(found)]


def test_distances_read_the_same_in_the_list_on_the_page_and_on_the_sheet():
    # The browser shows "%.0f km" with JavaScript's toFixed: the nearest whole km, a tie going up, from the
    # exact distance. 116.46 km was listed as 116.5 (the page then showed 117) and printed as 116.
    picked = CLINICS.head(4).assign(distance_km=[116.46, 116.5, 2.5, 80.25])
    rows = referral_list(picked, SCORES.states, [], CHECKLIST)
    expected = [int(Decimal(d).quantize(Decimal(1), ROUND_HALF_UP)) for d in picked["distance_km"]]
    assert list(rows["distance_km"]) == expected == [116, 117, 3, 80]
    assert [int(r["km"]) for r in sheet_rows(referral_sheet(rows, [], TODAY))] == expected


@given(km=st.floats(0, 5000, allow_nan=False))
def test_whole_km_rounds_as_the_browser_does(km):
    expected = int(Decimal(km).quantize(Decimal(1), ROUND_HALF_UP))  # toFixed(0) on the exact double
    assert whole_km(pd.Series([km])).iloc[0] == expected and km_text(km) == f"{expected} km"


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
    assert (after["must-haves to confirm"] == "").all()  # each meets them: said once, above the table
    assert must_have_line(["acls_on_site", "psychiatric_evaluation"], CHECKLIST, False) in [c.value for c in at.caption]
    at.toggle(key="unverified_ok").set_value(True).run()
    lenient = at.dataframe[0].value
    assert len(lenient) >= len(after) and (lenient["must-haves to confirm"] != "").any()
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


def test_referral_page_reads_its_query_from_the_url_as_values_or_old_labels():
    criterion = CHECKLIST.criteria[0]
    preset = next(key for key, p in CHECKLIST.presets.items() if p.categories)  # not the default
    old_link = {"must": criterion.label, "preset": CHECKLIST.presets[preset].label}  # what links carried before
    for link in (old_link, {"must": criterion.id, "preset": preset}):
        at = referral_app(near="80903", radius="200", top="5", **link)
        assert at.multiselect(key="must").value == [criterion.id]
        assert at.selectbox(key="preset").value == preset
        assert at.query_params["must"] == criterion.id and at.query_params["preset"] == preset
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
