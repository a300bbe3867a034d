"""A loopback stand-in for OpenStreetMap's Nominatim: the online geocoder is tested against it, never the
real service. It answers /search with one place for any query that mentions 'main' or 'oak', and records when
each request arrived."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PLACES = {"main": (39.8, -89.6, "1 Main St, Springfield, IL"), "oak": (40.7, -89.6, "2 Oak Ave, Peoria, IL")}


@dataclass
class FakeNominatim:
    url: str
    requests: list[tuple[float, str]] = field(default_factory=list)  # (time.monotonic() on arrival, query)

    def gaps(self) -> list[float]:
        """Seconds between consecutive requests."""
        times = [t for t, _ in self.requests]
        return [b - a for a, b in zip(times, times[1:], strict=False)]


@contextlib.contextmanager
def fake_nominatim() -> Iterator[FakeNominatim]:
    """Serve the fake on a free loopback port until the block ends."""
    fake = FakeNominatim("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            parts = urlsplit(self.path)
            query = parse_qs(parts.query).get("q", [""])[0]
            fake.requests.append((time.monotonic(), query))
            found = [PLACES[k] for k in PLACES if k in query.lower()][:1]
            body = json.dumps([{"lat": str(lat), "lon": str(lon), "display_name": name, "place_id": 1}
                               for lat, lon, name in found]).encode()
            self.send_response(200 if parts.path.rstrip("/") == "/search" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
