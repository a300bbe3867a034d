"""One clinic's report (vetting.report): every criterion laid out with its state, meaning and sources; the
record's prices beside "prices are published"; what to ask about the answers the record gives as no."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
from factory import TODAY

from vetting import load_checklist, load_clinics, score
from vetting.report import (
    PRICE_COLUMNS,
    PRICES_PUBLISHED_COLUMN,
    STATE_ICONS,
    checks_to_make,
    criteria_html,
    criterion_notes,
    lists_prices,
    questions_to_ask,
)
from vetting.scoring import NOT_MET, UNKNOWN, state_labels

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "clinics.csv"
FRAME = load_clinics(SAMPLE, today=TODAY).frame
SCORES = score(FRAME, today=TODAY)
STATES = SCORES.states
CHECKLIST = load_checklist()
PRICES = next(c for c in CHECKLIST.criteria if c.evaluate.get("column") == PRICES_PUBLISHED_COLUMN)


class Outline(HTMLParser):
    """The headings and list items of an HTML fragment, as text (entities decoded), and its tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[str, str]] = []
        self.items: list[str] = []
        self.tags: list[str] = []
        self._open: list[str] = []
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("h1", "h2", "h3", "h4", "li"):
            self._open.append(tag)
            self._text = []

    def handle_data(self, data):
        self._text.append(data)

    def handle_endtag(self, tag):
        if self._open and self._open[-1] == tag:
            self._open.pop()
            text = " ".join("".join(self._text).split())
            (self.items.append(text) if tag == "li" else self.headings.append((tag, text)))


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


def row_where(wanted) -> int:
    """The first clinic (row position) for which wanted(clinic row, its states) holds."""
    for i in range(len(FRAME)):
        if wanted(FRAME.iloc[i], STATES.iloc[i]):
            return i
    raise AssertionError("the sample has no such clinic")


def test_every_criterion_is_listed_under_its_category_with_state_meaning_and_sources():
    i = row_where(lambda _, s: (s == NOT_MET).any() and (s == UNKNOWN).any())
    states = STATES.iloc[i]
    page = outline(criteria_html(states, CHECKLIST))
    assert page.headings == [("h3", name) for name in CHECKLIST.categories.values()]
    assert len(page.items) == len(CHECKLIST.criteria)
    words = state_labels(states.to_frame().T).iloc[0]
    for item, c in zip(page.items, [c for cat in CHECKLIST.categories for c in CHECKLIST.criteria
                                    if c.category == cat], strict=True):
        assert item.startswith(f"{STATE_ICONS[words[c.id]]} {c.label}"), item
        assert ("Critical" if c.critical else "Not critical") in item and f"weight {c.weight:g}" in item
        assert c.explanation in item
        assert all(CHECKLIST.cite(r) in item for r in c.sources) and "Sources:" in item


def test_category_lines_give_the_subscore_and_the_count_of_each_state():
    i = row_where(lambda _, s: (s == NOT_MET).any())
    states, summary = STATES.iloc[i], SCORES.summary.iloc[i]
    subscores = {cat: summary[f"subscore_{cat}"] for cat in CHECKLIST.categories}
    html = criteria_html(states, CHECKLIST, subscores)
    for cat in CHECKLIST.categories:
        ids = [c.id for c in CHECKLIST.criteria if c.category == cat]
        not_met = int((states[ids] == NOT_MET).sum())
        line = re.search(r'<h3>' + re.escape(CHECKLIST.categories[cat]) + r'</h3><p class="kc-sum">([^<]*)</p>',
                         html).group(1)
        sub = subscores[cat]
        assert line.startswith("Subscore: not applicable" if pd.isna(sub) else f"Subscore {sub:.0f} / 100"), line
        assert (f"{not_met} not met" in line) == (not_met > 0), line


def test_checklist_text_is_escaped():
    hostile = dataclasses.replace(CHECKLIST.criteria[0], label="<script>alert(1)</script>",
                                  explanation="a & b <b>bold</b>")
    rules = dataclasses.replace(CHECKLIST, criteria=(hostile, *CHECKLIST.criteria[1:]))
    html = criteria_html(STATES.iloc[0], rules, notes={hostile.id: "<img src=x>"})
    assert "<script>" not in html and "<b>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "a &amp; b" in html
    assert set(outline(html).tags) <= {"section", "h3", "p", "ul", "li", "span"}


def test_listed_prices_beside_an_unknown_prices_published_say_not_verified_never_no():
    i = row_where(lambda r, s: s[PRICES.id] == UNKNOWN and lists_prices(r))
    clinic, states = FRAME.iloc[i], STATES.iloc[i]
    notes = criterion_notes(clinic, states, CHECKLIST)
    assert list(notes) == [PRICES.id]
    assert "lists prices" in notes[PRICES.id] and "not verified" in notes[PRICES.id]
    assert not re.search(r"\b(no|not publish|does not)\b", notes[PRICES.id])
    item = next(x for x in outline(criteria_html(states, CHECKLIST, notes=notes)).items if PRICES.label in x)
    assert item.startswith(STATE_ICONS["not verified"]) and notes[PRICES.id] in item  # the state stays
    # Without the prices, nothing to reconcile: no note.
    assert criterion_notes(clinic.drop(list(PRICE_COLUMNS)), states, CHECKLIST) == {}
    unpriced = clinic.copy()
    unpriced[list(PRICE_COLUMNS)] = float("nan")
    assert criterion_notes(unpriced, states, CHECKLIST) == {}


def test_listed_prices_beside_prices_published_no_are_noted_and_met_needs_no_note():
    i = row_where(lambda r, s: s[PRICES.id] == NOT_MET and lists_prices(r))
    notes = criterion_notes(FRAME.iloc[i], STATES.iloc[i], CHECKLIST)
    assert "lists prices" in notes[PRICES.id] and "does not publish" in notes[PRICES.id]
    met = row_where(lambda r, s: s[PRICES.id] not in (NOT_MET, UNKNOWN) and lists_prices(r))
    assert criterion_notes(FRAME.iloc[met], STATES.iloc[met], CHECKLIST) == {}


def test_answers_no_bring_questions_too_critical_first():
    i = int((STATES == NOT_MET).sum(axis=1).idxmax())
    states = STATES.loc[i]
    checks = checks_to_make(states, CHECKLIST)
    answered_no = [c for c in CHECKLIST.criteria if states[c.id] == NOT_MET]
    assert len(checks) == len(answered_no) > 1
    for c in answered_no:  # each names its criterion and asks the checklist's own question
        assert sum(c.label in x and x.endswith(c.question) for x in checks) == 1
    critical = [x for x in checks if any(c.label in x for c in answered_no if c.critical)]
    assert checks[: len(critical)] == critical
    # Questions still come from the unknown answers, and never from the ones the record answers no.
    assert not set(questions_to_ask(states, CHECKLIST)) & {c.question for c in answered_no}


def test_a_clinic_that_answers_everything_yes_has_nothing_to_check():
    states = STATES.iloc[0].where(STATES.iloc[0] != NOT_MET, STATES.iloc[0].max())
    assert checks_to_make(states, CHECKLIST) == []
