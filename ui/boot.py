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


# Streamlit keeps the sidebar's open/closed state in the browser (localStorage), and on a phone the open
# sidebar covers most of the screen: tapping a page, or reloading, left the menu covering the page. This
# closes it whenever a page is drawn on a screen narrower than Streamlit's medium breakpoint (where the
# sidebar overlays the page instead of sitting beside it). The script is the app's own text, nothing else.
_CLOSE_MENU_ON_PHONE = """<script data-page="{page}">
(() => {
  if (!window.matchMedia("(max-width: 767.98px)").matches) return;
  const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
  if (close) close.click();
})();
</script>"""


def close_menu_on_phone(page: str) -> None:
    """On a phone, close the menu whenever a page is drawn (after a tap on a page or a reload).

    `page` (the page's url path, the app's own word) makes each page's script a new element, so it runs
    again when the visitor goes to another page."""
    st.sidebar.html(_CLOSE_MENU_ON_PHONE.replace("{page}", page), unsafe_allow_javascript=True)
