"""The referral builder, as a referring physician uses it: must-haves, a place, a preset, the downloads, the URL.

The place, the must-haves and the preset come from the sample and the checklist (testkit.sample,
vetting.load_checklist), picked by what the test needs of them: none is copied from the data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from testkit import sample
from testkit.browser import count_text, download_text, open_app, rerun, shown_number, squash
from vetting import load_checklist
from vetting.checklist import Criterion
from vetting.evidence import compare, evidence_path, load_evidence, verification
from vetting.scoring import MET
from vetting.search import NOT_BACKED, must_have_mask

pytestmark = pytest.mark.browser


CSV_HEADER = ["rank", "clinic_id", "name", "grade", "score", "must-haves to confirm", "last_verified", "directions",
              "must-have evidence", "evidence coverage"]
DEFAULT_TOP = 10  # "How many to list" starts at 10
RADIUS_KM = 120  # "Maximum distance (km)" starts at 120


def typed_part(criterion: Criterion) -> str | None:
    """A word of the criterion's label that no other label holds: what a physician types to find it."""
    others = [c.label.casefold() for c in load_checklist().criteria if c.id != criterion.id]
    return next((w for w in re.findall(r"[A-Za-z]{4,}", criterion.label)
                 if not any(w.casefold() in other for other in others)), None)


def _fits(town: str, must: tuple[Criterion, ...]) -> bool:
    """Near ``town`` the must-haves exclude a clinic and leave one without a red flag (hidden by default)."""
    area = sample.near(town, RADIUS_KM)
    meets = (sample.states().loc[area.index, [c.id for c in must]] == MET).all(axis=1).to_numpy()
    return bool((meets & (area["n_red_flags"] == 0).to_numpy()).any() and not meets.all())


@cache
def referral() -> tuple[str, dict[str, str], str]:
    """(the patient's town, typed part -> label of each must-have, the preset's label)."""
    typable = [c for c in load_checklist().criteria if typed_part(c)]
    town, must = sample.first(
        ((town, pair) for town in sample.city_searches() for pair in itertools.combinations(typable, 2)),
        lambda case: _fits(*case),
        f"town where two must-haves exclude some clinics within {RADIUS_KM} km but not all")
    # A preset that changes the weights (the first one, the default, keeps the checklist's own).
    preset = next(p for p in load_checklist().presets.values() if p.categories)
    return town, {typed_part(c): c.label for c in must}, preset.label


def _info_text(page) -> str:
    box = page.locator('[data-testid="stAlertContentInfo"]').filter(has_text="Weights in effect")
    box.first.wait_for(state="visible")
    return squash(box.first.inner_text())


def _first_clinic_in_table(page) -> str:
    """The 'Clinic' cell of the referral table's first row.

    The grid is drawn on a canvas; its cells are also in an accessible <table> inside the canvas (only the
    columns in view), whose text is read with text_content (nothing in a canvas is "rendered" text).
    """
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(state="visible")
    header_cells = grid.locator('table[role="grid"] thead th')
    header_cells.first.wait_for(state="attached")
    headers = [squash(t) for t in header_cells.all_text_contents()]
    assert "Clinic" in headers, f"no 'Clinic' column in the referral table; headers: {headers}"
    cells = grid.locator('table[role="grid"] tbody tr').first.locator("td")
    return squash(cells.nth(headers.index("Clinic")).text_content() or "")


def _chips(page, label: str) -> list[str]:
    """The values chosen in the multiselect labelled `label`, in order."""
    box = page.get_by_test_id("stMultiSelect").filter(has=page.get_by_role("combobox", name=label, exact=True))
    return [t.get_attribute("aria-label") or "" for t in box.locator("[data-tag]").all()]


def _open_combobox(page, label: str):
    """Click the combobox labelled `label`, scrolled into view beforehand: a popover opened while the page
    is still scrolling closes at once (react-aria closes it on scroll), so the click must not scroll."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.scroll_into_view_if_needed()
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    box.click()
    return box


def _pick_in_multiselect(page, label: str, typed: str) -> None:
    """Click the multiselect, type part of an option, press Enter (what a keyboard user does)."""

    def pick() -> None:
        _open_combobox(page, label)
        page.keyboard.type(typed)
        page.get_by_role("option").first.wait_for(state="visible")
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")

    rerun(page, pick)


def _pick_in_selectbox(page, label: str, option: str) -> None:
    """Type the option's text into the selectbox and press Enter (a click can land after the popover closed)."""

    def pick() -> None:
        _open_combobox(page, label)
        page.keyboard.type(option)
        page.get_by_role("option", name=option, exact=True).wait_for(state="visible")
        page.keyboard.press("Enter")

    rerun(page, pick)


def test_referral_builder_lists_downloads_and_shares(page, new_tab, app_log_path, app_server, app_ready, screenshot,
                                                     requests_seen, watch_requests, tmp_path: Path):
    place, must, preset = referral()

    # --- 1. A place, two must-haves, a preset -------------------------------------------------------------
    open_app(page, app_server + "/referral")
    page.get_by_role("heading", name="Build a referral list").wait_for(state="visible")
    screenshot(page, "empty")

    location = page.get_by_label("Patient's location")
    location.fill(place)
    rerun(page, lambda: location.press("Enter"))

    wanted: list[str] = []
    for typed, label in must.items():
        # A physician types part of the criterion and presses Enter: that criterion, and only it, is added.
        _pick_in_multiselect(page, "Criteria the clinic must meet", typed)
        wanted.append(label)
        chosen = _chips(page, "Criteria the clinic must meet")
        assert chosen == wanted, (
            f"typing {typed!r} + Enter in 'Criteria the clinic must meet' should add {label!r}; the must-haves "
            f"are now {chosen} (URL {page.url})"
        )

    _pick_in_selectbox(page, "Preset", preset)

    info = _info_text(page)
    assert preset in info, f"the weights info box does not name the preset: {info!r}"
    count = count_text(page)
    assert place in count, f"count line does not name the place: {count!r}"
    assert "not meeting every must-have" in count, f"count line does not report must-have exclusions: {count!r}"
    shown = shown_number(count)
    assert shown > 0, f"no clinic left to refer: {count!r}"

    share_url = page.url
    query = parse_qs(urlsplit(share_url).query)
    assert query.get("near") == [place], f"near= missing or wrong in {share_url}"
    # the URL carries values (criterion ids, the preset's key), not the words on screen
    rules = load_checklist()
    ids = {c.label: c.id for c in rules.criteria}
    assert sorted(query.get("must", [])) == sorted(ids[label] for label in must.values()), (
        f"must= not there twice, as criterion ids, in {share_url}")
    keys = {p.label: key for key, p in rules.presets.items()}
    assert query.get("preset") == [keys[preset]], f"preset= missing or not the preset's key in {share_url}"

    first_clinic = _first_clinic_in_table(page)
    assert first_clinic, "the referral table's first row has no clinic name"
    screenshot(page, "builder")
    screenshot(page, "builder-viewport", full_page=False)

    # --- 2. The CSV ------------------------------------------------------------------------------------
    name, text = download_text(page, "Referral list (CSV)")
    assert name == "referral-list.csv", name
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    rows = list(reader)
    missing = [c for c in CSV_HEADER if c not in header]
    assert not missing, f"CSV header lacks {missing}: {header}"
    assert len(rows) == min(DEFAULT_TOP, shown), f"{len(rows)} CSV rows; the page says {shown} shown"
    for row in rows:  # every clinic meets the must-haves (said once, in the sheet's header): no row repeats them
        assert row["must-haves to confirm"] == "", f"row {row['rank']}: {row['must-haves to confirm']!r}"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["last_verified"]), f"row {row['rank']}: {row['last_verified']!r}"
        assert row["directions"].startswith("https://"), f"row {row['rank']}: no directions link"
    assert rows[0]["name"] == first_clinic, f"CSV starts with {rows[0]['name']!r}, the table with {first_clinic!r}"
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1)), "CSV ranks are not 1..n"

    # --- 3. The printable sheet --------------------------------------------------------------------------
    name, html = download_text(page, "Printable referral sheet")
    assert name == "referral-sheet.html", name
    sheet_path = tmp_path / name
    sheet_path.write_text(html, encoding="utf-8")
    app_ready(page)
    requests_seen.assert_stayed_local("the builder")

    sheet = page.context.new_page()
    try:
        sheet.goto(sheet_path.as_uri())
        sheet.get_by_role("heading", name="Ketamine therapy referral list").wait_for(state="visible")
        sheet_text = squash(sheet.locator("body").inner_text())
        assert f"Prepared {dt.date.today().isoformat()}" in sheet_text, "the sheet carries no preparation date"
        must_line = "Must-haves: " + "; ".join(must.values())
        assert must_line in sheet_text, f"the sheet lacks the must-have line {must_line!r}"
        # Said once in the header; per clinic only in 'Must-have evidence', how each is backed.
        evidence = [squash(t) for t in sheet.locator("td.col-must-have-evidence").all_inner_texts()]
        assert len(evidence) == len(rows), f"{len(evidence)} must-have evidence cells for {len(rows)} rows"
        for label in must.values():
            assert all(cell.count(label) == 1 for cell in evidence), f"a clinic's evidence misses {label!r}: {evidence}"
            assert sheet_text.count(label) == 1 + len(evidence), (
                f"the sheet repeats the must-have {label!r} beyond its header line and the evidence column")
        assert "Must-haves backed by evidence: not required" in sheet_text, "no word on evidence"
        headers = [squash(t) for t in sheet.locator("table thead th").all_inner_texts()]
        assert "Last verified" in headers and "Grade on the site" in headers, headers  # the preset re-weights
        assert "Grades re-weighted for this patient" in sheet_text, "the sheet does not say the grades are re-weighted"
        assert "within" in sheet_text and place in sheet_text, "the sheet does not say where the patient is"
        assert preset in sheet_text, "the sheet does not say which weights were used"
        body_rows = sheet.locator("table tbody tr")
        assert body_rows.count() == len(rows), f"sheet has {body_rows.count()} rows, the CSV {len(rows)}"
        assert first_clinic in squash(body_rows.first.inner_text()), "the sheet's first row is another clinic"
        assert re.search(r"not medical advice", sheet_text, re.IGNORECASE), "the sheet has no disclaimer"
        screenshot(sheet, "sheet")
    finally:
        sheet.close()

    # --- 4. The URL, opened elsewhere, gives the same list ---------------------------------------------
    shared = new_tab(app_log_path, page.viewport_size)  # another browser context: no shared session
    shared_seen = watch_requests(shared)
    open_app(shared, share_url)
    assert count_text(shared) == count, "the shared URL gives another count line"
    assert preset in _info_text(shared), "the shared URL lost the preset"
    assert _first_clinic_in_table(shared) == first_clinic, "the shared URL lists another clinic first"
    screenshot(shared, "shared")

    # --- 5. Nothing left the machine ------------------------------------------------------------------
    requests_seen.assert_stayed_local("the referral builder")
    shared_seen.assert_stayed_local("the referral builder, opened from its URL")
    assert requests_seen.saw_app_websocket() or shared_seen.saw_app_websocket(), "no app websocket seen"


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_referral_list_fits_a_phone_as_cards_and_a_desk_as_a_table(new_tab, app_log_path, app_server, size):
    from urllib.parse import urlencode

    from playwright.sync_api import expect

    from testkit.a11y import DESKTOP, PHONE, overflow
    from testkit.browser import WAIT_MS

    place, _, _ = referral()
    page = new_tab(app_log_path, PHONE if size == "phone" else DESKTOP)
    open_app(page, app_server + "/referral?" + urlencode({"near": place}))
    shown = min(shown_number(count_text(page)), 10)  # "How many to list" starts at 10
    cards, table = page.locator("ol.clinic-list > li"), page.get_by_test_id("stDataFrame")
    if size == "phone":
        expect(cards.first).to_be_visible(timeout=WAIT_MS)
        expect(cards).to_have_count(shown)
        expect(table).to_be_hidden()
        expect(cards.first.get_by_text(re.compile(r"^Phone:"))).to_be_visible()
        assert overflow(page) == []
    else:
        expect(table).to_be_visible(timeout=WAIT_MS)
        expect(cards.first).to_be_hidden()


EVIDENCE_LABEL = "Only must-haves backed by evidence"


@cache
def evidence_case() -> tuple[Criterion, int, int]:
    """(a must-have that evidence backs for some of the clinics meeting it, not all; the clinics listed with it
    backed by evidence; those listed without). The page hides clinics with a red flag by default."""
    rules = load_checklist()
    clinics = sample.clinics().set_index("clinic_id", drop=False)
    states = sample.states().set_axis(clinics.index, axis=0)
    loaded = load_evidence(evidence_path(sample.SAMPLE), clinics.index, dt.date.today())
    assert loaded.ok, f"the sample's evidence file does not load: {loaded.errors[:3]}"
    verified = verification(states, compare(clinics, loaded.frame), rules)
    no_flag = (clinics["n_red_flags"] == 0).to_numpy()

    def listed(criterion: Criterion, backed: bool) -> int:
        return int((must_have_mask(states, [criterion.id], verified=verified if backed else None) & no_flag).sum())

    criterion = sample.first(rules.criteria, lambda c: 0 < listed(c, True) < listed(c, False),
                             "must-have that evidence backs for some clinics meeting it but not all")
    return criterion, listed(criterion, True), listed(criterion, False)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_evidence_backed_must_haves_ticked_with_the_keyboard_narrow_the_list(new_tab, app_log_path, app_server,
                                                                           screenshot, size):
    from urllib.parse import urlencode

    from playwright.sync_api import expect

    from testkit.a11y import DESKTOP, PHONE, overflow
    from testkit.browser import WAIT_MS

    criterion, backed, met = evidence_case()
    page = new_tab(app_log_path, PHONE if size == "phone" else DESKTOP)
    open_app(page, app_server + "/referral?" + urlencode({"must": criterion.id}))
    assert shown_number(count_text(page)) == met, count_text(page)

    box = page.get_by_role("checkbox", name=EVIDENCE_LABEL, exact=True)
    expect(box).to_be_enabled()
    expect(box).not_to_be_checked()
    box.focus()
    rerun(page, lambda: page.keyboard.press("Space"))
    expect(box).to_be_checked()

    count = count_text(page)
    assert shown_number(count) == backed, f"{backed} clinics have the must-have backed by evidence: {count!r}"
    assert NOT_BACKED in count, f"the count line does not say evidence left clinics out: {count!r}"
    expect(page).to_have_url(re.compile(r"[?&]evidence=(true|1)(&|$)"), timeout=WAIT_MS)
    assert parse_qs(urlsplit(page.url).query).get("must") == [criterion.id], page.url
    expect(page.get_by_text(re.compile(r"each backed by evidence"))).to_be_visible()

    cards, table = page.locator("ol.clinic-list > li"), page.get_by_test_id("stDataFrame")
    if size == "phone":
        expect(cards).to_have_count(min(backed, DEFAULT_TOP), timeout=WAIT_MS)
        expect(table).to_be_hidden()
        facts = cards.first.locator("p.facts")
        expect(facts.filter(has_text=re.compile(r"^Must-have evidence: "))).to_contain_text(
            f"{criterion.label}: verified ")
        expect(facts.filter(has_text=re.compile(r"^Evidence coverage: \d+ of \d+ criteria verified$"))
               ).to_be_visible()
        assert overflow(page) == []
    else:
        expect(table).to_be_visible(timeout=WAIT_MS)
        expect(cards.first).to_be_hidden()
    screenshot(page, size)
