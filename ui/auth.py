"""Who may change data. OIDC through st.login when [auth] is configured in secrets; otherwise local analyst
accounts ([analysts] name = "scrypt$..." in .streamlit/secrets.toml, made with `python -m vetting
hash-password NAME`); with neither, data pages are read-only and say how to enable editing.

Failed sign-ins slow down the client that made them (vetting.auth.Throttle, one for the server): the client is
this browser session and, when known, its address. Names are never rendered as Markdown.

Staying signed in (local accounts): a password sign-in also gives the browser a cookie (COOKIE) holding a
signed, expiring token (vetting.auth.make_token), so a reload or a new tab of the same browser is signed in
again until it expires ([analyst_session] hours, default vetting.auth.SESSION_HOURS). The token's key is
[analyst_session] secret when set, else a random key kept in `history/analyst_session.key` beside the data file
(mode 0600); "Sign out" revokes the token (kept in `history/analyst_session.revoked` until it expires, so a
restart keeps the sign-out) and deletes the cookie. A cookie that is not a valid token is ignored, and a
browser session whose token stops being valid (expired, signed out in another tab, password changed, account
removed) is signed out on its next run. Streamlit cannot set a cookie from the server, so a small script in
the page (st.html, no iframe) writes and deletes it: the cookie is not HttpOnly, is SameSite=Strict, Secure on
https, and scoped to the app's path.
With OIDC, Streamlit's own signed `_streamlit_user` cookie (HttpOnly, SameSite=Lax, 30 days or st.logout)
already keeps st.user across reloads and tabs; none of this is used then."""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import re
import secrets
from pathlib import Path
from typing import Any

import streamlit as st

from ui.data import data_path
from ui.text import clean
from vetting.auth import (
    KEY_BYTES,
    MAX_NAME,
    Revocations,
    Session,
    Throttle,
    account_name,
    accounts_from,
    load_or_create_key,
    make_token,
    read_token,
    session_hours,
    session_key,
)
from vetting.store import Store

HOW_TO_ENABLE = (
    "Editing is switched off: no analyst accounts are configured. To enable it, run "
    "`python -m vetting hash-password YOUR_NAME`, put the line it prints under `[analysts]` in "
    "`.streamlit/secrets.toml`, and restart the app (or configure `[auth]` for single sign-on and list the "
    "analysts' e-mails under `analyst_emails`)."
)
CLIENT_KEY = "_sign_in_client"  # session_state: this session's random throttle key
SIGNED_IN = "analyst"  # session_state: the signed-in analyst's name
SESSION = "_analyst_session"  # session_state: this sign-in's vetting.auth.Session (revoked on sign-out)
RESTORE_TRIED = "_analyst_cookie_read"  # session_state: the cookie was read (once per browser session)
COOKIE_SCRIPT = "_analyst_cookie_script"  # session_state: the script that writes or deletes the cookie
COOKIE = "vetting_analyst"
KEY_FILE, REVOKED_FILE = "analyst_session.key", "analyst_session.revoked"  # in the data file's history/ folder
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_.-]*")
_PATH_CHARS = re.compile(r"/[A-Za-z0-9/_.~-]*")
log = logging.getLogger("clinic_directory.auth")


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


# ---------------------------------------------------------------------- staying signed in (local accounts)
def _session_settings() -> dict[str, Any]:
    table = _secrets().get("analyst_session", {})
    return dict(table) if hasattr(table, "items") else {}


def _hours() -> float:
    try:
        return session_hours(_session_settings().get("hours"))
    except ValueError as err:
        log.warning("%s; using the default", err)
        return session_hours()


@st.cache_resource(show_spinner=False)
def _key_from_file(path: str) -> bytes | None:
    try:
        return load_or_create_key(Path(path))
    except (OSError, ValueError) as err:
        log.warning("analyst sign-ins will not outlive a restart: no session key from %s (%s)", path, err)
        return None


@st.cache_resource(show_spinner=False)
def _process_key() -> bytes:
    """A key for this server process only: sign-ins kept in browsers end at a restart."""
    return secrets.token_bytes(KEY_BYTES)


@st.cache_resource(show_spinner=False)
def _revocations(path: str) -> Revocations:
    return Revocations(Path(path))


def _state_dir() -> Path:
    return Store(data_path()).history_dir


def _key() -> bytes:
    """The key session tokens are signed with: [analyst_session] secret, else the key file, else this
    process's own key (logged once)."""
    configured = _session_settings().get("secret")
    if configured is not None:
        try:
            return session_key(configured)
        except ValueError as err:
            log.warning("%s: analyst sign-ins will not outlive a restart", err)
            return _process_key()
    return _key_from_file(str(_state_dir() / KEY_FILE)) or _process_key()


def _js(value: str | int) -> str:
    """`value` as a JavaScript literal that cannot end the <script> it stands in."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _cookie_script(token: str, max_age: int) -> str:
    """A script that sets the cookie to `token` for `max_age` seconds (deletes it for "" and 0), once in this
    page however often it is drawn. `token` must be a token's characters (letters, digits, _ - .)."""
    if not _TOKEN_CHARS.fullmatch(token):
        raise ValueError("not a session token")
    base = "/" + (st.get_option("server.baseUrlPath") or "").strip("/")
    path = base if _PATH_CHARS.fullmatch(base) else "/"
    once = secrets.token_urlsafe(12)
    return (
        "<script>(() => {"
        "const done = (window.__vettingAnalystCookie ||= new Set());"
        f"if (done.has({_js(once)})) return; done.add({_js(once)});"
        'const secure = location.protocol === "https:" ? "; Secure" : "";'
        f"document.cookie = {_js(f'{COOKIE}={token}; Path={path}; Max-Age={max(0, int(max_age))}')}"
        ' + "; SameSite=Strict" + secure;'
        "})();</script>"
    )


def _write_cookie() -> None:
    """Draw the script this session's last sign-in or sign-out left (an invisible element, nothing to focus)."""
    script = st.session_state.get(COOKIE_SCRIPT)
    if script:
        st.html(script, unsafe_allow_javascript=True)


def _read(token: str) -> Session | None:
    return read_token(_key(), token, accounts(), _revocations(str(_state_dir() / REVOKED_FILE)), _hours())


def _restore() -> str | None:
    """Sign this browser session in from the cookie it arrived with, when that holds a valid token."""
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # no browser session (a bare script run)
        return None
    if not token:
        return None
    session = _read(token)
    if session is None:
        return None
    st.session_state[SIGNED_IN] = session.name
    st.session_state[SESSION] = session
    return session.name


def _keep_signed_in(name: str) -> None:
    """After a password sign-in: a new token, written to the cookie on the next run."""
    encoded = accounts().get(name)
    if not isinstance(encoded, str):
        return
    session = make_token(_key(), name, encoded, _hours())
    st.session_state[SESSION] = session
    st.session_state[COOKIE_SCRIPT] = _cookie_script(session.token, session.max_age())


def _sign_out() -> None:
    """Forget the analyst in this session, revoke its token and delete the cookie."""
    session = st.session_state.pop(SESSION, None)
    if isinstance(session, Session):
        path = _state_dir() / REVOKED_FILE
        if not _revocations(str(path)).revoke(session.id, session.expires):
            log.warning("a sign-out could not be written to %s: it holds until this server stops", path)
    st.session_state.pop(SIGNED_IN, None)
    st.session_state[COOKIE_SCRIPT] = _cookie_script("", 0)


def analyst() -> str | None:
    """The signed-in analyst's name, or None. With local accounts, the first call in a browser session signs
    it in from its cookie when that holds a valid token; a sign-in whose token has stopped being valid (expired,
    signed out in another tab, password changed, account removed) ends."""
    m = mode()
    if m == "oidc":
        allowed = {e.lower() for e in _secrets().get("analyst_emails", [])}
        email = (st.user.get("email") or "").lower() if st.user.is_logged_in else ""
        return email if email and email in allowed else None
    if m == "local":
        who = st.session_state.get(SIGNED_IN)
        session = st.session_state.get(SESSION)
        if who is not None and isinstance(session, Session) and _read(session.token) is None:
            st.session_state.pop(SIGNED_IN, None)
            st.session_state.pop(SESSION, None)
            who = None
        if who is None and not st.session_state.get(RESTORE_TRIED):
            st.session_state[RESTORE_TRIED] = True
            who = _restore()
        return who
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
                st.session_state.pop(SIGNED_IN, None)
            else:
                _sign_out()
            st.rerun()
        if m == "local":
            with right:
                _write_cookie()
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
                st.session_state[SIGNED_IN] = typed
                _keep_signed_in(typed)
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
    _write_cookie()
    return None
