"""Driving the app in Debian's chromium (Playwright): launch settings, waiting for Streamlit's runs, reading
the results' count line and downloads, screenshots, and checking that a tab stayed on this machine.

Playwright is imported inside the functions that need it, so importing this module needs only the standard
library (tests/conftest.py imports it in every test run, browser or not).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from testkit.server import REPO_ROOT, tail

# --- the browser ------------------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package: no browser is ever downloaded
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1400, "height": 1000}
TAB_TIMEOUT_MS = 30_000  # a tab's default timeout for actions and waits
# A run of the app can take many seconds on a busy machine, and Streamlit draws a run's elements a moment after
# it reports the run finished: how long the tests wait for what a run shows.
WAIT_MS = 60_000


def open_tab(browser, viewport: dict[str, int] | None = None):
    """A fresh context and tab (``VIEWPORT`` unless given; downloads accepted); returns (context, tab)."""
    context = browser.new_context(viewport=viewport or VIEWPORT, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(TAB_TIMEOUT_MS)
    return context, tab


# --- Streamlit's runs -------------------------------------------------------------------------------------

APP_IDLE = '[data-testid="stApp"][data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]'
RUNNING_ICON = '[data-testid="stStatusWidgetRunningIcon"]'
STALE = '[data-stale="true"]'  # an element of the previous run, not yet redrawn by the current one


def wait_for_app(page, timeout_ms: float = WAIT_MS) -> None:
    """Wait until Streamlit is connected and its script has finished running (no 'Running...' icon)."""
    page.wait_for_selector(APP_IDLE, state="attached", timeout=timeout_ms)
    page.wait_for_selector(RUNNING_ICON, state="detached", timeout=timeout_ms)


def settle(page, timeout_ms: float = WAIT_MS) -> None:
    """Wait until the app is idle with nothing stale on screen, and stays so (an st.rerun starts a second run)."""
    for _ in range(2):
        wait_for_app(page, timeout_ms)
        page.wait_for_selector(STALE, state="detached", timeout=timeout_ms)
        page.wait_for_timeout(400)
    wait_for_app(page, timeout_ms)


def open_app(page, url: str, timeout_ms: float = WAIT_MS) -> None:
    """Load ``url`` in ``page`` and wait until the app's runs are over (see ``settle``)."""
    page.goto(url, wait_until="domcontentloaded")
    settle(page, timeout_ms)


# Streamlit starts the run a widget asks for up to a second or so after the click or key press, so the app can
# still look idle right after an action. An observer installed before the action notes the run starting: it
# reads each change's old value too, so a short run whose start and end reach it in one batch is not missed.
# A new document (the flag gone) counts as well: settle then waits for its first run.
_WATCH_RUN_JS = """() => {
  window.__testkitRun = false;
  if (window.__testkitObserver) window.__testkitObserver.disconnect();
  window.__testkitObserver = new MutationObserver(records => {
    for (const r of records)
      if (r.oldValue === 'running' || r.target.getAttribute('data-test-script-state') === 'running')
        window.__testkitRun = true;
  });
  window.__testkitObserver.observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                                              attributeFilter: ['data-test-script-state']});
}"""
_RUN_SEEN_JS = "() => window.__testkitRun !== false"
RUN_START_MS = 10_000  # how long a run may take to start after the action that asks for it


def rerun(page, action: Callable[[], object], timeout_ms: float = WAIT_MS) -> None:
    """Do ``action`` (something that makes Streamlit rerun), then wait until that run, and any rerun it asks
    for, is over (see ``settle``).

    A run the page never drew as running (React can apply a short run's start and end in one render) is not
    seen: after RUN_START_MS without one, the wait goes on to ``settle``, and what the test expects next
    decides.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    page.evaluate(_WATCH_RUN_JS)
    action()
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(_RUN_SEEN_JS, timeout=RUN_START_MS)
    settle(page, timeout_ms)


# --- what the page shows ----------------------------------------------------------------------------------


def no_exception(page, timeout_ms: float = 5_000) -> None:
    """The page shows no Python traceback (Streamlit's red exception box); one still shown after ``timeout_ms``
    (a stale box may be on its way out) fails, quoting what it says."""
    from playwright.sync_api import expect

    errors = page.get_by_test_id("stException")
    try:
        expect(errors).to_have_count(0, timeout=timeout_ms)
    except AssertionError:
        raise AssertionError("the page shows an exception:\n" + "\n---\n".join(errors.all_inner_texts())) from None


def download_text(page, button_name: str, timeout_ms: float = WAIT_MS) -> tuple[str, str]:
    """Press the download button named ``button_name``; return (suggested file name, text; a BOM dropped)."""
    with page.expect_download(timeout=timeout_ms) as info:
        page.get_by_role("button", name=button_name, exact=True).click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_text(encoding="utf-8-sig")


def squash(text: str) -> str:
    """Runs of whitespace as one space, none at the ends (how a reader sees the text)."""
    return " ".join(text.split())


# The results' count line of Find clinics and the referral builder (vetting.search.describe), in bold:
# "9 clinics within 120 km of Colorado Springs, CO; 2 hidden by your filters (...); 7 shown."
COUNT_LINE = re.compile(r"^\d+ clinics? (within \d+ km of .+|in the directory)")
# Find clinics' "Download results (CSV)" holds the first this many results (its help says so).
RESULTS_CSV_ROWS = 50


def count_line(page):
    """The results' count line (a Locator: expect() can wait on its text)."""
    return page.get_by_text(COUNT_LINE).first


def count_text(page, timeout_ms: float = WAIT_MS) -> str:
    """The count line's text, once it is shown; fails unless the page shows exactly one."""
    line = count_line(page)
    line.wait_for(state="visible", timeout=timeout_ms)
    lines = page.get_by_text(COUNT_LINE).count()
    assert lines == 1, f"expected one count line, found {lines}"
    return squash(line.inner_text())


def leading_number(text: str) -> int:
    """The count line's first number: the clinics in the area (or in the directory)."""
    m = re.match(r"\s*(\d+)", text)
    assert m, f"the count line does not start with a number: {text!r}"
    return int(m.group(1))


def shown_number(text: str) -> int:
    """The count line's last number: the clinics shown ("...; 7 shown.")."""
    m = re.search(r"(\d+) shown\.?$", text.strip())
    assert m, f"the count line does not say how many are shown: {text!r}"
    return int(m.group(1))


# --- screenshots ------------------------------------------------------------------------------------------

SCREENSHOT_DIR = REPO_ROOT / "tests" / "screenshots"  # gitignored
# Streamlit scrolls inside its main section, not the document: a "full page" screenshot alone shows only the
# viewport. The height the app's content needs, so the viewport can grow to it for the picture.
_CONTENT_HEIGHT_JS = """() => {
  const heights = [document.documentElement.scrollHeight];
  for (const id of ['stMain', 'stAppViewContainer', 'stSidebarContent']) {
    const el = document.querySelector(`[data-testid="${id}"]`);
    if (el) heights.push(el.scrollHeight);
  }
  return Math.max(...heights);
}"""
MAX_SCREENSHOT_HEIGHT = 12_000
# Streamlit shows a grey placeholder for an element it has not drawn yet (e.g. just scrolled into view).
SKELETON = '[data-testid="stMain"] [data-testid="stSkeleton"]'


def screenshot_name(name: str, suffix: str = "") -> str:
    """A file name for a screenshot of ``name`` (e.g. a test's node name), safe on any file system."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")
    return f"{stem}{'-' + suffix if suffix else ''}.png"


def _wait_for_drawn(page, timeout_ms: float = 15_000) -> None:
    """Give placeholders time to become elements (best effort: a placeholder that stays is in the picture)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_selector(SKELETON, state="detached", timeout=timeout_ms)


def save_screenshot(page, name: str, suffix: str = "", full_page: bool = True) -> Path:
    """Save a PNG of ``page`` as tests/screenshots/<name>[-suffix].png; return its path.

    ``full_page``: the whole app, not only the viewport: the viewport is made as tall as the content for the
    picture (Streamlit scrolls inside an element, which Playwright's full_page alone does not capture), then
    restored to its previous size.
    """
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / screenshot_name(name, suffix)
    size = page.viewport_size
    height = int(page.evaluate(_CONTENT_HEIGHT_JS)) if full_page and size else 0
    if size and height > size["height"]:
        try:
            for _ in range(4):  # content drawn lazily can grow once it is in view: grow the viewport with it
                page.set_viewport_size({"width": size["width"], "height": min(height, MAX_SCREENSHOT_HEIGHT)})
                page.wait_for_timeout(800)  # let charts and grids re-lay out and draw the newly visible rows
                _wait_for_drawn(page)
                grown = int(page.evaluate(_CONTENT_HEIGHT_JS))
                if grown <= height or height >= MAX_SCREENSHOT_HEIGHT:
                    break
                height = grown
            page.screenshot(path=str(path), full_page=True)
        finally:
            page.set_viewport_size(size)
    else:
        _wait_for_drawn(page)
        page.screenshot(path=str(path), full_page=full_page)
    return path


def report_failure(page, name: str, app_log: Path | None, suffix: str = "FAILED") -> None:
    """After a failed test: print where a screenshot of ``page`` went, and the tail of the app's log."""
    try:
        print(f"\nscreenshot of the failure: {save_screenshot(page, name, suffix)}")
    except Exception as exc:  # a failed screenshot must not hide the real failure
        print(f"\n(no failure screenshot: {exc})")
    if app_log is not None and app_log.exists():
        print(f"--- app log {app_log} (tail) ---\n{tail(app_log, 80)}")


# --- staying on this machine ------------------------------------------------------------------------------

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Schemes that never leave the browser.
LOCAL_SCHEMES = {"data", "blob", "about", "file", "chrome", "chrome-extension", "devtools"}


def leaves_machine(url: str) -> bool:
    """Whether the browser fetching ``url`` would reach beyond this machine."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return False
    return (parts.hostname or "") not in LOCAL_HOSTS


def outside(urls: list[str]) -> list[str]:
    """The distinct URLs among ``urls`` that leave this machine, sorted."""
    return sorted({u for u in urls if leaves_machine(u)})


class RequestLog:
    """Every URL a tab requested (HTTP requests and websockets), from the moment the log was attached."""

    def __init__(self, page) -> None:
        self.urls: list[str] = []
        page.on("request", lambda req: self.urls.append(req.url))
        page.on("websocket", lambda ws: self.urls.append(ws.url))

    def outside(self) -> list[str]:
        return outside(self.urls)

    def assert_stayed_local(self, where: str = "the page") -> None:
        """Fail, listing them, if any request left 127.0.0.1 (or localhost)."""
        beyond = self.outside()
        assert not beyond, f"{where} reached beyond this machine:\n" + "\n".join(beyond)

    def saw_app_websocket(self) -> bool:
        """Whether the tab opened the app's websocket (/_stcore/stream): it really talked to the app."""
        return any(urlsplit(u).path.startswith("/_stcore/stream") for u in self.urls)


# --- the menu ---------------------------------------------------------------------------------------------


def menu_link(page, section: str, title: str):
    """The menu's link to the page ``title`` (under ``section``), opened as a person would: on a wide screen the
    section's drop-down in the top bar, on a phone the menu's panel."""
    top = page.get_by_test_id("stTopNav")
    if top.count() and top.first.is_visible():
        top.get_by_role("button", name=section, exact=True).click()  # a drop-down of menu items
        return page.get_by_test_id("stTopNavDropdownLink").filter(has_text=re.compile(re.escape(title) + "$"))
    nav = page.get_by_test_id("stSidebarNav")
    if not nav.is_visible():
        page.get_by_test_id("stExpandSidebarButton").click()
    return nav.get_by_role("link", name=title, exact=True)
