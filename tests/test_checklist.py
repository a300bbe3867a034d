"""The checklist file: complete, sourced, and refused with a clear message when malformed."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from vetting.checklist import DEFAULT_PATH, ChecklistError, label_lists, load_checklist, parse_checklist

SHARED = Path(__file__).resolve().parent.parent / "docs" / "CHECKLIST.md"
DATA = tomllib.loads(DEFAULT_PATH.read_text())


def test_every_criterion_of_checklist_md_with_its_weight_and_criticality():
    text = SHARED.read_text()
    checklist = load_checklist()
    assert len(checklist.criteria) == text.count("\n| `")
    for c in checklist.criteria:
        line = next(ln for ln in text.splitlines() if ln.startswith(f"| `{c.id}` |"))
        assert f"| {c.weight:g} |" in line
        assert ("**critical**" in line) == c.critical


def test_every_criterion_is_sourced_and_explained():
    checklist = load_checklist()
    for c in checklist.criteria:
        assert c.sources and all(checklist.cite(r) for r in c.sources)
        assert c.explanation and c.question.endswith("?")
    seeds = {s.file for s in checklist.sources.values() if s.kind == "seed"}
    assert len(seeds) == 5


def test_grading_rules_match_checklist_md():
    g = load_checklist().grading
    assert g.thresholds == {"A": 85, "B": 70, "C": 55, "D": 40}
    assert g.red_flag_grade == "F" and g.unverified_grade_cap == "C"


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["criteria"][0].update(category="nope"), "criterion physician_supervised: unknown category 'nope'"),
    (lambda d: d["criteria"][1].update(id="physician_supervised"), "criterion physician_supervised: id used twice"),
    (lambda d: d["criteria"][0]["evaluate"].update(column="nope"),
     "criterion physician_supervised: evaluate.column 'nope' is not a data-contract column"),
    (lambda d: d["criteria"][0]["evaluate"].update(kind="magic"),
     "criterion physician_supervised: unknown evaluate.kind 'magic'"),
    (lambda d: d["criteria"][0].update(weight=-1), "criterion physician_supervised: weight must not be negative"),
    (lambda d: d["criteria"][0]["sources"].append({"source": "blog"}),
     "criterion physician_supervised: unknown source 'blog'"),
    (lambda d: d["criteria"][0].pop("explanation"), "criterion physician_supervised: missing explanation"),
])
def test_malformed_checklist_is_refused_clearly(change, message):
    data = copy.deepcopy(DATA)
    change(data)
    with pytest.raises(ChecklistError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        parse_checklist(data)


def test_adding_a_criterion_is_an_edit_of_the_file():
    data = copy.deepcopy(DATA)
    data["criteria"].append({
        "id": "telehealth", "label": "Telehealth consult", "category": "care", "weight": 1,
        "evaluate": {"kind": "tristate", "column": "telehealth_consult"},
        "sources": [{"source": "seed_000"}], "explanation": "x", "question": "Telehealth?",
    })
    assert parse_checklist(data).ids[-1] == "telehealth"


def test_label_lists_turn_ids_into_words():
    import pandas as pd

    labels = label_lists(pd.Series(["", "vitals_monitoring;in_clinic_only"]), load_checklist())
    assert list(labels) == ["", "Vital signs monitored throughout each session; "
                                "Every dose is given in the clinic under supervision"]
