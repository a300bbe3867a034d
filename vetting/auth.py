"""Analyst passwords: salted scrypt hashes (stdlib hashlib), constant-time checks, a throttle on sign-in
attempts, and account names written safely into secrets.toml. No plain password is ever stored;
secrets.toml holds only `scrypt$...` strings.

The throttle slows the client that fails, not the account it tries. A client is known by one or more keys
(its browser session, and its address when that is known); each checked attempt counts as a failure of every
key until it succeeds, and after n failures a key must wait base * 2**(n-1) seconds (at most `cap`) from its
last failure before its next attempt is checked: attempts made sooner are refused and checked against
nothing, so a fresh session from elsewhere is never held up by someone else's failures. Across all clients at
most `per_minute` attempts a minute are checked; beyond that, attempts are refused unchecked too (this is what
holds back an attacker who keeps opening fresh sessions). A key's record is forgotten `forget_after` seconds
after its last failure, and at most `max_clients` records are kept (the oldest go first). Time comes from a
monotonic clock, injectable for tests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 10
MAX_NAME = 100
# Checked for names that have no account, so the time taken does not tell which accounts exist.
_NO_ACCOUNT = (f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${base64.b64encode(bytes(16)).decode()}$"
               f"{base64.b64encode(bytes(32)).decode()}")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def hash_password(password: str, salt: bytes | None = None) -> str:
    """'scrypt$N$r$p$salt$hash' (base64) for a password; a fresh random salt unless given."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    """Whether `password` matches `encoded` (constant-time comparison; malformed hashes never match)."""
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


# ---------------------------------------------------------------------- account names
def account_name(name: str) -> str:
    """`name` as an account name (Unicode NFC form, as a browser sends it), or ValueError saying in one
    sentence why it cannot be one: empty, spaces at either end (the sign-in form drops them), control or
    invisible characters (a newline, a tab, a zero-width space), or longer than MAX_NAME characters."""
    name = unicodedata.normalize("NFC", name)
    if not name.strip():
        raise ValueError("a name needs at least one visible character")
    if name != name.strip():
        raise ValueError("a name cannot start or end with a space")
    bad = next((c for c in name if unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp")),
               None)
    if bad is not None:
        raise ValueError(f"a name cannot hold control or invisible characters (it holds U+{ord(bad):04X})")
    if len(name) > MAX_NAME:
        raise ValueError(f"a name can have at most {MAX_NAME} characters")
    return name


def toml_key(name: str) -> str:
    """`name` written as one TOML key: bare when TOML allows it (letters, digits, _ and -), else a basic
    string with escapes, so a dot, a space or a quote stays part of the name."""
    if _BARE_KEY.fullmatch(name):
        return name
    out = []
    for c in name:
        if c in '"\\':
            out.append("\\" + c)
        elif unicodedata.category(c) == "Cc":
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def analyst_line(name: str, encoded: str) -> str:
    """The line for the [analysts] table of secrets.toml: `name = "scrypt$..."` (ValueError for a name
    `account_name` refuses)."""
    return f'{toml_key(account_name(name))} = "{encoded}"'


def accounts_from(table: Mapping) -> dict[str, str]:
    """Account name -> hash from the [analysts] table as read from secrets.toml. A name written as bare
    dotted keys (`jane.doe = ...`, which TOML reads as nested tables) is joined back with dots; names are
    put in NFC form, as `account_name` does."""
    found: dict[str, str] = {}

    def walk(prefix: str, node: Mapping) -> None:
        for key, value in node.items():
            name = f"{prefix}{key}"
            if isinstance(value, Mapping):
                walk(f"{name}.", value)
            elif isinstance(value, str):
                found.setdefault(unicodedata.normalize("NFC", name), value)

    flat = {k: v for k, v in table.items() if not isinstance(v, Mapping)}  # a quoted "jane.doe" wins
    walk("", flat)
    walk("", {k: v for k, v in table.items() if isinstance(v, Mapping)})
    return found


# ---------------------------------------------------------------------- throttle
@dataclass(frozen=True)
class Attempt:
    """What became of one sign-in attempt."""

    ok: bool  # the name and password match an account
    refused: str = ""  # "" (it was checked), "client" (this client must wait first) or "busy" (the global limit)
    wait: float = 0.0  # when refused: seconds until an attempt can be checked again


class Throttle:
    """Sign-in attempts slowed per client, with a global limit per minute (see the module docstring)."""

    WINDOW = 60.0  # seconds: the global limit counts the checked attempts of the last minute

    def __init__(self, base: float = 1.0, cap: float = 30.0, per_minute: int = 30, forget_after: float = 900.0,
                 max_clients: int = 10_000, clock: Callable[[], float] = time.monotonic):
        if not (0 < base <= cap <= forget_after) or per_minute < 1 or max_clients < 1:
            raise ValueError("need 0 < base <= cap <= forget_after, per_minute >= 1 and max_clients >= 1")
        self.base, self.cap, self.per_minute, self.forget_after = base, cap, per_minute, forget_after
        self.max_clients, self.clock = max_clients, clock
        self._failures: dict[str, tuple[int, float]] = {}  # key -> (failures, time of the last); oldest first
        self._recent: deque[float] = deque()  # times of the attempts checked in the last WINDOW seconds
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many client keys have a failure on record (expired ones are dropped first)."""
        with self._lock:
            self._expire(self.clock())
            return len(self._failures)

    def wait(self, clients: Iterable[str]) -> float:
        """Seconds before an attempt from a client known by these keys would be checked (0: now)."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            return max(self._client_wait(tuple(clients), now), self._busy_wait(now))

    def check(self, clients: Iterable[str], name: str, password: str, accounts: Mapping[str, str]) -> Attempt:
        """Check `name` and `password` against `accounts` (name -> hash) for a client known by `clients`,
        unless that client must wait or the global limit is reached (then refused, nothing checked)."""
        keys = tuple(dict.fromkeys(clients))
        with self._lock:
            now = self.clock()
            self._expire(now)
            wait = self._client_wait(keys, now)
            if wait > 0:
                return Attempt(False, "client", wait)
            wait = self._busy_wait(now)
            if wait > 0:
                return Attempt(False, "busy", wait)
            self._recent.append(now)
            for key in keys:  # a failure until it succeeds: the same client's simultaneous attempts wait
                self._fail(key, now)
        encoded = accounts.get(name)
        ok = verify_password(password, encoded if isinstance(encoded, str) else _NO_ACCOUNT)
        ok = ok and isinstance(encoded, str)
        if ok:
            with self._lock:
                for key in keys:
                    self._failures.pop(key, None)
        return Attempt(ok)

    # the lock is held in each of these
    def _delay(self, failures: int) -> float:
        return min(self.cap, self.base * 2.0 ** min(failures - 1, 64))

    def _client_wait(self, keys: tuple[str, ...], now: float) -> float:
        records = [self._failures[key] for key in keys if key in self._failures]
        return max([0.0, *(last + self._delay(n) - now for n, last in records)])

    def _busy_wait(self, now: float) -> float:
        if len(self._recent) < self.per_minute:
            return 0.0
        return self._recent[0] + self.WINDOW - now  # > 0: older attempts were expired

    def _fail(self, key: str, now: float) -> None:
        failures, _ = self._failures.pop(key, (0, now))
        self._failures[key] = (failures + 1, now)  # re-inserted last: the dict stays oldest first
        while len(self._failures) > self.max_clients:
            del self._failures[next(iter(self._failures))]

    def _expire(self, now: float) -> None:
        while self._failures:
            oldest = next(iter(self._failures))
            if now - self._failures[oldest][1] < self.forget_after:
                break
            del self._failures[oldest]
        while self._recent and now - self._recent[0] >= self.WINDOW:
            self._recent.popleft()
