"""Clinic details in a real browser: choosing clinic after clinic, reading every criterion on a phone, the
record's prices beside "prices are published", questions from what the record leaves unknown and what it
answers no, the last-verified date, directions, the keyboard, and axe-core.

The clinics opened, the criteria and the questions expected come from the sample and the checklist
(testkit.sample, vetting.load_checklist), picked by what each test needs of them.
"""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from testkit import a11y, sample
from testkit.browser import WAIT_MS, no_exception, open_app, rerun
from vetting import load_checklist
from vetting.evidence import VERIFIED, compare, criterion_evidence, evidence_path, load_evidence, verification
from vetting.geo import directions_urls
from vetting.kinds import web_link
from vetting.report import PRICE_COLUMNS, PRICES_PUBLISHED_COLUMN, checks_to_make, questions_to_ask
from vetting.scoring import NOT_MET, UNKNOWN

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
STATE_WORDS = re.compile(r"^(✓ met|✗ not met|\? not verified|– not applicable)$")


@pytest.fixture(autouse=True)
def clinic_expect_timeout():
    """expect() retries for up to WAIT_MS in this module (Streamlit re-renders after a run ends)."""
    expect.set_options(timeout=WAIT_MS)
    yield
    expect.set_options(timeout=None)


# --- what the tests need of the sample --------------------------------------------------------------------


def prices_criterion():
    return next(c for c in load_checklist().criteria if c.evaluate.get("column") == PRICES_PUBLISHED_COLUMN)


@cache
def prices_listed_publishing_unknown() -> str:
    """A clinic findable by name whose record lists prices but does not say whether it publishes them, with
    criteria the record answers no and criteria it leaves unknown."""
    crit = prices_criterion().id

    def wanted(cid: str) -> bool:
        row, states = sample.row(cid), sample.criterion_states(cid)
        return (states[crit] == UNKNOWN and any(row[c] == row[c] for c in PRICE_COLUMNS)
                and (states == NOT_MET).any() and (states == UNKNOWN).sum() > 1)

    return sample.first(sample.findable_by_name(), wanted,
                        "clinic listing prices, prices-published not verified, some answers no")


@cache
def with_website() -> str:
    """A clinic findable by name whose website is a link the app shows."""
    return sample.first(sample.findable_by_name(), lambda cid: bool(web_link(sample.row(cid)["website"])),
                        "clinic with a website link")


def url_for(app_server: str, clinic: str, **more: str) -> str:
    return app_server + "/clinic?" + urlencode({"clinic": clinic, **more})


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def h1(page):
    return page.get_by_role("heading", level=1)


def choose(page, name: str) -> None:
    """Pick a clinic by typing its name into the Clinic picker and pressing Enter; wait for the run."""
    picker = page.get_by_role("combobox", name="Clinic", exact=True)

    def pick() -> None:
        picker.click()
        picker.press_sequentially(name, delay=10)
        expect(page.get_by_role("option", name=re.compile("^" + re.escape(name) + ","))).to_be_visible()
        picker.press("Enter")

    rerun(page, pick)


# --- 1. one clinic after another --------------------------------------------------------------------------


def test_choosing_three_clinics_in_a_row_shows_each(page, app_server, screenshot, requests_seen):
    first, *others = sample.findable_by_name()[:4]
    names = sample.names()
    open_app(page, url_for(app_server, first))
    expect(h1(page)).to_have_text(names[first])
    for clinic in others:  # the old page kept the first of every second choice on screen
        choose(page, names[clinic])
        expect(h1(page)).to_have_text(names[clinic])
        expect(page).to_have_url(re.compile("clinic=" + re.escape(clinic) + "(&|$)"))
        no_exception(page)
    page.reload(wait_until="domcontentloaded")  # the URL opens the last one chosen
    expect(h1(page)).to_have_text(names[others[-1]])
    screenshot(page)
    requests_seen.assert_stayed_local("Clinic details")


# --- 3. a phone -------------------------------------------------------------------------------------------

# Elements of the main column that reach past the viewport's right edge, and boxes that scroll sideways.
_OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const main = document.querySelector('[data-testid="stMain"]');
  const wide = [], sideways = [];
  for (const el of main.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const label = el.tagName + (el.className && typeof el.className === 'string' ? '.' + el.className : '')
                  + (el.dataset.testid ? '[' + el.dataset.testid + ']' : '');
    if (r.right > width + 1 || r.left < -1) wide.push(label + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    const ox = getComputedStyle(el).overflowX;
    if ((ox === 'auto' || ox === 'scroll') && el.scrollWidth > el.clientWidth + 1)
      sideways.push(label + ' ' + el.scrollWidth + '>' + el.clientWidth);
  }
  return {width, wide: wide.slice(0, 10), sideways: sideways.slice(0, 10)};
}"""


def test_every_criterion_reads_on_a_phone(new_tab, app_log_path, app_server, screenshot):
    page = new_tab(app_log_path, PHONE)
    clinic = prices_listed_publishing_unknown()
    open_app(page, url_for(app_server, clinic))
    expect(h1(page)).to_have_text(sample.names()[clinic])
    rules = load_checklist()
    main = page.get_by_test_id("stMain")
    expect(page.get_by_role("button", name="Compare with other clinics")).to_be_visible()  # drawn to the end
    no_exception(page)
    overflow = page.evaluate(_OVERFLOW_JS)
    assert not overflow["wide"], f"wider than the {overflow['width']} px screen: {overflow['wide']}"
    assert not overflow["sideways"], f"boxes that scroll sideways: {overflow['sideways']}"
    expect(main.get_by_text(STATE_WORDS)).to_have_count(len(rules.criteria))  # a state in words each
    items = main.locator("li.kc-item")
    expect(items).to_have_count(len(rules.criteria))
    for criterion in rules.criteria:  # each criterion, its meaning and its sources, inside the screen
        item = items.filter(has=page.locator(".kc-name", has_text=criterion.label))
        expect(item.first).to_contain_text(criterion.explanation)
        expect(item.first).to_contain_text("Sources: " + rules.cite(criterion.sources[0]))
    tallest = max(items.evaluate_all("els => els.map(e => e.getBoundingClientRect().height)"))
    assert tallest < PHONE["height"], f"a criterion is {tallest:.0f} px tall on an {PHONE['height']} px screen"
    screenshot(page)


def test_headings_in_order_and_axe_finds_nothing_serious(new_tab, app_log_path, app_server):
    from axe_playwright_python.sync_playwright import Axe

    rules = load_checklist()
    clinic = prices_listed_publishing_unknown()
    for viewport in (None, PHONE):
        page = new_tab(app_log_path, viewport)
        open_app(page, url_for(app_server, clinic))
        expect(h1(page)).to_have_text(sample.names()[clinic])
        levels = page.get_by_test_id("stMain").locator("h1, h2, h3, h4, h5, h6").evaluate_all(
            "els => els.map(e => [Number(e.tagName[1]), e.textContent.trim()])")
        jumps = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b[0] > a[0] + 1]
        assert not jumps, f"headings skip a level: {jumps}"
        assert [t for n, t in levels if n == 1] == [sample.names()[clinic]]
        categories = [t for n, t in levels if n == 3 and t in rules.categories.values()]
        assert categories == list(rules.categories.values()), levels
        # This page's own content; the sidebar's navigation is dashboard.py's (and Streamlit's).
        results = Axe().run(page, context={"include": [['[data-testid="stMain"]']]})
        serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not serious, "axe-core: " + "; ".join(
            f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in serious)


# --- 8. the record's prices and the questions to ask ------------------------------------------------------


def test_listed_prices_are_not_contradicted_and_answers_no_bring_questions(page, app_server, screenshot):
    rules = load_checklist()
    clinic = prices_listed_publishing_unknown()
    open_app(page, url_for(app_server, clinic))
    expect(h1(page)).to_have_text(sample.names()[clinic])
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text("The record lists prices (see Cost and access), but whether the clinic "
                                 "publishes them was not verified.")
    expect(main).to_contain_text("The record says no to")  # questions come from the answers no too
    crit = prices_criterion()
    item = page.locator("li.kc-item").filter(has=page.locator(".kc-name", has_text=crit.label))
    expect(item).to_have_count(1)
    expect(item.locator(".kc-state")).to_have_text("? not verified")  # the score's answer is unchanged
    expect(item).to_contain_text("The record lists prices")
    expect(item).to_contain_text("not verified")
    expect(item).not_to_contain_text("does not publish")

    states = sample.criterion_states(clinic)
    questions = page.get_by_test_id("stMain").locator(".kc-q")
    asked = questions.locator("ol").nth(0).locator("li")
    checked = questions.locator("ol").nth(1).locator("li")
    unknown = [c for c in rules.criteria if states[c.id] == UNKNOWN]
    answered_no = [c for c in rules.criteria if states[c.id] == NOT_MET]
    expect(asked).to_have_count(len(unknown))
    expect(checked).to_have_count(len(answered_no))
    assert asked.all_inner_texts() == questions_to_ask(states, rules)
    assert checked.all_inner_texts() == checks_to_make(states, rules)
    for c in answered_no:  # each answer no is named, with the checklist's own question
        expect(checked.filter(has_text=c.label)).to_contain_text(c.question)
    expect(page.get_by_role("heading", name="The record says no", level=3)).to_be_visible()
    screenshot(page)


# --- last verified, directions, website -------------------------------------------------------------------


def test_last_verified_directions_and_website(page, app_server, requests_seen):
    clinic = with_website()
    row = sample.row(clinic)
    near = f"{row['city']}, {row['state']}"
    open_app(page, url_for(app_server, clinic, place=near))  # a distance shown does not push the date out
    expect(h1(page)).to_have_text(sample.names()[clinic])
    verified = f"{row['last_verified']:%Y-%m-%d}"
    expect(page.get_by_test_id("stMetric").filter(has_text="Last verified")).to_contain_text(verified)
    expect(page.get_by_test_id("stMetric").filter(has_text="Distance")).to_contain_text(" km")
    frame = sample.clinics()
    expected = directions_urls(frame.loc[frame["clinic_id"] == clinic]).iloc[0]
    directions = page.get_by_role("link", name="Directions")
    expect(directions).to_have_attribute("href", expected)
    expect(directions).to_have_attribute("target", "_blank")
    website = page.get_by_role("link", name="Open the clinic's website")
    expect(website).to_have_attribute("href", web_link(row["website"]))
    no_exception(page)
    requests_seen.assert_stayed_local("Clinic details (links are followed only when clicked)")


# --- the keyboard -----------------------------------------------------------------------------------------

# The focused element: its text or label.
_FOCUSED_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const label = el.getAttribute('aria-label') || (el.labels && el.labels.length ? el.labels[0].innerText : '');
  return ((el.innerText || '').trim() || label || el.tagName).trim().slice(0, 60);
}"""
# How an element and its near ancestors look where focus shows (outline, ring, border, background).
_FOCUS_LOOK_JS = """el => {
  const look = [];
  for (let e = el, i = 0; e && i < 4; e = e.parentElement, i++) {
    const s = getComputedStyle(e);
    look.push([s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.borderColor, s.backgroundColor]);
  }
  return JSON.stringify(look);
}"""


def control_name(text: str | None) -> str | None:
    """A control's words without its icon's ligature name ("directions\n\nDirections" -> "Directions")."""
    if text is None:
        return None
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    return lines[1] if len(lines) == 2 and re.fullmatch(r"[a-z_]+", lines[0]) else text


def test_keyboard_reaches_every_control_and_compares(page, app_server):
    clinic = with_website()
    open_app(page, url_for(app_server, clinic))
    expect(h1(page)).to_have_text(sample.names()[clinic])
    page.evaluate("() => document.activeElement && document.activeElement.blur()")  # Tab from the top
    wanted = ["Clinic", "Open the clinic's website", "Directions", "Compare with other clinics"]
    seen: list[str] = []
    unseen_focus: list[str] = []
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = control_name(page.evaluate(_FOCUSED_JS))
        if focused is None:
            continue
        seen.append(focused)
        if focused in wanted:  # one of this page's controls: its focus must change how it looks
            handle = page.evaluate_handle("document.activeElement")
            with_focus = handle.evaluate(_FOCUS_LOOK_JS)
            handle.evaluate("el => el.blur()")
            if handle.evaluate(_FOCUS_LOOK_JS) == with_focus:
                unseen_focus.append(focused)
            handle.evaluate("el => el.focus()")  # and Tab goes on from here
        if focused == wanted[-1]:
            break
    reached = [w for w in wanted if w in seen]
    assert reached == wanted, f"Tab reached {seen}"
    assert seen.index("Clinic") < seen.index("Directions") < seen.index(wanted[-1]), seen
    assert not unseen_focus, f"focus does not show on: {unseen_focus}"
    rerun(page, lambda: page.keyboard.press("Enter"))
    expect(page).to_have_url(re.compile(r"/compare\?"))
    assert query(page).get("compare") == [clinic], page.url


# --- the evidence behind the answers ----------------------------------------------------------------------


@cache
def with_verified_answer() -> tuple[str, str, str]:
    """A clinic findable by name with an answer the sample's evidence file verifies: (clinic id, the criterion's
    label, its evidence sentence as vetting.evidence.criterion_evidence says it)."""
    rules = load_checklist()
    clinics = sample.clinics().set_index("clinic_id", drop=False)
    states = sample.states().set_axis(clinics.index, axis=0)
    loaded = load_evidence(evidence_path(sample.SAMPLE), clinics.index)
    assert loaded.ok, f"the sample's evidence file does not load: {loaded.errors[:3]}"
    compared = compare(clinics, loaded.frame)
    verified = verification(states, compared, rules)
    clinic = sample.first(sample.findable_by_name(), lambda cid: bool((verified.loc[cid] == VERIFIED).any()),
                          "clinic with an answer its evidence verifies")
    crit = next(c for c in rules.criteria if verified.loc[clinic, c.id] == VERIFIED)
    return clinic, crit.label, criterion_evidence(clinic, verified.loc[clinic], compared, rules)[crit.id].text


def test_evidence_fits_a_phone_reads_and_axe_finds_nothing_serious(new_tab, app_log_path, app_server, screenshot):
    clinic, label, sentence = with_verified_answer()
    page = new_tab(app_log_path, PHONE)
    open_app(page, url_for(app_server, clinic))
    expect(h1(page)).to_have_text(sample.names()[clinic])
    expect(page.get_by_role("button", name="Compare with other clinics")).to_be_visible()  # drawn to the end
    no_exception(page)
    item = page.locator("li.kc-item").filter(has=page.locator(".kc-name", has_text=label)).first
    line = item.locator(".kc-ev")
    line.scroll_into_view_if_needed()
    expect(line).to_be_visible()
    assert sentence.startswith("Evidence: verified "), sentence
    expect(line).to_have_text(sentence.replace("Evidence: verified ", "Evidence: ✓ verified ", 1))
    expect(page.get_by_test_id("stMetric").filter(has_text="Evidence")).to_contain_text(re.compile(r"\d+ of \d+"))
    wide = a11y.overflow(page)
    assert not wide, f"wider than the {PHONE['width']} px screen:\n  " + "\n  ".join(wide)
    violations = a11y.axe_violations(page)
    assert not violations, a11y.describe_violations(violations)
    screenshot(page)
