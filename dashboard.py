"""Entry point: `streamlit run dashboard.py`. Navigation only; each screen lives in pages/."""

from pathlib import Path

import streamlit as st

from ui.data import directory
from ui.notices import sidebar_notices

ICON = Path(__file__).parent / "static" / "favicon.png"  # a local file: a material icon would load from Google
st.set_page_config(page_title="Ketamine clinic directory", page_icon=str(ICON), layout="wide")
page = st.navigation([
    st.Page("pages/home.py", title="Clinics", icon=":material/map:", default=True),
])
sidebar_notices(directory().is_sample)
page.run()
