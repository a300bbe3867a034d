"""Shared fixtures: the running Streamlit app and a headless Debian chromium driven by Playwright.

Browser tests are marked ``@pytest.mark.browser`` and take ``page`` (a fresh tab) and ``app_server``
(the app's base URL). The app started is ``dashboard.py`` unless the environment variable
``DASHBOARD_APP`` names another script (relative to the repo root, or absolute).

No browser is ever downloaded: Playwright drives ``/usr/bin/chromium`` (Debian's package, which
``make test`` installs when missing and root). Without it the browser tests skip, except under CI,
where they fail.

The helpers themselves (the server launcher, waiting for a run, screenshots, the request log) live in
``testkit/``, shared with benchmarks/load_sessions.py; here are only the fixtures and hooks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from testkit.browser import CHROMIUM, CHROMIUM_ARGS, RequestLog, open_tab, report_failure, save_screenshot, wait_for_app
from testkit.server import REPO_ROOT, AppStartError, running_app

# Loading or scoring a one-row frame takes tens of milliseconds: hypothesis' 200 ms deadline is noise here.
settings.register_profile("project", deadline=None, max_examples=60)
settings.load_profile("project")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


# --- the app ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def app_log_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the app server's stdout and stderr go."""
    return tmp_path_factory.mktemp("app_server") / "streamlit.log"


@pytest.fixture(scope="session")
def app_server(app_log_path: Path) -> Iterator[str]:
    """Start the Streamlit app on a free loopback port; yield its base URL (no trailing slash)."""
    app = Path(os.environ.get("DASHBOARD_APP", "dashboard.py"))
    app_path = app if app.is_absolute() else REPO_ROOT / app
    if not app_path.is_file():
        pytest.fail(f"app script {app_path} does not exist (set DASHBOARD_APP to use another)")
    try:
        with running_app(app_path, app_log_path) as base_url:
            yield base_url
    except AppStartError as err:
        pytest.fail(str(err), pytrace=False)


# --- the browser ------------------------------------------------------------------------------------------


def _require_chromium() -> None:
    """Skip (fail under CI) when Debian's chromium is not installed."""
    if CHROMIUM.exists():
        return
    reason = (
        f"{CHROMIUM} is missing: install Debian's chromium (`make test` does so when run as root, "
        "or: sudo apt-get install --no-install-recommends chromium)"
    )
    if _in_ci():
        pytest.fail(f"CI is set but {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Decide about browser tests before any fixture runs, so a missing browser starts no app server."""
    if item.get_closest_marker("browser") is not None:
        _require_chromium()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Headless Debian chromium under Playwright (never a downloaded browser)."""
    _require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the item, so fixtures can tell whether their test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def new_tab(browser, request: pytest.FixtureRequest) -> Iterator[Callable[..., object]]:
    """``new_tab(app_log, viewport=None)`` opens a fresh context and tab (1400x1000 unless given), closed after
    the test. On failure, each tab opened is kept as a screenshot and ``app_log``'s tail is printed."""
    opened: list[tuple[object, object, Path | None]] = []

    def open_(app_log: Path | None, viewport: dict[str, int] | None = None):
        context, tab = open_tab(browser, viewport)
        opened.append((context, tab, app_log))
        return tab

    try:
        yield open_
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            for i, (_, tab, app_log) in enumerate(opened):
                report_failure(tab, request.node.name, app_log if i == 0 else None,
                               "FAILED" if i == 0 else f"FAILED-tab{i + 1}")
    finally:
        for context, _, _ in opened:
            context.close()


@pytest.fixture
def page(new_tab: Callable[..., object], app_log_path: Path):
    """A fresh context and tab, 1400x1000. On failure: a screenshot and the app log's tail are kept."""
    return new_tab(app_log_path)


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """``screenshot(page, suffix="")`` saves tests/screenshots/<test name>[-suffix].png; returns its path."""

    def take(page, suffix: str = "", full_page: bool = True) -> Path:
        return save_screenshot(page, request.node.name, suffix, full_page)

    return take


@pytest.fixture
def app_ready() -> Callable[..., None]:
    """``app_ready(page)`` waits for the Streamlit run to finish (see ``testkit.browser.wait_for_app``)."""
    return wait_for_app


# --- staying on this machine ------------------------------------------------------------------------------


@pytest.fixture
def requests_seen(page) -> RequestLog:
    """The ``page`` tab's requests, recorded from before the test's first navigation."""
    return RequestLog(page)


@pytest.fixture
def watch_requests() -> Callable[..., RequestLog]:
    """``watch_requests(tab)`` starts a RequestLog on another tab (e.g. one opened in a second context)."""
    return RequestLog


@pytest.fixture
def fresh_throttle() -> Iterator[None]:
    """The sign-in throttle is one per server (process): an AppTest starts with none of the others' attempts."""
    from ui.auth import _throttle

    _throttle.clear()
    yield
    _throttle.clear()
