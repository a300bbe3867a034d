"""The Verify page in a real browser: an analyst signs in, checks the clinics' NPIs in the (loopback, fake) NPI
registry only when asking for it, saves the findings as evidence, and sees them on Data quality. On a 390x844
phone the page fits and axe-core finds nothing critical or serious.

The app runs on its own server (as in test_browser_analyst.py): it needs an analyst account, the fake registry's
address ($VETTING_NPI_REGISTRY_URL), its own cache ($VETTING_NPI_CACHE) and a data file it may write to, all in a
temporary folder. The clinics are a handful whose NPIs the fake knows (tests/fake_npi_registry.py).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from factory import csv_bytes
from fake_npi_registry import CASES, FakeRegistry, fake_npi_registry, registry_clinics
from playwright.sync_api import expect

from testkit import a11y
from testkit.browser import WAIT_MS, menu_link, no_exception, open_app, rerun, save_screenshot
from testkit.server import REPO_ROOT, running_app
from vetting.auth import hash_password
from vetting.evidence import evidence_store
from vetting.registry import NPI_CACHE_ENV, NPI_REGISTRY_URL_ENV

pytestmark = pytest.mark.browser

NAME, PASSWORD = "alice", "correct horse battery"
SHOTS = "verify"  # screenshots: tests/screenshots/verify-<step>.png
EVIDENCE = ("clinic_id,field,value,method,source,checked_on,checked_by\n"
            "kc-1,physician_supervised,yes,phone,call with the clinic,2026-06-01,bob\n")


clinics = registry_clinics


@dataclass(frozen=True)
class VerifyApp:
    url: str
    folder: Path
    log: Path
    fake: FakeRegistry

    @property
    def evidence(self) -> Path:
        return self.folder / "evidence.csv"


@contextlib.contextmanager
def registry_app(folder: Path) -> Iterator[VerifyApp]:
    """The app on the clinics the fake registry knows (and one evidence row), with an analyst account, the fake's
    address and its own cache, all in `folder`, until the block ends."""
    (folder / "clinics.csv").write_bytes(csv_bytes(clinics()))
    (folder / "evidence.csv").write_text(EVIDENCE, encoding="utf-8")
    secrets = folder / "secrets.toml"
    secrets.write_text(f'[analysts]\n{NAME} = "{hash_password(PASSWORD)}"\n', encoding="utf-8")
    log_path = folder / "streamlit.log"
    with fake_npi_registry() as fake:
        env = {"CLINICS_CSV": str(folder / "clinics.csv"), NPI_REGISTRY_URL_ENV: fake.api_url,
               NPI_CACHE_ENV: str(folder / "cache" / "npi.json")}
        with running_app(REPO_ROOT / "dashboard.py", log_path, ("--secrets.files", str(secrets)), env) as url:
            yield VerifyApp(url, folder, log_path, fake)


@pytest.fixture(scope="module")
def verify_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VerifyApp]:
    with registry_app(tmp_path_factory.mktemp("verify_app")) as app:
        yield app


def sign_in(page) -> None:
    signed_in = page.get_by_text("Signed in as an analyst.", exact=True)
    form_name = page.get_by_role("textbox", name="Name", exact=True)
    expect(signed_in.or_(form_name).first).to_be_visible(timeout=WAIT_MS)
    if form_name.count():
        form_name.fill(NAME)
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        rerun(page, lambda: page.get_by_role("button", name="Sign in", exact=True).click())
    expect(signed_in).to_be_visible(timeout=WAIT_MS)


def test_an_analyst_checks_npis_saves_the_findings_and_sees_them_on_data_quality(new_tab, verify_app: VerifyApp):
    page, app = new_tab(verify_app.log), verify_app
    open_app(page, app.url + "/verify")
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify records", timeout=WAIT_MS)
    expect(page.get_by_role("button", name="Check online now")).to_have_count(0)  # signed out: nothing offered
    sign_in(page)

    # Nothing is sent before the button; the page says where requests would go.
    check = page.get_by_role("button", name="Check online now", exact=True)
    expect(check).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text(re.compile(r"^Requests go to 127\.0\.0\.1, at most one every 0\.34 s"))).to_be_visible()
    expect(page.get_by_text(re.compile("Nothing has been fetched from the registry"))).to_be_visible()
    assert app.fake.requests == [], app.fake.asked()
    no_exception(page)
    save_screenshot(page, SHOTS, "1-before")

    rerun(page, check.click)
    expect(page.get_by_text(re.compile(r"^This check: 6 NPI\(s\) of 4 clinic\(s\): 5 fetched"))).to_be_visible(
        timeout=WAIT_MS)
    assert len(app.fake.requests) == 6, app.fake.asked()
    expect(page.get_by_role("heading", name="Could not be checked (1)")).to_be_visible()
    expect(page.get_by_text(re.compile(rf"^NPI {CASES['refused'].npi} \(kc-4, clinic\): "))).to_be_visible()
    no_exception(page)
    save_screenshot(page, SHOTS, "2-checked")

    save = page.get_by_role("button", name="Save these findings as evidence", exact=True)
    expect(save).to_be_disabled()
    rerun(page, page.get_by_test_id("stCheckbox").filter(has_text="I have read these findings").locator("label")
          .click)
    expect(save).to_be_enabled(timeout=WAIT_MS)
    rerun(page, save.click)
    expect(page.get_by_text(re.compile(r"^Saved 13 registry row\(s\) as evidence"))).to_be_visible(timeout=WAIT_MS)
    entries = evidence_store(app.folder / "clinics.csv").entries()
    assert [(e["action"], e["who"]) for e in entries] == [("registry", NAME)], entries
    no_exception(page)
    save_screenshot(page, SHOTS, "3-saved")

    asked = len(app.fake.requests)
    rerun(page, lambda: menu_link(page, "Analysts", "Data quality").click())
    expect(page.get_by_role("heading", level=1)).to_have_text("Data quality", timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="Evidence that disagrees with the record (3)")).to_be_visible()
    expect(page.get_by_role("heading", name="NPI registry findings (3)")).to_be_visible()
    expect(page.get_by_text(re.compile(r"5 from the cache, 0 failed, 1 not fetched; 3 record\(s\) where the "
                                       r"registry disagrees"))).to_be_visible()
    assert len(app.fake.requests) == asked, "Data quality asked the registry"
    no_exception(page)
    save_screenshot(page, SHOTS, "4-quality")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_verify_fits_and_has_no_serious_accessibility_problem(new_tab, verify_app: VerifyApp, size: str):
    viewport = a11y.PHONE if size == "phone" else a11y.DESKTOP
    page = new_tab(verify_app.log, viewport=viewport)
    open_app(page, verify_app.url + "/verify")
    sign_in(page)
    expect(page.get_by_role("button", name="Check online now", exact=True)).to_be_visible(timeout=WAIT_MS)
    no_exception(page)
    problems = []
    violations = a11y.axe_violations(page)
    if violations:
        problems.append(f"axe-core found {len(violations)} critical or serious rule(s) broken:\n"
                        + a11y.describe_violations(violations))
    if size == "phone":
        wide = a11y.overflow(page)
        if wide:
            problems.append("wider than the 390 px screen:\n  " + "\n  ".join(wide))
    save_screenshot(page, SHOTS, f"5-{size}")
    open_app(page, verify_app.url + "/quality")
    no_exception(page)
    save_screenshot(page, SHOTS, f"6-quality-{size}")
    if size == "phone":
        wide = a11y.overflow(page)
        if wide:
            problems.append("Data quality is wider than the 390 px screen:\n  " + "\n  ".join(wide))
    assert not problems, "\n\n".join(problems)
