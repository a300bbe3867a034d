"""Sign-in throttle (per client, global limit, expiry, bounded; a fake clock, no sleeping) and the
`hash-password` line, read back with tomllib as secrets.toml is."""

from __future__ import annotations

import io
import tomllib

import pytest

import vetting.auth as auth
from vetting.auth import Throttle, account_name, accounts_from, hash_password, toml_key, verify_password
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
