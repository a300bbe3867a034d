"""AppTest: analyst pages signed out (no editing control reachable) and signed in (upload, review, save,
edit, geocode, history, rollback), always on a temporary copy of the data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from factory import csv_bytes, row
from streamlit.testing.v1 import AppTest

from vetting import load_clinics
from vetting.auth import hash_password
from vetting.store import Store

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).parent / "corpus"
PASSWORD = "correct horse battery"
HASH = hash_password(PASSWORD)
EDIT_PAGES = ["pages/upload.py", "pages/edit.py"]


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "clinics.csv"
    shutil.copy(CORPUS / "valid.csv", path)
    monkeypatch.setenv("CLINICS_CSV", str(path))
    return path


def open_page(page: str, accounts: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
    if accounts is not None:
        at.secrets["analysts"] = accounts
    at.switch_page(page)
    return at.run()


def signed_in(page: str) -> AppTest:
    at = open_page(page, {"alice": HASH})
    at.text_input[0].input("alice")
    at.text_input[1].input(PASSWORD)
    at.button[0].click()
    at.run()
    assert "Signed in as **alice**" in at.success[0].value
    return at


@pytest.mark.parametrize("page", EDIT_PAGES + ["pages/history.py"])
def test_without_accounts_pages_are_read_only_and_say_how_to_enable(data, page):
    at = open_page(page)
    assert not at.exception
    assert not at.file_uploader and not at.get("arrow_data_editor") and not at.text_input
    assert all(b.label not in ("Save", "Fill missing coordinates") for b in at.button)
    if page != "pages/history.py":
        assert "hash-password" in at.info[0].value


@pytest.mark.parametrize("page", EDIT_PAGES)
def test_signed_out_sees_only_the_sign_in_form(data, page):
    at = open_page(page, {"alice": HASH})
    assert [t.label for t in at.text_input] == ["Name", "Password"]
    assert not at.file_uploader and [b.label for b in at.button] == ["Sign in"]


def test_wrong_password_is_refused(data):
    at = open_page("pages/upload.py", {"alice": HASH})
    at.text_input[0].input("alice")
    at.text_input[1].input("not the password")
    at.button[0].click()
    at.run()
    assert "wrong" in at.error[0].value and not at.file_uploader


def test_upload_with_errors_lists_them_and_saves_nothing(data):
    before = data.read_bytes()
    at = signed_in("pages/upload.py")
    at.file_uploader[0].upload("bad.csv", (CORPUS / "many_problems.csv").read_bytes(), "text/csv").run()
    assert "8 problems found" in at.error[0].value
    problems = at.dataframe[0].value
    assert list(problems["row"])[:2] == [2, 2] and problems["column"].iloc[0] == "rating"
    assert at.download_button[0].label == "Download the problems (CSV)"
    assert not [b for b in at.button if b.label == "Save"]
    assert data.read_bytes() == before


def test_upload_review_and_save(data):
    new = (CORPUS / "valid.csv").read_text().replace("Harbor Test Clinic", "Harbour Test Clinic")
    at = signed_in("pages/upload.py")
    at.file_uploader[0].upload("new.csv", new.encode(), "text/csv").run()
    assert any("0 added, 0 removed, 1 changed (1 field); 0 grades move." in m.value for m in at.markdown)
    save = next(b for b in at.button if b.label == "Save")
    assert save.disabled  # nothing saves before the analyst confirms the review
    at.checkbox[0].check().run()
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception
    assert data.read_text() == new
    entry = Store(data).entries()[-1]
    assert entry["who"] == "alice" and entry["action"] == "upload"
    assert any("Saved" in s.value for s in at.success)


def test_upload_over_the_size_limit_is_refused(data):
    at = signed_in("pages/upload.py")
    at.file_uploader[0].upload("big.csv", b"x" * (10 * 1024 * 1024 + 1), "text/csv").run()
    assert "the limit is 10 MB" in at.error[0].value


def test_geocode_fills_missing_coordinates_after_review(data):
    at = signed_in("pages/edit.py")
    assert "**1** clinic(s) have no coordinates" in " ".join(m.value for m in at.markdown)
    next(b for b in at.button if b.label == "Fill missing coordinates").click().run()
    assert any("1 changed (2 fields)" in m.value for m in at.markdown)
    at.checkbox[-1].check().run()
    next(b for b in at.button if b.label == "Save" and not b.disabled).click().run()
    assert Store(data).entries()[-1]["action"] == "geocode"
    assert "39.7" in data.read_text()


def test_history_lists_saves_and_rolls_back(data):
    store = Store(data)
    original, h = store.read()
    before = set(load_clinics(original).frame["clinic_id"])
    store.save(csv_bytes([row(clinic_id="only")]), h, who="bob")
    at = open_page("pages/history.py", {"alice": HASH})
    log = at.dataframe[0].value
    assert list(log["who"]) == ["bob"]
    # the two versions compared by default: the original (older) and bob's save (newer)
    assert f"1 added, {len(before)} removed, 0 changed" in " ".join(m.value for m in at.markdown)
    at.text_input[0].input("alice")
    at.text_input[1].input(PASSWORD)
    at.button[0].click()
    at.run()
    at.selectbox[-1].set_value(h).run()
    next(b for b in at.button if b.label.startswith("Restore it")).click().run()
    assert data.read_bytes() == original
    assert store.entries()[-1]["action"] == "rollback" and store.entries()[-1]["who"] == "alice"


def test_quality_page_lists_and_downloads(data):
    at = open_page("pages/quality.py")
    assert not at.exception
    titles = [s.value for s in at.subheader]
    assert any(t.startswith("Critical criteria not verified") for t in titles)
    assert any(t.startswith("Likely duplicates (") for t in titles)
    assert len(at.download_button) == len(titles)
