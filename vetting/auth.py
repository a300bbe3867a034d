"""Analyst passwords: salted scrypt hashes (stdlib hashlib), constant-time checks, a growing delay after
failed attempts. No plain password is ever stored; secrets.toml holds only `scrypt$...` strings."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import time
from collections.abc import Callable

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 10


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


class Throttle:
    """After each failed sign-in for a name, wait longer before answering: 1 s, 2 s, 4 s ... up to `cap`."""

    def __init__(self, base: float = 1.0, cap: float = 30.0, sleep: Callable[[float], None] = time.sleep):
        self.base, self.cap, self.sleep = base, cap, sleep
        self.failures: dict[str, int] = {}
        self._lock = threading.Lock()

    def delay(self, name: str) -> float:
        n = self.failures.get(name.lower(), 0)
        return 0.0 if n == 0 else min(self.cap, self.base * 2 ** (n - 1))

    def check(self, name: str, password: str, accounts: dict[str, str]) -> bool:
        """Verify against `accounts` (name -> hash), sleeping first if this name failed before."""
        wait = self.delay(name)
        if wait:
            self.sleep(wait)
        encoded = accounts.get(name)
        # Hash even for unknown names, so timing does not reveal which accounts exist.
        ok = verify_password(password, encoded or "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA")
        ok = ok and encoded is not None
        with self._lock:
            if ok:
                self.failures.pop(name.lower(), None)
            else:
                self.failures[name.lower()] = self.failures.get(name.lower(), 0) + 1
        return ok
