"""The one small online client every online service shares (Nominatim, the NPI registry, ...).

Like geopy's base geocoder, the client owns the network call, its timeout, the rate limit, the on-disk cache
(each answer with the date it was fetched) and the errors; a service only builds its query and parses the
answer. Every failure is an :class:`OnlineError` whose message is one plain sentence.

- :class:`DiskCache`: a JSON file of answers, safe for several processes (file lock, atomic replace).
- :class:`Throttle`: at least `min_delay_seconds` between the requests of one client.
- :class:`OnlineClient`: `get_json` (one throttled request) and `answer` (cache first, then the service).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode, urlsplit

from filelock import FileLock

USER_AGENT = "ketamine-clinic-vetting/1.0 (data team)"
MAX_BODY_BYTES = 5_000_000  # no answer this project asks for comes near it
CACHE_FORMAT = 2  # {"format": 2, "entries": {key: {"value": ..., "fetched": ISO or null}}}; before: {key: value}

T = TypeVar("T")


class OnlineError(Exception):
    """Asking an online service failed; the message is one plain sentence for the user."""


def utc_now() -> dt.datetime:
    """Now, in UTC, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def parse_fetched(text: object) -> dt.datetime | None:
    """A cache entry's fetch time (ISO date or datetime; naive means UTC), or None when unknown."""
    if not isinstance(text, str):
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


@dataclass(frozen=True)
class Cached:
    """One cache entry: the answer as stored, and when it was fetched (None: unknown, an older cache file)."""

    value: Any
    fetched: dt.datetime | None


class DiskCache:
    """A small JSON cache of online answers, safe for several processes (file lock, atomic replace).

    Each entry keeps its fetch date; a file written before dates were kept ({key: value}) still reads, its
    entries fetched at an unknown time."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.lock = FileLock(str(self.path) + ".lock")
        self._memo: tuple[tuple[int, int, int], dict[str, dict[str, Any]]] | None = None

    def _read(self) -> dict[str, dict[str, Any]]:
        """Every entry (do not modify it). The file is parsed again only when it changed (another process
        replaces it whole, so its inode, size or mtime changes), not once per lookup."""
        try:
            st = self.path.stat()
        except OSError:
            return {}
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        memo = self._memo
        if memo is not None and memo[0] == stamp:
            return memo[1]
        entries = self._parse()
        self._memo = (stamp, entries)
        return entries

    def _parse(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            return {}
        if not isinstance(data, dict):
            return {}
        if data.get("format") == CACHE_FORMAT and isinstance(data.get("entries"), dict):
            return {k: v for k, v in data["entries"].items() if isinstance(v, dict) and "value" in v}
        return {k: {"value": v, "fetched": None} for k, v in data.items()}  # the older {key: value} file

    def entry(self, key: str) -> Cached | None:
        """The entry stored under `key`, or None."""
        found = self._read().get(key)
        return None if found is None else Cached(found["value"], parse_fetched(found.get("fetched")))

    def get(self, key: str) -> tuple[bool, Any]:
        """(whether `key` is cached, its value)."""
        found = self.entry(key)
        return found is not None, None if found is None else found.value

    def put(self, key: str, value: Any, fetched: dt.datetime | None = None) -> None:
        """Store `value` under `key`, fetched at `fetched` (default: now)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.lock:
            entries = dict(self._read())
            entries[key] = {"value": value, "fetched": (fetched or utc_now()).isoformat()}
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".cache-")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump({"format": CACHE_FORMAT, "entries": entries}, fh)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise


class Throttle:
    """At least `min_delay_seconds` between calls to `wait` (thread-safe).

    It remembers its last call, so it must live as long as the traffic it limits: one per client, one client
    per process (or per command-line run), never one per request."""

    def __init__(self, min_delay_seconds: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.min_delay_seconds = float(min_delay_seconds)
        self._clock, self._sleep = clock, sleep
        self._last: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Return once the last call is at least `min_delay_seconds` ago, and count this one as the last."""
        with self._lock:
            if self._last is not None:
                delay = self._last + self.min_delay_seconds - self._clock()
                if delay > 0:
                    self._sleep(delay)
            self._last = self._clock()


@dataclass(frozen=True)
class Answer(Generic[T]):
    """What a service said about one query, from the cache or the network.

    `answered` is False when nothing was fetched (offline and not cached) or asking failed (`error`); a stale
    cached answer that could not be refreshed is answered, with the refresh's `error`."""

    answered: bool
    value: T | None = None
    fetched: dt.datetime | None = None  # when the answer was fetched (UTC); None when unknown or not fetched
    from_cache: bool = False
    error: str | None = None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


class OnlineClient:
    """One online service's connection: base URL, timeout, throttle, cache and errors.

    `name` says what the service is in messages ("the NPI registry"). Nothing is sent until asked."""

    def __init__(self, name: str, base_url: str, cache: DiskCache, min_delay_seconds: float,
                 timeout_seconds: float = 10.0, user_agent: str = USER_AGENT,
                 now: Callable[[], dt.datetime] = utc_now) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{base_url!r} is not an http(s) address")
        self.name, self.base_url, self.cache = name, base_url, cache
        self.timeout_seconds, self.user_agent, self.now = float(timeout_seconds), user_agent, now
        self.throttle = Throttle(min_delay_seconds)

    def url(self, path: str = "", params: Mapping[str, str] | None = None) -> str:
        """The address of a query: the base URL, `path` under it, and `params` percent-encoded."""
        url = self.base_url if not path else self.base_url.rstrip("/") + "/" + path.lstrip("/")
        return url + ("?" + urlencode(params) if params else "")

    def get_json(self, path: str = "", params: Mapping[str, str] | None = None) -> Any:
        """One request (after the throttle's wait): the answer's JSON, or OnlineError."""
        import urllib.request  # here, not at the top: it imports ssl and email (~45 ms of every cold start)

        request = urllib.request.Request(self.url(path, params),
                                         headers={"User-Agent": self.user_agent, "Accept": "application/json"})
        self.throttle.wait()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                body = response.read(MAX_BODY_BYTES + 1)
        except Exception as err:  # each becomes one sentence
            raise OnlineError(self._failure(err)) from None
        if len(body) > MAX_BODY_BYTES:
            raise OnlineError(_sentence(f"{self.name} answered with more than {MAX_BODY_BYTES // 1_000_000} MB."))
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise OnlineError(_sentence(f"{self.name} answered with something that is not JSON.")) from None

    def _failure(self, err: Exception) -> str:
        """One sentence for a failed request: no traceback, nothing of the server's but its status."""
        import http.client
        import urllib.error

        if isinstance(err, urllib.error.HTTPError):
            return _sentence(f"{self.name} answered with HTTP status {err.code}.")
        reason = err.reason if isinstance(err, urllib.error.URLError) else err
        if isinstance(reason, TimeoutError | socket.timeout):
            return _sentence(f"{self.name} did not answer within {self.timeout_seconds:g} s.")
        host = urlsplit(self.base_url).netloc
        if isinstance(reason, ConnectionRefusedError):
            return f"Could not reach {self.name} at {host}: the connection was refused."
        if isinstance(reason, socket.gaierror):
            return f"Could not reach {self.name}: the name {urlsplit(self.base_url).hostname} was not found."
        if isinstance(reason, http.client.HTTPException | ConnectionError):
            return _sentence(f"{self.name} broke off the connection.")
        if isinstance(reason, OSError) and reason.strerror:
            return f"Could not reach {self.name} at {host}: {reason.strerror.lower()}."
        return f"Could not reach {self.name} at {host}."

    def answer(self, key: str, parse: Callable[[Any], T], path: str = "",
               params: Mapping[str, str] | None = None, *, online: bool = True,
               max_age: dt.timedelta | None = None) -> Answer[T]:
        """The answer to one query: from the cache when there, else (only when `online`) from the service.

        `parse` turns the JSON into the service's value and raises OnlineError for an answer that is an error
        (never cached). Online, a cached answer older than `max_age` (or of unknown age) is fetched again; if
        that fails, the cached answer comes back with the error."""
        cached = self._cached(key, parse)
        if cached is not None and not (online and self._too_old(cached, max_age)):
            return cached
        if not online:
            return Answer(False)
        try:
            body = self.get_json(path, params)
            value = parse(body)
        except OnlineError as err:
            if cached is not None:
                return Answer(True, cached.value, cached.fetched, True, str(err))
            return Answer(False, error=str(err))
        fetched = self.now()
        try:
            self.cache.put(key, body, fetched)
        except OSError as err:
            message = f"The answer could not be saved in the cache ({err.strerror or 'cannot write'})."
            return Answer(True, value, fetched, False, message)
        return Answer(True, value, fetched)

    def _cached(self, key: str, parse: Callable[[Any], T]) -> Answer[T] | None:
        found = self.cache.entry(key)
        if found is None:
            return None
        try:
            return Answer(True, parse(found.value), found.fetched, True)
        except OnlineError:  # not an answer this service gives any more: as if not cached
            return None

    def _too_old(self, cached: Answer[T], max_age: dt.timedelta | None) -> bool:
        if max_age is None:
            return False
        return cached.fetched is None or self.now() - cached.fetched > max_age
