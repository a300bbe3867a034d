"""Start-up guard for pages/*.py.

Streamlit keeps an old multipage mode for apps with a `pages/` folder: until the entry point has called
`st.navigation` in the server process (and on every run under AppTest), a visit to e.g. /clinic runs
pages/clinic.py on its own, without dashboard.py (no navigation, no layout, no notices). Each page calls
`through_dashboard()` first: in that mode it switches Streamlit to `st.navigation`, runs dashboard.py in
this same run (so clicks and inputs of this run are kept) and stops the stray page.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard.py"


def through_dashboard() -> None:
    """Run this page through dashboard.py if Streamlit ran the page file directly (old multipage mode)."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        runpy.run_path(str(DASHBOARD), run_name="__main__")
        st.stop()
