"""AppTest: the Verify page (the NPI registry check, saving its findings as evidence, the evidence file's upload)
and what Data quality and History then show. Always on temporary copies of the data, against the loopback fake
registry (tests/fake_npi_registry.py): nothing leaves the machine."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from factory import csv_bytes, row
from fake_npi_registry import CASES, FakeRegistry, fake_npi_registry, registry_clinics
from streamlit.testing.v1 import AppTest
from test_app_analyst import open_page

from vetting.auth import hash_password
from vetting.evidence import evidence_store
from vetting.registry import NPI_CACHE_ENV, NPI_REGISTRY_URL_ENV

PASSWORD = "correct horse battery"
HASH = hash_password(PASSWORD)
EVIDENCE_HEADER = "clinic_id,field,value,method,source,checked_on,checked_by\n"
FIRST_EVIDENCE = "kc-1,physician_supervised,yes,phone,call with the clinic,2026-06-01,bob\n"


pytestmark = pytest.mark.usefixtures("fresh_throttle")  # tests/conftest.py
clinics = registry_clinics


@dataclass
class Setup:
    folder: Path
    fake: FakeRegistry

    @property
    def clinics(self) -> Path:
        return self.folder / "clinics.csv"

    @property
    def evidence(self) -> Path:
        return self.folder / "evidence.csv"

    def audit(self) -> list[dict]:
        return evidence_store(self.clinics).entries()


@pytest.fixture
def setup(tmp_path, monkeypatch) -> Iterator[Setup]:
    (tmp_path / "clinics.csv").write_bytes(csv_bytes(clinics()))
    (tmp_path / "evidence.csv").write_text(EVIDENCE_HEADER + FIRST_EVIDENCE, encoding="utf-8")
    monkeypatch.setenv("CLINICS_CSV", str(tmp_path / "clinics.csv"))
    monkeypatch.setenv(NPI_CACHE_ENV, str(tmp_path / "cache" / "npi.json"))
    with fake_npi_registry() as fake:
        monkeypatch.setenv(NPI_REGISTRY_URL_ENV, fake.api_url)
        yield Setup(tmp_path, fake)


def sign_in(at: AppTest) -> AppTest:
    name = next(t for t in at.text_input if t.label == "Name")
    password = next(t for t in at.text_input if t.label == "Password")
    name.input("alice")
    password.input(PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert "Signed in as an analyst." in [s.value for s in at.success]
    return at


def signed_in(page: str) -> AppTest:
    return sign_in(open_page(page, {"alice": HASH}))


def plain(markup: str) -> str:
    """What an st.html paragraph reads as (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def shown(at: AppTest) -> str:
    """Everything the page shows as text: messages, text, paragraphs and tables (as CSV)."""
    parts = [e.value for kind in ("markdown", "caption", "text", "success", "info", "warning", "error", "title",
                                  "header", "subheader", "code") for e in getattr(at, kind)]
    parts += [plain(h.value) for h in at.html]
    parts += [d.value.to_csv() for d in at.dataframe]
    return "\n".join(map(str, parts))


def labels(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def check_online(at: AppTest) -> AppTest:
    at.button(key="verify_check").click().run()
    assert not at.exception, at.exception
    return at


def save_findings(at: AppTest) -> AppTest:
    at.checkbox(key="verify_sure").check().run()
    at.button(key="verify_save").click().run()
    assert not at.exception, at.exception
    return at


# ---------------------------------------------------------------------- signed out


@pytest.mark.parametrize("accounts", [None, {"alice": HASH}])
def test_signed_out_nothing_is_offered(setup, accounts):
    at = open_page("pages/verify.py", accounts)
    assert not at.exception
    assert at.title[0].value == "Verify records"
    assert not at.file_uploader and not at.download_button and not at.checkbox
    assert "Check online now" not in labels(at) and "Save these findings as evidence" not in labels(at)
    assert not at.dataframe
    if accounts is None:
        assert "hash-password" in at.info[0].value
    else:
        assert labels(at) == ["Sign in"]
    assert setup.fake.requests == []


# ---------------------------------------------------------------------- the registry check


def test_nothing_is_sent_before_the_button_and_the_page_says_so(setup):
    at = signed_in("pages/verify.py")
    assert not at.exception
    assert "Check online now" in labels(at)
    text = shown(at)
    assert "Requests go to 127.0.0.1, at most one every 0.34 s" in text
    assert str(setup.fake.url.rsplit(":", 1)[1]) not in "\n".join(h.value for h in at.html)  # the host, no port
    assert ("Nothing has been fetched from the registry yet for the 6 NPIs of these 4 clinics: press "
            "\u201cCheck online now\u201d to ask it.") in text
    assert "Save these findings as evidence" not in text  # nothing to save before anything was fetched
    at.selectbox(key="verify_scope").set_value("kc-2").run()  # choosing clinics sends nothing either
    assert not at.exception
    assert "Nothing has been fetched from the registry yet for the 2 NPIs of this clinic" in shown(at)
    assert setup.fake.requests == []


def test_check_online_shows_the_findings_and_one_line_per_failed_npi(setup):
    at = check_online(signed_in("pages/verify.py"))
    assert sorted(setup.fake.asked()) == sorted({r["npi"] for r in clinics() if r["npi"]}
                                                | {r["medical_director_npi"] for r in clinics()
                                                   if r["medical_director_npi"]})
    text = shown(at)
    assert "This check: " in text and "6 NPI(s) of 4 clinic(s): 5 fetched from the NPI registry" in text
    table = at.dataframe[0].value
    assert list(table.columns)[:4] == ["clinic_id", "name", "NPI of", "NPI"]
    south = table[(table["clinic_id"] == "kc-2") & (table["NPI of"] == "clinic")].iloc[0]
    assert south["same state"] == "no" and "TX, not CO" in south["findings"]
    assert table.loc[table["clinic_id"] == "kc-3", "in the registry"].tolist() == ["no"]
    assert [s.value for s in at.subheader] == ["Where the registry disagrees with the clinics file (3)",
                                               "Could not be checked (1)", "Save these findings as evidence"]
    lines = [plain(h.value) for h in at.html if plain(h.value).startswith("NPI ")]
    assert lines[0] == f"NPI {CASES['out_of_state'].npi} (kc-2, clinic): " + south["findings"]
    refused = CASES["refused"].npi
    failures = [plain(h.value) for h in at.html if f"NPI {refused}" in h.value]
    assert len(failures) == 1 and "(kc-4, clinic)" in failures[0] and "refused the query" in failures[0]
    assert "\u202e" not in failures[0]  # the registry's hidden characters are dropped
    # a rerun (ticking the box) keeps this check's report and sends nothing more
    asked = len(setup.fake.requests)
    at.checkbox(key="verify_sure").check().run()
    assert "This check: " in shown(at) and len(setup.fake.requests) == asked


def test_findings_saved_as_evidence_are_audited_and_data_quality_lists_them(setup):
    at = check_online(signed_in("pages/verify.py"))
    before = setup.evidence.read_text(encoding="utf-8")
    save_findings(at)
    assert [s.value for s in at.success if s.value.startswith("Saved ")] == [
        "Saved 13 registry row(s) as evidence, checked by you. The previous evidence file is kept (History)."]
    after = setup.evidence.read_text(encoding="utf-8")
    assert after.startswith(before)  # appended: every earlier row keeps its bytes
    added = after[len(before):].splitlines()
    assert len(added) == 13 and all(",registry," in r and r.endswith(",alice") for r in added)
    assert any(r.startswith("kc-2,state,TX,registry,") for r in added)
    (entry,) = setup.audit()
    assert entry["action"] == "registry" and entry["who"] == "alice" and entry["rows_after"] == 14
    # the same findings again: nothing new to save
    assert "already holds all 13 evidence row(s)" in shown(at)
    assert "Save these findings as evidence" not in labels(at)

    asked = len(setup.fake.requests)
    quality = open_page("pages/quality.py")
    assert not quality.exception
    assert len(setup.fake.requests) == asked  # Data quality never asks the registry
    headers = [h.value for h in quality.header]
    assert "Evidence that disagrees with the record (3)" in headers
    assert "NPI registry findings (3)" in headers
    disagree = next(d.value for d in quality.dataframe if "evidence_value" in d.value.columns)
    assert set(zip(disagree["clinic_id"], disagree["field"], disagree["file_value"], disagree["evidence_value"],
                   strict=True)) == {("kc-2", "state", "CO", "TX"),
                                     ("kc-2", "medical_director_specialty", "anesthesiology", "other"),
                                     ("kc-3", "npi", CASES["not_found"].npi, "")}
    findings = next(d.value for d in quality.dataframe if "NPI of" in d.value.columns)
    assert sorted(zip(findings["clinic_id"], findings["NPI of"], strict=True)) == [
        ("kc-2", "clinic"), ("kc-2", "director"), ("kc-3", "clinic")]
    assert "6 NPI(s) of 4 clinic(s): 0 fetched from the NPI registry, 5 from the cache, 0 failed, 1 not fetched; " \
           "3 record(s) where the registry disagrees with the file." in shown(quality)
    assert "Critical criteria without evidence" in " ".join(headers)
    names = [d.label for d in quality.download_button]
    assert "Download: evidence that disagrees with the record" in names
    assert "Download: NPI registry findings" in names


def test_data_quality_before_any_check_says_nothing_was_fetched_and_points_to_verify(setup):
    at = open_page("pages/quality.py")
    assert not at.exception
    assert "NPI registry findings (0)" in [h.value for h in at.header]
    assert "Nothing has been fetched from the NPI registry yet" in shown(at)
    assert "Evidence that disagrees with the record (0)" in [h.value for h in at.header]
    assert any(p.proto.page.endswith("verify.py") or "verify" in p.proto.page for p in at.get("page_link"))
    assert setup.fake.requests == []


def test_a_broken_evidence_file_is_listed_on_data_quality_by_row_and_column(setup):
    setup.evidence.write_text(EVIDENCE_HEADER + "kc-99,physician_supervised,yes,phone,x,2026-06-01,bob\n",
                              encoding="utf-8")
    at = open_page("pages/quality.py")
    assert not at.exception
    assert "Problems in the evidence file (1)" in [h.value for h in at.header]
    problems = next(d.value for d in at.dataframe if list(d.value.columns) == ["row", "column", "problem"])
    assert problems.iloc[0]["row"] == 2 and problems.iloc[0]["column"] == "clinic_id"
    assert "is not the clinic_id of any clinic" in problems.iloc[0]["problem"]


# ---------------------------------------------------------------------- the evidence file


def upload(at: AppTest, data: bytes) -> AppTest:
    at.file_uploader[0].upload("evidence.csv", data, "text/csv").run()
    assert not at.exception, at.exception
    return at


def test_a_bad_evidence_upload_is_refused_by_row_and_column_and_nothing_changes(setup):
    before = setup.evidence.read_bytes()
    at = signed_in("pages/verify.py")
    assert [d.label for d in at.download_button] == ["Download the evidence file (CSV)"]
    bad = (EVIDENCE_HEADER + FIRST_EVIDENCE + "kc-99,physician_supervised,yes,phone,x,2026-06-01,bob\n"
           "kc-1,physician_supervised,yes,by pigeon,x,2026-06-01,bob\n").encode()
    upload(at, bad)
    assert at.error[0].value.startswith("2 problems found in this file: nothing was saved")
    problems = at.dataframe[-1].value
    assert list(zip(problems["row"], problems["column"], strict=True)) == [(3, "clinic_id"), (4, "method")]
    assert "Download the problems (CSV)" in [d.label for d in at.download_button]
    assert "Save" not in labels(at)
    assert setup.evidence.read_bytes() == before and setup.audit() == []


def test_a_good_evidence_upload_is_reviewed_saved_and_audited(setup):
    at = signed_in("pages/verify.py")
    new = (EVIDENCE_HEADER + FIRST_EVIDENCE + "kc-2,medical_screening,yes,document,intake form,2026-05-02,alice\n")
    upload(at, new.encode())
    text = shown(at)
    assert "1 → 2 evidence rows: 1 added, 0 removed." in text
    save = at.button(key="evidence_upload_save")
    assert save.disabled  # not before the review is confirmed
    at.text_input(key="evidence_upload_note").input("intake forms of kc-2").run()
    at.checkbox(key="evidence_upload_sure").check().run()
    at.button(key="evidence_upload_save").click().run()
    assert not at.exception
    assert setup.evidence.read_text(encoding="utf-8") == new
    (entry,) = setup.audit()
    assert entry["action"] == "upload" and entry["who"] == "alice" and entry["note"] == "intake forms of kc-2"
    assert entry["rows_before"] == 1 and entry["rows_after"] == 2
    assert "Saved: 1 → 2 evidence rows." in shown(at)
    assert not at.file_uploader[0].value  # a fresh uploader for the next file


def test_an_upload_that_removes_rows_needs_a_second_tick(setup):
    at = signed_in("pages/verify.py")
    upload(at, EVIDENCE_HEADER.encode())
    assert "1 → 0 evidence rows: 0 added, 1 removed." in shown(at)
    at.checkbox(key="evidence_upload_sure").check().run()
    assert at.button(key="evidence_upload_save").disabled
    next(c for c in at.checkbox if c.label == "Yes, remove 1 evidence row(s)").check().run()
    assert not at.button(key="evidence_upload_save").disabled


def test_an_evidence_upload_over_someone_elses_save_is_refused(setup):
    at = signed_in("pages/verify.py")
    upload(at, (EVIDENCE_HEADER + FIRST_EVIDENCE + "kc-2,medical_screening,yes,document,x,2026-05-02,alice\n")
           .encode())
    store = evidence_store(setup.clinics)
    theirs = (EVIDENCE_HEADER + FIRST_EVIDENCE + "kc-3,medical_screening,no,phone,y,2026-05-03,bob\n").encode()
    store.save(theirs, store.read()[1], who="bob", action="upload")
    at.checkbox(key="evidence_upload_sure").check().run()
    assert "The evidence file changed since you started" in shown(at)
    next(c for c in at.checkbox if c.label.startswith("Yes, remove")).check().run()  # bob's row is not in it
    at.button(key="evidence_upload_save").click().run()
    assert not at.exception
    assert "The evidence file changed since you loaded it. Nothing was saved" in at.error[0].value
    assert setup.evidence.read_bytes() == theirs and [e["who"] for e in setup.audit()] == ["bob"]


# ---------------------------------------------------------------------- history of the evidence file


def test_history_shows_the_evidence_files_saves_and_restores_one(setup):
    store = evidence_store(setup.clinics)
    original, h = store.read()
    store.save(original + b"kc-2,medical_screening,yes,document,x,2026-05-02,bob\n", h, who="bob",
               action="upload", note="one more")
    at = open_page("pages/history.py", {"alice": HASH})
    assert at.title[0].value == "History of the clinics data"
    assert at.info[0].value == "No saves yet: the data has not been changed through this app."
    at.radio(key="history_file").set_value("Evidence file").run()
    assert not at.exception
    assert at.title[0].value == "History of the evidence file"
    assert "who" not in at.dataframe[0].value and "one more" not in shown(at)  # signed out: what and when only
    sign_in(at)
    log = at.dataframe[0].value
    assert list(log["who"]) == ["bob"] and list(log["note"]) == ["one more"]
    assert "1 → 2 evidence rows: 1 added, 0 removed." in shown(at)
    assert any(o.endswith("· 2 evidence rows") for o in at.selectbox[1].options)
    at.selectbox[-1].set_value(h).run()
    next(b for b in at.button if b.label.startswith("Restore it")).click().run()
    assert not at.exception
    assert setup.evidence.read_bytes() == original
    assert store.entries()[-1]["action"] == "rollback" and store.entries()[-1]["who"] == "alice"


def test_the_registry_cache_file_holds_the_answers(setup):
    """The check writes its answers to $VETTING_NPI_CACHE (the temporary one), never the user's own cache."""
    check_online(signed_in("pages/verify.py"))
    cache = json.loads((setup.folder / "cache" / "npi.json").read_text(encoding="utf-8"))
    assert CASES["organisation"].npi in cache["entries"]


def test_hostile_registry_text_is_shown_as_plain_bounded_text(setup):
    setup.clinics.write_bytes(csv_bytes([*clinics(), row(clinic_id="kc-6", name="Kind Care Clinic",
                                                           npi=CASES["hostile"].npi)]))
    at = check_online(signed_in("pages/verify.py"))
    lines = [h.value for h in at.html if f"NPI {CASES['hostile'].npi}" in h.value]
    assert len(lines) == 1 and "EVIL CLINIC" in lines[0]
    assert not any(c in lines[0] for c in "\u202e\u0007") and len(lines[0]) < 600  # cut, invisible ones dropped
    table = at.dataframe[0].value
    (findings,) = table.loc[table["clinic_id"] == "kc-6", "findings"]
    assert "\u202e" not in findings and len(findings) < 600
