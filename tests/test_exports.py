"""What people take away: the printable comparison and its CSV, the shortlist, Data quality's lists, condition
names. Clinics and criteria come from the sample and the checklist, picked by what each test needs of them."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import pandas as pd
from factory import TODAY
from streamlit.testing.v1 import AppTest

from ui.choices import condition_label
from vetting import load_checklist, load_clinics, score, scored
from vetting.contract import CONDITION_LABELS, CONDITIONS
from vetting.export import comparison_csv, comparison_page, shortlist, shortlist_page
from vetting.geo import directions_urls
from vetting.quality import column_completeness, readable, stale
from vetting.report import compare_facts, compare_table

REPO = Path(__file__).resolve().parent.parent
FRAME = load_clinics(REPO / "data" / "clinics.csv", today=TODAY).frame
SCORES = score(FRAME, today=TODAY)
CLINICS = scored(FRAME, today=TODAY)
CHECKLIST = load_checklist()


def cells(page: str) -> list[str]:
    """Every table cell's text, as a reader sees it on paper (a cell's clinic number shows only on a phone)."""
    page = re.sub(r"<span class='kc-who'[^>]*>.*?</span>", "", page)
    return [html.unescape(re.sub(r"<[^>]+>", " ", c)).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", page)]


def two_that_differ_somewhere() -> list[int]:
    """Two clinics whose checklists agree on some criteria and differ on others, one with a price listed."""
    priced = CLINICS.index[CLINICS["price_per_session_usd"].notna().to_numpy()]
    for a in priced:
        for b in CLINICS.index[:50]:
            differ = (SCORES.states.loc[a] != SCORES.states.loc[b]).sum()
            if a != b and 0 < differ < len(CHECKLIST.criteria):
                return [a, b]
    raise AssertionError("no two clinics that differ on some criteria only")


def comparison(only_differences: bool) -> tuple[str, str, pd.DataFrame]:
    picked = CLINICS.loc[two_that_differ_somewhere()]
    names = [f"{i}. {n}" for i, n in enumerate(picked["name"], 1)]
    facts = compare_facts(picked, names)
    table = compare_table(SCORES.states.loc[picked.index], names, CHECKLIST)
    return (comparison_page(facts, table, ["Printed today"], only_differences),
            comparison_csv(facts, table, only_differences), table)


def test_the_printable_comparison_reads_in_words_with_grade_score_price_and_date():
    page, _, _ = comparison(False)
    picked = CLINICS.loc[two_that_differ_somewhere()]
    shown = cells(page)
    assert "True" not in shown and "False" not in shown  # critical is said in words
    assert page.count(">critical<") == sum(c.critical for c in CHECKLIST.criteria)
    for _, clinic in picked.iterrows():
        assert clinic["grade"] in shown and f"{clinic['score']:.0f} / 100" in shown
        assert f"{clinic['last_verified']:%Y-%m-%d}" in shown
    price = picked["price_per_session_usd"].dropna().iloc[0]
    assert f"${price:,.0f}" in shown
    for url in directions_urls(picked):
        assert f'<a href="{html.escape(url)}">Directions</a>' in page
    assert "Only the" not in page  # every criterion is there: nothing to say


def test_only_the_differences_say_so_in_the_printout_and_the_csv():
    page, text, table = comparison(True)
    differ, agree = int(table["differs"].sum()), int((~table["differs"]).sum())
    note = f"Only the {differ} criteria where these clinics differ are listed; the {agree} where they all agree"
    assert note in page
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["item"].startswith("Note: " + note)
    listed = [r["item"] for r in rows if r["item"] in set(table["criterion"])]
    assert listed == list(table.loc[table["differs"], "criterion"])
    assert {"Grade", "Score", "Price per session", "Last verified", "Directions"} <= {r["item"] for r in rows}


def test_a_website_is_linked_only_when_it_is_a_web_address():
    picked = CLINICS.head(2).assign(website=["javascript:alert(1)", "https://clinic.example/<b>"])
    names = ["1. a", "2. b"]
    page = comparison_page(compare_facts(picked, names), compare_table(SCORES.states.loc[picked.index], names,
                                                                       CHECKLIST), [], False)
    assert 'href="javascript' not in page and "javascript:alert(1)" in page
    assert '<a href="https://clinic.example/&lt;b&gt;">' in page and "<b>" not in page


def test_the_shortlist_carries_last_verified_and_directions():
    short = shortlist(CLINICS, limit=5)
    assert list(short["last_verified"]) == list(CLINICS.head(5)["last_verified"].dt.strftime("%Y-%m-%d"))
    assert list(short["directions"]) == list(directions_urls(CLINICS.head(5)))
    page = shortlist_page(CLINICS.head(5), "List", [])
    assert page.count(">Directions</a>") == 5 and "Last verified" in page


def test_condition_names_read_as_people_write_them():
    assert set(CONDITION_LABELS) == set(CONDITIONS)
    for condition in CONDITIONS:
        label = condition_label(condition)
        assert label == CONDITION_LABELS[condition] and "_" not in label
    acronyms = [c for c in CONDITIONS if len(c) <= 4 and c.isalpha()]  # ptsd, ocd, crps
    assert acronyms and all(condition_label(c).startswith(c.upper()) for c in acronyms)


# ------------------------------------------------------------------ Data quality
def test_quality_lists_read_as_dates_and_percentages():
    completeness = readable(column_completeness(FRAME))
    assert "% filled" in completeness and completeness["% filled"].between(0, 100).all()
    assert completeness["% filled"].max() == 100.0
    old = stale(FRAME, TODAY, CHECKLIST.grading.stale_after_days)
    assert len(old) > 0 and old["last_verified"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    text = readable(old).to_csv(index=False)
    assert "00:00:00" not in text


def test_an_empty_quality_list_says_none_and_offers_no_download(monkeypatch):
    monkeypatch.setenv("CLINICS_CSV", str(REPO / "tests" / "corpus" / "valid.csv"))
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
    at.switch_page("pages/quality.py")
    at.run()
    assert not at.exception
    titles = [s.value for s in at.header]
    empty = [t for t in titles if t.endswith("(0)")]
    assert empty, f"the test needs an empty list: {titles}"
    assert len(at.download_button) == len(titles) - len(empty)
    assert sum(m.value == "None." for m in at.markdown) == len(empty)
    shown = " ".join(str(df.value.to_csv()) for df in at.dataframe)
    assert "00:00:00" not in shown and "share" not in shown
