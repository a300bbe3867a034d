"""One loopback harness for every fake online service (tests/fake_nominatim.py, tests/fake_npi_registry.py).

A fake is a function from a request (path and query parameters) to a :class:`Reply`; :func:`serve` runs it
as a real HTTP server on 127.0.0.1 (a free port, a thread per request) until the block ends, and records
when each request arrived and what it asked, so tests can check the rate limit. Nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Reply:
    """What the fake answers: a body, its status and content type, and how long it waits before answering."""

    body: bytes
    status: int = 200
    content_type: str = "application/json"
    delay_seconds: float = 0.0


def json_reply(value: Any, status: int = 200, delay_seconds: float = 0.0) -> Reply:
    """A JSON answer."""
    return Reply(json.dumps(value).encode("utf-8"), status, delay_seconds=delay_seconds)


Answer = Callable[[str, dict[str, str]], Reply]  # (path, query parameters) -> the reply


@dataclass
class FakeServer:
    """A running fake: its base URL and the requests it received, as (time.monotonic() on arrival, label)."""

    url: str = ""
    requests: list[tuple[float, str]] = field(default_factory=list)

    def gaps(self) -> list[float]:
        """Seconds between consecutive requests."""
        times = [t for t, _ in self.requests]
        return [b - a for a, b in zip(times, times[1:], strict=False)]

    def asked(self) -> list[str]:
        """What each request asked (its label), in order of arrival."""
        return [label for _, label in self.requests]


@contextlib.contextmanager
def serve(answer: Answer, label: Callable[[dict[str, str]], str], fake: FakeServer | None = None
          ) -> Iterator[FakeServer]:
    """Serve `answer` on a free loopback port until the block ends; `label` names each request in
    `fake.requests`. A slow reply's wait ends early when the block ends, so no thread outlives the test."""
    fake = fake if fake is not None else FakeServer()
    stopping = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            parts = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(parts.query).items()}
            fake.requests.append((time.monotonic(), label(params)))
            reply = answer(parts.path, params)
            if reply.delay_seconds and stopping.wait(reply.delay_seconds):
                return
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address) -> None:  # a client that gave up (timeout): expected
            pass

    server = Server(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        stopping.set()
        server.shutdown()
        server.server_close()


def dead_url() -> str:
    """The address of a loopback port nothing listens on (connection refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
