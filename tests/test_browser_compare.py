"""Compare, as a patient uses it: opened from a link with one clinic, more added one by one, on a desk and on a phone.

The clinics come from the sample (testkit.sample): clinics whose name is theirs alone, so typing it leaves one
option. Nothing is copied from the data.
"""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from testkit import sample
from testkit.browser import WAIT_MS, download_text, no_exception, open_app, rerun, squash
from vetting import load_checklist

pytestmark = pytest.mark.browser

PICKER = re.compile(r"^Clinics to compare")
PHONE = {"width": 390, "height": 844}

# Elements of the page whose right edge is past the screen's (a table wider than a phone, say).
TOO_WIDE_JS = """() => {
  const width = document.documentElement.clientWidth, out = [];
  for (const e of document.querySelectorAll('[data-testid="stMain"] *')) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && r.right > width + 1) out.push(`${e.tagName} ${Math.round(r.right)}px`);
  }
  return out.slice(0, 5);
}"""
# Each chip's remove button: is it what a tap at its centre reaches (nothing drawn over it)?
COVERED_JS = """() => {
  const buttons = [...document.querySelectorAll('[data-testid="stMultiSelect"] [data-tag] button')];
  const covered = buttons.map(b => {
    const r = b.getBoundingClientRect(), hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return hit && b.contains(hit) ? null : (hit ? hit.outerHTML.slice(0, 80) : 'nothing');
  }).filter(Boolean);
  return {buttons: buttons.length, covered};
}"""


def four_clinics() -> list[str]:
    ids = sample.findable_by_name()
    assert len(ids) >= 4, "the sample needs four clinics a patient can pick by name"
    return ids[:4]


def chosen_in_url(page) -> list[str]:
    return parse_qs(urlsplit(page.url).query).get("compare", [])


def add_clinic(page, name: str) -> None:
    """Type the clinic's name into the picker and press Enter (what a keyboard user does)."""

    def pick() -> None:
        picker = page.get_by_role("combobox", name=PICKER)
        picker.click()
        picker.press_sequentially(name, delay=10)
        page.get_by_role("option", name=re.compile("^" + re.escape(name))).first.wait_for(state="visible")
        picker.press("Enter")
        page.keyboard.press("Escape")

    rerun(page, pick)


def expect_chosen(page, names: list[str]) -> None:
    """Each clinic is in the picker and has its bars in the chart."""
    chips = page.get_by_test_id("stMultiSelect")
    for name in names:
        expect(chips.get_by_text(name).first).to_be_visible(timeout=WAIT_MS)
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart.locator("g.trace.bars")).to_have_count(len(names), timeout=WAIT_MS)


def column_heads(page) -> list[list[str]]:
    """The clinics heading the columns of each comparison table (facts, checklist)."""
    tables = page.locator(".kc-compare")
    return [[squash(t) for t in tables.nth(i).locator("thead th").all_inner_texts()][1:]
            for i in range(tables.count())]


def expect_compared(page, names: list[str]) -> None:
    """Each clinic is in the picker, in the chart and heads a column of both comparison tables, numbered."""
    expect_chosen(page, names)
    assert column_heads(page) == [[f"{i}. {n}" for i, n in enumerate(names, 1)]] * 2, column_heads(page)


def test_adding_a_second_third_and_fourth_clinic_each_counts(page, app_server, app_ready, screenshot,
                                                              requests_seen):
    ids = four_clinics()
    names = [sample.names()[i] for i in ids]
    open_app(page, app_server + "/compare?" + urlencode({"compare": ids[0]}))
    expect(page.get_by_text("Choose at least two clinics")).to_be_visible(timeout=WAIT_MS)
    heads = []
    for n in range(2, 5):  # the second, the third (once lost), the fourth
        add_clinic(page, names[n - 1])
        app_ready(page)
        assert chosen_in_url(page) == ids[:n], (
            f"after adding clinic {n} ({names[n - 1]!r}) the URL lists {chosen_in_url(page)}, not {ids[:n]}")
        expect_chosen(page, names[:n])
        no_exception(page)
        heads.append(column_heads(page))
    assert heads == [[[f"{i}. {x}" for i, x in enumerate(names[:n], 1)]] * 2 for n in range(2, 5)], heads
    screenshot(page, "four")

    # The files say what the page says: grade and last verified for each clinic, critical in words.
    _, text = download_text(page, "Download comparison (CSV)")
    rows = {r["item"]: r for r in csv.DictReader(io.StringIO(text))}
    for i, clinic_id in enumerate(ids):
        column = f"{i + 1}. {names[i]}"
        assert rows["Grade"][column] == sample.row(clinic_id)["grade"]
        assert rows["Last verified"][column] == f"{sample.row(clinic_id)['last_verified']:%Y-%m-%d}"
    critical = {c.label: "yes" if c.critical else "no" for c in load_checklist().criteria}
    assert {label: rows[label]["critical"] for label in critical} == critical
    requests_seen.assert_stayed_local("Compare")


def test_compare_fits_a_phone(new_tab, app_log_path, app_server, app_ready, screenshot):
    ids = four_clinics()
    names = [sample.names()[i] for i in ids]
    phone = new_tab(app_log_path, PHONE)
    open_app(phone, app_server + "/compare?" + urlencode({"compare": ids}, doseq=True))
    expect(phone.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=WAIT_MS)
    screenshot(phone, "phone")
    assert phone.evaluate(TOO_WIDE_JS) == [], "something on Compare is wider than a 390 px phone"
    # A finger on the table under the picker (where a table's toolbar shows) leaves every chip's × reachable.
    below = phone.locator('[data-testid="stDataFrame"], .kc-compare').first
    for spot in ({"x": 5, "y": 5}, {"x": 300, "y": 5}, {"x": 300, "y": 40}):
        below.hover(position=spot)
        phone.wait_for_timeout(300)
        found = phone.evaluate(COVERED_JS)
        assert found == {"buttons": len(ids), "covered": []}, f"chips' remove buttons, and what covers them: {found}"
    expect_compared(phone, names)
    # The comparison stacks: a clinic's answer sits under the criterion, numbered as in the chips' order.
    first_row = phone.locator(".kc-compare").nth(1).locator("tbody tr").first
    cells = [squash(t) for t in first_row.locator("td").all_inner_texts()]
    assert [c.split(".")[0] for c in cells] == ["1", "2", "3", "4"], cells
    no_exception(phone)
