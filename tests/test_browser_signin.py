"""Staying signed in, in a real browser: an analyst who signed in stays signed in across a reload and in a new
tab of the same browser, until signing out; another browser is never signed in; a cookie that is not a valid
token (tampered with, revoked, malformed, far too long) shows the sign-in form and nothing else.

The app runs on its own server (as in test_browser_analyst.py): it needs analyst accounts, and a sign-in writes
the session key beside the data file, so it serves a copy in a temporary folder ($CLINICS_CSV) with its own
secrets file. No [analyst_session] secret is configured: the key file is made on the first sign-in.

DASHBOARD_APP (as in conftest.py) names another app script to test, e.g. an older checkout's dashboard.py.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from testkit import sample
from testkit.browser import WAIT_MS, no_exception, open_app, rerun, save_screenshot
from testkit.server import REPO_ROOT, running_app
from vetting.auth import SESSION_HOURS, hash_password

pytestmark = pytest.mark.browser

NAME, PASSWORD = "Zoë O'Brien", "correct horse battery"  # a name a cookie could not hold as it is
COOKIE = "vetting_analyst"
SIGNED_IN = "Signed in as an analyst."
SHOTS = "signin"  # screenshots: tests/screenshots/signin-<step>.png


@dataclass(frozen=True)
class SignInApp:
    url: str  # base URL, no trailing slash
    folder: Path  # the data file, its history folder (where the session key goes) and the secrets
    log: Path

    @property
    def key_file(self) -> Path:
        return self.folder / "history" / "analyst_session.key"


@pytest.fixture(scope="module")
def signin_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignInApp]:
    """The app on a free port, serving a copy of the sample data, with one analyst account."""
    folder = tmp_path_factory.mktemp("signin_app")
    (folder / "clinics.csv").write_bytes(sample.SAMPLE.read_bytes())
    secrets = folder / "secrets.toml"
    secrets.write_text(f'[analysts]\n"{NAME}" = "{hash_password(PASSWORD)}"\n', encoding="utf-8")
    log_path = folder / "streamlit.log"
    app = Path(os.environ.get("DASHBOARD_APP", "dashboard.py"))
    with running_app(app if app.is_absolute() else REPO_ROOT / app, log_path, ("--secrets.files", str(secrets)),
                     {"CLINICS_CSV": str(folder / "clinics.csv")}) as base_url:
        yield SignInApp(base_url, folder, log_path)


@pytest.fixture
def tab(new_tab, signin_app: SignInApp):
    """A fresh browser context and tab; on failure a screenshot and this server's log tail are kept."""
    return new_tab(signin_app.log)


# --- helpers ----------------------------------------------------------------------------------------------


def name_box(page):
    return page.get_by_role("textbox", name="Name", exact=True)


def signed_in(page):
    return page.get_by_text(SIGNED_IN, exact=True)


def expect_signed_in(page) -> None:
    expect(signed_in(page)).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text(f"Name: {NAME}", exact=True)).to_be_visible()
    expect(name_box(page)).to_have_count(0)
    expect(page.locator('input[type="file"]')).to_have_count(1)  # Upload offers its file box to an analyst
    no_exception(page)


def expect_signed_out(page) -> None:
    expect(name_box(page)).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("textbox", name="Password")).to_be_visible()
    expect(signed_in(page)).to_have_count(0)
    expect(page.locator('input[type="file"]')).to_have_count(0)
    no_exception(page)


def sign_in(page) -> None:
    name_box(page).fill(NAME)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    rerun(page, lambda: page.get_by_role("button", name="Sign in", exact=True).click())
    expect_signed_in(page)


# The elements holding the script that writes the cookie: the height of each one's element container, and
# how many things in it could take the focus.
_COOKIE_HOLDERS_JS = """(name) => [...document.querySelectorAll('[data-testid="stHtml"]')]
  .filter(el => el.innerHTML.includes(name + '='))
  .map(el => ({
    height: (el.closest('[data-testid="stElementContainer"]') || el).getBoundingClientRect().height,
    focusable: el.querySelectorAll('a, button, input, select, textarea, iframe, [tabindex]').length,
  }))"""


def expect_nothing_to_see_or_reach(page) -> None:
    """The script that writes (or deletes) the cookie is on the page, and adds nothing to see or to reach with
    the keyboard: no iframe, no height, nothing focusable."""
    expect(page.locator("iframe")).to_have_count(0)
    holders = page.evaluate(_COOKIE_HOLDERS_JS, COOKIE)
    assert holders, "no script writes the cookie on this page"
    assert all(h["height"] == 0 and h["focusable"] == 0 for h in holders), holders


def reload(page) -> None:
    page.reload(wait_until="domcontentloaded")
    open_app(page, page.url)  # the reloaded page's runs


def session_cookies(context) -> list[dict]:
    return [c for c in context.cookies() if c["name"] == COOKIE]


def wait_for_cookie(context, present: bool = True, timeout_s: float = 10.0) -> list[dict]:
    """The app's cookie(s) in `context`, once there are some (or none, for present=False)."""
    deadline = time.monotonic() + timeout_s
    while True:
        cookies = session_cookies(context)
        if bool(cookies) == present or time.monotonic() > deadline:
            return cookies
        time.sleep(0.1)


# --- the tests --------------------------------------------------------------------------------------------


def test_a_sign_in_outlives_a_reload_and_a_new_tab_until_signing_out(tab, signin_app: SignInApp, browser):
    page, app = tab, signin_app
    open_app(page, app.url + "/upload")
    expect_signed_out(page)
    sign_in(page)
    save_screenshot(page, SHOTS, "1-signed-in")

    # 1. A reload: still signed in.
    reload(page)
    expect_signed_in(page)
    save_screenshot(page, SHOTS, "2-reloaded")

    # The cookie: only this app's path, never sent from another site, gone after the session's hours.
    cookies = wait_for_cookie(page.context)
    assert len(cookies) == 1, cookies
    cookie = cookies[0]
    assert cookie["sameSite"] == "Strict" and cookie["path"] == "/" and cookie["domain"] == "127.0.0.1", cookie
    assert cookie["secure"] is False  # served over http here; Secure is added on https
    assert 0 < cookie["expires"] - time.time() <= SESSION_HOURS * 3600 + 60, cookie
    assert cookie["expires"] - time.time() > SESSION_HOURS * 3600 - 600, cookie  # not a session-only cookie
    token = cookie["value"]
    assert len(token) <= 1024 and set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                    "0123456789_-."), token
    assert "Zo" not in token and PASSWORD not in token  # the name is encoded, the password nowhere
    key = app.key_file  # made on the first sign-in, private to the server's user
    assert key.is_file() and stat.S_IMODE(key.stat().st_mode) == 0o600, key

    # 2. The same address in a new tab of this browser: signed in there too.
    second = page.context.new_page()
    try:
        open_app(second, app.url + "/upload")
        expect_signed_in(second)

        # 3. Sign out there: the cookie goes, and a reload of either tab shows the sign-in form.
        rerun(second, second.get_by_role("button", name="Sign out", exact=True).click)
        expect_signed_out(second)
        assert wait_for_cookie(second.context, present=False) == []
        expect_nothing_to_see_or_reach(second)
        save_screenshot(second, SHOTS, "3-signed-out")
        reload(second)
        expect_signed_out(second)
    finally:
        second.close()
    reload(page)
    expect_signed_out(page)

    # 4. The signed-out token, put back into the browser, signs no one in: the server revoked it.
    page.context.add_cookies([{**cookie, "value": token}])
    reload(page)
    expect_signed_out(page)

    # 5. Signed in again: a different browser (a new context, no cookies) is not signed in.
    sign_in(page)
    assert wait_for_cookie(page.context)[0]["value"] != token  # a new token
    other = browser.new_context()
    try:
        stranger = other.new_page()
        open_app(stranger, app.url + "/upload")
        expect_signed_out(stranger)
    finally:
        other.close()
    reload(page)
    expect_signed_in(page)


def test_a_cookie_that_is_not_a_valid_token_shows_the_sign_in_form(tab, signin_app: SignInApp, browser):
    page, app = tab, signin_app
    open_app(page, app.url + "/upload")
    sign_in(page)
    expect_nothing_to_see_or_reach(page)
    good = wait_for_cookie(page.context)[0]
    token = good["value"]
    name_part, expires = token.split(".")[1], token.split(".")[2]
    forged_expiry = str(int(expires) + 3600 * 24 * 365)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    wrong_values = {
        "tampered signature": flipped,
        "longer life": token.replace(f".{expires}.", f".{forged_expiry}.", 1),
        "another name": token.replace(f".{name_part}.", ".YWRtaW4.", 1),  # "admin"
        "malformed": "v1.not-a-token",
        "script": "</script><script>alert(1)</script>",
        "far too long": "v1." + "A" * 4000,  # a browser keeps no cookie over 4096 bytes
    }
    for what, value in wrong_values.items():
        context = browser.new_context()
        try:
            context.add_cookies([{**good, "value": value}])
            stranger = context.new_page()
            dialogs: list[str] = []
            stranger.on("dialog", lambda d, seen=dialogs: (seen.append(d.message), d.dismiss()))
            open_app(stranger, app.url + "/upload")
            try:
                expect_signed_out(stranger)
            except AssertionError as err:
                raise AssertionError(f"a cookie with a {what} token: {err}") from None
            assert dialogs == [], what
        finally:
            context.close()
    # The real token still works in a fresh browser: what failed above was each change.
    context = browser.new_context()
    try:
        context.add_cookies([good])
        holder = context.new_page()
        open_app(holder, app.url + "/upload")
        expect_signed_in(holder)
    finally:
        context.close()
