"""Referring physicians: must-have filtering, weights (presets, files, zero weights), the referral list."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
from decimal import ROUND_HALF_UP, Decimal
from html import escape as html_escape
from pathlib import Path

import pandas as pd
import pytest
from factory import TODAY as FACTORY_TODAY
from factory import csv_bytes, row
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from vetting import load_checklist, load_clinics, score, scored
from vetting.evidence import VERIFIED, compare, coverage, criterion_fields, load_evidence, verification
from vetting.export import EVIDENCE_REQUIRED, km_text, referral_sheet, reweighted_note, to_csv, whole_km
from vetting.geo import Place, directions_urls
from vetting.report import must_have_line, referral_list
from vetting.scoring import MET, UNKNOWN
from vetting.search import NOT_BACKED, PatientQuery, must_have_mask, search
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


# ------------------------------------------------------------------ evidence-backed must-haves (issue 14)
EVIDENCE_NAMES = ["clinic_id", "field", "value", "method", "source", "checked_on", "checked_by"]
MUST = ("physician_supervised", "acls_on_site")


def _evidence(clinic_id: str, field: str, value: str, checked_on: str, method: str = "phone",
              by: str = "analyst-a") -> dict[str, str]:
    return {"clinic_id": clinic_id, "field": field, "value": value, "method": method, "source": "test call",
            "checked_on": checked_on, "checked_by": by}


# Five clinics meeting every criterion by their records, but kc-5 whose record leaves ACLS unknown; the evidence
# backs both must-haves of kc-1, one of kc-2's, a disagreeing later check overrides kc-3's agreeing one, kc-4's
# only check disagrees, and kc-5's evidence says yes where its record does not say.
EVIDENCE_CLINICS = [row(clinic_id=f"kc-{i}", name=f"Clinic {i}") for i in range(1, 5)] + [
    row(clinic_id="kc-5", name="Clinic 5", acls_on_site="")]
EVIDENCE_ROWS = [
    _evidence("kc-1", "physician_supervised", "yes", "2026-10-03"),
    _evidence("kc-1", "acls_on_site", "Yes", "2026-09-14", method="website", by="analyst-b"),
    _evidence("kc-2", "physician_supervised", "yes", "2026-08-01"),
    _evidence("kc-3", "physician_supervised", "yes", "2026-02-01"),
    _evidence("kc-3", "physician_supervised", "no", "2026-07-01"),
    _evidence("kc-3", "acls_on_site", "yes", "2026-07-01"),
    _evidence("kc-4", "physician_supervised", "no", "2026-05-05"),
    _evidence("kc-4", "acls_on_site", "yes", "2026-05-05"),
    _evidence("kc-5", "physician_supervised", "yes", "2026-06-06"),
    _evidence("kc-5", "acls_on_site", "yes", "2026-06-06"),
]


@pytest.fixture(scope="module")
def backed():
    """The five clinics scored (index clinic_id), their states, the latest evidence beside the record and the
    verification, loaded from files written here as the app loads its own."""
    loaded = load_clinics(csv_bytes(EVIDENCE_CLINICS), today=FACTORY_TODAY)
    assert loaded.ok, loaded.errors
    scores = score(loaded.frame, CHECKLIST, today=FACTORY_TODAY)
    clinics = loaded.frame.join(scores.summary.drop(columns="clinic_id")).set_index("clinic_id", drop=False)
    states = scores.states.set_axis(clinics.index, axis=0)
    evidence = load_evidence(csv_bytes(EVIDENCE_ROWS, EVIDENCE_NAMES), clinics.index, FACTORY_TODAY)
    assert evidence.ok, evidence.errors
    compared = compare(clinics, evidence.frame)
    return clinics, states, compared, verification(states, compared, CHECKLIST)


def backed_by_the_rows(clinic_id: str, record: dict[str, str], fields: tuple[str, ...]) -> bool:
    """Worked out from the rows written, not by vetting: the record says yes to every field and the latest
    check of each (by date; a tie to the later row) says yes too."""
    def latest(field: str) -> dict[str, str] | None:
        mine = [r for r in EVIDENCE_ROWS if r["clinic_id"] == clinic_id and r["field"] == field]
        return max(reversed(mine), key=lambda r: r["checked_on"], default=None)

    return all(record[f] == "yes" and (r := latest(f)) is not None and r["value"].strip().lower() == "yes"
               for f in fields)


def test_evidence_backed_must_haves_keep_exactly_the_clinics_whose_must_haves_are_verified(backed):
    clinics, states, compared, verified = backed
    fields = tuple(CHECKLIST[m].evaluate["column"] for m in MUST)
    expected = [backed_by_the_rows(r["clinic_id"], r, fields) for r in EVIDENCE_CLINICS]
    assert any(expected) and not all(expected)  # the case narrows the list without emptying it
    for passes in (False, True):  # an unknown answer is never verified: letting it pass changes nothing
        mask = must_have_mask(states, MUST, passes, verified=verified)
        assert list(mask) == expected
        assert not (mask & ~must_have_mask(states, MUST, passes)).any()  # never more than without evidence
    q = PatientQuery(must_have=MUST, evidence_backed=True, hide_red_flags=False)
    found = search(clinics, q, TODAY, states=states, verified=verified)
    assert list(found.clinics["clinic_id"]) == [c for c, keep in zip(clinics.index, expected, strict=True) if keep]
    assert found.reasons[NOT_BACKED] == int(must_have_mask(states, MUST).sum()) - sum(expected)
    with pytest.raises(ValueError, match="verification"):
        search(clinics, q, TODAY, states=states)


def test_a_disagreeing_check_does_not_back_a_must_have(backed):
    clinics, states, compared, verified = backed
    disagreeing = {r["clinic_id"] for r in EVIDENCE_ROWS if r["field"] == "physician_supervised"
                   and r["value"] == "no"}
    assert disagreeing  # kc-3 (a later check overrides an agreeing one) and kc-4
    for cid in disagreeing:
        assert verified.loc[cid, "physician_supervised"] != VERIFIED
        assert not must_have_mask(states.loc[[cid]], ["physician_supervised"], verified=verified)[0]
    rows = referral_list(clinics.loc[sorted(disagreeing)], states, ["physician_supervised"], CHECKLIST,
                         compared=compared, verified=verified)
    assert rows["must-have evidence"].str.contains("disagrees with the record").all()


def test_the_list_and_the_sheet_say_how_each_must_have_is_backed(backed):
    clinics, states, compared, verified = backed
    keep = must_have_mask(states, MUST, verified=verified)
    rows = referral_list(clinics[keep], states, list(MUST), CHECKLIST, compared=compared, verified=verified)
    first = EVIDENCE_ROWS[0]  # kc-1's physician check, by phone
    assert rows.loc[0, "clinic_id"] == first["clinic_id"]
    physician = CHECKLIST["physician_supervised"].label
    assert f"{physician}: verified {first['checked_on']} by phone ({first['checked_by']})" in rows.loc[
        0, "must-have evidence"]
    counts = coverage(verified.loc[clinics[keep].index])
    assert list(rows["evidence coverage"]) == [f"{d} of {a}" for d, a in zip(counts["verified"],
                                                                             counts["applicable"], strict=True)]
    page = referral_sheet(rows, [must_have_line(MUST, CHECKLIST, False, evidence_backed=True)], TODAY,
                          evidence_required=True)
    printed = sheet_rows(page)
    assert f"verified {first['checked_on']} by phone" in printed[0]["Must-have evidence"]
    assert [r["Evidence coverage"] for r in printed] == list(rows["evidence coverage"])
    assert EVIDENCE_REQUIRED[True] in html.unescape(page) and "each backed by evidence" in page
    not_required = referral_sheet(rows, [], TODAY, evidence_required=False)
    assert "Must-haves backed by evidence: not required" in not_required
    text = to_csv(rows)  # the CSV download carries the same columns
    assert "must-have evidence" in text.splitlines()[0] and "evidence coverage" in text.splitlines()[0]
    assert f"verified {first['checked_on']} by phone" in text
    # without the evidence frames (callers from before): no evidence columns, nothing said about evidence
    plain = referral_list(clinics[keep], states, list(MUST), CHECKLIST)
    assert "must-have evidence" not in plain and "evidence coverage" not in plain
    assert "backed by evidence" not in referral_sheet(plain, [], TODAY)


@pytest.fixture
def sample_copy(tmp_path, monkeypatch) -> Path:
    """The sample's clinics and evidence files, copied where the app will read them ($CLINICS_CSV)."""
    for name in ("clinics.csv", "evidence.csv"):
        shutil.copy(REPO / "data" / name, tmp_path / name)
    monkeypatch.setenv("CLINICS_CSV", str(tmp_path / "clinics.csv"))
    return tmp_path / "clinics.csv"


def page_count_line(at: AppTest) -> str:
    """The bold 'N clinics ...; M shown.' line, as its text."""
    return next(html.unescape(re.sub(r"<[^>]+>", "", h.value)) for h in at.html
                if " clinic" in h.value and " shown." in h.value)


def test_the_page_narrows_to_evidence_backed_must_haves(sample_copy):
    today = dt.date.today()  # the page scores as of today
    frame = load_clinics(sample_copy, today=today).frame
    scores = score(frame, CHECKLIST, today=today)
    clinics = frame.join(scores.summary.drop(columns="clinic_id")).set_index("clinic_id", drop=False)
    states = scores.states.set_axis(clinics.index, axis=0)
    evidence = load_evidence(sample_copy.with_name("evidence.csv"), clinics.index, today)
    assert evidence.ok, evidence.errors[:3]
    verified = verification(states, compare(clinics, evidence.frame), CHECKLIST)
    no_flag = (clinics["n_red_flags"] == 0).to_numpy()  # the page hides clinics with a red flag by default

    def shown(criterion: str, evidence_backed: bool) -> int:
        mask = must_have_mask(states, [criterion], verified=verified if evidence_backed else None)
        return int((mask & no_flag).sum())

    # the first criterion that evidence backs for some clinics but not all of those that meet it
    criterion = next(c for c in IDS if 0 < shown(c, True) < shown(c, False))
    expected, without = shown(criterion, True), shown(criterion, False)

    at = referral_app(must=criterion, evidence="1", top="50")
    assert not at.exception
    assert at.checkbox(key="evidence").value is True and at.query_params["evidence"] in ("1", "true")
    count = page_count_line(at)
    assert count.endswith(f"; {expected} shown.") and NOT_BACKED in count, count
    assert len(at.dataframe[0].value) == min(expected, 50)
    assert (at.dataframe[0].value["must-have evidence"].str.contains(": verified ")).all()
    assert must_have_line([criterion], CHECKLIST, False, evidence_backed=True) in [c.value for c in at.caption]

    at.checkbox(key="evidence").uncheck().run()
    assert page_count_line(at).endswith(f"; {without} shown.") and without > expected
    assert "evidence" not in at.query_params


def test_the_page_says_plainly_when_evidence_leaves_nothing(sample_copy):
    # The sample's evidence without a row for the columns one criterion reads: evidence backs it for no clinic.
    criterion = CHECKLIST.criteria[0].id
    file = sample_copy.with_name("evidence.csv")
    lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = set(criterion_fields(CHECKLIST[criterion]))
    kept = [lines[0], *(x for x in lines[1:] if x.split(",")[1] not in fields)]
    assert len(kept) < len(lines)  # the sample has evidence for it: removed here
    file.write_text("".join(kept), encoding="utf-8")
    at = referral_app(must=criterion, evidence="1")
    assert not at.exception
    assert page_count_line(at).endswith("; 0 shown.")
    without = int(re.search(r"(\d+) shown", page_count_line(referral_app(must=criterion))).group(1))
    warning = " ".join(w.value for w in at.warning)
    assert "No clinic is left" in warning and "Turn off “Only must-haves backed by evidence”" in warning
    assert f"to list the {without} that meet them" in warning and without > 0
