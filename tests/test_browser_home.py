"""The home page, as a visitor's browser sees it: map, table, disclaimer, and no internet needed."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Schemes that never leave the browser.
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-extension", "devtools"}


def _leaves_machine(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return False
    return (parts.hostname or "") not in LOCAL_HOSTS


def _outside(urls: list[str]) -> list[str]:
    return sorted({u for u in urls if _leaves_machine(u)})


def test_home_shows_map_table_and_disclaimer_offline(page, app_server, app_ready, screenshot):
    requested: list[str] = []
    topojson: dict[str, int] = {}  # URL -> HTTP status of each /app/static/*.json the map loaded

    page.on("request", lambda req: requested.append(req.url))
    page.on("websocket", lambda ws: requested.append(ws.url))

    def on_response(resp) -> None:
        path = urlsplit(resp.url).path
        if path.startswith("/app/static/") and path.endswith(".json"):
            topojson[resp.url] = resp.status

    page.on("response", on_response)

    page.goto(app_server + "/", wait_until="domcontentloaded")
    app_ready(page)

    # The plotly map, with its geo base layer drawn: outline paths with real geometry.
    plot = page.locator(".js-plotly-plot").first
    plot.wait_for(state="visible")
    try:
        page.wait_for_function(
            "() => [...document.querySelectorAll('.js-plotly-plot g.geolayer path')]"
            "      .some(p => (p.getAttribute('d') || '').length > 100)",
            timeout=30_000,
        )
    except PlaywrightTimeoutError:
        pytest.fail(
            "the map's geo outline was never drawn. topojson from /app/static/: "
            f"{topojson or 'none'}; requests beyond this machine: {_outside(requested) or 'none'}"
        )
    assert plot.locator("g.geolayer .geo").first.is_visible(), "the map's geo layer is not visible"

    # The base map came from the app's own static folder, not from a CDN.
    assert topojson, "the map loaded no topojson from /app/static/ (is topojsonURL set to /app/static/?)"
    assert all(status == 200 for status in topojson.values()), f"topojson responses: {topojson}"

    # The clinics table.
    page.locator('[data-testid="stDataFrame"]').first.wait_for(state="visible")

    # The disclaimer, in visible text.
    text = " ".join(page.locator('[data-testid="stApp"]').inner_text().split())
    assert re.search(r"not medical advice", text, re.IGNORECASE), "no visible 'not medical advice' statement"

    app_ready(page)
    screenshot(page)

    outside = _outside(requested)
    assert not outside, "the page reached beyond this machine:\n" + "\n".join(outside)
    assert any(urlsplit(u).path.startswith("/_stcore/stream") for u in requested), "no app websocket seen"
