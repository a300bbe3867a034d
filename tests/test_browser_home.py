"""The landing page ("Find clinics"), as a visitor's browser sees it: map, list, disclaimer, no internet needed."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from testkit.browser import WAIT_MS, open_app

pytestmark = pytest.mark.browser


def test_home_shows_map_list_and_disclaimer_offline(page, app_server, app_ready, screenshot, requests_seen):
    topojson: dict[str, int] = {}  # URL -> HTTP status of each /app/static/*.json the map loaded

    def on_response(resp) -> None:
        path = urlsplit(resp.url).path
        if path.startswith("/app/static/") and path.endswith(".json"):
            topojson[resp.url] = resp.status

    page.on("response", on_response)

    open_app(page, app_server + "/")

    # The landing page is the patient's search.
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a ketamine therapy clinic", timeout=WAIT_MS)
    expect(page.get_by_role("textbox", name="Where", exact=True)).to_be_visible(timeout=WAIT_MS)

    # The plotly map, with its geo base layer drawn: outline paths with real geometry.
    plot = page.locator(".js-plotly-plot").first
    plot.wait_for(state="visible", timeout=WAIT_MS)
    try:
        page.wait_for_function(
            "() => [...document.querySelectorAll('.js-plotly-plot g.geolayer path')]"
            "      .some(p => (p.getAttribute('d') || '').length > 100)",
            timeout=WAIT_MS,
        )
    except PlaywrightTimeoutError:
        pytest.fail(
            "the map's geo outline was never drawn. topojson from /app/static/: "
            f"{topojson or 'none'}; requests beyond this machine: {requests_seen.outside() or 'none'}"
        )
    assert plot.locator("g.geolayer .geo").first.is_visible(), "the map's geo layer is not visible"

    # The base map came from the app's own static folder, not from a CDN.
    assert topojson, "the map loaded no topojson from /app/static/ (is topojsonURL set to /app/static/?)"
    assert all(status == 200 for status in topojson.values()), f"topojson responses: {topojson}"

    # The clinics, listed: each name a link to the clinic's page.
    page.locator("ol.clinic-list a.name").first.wait_for(state="visible", timeout=WAIT_MS)

    # The disclaimer, in visible text in the sidebar (so it is there on every screen).
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(re.compile(r"not medical advice", re.IGNORECASE)).first).to_be_visible(timeout=WAIT_MS)

    app_ready(page)
    screenshot(page)

    requests_seen.assert_stayed_local("the home page")
    assert requests_seen.saw_app_websocket(), "no app websocket seen"
