"""A patient's flows, in a real browser: search near me, widen the radius, open a clinic, compare, read the
methodology, share a search by its URL, download the shortlist. Every page must stay on this machine.

Results, clinic criteria and comparisons are HTML the app writes (ui.results, vetting.report, vetting.export),
read here through their links, headings and table rows.

The places searched, the clinics opened and every count expected come from the sample (testkit.sample), picked
by what each test needs of them: none is copied from data/clinics.csv.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from functools import cache
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from testkit import sample
from testkit.browser import (
    RESULTS_CSV_ROWS,
    WAIT_MS,
    count_line,
    download_text,
    leading_number,
    no_exception,
    open_app,
    shown_number,
)
from ui.results import PER_PAGE
from vetting import load_checklist

pytestmark = pytest.mark.browser


# --- what the tests need of the sample --------------------------------------------------------------------


@cache
def zip_search() -> str:
    """A clinic's ZIP with a clinic shown within 80 km (red-flagged ones are hidden by default) and more
    clinics within 200 km than within 80."""
    return sample.first(
        sample.zip_searches(),
        lambda z: (sample.near(z, 80)["n_red_flags"] == 0).any() and len(sample.near(z, 200)) > len(sample.near(z, 80)),
        "ZIP with a clinic shown within 80 km and more clinics within 200 km")


@cache
def town_search() -> str:
    """A clinic's town ("City, ST") with clinics within 80 km and more of them within 120 km."""
    return sample.first(sample.city_searches(), lambda t: len(sample.near(t, 120)) > len(sample.near(t, 80)) > 0,
                        "town with clinics within 80 km and more within 120 km")


@cache
def red_flag_town() -> str:
    """A clinic's town with a red-flagged clinic within 25 km."""
    return sample.first(sample.city_searches(), lambda t: (sample.near(t, 25)["n_red_flags"] > 0).any(),
                        "town with a red-flagged clinic within 25 km")


def differing(a: str, b: str) -> int:
    """How many criteria two clinics' checklists differ in."""
    return int((sample.criterion_states(a) != sample.criterion_states(b)).sum())


@cache
def two_to_compare() -> tuple[str, str]:
    """Two clinics a patient can pick by name whose checklists differ, but not in every criterion."""
    criteria = len(load_checklist().criteria)
    return sample.first(itertools.combinations(sample.findable_by_name(), 2),
                        lambda pair: 0 < differing(*pair) < criteria,
                        "two clinics with distinct names whose checklists differ, but not everywhere")


def label(query: str) -> str:
    """What the app calls a searched place ("City, ST 12345")."""
    return sample.place(query).label


# --- helpers ----------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def patient_expect_timeout():
    """expect() retries for up to WAIT_MS in this module (Streamlit re-renders after a run ends)."""
    expect.set_options(timeout=WAIT_MS)
    yield
    expect.set_options(timeout=None)  # back to Playwright's default


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


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


def results_list(page):
    """Find clinics' results: a list of cards (ui.results), one per clinic, its name a link to the clinic."""
    return page.locator("ol.clinic-list")


def result_links(page):
    return results_list(page).locator("a.name")


def expect_rows(results, rows: int, why: str) -> None:
    """The list ends up showing ``rows`` clinics on its first page (it is redrawn a moment after the run)."""
    expect(results.locator("li"), f"the list should show {min(rows, PER_PAGE)} clinics: {why}").to_have_count(
        min(rows, PER_PAGE))


def open_filters(page) -> None:
    """Open the Filters button's panel (its label may carry a count: "Filters (2 set)")."""
    button = page.get_by_role("button", name=re.compile(r"^(tune\s*)?Filters"))
    expect(button).to_have_count(1, timeout=WAIT_MS)
    if not page.get_by_test_id("stPopoverBody").is_visible():
        button.click()
    expect(page.get_by_test_id("stPopoverBody")).to_be_visible(timeout=WAIT_MS)


def search_for(page, place: str, app_ready) -> None:
    box = where_box(page)
    expect(box).to_be_editable(timeout=WAIT_MS)
    box.fill(place)
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]near="), timeout=WAIT_MS)
    app_ready(page)


# --- 1. search by ZIP -------------------------------------------------------------------------------------


def test_search_by_zip_lists_nearby_clinics(page, app_server, app_ready, screenshot, requests_seen):
    zip_code = zip_search()
    open_app(page, app_server + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a ketamine therapy clinic", timeout=WAIT_MS)

    search_for(page, zip_code, app_ready)

    line = count_line(page)
    expect(line).to_contain_text(f"within 80 km of {label(zip_code)}", timeout=WAIT_MS)
    assert query(page).get("near") == [zip_code], page.url
    expect(where_box(page)).to_have_value(zip_code)
    expect(radius_slider(page)).to_have_attribute("aria-valuetext", "80")

    text = line.inner_text()
    shown = shown_number(text)
    assert shown >= 1, f"no clinic shown near {zip_code} (the sample has one without a red flag): {text!r}"
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    results = results_list(page)
    expect(results).to_be_visible()
    expect_rows(results, shown, f"the count line says {text!r}")
    no_exception(page)

    app_ready(page)
    screenshot(page)
    requests_seen.assert_stayed_local("Find clinics")


# --- 2. widen the radius ----------------------------------------------------------------------------------


def test_wider_radius_finds_more_clinics(page, app_server, app_ready, screenshot, requests_seen):
    zip_code = zip_search()
    open_app(page, app_server + "/?" + urlencode({"near": zip_code}))
    line = count_line(page)
    expect(line).to_contain_text(f"within 80 km of {label(zip_code)}", timeout=WAIT_MS)
    near_80 = leading_number(line.inner_text())

    slider = widen_radius_to_120(page, line, app_ready)
    slider.focus()
    slider.press("ArrowRight")  # 120 -> 200
    expect(line).to_contain_text(f"within 200 km of {label(zip_code)}", timeout=WAIT_MS)
    app_ready(page)

    assert query(page).get("radius") == ["200"], page.url
    assert query(page).get("near") == [zip_code], page.url
    expect(slider).to_have_attribute("aria-valuetext", "200")
    text = line.inner_text()
    near_200 = leading_number(text)
    assert near_200 > near_80, f"200 km finds {near_200} clinics, 80 km found {near_80}: {text!r}"
    expect_rows(results_list(page), shown_number(text), f"the count line says {text!r}")

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


@pytest.mark.parametrize("by_zip", [False, True], ids=["no-location", "after-zip-search"])
def test_picking_a_result_opens_that_clinic(page, app_server, app_ready, screenshot, requests_seen, by_zip):
    near = zip_search() if by_zip else ""
    open_app(page, app_server + "/")
    if near:
        search_for(page, near, app_ready)
        expect(count_line(page)).to_contain_text(label(near), timeout=WAIT_MS)
    else:
        expect(count_line(page)).to_contain_text("in the directory", timeout=WAIT_MS)
    results = results_list(page)
    expect(results).to_be_visible(timeout=WAIT_MS)
    expect_rows(results, shown_number(count_line(page).inner_text()), "the list shows the clinics counted")
    first_name = result_links(page).first
    expect(first_name).not_to_have_text("", timeout=WAIT_MS)
    picked = first_name.inner_text().strip()
    app_ready(page)

    first_name.click()

    try:
        expect(page).to_have_url(re.compile(r"/clinic\?"))
    except AssertionError:
        no_exception(page)  # name the app's own error when it shows one instead of the clinic
        raise
    app_ready(page)
    no_exception(page)
    params = query(page)
    opened = (params.get("clinic") or [""])[0]
    assert sample.names().get(opened) == picked, f"picked {picked!r}, opened {opened!r}: {page.url}"
    expect(page.get_by_role("heading", level=1)).to_have_text(picked, timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="How it scored")).to_be_visible()
    if near:
        assert params.get("place") == [near], page.url  # the searched place travels on as ?place=
        expect(page.get_by_test_id("stMetric").filter(has_text="Distance")).to_contain_text(" km")
        expect(page.get_by_text(f"from {label(near)}", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Compare with other clinics")).to_be_visible()  # drawn to the end

    app_ready(page)
    screenshot(page)
    requests_seen.assert_stayed_local("Find clinics and Clinic details")


def test_clinic_details_explain_the_score(page, app_server, app_ready, screenshot, requests_seen):
    clinic = sample.findable_by_name()[0]
    open_app(page, app_server + "/clinic?" + urlencode({"clinic": clinic}))
    expect(page.get_by_role("heading", level=1)).to_have_text(sample.names()[clinic], timeout=WAIT_MS)
    for section in ("Contact", "Treatments", "Cost and access", "How it scored", "Questions to ask this clinic"):
        expect(page.get_by_role("heading", name=section)).to_be_visible()
    metrics = page.get_by_test_id("stMetric")
    for title in ("Grade", "Score", "Data complete", "Last verified"):
        expect(metrics.filter(has_text=title).first).to_be_visible()
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
    facts = page.locator(".kc-compare").first
    for i, name in enumerate(names, 1):
        expect(facts.locator("thead th").filter(has_text=re.compile("^" + re.escape(f"{i}. {name}") + "$"))
               ).to_have_count(1)
    expect(page.get_by_role("switch", name="Show only the criteria where they differ")).to_be_attached()
    expect(page.get_by_role("button", name="Download comparison (CSV)")).to_be_visible()
    expect(page.get_by_role("button", name="Printable comparison (HTML)")).to_be_visible()
    app_ready(page)
    no_exception(page)


def test_compare_two_clinics_from_a_link(page, app_server, app_ready, screenshot, requests_seen):
    first, second = two_to_compare()
    names = sample.names()
    open_app(page, app_server + "/compare?" + urlencode({"compare": [first, second]}, doseq=True))
    _check_comparison(page, [names[first], names[second]], app_ready)

    # The checklist, all of it; then only where the two differ.
    labels = {c.label for c in load_checklist().criteria}
    criteria = len(labels)
    checklist = page.locator(".kc-compare").last.locator("tbody tr")
    expect(checklist).to_have_count(criteria)
    _, text = download_text(page, "Download comparison (CSV)")
    items = [row["item"] for row in csv.DictReader(io.StringIO(text))]
    assert sum(item in labels for item in items) == criteria, "the CSV does not hold every criterion"

    screenshot(page, "all")
    page.get_by_test_id("stCheckbox").filter(has_text="Show only the criteria where they differ").locator(
        "label").click()
    expect(page).to_have_url(re.compile(r"[?&]only_diff=true"), timeout=WAIT_MS)
    app_ready(page)
    expect(page.get_by_role("switch", name="Show only the criteria where they differ")).to_be_checked()
    expected = differing(first, second)
    expect(checklist, f"the clinics differ in {expected} of {criteria} criteria").to_have_count(expected)
    no_exception(page)

    screenshot(page, "differences")
    requests_seen.assert_stayed_local("Compare")


def test_compare_from_a_clinic_then_add_another(page, app_server, app_ready, screenshot, requests_seen):
    first, second = two_to_compare()
    names = sample.names()
    open_app(page, app_server + "/clinic?" + urlencode({"clinic": first}))
    button = page.get_by_role("button", name="Compare with other clinics")
    expect(button).to_be_visible(timeout=WAIT_MS)
    button.click()
    expect(page).to_have_url(re.compile(r"/compare\?"), timeout=WAIT_MS)
    app_ready(page)
    assert query(page).get("compare") == [first], page.url
    expect(page.get_by_text("Choose at least two clinics")).to_be_visible(timeout=WAIT_MS)

    picker = page.get_by_role("combobox", name=re.compile(r"^Clinics to compare"))
    picker.click()
    picker.press_sequentially(names[second], delay=20)
    expect(page.get_by_role("option", name=re.compile("^" + re.escape(names[second])))).to_be_visible()
    picker.press("Enter")
    page.keyboard.press("Escape")  # close the option list
    expect(page).to_have_url(re.compile("compare=" + re.escape(second)), timeout=WAIT_MS)
    app_ready(page)
    assert query(page).get("compare") == [first, second], page.url
    _check_comparison(page, [names[first], names[second]], app_ready)

    screenshot(page)
    requests_seen.assert_stayed_local("Clinic details and Compare")


# --- 5. methodology ---------------------------------------------------------------------------------------


def test_methodology_shows_the_checklist(page, app_server, app_ready, screenshot, requests_seen):
    rules = load_checklist()
    open_app(page, app_server + "/methodology")
    expect(page.get_by_role("heading", level=1)).to_have_text("How clinics are scored", timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="The checklist")).to_be_visible()
    expect(page.get_by_role("heading", name="Sources")).to_be_visible()
    expect(page.get_by_role("region", name=re.compile("^Criteria: ")).first).to_be_visible()
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
# `near` may be written "+" or "%20"; the comma raw or "%2C" (urlencode writes "+" and "%2C").


def shared_search(town: str) -> str:
    return "/?" + urlencode({"near": town, "radius": 120, "hide_red": "false", "hide_stale": "true"})


def test_shared_url_restores_the_search(page, app_server, app_ready, screenshot, requests_seen):
    town = town_search()
    open_app(page, app_server + shared_search(town))
    line = count_line(page)
    expect(line).to_contain_text(f"within 120 km of {label(town)}", timeout=WAIT_MS)
    expect(where_box(page)).to_have_value(town, timeout=WAIT_MS)
    expect(radius_slider(page)).to_have_attribute("aria-valuetext", "120")
    open_filters(page)
    expect(switch(page, "Hide clinics with a red flag")).not_to_be_checked()
    expect(switch(page, "Hide records not verified in the last 12 months")).to_be_checked()

    text = line.inner_text()
    # The 120 km of the URL, not the default 80: the town has more clinics within 120 km than within 80.
    within_120, within_80 = len(sample.near(town, 120)), len(sample.near(town, 80))
    assert leading_number(text) == within_120, (
        f"{town} has {within_120} clinics within 120 km ({within_80} within 80): {text!r}")
    assert "red flag" not in text, f"red-flagged clinics were hidden though hide_red=false: {text!r}"
    expect_rows(results_list(page), shown_number(text), f"the count line says {text!r}")
    params = query(page)
    assert params.get("hide_red") == ["false"] and params.get("hide_stale") == ["true"], page.url
    assert params.get("radius") == ["120"], page.url
    no_exception(page)

    app_ready(page)
    screenshot(page)
    requests_seen.assert_stayed_local("Find clinics")


def test_hide_red_flag_toggle_in_the_url(page, app_server, app_ready, requests_seen):
    """Where clinics with a red flag exist, the URL's hide_red decides whether they are listed."""
    town = red_flag_town()
    base = "/?" + urlencode({"near": town, "radius": 25})
    open_app(page, app_server + base)
    line = count_line(page)
    expect(line).to_contain_text(f"within 25 km of {label(town)}", timeout=WAIT_MS)
    hiding = line.inner_text()
    assert re.search(r"\d+ with a red flag", hiding), f"the sample has red-flagged clinics near {town}: {hiding!r}"

    open_app(page, app_server + base + "&hide_red=false")
    expect(line).to_contain_text(f"within 25 km of {label(town)}", timeout=WAIT_MS)
    open_filters(page)
    expect(switch(page, "Hide clinics with a red flag")).not_to_be_checked(timeout=WAIT_MS)
    showing = line.inner_text()
    assert "red flag" not in showing, showing
    assert leading_number(showing) == leading_number(hiding), (hiding, showing)
    assert shown_number(showing) > shown_number(hiding), (hiding, showing)
    no_exception(page)
    requests_seen.assert_stayed_local("Find clinics")


def test_search_set_by_hand_survives_a_copied_url(page, new_tab, app_log_path, app_server, app_ready,
                                                   requests_seen, watch_requests):
    """Set a search with the controls, copy the address bar into a new window: the same search comes back."""
    town = town_search()
    open_app(page, app_server + "/")
    search_for(page, town, app_ready)
    line = count_line(page)
    expect(line).to_contain_text(f"within 80 km of {label(town)}", timeout=WAIT_MS)
    widen_radius_to_120(page, line, app_ready)
    open_filters(page)
    for toggle in ("Hide clinics with a red flag", "Hide records not verified in the last 12 months"):
        was = switch(page, toggle).is_checked()
        page.get_by_test_id("stCheckbox").filter(has_text=toggle).locator("label").click()
        if was:
            expect(switch(page, toggle)).not_to_be_checked(timeout=WAIT_MS)
        else:
            expect(switch(page, toggle)).to_be_checked(timeout=WAIT_MS)
        app_ready(page)
    expect(page).to_have_url(re.compile(r"hide_stale=true"), timeout=WAIT_MS)
    expect(page).to_have_url(re.compile(r"hide_red=false"), timeout=WAIT_MS)
    app_ready(page)
    url, text = page.url, line.inner_text()

    tab = new_tab(app_log_path, page.viewport_size)  # another window: a context of its own
    seen = watch_requests(tab)
    open_app(tab, url)
    expect(count_line(tab)).to_have_text(text, timeout=WAIT_MS)
    expect(where_box(tab)).to_have_value(town, timeout=WAIT_MS)
    expect(radius_slider(tab)).to_have_attribute("aria-valuetext", "120")
    open_filters(tab)
    expect(switch(tab, "Hide clinics with a red flag")).not_to_be_checked()
    expect(switch(tab, "Hide records not verified in the last 12 months")).to_be_checked()
    seen.assert_stayed_local("Find clinics, opened from a copied URL")
    requests_seen.assert_stayed_local("Find clinics")


# --- 7. download the results ------------------------------------------------------------------------------


@pytest.mark.parametrize("near", [True, False], ids=["near-a-town", "whole-directory"])
def test_download_results_matches_what_is_shown(page, app_server, app_ready, requests_seen, near):
    path = "/?" + urlencode({"near": town_search(), "radius": 120, "hide_stale": "true"}) if near else "/"
    open_app(page, app_server + path)
    line = count_line(page)
    expect(line).to_contain_text("within 120 km" if near else "in the directory", timeout=WAIT_MS)
    expect(page.get_by_role("button", name="Download results (CSV)")).to_be_visible(timeout=WAIT_MS)
    app_ready(page)
    shown = shown_number(line.inner_text())

    name, text = download_text(page, "Download results (CSV)")
    assert name.endswith(".csv"), name
    reader = csv.DictReader(io.StringIO(text))
    assert {"clinic_id", "name"} <= set(reader.fieldnames or ()), reader.fieldnames
    rows = list(reader)
    assert len(rows) == min(shown, RESULTS_CSV_ROWS), (
        f"the CSV has {len(rows)} clinics; the page shows {shown} (first {RESULTS_CSV_ROWS} kept)")
    names = sample.names()
    unknown = [r["clinic_id"] for r in rows if r["clinic_id"] not in names]
    assert not unknown, f"clinic ids in the CSV that are not in the data: {unknown}"
    if near:
        assert "distance_km" in reader.fieldnames, reader.fieldnames
    no_exception(page)
    requests_seen.assert_stayed_local("Find clinics")


def test_printable_list_reads_like_a_shortlist(page, app_server, app_ready, requests_seen):
    """The printable list is for people: the search it came from, the clinics, the disclaimer, rounded numbers."""
    zip_code = zip_search()
    open_app(page, app_server + "/?" + urlencode({"near": zip_code, "radius": 120}))
    line = count_line(page)
    expect(line).to_contain_text(f"within 120 km of {label(zip_code)}", timeout=WAIT_MS)
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
