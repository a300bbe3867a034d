"""The referral builder, as a referring physician uses it: must-haves, a place, a preset, the downloads, the URL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import outside

pytestmark = pytest.mark.browser


PLACE = "Denver, CO"
MUST = {  # what is typed into the multiselect -> the criterion label it picks
    "ACLS": "An ACLS-certified clinician is present during treatment",
    "Psychiatric eval": "Psychiatric evaluation before treatment",
}
PRESET = "Safety first"
CSV_HEADER = ["rank", "clinic_id", "name", "grade", "score", "why it matched"]
COUNT_LINE = re.compile(r"^\d+ clinics? (within .+|in the directory).*; (\d+) shown\.$")
DEFAULT_TOP = 10  # "How many to list" starts at 10


def _record_requests(page, into: list[str]) -> None:
    page.on("request", lambda req: into.append(req.url))
    page.on("websocket", lambda ws: into.append(ws.url))


def _squash(text: str) -> str:
    return " ".join(text.split())


def _count_line(page) -> str:
    """The bold 'N clinics within ... ; M shown.' line above the referral table."""
    line = page.locator('[data-testid="stMarkdownContainer"] strong').filter(has_text=re.compile(r"shown\.$"))
    line.first.wait_for(state="visible")
    assert line.count() == 1, f"expected one count line, found {line.count()}"
    return _squash(line.inner_text())


def _shown(count_line: str) -> int:
    m = COUNT_LINE.match(count_line)
    assert m, f"count line not understood: {count_line!r}"
    return int(m.group(2))


def _info_text(page) -> str:
    box = page.locator('[data-testid="stAlertContentInfo"]').filter(has_text="Weights in effect")
    box.first.wait_for(state="visible")
    return _squash(box.first.inner_text())


def _first_clinic_in_table(page) -> str:
    """The 'Clinic' cell of the referral table's first row.

    The grid is drawn on a canvas; its cells are also in an accessible <table> inside the canvas (only the
    columns in view), whose text is read with text_content (nothing in a canvas is "rendered" text).
    """
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(state="visible")
    header_cells = grid.locator('table[role="grid"] thead th')
    header_cells.first.wait_for(state="attached")
    headers = [_squash(t) for t in header_cells.all_text_contents()]
    assert "Clinic" in headers, f"no 'Clinic' column in the referral table; headers: {headers}"
    cells = grid.locator('table[role="grid"] tbody tr').first.locator("td")
    return _squash(cells.nth(headers.index("Clinic")).text_content() or "")


def _chips(page, label: str) -> list[str]:
    """The values chosen in the multiselect labelled `label`, in order."""
    box = page.get_by_test_id("stMultiSelect").filter(has=page.get_by_role("combobox", name=label, exact=True))
    return [t.get_attribute("aria-label") or "" for t in box.locator("[data-tag]").all()]


# Streamlit starts the rerun a widget asks for up to a second or so after the click or key press, so the app
# can still look idle right after an action; wait for that rerun to start (seen by an observer installed
# before the action, so a short run is not missed) and then for the app to be idle.
WATCH_RUN = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__referralRun = false;
    if (window.__referralObserver) window.__referralObserver.disconnect();
    window.__referralObserver = new MutationObserver(() => {
        if (app.dataset.testScriptState === 'running') window.__referralRun = true;
    });
    window.__referralObserver.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def _rerun(page, app_ready, action: Callable[[], None]) -> None:
    """Do `action` (which changes a widget), then wait until the rerun it causes has finished."""
    page.evaluate(WATCH_RUN)
    action()
    page.wait_for_function("() => window.__referralRun === true", timeout=30_000)
    app_ready(page)


def _open_combobox(page, label: str):
    """Click the combobox labelled `label`, scrolled into view beforehand: a popover opened while the page
    is still scrolling closes at once (react-aria closes it on scroll), so the click must not scroll."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.scroll_into_view_if_needed()
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    box.click()
    return box


def _pick_in_multiselect(page, label: str, typed: str, app_ready) -> None:
    """Click the multiselect, type part of an option, press Enter (what a keyboard user does)."""

    def pick() -> None:
        _open_combobox(page, label)
        page.keyboard.type(typed)
        page.get_by_role("option").first.wait_for(state="visible")
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")

    _rerun(page, app_ready, pick)


def _pick_in_selectbox(page, label: str, option: str, app_ready) -> None:
    """Type the option's text into the selectbox and press Enter (a click can land after the popover closed)."""

    def pick() -> None:
        _open_combobox(page, label)
        page.keyboard.type(option)
        page.get_by_role("option", name=option, exact=True).wait_for(state="visible")
        page.keyboard.press("Enter")

    _rerun(page, app_ready, pick)


def test_referral_builder_lists_downloads_and_shares(page, app_server, app_ready, screenshot, tmp_path: Path):
    requested: list[str] = []
    _record_requests(page, requested)

    # --- 1. A place, two must-haves, a preset -------------------------------------------------------------
    page.goto(app_server + "/referral", wait_until="domcontentloaded")
    app_ready(page)
    page.get_by_role("heading", name="Build a referral list").wait_for(state="visible")
    screenshot(page, "empty")

    location = page.get_by_label("Patient's location")
    location.fill(PLACE)
    _rerun(page, app_ready, lambda: location.press("Enter"))

    wanted: list[str] = []
    for typed, label in MUST.items():
        # A physician types part of the criterion and presses Enter: that criterion, and only it, is added.
        _pick_in_multiselect(page, "Criteria the clinic must meet", typed, app_ready)
        wanted.append(label)
        chosen = _chips(page, "Criteria the clinic must meet")
        assert chosen == wanted, (
            f"typing {typed!r} + Enter in 'Criteria the clinic must meet' should add {label!r}; the must-haves "
            f"are now {chosen} (URL {page.url})"
        )

    _pick_in_selectbox(page, "Preset", PRESET, app_ready)

    info = _info_text(page)
    assert PRESET in info, f"the weights info box does not name the preset: {info!r}"
    count = _count_line(page)
    assert PLACE in count, f"count line does not name the place: {count!r}"
    assert "not meeting every must-have" in count, f"count line does not report must-have exclusions: {count!r}"
    shown = _shown(count)
    assert shown > 0, f"no clinic left to refer: {count!r}"

    share_url = page.url
    query = parse_qs(urlsplit(share_url).query)
    assert query.get("near") == [PLACE], f"near= missing or wrong in {share_url}"
    assert sorted(query.get("must", [])) == sorted(MUST.values()), f"must= not there twice in {share_url}"
    assert query.get("preset") == [PRESET], f"preset= missing or wrong in {share_url}"

    first_clinic = _first_clinic_in_table(page)
    assert first_clinic, "the referral table's first row has no clinic name"
    screenshot(page, "builder")
    screenshot(page, "builder-viewport", full_page=False)

    # --- 2. The CSV ------------------------------------------------------------------------------------
    with page.expect_download() as download:
        page.get_by_role("button", name="Referral list (CSV)").click()
    assert download.value.suggested_filename == "referral-list.csv", download.value.suggested_filename
    csv_path = tmp_path / download.value.suggested_filename
    download.value.save_as(csv_path)
    reader = csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8")))
    header = reader.fieldnames or []
    rows = list(reader)
    missing = [c for c in CSV_HEADER if c not in header]
    assert not missing, f"CSV header lacks {missing}: {header}"
    assert len(rows) == min(DEFAULT_TOP, shown), f"{len(rows)} CSV rows; the page says {shown} shown"
    for row in rows:
        why = row["why it matched"]
        assert why.startswith("Meets: "), f"row {row['rank']} ({row['name']}): {why!r}"
        for label in MUST.values():
            assert label in why, f"row {row['rank']} ({row['name']}) does not mention '{label}': {why!r}"
    assert rows[0]["name"] == first_clinic, f"CSV starts with {rows[0]['name']!r}, the table with {first_clinic!r}"
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1)), "CSV ranks are not 1..n"

    # --- 3. The printable sheet --------------------------------------------------------------------------
    with page.expect_download() as download:
        page.get_by_role("button", name="Printable referral sheet").click()
    assert download.value.suggested_filename == "referral-sheet.html", download.value.suggested_filename
    sheet_path = tmp_path / "referral-sheet.html"
    download.value.save_as(sheet_path)
    app_ready(page)
    assert not outside(requested), "the builder reached beyond this machine:\n" + "\n".join(outside(requested))

    sheet = page.context.new_page()
    try:
        sheet.goto(sheet_path.as_uri())
        sheet.get_by_role("heading", name="Ketamine therapy referral list").wait_for(state="visible")
        sheet_text = _squash(sheet.locator("body").inner_text())
        assert f"Prepared {dt.date.today().isoformat()}" in sheet_text, "the sheet carries no preparation date"
        must_line = "Must-haves: " + "; ".join(MUST.values())
        assert must_line in sheet_text, f"the sheet lacks the must-have line {must_line!r}"
        assert "within" in sheet_text and PLACE in sheet_text, "the sheet does not say where the patient is"
        assert PRESET in sheet_text, "the sheet does not say which weights were used"
        body_rows = sheet.locator("table tbody tr")
        assert body_rows.count() == len(rows), f"sheet has {body_rows.count()} rows, the CSV {len(rows)}"
        assert first_clinic in _squash(body_rows.first.inner_text()), "the sheet's first row is another clinic"
        assert re.search(r"not medical advice", sheet_text, re.IGNORECASE), "the sheet has no disclaimer"
        screenshot(sheet, "sheet")
    finally:
        sheet.close()

    # --- 4. The URL, opened elsewhere, gives the same list ---------------------------------------------
    other = page.context.browser.new_context(viewport=page.viewport_size)
    try:
        shared = other.new_page()
        shared.set_default_timeout(30_000)
        _record_requests(shared, requested)
        shared.goto(share_url, wait_until="domcontentloaded")
        app_ready(shared)
        assert _count_line(shared) == count, "the shared URL gives another count line"
        assert PRESET in _info_text(shared), "the shared URL lost the preset"
        assert _first_clinic_in_table(shared) == first_clinic, "the shared URL lists another clinic first"
        screenshot(shared, "shared")
    finally:
        other.close()

    # --- 5. Nothing left the machine ------------------------------------------------------------------
    leaked = outside(requested)
    assert not leaked, "the referral pages reached beyond this machine:\n" + "\n".join(leaked)
    assert any(urlsplit(u).path.startswith("/_stcore/stream") for u in requested), "no app websocket seen"
