"""A hostile but valid clinics file and hostile URLs, in a real browser, on every page a visitor can open:
nothing leaves the machine, no link points off-site but the ones the app offers on purpose (a clinic's website
that passes the url rule, and directions), no planted script or handler runs, and the hostile text is shown as
the text it is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from factory import csv_bytes, row
from playwright.sync_api import expect

from testkit.browser import WAIT_MS, RequestLog, leaves_machine, no_exception, open_app
from testkit.server import REPO_ROOT, running_app
from vetting.contract import COLUMN_NAMES
from vetting.geo import DIRECTIONS_URL
from vetting.kinds import web_link

pytestmark = pytest.mark.browser

PWNED = "window.__pwned"  # set by any planted script or event handler that runs
NAME = '[Verify your insurance here](https://evil.example/phish) <img src=x onerror="window.__pwned=1">'
STREET = "www.evil.example and https://evil.example/street <b onmouseover=\"window.__pwned=2\">x</b>"
SOURCE = "![p](https://evil.example/pixel.png) <script>window.__pwned=3</script> evil@mail.example"
EXTRA = "[Click me](https://evil.example/column)"
URL_TEXT = "[Verify your insurance here](https://evil.example/phish) ![p](https://evil.example/pixel.png)"


ROWS = [row(clinic_id="kc-1", name=NAME, street_address=STREET, source=SOURCE, website=""),
        row(clinic_id="kc-2", name="Plain Clinic", city="Denver", zip="80202", latitude="39.7530",
            longitude="-104.9990")]
# The only hosts a link may lead to: the directions service, and the websites the data lists that pass the
# contract's url rule (shown as links on purpose, followed only when clicked).
OFFERED_HOSTS = {urlsplit(DIRECTIONS_URL).netloc} | {urlsplit(web_link(r["website"])).netloc for r in ROWS
                                                     if web_link(r["website"])}


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("hostile_app")
    data = folder / "clinics.csv"
    data.write_bytes(csv_bytes([{**r, EXTRA: "x"} for r in ROWS], [*COLUMN_NAMES, EXTRA]))
    log = folder / "streamlit.log"
    with running_app(REPO_ROOT / "dashboard.py", log, extra_env={"CLINICS_CSV": str(data)}) as base_url:
        yield base_url, log


PATHS = [
    f"/?near={quote(URL_TEXT)}",
    f"/clinic?clinic=kc-1&place={quote('80903')}",
    f"/clinic?clinic=kc-1&place={quote(URL_TEXT)}",
    "/compare?compare=kc-1&compare=kc-2",
    f"/referral?near={quote(URL_TEXT)}",
    "/methodology",
    "/quality",
    "/upload",
    "/history",
]


@pytest.mark.parametrize("path", PATHS)
def test_hostile_text_stays_text(new_tab, hostile_app, path):
    base_url, log = hostile_app
    page = new_tab(log)
    requests = RequestLog(page)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_app(page, base_url + path)
    no_exception(page)
    if path.startswith("/clinic"):  # the hostile name is the page's heading, as text
        expect(page.get_by_role("heading", level=1)).to_have_text(NAME, timeout=WAIT_MS)
        expect(page.get_by_text(SOURCE, exact=False).first).to_be_visible()
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    assert [u for u in links if leaves_machine(u) and urlsplit(u).netloc not in OFFERED_HOSTS] == [], (
        f"{path}: a link points off-site")
    assert not [u for u in links if "evil" in urlsplit(u).netloc], f"{path}: a planted link became a link"
    images = page.eval_on_selector_all("img", "els => els.map(e => e.src)")
    assert [u for u in images if leaves_machine(u)] == [], f"{path}: an image would load from off-site"
    assert page.evaluate(PWNED) is None, f"{path}: a planted script ran"
    assert dialogs == []
    requests.assert_stayed_local(path)
