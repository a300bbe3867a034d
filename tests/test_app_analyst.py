"""AppTest: analyst pages signed out (no editing control reachable) and signed in (upload, review, save,
edit, geocode, history, rollback), always on a temporary copy of the data."""

from __future__ import annotations

import io
import shutil
import tomllib
from pathlib import Path

import pytest
from factory import csv_bytes, row
from streamlit.testing.v1 import AppTest

from ui.auth import _throttle
from vetting import load_clinics
from vetting.auth import hash_password
from vetting.cli import main
from vetting.store import Store

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).parent / "corpus"
PASSWORD = "correct horse battery"
HASH = hash_password(PASSWORD)
EDIT_PAGES = ["pages/upload.py", "pages/edit.py"]


pytestmark = pytest.mark.usefixtures("fresh_throttle")  # tests/conftest.py
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


def submit(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()


def is_signed_in(at: AppTest, name: str) -> bool:
    return ([s.value for s in at.success][:1] == ["Signed in as an analyst."]
            and f"Name: {name}" in [t.value for t in at.text])


def signed_in(page: str) -> AppTest:
    at = submit(open_page(page, {"alice": HASH}), "alice", PASSWORD)
    assert is_signed_in(at, "alice")
    return at


def shown(at: AppTest) -> str:
    """Everything the page shows as text: messages, text, tables (as CSV) and every picker's options."""
    parts = [e.value for kind in ("markdown", "caption", "text", "success", "info", "warning", "error", "title",
                                  "header", "subheader", "html") for e in getattr(at, kind)]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [str(o) for box in at.selectbox for o in box.options]
    return "\n".join(map(str, parts))


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
    at = submit(open_page("pages/upload.py", {"alice": HASH}), "alice", "not the password")
    assert "wrong" in at.error[0].value and not at.file_uploader


def test_a_right_password_in_a_fresh_session_signs_in_at_once_after_another_sessions_failures(data, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(_throttle(), "clock", lambda: now[0])  # the server's throttle, on a clock moved by hand
    attacker = open_page("pages/upload.py", {"alice": HASH})
    for _ in range(6):
        submit(attacker, "alice", "guess-guess-guess")
        assert "wrong" in attacker.error[0].value
        now[0] += 30.0  # each wait over (1, 2, 4 ... 30 s)
    submit(attacker, "alice", "guess-guess-guess")
    submit(attacker, "alice", PASSWORD)  # the attacker's session now waits 30 s, even with the right password
    assert attacker.error[0].value == ("Too many failed sign-ins from here, so this attempt was not checked. "
                                       "Try again in 30 seconds.")
    assert not is_signed_in(attacker, "alice")
    analyst = submit(open_page("pages/upload.py", {"alice": HASH}), "alice", PASSWORD)  # no time has passed
    assert not analyst.exception and is_signed_in(analyst, "alice") and analyst.file_uploader


@pytest.mark.parametrize("name", ["jane.doe", "Jane Doe", 'Jane "JD" Doe', "Zoë Ünal",
                                  "[x](https://evil.example) **bold** <b>b</b>"])
def test_a_name_made_by_hash_password_signs_in_and_is_shown_as_text(data, monkeypatch, capsys, name):
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["hash-password", name]) == 0
    analysts = tomllib.loads("[analysts]\n" + capsys.readouterr().out)["analysts"]
    at = submit(open_page("pages/upload.py", analysts), name, PASSWORD)
    assert not at.exception and is_signed_in(at, name) and at.file_uploader
    assert all(name not in e.value for kind in ("markdown", "success", "caption") for e in getattr(at, kind))


def test_a_bare_dotted_name_from_an_older_secrets_file_still_signs_in(data):
    at = submit(open_page("pages/upload.py", {"jane": {"doe": HASH}}), "jane.doe", PASSWORD)  # TOML: jane.doe = ...
    assert is_signed_in(at, "jane.doe")


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
    assert list(at.dataframe[0].value["action"]) == ["save"]
    # the two versions compared by default: the original (older) and bob's save (newer)
    assert f"1 added, {len(before)} removed, 0 changed" in " ".join(m.value for m in at.markdown)
    submit(at, "alice", PASSWORD)
    assert list(at.dataframe[0].value["who"]) == ["bob"]
    at.selectbox[-1].set_value(h).run()
    next(b for b in at.button if b.label.startswith("Restore it")).click().run()
    assert data.read_bytes() == original
    assert store.entries()[-1]["action"] == "rollback" and store.entries()[-1]["who"] == "alice"


def saved_by_bob(data: Path) -> tuple[Store, bytes, str, dict]:
    store = Store(data)
    original, h = store.read()
    entry = store.save(csv_bytes([row(clinic_id="only")]), h, who="bob.smith", note="only-analysts-read-this")
    return store, original, h, entry


@pytest.mark.parametrize("accounts", [None, {"alice": HASH}])
def test_history_signed_out_shows_what_and_when_but_not_who_or_notes(data, accounts):
    _, _, _, entry = saved_by_bob(data)
    at = open_page("pages/history.py", accounts)
    assert not at.exception
    log = at.dataframe[0].value
    assert list(log["action"]) == ["save"] and list(log["when"]) == [entry["when"]]
    assert list(log["rows_after"]) == [1] and "who" not in log and "note" not in log
    text = shown(at)
    assert "bob.smith" not in text and "only-analysts-read-this" not in text
    assert any(f"{entry['when']} · save · 1 clinics" in o for o in at.selectbox[1].options)


def test_history_signed_in_shows_who_and_notes(data):
    _, _, _, entry = saved_by_bob(data)
    at = submit(open_page("pages/history.py", {"alice": HASH}), "alice", PASSWORD)
    assert is_signed_in(at, "alice")
    log = at.dataframe[0].value
    assert list(log["who"]) == ["bob.smith"] and list(log["note"]) == ["only-analysts-read-this"]
    assert any(f"{entry['when']} · bob.smith · save ·" in o for o in at.selectbox[1].options)


def test_history_says_when_a_kept_copy_is_missing_instead_of_failing(data, tmp_path):
    store, _, h, entry = saved_by_bob(data)
    (store.history_dir / entry["backup"]).unlink()
    saved = data.read_bytes()
    for at in (open_page("pages/history.py", {"alice": HASH}),
               submit(open_page("pages/history.py", {"alice": HASH}), "alice", PASSWORD)):
        assert not at.exception
        assert [w.value for w in at.warning] == [
            "The kept copy of the older version is missing, so it cannot be shown or compared."]
        assert str(tmp_path) not in shown(at) and "Traceback" not in shown(at)
    at.selectbox[-1].set_value(h).run()  # signed in: try to restore the missing copy
    next(b for b in at.button if b.label.startswith("Restore it")).click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The kept copy of that version is missing, so it cannot be restored. Nothing was changed."]
    assert data.read_bytes() == saved and store.entries()[-1]["action"] == "save"


def test_quality_page_lists_and_downloads(data):
    at = open_page("pages/quality.py")
    assert not at.exception
    titles = [s.value for s in at.header]
    assert any(t.startswith("Critical criteria not verified") for t in titles)
    assert any(t.startswith("Likely duplicates (") for t in titles)
    # a download for each list that has something in it; an empty list says so and offers none
    assert len(at.download_button) == len([t for t in titles if not t.endswith("(0)")]) < len(titles)
