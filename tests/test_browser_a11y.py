"""Every page, on a desktop and on a phone, in Debian's chromium: axe-core finds nothing critical or serious
(less testkit.a11y.ALLOW_LIST, Streamlit's own markup, each entry with its reason), nothing is wider than a
390x844 phone's screen, and How scores work can be read with the keyboard alone, its focus always visible.

The clinics opened are picked from testkit.sample, not copied from the data. Upload, Edit, Verify and History are
seen as a visitor who is not signed in sees them (conftest's app has no analyst accounts).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode

import pytest

from testkit import a11y, sample
from testkit.browser import no_exception, open_app

pytestmark = pytest.mark.browser


def _two_clinics() -> list[str]:
    ids = list(sample.names())
    assert len(ids) >= 2, f"{sample.SAMPLE} has fewer than two clinics: Compare needs two"
    return ids[:2]


# Each page's address; a function, so the sample is read only when a test runs.
PAGES: dict[str, Callable[[], str]] = {
    "find": lambda: "/",
    "clinic": lambda: "/clinic?" + urlencode({"clinic": _two_clinics()[0]}),
    "compare": lambda: "/compare?" + urlencode([("compare", c) for c in _two_clinics()]),
    "methodology": lambda: "/methodology",
    "referral": lambda: "/referral",
    "quality": lambda: "/quality",
    "verify": lambda: "/verify",
    "upload": lambda: "/upload",
    "edit": lambda: "/edit",
    "history": lambda: "/history",
}
SIZES = {"desktop": a11y.DESKTOP, "phone": a11y.PHONE}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_accessibility_problem(new_tab, app_server, app_log_path, name, size):
    tab = new_tab(app_log_path, viewport=SIZES[size])
    open_app(tab, app_server + PAGES[name]())
    no_exception(tab)
    problems = []
    violations = a11y.axe_violations(tab)
    if violations:
        problems.append(f"axe-core found {len(violations)} critical or serious rule(s) broken:\n"
                        + a11y.describe_violations(violations))
    if size == "phone":
        wide = a11y.overflow(tab)
        if wide:
            problems.append(f"wider than the {SIZES[size]['width']} px screen:\n  " + "\n  ".join(wide))
    assert not problems, f"{name} at {size} ({tab.url}):\n" + "\n\n".join(problems)


def test_methodology_can_be_read_with_the_keyboard_alone(new_tab, app_server, app_log_path):
    """From the top of How scores work, Tab reaches every link, button and scrolling table shown, and each one
    visibly changes when it has the focus."""
    tab = new_tab(app_log_path)
    open_app(tab, app_server + PAGES["methodology"]())
    no_exception(tab)
    interactive = a11y.mark_interactive(tab)
    assert len(interactive) > 1, "How scores work shows nothing to Tab to: the check would prove nothing"
    first_table = tab.get_by_role("region", name=re.compile(r"^Criteria: ")).first  # ui.text.table's label
    assert a11y.tab_until(tab, first_table, max_tabs=len(interactive)) >= 1
    stops = a11y.tab_through(tab)
    reached = {mark for mark, *_ in stops if mark is not None}
    unreached = [where for mark, where in interactive.items() if mark not in reached]
    assert not unreached, "not reachable with Tab:\n  " + "\n  ".join(unreached)
    unseen = [f"{where}: {pixels} pixels change (focused: {style})"
              for _, where, pixels, style in stops if pixels < a11y.MIN_FOCUS_PIXELS]
    assert not unseen, "the focus does not show on:\n  " + "\n  ".join(unseen)


def test_overflow_check_names_what_is_too_wide(new_tab, app_server, app_log_path):
    """The phone check itself: an element made wider than the screen is reported by its test id and width (so
    an empty report above means something)."""
    tab = new_tab(app_log_path, viewport=a11y.PHONE)
    open_app(tab, app_server + PAGES["methodology"]())
    assert a11y.overflow(tab) == []
    tab.evaluate("""() => {
      const p = document.querySelector('[data-testid="stMain"] h1');
      p.style.width = '900px';
    }""")
    wide = a11y.overflow(tab)
    assert any("900 px wide" in line for line in wide), wide
    assert any("scrolls sideways" in line for line in wide), wide
