"""Sign-in throttle (per client, global limit, expiry, bounded; a fake clock, no sleeping), the
`hash-password` line, read back with tomllib as secrets.toml is, and the tokens that keep an analyst signed in
across reloads (tampered, expired, revoked, password changed, account removed, malformed or long: never a
sign-in, never an exception), their key file and their revocations."""

from __future__ import annotations

import base64
import io
import stat
import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as hs

import vetting.auth as auth
from vetting.auth import (
    MAX_TOKEN,
    SESSION_HOURS,
    Revocations,
    Throttle,
    account_name,
    accounts_from,
    hash_password,
    load_or_create_key,
    make_token,
    read_token,
    session_hours,
    session_key,
    toml_key,
    verify_password,
)
from vetting.cli import main

PASSWORD = "correct horse battery"
ACCOUNTS = {"alice": hash_password(PASSWORD)}
A = ["session:a"]
B = ["session:b"]


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verified(monkeypatch) -> list[str]:
    """Passwords actually checked (scrypt replaced by a fast stand-in that knows PASSWORD)."""
    seen: list[str] = []

    def fake(password: str, encoded: str) -> bool:
        seen.append(password)
        return password == PASSWORD and encoded == ACCOUNTS["alice"]

    monkeypatch.setattr(auth, "verify_password", fake)
    return seen


def wrong(throttle: Throttle, client=A) -> auth.Attempt:
    return throttle.check(client, "alice", "a wrong password", ACCOUNTS)


# ------------------------------------------------------------------ per client
def test_each_failure_makes_that_client_wait_longer_up_to_the_cap(clock):
    throttle = Throttle(base=1.0, cap=8.0, clock=clock)
    waits = []
    for _ in range(6):
        assert wrong(throttle) == auth.Attempt(False)  # checked, and wrong
        waits.append(throttle.wait(A))
        clock.advance(waits[-1])
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_an_attempt_before_the_wait_is_over_is_refused_unchecked(clock, verified):
    throttle = Throttle(base=1.0, cap=8.0, clock=clock)
    wrong(throttle)
    clock.advance(0.25)
    verified.clear()
    attempt = throttle.check(A, "alice", PASSWORD, ACCOUNTS)  # even the right password waits
    assert attempt == auth.Attempt(False, "client", 0.75) and verified == []
    clock.advance(0.75)
    assert throttle.check(A, "alice", PASSWORD, ACCOUNTS).ok
    assert throttle.wait(A) == 0.0  # success forgets the failures


def test_a_fresh_client_is_not_held_up_by_another_clients_failures(clock):
    throttle = Throttle(base=1.0, cap=30.0, clock=clock)
    for _ in range(6):
        wrong(throttle)
        clock.advance(throttle.wait(A))
    wrong(throttle)
    assert throttle.wait(A) == 30.0
    assert throttle.wait(B) == 0.0
    assert throttle.check(B, "alice", PASSWORD, ACCOUNTS) == auth.Attempt(True)
    assert throttle.check(A, "alice", PASSWORD, ACCOUNTS).refused == "client"  # the attacker still waits


def test_a_client_waits_for_its_slowest_key_so_new_sessions_from_one_address_do_not_help(clock):
    throttle = Throttle(base=1.0, cap=30.0, clock=clock)
    wrong(throttle, ["session:a", "address:203.0.113.7"])
    assert wrong(throttle, ["session:c", "address:203.0.113.7"]).refused == "client"
    assert throttle.check(["session:d", "address:198.51.100.2"], "alice", PASSWORD, ACCOUNTS).ok


def test_simultaneous_attempts_of_one_client_are_not_all_checked(clock):
    """While one attempt is being checked (scrypt runs outside the lock), the same client's next one waits."""
    throttle = Throttle(base=1.0, clock=clock)
    inner: list[auth.Attempt] = []

    class During(dict):
        def get(self, key, default=None):
            inner.append(throttle.check(A, "alice", PASSWORD, ACCOUNTS))
            return super().get(key, default)

    assert throttle.check(A, "alice", PASSWORD, During(ACCOUNTS)).ok
    assert inner[0].refused == "client"


def test_unknown_names_are_hashed_too_and_never_pass(verified, clock):
    throttle = Throttle(clock=clock)
    assert not throttle.check(A, "mallory", PASSWORD, ACCOUNTS).ok
    assert not throttle.check(B, "", PASSWORD, ACCOUNTS).ok
    assert verified == [PASSWORD, PASSWORD]


def test_unknown_names_really_cost_a_scrypt(monkeypatch, clock):
    calls: list[str] = []
    real = auth.hashlib.scrypt
    monkeypatch.setattr(auth.hashlib, "scrypt", lambda *a, **k: calls.append("scrypt") or real(*a, **k))
    assert not Throttle(clock=clock).check(A, "mallory", PASSWORD, ACCOUNTS).ok
    assert calls == ["scrypt"]


# ------------------------------------------------------------------ global limit
def test_the_global_limit_refuses_attempts_unchecked_for_every_client(clock, verified):
    throttle = Throttle(per_minute=3, clock=clock)
    for i in range(3):
        assert wrong(throttle, [f"session:{i}"]).refused == ""
        clock.advance(10)
    verified.clear()
    attempt = throttle.check(["session:fresh"], "alice", PASSWORD, ACCOUNTS)
    assert attempt == auth.Attempt(False, "busy", 30.0) and verified == []  # the first of the three leaves at 60 s
    clock.advance(30)
    assert throttle.check(["session:fresh"], "alice", PASSWORD, ACCOUNTS).ok


def test_refused_attempts_do_not_use_up_the_global_limit(clock):
    throttle = Throttle(per_minute=2, clock=clock)
    wrong(throttle)
    for _ in range(50):
        assert wrong(throttle).refused == "client"
    assert throttle.check(B, "alice", PASSWORD, ACCOUNTS).ok


# ------------------------------------------------------------------ memory
def test_failure_records_expire(clock):
    throttle = Throttle(base=1.0, cap=30.0, forget_after=600.0, clock=clock)
    for _ in range(5):
        wrong(throttle)
        clock.advance(throttle.wait(A))
    assert len(throttle) == 1
    clock.advance(600.0)
    assert len(throttle) == 0
    wrong(throttle)
    assert throttle.wait(A) == 1.0  # counted from the start again


def test_records_are_bounded_oldest_first(clock, verified):
    throttle = Throttle(per_minute=10_000, max_clients=5, clock=clock)
    for i in range(200):
        wrong(throttle, [f"session:{i}"])
        clock.advance(0.01)
    assert len(throttle) == 5
    assert throttle.wait(["session:199"]) > 0 and throttle.wait(["session:0"]) == 0.0


def test_many_failures_of_one_client_stay_capped(clock, verified):
    throttle = Throttle(base=1.0, cap=30.0, forget_after=10**9, clock=clock)
    for _ in range(1500):  # 2 ** 1499 would overflow a float
        wrong(throttle)
        clock.advance(throttle.wait(A))
    assert throttle.wait(A) == 0.0 and wrong(throttle).refused == "" and throttle.wait(A) == 30.0


def test_nonsense_settings_are_refused():
    with pytest.raises(ValueError):
        Throttle(base=10.0, cap=5.0)
    with pytest.raises(ValueError):
        Throttle(per_minute=0)


# ------------------------------------------------------------------ hash-password and secrets.toml
def hash_line(monkeypatch, capsys, name: str) -> tuple[int, str, str]:
    stdin = io.StringIO(PASSWORD + "\n")
    monkeypatch.setattr("sys.stdin", stdin)
    code = main(["hash-password", name])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", ["alice", "jane.doe", "Jane Doe", 'Jane "JD" Doe', "back\\slash", "a = b",
                                  "#not-a-comment", "[auth]", "Zoë Ünal", "山田 太郎", "O'Brien", "x" * 100])
def test_hash_password_line_reads_back_as_exactly_that_name(monkeypatch, capsys, name):
    code, out, err = hash_line(monkeypatch, capsys, name)
    assert code == 0 and err == "" and out.count("\n") == 1
    secrets = tomllib.loads("[analysts]\n" + out)
    assert list(secrets) == ["analysts"] and list(secrets["analysts"]) == [name]
    assert verify_password(PASSWORD, secrets["analysts"][name])
    assert accounts_from(secrets["analysts"]) == secrets["analysts"]  # as the app reads st.secrets


def test_a_plain_name_stays_a_bare_key(monkeypatch, capsys):
    assert hash_line(monkeypatch, capsys, "jane_doe-2")[1].startswith('jane_doe-2 = "scrypt$')


def test_a_decomposed_name_is_written_as_a_browser_sends_it(monkeypatch, capsys):
    out = hash_line(monkeypatch, capsys, "Zoe\u0301")[1]  # e + combining acute, as some terminals pass it
    assert list(tomllib.loads("[analysts]\n" + out)["analysts"]) == ["Zo\u00e9"]


@pytest.mark.parametrize("name", ["jane\ndoe", 'jane = "x"\n[auth]\nclient_id = "evil"', "tab\there", "cr\rhere",
                                  "esc\x1b[31m", "zero\u200bwidth", "bidi\u202eevil", "line\u2028sep", " padded",
                                  "padded ", "", "   ", "x" * 101])
def test_hash_password_refuses_names_that_are_not_plain(monkeypatch, capsys, name):
    stdin = io.StringIO(PASSWORD + "\n")
    monkeypatch.setattr("sys.stdin", stdin)
    code = main(["hash-password", name])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("That name cannot be an analyst's: ") and err.endswith(".\n")
    assert stdin.tell() == 0  # refused before the password was read


def test_legacy_bare_dotted_names_are_read_back_with_their_dots():
    """Lines printed before names were quoted (`jane.doe = ...` is a nested table to TOML) still sign in."""
    h = ACCOUNTS["alice"]
    table = tomllib.loads(f'[analysts]\njane.doe = "{h}"\n"bob.smith" = "{h}"\nalice = "{h}"\n')["analysts"]
    assert accounts_from(table) == {"jane.doe": h, "bob.smith": h, "alice": h}
    assert accounts_from({"a.b": "quoted", "a": {"b": "nested"}}) == {"a.b": "quoted"}
    assert accounts_from({"Zoe\u0301": h, "n": 3}) == {"Zo\u00e9": h}  # NFC, and only string hashes


def test_toml_key_escapes_what_a_basic_string_needs():
    assert toml_key("plain") == "plain"
    assert toml_key('a"b\\c') == '"a\\"b\\\\c"'
    odd = "a\x7fb"
    assert toml_key(odd) == '"a\\u007Fb"'
    assert tomllib.loads(toml_key(odd) + " = 1") == {odd: 1}
    with pytest.raises(ValueError, match="control or invisible"):
        account_name("a\x7fb")


# ------------------------------------------------------------------ the client's address (ui/auth.py)
class Headers:
    def __init__(self, forwarded: list[str]) -> None:
        self.forwarded = forwarded

    def get_all(self, key: str) -> list[str]:
        return self.forwarded if key.lower() == "x-forwarded-for" else []


@pytest.mark.parametrize("peer, forwarded, key", [
    ("93.184.216.34", [], "93.184.216.34"),
    ("93.184.216.34", ["198.51.100.1"], "93.184.216.34"),  # a public peer cannot choose its key with a header
    ("100.64.0.9", ["198.51.100.1"], "100.64.0.9>198.51.100.1"),  # shared address space: maybe a proxy
    (None, [], None),  # on this machine, no proxy: the session key alone
    (None, ["198.51.100.1, 203.0.113.9"], "local>203.0.113.9"),  # a local proxy: the address it added (last)
    ("10.0.0.2", ["198.51.100.1"], "10.0.0.2>198.51.100.1"),  # a proxy on a private network, scoped to it
    ("10.0.0.2", [], "10.0.0.2"),
    (None, ["not-an-address"], None),
    ("10.0.0.2", ["x" * 10_000], "10.0.0.2"),  # only a real address becomes part of a key
])
def test_the_address_key(monkeypatch, peer, forwarded, key):
    import types

    import ui.auth

    context = types.SimpleNamespace(ip_address=peer, headers=Headers(forwarded))
    monkeypatch.setattr(ui.auth, "st", types.SimpleNamespace(context=context))
    assert ui.auth._address() == key


# ------------------------------------------------------------------ staying signed in: session tokens
KEY = bytes(range(32))
NOW = 1_800_000_000.0  # a fixed wall-clock time (Unix seconds)
HOUR = 3600


def token_for(name: str = "alice", hours: float = SESSION_HOURS, key: bytes = KEY, accounts=None):
    return make_token(key, name, (accounts or ACCOUNTS)[name], hours, now=NOW)


def read(token: object, accounts=None, revoked=(), hours: float = SESSION_HOURS, now: float = NOW + 60):
    return read_token(KEY, token, accounts or ACCOUNTS, revoked, hours, now=now)


def test_a_token_signs_its_account_in_until_it_expires():
    session = token_for()
    assert session.name == "alice" and session.expires == NOW + SESSION_HOURS * HOUR
    assert read(session.token) == session
    assert read(session.token, now=session.expires - 1) == session
    assert read(session.token, now=session.expires) is None  # expired: the sign-in form again
    assert read(session.token, now=session.expires + 10 * HOUR) is None
    assert session.max_age(now=NOW) == SESSION_HOURS * HOUR and session.max_age(now=session.expires + 5) == 0


def test_each_sign_in_gets_its_own_token():
    assert token_for().token != token_for().token and token_for().id != token_for().id


def test_a_token_holds_only_cookie_safe_characters_and_no_secret():
    session = token_for()
    assert set(session.token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.")
    assert "alice" not in session.token and ACCOUNTS["alice"].split("$")[-1] not in session.token


def tampered(token: str, part: int, value: str) -> str:
    parts = token.split(".")
    parts[part] = value
    return ".".join(parts)


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("what, change", [
    ("another name", lambda t: tampered(t, 1, b64("bob"))),
    ("a later expiry", lambda t: tampered(t, 2, str(int(t.split(".")[2]) + HOUR))),
    ("an earlier expiry", lambda t: tampered(t, 2, str(int(t.split(".")[2]) - HOUR))),
    ("another id", lambda t: tampered(t, 3, "A" * 22)),
    ("another signature", lambda t: tampered(t, 4, "A" * 43)),
    ("one character of the signature", lambda t: t[:-1] + ("B" if t[-1] == "A" else "A")),
    ("another version", lambda t: tampered(t, 0, "v2")),
])
def test_a_tampered_token_signs_no_one_in(what, change):
    accounts = {**ACCOUNTS, "bob": ACCOUNTS["alice"]}  # bob even has the same hash
    token = token_for().token
    assert read(token, accounts) is not None
    assert read(change(token), accounts) is None, what


def test_a_token_made_with_another_key_signs_no_one_in():
    other = token_for(key=b"another key, 32 bytes long......")
    assert read(other.token) is None


def test_changing_the_password_or_removing_the_account_ends_its_tokens():
    session = token_for()
    assert read(session.token, {"alice": hash_password("a new password, long enough")}) is None
    assert read(session.token, {"bob": ACCOUNTS["alice"]}) is None
    assert read(session.token, {"alice": 42}) is None  # not a hash at all
    assert read(session.token, {"alice": ACCOUNTS["alice"], "bob": ACCOUNTS["alice"]}) == session  # others: fine


def test_a_revoked_token_signs_no_one_in():
    session = token_for()
    assert read(session.token, revoked={session.id}) is None
    assert read(token_for().token, revoked={session.id}) is not None  # the next sign-in is not revoked


def test_a_shorter_setting_cuts_tokens_made_for_longer():
    session = token_for(hours=24)
    assert read(session.token, hours=24) == session
    assert read(session.token, hours=8) is None  # 24 h left is more than 8 h allow
    assert read(session.token, hours=8, now=session.expires - 7 * HOUR) == session


def test_the_longest_name_fits_and_reads_back():
    name = "\U0001F600" * 100  # 100 characters of 4 bytes each
    accounts = {name: ACCOUNTS["alice"]}
    session = token_for(name, accounts=accounts)
    assert len(session.token) <= MAX_TOKEN
    assert read(session.token, accounts) == session


def test_a_name_that_cannot_be_an_account_gets_no_token():
    with pytest.raises(ValueError):
        make_token(KEY, "x" * 101, ACCOUNTS["alice"])


@pytest.mark.parametrize("token", [
    None, 42, b"v1.YWxpY2U.1800028800.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", [], "",
    "v1", "v1....", "....", "v1.YWxpY2U", "not a token", "</script><script>alert(1)</script>",
    "v1.YWxpY2U.01800028800.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # a leading 0
    "v1.YWxpY2U.1e9.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "v1.YWxpY2U=.1800028800.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # padding
    "v1._w.1800028800.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # b"\xff": not UTF-8
    "v1.Y.1800028800.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # not base64
    " v1.YWxpY2U.1800028800.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "v1.YWxpY2U.1800028800.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
    "v1.YWxpY2U.１８００.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # full-width digits
    "v1." + "A" * (MAX_TOKEN + 1),
    "v1." + "A" * 10_000_000,  # ten million characters
])
def test_malformed_or_long_input_is_ignored_without_an_exception(token):
    assert read(token) is None


def test_a_valid_token_made_too_long_is_not_read():
    session = token_for()
    assert read(session.token + "A" * (MAX_TOKEN - len(session.token) + 1)) is None


@given(hs.text(max_size=300) | hs.binary(max_size=300).map(lambda b: base64.urlsafe_b64encode(b).decode()))
def test_no_text_raises_or_signs_anyone_in(text):
    assert read(text) is None
    assert read("v1." + text) is None and read(token_for().token[:-43] + text[:43]) is None


def test_session_hours_setting():
    assert session_hours() == SESSION_HOURS == 8
    assert session_hours(0.5) == 0.5 and session_hours(24) == 24
    for wrong_value in (0, -1, 10_000, "8", True, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="hours"):
            session_hours(wrong_value)


def test_a_configured_secret_must_be_long_and_each_gives_its_own_key():
    with pytest.raises(ValueError, match="at least 32"):
        session_key("too short")
    with pytest.raises(ValueError):
        session_key(12345678901234567890123456789012345)
    assert session_key("x" * 32) != session_key("y" * 32) and len(session_key("x" * 32)) == 32


# ------------------------------------------------------------------ the key file
def test_the_key_file_is_made_private_once_and_read_back(tmp_path):
    path = tmp_path / "state" / "analyst_session.key"
    key = load_or_create_key(path)
    assert len(key) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == key  # a restart reads the same key: tokens outlive it
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind
    path.unlink()
    assert load_or_create_key(path) != key  # rotation: a new key, every earlier token worthless


def test_a_key_file_others_can_read_or_that_holds_no_key_is_refused(tmp_path):
    path = tmp_path / "analyst_session.key"
    load_or_create_key(path)
    path.chmod(0o644)
    with pytest.raises(ValueError, match="other users"):
        load_or_create_key(path)
    path.chmod(0o600)
    path.write_text("not hex\n")
    with pytest.raises(ValueError, match="key"):
        load_or_create_key(path)
    path.write_text("abcd\n")  # too short
    with pytest.raises(ValueError, match="key"):
        load_or_create_key(path)


def test_a_key_file_made_by_another_process_first_is_used(tmp_path, monkeypatch):
    path = tmp_path / "analyst_session.key"
    theirs = bytes(range(100, 132))
    real_link = auth.os.link

    def racing_link(src, dst):  # the other process's file lands between our check and our link
        path.write_text(theirs.hex() + "\n")
        path.chmod(0o600)
        real_link(src, dst)

    monkeypatch.setattr(auth.os, "link", racing_link)
    assert load_or_create_key(path) == theirs
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


# ------------------------------------------------------------------ revocations
class WallClock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def test_revocations_last_until_the_token_expires_and_survive_a_restart(tmp_path):
    clock, path = WallClock(), tmp_path / "analyst_session.revoked"
    a, b = token_for(), token_for(hours=1)
    revoked = Revocations(path, clock=clock)
    assert revoked.revoke(a.id, a.expires) and revoked.revoke(b.id, b.expires)
    assert a.id in revoked and b.id in revoked and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read(a.token, revoked=revoked) is None

    clock.now = NOW + 2 * HOUR  # b has expired by itself
    restarted = Revocations(path, clock=clock)
    assert a.id in restarted and b.id not in restarted and len(restarted) == 1
    assert read(a.token, revoked=restarted, now=clock.now) is None
    assert path.read_text() == f"{a.id} {a.expires}\n"  # expired lines dropped when read back


def test_a_revocations_file_with_junk_keeps_its_good_lines(tmp_path):
    path = tmp_path / "analyst_session.revoked"
    good = token_for()
    path.write_text(f"garbage\n{good.id} {good.expires}\n{good.id} soon\n{'x' * 22} 1 2\n\x00\xff\n",
                    encoding="latin-1")
    assert len(Revocations(path, clock=WallClock())) == 1


def test_revocations_without_a_file_or_with_an_unwritable_one_still_hold(tmp_path):
    session = token_for()
    in_memory = Revocations(clock=WallClock())
    assert in_memory.revoke(session.id, session.expires) and session.id in in_memory
    unwritable = Revocations(tmp_path / "no such folder" / "revoked", clock=WallClock())
    assert unwritable.revoke(session.id, session.expires) is False  # not written: the caller logs it
    assert session.id in unwritable
    with pytest.raises(ValueError):
        in_memory.revoke("not an id\n", session.expires)


# ------------------------------------------------------------------ the script that writes the cookie (ui/auth.py)
@pytest.mark.parametrize("base, path", [("", "/"), ("clinics", "/clinics"), ("/a/b/", "/a/b"),
                                        ('x"; Domain=evil', "/")])
def test_the_cookie_script_sets_a_strict_cookie_on_the_apps_path(monkeypatch, base, path):
    import ui.auth

    monkeypatch.setattr(ui.auth.st, "get_option", lambda name: base if name == "server.baseUrlPath" else None)
    session = token_for()
    script = ui.auth._cookie_script(session.token, 3600)
    assert script.startswith("<script>") and script.endswith("</script>") and script.count("<") == 2
    assert f'"vetting_analyst={session.token}; Path={path}; Max-Age=3600"' in script
    assert '"; SameSite=Strict"' in script and 'location.protocol === "https:" ? "; Secure"' in script
    assert "Domain" not in script
    assert 'Max-Age=0"' in ui.auth._cookie_script("", 0)  # signing out deletes it


@pytest.mark.parametrize("token", ["</script><script>alert(1)</script>", 'a"b', "a;b", "a b", "\u2028"])
def test_the_cookie_script_takes_only_token_characters(token):
    import ui.auth

    with pytest.raises(ValueError):
        ui.auth._cookie_script(token, 60)
