"""Analyst passwords: salted scrypt hashes (stdlib hashlib), constant-time checks, a throttle on sign-in
attempts, account names written safely into secrets.toml, and the signed, expiring tokens that keep an analyst
signed in across reloads (make_token, read_token, their key and Revocations: see "staying signed in" below).
No plain password is ever stored; secrets.toml holds only `scrypt$...` strings.

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
import contextlib
import hashlib
import hmac
import os
import re
import secrets
import tempfile
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

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


# ---------------------------------------------------------------------- staying signed in (session tokens)
# After a password sign-in the browser keeps a token (a cookie) that signs the analyst back in on a reload or
# in a new tab until it expires. A token is
#     v1.<name, base64url>.<expiry, Unix seconds>.<random id, 16 bytes base64url>.<HMAC-SHA256, base64url>
# (only letters, digits, '_', '-' and '.'), and the HMAC covers the name, the expiry, the id and a SHA-256
# fingerprint of the account's password hash as it is now: changing the password or removing the account makes
# every token of that account worthless. The fingerprint is never in the token itself. A token signed out
# before its expiry has its id revoked (Revocations). Wall-clock time: a token outlives a restart.
SESSION_HOURS = 8.0  # the default for [analyst_session] hours: how long a sign-in lasts in a browser
MAX_SESSION_HOURS = 7 * 24.0
MAX_TOKEN = 1024  # longer cookies are not even parsed (a real token has at most 618 characters)
KEY_BYTES = 32  # a generated key; a configured secret needs at least MIN_SECRET characters
MIN_SECRET = 32
_TOKEN_LABEL = b"vetting analyst session\x00"
_TOKEN = re.compile(r"v1\.([A-Za-z0-9_-]{2,536})\.([1-9][0-9]{0,11})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})")
_TOKEN_ID = re.compile(r"[A-Za-z0-9_-]{22}")
_CLOCK_SLACK = 60  # seconds: a token may expire this much later than the lifetime allows (clock steps)


@dataclass(frozen=True)
class Session:
    """One sign-in kept by a browser: whose, until when (Unix seconds), its random id, and the token itself."""

    name: str
    expires: int
    id: str
    token: str = field(repr=False)  # never in a log line

    def max_age(self, now: float | None = None) -> int:
        """Seconds left (what the cookie's Max-Age says), at least 0."""
        return max(0, self.expires - int(time.time() if now is None else now))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _mac(key: bytes, name_part: str, expires_part: str, token_id: str, encoded: str) -> str:
    fingerprint = hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).digest()
    message = _TOKEN_LABEL + f"v1.{name_part}.{expires_part}.{token_id}".encode("ascii") + b"\x00" + fingerprint
    return _b64(hmac.new(key, message, hashlib.sha256).digest())


def session_hours(value: object = None) -> float:
    """The [analyst_session] hours setting as a number of hours: SESSION_HOURS when not set; ValueError unless
    it is a number above 0 and at most MAX_SESSION_HOURS."""
    if value is None:
        return SESSION_HOURS
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_SESSION_HOURS:
        raise ValueError(f"[analyst_session] hours must be a number above 0 and at most {MAX_SESSION_HOURS:g}")
    return float(value)


def make_token(key: bytes, name: str, encoded: str, hours: float = SESSION_HOURS,
               now: float | None = None) -> Session:
    """A new session token for account `name` whose password hash is `encoded`, valid for `hours`."""
    name_part = _b64(account_name(name).encode("utf-8"))
    expires = int(time.time() if now is None else now) + max(1, int(hours * 3600))
    token_id = _b64(os.urandom(16))
    token = f"v1.{name_part}.{expires}.{token_id}.{_mac(key, name_part, str(expires), token_id, encoded)}"
    return Session(name, expires, token_id, token)


def read_token(key: bytes, token: object, accounts: Mapping[str, str], revoked: Container[str] = (),
               hours: float = SESSION_HOURS, now: float | None = None) -> Session | None:
    """The session `token` stands for, or None when it is not one: malformed or too long, signed with another
    key, tampered with, expired, further off than `hours` allows, revoked, or made for an account that is gone
    or whose password has changed since. Never raises, whatever `token` is."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN:
        return None
    match = _TOKEN.fullmatch(token)
    if match is None:
        return None
    name_part, expires_part, token_id, mac = match.groups()
    try:
        name = base64.urlsafe_b64decode(name_part + "=" * (-len(name_part) % 4)).decode("utf-8")
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None
    encoded = accounts.get(name)
    known = isinstance(encoded, str)
    expected = _mac(key, name_part, expires_part, token_id, encoded if known else _NO_ACCOUNT)
    if not hmac.compare_digest(expected, mac) or not known:
        return None
    expires, now = int(expires_part), time.time() if now is None else now
    if not now < expires <= now + hours * 3600 + _CLOCK_SLACK or token_id in revoked:
        return None
    return Session(name, expires, token_id, token)


def session_key(configured: object) -> bytes:
    """The key for session tokens from a configured secret ([analyst_session] secret): ValueError unless it is
    a string of at least MIN_SECRET characters."""
    if not isinstance(configured, str) or len(configured) < MIN_SECRET:
        raise ValueError(f"[analyst_session] secret must be a string of at least {MIN_SECRET} characters")
    return hashlib.sha256(_TOKEN_LABEL + configured.encode("utf-8", "surrogatepass")).digest()


def load_or_create_key(path: Path) -> bytes:
    """The key for session tokens kept in the file `path`: KEY_BYTES random bytes (secrets.token_bytes) as hex.
    The first call makes it (mode 0600, and its folder if missing); later ones, in any process, read it.
    OSError when it cannot be read or made; ValueError when it is not such a key, or is not private to its
    owner (group or others may read or write it: then it may be known, and it is not used)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(KEY_BYTES)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600 whatever the umask
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(key.hex() + "\n")
                f.flush()
                os.fsync(f.fileno())
            os.link(temp, path)  # whole or not at all; FileExistsError when another process made one first
        except FileExistsError:
            return load_or_create_key(path)
        finally:
            os.unlink(temp)
        return key
    with os.fdopen(fd, encoding="ascii", errors="replace") as f:
        if os.fstat(f.fileno()).st_mode & 0o077:
            raise ValueError(f"{path} is readable or writable by other users: it is not used (make a new one)")
        text = f.read(4 * KEY_BYTES).strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < KEY_BYTES:
        raise ValueError(f"{path} does not hold a key of {KEY_BYTES} bytes or more in hex")
    return key


class Revocations:
    """The ids of tokens signed out before their expiry, each kept until that expiry. With a file (`path`),
    they are appended to it (mode 0600) and read back when a new instance starts, so a restart keeps them; the
    file is rewritten without the expired ones then. Lines that are not `<id> <expiry>` are ignored, and at most
    MAX_FILE bytes are read. Thread-safe; `clock` is the wall clock (Unix seconds), injectable for tests."""

    MAX_FILE = 1_000_000

    def __init__(self, path: Path | None = None, clock: Callable[[], float] = time.time):
        self.path, self.clock = path, clock
        self._ids: dict[str, int] = {}
        self._lock = threading.Lock()
        if path is not None:
            self._load(path)

    def __contains__(self, token_id: object) -> bool:
        with self._lock:
            self._expire()
            return token_id in self._ids

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._ids)

    def revoke(self, token_id: str, expires: int) -> bool:
        """Revoke a token id until `expires`; False when it could not be written to the file (it is revoked in
        this process all the same)."""
        if not _TOKEN_ID.fullmatch(token_id):
            raise ValueError("not a token id")
        with self._lock:
            self._ids[token_id] = max(expires, self._ids.get(token_id, 0))
            self._expire()
            if self.path is None:
                return True
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0),
                             0o600)
                with os.fdopen(fd, "a", encoding="ascii") as f:
                    f.write(f"{token_id} {int(expires)}\n")
            except OSError:
                return False
            return True

    def _expire(self) -> None:
        now = self.clock()
        for token_id in [i for i, expires in self._ids.items() if expires <= now]:
            del self._ids[token_id]

    def _load(self, path: Path) -> None:
        try:
            with open(path, encoding="ascii", errors="replace") as f:
                text = f.read(self.MAX_FILE)
        except OSError:  # none yet, or unreadable: nothing revoked that this process knows of
            return
        for line in text.splitlines():
            parts = line.split(" ")
            if len(parts) == 2 and _TOKEN_ID.fullmatch(parts[0]) and parts[1].isascii() and parts[1].isdigit():
                self._ids[parts[0]] = max(int(parts[1]), self._ids.get(parts[0], 0))
        self._expire()
        kept = "".join(f"{token_id} {expires}\n" for token_id, expires in self._ids.items())
        if kept == text:
            return
        temp = None
        try:
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(kept)
            os.replace(temp, path)
        except OSError:  # left as it is: expired lines are skipped when read
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
