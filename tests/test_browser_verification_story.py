"""Issue 14's 'done when', in one real browser, as a new analyst, a patient and a physician would go:

1. the analyst signs in, checks the clinics' NPIs against a loopback fake NPI registry and saves the findings;
2. sees them on Data quality and on the clinic's page;
3. records a phone verification of one criterion from the clinic's page;
4. a patient (another browser, not signed in) sees "verified <date> by phone" on that criterion;
5. a physician asking for evidence-backed must-haves gets exactly the clinics whose must-have is verified.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_npi_registry import CASES
from playwright.sync_api import expect
from test_browser_verify import EVIDENCE, NAME, clinics, registry_app, sign_in

from testkit.browser import WAIT_MS, count_text, menu_link, no_exception, open_app, rerun, save_screenshot, shown_number
from vetting import load_checklist
from vetting.evidence import METHOD_WORDS, evidence_store

pytestmark = pytest.mark.browser

RULES = load_checklist()
ALREADY = {line.split(",")[1] for line in EVIDENCE.splitlines()[1:]}  # fields the starting evidence covers
#: The criterion the analyst verifies by phone: a critical yes/no one the starting evidence does not cover.
CHECKED = next(c for c in RULES.criteria if c.critical and c.evaluate["kind"] == "tristate"
               and c.evaluate["column"] not in ALREADY)
SPECIALTY = next(c for c in RULES.criteria if c.evaluate.get("column") == "medical_director_specialty")


@pytest.fixture(scope="module")
def story_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    with registry_app(tmp_path_factory.mktemp("story_app")) as app:
        yield app.url, app.folder, app.log


def card(page, label: str):
    """A criterion's card on Clinic details."""
    return page.locator("li.kc-item").filter(has=page.locator(".kc-name", has_text=label)).first


def test_registry_findings_a_phone_check_a_patient_and_a_physician(new_tab, story_app):
    url, folder, log = story_app
    today = dt.date.today().isoformat()

    # 1. The analyst checks the NPIs (only on the button) and saves what the registry said.
    analyst = new_tab(log)
    open_app(analyst, url + "/verify")
    sign_in(analyst)
    rerun(analyst, analyst.get_by_role("button", name="Check online now", exact=True).click)
    expect(analyst.get_by_text(re.compile(r"^This check: "))).to_be_visible(timeout=WAIT_MS)
    rerun(analyst, analyst.get_by_test_id("stCheckbox").filter(has_text="I have read these findings")
          .locator("label").click)
    rerun(analyst, analyst.get_by_role("button", name="Save these findings as evidence", exact=True).click)
    expect(analyst.get_by_text(re.compile(r"^Saved \d+ registry row\(s\) as evidence"))).to_be_visible(
        timeout=WAIT_MS)

    # 2. Data quality lists the registry's disagreement; so does the clinic's page, on its own card.
    rerun(analyst, lambda: menu_link(analyst, "Analysts", "Data quality").click())
    moved = f"Its practice location is in {CASES['out_of_state'].state}, not CO."
    expect(analyst.get_by_role("heading", name=re.compile(r"^NPI registry findings \([1-9]"))).to_be_visible(
        timeout=WAIT_MS)
    expect(analyst.get_by_text(moved).first).to_be_attached()
    open_app(analyst, url + "/clinic?clinic=kc-2")
    expect(analyst.get_by_text(moved).first).to_be_visible(timeout=WAIT_MS)
    expect(card(analyst, SPECIALTY.label).locator(".kc-ev")).to_contain_text("Evidence disagrees")
    no_exception(analyst)

    # 3. A phone verification of one criterion, recorded from the clinic's page.
    open_app(analyst, url + "/clinic?clinic=kc-1")
    analyst.get_by_text("Record evidence for this clinic", exact=True).click()
    what = analyst.get_by_role("combobox", name="What did you check?")
    rerun(analyst, lambda: (what.click(), what.fill(CHECKED.label), analyst.keyboard.press("Enter")))
    how = analyst.get_by_role("combobox", name="How it was checked")
    how.click()
    how.fill("phone")
    analyst.keyboard.press("Enter")
    analyst.get_by_role("textbox", name=re.compile("^Source")).fill("called the front desk")
    rerun(analyst, analyst.get_by_role("button", name="Record evidence", exact=True).click)
    expect(analyst.get_by_text("Evidence saved.", exact=True)).to_be_visible(timeout=WAIT_MS)
    entry = evidence_store(folder / "clinics.csv").entries()[-1]
    assert (entry["who"], entry["action"]) == (NAME, "evidence"), entry
    save_screenshot(analyst, "story", "3-recorded")

    # 4. A patient, not signed in, sees how and when that answer was verified.
    patient = new_tab(log)
    open_app(patient, url + "/clinic?clinic=kc-1")
    line = card(patient, CHECKED.label).locator(".kc-ev")
    line.scroll_into_view_if_needed()
    expect(line).to_have_text(f"Evidence: ✓ verified {today} {METHOD_WORDS['phone']} ({NAME}).", timeout=WAIT_MS)
    expect(patient.get_by_text("Record evidence for this clinic", exact=True)).to_have_count(0)
    no_exception(patient)
    save_screenshot(patient, "story", "4-patient")

    # 5. A physician: the must-have alone keeps every clinic meeting it; backed by evidence, only kc-1.
    physician = new_tab(log)
    open_app(physician, f"{url}/referral?must={CHECKED.id}")
    met = shown_number(count_text(physician))
    open_app(physician, f"{url}/referral?must={CHECKED.id}&evidence=1")
    backed = shown_number(count_text(physician))
    assert (met, backed) == (len(clinics()), 1), count_text(physician)
    links = physician.locator("a.name")  # the phone cards' links (the wide table is drawn on a canvas)
    expect(links).to_have_count(1)
    expect(links).to_have_attribute("href", "clinic?clinic=kc-1")
    no_exception(physician)
    save_screenshot(physician, "story", "5-physician")


def test_an_analyst_records_a_check_with_the_keyboard_alone(new_tab, story_app):
    from testkit import a11y

    url, folder, log = story_app
    page = new_tab(log)
    open_app(page, url + "/verify")
    sign_in(page)
    open_app(page, url + "/clinic?clinic=kc-3")
    expect(page.get_by_role("heading", level=1)).to_have_text("Gone Clinic", timeout=WAIT_MS)
    page.locator("body").focus()
    summary = page.locator("summary").filter(has_text="Record evidence for this clinic")
    a11y.tab_until(page, summary, max_tabs=120)
    pixels, style = a11y.focus_indicator(page)  # measuring blurs it: focus it back, as it was
    assert pixels >= 40, f"the focus on the expander cannot be seen ({pixels} pixels change; {style})"
    summary.focus()
    page.keyboard.press("Enter")
    what = page.get_by_role("combobox", name="What did you check?")
    a11y.tab_until(page, what)
    page.keyboard.type(CHECKED.label)
    rerun(page, lambda: page.keyboard.press("Enter"))
    how = page.get_by_role("combobox", name="How it was checked")
    a11y.tab_until(page, how)
    page.keyboard.type("visit")
    page.keyboard.press("Enter")
    a11y.tab_until(page, page.get_by_role("textbox", name=re.compile("^Source")))
    page.keyboard.type("visited the clinic")
    a11y.tab_until(page, page.get_by_role("button", name="Record evidence", exact=True))
    rerun(page, lambda: page.keyboard.press("Enter"))
    expect(page.get_by_text("Evidence saved.", exact=True)).to_be_visible(timeout=WAIT_MS)
    line = card(page, CHECKED.label).locator(".kc-ev")
    expect(line).to_have_text(f"Evidence: ✓ verified {dt.date.today().isoformat()} {METHOD_WORDS['visit']} ({NAME}).")
    no_exception(page)
