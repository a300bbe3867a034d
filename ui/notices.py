"""The honesty notices every screen carries."""

from __future__ import annotations

import streamlit as st

NOT_MEDICAL_ADVICE = (
    "**Not medical advice.** This directory informs; it does not recommend a clinic or a treatment. "
    "Scores reflect only what the data records about each clinic against a published checklist. "
    "\"Not verified\" means the data does not say: it is never the same as \"no\". "
    "Talk to your own doctor before starting ketamine therapy."
)
SAMPLE_NOTICE = (
    "You are looking at the **fictional sample data**: every clinic name, address, phone number, website, "
    "NPI, medical director and evidence record is invented (only the towns and ZIP codes are real places; the "
    "NPIs are well-formed but belong to no one)."
)


def sidebar_notices(is_sample: bool) -> None:
    """The not-medical-advice statement, and the sample-data warning when it applies."""
    with st.sidebar:
        st.caption(NOT_MEDICAL_ADVICE)
        if is_sample:
            st.caption(SAMPLE_NOTICE)


def data_errors(errors: tuple[str, ...]) -> None:
    """Say plainly that the data file cannot be used, listing its problems as text (never HTML, and never
    the server's path to the file)."""
    st.error("The clinics file has problems, so no clinics can be shown. An analyst can fix them on the "
             "Upload data page.")
    st.code("\n".join(errors[:200]) + (f"\n… and {len(errors) - 200} more" if len(errors) > 200 else ""),
            language=None)
