"""Who may change data. OIDC through st.login when [auth] is configured in secrets; otherwise local analyst
accounts ([analysts] name = "scrypt$..." in .streamlit/secrets.toml, made with `python -m vetting
hash-password NAME`); with neither, data pages are read-only and say how to enable editing."""

from __future__ import annotations

from typing import Any

import streamlit as st

from vetting.auth import Throttle

HOW_TO_ENABLE = (
    "Editing is switched off: no analyst accounts are configured. To enable it, run "
    "`python -m vetting hash-password YOUR_NAME`, put the line it prints under `[analysts]` in "
    "`.streamlit/secrets.toml`, and restart the app (or configure `[auth]` for single sign-on and list the "
    "analysts' e-mails under `analyst_emails`)."
)


def _secrets() -> dict[str, Any]:
    try:
        return {k: st.secrets[k] for k in st.secrets}
    except Exception:  # no secrets file at all: Streamlit raises its own not-found error
        return {}


def mode() -> str:
    """'oidc', 'local' or 'none'."""
    s = _secrets()
    if "auth" in s:
        return "oidc"
    return "local" if s.get("analysts") else "none"


@st.cache_resource
def _throttle() -> Throttle:
    """One failed-attempt counter for the whole server (shared by every session)."""
    return Throttle()


def analyst() -> str | None:
    """The signed-in analyst's name, or None."""
    m = mode()
    if m == "oidc":
        allowed = {e.lower() for e in _secrets().get("analyst_emails", [])}
        email = (st.user.get("email") or "").lower() if st.user.is_logged_in else ""
        return email if email and email in allowed else None
    if m == "local":
        return st.session_state.get("analyst")
    return None


def sign_in() -> str | None:
    """Show the sign-in (or signed-in) panel; returns the analyst's name when signed in."""
    m = mode()
    who = analyst()
    if m == "none":
        st.info(HOW_TO_ENABLE, icon=":material/lock:")
        return None
    if who:
        left, right = st.columns([4, 1])
        left.success(f"Signed in as **{who}**.", icon=":material/verified_user:")
        if right.button("Sign out", width="stretch"):
            if m == "oidc":
                st.logout()
            st.session_state.pop("analyst", None)
            st.rerun()
        return who
    if m == "oidc":
        if st.user.is_logged_in:
            st.error("You are signed in, but not as an analyst: ask for your e-mail to be added.")
        elif st.button("Sign in as an analyst", type="primary"):
            st.login()
        return None
    with st.form("sign_in"):
        st.markdown("**Analyst sign-in** — changing the data needs an analyst account.")
        name = st.text_input("Name")
        password = st.text_input("Password", type="password")
        if st.form_submit_button("Sign in", type="primary"):
            accounts = {str(k): str(v) for k, v in _secrets().get("analysts", {}).items()}
            if _throttle().check(name.strip(), password, accounts):
                st.session_state["analyst"] = name.strip()
                st.rerun()
            st.error("Name or password is wrong. Each failed attempt makes the next answer slower.")
    return None
