"""AppTest: the dashboard renders its home page from the data file, and says so when the file is bad."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).parent / "corpus"


def run_app(monkeypatch, data: Path | None = None) -> AppTest:
    if data is not None:
        monkeypatch.setenv("CLINICS_CSV", str(data))
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
    return at.run()


def test_home_renders_sample_with_map_and_ranked_table(monkeypatch):
    at = run_app(monkeypatch)
    assert not at.exception
    assert at.title[0].value == "Ketamine therapy clinics, vetted"
    table = at.dataframe[0].value
    assert len(table) >= 300
    assert table["score"].is_monotonic_decreasing
    assert set(table["grade"]) <= set("ABCDF")
    assert at.get("plotly_chart"), "no map"
    sidebar = " ".join(c.value for c in at.sidebar.caption)
    assert "Not medical advice" in sidebar and "fictional" in sidebar


def test_home_with_other_file_has_no_sample_notice(monkeypatch):
    at = run_app(monkeypatch, CORPUS / "valid.csv")
    assert not at.exception
    assert len(at.dataframe[0].value) == 3
    assert at.metric[0].value == "3" and at.metric[1].value == "1"  # kc-003 has a red flag
    assert "fictional" not in " ".join(c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("name", ["many_problems.csv", "latin1.csv"])
def test_bad_file_shows_its_problems_not_a_traceback(monkeypatch, name):
    at = run_app(monkeypatch, CORPUS / name)
    assert not at.exception
    assert "has problems" in at.error[0].value
    assert at.code[0].value.startswith(("row ", "The file"))
    assert not at.dataframe
