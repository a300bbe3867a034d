"""Start-up guard for pages/*.py.

Streamlit keeps an old multipage mode for apps with a `pages/` folder: until the entry point has called
`st.navigation` once in the server process, a first visit to e.g. /clinic runs pages/clinic.py on its own,
without dashboard.py (no navigation, no layout, no notices). Each page calls `through_dashboard()` first:
in that mode it switches Streamlit to `st.navigation` and reruns, so dashboard.py serves the same URL.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def through_dashboard() -> None:
    """Rerun through dashboard.py if Streamlit ran this page file directly (old multipage mode)."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
