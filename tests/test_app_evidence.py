"""AppTest: the evidence behind every answer on Clinic details (verified, stated, disagreeing; the coverage
metric; the NPI registry's cached findings), and analysts recording evidence there (saved and audited, refused
with its row and column, refused as a conflict), always on temporary copies of the data.

The clinics and the evidence are written by each test (tests/factory.py): every expectation is derived from
them, none copied from the bundled sample.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from factory import csv_bytes, row
from streamlit.testing.v1 import AppTest

from vetting import load_checklist, load_clinics, score
from vetting.auth import hash_password
from vetting.evidence import (
    EVIDENCE_CONTRACT,
    METHOD_WORDS,
    compare,
    coverage,
    criterion_fields,
    evidence_path,
    evidence_store,
    load_evidence,
    verification,
)
from vetting.npi import complete
from vetting.online import DiskCache
from vetting.registry import NPI_CACHE_ENV
from vetting.scoring import MET
from vetting.store import content_hash

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
HASH = hash_password(PASSWORD)
RULES = load_checklist()
TODAY = dt.date.today()
CLINIC_NPI, DIRECTOR_NPI = complete("123456789"), complete("987654321")
CLINICS = [  # the first clinic answers every question and lists its NPIs; the second answers one critical no
    row(clinic_id="kc-ev-1", name="Evidence Test Clinic", npi=CLINIC_NPI, medical_director_name="Dana Example",
        medical_director_npi=DIRECTOR_NPI),
    row(clinic_id="kc-ev-2", name="Second Test Clinic", physician_supervised="no", zip="80202", city="Denver",
        latitude="39.7508", longitude="-104.9966"),
]
CLINIC = CLINICS[0]["clinic_id"]


pytestmark = pytest.mark.usefixtures("fresh_throttle")  # tests/conftest.py
@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    """The clinics file (CLINICS) in a temporary folder, served by the app; an empty NPI registry cache."""
    path = tmp_path / "clinics.csv"
    path.write_bytes(csv_bytes(CLINICS))
    monkeypatch.setenv("CLINICS_CSV", str(path))
    monkeypatch.setenv(NPI_CACHE_ENV, str(tmp_path / "npi-cache.json"))
    return path


# --- the data's own view of itself -------------------------------------------------------------------------


def scored(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = load_clinics(path, today=TODAY).frame
    s = score(frame, RULES, today=TODAY)
    clinics = frame.join(s.summary.drop(columns="clinic_id")).set_index("clinic_id", drop=False)
    return clinics, s.states.set_axis(clinics.index, axis=0)


def answered(path: Path, clinic: str, state: int) -> list:
    """The tristate criteria of `clinic` whose state is `state` (a record that answers yes, or no)."""
    states = scored(path)[1].loc[clinic]
    return [c for c in RULES.criteria if c.evaluate.get("kind") == "tristate" and states[c.id] == state]


def recorded(path: Path, clinic: str, field: str) -> str:
    """The clinics file's text for one field of one clinic."""
    return next(r[field] for r in csv.DictReader(io.StringIO(path.read_text())) if r["clinic_id"] == clinic)


def write_evidence(path: Path, rows: list[dict[str, str]]) -> Path:
    file = evidence_path(path)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(EVIDENCE_CONTRACT.names), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    file.write_text(out.getvalue(), encoding="utf-8")
    return file


def evidence_row(clinic: str, field: str, value: str, method: str, days_ago: int, who: str) -> dict[str, str]:
    return {"clinic_id": clinic, "field": field, "value": value, "method": method,
            "source": "test: written by tests/test_app_evidence.py", "checked_on":
            (TODAY - dt.timedelta(days=days_ago)).isoformat(), "checked_by": who}


# --- the app ------------------------------------------------------------------------------------------------


def open_clinic(clinic: str = CLINIC, accounts: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
    if accounts is not None:
        at.secrets["analysts"] = accounts
    at.query_params["clinic"] = clinic
    at.switch_page("pages/clinic.py")
    return at.run()


def signed_in_clinic(clinic: str = CLINIC) -> AppTest:
    """Sign in as alice on Upload data (the sign-in form), then open the clinic's page in the same session."""
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
    at.secrets["analysts"] = {"alice": HASH}
    at.switch_page("pages/upload.py")
    at.run()
    at.text_input[0].input("alice")
    at.text_input[1].input(PASSWORD)
    at.button[0].click()
    at.run()
    assert [s.value for s in at.success][:1] == ["Signed in as an analyst."]
    at.query_params["clinic"] = clinic
    at.switch_page("pages/clinic.py")
    at.run()
    assert not at.exception
    return at


def page_text(at: AppTest) -> str:
    """What the page shows, as a reader sees it: HTML without its tags (entities decoded), and every message."""
    parts = [html.unescape(re.sub(r"<[^>]+>", "", h.value)) for h in at.html]
    parts += [e.value for kind in ("markdown", "caption", "text", "success", "info", "warning", "error")
              for e in getattr(at, kind)]
    return " ".join(" ".join(parts).split())


def criterion_item(at: AppTest, label: str) -> str:
    """The text of one criterion's card (vetting.report.criteria_html)."""
    body = next(h.value for h in at.html if 'class="kc-list"' in h.value)
    for item in re.findall(r'<li class="kc-item[^"]*">(.*?)</li>', body, flags=re.S):
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split())
        if html.escape(label) in item:
            return text
    raise AssertionError(f"no criterion card for {label!r}")


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def form_parts(at: AppTest):
    return [e for e in at.button if e.label == "Record evidence"]


def choose(at: AppTest, what: str) -> None:
    at.selectbox(key=f"evidence_what_{CLINIC}").set_value(what)
    at.run()


def fill(at: AppTest, method: str, source: str) -> None:
    next(s for s in at.selectbox if s.label == "How it was checked").set_value(method)
    next(t for t in at.text_input if t.label.startswith("Source")).input(source)


# --- patients: the evidence behind each answer -------------------------------------------------------------


def test_a_verified_answer_says_when_how_and_by_whom_and_a_disagreement_is_shown(data):
    yes = answered(data, CLINIC, MET)[:2]
    agreeing = evidence_row(CLINIC, yes[0].evaluate["column"], recorded(data, CLINIC, yes[0].evaluate["column"]),
                            "visit", 12, "tester-a")
    # A check that found the opposite of the record, for the second criterion the record answers yes.
    field = yes[1].evaluate["column"]
    opposite = "no" if recorded(data, CLINIC, field) == "yes" else "yes"
    disagreeing = evidence_row(CLINIC, field, opposite, "phone", 3, "tester-b")
    write_evidence(data, [agreeing, disagreeing])
    at = open_clinic()
    assert not at.exception
    item = criterion_item(at, yes[0].label)
    assert f"✓ verified {agreeing['checked_on']} {METHOD_WORDS['visit']} (tester-a)" in item, item
    other = criterion_item(at, yes[1].label)
    assert "Evidence disagrees" in other and agreeing["checked_on"] not in other, other
    assert disagreeing["checked_on"] in other and METHOD_WORDS["phone"] in other and f"'{opposite}'" in other
    assert "✓ verified" not in other
    # A criterion the record answers but nobody checked says so; scores never move with evidence.
    unchecked = answered(data, CLINIC, MET)[2]
    assert "has not been verified" in criterion_item(at, unchecked.label)
    clinics, _ = scored(data)
    assert metric(at, "Score") == f"{clinics.loc[CLINIC, 'score']:.0f} / 100"
    assert metric(at, "Grade") == clinics.loc[CLINIC, "grade"]


def test_the_coverage_metric_is_the_share_evidence_backs(data):
    yes = answered(data, CLINIC, MET)
    reviews = next(c for c in RULES.criteria if len(criterion_fields(c)) == 2)
    rows = [evidence_row(CLINIC, c.evaluate["column"], recorded(data, CLINIC, c.evaluate["column"]), "website", i,
                         "tester") for i, c in enumerate(yes[:3])]
    rows += [evidence_row(CLINIC, f, recorded(data, CLINIC, f), "document", 1, "tester")
             for f in criterion_fields(reviews)]
    write_evidence(data, rows)
    clinics, states = scored(data)
    evidence = load_evidence(evidence_path(data), clinics.index, TODAY).frame
    expected = coverage(verification(states, compare(clinics, evidence), RULES)).loc[CLINIC].astype(int)
    at = open_clinic()
    assert not at.exception
    assert expected["verified"] == 4  # three yes/no answers and the reviews (both of its fields)
    assert metric(at, "Evidence") == f"{expected['verified']} of {expected['applicable']}"
    assert f"Evidence backs {expected['verified']} of {expected['applicable']} criteria" in \
        next(m for m in at.metric if m.label == "Evidence").help
    assert "✓ verified" in criterion_item(at, reviews.label)


def test_an_unreadable_evidence_file_shows_no_evidence_and_a_neutral_line(data):
    yes = answered(data, CLINIC, MET)[0]
    bad = evidence_row(CLINIC, yes.evaluate["column"], "maybe", "phone", 1, "tester")
    write_evidence(data, [bad])
    at = open_clinic()
    assert not at.exception
    text = page_text(at)
    assert "could not be read, so none is shown" in text
    assert "Evidence:" not in text and "maybe" not in text and "row " not in text  # no details for patients
    assert "Evidence" not in [m.label for m in at.metric]


def test_npis_the_medical_director_and_the_registry_findings_are_shown_as_text(data, tmp_path):
    at = open_clinic()
    text = page_text(at)
    assert f"Clinic NPI: {CLINIC_NPI}" in text
    director = CLINICS[0]["medical_director_name"]
    assert f"Medical director: {director}, specialty: anesthesiology, NPI {DIRECTOR_NPI}" in text
    assert "NPI registry, fetched" not in text  # nothing in the cache: nothing claimed
    fetched = dt.datetime(2026, 10, 3, 12, tzinfo=dt.UTC)
    answer = {"result_count": 1, "results": [{
        "number": CLINIC_NPI, "enumeration_type": "NPI-2",
        "basic": {"organization_name": CLINICS[0]["name"], "status": "A"},
        "addresses": [{"address_purpose": "LOCATION", "state": "NM", "city": "Santa Fe"}], "taxonomies": []}]}
    DiskCache(tmp_path / "npi-cache.json").put(CLINIC_NPI, answer, fetched)
    text = page_text(open_clinic())
    assert f"NPI registry, fetched {fetched:%Y-%m-%d} (the clinic's NPI {CLINIC_NPI}): found, active" in text
    assert "practice location in another state" in text and "Its practice location is in NM, not CO." in text
    assert "Not proof of a licence." in text and "does not prove a licence" in text


# --- analysts: recording evidence ----------------------------------------------------------------------------


@pytest.mark.parametrize("accounts", [None, {"alice": HASH}])
def test_signed_out_visitors_see_no_form(data, accounts):
    at = open_clinic(accounts=accounts)
    assert not at.exception
    assert not form_parts(at) and not [e for e in at.expander if "Record evidence" in e.label]
    assert not [s for s in at.selectbox if s.label == "How it was checked"]


def test_recording_a_phone_verification_saves_one_audited_row_and_the_page_shows_it(data):
    criterion = answered(data, CLINIC, MET)[0]
    field = criterion.evaluate["column"]
    at = signed_in_clinic()
    choose(at, f"criterion:{criterion.id}")
    assert "has not been verified" in criterion_item(at, criterion.label)
    radio = next(r for r in at.radio if f"“{field.replace('_', ' ')}”" in r.label)
    assert radio.value == recorded(data, CLINIC, field)  # prefilled with the record's answer
    fill(at, "phone", "spoke to the front desk")
    form_parts(at)[0].click()
    at.run()
    assert not at.exception
    entries = evidence_store(data).entries()
    assert len(entries) == 1 and entries[0]["who"] == "alice" and entries[0]["action"] == "evidence"
    assert entries[0]["rows_after"] == 1
    saved = list(csv.DictReader(io.StringIO(evidence_path(data).read_text())))
    assert saved == [{"clinic_id": CLINIC, "field": field, "value": recorded(data, CLINIC, field), "method": "phone",
                      "source": "spoke to the front desk", "checked_on": TODAY.isoformat(), "checked_by": "alice"}]
    assert "Evidence saved." in [s.value for s in at.success]
    assert f"✓ verified {TODAY.isoformat()} {METHOD_WORDS['phone']} (alice)" in criterion_item(at, criterion.label)
    assert next(t for t in at.text_input if t.label.startswith("Source")).value == ""  # a fresh form for the next


def test_a_field_can_be_recorded_directly_prefilled_with_the_record(data):
    field = "medical_director_name"
    at = signed_in_clinic()
    choose(at, f"field:{field}")
    box = next(t for t in at.text_input if f"“{field.replace('_', ' ')}”" in t.label)
    assert box.value == recorded(data, CLINIC, field)
    fill(at, "registry", "https://npiregistry.example/?number=1")
    form_parts(at)[0].click()
    at.run()
    assert not at.exception
    saved = list(csv.DictReader(io.StringIO(evidence_path(data).read_text())))
    assert [(r["field"], r["value"], r["method"], r["checked_by"]) for r in saved] == \
        [(field, recorded(data, CLINIC, field), "registry", "alice")]
    assert len(evidence_store(data).entries()) == 1


def test_a_bad_value_is_refused_with_its_row_and_column_and_nothing_changes(data):
    earlier = evidence_row(CLINIC, answered(data, CLINIC, MET)[0].evaluate["column"], "yes", "visit", 5, "tester")
    file = write_evidence(data, [earlier])
    before = file.read_bytes()
    reviews = next(c for c in RULES.criteria if len(criterion_fields(c)) == 2)
    at = signed_in_clinic()
    choose(at, f"criterion:{reviews.id}")
    first = criterion_fields(reviews)[0]
    next(t for t in at.text_input if f"“{first.replace('_', ' ')}”" in t.label).input("maybe")
    fill(at, "phone", "the clinic's receptionist")
    form_parts(at)[0].click()
    at.run()
    assert not at.exception
    assert file.read_bytes() == before and evidence_store(data).entries() == []
    assert any("Nothing was saved" in e.value for e in at.error)
    problems = next(d.value for d in at.dataframe if "problem" in d.value.columns)
    new_row = 1 + 1 + 1  # the header, the earlier row, then the first of the two new rows (one per field)
    assert list(problems["row"]) == [new_row] and list(problems["column"]) == ["value"], problems
    assert first in problems["problem"].iloc[0]


def test_a_save_by_someone_else_after_the_form_was_shown_is_refused_and_kept(data):
    criterion = answered(data, CLINIC, MET)[0]
    field = criterion.evaluate["column"]
    file = write_evidence(data, [])
    at = signed_in_clinic()
    choose(at, f"criterion:{criterion.id}")  # the form is shown: its base is the file as it is now
    # Bob records a check of another field in the meantime, through the store.
    other = answered(data, CLINIC, MET)[1].evaluate["column"]
    current, current_hash = evidence_store(data).read()
    bobs = current + (",".join(evidence_row(CLINIC, other, "yes", "document", 0, "bob").values()) + "\n").encode()
    evidence_store(data).save(bobs, current_hash, who="bob", action="evidence")
    fill(at, "phone", "called them")
    form_parts(at)[0].click()
    at.run()
    assert not at.exception
    assert file.read_bytes() == bobs and content_hash(file.read_bytes()) != current_hash
    assert [e["who"] for e in evidence_store(data).entries()] == ["bob"]
    assert any("Nothing was saved" in e.value for e in at.error)
    assert "changed since you loaded it by bob" in page_text(at)
    assert f"{field}" not in [r["field"] for r in csv.DictReader(io.StringIO(file.read_text()))]


# --- the report's evidence lines, and How scores work --------------------------------------------------------


def test_criteria_html_marks_each_kind_of_evidence_in_words_and_escapes_it(data):
    from vetting.evidence import Backing
    from vetting.report import criteria_html

    _, states = scored(data)
    ids = [c.id for c in answered(data, CLINIC, MET)[:4]]
    sentences = {ids[0]: "Evidence: verified 2026-10-03 by phone (<b>x</b>).",
                 ids[1]: "Evidence: none yet. The record states this answer; it has not been verified.",
                 ids[2]: "Evidence disagrees: a check on 2026-10-03 by phone found '<img src=x>' where the record says "
                         "'yes'. Ask the clinic.",
                 ids[3]: "Evidence: none. The record does not say."}
    kinds = dict(zip(ids, ("verified", "stated", "disagrees", "none"), strict=True))
    backing = {i: Backing(kinds[i], text) for i, text in sentences.items()}
    body = criteria_html(states.loc[CLINIC], RULES, evidence=backing)
    assert "<b>" not in body and "<img" not in body and "&lt;img src=x&gt;" in body
    lines = dict(re.findall(r'<p class="kc-ev kc-ev-([a-z]+)">(.*?)</p>', body))
    text = {k: html.unescape(re.sub(r"<[^>]+>", "", v)) for k, v in lines.items()}
    assert text == {"verified": "Evidence: ✓ verified 2026-10-03 by phone (<b>x</b>).",
                    "stated": sentences[ids[1]], "disagrees": "⚠ " + sentences[ids[2]], "none": sentences[ids[3]]}
    assert 'class="kc-ev' not in criteria_html(states.loc[CLINIC], RULES)  # without evidence, as before


def test_methodology_explains_the_four_states_the_methods_and_the_registry(data):
    from vetting.evidence import METHODS, VERIFICATION_LABELS, VERIFICATION_MEANINGS

    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
    at.switch_page("pages/methodology.py")
    at.run()
    assert not at.exception
    assert [h.value for h in at.header] == ["The checklist", "How answers are verified", "Sources",
                                            "Facts worth knowing"]
    text = page_text(at)
    for label in VERIFICATION_LABELS.values():
        assert f"{label}: {VERIFICATION_MEANINGS[label]}" in text
    for method in METHODS:
        assert f"{method}: {METHOD_WORDS[method]}" in text
    assert "never changes a score" in text and "finding for the analysts" in text
    assert "does not prove a licence" in text


def test_text_from_the_files_is_never_markdown_or_html(data, monkeypatch):
    hostile = "[x](https://evil.example) **bold** <b>b</b>"
    rows = [dict(CLINICS[0], medical_director_name=hostile), CLINICS[1]]
    data.write_bytes(csv_bytes(rows))
    criterion = answered(data, CLINIC, MET)[0]
    field = criterion.evaluate["column"]
    write_evidence(data, [evidence_row(CLINIC, field, recorded(data, CLINIC, field), "website", 1, hostile)])
    at = signed_in_clinic()
    choose(at, "field:medical_director_name")
    assert not at.exception
    assert f"✓ verified {(TODAY - dt.timedelta(days=1)).isoformat()}" in criterion_item(at, criterion.label)
    assert f"({hostile})" in criterion_item(at, criterion.label)  # shown as the text it is
    widgets = [w for kind in ("radio", "text_input", "selectbox") for w in getattr(at, kind)]
    for element in [*at.markdown, *at.caption, *at.success, *at.error, *at.warning, *at.info]:
        assert "evil.example" not in element.value
    assert all("evil.example" not in (w.help or "") and "evil.example" not in w.label for w in widgets)
    for h in at.html:
        assert "<b>b</b>" not in h.value and 'href="https://evil' not in h.value
    assert f"The record's medical director name: {hostile}" in page_text(at)
