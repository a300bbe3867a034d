"""A patient's flows, in a real browser: search near me, widen the radius, open a clinic, compare, read the
methodology, share a search by its URL, download the shortlist. Every page must stay on this machine.

Streamlit draws tables on a canvas (glide-data-grid); next to the canvas it keeps an accessible
``<table role="grid">`` whose ``aria-rowcount`` counts the header row too, and whose cells carry the values.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from vetting import load_checklist

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "clinics.csv"
WAIT_MS = 60_000  # a run of the app can take many seconds on a busy machine: expect() waits up to this long

# "9 clinics within 120 km of Colorado Springs, CO; 2 hidden by your filters (...); 7 shown."
COUNT_LINE = re.compile(r"^\d+ clinics? (within \d+ km of .+|in the directory)")


# --- helpers ----------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def patient_expect_timeout():
    """expect() retries for up to WAIT_MS in this module (Streamlit re-renders after a run ends)."""
    expect.set_options(timeout=WAIT_MS)
    yield
    expect.set_options(timeout=None)  # back to Playwright's default


def sample_names() -> dict[str, str]:
    """clinic_id -> name in the bundled sample, to look clinics up the way a patient would: by name."""
    with open(SAMPLE, encoding="utf-8-sig", newline="") as f:
        return {row["clinic_id"]: row["name"] for row in csv.DictReader(f)}


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def open_app(page, app_server: str, path: str, app_ready) -> None:
    page.goto(app_server + path, wait_until="domcontentloaded")
    app_ready(page)


def widen_radius_to_120(page, line, app_ready):
    """Move the radius slider one step (80 -> 120 km) from the keyboard; wait for the count line; the slider."""
    slider = radius_slider(page)
    expect(slider).to_be_enabled(timeout=WAIT_MS)
    slider.focus()
    slider.press("ArrowRight")  # 80 -> 120
    expect(line).to_contain_text("within 120 km of", timeout=WAIT_MS)
    app_ready(page)
    return slider


def where_box(page):
    return page.get_by_role("textbox", name="Where", exact=True)


def radius_slider(page):
    # Streamlit 1.67 draws select_slider with react-aria: an <input type="range"> (role slider) whose
    # aria-valuetext is the option shown ("80"); its aria-valuenow is the option's index.
    return page.get_by_role("slider", name="Within (km)")


def switch(page, label: str):
    return page.get_by_role("switch", name=label, exact=True)


def open_expander(page, title_start: str) -> None:
    """Unfold the expander whose title starts with ``title_start`` (its title may carry a count: "(2 set)")."""
    # The summary's text also holds its icon's ligature name ("keyboard_arrow_right"): match the label's part.
    expander = page.get_by_test_id("stExpander").filter(
        has=page.locator("summary").get_by_test_id("stMarkdownContainer").filter(
            has_text=re.compile("^" + re.escape(title_start))))
    expect(expander).to_have_count(1, timeout=WAIT_MS)
    if expander.locator("details").get_attribute("open") is None:
        expander.locator("summary").click()
    expect(expander.locator("details")).to_have_attribute("open", "", timeout=WAIT_MS)


def count_line(page):
    return page.get_by_text(COUNT_LINE).first


def leading_number(text: str) -> int:
    return int(re.match(r"\d+", text).group())


def shown_number(text: str) -> int:
    m = re.search(r"(\d+) shown\.?$", text)
    assert m, f"the count line does not say how many are shown: {text!r}"
    return int(m.group(1))


def results_table(page):
    return page.get_by_test_id("stDataFrame").first


def grid(table):
    return table.locator('table[role="grid"]')


def grid_cell(table, text: str):
    """A cell of a dataframe's accessible grid, by its whole text (that grid is hidden from get_by_role)."""
    return grid(table).locator('td[role="gridcell"]').filter(has_text=re.compile("^" + re.escape(text) + "$"))


def grid_rows(table) -> int:
    """Data rows of a Streamlit dataframe, from its accessible grid (aria-rowcount includes the header)."""
    expect(grid(table)).to_have_attribute("aria-rowcount", re.compile(r"^\d+$"))
    return int(grid(table).get_attribute("aria-rowcount")) - 1


def expect_rows(table, rows: int, why: str) -> None:
    """The table ends up listing ``rows`` rows (it is redrawn a moment after the run that changed it)."""
    expect(grid(table), f"the table should list {rows} rows: {why}").to_have_attribute(
        "aria-rowcount", str(rows + 1))


def click_first_row_checkbox(page, table) -> None:
    """Tick the selection checkbox of the table's first row (the canvas has no DOM checkbox to click)."""
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    assert box and box["height"] > 35 + 35, f"the table is too small to hold a row: {box}"
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)  # header ~35 px; rows ~35 px; checkboxes at the left


def no_exception(page) -> None:
    """The page shows no Python traceback (Streamlit's red exception box)."""
    errors = page.get_by_test_id("stException")
    if errors.count():
        pytest.fail("the page shows an exception:\n" + "\n---\n".join(errors.all_inner_texts()), pytrace=False)


def search_for(page, place: str, app_ready) -> None:
    box = where_box(page)
    expect(box).to_be_editable(timeout=WAIT_MS)
    box.fill(place)
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]near="), timeout=WAIT_MS)
    app_ready(page)


def download_text(page, button_name: str) -> tuple[str, str]:
    """Press a download button; return (suggested file name, text)."""
    with page.expect_download(timeout=WAIT_MS) as info:
        page.get_by_role("button", name=button_name).click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_text(encoding="utf-8-sig")


# --- 1. search by ZIP -------------------------------------------------------------------------------------


def test_search_by_zip_lists_nearby_clinics(page, app_server, app_ready, screenshot, requests_seen):
    open_app(page, app_server, "/", app_ready)
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a ketamine therapy clinic", timeout=WAIT_MS)

    search_for(page, "80903", app_ready)

    line = count_line(page)
    expect(line).to_contain_text("within 80 km of Colorado Springs, CO 80903", timeout=WAIT_MS)
    assert query(page).get("near") == ["80903"], page.url
    expect(where_box(page)).to_have_value("80903")
    expect(radius_slider(page)).to_have_attribute("aria-valuetext", "80")

    text = line.inner_text()
    shown = shown_number(text)
    assert shown >= 1, f"no clinic near 80903 (Colorado Springs has clinics in the sample): {text!r}"
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    table = results_table(page)
    expect(table).to_be_visible()
    expect_rows(table, shown, f"the count line says {text!r}")
    no_exception(page)

    app_ready(page)
    screenshot(page)
    requests_seen.assert_stayed_local("Find clinics")


# --- 2. widen the radius ----------------------------------------------------------------------------------


def test_wider_radius_finds_more_clinics(page, app_server, app_ready, screenshot, requests_seen):
    open_app(page, app_server, "/?near=80903", app_ready)
    line = count_line(page)
    expect(line).to_contain_text("within 80 km of Colorado Springs, CO 80903", timeout=WAIT_MS)
    near_80 = leading_number(line.inner_text())

    slider = widen_radius_to_120(page, line, app_ready)
    slider.focus()
    slider.press("ArrowRight")  # 120 -> 200
    expect(line).to_contain_text("within 200 km of Colorado Springs, CO 80903", timeout=WAIT_MS)
    app_ready(page)

    assert query(page).get("radius") == ["200"], page.url
    assert query(page).get("near") == ["80903"], page.url
    expect(slider).to_have_attribute("aria-valuetext", "200")
    text = line.inner_text()
    near_200 = leading_number(text)
    assert near_200 > near_80, f"200 km finds {near_200} clinics, 80 km found {near_80}: {text!r}"
    expect_rows(results_table(page), shown_number(text), f"the count line says {text!r}")

    # And back: ArrowLeft narrows it again.
    slider.focus()
    slider.press("ArrowLeft")  # 200 -> 120
    expect(line).to_contain_text("within 120 km of", timeout=WAIT_MS)
    app_ready(page)
    assert query(page).get("radius") == ["120"], page.url
    assert near_80 <= leading_number(line.inner_text()) <= near_200
    no_exception(page)

    screenshot(page)
    requests_seen.assert_stayed_local("Find clinics")


# --- 3. pick a clinic from the results --------------------------------------------------------------------


@pytest.mark.parametrize("near", ["", "80903"], ids=["no-location", "after-zip-search"])
def test_picking_a_row_opens_that_clinic(page, app_server, app_ready, screenshot, requests_seen, near):
    open_app(page, app_server, "/", app_ready)
    if near:
        search_for(page, near, app_ready)
        expect(count_line(page)).to_contain_text(f"Colorado Springs, CO {near}", timeout=WAIT_MS)
    else:
        expect(count_line(page)).to_contain_text("in the directory", timeout=WAIT_MS)
    table = results_table(page)
    expect(table).to_be_visible(timeout=WAIT_MS)
    expect_rows(table, shown_number(count_line(page).inner_text()), "the table lists the clinics counted")
    first_name = table.get_by_test_id("glide-cell-1-0")  # the "Clinic" column of the first row
    expect(first_name).not_to_have_text("", timeout=WAIT_MS)
    picked = first_name.inner_text().strip()
    app_ready(page)

    click_first_row_checkbox(page, table)

    try:
        expect(page).to_have_url(re.compile(r"/clinic\?"))
    except AssertionError:
        no_exception(page)  # name the app's own error when it shows one instead of the clinic
        raise
    app_ready(page)
    no_exception(page)
    params = query(page)
    assert re.fullmatch(r"kc-\d{6}", (params.get("clinic") or [""])[0]), page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(picked, timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="How it scored")).to_be_visible()
    if near:
        assert params.get("place") == [near], page.url  # the searched place travels on as ?place=
        expect(page.get_by_test_id("stMetric").filter(has_text=f"From Colorado Springs, CO {near}")).to_be_visible()
    expect(page.get_by_role("button", name="Compare with other clinics")).to_be_visible()  # drawn to the end

    app_ready(page)
    screenshot(page)
    requests_seen.assert_stayed_local("Find clinics and Clinic details")


def test_clinic_details_explain_the_score(page, app_server, app_ready, screenshot, requests_seen):
    names = sample_names()
    open_app(page, app_server, "/clinic?clinic=kc-000005", app_ready)
    expect(page.get_by_role("heading", level=1)).to_have_text(names["kc-000005"], timeout=WAIT_MS)
    for section in ("Contact", "Treatments", "Cost and access", "How it scored", "Questions to ask this clinic"):
        expect(page.get_by_role("heading", name=section)).to_be_visible()
    metrics = page.get_by_test_id("stMetric")
    for label in ("Grade", "Score", "Data complete", "Last verified"):
        expect(metrics.filter(has_text=label).first).to_be_visible()
    states = re.compile(r"^(✓ met|✗ not met|\? not verified|– not applicable)$")  # one per criterion
    marks = page.get_by_test_id("stMain").get_by_text(states)
    expect(marks.first).to_be_visible()
    expect(page.get_by_role("button", name="Compare with other clinics")).to_be_visible()
    no_exception(page)

    app_ready(page)
    screenshot(page)
    requests_seen.assert_stayed_local("Clinic details")


# --- 4. compare -------------------------------------------------------------------------------------------


def _check_comparison(page, names: list[str], app_ready) -> None:
    expect(page.get_by_role("heading", name="Checklist, side by side")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="Category subscores")).to_be_visible()
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart).to_be_visible()
    expect(chart.locator("g.trace.bars")).to_have_count(len(names), timeout=WAIT_MS)  # one bar series a clinic
    chips = page.get_by_test_id("stMultiSelect")
    for name in names:
        expect(chips.get_by_text(name).first).to_be_visible()
    facts = page.get_by_test_id("stDataFrame").first
    for i, name in enumerate(names, 1):
        expect(grid_cell(facts, f"{i}. {name}")).to_have_count(1)
    expect(page.get_by_role("switch", name="Show only the criteria where they differ")).to_be_attached()
    expect(page.get_by_role("button", name="Download comparison (CSV)")).to_be_visible()
    expect(page.get_by_role("button", name="Printable comparison (HTML)")).to_be_visible()
    app_ready(page)
    no_exception(page)


def test_compare_two_clinics_from_a_link(page, app_server, app_ready, screenshot, requests_seen):
    names = sample_names()
    open_app(page, app_server, "/compare?compare=kc-000005&compare=kc-000010", app_ready)
    _check_comparison(page, [names["kc-000005"], names["kc-000010"]], app_ready)

    # The checklist, all of it; then only where the two differ.
    criteria = len(load_checklist().criteria)
    checklist = page.get_by_test_id("stDataFrame").nth(1)
    expect_rows(checklist, criteria, "the checklist has that many criteria")
    _, text = download_text(page, "Download comparison (CSV)")
    assert len(list(csv.DictReader(io.StringIO(text)))) == criteria, "the CSV does not hold every criterion"

    screenshot(page, "all")
    page.get_by_test_id("stCheckbox").filter(has_text="Show only the criteria where they differ").locator(
        "label").click()
    expect(page).to_have_url(re.compile(r"[?&]only_diff=true"), timeout=WAIT_MS)
    app_ready(page)
    expect(page.get_by_role("switch", name="Show only the criteria where they differ")).to_be_checked()
    expect(grid(checklist)).not_to_have_attribute("aria-rowcount", str(criteria + 1))
    differing = grid_rows(checklist)
    assert 1 <= differing < criteria, f"{differing} of {criteria} criteria differ between these two clinics"
    no_exception(page)

    screenshot(page, "differences")
    requests_seen.assert_stayed_local("Compare")


def test_compare_from_a_clinic_then_add_another(page, app_server, app_ready, screenshot, requests_seen):
    names = sample_names()
    open_app(page, app_server, "/clinic?clinic=kc-000005", app_ready)
    button = page.get_by_role("button", name="Compare with other clinics")
    expect(button).to_be_visible(timeout=WAIT_MS)
    button.click()
    expect(page).to_have_url(re.compile(r"/compare\?"), timeout=WAIT_MS)
    app_ready(page)
    assert query(page).get("compare") == ["kc-000005"], page.url
    expect(page.get_by_text("Choose at least two clinics")).to_be_visible(timeout=WAIT_MS)

    picker = page.get_by_role("combobox", name=re.compile(r"^Clinics to compare"))
    picker.click()
    picker.press_sequentially(names["kc-000010"], delay=20)
    expect(page.get_by_role("option", name=re.compile("^" + re.escape(names["kc-000010"])))).to_be_visible()
    picker.press("Enter")
    page.keyboard.press("Escape")  # close the option list
    expect(page).to_have_url(re.compile(r"compare=kc-000010"), timeout=WAIT_MS)
    app_ready(page)
    assert query(page).get("compare") == ["kc-000005", "kc-000010"], page.url
    _check_comparison(page, [names["kc-000005"], names["kc-000010"]], app_ready)

    screenshot(page)
    requests_seen.assert_stayed_local("Clinic details and Compare")


# --- 5. methodology ---------------------------------------------------------------------------------------


def test_methodology_shows_the_checklist(page, app_server, app_ready, screenshot, requests_seen):
    rules = load_checklist()
    open_app(page, app_server, "/methodology", app_ready)
    expect(page.get_by_role("heading", level=1)).to_have_text("How clinics are scored", timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="The checklist")).to_be_visible()
    expect(page.get_by_role("heading", name="Sources")).to_be_visible()
    tables = page.locator('[data-testid="stTable"], [data-testid="stDataFrame"]')
    expect(tables.first).to_be_visible()
    # Every criterion is listed, readable (HTML tables; a canvas grid would keep them in its accessible table).
    main = page.get_by_test_id("stMain")
    missing = [c.label for c in rules.criteria if not main.get_by_text(c.label, exact=True).count()]
    assert not missing, f"criteria missing from the checklist shown: {missing}"
    no_exception(page)

    app_ready(page)
    screenshot(page)
    requests_seen.assert_stayed_local("How scores work")


# --- 6. a shared search URL -------------------------------------------------------------------------------

# Bound toggles read their query parameter as "true" / "false" (what Streamlit 1.67 itself writes when one
# is flipped; "True" / "False" are read too). Other spellings, e.g. "0" or "no", are not booleans to it: the
# parameter is silently dropped from the URL and the toggle keeps its default. A select_slider takes one of
# its options ("120"); any other value ("123") is dropped likewise, back to the default (80). Spaces in
# `near` may be written "+" or "%20"; the comma raw or "%2C".
SHARED = "/?near=Colorado+Springs,+CO&radius=120&hide_red=false&hide_stale=true"


def test_shared_url_restores_the_search(page, app_server, app_ready, screenshot, requests_seen):
    open_app(page, app_server, SHARED, app_ready)
    line = count_line(page)
    expect(line).to_contain_text("within 120 km of Colorado Springs, CO", timeout=WAIT_MS)
    expect(where_box(page)).to_have_value("Colorado Springs, CO", timeout=WAIT_MS)
    expect(radius_slider(page)).to_have_attribute("aria-valuetext", "120")
    open_expander(page, "Safety and freshness")
    expect(switch(page, "Hide clinics with a red flag")).not_to_be_checked()
    expect(switch(page, "Hide records not verified in the last 12 months")).to_be_checked()

    text = line.inner_text()
    # Colorado Springs, CO has 3 clinics within 80 km; within 120 km Denver's come in too.
    assert leading_number(text) > 3, text
    assert "red flag" not in text, f"red-flagged clinics were hidden though hide_red=false: {text!r}"
    expect_rows(results_table(page), shown_number(text), f"the count line says {text!r}")
    params = query(page)
    assert params.get("hide_red") == ["false"] and params.get("hide_stale") == ["true"], page.url
    assert params.get("radius") == ["120"], page.url
    no_exception(page)

    app_ready(page)
    screenshot(page)
    requests_seen.assert_stayed_local("Find clinics")


def test_hide_red_flag_toggle_in_the_url(page, app_server, app_ready, requests_seen):
    """Where clinics with a red flag exist, the URL's hide_red decides whether they are listed."""
    base = "/?near=Philadelphia,+PA&radius=25"
    open_app(page, app_server, base, app_ready)
    line = count_line(page)
    expect(line).to_contain_text("within 25 km of Philadelphia, PA", timeout=WAIT_MS)
    hiding = line.inner_text()
    assert re.search(r"\d+ with a red flag", hiding), f"the sample has red-flagged clinics in Philadelphia: {hiding!r}"

    open_app(page, app_server, base + "&hide_red=false", app_ready)
    expect(line).to_contain_text("within 25 km of Philadelphia, PA", timeout=WAIT_MS)
    open_expander(page, "Safety and freshness")
    expect(switch(page, "Hide clinics with a red flag")).not_to_be_checked(timeout=WAIT_MS)
    showing = line.inner_text()
    assert "red flag" not in showing, showing
    assert leading_number(showing) == leading_number(hiding), (hiding, showing)
    assert shown_number(showing) > shown_number(hiding), (hiding, showing)
    no_exception(page)
    requests_seen.assert_stayed_local("Find clinics")


def test_search_set_by_hand_survives_a_copied_url(browser, page, app_server, app_ready, requests_seen,
                                                   watch_requests):
    """Set a search with the controls, copy the address bar into a new window: the same search comes back."""
    open_app(page, app_server, "/", app_ready)
    search_for(page, "Colorado Springs, CO", app_ready)
    line = count_line(page)
    expect(line).to_contain_text("within 80 km of Colorado Springs, CO", timeout=WAIT_MS)
    widen_radius_to_120(page, line, app_ready)
    open_expander(page, "Safety and freshness")
    for label in ("Hide clinics with a red flag", "Hide records not verified in the last 12 months"):
        was = switch(page, label).is_checked()
        page.get_by_test_id("stCheckbox").filter(has_text=label).locator("label").click()
        if was:
            expect(switch(page, label)).not_to_be_checked(timeout=WAIT_MS)
        else:
            expect(switch(page, label)).to_be_checked(timeout=WAIT_MS)
        app_ready(page)
    expect(page).to_have_url(re.compile(r"hide_stale=true"), timeout=WAIT_MS)
    expect(page).to_have_url(re.compile(r"hide_red=false"), timeout=WAIT_MS)
    app_ready(page)
    url, text = page.url, line.inner_text()

    other = browser.new_context(viewport=page.viewport_size)
    try:
        tab = other.new_page()
        seen = watch_requests(tab)
        tab.goto(url, wait_until="domcontentloaded")
        app_ready(tab)
        expect(count_line(tab)).to_have_text(text, timeout=WAIT_MS)
        expect(where_box(tab)).to_have_value("Colorado Springs, CO", timeout=WAIT_MS)
        expect(radius_slider(tab)).to_have_attribute("aria-valuetext", "120")
        open_expander(tab, "Safety and freshness")
        expect(switch(tab, "Hide clinics with a red flag")).not_to_be_checked()
        expect(switch(tab, "Hide records not verified in the last 12 months")).to_be_checked()
        seen.assert_stayed_local("Find clinics, opened from a copied URL")
    finally:
        other.close()
    requests_seen.assert_stayed_local("Find clinics")


# --- 7. download the results ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/?near=Colorado+Springs,+CO&radius=120&hide_stale=true", "/"],
    ids=["near-colorado-springs", "whole-directory"],
)
def test_download_results_matches_what_is_shown(page, app_server, app_ready, requests_seen, path):
    open_app(page, app_server, path, app_ready)
    line = count_line(page)
    expect(line).to_contain_text("within 120 km" if "near=" in path else "in the directory", timeout=WAIT_MS)
    expect(page.get_by_role("button", name="Download results (CSV)")).to_be_visible(timeout=WAIT_MS)
    app_ready(page)
    shown = shown_number(line.inner_text())

    name, text = download_text(page, "Download results (CSV)")
    assert name.endswith(".csv"), name
    reader = csv.DictReader(io.StringIO(text))
    assert {"clinic_id", "name"} <= set(reader.fieldnames or ()), reader.fieldnames
    rows = list(reader)
    assert len(rows) == min(shown, 50), f"the CSV has {len(rows)} clinics; the page shows {shown} (first 50 kept)"
    assert all(re.fullmatch(r"kc-\d{6}", r["clinic_id"]) for r in rows)
    if "near=" in path:
        assert "distance_km" in reader.fieldnames, reader.fieldnames
    no_exception(page)
    requests_seen.assert_stayed_local("Find clinics")


def test_printable_list_reads_like_a_shortlist(page, app_server, app_ready, requests_seen):
    """The printable list is for people: the search it came from, the clinics, the disclaimer, rounded numbers."""
    open_app(page, app_server, "/?near=80903&radius=120", app_ready)
    line = count_line(page)
    expect(line).to_contain_text("within 120 km of Colorado Springs, CO 80903", timeout=WAIT_MS)
    expect(page.get_by_role("button", name="Printable list (HTML)")).to_be_visible()
    app_ready(page)
    text = line.inner_text()
    _, csv_text = download_text(page, "Download results (CSV)")
    names = [r["name"] for r in csv.DictReader(io.StringIO(csv_text))]

    name, html = download_text(page, "Printable list (HTML)")
    assert name.endswith(".html"), name
    assert re.search(r"not medical advice", html, re.IGNORECASE), "the printable list has no disclaimer"
    assert text in html, f"the printable list does not say which search it shows ({text!r})"
    missing = [n for n in names if n not in html]
    assert not missing, f"clinics in the results but not on the printable list: {missing}"
    # How it reads on paper: every problem at once.
    cells = re.findall(r"<td[^>]*>\s*([^<]*?)\s*</td>", html)
    headers = re.findall(r"<th[^>]*>\s*([^<]*?)\s*</th>", html)
    problems = []
    unrounded = sorted({c for c in cells if re.fullmatch(r"-?\d+\.\d{3,}", c)})
    if unrounded:
        problems.append(f"unrounded numbers (distances in km?): {unrounded[:3]}")
    if coded := [h for h in headers if "_" in h]:
        problems.append(f"column names from the data file, not words: {coded}")
    if midnight := sorted({c for c in cells if re.fullmatch(r"\d{4}-\d{2}-\d{2} 00:00:00", c)}):
        problems.append(f"dates with a midnight time: {midnight[:2]}")
    assert not problems, "the printable list is hard to read:\n" + "\n".join(problems)
    no_exception(page)
    requests_seen.assert_stayed_local("Find clinics")
