"""The app's server time, measured with Streamlit's AppTest (the script run, without the browser):
the first render (cold caches: load, validate, score) and a filter change (cached data), on the bundled
sample and on 100k synthetic clinics."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import streamlit as st
from common import csv_path
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
DATASETS = {"sample": ROOT / "data" / "clinics.csv", "100k": None}


def _app(data: str) -> AppTest:
    os.environ["CLINICS_CSV"] = str(DATASETS[data] or csv_path(100_000))
    return AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)


@pytest.fixture(params=list(DATASETS))
def data(request):
    previous = os.environ.get("CLINICS_CSV")
    yield request.param
    if previous is None:
        os.environ.pop("CLINICS_CSV", None)
    else:
        os.environ["CLINICS_CSV"] = previous


def test_first_render(benchmark, data):
    """A new session on a cold cache: the find page with the whole directory."""
    def cold() -> AppTest:
        st.cache_resource.clear()
        st.cache_data.clear()
        return _app(data).run()

    benchmark.group = f"app first render ({data})"
    benchmark.extra_info.update(data=data, impl="fast")
    at = benchmark.pedantic(cold, rounds=3, iterations=1, warmup_rounds=1)
    assert not at.exception


def test_filter_change(benchmark, data):
    """One click: show or hide clinics with a red flag, on the warm cache (what every click costs)."""
    at = _app(data).run()
    assert not at.exception

    def click() -> None:
        toggle = next(w for w in at.toggle if w.key == "hide_red")
        toggle.set_value(not toggle.value).run()

    benchmark.group = f"app filter change ({data})"
    benchmark.extra_info.update(data=data, impl="fast")
    benchmark.pedantic(click, rounds=10, iterations=1, warmup_rounds=1)
    assert not at.exception
