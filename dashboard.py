"""Entry point: `streamlit run dashboard.py`. Navigation only; each screen lives in pages/."""

from pathlib import Path

import streamlit as st

from ui.data import directory
from ui.notices import sidebar_notices

ICON = Path(__file__).parent / "static" / "favicon.png"  # a local file: a material icon would load from Google
st.set_page_config(page_title="Ketamine clinic directory", page_icon=str(ICON), layout="wide")
page = st.navigation([
    st.Page("pages/find.py", title="Find clinics", icon=":material/search:", default=True),
    st.Page("pages/clinic.py", title="Clinic details", icon=":material/local_hospital:", url_path="clinic"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:", url_path="compare"),
    st.Page("pages/referral.py", title="Referral builder", icon=":material/assignment:", url_path="referral"),
    st.Page("pages/methodology.py", title="How scores work", icon=":material/menu_book:", url_path="methodology"),
])
sidebar_notices(directory().is_sample)
page.run()
