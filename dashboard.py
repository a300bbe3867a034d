"""Entry point: `streamlit run dashboard.py`. Navigation only; each screen lives in pages/."""

from pathlib import Path

import streamlit as st

from ui.boot import close_menu_on_phone
from ui.data import directory
from ui.guard import bound_query_params, guarded
from ui.notices import sidebar_notices

ICON = Path(__file__).parent / "static" / "favicon.png"  # a local file: a material icon would load from Google
st.set_page_config(page_title="Ketamine clinic directory", page_icon=str(ICON), layout="wide")
bound_query_params()
page = st.navigation({
    "Patients": [
        st.Page("pages/find.py", title="Find clinics", icon=":material/search:", default=True),
        st.Page("pages/clinic.py", title="Clinic details", icon=":material/local_hospital:", url_path="clinic"),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:", url_path="compare"),
        st.Page("pages/methodology.py", title="How scores work", icon=":material/menu_book:",
                url_path="methodology"),
    ],
    "Physicians": [
        st.Page("pages/referral.py", title="Referral builder", icon=":material/assignment:", url_path="referral"),
    ],
    "Analysts": [
        st.Page("pages/quality.py", title="Data quality", icon=":material/fact_check:", url_path="quality"),
        st.Page("pages/verify.py", title="Verify", icon=":material/verified:", url_path="verify"),
        st.Page("pages/upload.py", title="Upload data", icon=":material/upload_file:"),
        st.Page("pages/edit.py", title="Edit data", icon=":material/edit:"),
        st.Page("pages/history.py", title="History", icon=":material/history:"),
    ],
}, position="top")
close_menu_on_phone(page.url_path)
guarded(lambda: sidebar_notices(directory().is_sample))
guarded(page.run)
