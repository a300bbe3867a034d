"""A loopback stand-in for OpenStreetMap's Nominatim: the online geocoder is tested against it, never the
real service. It answers /search with one place for any query that mentions 'main' or 'oak', and records when
each request arrived (the server plumbing is tests/fake_online.py, shared with the other fakes)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from fake_online import FakeServer, Reply, json_reply, serve

PLACES = {"main": (39.8, -89.6, "1 Main St, Springfield, IL"), "oak": (40.7, -89.6, "2 Oak Ave, Peoria, IL")}

FakeNominatim = FakeServer  # requests: (time.monotonic() on arrival, query)


def nominatim_answer(path: str, params: dict[str, str]) -> Reply:
    """Nominatim's /search: at most one place, as a JSON list; any other path is 404."""
    query = params.get("q", "")
    found = [PLACES[k] for k in PLACES if k in query.lower()][:1]
    body = [{"lat": str(lat), "lon": str(lon), "display_name": name, "place_id": 1} for lat, lon, name in found]
    return json_reply(body, 200 if path.rstrip("/") == "/search" else 404)


@contextlib.contextmanager
def fake_nominatim() -> Iterator[FakeNominatim]:
    """Serve the fake on a free loopback port until the block ends."""
    with serve(nominatim_answer, lambda params: params.get("q", "")) as fake:
        yield fake
