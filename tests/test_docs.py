"""Docs that cannot drift: the data contract page lists exactly the contract's columns and kinds, and the
README's command-line section says what the parser does."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from vetting.checklist import load_checklist
from vetting.cli import _parser, synopsis
from vetting.contract import CONTRACT, MAX_CELL_CHARS
from vetting.kinds import KINDS, MONEY

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_DOC = (ROOT / "docs" / "DATA_CONTRACT.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
sys.path.insert(0, str(ROOT / "scripts"))
from update_docs import readme_synopsis  # noqa: E402

COLUMN_ROW = re.compile(r"^\| `(\w+)` \| `(\w+)` \| (yes|no) \| (.*) \|$", re.MULTILINE)


def section(text: str, heading: str) -> str:
    """The text under a '## heading', up to the next '## '."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def test_contract_page_lists_every_kind_once():
    kinds = re.findall(r"^\| `(\w+)` \|", section(CONTRACT_DOC, "Value kinds"), re.MULTILINE)
    assert kinds == [k.name for k in KINDS]


def test_contract_page_lists_exactly_the_contract_columns_in_order():
    rows = COLUMN_ROW.findall(section(CONTRACT_DOC, "Columns"))
    listed = [(name, kind, required == "yes") for name, kind, required, _ in rows]
    assert listed == [(c.name, c.kind.name, c.required) for c in CONTRACT.columns]


def test_contract_page_states_each_columns_own_rules():
    rules = {name: text for name, _, _, text in COLUMN_ROW.findall(section(CONTRACT_DOC, "Columns"))}
    for column in CONTRACT.columns:
        if column.vocabulary:
            assert re.findall(r"`(\w+)`", rules[column.name]) == list(column.vocabulary), column.name
        if column.max_length != MAX_CELL_CHARS:
            assert f"at most {column.max_length} characters" in rules[column.name]
        if column.maximum is not None:
            unit = "$" if column.kind is MONEY else ""
            assert f"at most {unit}{column.maximum:,.0f}" in rules[column.name], column.name
    assert f"At most {MAX_CELL_CHARS} characters, unless its column says less" in CONTRACT_DOC
    days = load_checklist().grading.stale_after_days
    assert f"`stale_after_days` ({days})" in rules["last_verified"]


def test_readme_synopsis_is_the_parsers():
    assert readme_synopsis(README) == synopsis(), "run: python scripts/update_docs.py"


def bullets(text: str) -> dict[str, str]:
    """README command bullets by command name: '- `nearby PATH ...`: ...' up to the next bullet."""
    found = re.findall(r"^- (`([\w-]+)[^`]*`:.*?)(?=^- |^\S|\Z)", text, re.MULTILINE | re.DOTALL)
    return {name: body for body, name in found}


MINIMAL = {"validate": ["P"], "score": ["P"], "nearby": ["P", "--near", "Q"], "diff": ["A", "B"],
           "geocode": ["P", "--out", "F"], "hash-password": ["N"], "registry-check": ["P"]}


@pytest.mark.parametrize("command", sorted(MINIMAL))
def test_readme_bullet_of_each_command_names_its_options_and_defaults(command):
    parser = _parser()
    assert set(parser.commands) == set(MINIMAL)
    body = bullets(section(README, "Command line"))[command]
    usage = parser.commands[command].format_usage()
    options = set(re.findall(r"--[a-z][\w-]*", usage)) - {"--help"}
    mentioned = set(re.findall(r"--[a-z][\w-]*", body))
    assert options <= mentioned, f"the README does not mention {options - mentioned} for {command}"
    assert mentioned <= options, f"the README mentions {mentioned - options}, which {command} does not take"
    defaults = parser.parse_args([command, *MINIMAL[command]])
    for option, value in re.findall(r"`(--[\w-]+)[^`]*` \(default ([^)]+)\)", body):
        assert float(value) == getattr(defaults, option[2:].replace("-", "_")), option


def test_contract_page_lists_exactly_the_evidence_columns_in_order():
    from vetting.evidence import EVIDENCE_COLUMNS, METHODS

    rows = COLUMN_ROW.findall(section(CONTRACT_DOC, "The evidence file"))
    assert [(name, kind, required == "yes") for name, kind, required, _ in rows] == [
        (c.name, c.kind.name, c.required) for c in EVIDENCE_COLUMNS]
    rules = {name: text for name, _, _, text in rows}
    assert re.findall(r"`(\w+)`", rules["method"]) == list(METHODS)
    for column in EVIDENCE_COLUMNS:
        if column.max_length != MAX_CELL_CHARS:
            assert f"at most {column.max_length} characters" in rules[column.name], column.name
