"""Find clinics for people who use a keyboard, a phone or a shared link (issue 13, items 2-5).

- From page load to an opened clinic with the keyboard alone: the place box is among the first stops, every
  result is a real link, Enter opens it, and the focus on it can be seen.
- On a 390x844 phone the first result is on the first screen, nothing is wider than the screen, and the
  menu does not stay open over the page after a tap on a page or a reload.
- At 1400 px no clinic's name is cut short and nothing needs sideways scrolling.
- A shared link opened in a new browser says how many filters it sets, and the links carry values.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from testkit import sample
from testkit.a11y import DESKTOP, PHONE, changed_pixels, from_the_top, overflow, tab_until
from testkit.browser import WAIT_MS, count_line, open_app, rerun, settle
from vetting.contract import CONDITIONS

pytestmark = pytest.mark.browser

MAX_TABS_TO_PLACE_BOX = 6  # the navigation's few stops, then the place box
MIN_FOCUS_PIXELS = 40  # a 2 px ring round a link changes hundreds of pixels


def busy_town() -> str:
    """A clinic's town with more clinics within 80 km than one page of results holds."""
    from ui.results import PER_PAGE

    return sample.first(sample.city_searches(), lambda t: len(sample.near(t, 80)) > PER_PAGE,
                        "town with more clinics within 80 km than a page of results")


def result_links(page):
    return page.locator("ol.clinic-list a.name")


def test_from_page_load_to_an_opened_clinic_with_the_keyboard_alone(new_tab, app_log_path, app_server):
    town = busy_town()
    page = new_tab(app_log_path, DESKTOP)
    open_app(page, app_server + "/")
    from_the_top(page)
    where = page.get_by_role("textbox", name="Where", exact=True)
    presses = tab_until(page, where, max_tabs=MAX_TABS_TO_PLACE_BOX)
    assert presses <= MAX_TABS_TO_PLACE_BOX, presses

    page.keyboard.type(town)
    rerun(page, lambda: page.keyboard.press("Enter"))
    expect(count_line(page)).to_contain_text(sample.place(town).label, timeout=WAIT_MS)

    first = result_links(page).first
    name = first.inner_text().strip()
    tab_until(page, first, max_tabs=10)  # past the radius, the Filters button and the sort
    box = first.bounding_box()
    around = {"x": box["x"] - 4, "y": box["y"] - 4, "width": box["width"] + 8, "height": box["height"] + 8}
    focused = page.screenshot(clip=around, animations="disabled")
    page.keyboard.press("Tab")  # on to the card's next link, and back
    unfocused = page.screenshot(clip=around, animations="disabled")
    page.keyboard.press("Shift+Tab")
    seen = changed_pixels(focused, unfocused)
    assert seen >= MIN_FOCUS_PIXELS, f"the focus on {name!r} cannot be seen ({seen} pixels change)"

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/clinic\?"), timeout=WAIT_MS)
    settle(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(name, timeout=WAIT_MS)
    opened = parse_qs(urlsplit(page.url).query)
    assert sample.names()[opened["clinic"][0]] == name and opened["place"] == [town], page.url


def test_on_a_phone_the_results_come_first_and_fit(new_tab, app_log_path, app_server):
    town = busy_town()
    page = new_tab(app_log_path, PHONE)
    open_app(page, app_server + "/?" + urlencode({"near": town}))
    first = result_links(page).first
    expect(first).to_be_visible(timeout=WAIT_MS)
    top = first.bounding_box()["y"]
    assert top < PHONE["height"], f"the first result starts {top:.0f} px down, below the first screen"
    assert overflow(page) == []
    # The filters are one tap away, and fit too.
    page.get_by_role("button", name=re.compile(r"Filters")).click()
    expect(page.get_by_test_id("stPopoverBody")).to_be_visible(timeout=WAIT_MS)
    assert overflow(page) == []


def test_on_a_phone_the_menu_closes_after_a_tap_and_after_a_reload(new_tab, app_log_path, app_server):
    page = new_tab(app_log_path, PHONE)
    open_app(page, app_server + "/")
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav).not_to_be_visible()
    page.get_by_test_id("stExpandSidebarButton").click()
    expect(nav).to_be_visible(timeout=WAIT_MS)
    nav.get_by_role("link", name="How scores work").click()
    settle(page)
    expect(page).to_have_url(re.compile(r"/methodology"))
    expect(nav, "the menu still covers the page after tapping a page").not_to_be_visible(timeout=WAIT_MS)
    page.get_by_test_id("stExpandSidebarButton").click()
    expect(nav).to_be_visible(timeout=WAIT_MS)
    page.reload()
    settle(page)
    expect(nav, "the menu covers the page again after a reload").not_to_be_visible(timeout=WAIT_MS)


def test_at_desktop_width_no_name_is_cut_and_nothing_scrolls_sideways(new_tab, app_log_path, app_server):
    page = new_tab(app_log_path, DESKTOP)
    open_app(page, app_server + "/?" + urlencode({"near": busy_town(), "radius": 400}))
    expect(result_links(page).first).to_be_visible(timeout=WAIT_MS)
    cut = page.evaluate("""() => [...document.querySelectorAll('ol.clinic-list li *')]
        .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== 'visible')
        .map(e => e.textContent)""")
    assert cut == [], f"cut short: {cut}"
    assert overflow(page) == []
    # Each card says what a person compares: grade and score, place, price, when it was last verified.
    card = page.locator("ol.clinic-list li").first
    expect(card).to_contain_text(re.compile(r"Last verified \d{4}-\d{2}-\d{2}|Never verified"))
    expect(card.get_by_role("link", name=re.compile("^Directions"))).to_have_attribute(
        "href", re.compile(r"^https://"))


def test_a_shared_link_opens_with_its_filters_counted_and_carries_values(new_tab, app_log_path, app_server):
    town, condition = busy_town(), CONDITIONS[0]
    page = new_tab(app_log_path, DESKTOP)
    open_app(page, app_server + "/?" + urlencode({"near": town, "max_price": 700, "condition": condition,
                                                  "sort": "value"}))
    expect(page.get_by_role("button", name=re.compile(r"Filters \(2 set\)"))).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("combobox", name="Sort by")).to_have_value(re.compile("Best value"))
    # A change made on the page goes into the URL as a value, not as the words on screen.
    page.get_by_role("button", name=re.compile(r"Filters")).click()
    switch = page.get_by_role("switch", name="Accepts insurance", exact=True)
    rerun(page, lambda: page.get_by_test_id("stCheckbox").filter(has_text="Accepts insurance").locator(
        "label").click())
    expect(switch).to_be_checked()
    expect(page).to_have_url(re.compile(r"insurance=true"), timeout=WAIT_MS)
    query = parse_qs(urlsplit(page.url).query)
    assert query["sort"] == ["value"] and query["condition"] == [condition] and query["max_price"] == ["700"], \
        page.url
    expect(page.get_by_role("button", name=re.compile(r"Filters \(3 set\)"))).to_be_visible(timeout=WAIT_MS)
