"""Accessibility checks in Debian's chromium: axe-core's violations (less an explicit allow-list of Streamlit's
own markup), what overflows a phone's viewport, and moving through a page with the keyboard alone.

axe-core comes bundled in the axe-playwright-python package (requirements-dev.txt): nothing is fetched. Playwright
and axe are imported inside the functions that need them, so importing this module needs only the standard
library.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

# --- axe-core ---------------------------------------------------------------------------------------------

IMPACTS = ("critical", "serious", "moderate", "minor")
BLOCKING = frozenset({"critical", "serious"})  # what a page must have none of


@dataclass(frozen=True)
class Allowed:
    """A violation the project accepts: axe's rule id, a CSS selector the element matches (or sits inside),
    and why it cannot be fixed here. Only for markup Streamlit draws and the project cannot change."""

    rule: str
    selector: str
    why: str


# Each entry names Streamlit's own markup (drawn by its frontend, not by a page) and why it stays. Nothing the
# project writes belongs here: fix that instead.
_NAV_WHY = ("Streamlit's navigation menu (st.navigation with sections, shown in the sidebar on a phone) puts each "
            "section's <div> straight inside its <ul>, with the section's <li> items in that <div>; no option "
            "changes it. The links inside are still named links a screen reader lists and Tab reaches.")
ALLOW_LIST: tuple[Allowed, ...] = (
    Allowed("list", '[data-testid="stSidebarNavItems"]', _NAV_WHY),
    Allowed("listitem", '[data-testid="stSidebarNavItems"]', _NAV_WHY),
    Allowed("color-contrast", '[data-testid="stWidgetLabel"][disabled]',
            "The label of a disabled widget (e.g. a distance slider until a place is entered): Streamlit draws it "
            "at 40% of the text colour, and no theme option changes that. WCAG 1.4.3 does not apply to an "
            "inactive control; the label says what the control is and the page says why it is inactive."),
)


@dataclass(frozen=True)
class Node:
    """One element a rule fired on."""

    target: str  # axe's CSS path to it
    html: str  # the start of its markup
    summary: str  # axe's sentence on what is wrong


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    nodes: tuple[Node, ...] = field(default=())

    def describe(self, max_nodes: int = 5) -> str:
        lines = [f"{self.rule} ({self.impact}, {len(self.nodes)} element(s)): {self.help}"]
        for node in self.nodes[:max_nodes]:
            lines.append(f"  - {node.target}\n      {node.html}\n      {' '.join(node.summary.split())}")
        if len(self.nodes) > max_nodes:
            lines.append(f"  ... and {len(self.nodes) - max_nodes} more")
        return "\n".join(lines)


def _target(node: dict) -> str:
    # A node inside an iframe or a shadow root has a list of selectors; the last one reaches the element.
    parts = node.get("target") or [""]
    last = parts[-1]
    return " >>> ".join(last) if isinstance(last, list) else str(last)


_MATCHES_JS = """([target, selector]) => {
  const el = document.querySelector(target);
  return !!(el && el.closest(selector));
}"""


def _allowed(page, rule: str, node: Node, allow: tuple[Allowed, ...]) -> Allowed | None:
    for entry in allow:
        if entry.rule == rule and node.target and page.evaluate(_MATCHES_JS, [node.target, entry.selector]):
            return entry
    return None


def axe_violations(page, allow: tuple[Allowed, ...] = ALLOW_LIST, impacts: frozenset[str] | None = BLOCKING,
                   ) -> list[Violation]:
    """Run axe-core on ``page`` as it is now; return its violations of the given impacts (all of them for None),
    without the elements ``allow`` names. A rule left with no element is dropped."""
    from axe_playwright_python.sync_playwright import Axe

    response = Axe().run(page, options={"resultTypes": ["violations"]}).response
    found = []
    for v in response["violations"]:
        impact = v.get("impact") or "minor"
        if impacts is not None and impact not in impacts:
            continue
        nodes = tuple(Node(_target(n), (n.get("html") or "")[:200], n.get("failureSummary") or "")
                      for n in v["nodes"])
        nodes = tuple(n for n in nodes if _allowed(page, v["id"], n, allow) is None)
        if nodes:
            found.append(Violation(v["id"], impact, v.get("help", ""), nodes))
    order = {name: i for i, name in enumerate(IMPACTS)}
    return sorted(found, key=lambda v: (order.get(v.impact, 9), v.rule))


def describe_violations(violations: list[Violation]) -> str:
    """A failing test's message: each rule, how bad, and the elements it fired on."""
    return "\n".join(v.describe() for v in violations) or "(none)"


# --- a phone's viewport -----------------------------------------------------------------------------------

PHONE = {"width": 390, "height": 844}  # an iPhone 12-15's CSS viewport, 390x844
DESKTOP = {"width": 1400, "height": 1000}

# What overflows the viewport horizontally, in the browser:
# - the document, or one of Streamlit's page-level scrollers (the main section...), is wider than it shows,
#   so the whole page scrolls sideways;
# - any element that is shown (not display:none, visibility:hidden, empty or aria-hidden) whose visible part
#   (its box cut by every ancestor that clips it, except those page-level scrollers) passes the viewport's
#   right edge. A table or grid that scrolls inside its own box is fine only when that box fits the screen:
#   the box is clipped to it, and the box itself is checked like any other element.
# Only the outermost element of each overflowing subtree is listed.
_OVERFLOW_JS = r"""(limit) => {
  const vw = document.documentElement.clientWidth;
  const PAGE = new Set([document.documentElement, document.body]);
  for (const id of ['stApp', 'stAppViewContainer', 'stMain', 'stMainBlockContainer'])
    for (const el of document.querySelectorAll(`[data-testid="${id}"]`)) PAGE.add(el);
  const what = el => {
    const holder = el.closest('[data-testid]');
    const text = (el.innerText || el.getAttribute('aria-label') || el.value || '').replace(/\s+/g, ' ').trim();
    return {testid: holder ? holder.getAttribute('data-testid') : '', tag: el.tagName.toLowerCase(),
            text: text.slice(0, 60)};
  };
  const pages = [];
  for (const el of PAGE) {
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'hidden'
        && getComputedStyle(el).overflowX !== 'clip')
      pages.push({...what(el), scrollWidth: el.scrollWidth, clientWidth: el.clientWidth});
  }
  const clips = s => s.overflowX !== 'visible';
  const shown = (el, s) => s.display !== 'none' && s.visibility !== 'hidden' && !el.closest('[aria-hidden="true"]')
    && !el.closest('[inert]');
  const elements = [];
  const reported = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_ELEMENT);
  for (let el = walker.nextNode(); el; el = walker.nextNode()) {
    const s = getComputedStyle(el);
    if (!shown(el, s)) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    let left = r.left, right = r.right, top = r.top, bottom = r.bottom;
    let fixed = s.position === 'fixed';
    for (let a = el.parentElement; a && right > left && bottom > top; a = a.parentElement) {
      if (PAGE.has(a)) continue;
      const as = getComputedStyle(a);
      if (clips(as)) {
        const ar = a.getBoundingClientRect();
        left = Math.max(left, ar.left); right = Math.min(right, ar.right);
        top = Math.max(top, ar.top); bottom = Math.min(bottom, ar.bottom);
      }
      if (as.position === 'fixed') fixed = true;
    }
    if (right <= left || bottom <= top) continue;  // nothing of it is visible
    if (right <= vw + 1) continue;
    let a = el.parentElement;
    while (a && !reported.has(a)) a = a.parentElement;
    reported.add(el);
    if (a) continue;  // its ancestor is listed already
    elements.push({...what(el), left: Math.round(r.left), right: Math.round(right), width: Math.round(r.width),
                   fixed});
  }
  return {viewport: vw, pages, elements: elements.slice(0, limit), more: Math.max(0, elements.length - limit)};
}"""


def overflow(page, limit: int = 15) -> list[str]:
    """What is wider than ``page``'s viewport, one readable line each ([] when nothing is): the page scrolling
    sideways, and each outermost element whose visible part passes the right edge (its data-testid, tag, the
    start of its text, its width and right edge in CSS pixels)."""
    found = page.evaluate(_OVERFLOW_JS, limit)
    vw = found["viewport"]
    lines = [f"the page scrolls sideways: {p['testid'] or p['tag']} is {p['scrollWidth']} px wide, shows "
             f"{p['clientWidth']} px" for p in found["pages"]]
    lines += [f"{e['testid'] or '-'} <{e['tag']}> {e['text']!r}: {e['width']} px wide, right edge at {e['right']} "
              f"px (viewport {vw} px){' (fixed)' if e['fixed'] else ''}" for e in found["elements"]]
    if found["more"]:
        lines.append(f"... and {found['more']} more elements")
    return lines


# --- the keyboard -----------------------------------------------------------------------------------------

# Elements a keyboard user must be able to reach, shown on screen (not disabled, hidden or inert).
_INTERACTIVE = ("a[href], button, input:not([type=hidden]), select, textarea, summary, [contenteditable=''], "
                "[contenteditable=true], [tabindex]:not([tabindex='-1'])")
_MARK_INTERACTIVE_JS = """(selector) => {
  const out = [];
  let i = 0;
  for (const el of document.querySelectorAll(selector)) {
    const s = getComputedStyle(el), r = el.getBoundingClientRect();
    if (el.disabled || el.closest('[aria-hidden="true"], [inert], [aria-disabled="true"]')) continue;
    if (s.display === 'none' || s.visibility === 'hidden' || r.width < 1 || r.height < 1) continue;
    el.setAttribute('data-a11y-id', String(i));
    out.push(String(i++));
  }
  return out;
}"""
_DESCRIBE_JS = """(el) => {
  if (!el) return '(nothing)';
  const holder = el.closest('[data-testid]');
  const name = (el.getAttribute('aria-label') || el.innerText || el.value || el.title || '')
    .replace(/\\s+/g, ' ').trim().slice(0, 50);
  const role = el.getAttribute('role');
  return `${holder ? holder.getAttribute('data-testid') + ' ' : ''}<${el.tagName.toLowerCase()}`
    + `${role ? ' role=' + role : ''}> ${JSON.stringify(name)}`;
}"""


def describe_focused(page) -> str:
    """The focused element in a line: its data-testid holder, tag, role and name ('(nothing)' for the body)."""
    return page.evaluate(f"() => ({_DESCRIBE_JS})(document.activeElement === document.body ? null "
                         ": document.activeElement)")


def mark_interactive(page) -> dict[str, str]:
    """Mark every interactive element shown on ``page`` with a data-a11y-id; return id -> description."""
    ids = page.evaluate(_MARK_INTERACTIVE_JS, _INTERACTIVE)
    return {i: page.evaluate(f"(id) => ({_DESCRIBE_JS})(document.querySelector(`[data-a11y-id=\"${{id}}\"]`))", i)
            for i in ids}


def focused_mark(page) -> str | None:
    """The data-a11y-id of the focused element (or of the marked element it sits in), None if none."""
    return page.evaluate("""() => {
      const el = document.activeElement;
      const marked = el && el.closest('[data-a11y-id]');
      return marked ? marked.getAttribute('data-a11y-id') : null;
    }""")


def tab_until(page, predicate: Callable[[object], bool], max_tabs: int = 60, key: str = "Tab") -> int:
    """Press ``key`` (Tab; "Shift+Tab" goes backwards) until ``predicate(page)`` holds; return how many presses
    it took (0 if it already held). Fails after ``max_tabs``, listing where focus went.

    ``predicate`` may also be a Playwright Locator: then it holds when the focus is on that element or inside
    it.
    """
    if hasattr(predicate, "evaluate") and not callable(predicate):
        locator = predicate

        def predicate(_page) -> bool:
            return locator.count() > 0 and locator.first.evaluate(
                "el => el === document.activeElement || el.contains(document.activeElement)")
    path = []
    for presses in range(max_tabs + 1):
        if predicate(page):
            return presses
        if presses == max_tabs:
            break
        page.keyboard.press(key)
        path.append(describe_focused(page))
    raise AssertionError(f"not reached after {max_tabs} presses of {key}; focus went to:\n  " + "\n  ".join(path))


# How much of the area around the focused element must change between focused and not focused for the focus
# to count as visible: a 2 px outline round a 100x30 button changes ~500 pixels.
MIN_FOCUS_PIXELS = 40
FOCUS_MARGIN_PX = 6  # outlines and rings are drawn outside the box: look this far around it
_RECT_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const r = el.getBoundingClientRect();
  return {x: r.left, y: r.top, width: r.width, height: r.height};
}"""
_STYLE_JS = """() => {
  const el = document.activeElement;
  const s = getComputedStyle(el);
  return `outline: ${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}; box-shadow: ${s.boxShadow}; `
    + `background: ${s.backgroundColor}; border: ${s.borderColor}`;
}"""


def changed_pixels(a: bytes, b: bytes) -> int:
    from PIL import Image, ImageChops

    first, second = Image.open(io.BytesIO(a)).convert("RGB"), Image.open(io.BytesIO(b)).convert("RGB")
    if first.size != second.size:
        return first.size[0] * first.size[1]
    diff = ImageChops.difference(first, second).convert("L").point(lambda v: 255 if v > 24 else 0)
    return diff.histogram()[255]


def focus_indicator(page, settle_ms: int = 300) -> tuple[int, str]:
    """How visible the focus on the focused element is: (pixels around it that change when it loses focus, its
    style when focused). Blurs the element to compare, and leaves the focus off it; the next Tab goes on from
    where it was (the browser keeps its place in the tab order). A blur can make a text box send its value.
    """
    rect = page.evaluate(_RECT_JS)
    if rect is None:
        return 0, "(nothing focused)"
    size = page.viewport_size or DESKTOP
    x, y = max(0.0, rect["x"] - FOCUS_MARGIN_PX), max(0.0, rect["y"] - FOCUS_MARGIN_PX)
    clip = {"x": x, "y": y,
            "width": max(1.0, min(size["width"], rect["x"] + rect["width"] + FOCUS_MARGIN_PX) - x),
            "height": max(1.0, min(size["height"], rect["y"] + rect["height"] + FOCUS_MARGIN_PX) - y)}
    page.wait_for_timeout(settle_ms)  # focus rings fade in (transitions)
    style = page.evaluate(_STYLE_JS)
    focused = page.screenshot(clip=clip, animations="disabled", caret="hide")
    page.evaluate("() => document.activeElement.blur()")
    page.wait_for_timeout(settle_ms)
    unfocused = page.screenshot(clip=clip, animations="disabled", caret="hide")
    return changed_pixels(focused, unfocused), style


# Start the tab order from the top of the page: focus a stand-in at the start of the body, then remove it (the
# browser goes on from where the focus was).
_FROM_THE_TOP_JS = """() => {
  const start = document.createElement('span');
  start.tabIndex = -1;
  document.body.prepend(start);
  start.focus();
  start.blur();
  start.remove();
}"""


def from_the_top(page) -> None:
    """Make the next Tab go to the first focusable element of ``page``, as after loading it."""
    page.evaluate(_FROM_THE_TOP_JS)


def tab_through(page, max_tabs: int = 200) -> list[tuple[str | None, str, int, str]]:
    """From the top of ``page``, press Tab until the focus comes back round to where it started or leaves the
    page; for each stop return (its data-a11y-id from ``mark_interactive`` or None, its description, how many
    pixels its focus indicator changes, its focused style)."""
    from_the_top(page)
    stops = []
    seen: set[str] = set()
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement === document.body || !document.hasFocus()"):
            break
        mark = focused_mark(page)
        where = describe_focused(page)
        key = mark or where
        if key in seen:
            break
        seen.add(key)
        pixels, style = focus_indicator(page)
        stops.append((mark, where, pixels, style))
    return stops

