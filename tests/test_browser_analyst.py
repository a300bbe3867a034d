"""An analyst's round trip in a real browser: sign in, upload a broken file (every problem listed, nothing
saved), upload a fixed one (reviewed diff, audited save), see it on Find clinics, roll it back from History.
And a visitor who is not signed in sees no way to change anything.

The app runs on its own server here (not conftest's `app_server`): it needs analyst accounts and it writes
to the data file, so it serves a copy in a temporary folder ($CLINICS_CSV) with its own secrets file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from playwright.sync_api import expect

from testkit import sample
from testkit.browser import (
    RESULTS_CSV_ROWS,
    WAIT_MS,
    download_text,
    menu_link,
    no_exception,
    open_app,
    rerun,
    save_screenshot,
)
from testkit.server import REPO_ROOT, running_app
from vetting import load_clinics
from vetting.auth import hash_password

pytestmark = pytest.mark.browser

NAME, PASSWORD = "alice", "correct horse battery"
NOTE = "Name corrected, as on the clinic's own sign"
PROBLEMS_CSV = REPO_ROOT / "tests" / "corpus" / "many_problems.csv"
SHOTS = "analyst"  # screenshots: tests/screenshots/analyst-<step>.png


@dataclass(frozen=True)
class Renaming:
    """The clinic the round trip renames, and the town whose search on Find clinics lists it."""

    clinic_id: str
    old: str
    new: str
    town: str


@cache
def renaming() -> Renaming:
    """A clinic whose name stands once in the data file (a text replace renames it alone), within the default
    80 km of its own town, which has no more clinics than Find clinics' CSV download holds. The new name has a
    word put in, so neither name contains the other."""
    text = sample.SAMPLE.read_text(encoding="utf-8")
    towns = set(sample.city_searches())

    def town(clinic_id: str) -> str:
        row = sample.row(clinic_id)
        return f"{row['city']}, {row['state']}"

    def fits(clinic_id: str) -> bool:
        name = sample.names()[clinic_id]
        if text.count(name) != 1 or " " not in name or town(clinic_id) not in towns:
            return False
        area = sample.near(town(clinic_id), 80)
        return clinic_id in set(area["clinic_id"]) and len(area) <= RESULTS_CSV_ROWS

    clinic_id = sample.first(sample.names(), fits, "clinic with a name of its own near its town")
    old = sample.names()[clinic_id]
    first_word, rest = old.split(" ", 1)
    return Renaming(clinic_id, old, f"{first_word} Renamed {rest}", town(clinic_id))


@dataclass(frozen=True)
class AnalystApp:
    url: str  # base URL, no trailing slash
    folder: Path  # the temporary folder holding the data file, its history and the secrets
    log: Path
    original: bytes  # the data file's bytes when the server started

    @property
    def csv(self) -> Path:
        return self.folder / "clinics.csv"

    @property
    def history(self) -> Path:
        return self.folder / "history"

    @property
    def audit(self) -> Path:
        return self.history / "audit.jsonl"

    def audit_entries(self) -> list[dict]:
        if not self.audit.exists():
            return []
        return [json.loads(line) for line in self.audit.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def analyst_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalystApp]:
    """The app on a free port, serving a copy of the sample data file, with one analyst account (alice)."""
    folder = tmp_path_factory.mktemp("analyst_app")
    original = sample.SAMPLE.read_bytes()
    (folder / "clinics.csv").write_bytes(original)
    secrets = folder / "secrets.toml"
    secrets.write_text(f'[analysts]\n{NAME} = "{hash_password(PASSWORD)}"\n', encoding="utf-8")
    log_path = folder / "streamlit.log"

    with running_app(REPO_ROOT / "dashboard.py", log_path, ("--secrets.files", str(secrets)),
                     {"CLINICS_CSV": str(folder / "clinics.csv")}) as base_url:
        yield AnalystApp(base_url, folder, log_path, original)


@pytest.fixture
def tab(new_tab, analyst_app: AnalystApp):
    """A fresh browser context and tab; on failure a screenshot and this server's log tail are kept."""
    return new_tab(analyst_app.log)


# --- helpers ----------------------------------------------------------------------------------------------


def password_box(page):
    # "Show password" (the eye button) is labelled too: the textbox role picks the field itself.
    return page.get_by_role("textbox", name="Password")


def sign_in(page, signed_in) -> None:
    """Sign in through the page's form, unless this session is signed in already; `signed_in` is what the
    page shows an analyst (it must be visible at the end)."""
    form_name = page.get_by_role("textbox", name="Name", exact=True)
    expect(signed_in.or_(form_name).first).to_be_visible(timeout=WAIT_MS)
    if form_name.count():
        form_name.fill(NAME)
        password_box(page).fill(PASSWORD)
        rerun(page, lambda: page.get_by_role("button", name="Sign in", exact=True).click())
    expect(signed_in).to_be_visible(timeout=WAIT_MS)
    expect(form_name).to_have_count(0)


def upload(page, path: Path) -> None:
    rerun(page, lambda: page.locator('input[type="file"]').set_input_files(str(path)))


def click_label(page, label: str) -> None:
    """Tick or untick a checkbox or toggle by clicking its label, as a user does; wait for the rerun."""
    rerun(page, page.get_by_test_id("stCheckbox").filter(has_text=label).locator("label").click)


class Misbehaviour:
    """Things an analyst would notice that do not stop the round trip: all are checked, the test fails at the end
    listing every one (so one bug does not hide the steps after it)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def check(self, what: str, assertion: Callable[[], None]) -> None:
        try:
            assertion()
        except AssertionError as err:
            self.seen.append(f"{what}\n    {str(err).splitlines()[0]}")

    def assert_none(self) -> None:
        if self.seen:
            pytest.fail(
                "the round trip worked, but an analyst would notice:\n- " + "\n- ".join(self.seen), pytrace=False
            )


def newest_version(action: str) -> re.Pattern:
    """How History's "Newer" picker (newest version by default) names a version alice wrote with `action`."""
    return re.compile(rf"· {NAME} · {action} ·")


def pick_option(page, label: str, option: re.Pattern) -> None:
    def pick() -> None:
        page.get_by_role("combobox", name=label, exact=True).click()
        page.get_by_role("option", name=option).click()

    rerun(page, pick)


# --- the analyst's round trip -----------------------------------------------------------------------------


def test_upload_review_save_and_roll_back(tab, analyst_app: AnalystApp, tmp_path: Path):
    page, app = tab, analyst_app
    bugs = Misbehaviour()
    rename = renaming()

    # 1. Upload needs an analyst: the page offers a sign-in form; alice signs in.
    open_app(page, app.url + "/upload")
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload clinics data", timeout=WAIT_MS)
    expect(page.locator('input[type="file"]')).to_have_count(0)
    sign_in(page, page.get_by_text("Signed in as an analyst.", exact=True))
    expect(page.locator('input[type="file"]')).to_have_count(1, timeout=WAIT_MS)
    no_exception(page)
    save_screenshot(page, SHOTS, "1-signed-in")

    # 2. A file with problems: each is listed by row and column, nothing is saved.
    problems = load_clinics(PROBLEMS_CSV, today=dt.date.today(), locate=False).errors  # as Upload checks it
    assert len(problems) > 1, f"{PROBLEMS_CSV.name} should hold several problems: {problems}"
    upload(page, PROBLEMS_CSV)
    expect(page.get_by_text(re.compile(rf"^{len(problems)} problems found"))).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(1)
    expect(page.get_by_role("button", name="Save", exact=True)).to_have_count(0)
    no_exception(page)
    save_screenshot(page, SHOTS, "2-errors")
    rows = list(csv.DictReader(io.StringIO(download_text(page, "Download the problems (CSV)")[1])))
    assert len(rows) == len(problems), rows
    assert set(rows[0]) == {"row", "column", "problem"}, rows[0]
    listed = {(r["row"], r["column"], r["problem"]) for r in rows}
    assert listed == {(str(p.row), p.column, p.message) for p in problems}, rows
    assert all(r["row"] and r["column"] and r["problem"] for r in rows), rows
    assert app.csv.read_bytes() == app.original, "a rejected upload changed the data file"
    assert not app.audit_entries(), "a rejected upload wrote to the audit log"

    # 3. The fixed file: one clinic renamed. Review the diff, confirm, save.
    fixed = tmp_path / "clinics-fixed.csv"
    text = app.original.decode("utf-8")
    assert text.count(rename.old) == 1, f"expected {rename.old!r} exactly once in the sample"
    fixed.write_bytes(text.replace(rename.old, rename.new).encode("utf-8"))
    upload(page, fixed)
    expect(page.get_by_role("heading", name="Review the change")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("0 added, 0 removed, 1 changed (1 field); 0 grades move.", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"problems? found"))).to_have_count(0)
    save = page.get_by_role("button", name="Save", exact=True)
    expect(save).to_be_disabled()
    note = page.get_by_role("textbox", name="What is this change? (goes into the audit log)")
    rerun(page, lambda: (note.fill(NOTE), note.press("Enter")))
    expect(save).to_be_disabled()  # a note alone is not a confirmation
    save_screenshot(page, SHOTS, "3-review")
    click_label(page, "I have reviewed these changes")
    expect(page.get_by_role("checkbox", name="I have reviewed these changes")).to_be_checked()
    expect(save).to_be_enabled(timeout=WAIT_MS)
    rerun(page, save.click)
    expect(page.get_by_text(re.compile(r"^Saved: "))).to_be_visible(timeout=WAIT_MS)
    no_exception(page)
    save_screenshot(page, SHOTS, "3-saved")
    # Right under "Saved", the page must not call alice's own save a conflicting change by someone else.
    bugs.check(
        "Upload: after a successful save the page still holds the uploaded file and warns that the clinics file "
        "changed since you started (saved by alice) and that saving would be refused",
        lambda: expect(page.get_by_text(re.compile(r"changed since you started"))).to_have_count(0, timeout=3_000),
    )

    on_disk = app.csv.read_text(encoding="utf-8")
    assert rename.new in on_disk and rename.old not in on_disk
    backups = sorted(app.history.glob("*.csv"))
    assert len(backups) == 1, backups
    assert backups[0].read_bytes() == app.original, "the backup is not the replaced version"
    entries = app.audit_entries()
    assert len(entries) == 1, entries
    assert entries[0]["who"] == NAME and entries[0]["note"] == NOTE and entries[0]["action"] == "upload", entries[0]
    assert entries[0]["backup"] == backups[0].name, entries[0]

    # 4. Every page now shows the new name: Find clinics (via its CSV download) and the clinic's own page.
    # Following the success message's link keeps this session (alice stays signed in).
    rerun(page, page.get_by_role("link", name="See it on Find clinics").click)
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a ketamine therapy clinic", timeout=WAIT_MS)
    where = page.get_by_role("textbox", name="Where", exact=True)
    rerun(page, lambda: (where.fill(rename.town), where.press("Enter")))
    expect(page.get_by_text(re.compile("of " + re.escape(rename.town)))).to_be_visible(timeout=WAIT_MS)
    # The default search hides clinics with a red flag (the renamed one may have one): show them.
    page.get_by_role("button", name=re.compile(r"Filters")).click()  # the safety filters are behind it
    red = page.get_by_role("switch", name="Hide clinics with a red flag", exact=True)
    expect(red).to_be_visible(timeout=WAIT_MS)
    if red.is_checked():
        click_label(page, "Hide clinics with a red flag")
    expect(red).not_to_be_checked(timeout=WAIT_MS)
    no_exception(page)
    save_screenshot(page, SHOTS, "4-find")
    results = list(csv.DictReader(io.StringIO(download_text(page, "Download results (CSV)")[1])))
    names = [r.get("name") for r in results]
    assert rename.new in names, f"{rename.new!r} not among Find clinics' results for {rename.town}: {names}"
    assert rename.old not in names, names

    details = page.context.new_page()  # a second tab, so this one keeps its session
    try:
        open_app(details, app.url + f"/clinic?clinic={rename.clinic_id}")
        expect(details.get_by_role("heading", level=1)).to_have_text(rename.new, timeout=WAIT_MS)
        no_exception(details)
    finally:
        details.close()

    # 5. History lists the save; alice rolls back to the version before it.
    rerun(page, lambda: menu_link(page, "Analysts", "History").click())
    expect(page.get_by_role("heading", level=1)).to_have_text("History of the clinics data", timeout=WAIT_MS)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    # The table is a canvas; the version pickers name the save's author in plain text.
    newer = page.get_by_role("combobox", name="Newer", exact=True)
    expect(newer).to_have_value(newest_version("upload"), timeout=WAIT_MS)
    restore_from = page.get_by_role("combobox", name="Restore this version", exact=True)
    save_screenshot(page, SHOTS, "5-history")
    sign_in(page, restore_from)  # signed in on Upload, in this same session: normally no form here
    pick_option(page, "Restore this version", re.compile(r"\(before the first audited save\)"))
    restore = page.get_by_role("button", name="Restore it (a new, audited save)")
    expect(restore).to_be_visible(timeout=WAIT_MS)
    rerun(page, restore.click)
    no_exception(page)
    save_screenshot(page, SHOTS, "5-restored")
    bugs.check(
        "History: after 'Restore it' no confirmation is shown (pages/history.py calls st.success, then st.rerun, "
        "which wipes it)",
        lambda: expect(page.get_by_text(re.compile(r"^Restored [0-9a-f]{12}"))).to_be_visible(timeout=5_000),
    )

    assert app.csv.read_bytes() == app.original, "the rollback did not restore the original bytes"
    entries = app.audit_entries()
    assert len(entries) == 2, entries
    assert entries[1]["action"] == "rollback" and entries[1]["who"] == NAME, entries[1]
    # The page now lists the rollback as the newest version.
    expect(newer).to_have_value(newest_version("rollback"), timeout=WAIT_MS)

    bugs.assert_none()


# --- a visitor who is not signed in -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/edit", "/upload", "/history"])
def test_signed_out_visitor_cannot_change_data(tab, analyst_app: AnalystApp, path: str):
    page = tab
    before = analyst_app.csv.read_bytes()
    open_app(page, analyst_app.url + path)
    # History shows its sign-in form only once there is something to roll back to (after the round trip).
    if path != "/history" or analyst_app.audit_entries():
        expect(page.get_by_role("textbox", name="Name", exact=True)).to_be_visible(timeout=WAIT_MS)
        expect(password_box(page)).to_be_visible()
        expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    expect(page.locator('input[type="file"]')).to_have_count(0)
    for label in ("Save", "Fill missing coordinates", "Sign out", "Restore it (a new, audited save)"):
        expect(page.get_by_role("button", name=label, exact=True)).to_have_count(0)
    expect(page.get_by_role("combobox", name="Restore this version")).to_have_count(0)
    if path != "/history":  # History's audit table is a data grid too; Edit's row editor must not be there
        expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
        expect(page.get_by_test_id("stTabs")).to_have_count(0)
    no_exception(page)
    save_screenshot(page, SHOTS, f"6-signed-out-{path.strip('/')}")
    assert analyst_app.csv.read_bytes() == before
