"""Shared fixtures: the running Streamlit app and a headless Debian chromium driven by Playwright.

Browser tests are marked ``@pytest.mark.browser`` and take ``page`` (a fresh tab) and ``app_server``
(the app's base URL). The app started is ``dashboard.py`` unless the environment variable
``DASHBOARD_APP`` names another script (relative to the repo root, or absolute).

No browser is ever downloaded: Playwright drives ``/usr/bin/chromium`` (Debian's package, which
``make test`` installs when missing and root). Without it the browser tests skip, except under CI,
where they fail.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import settings

# Loading or scoring a one-row frame takes tens of milliseconds: hypothesis' 200 ms deadline is noise here.
settings.register_profile("project", deadline=None, max_examples=60)
settings.load_profile("project")

REPO_ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT_DIR = REPO_ROOT / "tests" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
APP_START_TIMEOUT_S = float(os.environ.get("APP_START_TIMEOUT", "60"))
VIEWPORT = {"width": 1400, "height": 1000}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def _tail(path: Path, lines: int = 200) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _stop(proc: subprocess.Popen) -> None:
    """End the app and anything it started: its own process group (start_new_session=True)."""
    if proc.poll() is not None:
        return
    for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


# --- the app ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def app_log_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the app server's stdout and stderr go."""
    return tmp_path_factory.mktemp("app_server") / "streamlit.log"


@contextlib.contextmanager
def running_app(app_path: Path, log_path: Path, extra_args: tuple[str, ...] = (),
                extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Run a Streamlit script on a free loopback port until the block ends; yields its base URL."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(app_path),
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        *extra_args,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + APP_START_TIMEOUT_S
        while not _healthy(f"{base_url}/_stcore/health"):
            if proc.poll() is not None:
                pytest.fail(
                    f"the app exited with status {proc.returncode} before it was up.\n"
                    f"$ {' '.join(cmd)}\n--- {log_path} ---\n{_tail(log_path)}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the app did not answer {base_url}/_stcore/health within {APP_START_TIMEOUT_S:g} s.\n"
                    f"$ {' '.join(cmd)}\n--- {log_path} ---\n{_tail(log_path)}",
                    pytrace=False,
                )
            time.sleep(0.25)
        yield base_url
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def app_server(app_log_path: Path) -> Iterator[str]:
    """Start the Streamlit app on a free loopback port; yield its base URL (no trailing slash)."""
    app = Path(os.environ.get("DASHBOARD_APP", "dashboard.py"))
    app_path = app if app.is_absolute() else REPO_ROOT / app
    if not app_path.is_file():
        pytest.fail(f"app script {app_path} does not exist (set DASHBOARD_APP to use another)")
    with running_app(app_path, app_log_path) as base_url:
        yield base_url


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


def _screenshot_name(nodeid_name: str, suffix: str = "") -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid_name).strip("_")
    return f"{stem}{'-' + suffix if suffix else ''}.png"


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


def _wait_for_drawn(page, timeout_ms: float = 15_000) -> None:
    """Give placeholders time to become elements (best effort: a placeholder that stays is in the picture)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_selector(SKELETON, state="detached", timeout=timeout_ms)


def save_screenshot(page, name: str, suffix: str = "", full_page: bool = True) -> Path:
    """Save a PNG of ``page`` as tests/screenshots/<name>[-suffix].png (the folder is gitignored).

    ``full_page``: the whole app, not only the viewport: the viewport is made as tall as the content for the
    picture (Streamlit scrolls inside an element, which Playwright's full_page alone does not capture), then
    restored to its previous size.
    """
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / _screenshot_name(name, suffix)
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


@pytest.fixture
def page(browser, request: pytest.FixtureRequest, app_log_path: Path) -> Iterator:
    """A fresh context and tab, 1400x1000. On failure: a screenshot and the app log's tail are kept."""
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    try:
        yield tab
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            try:
                shot = save_screenshot(tab, request.node.name, "FAILED")
                print(f"\nscreenshot of the failure: {shot}")
            except Exception as exc:  # a failed screenshot must not hide the real failure
                print(f"\n(no failure screenshot: {exc})")
            if app_log_path.exists():
                print(f"--- app log {app_log_path} (tail) ---\n{_tail(app_log_path, 80)}")
    finally:
        context.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """``screenshot(page, suffix="")`` saves tests/screenshots/<test name>[-suffix].png; returns its path."""

    def take(page, suffix: str = "", full_page: bool = True) -> Path:
        return save_screenshot(page, request.node.name, suffix, full_page)

    return take


APP_IDLE = (
    '[data-testid="stApp"][data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]'
)


def wait_for_app(page, timeout_ms: float = 60_000) -> None:
    """Wait until Streamlit is connected and its script has finished running (no 'Running...' icon)."""
    page.wait_for_selector(APP_IDLE, state="attached", timeout=timeout_ms)
    page.wait_for_selector('[data-testid="stStatusWidgetRunningIcon"]', state="detached", timeout=timeout_ms)


@pytest.fixture
def app_ready() -> Callable[..., None]:
    """``app_ready(page)`` waits for the Streamlit run to finish (see ``wait_for_app``)."""
    return wait_for_app


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


@pytest.fixture
def requests_seen(page) -> RequestLog:
    """The ``page`` tab's requests, recorded from before the test's first navigation."""
    return RequestLog(page)


@pytest.fixture
def watch_requests() -> Callable[..., RequestLog]:
    """``watch_requests(tab)`` starts a RequestLog on another tab (e.g. one opened in a second context)."""
    return RequestLog
