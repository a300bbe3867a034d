"""Who may change data. OIDC through st.login when [auth] is configured in secrets; otherwise local analyst
accounts ([analysts] name = "scrypt$..." in .streamlit/secrets.toml, made with `python -m vetting
hash-password NAME`); with neither, data pages are read-only and say how to enable editing.

Failed sign-ins slow down the client that made them (vetting.auth.Throttle, one for the server): the client is
this browser session and, when known, its address. Names are never rendered as Markdown."""

from __future__ import annotations

import ipaddress
import math
import secrets
from typing import Any

import streamlit as st

from ui.text import clean
from vetting.auth import MAX_NAME, Throttle, account_name, accounts_from

HOW_TO_ENABLE = (
    "Editing is switched off: no analyst accounts are configured. To enable it, run "
    "`python -m vetting hash-password YOUR_NAME`, put the line it prints under `[analysts]` in "
    "`.streamlit/secrets.toml`, and restart the app (or configure `[auth]` for single sign-on and list the "
    "analysts' e-mails under `analyst_emails`)."
)
CLIENT_KEY = "_sign_in_client"  # session_state: this session's random throttle key


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


def accounts() -> dict[str, str]:
    """Local accounts, name -> hash (names with dots, spaces or quotes read back as written)."""
    table = _secrets().get("analysts", {})
    return accounts_from(table) if hasattr(table, "items") else {}


@st.cache_resource
def _throttle() -> Throttle:
    """One throttle for the whole server: it keeps failures per client and the global limit."""
    return Throttle()


def _ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def _address() -> str | None:
    """Where this session connects from, as a throttle key, or None when that is not known.

    A public peer address is used as it is. A peer on this machine (Streamlit reports it as None) or on a
    non-public network may be a reverse proxy: then the last address in X-Forwarded-For (the one that proxy
    added) is used, scoped to the peer, so a forged header can only change its own sender's key."""
    try:
        peer = st.context.ip_address
        forwarded = [hop for value in st.context.headers.get_all("X-Forwarded-For") for hop in value.split(",")]
    except Exception:  # no browser session (a bare script run)
        return None
    client = _ip(forwarded[-1]) if forwarded else None
    if peer is None:
        return f"local>{client}" if client else None
    peer = _ip(peer)
    if peer is None:
        return None
    proxied = not ipaddress.ip_address(peer).is_global  # private, shared (CGNAT), link-local ...
    return f"{peer}>{client}" if proxied and client else peer


def _clients() -> list[str]:
    """This session's throttle keys: a random one kept in session_state, and its address when known."""
    token = st.session_state.setdefault(CLIENT_KEY, secrets.token_urlsafe(16))
    address = _address()
    return [f"session:{token}"] + ([f"address:{address}"] if address else [])


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


def _typed_name(name: str) -> str:
    """The name as typed, in the form accounts are kept in ('' when it cannot be an account)."""
    try:
        return account_name(name.strip())
    except ValueError:
        return ""


def sign_in() -> str | None:
    """Show the sign-in (or signed-in) panel; returns the analyst's name when signed in."""
    m = mode()
    who = analyst()
    if m == "none":
        st.info(HOW_TO_ENABLE, icon=":material/lock:")
        return None
    if who:
        left, right = st.columns([4, 1])
        left.success("Signed in as an analyst.", icon=":material/verified_user:")
        left.text(f"Name: {clean(who)}")  # plain text: a name is never Markdown
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
        name = st.text_input("Name", max_chars=MAX_NAME)
        password = st.text_input("Password", type="password", max_chars=1000)
        if st.form_submit_button("Sign in", type="primary"):
            typed = _typed_name(name)
            attempt = _throttle().check(_clients(), typed, password, accounts())
            if attempt.ok:
                st.session_state["analyst"] = typed
                st.rerun()
            seconds = max(1, math.ceil(attempt.wait))
            if attempt.refused == "client":
                st.error(f"Too many failed sign-ins from here, so this attempt was not checked. Try again in "
                         f"{seconds} second{'s' if seconds != 1 else ''}.")
            elif attempt.refused == "busy":
                st.error(f"Too many sign-in attempts on this server in the last minute, so this one was not "
                         f"checked. Try again in {seconds} second{'s' if seconds != 1 else ''}.")
            else:
                st.error("Name or password is wrong. Each failed attempt makes the next one from here wait "
                         "longer.")
    return None
