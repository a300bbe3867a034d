"""A server's first visitor: what the cold path costs, each beside the old way in the same run.

- cold_load: the ZIP centroid table and load_clinics of the bundled data/clinics.csv, from an empty cache. New:
  vetting/data/zip_centroids.arrow; old: built from the 42,789 dicts of zipcodes.list_all() (its own cache emptied
  each round too, as in a fresh server).
- zip_table: the table alone, the same two ways.
- import_geo: `import vetting.geo` and an offline locate() in a fresh interpreter; old: with geopy (and requests,
  which geopy imports) and zipcodes imported as vetting.geo used to at import.
- circle: the searched radius's ring on the map (73 points): vectorised, or one geopy geodesic per point.

    .venv/bin/python -m pytest benchmarks/bench_cold.py --benchmark-only --benchmark-columns=min,median,max,rounds

Ratios (old/new medians) are the result; absolute times depend on the machine's load.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zipcodes
from common import TODAY

import vetting.geo as geo
from vetting import load_clinics

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "clinics.csv"
NEW, OLD = "bundled", "zipcodes"


def _cold() -> None:
    """Forget every cached table, ours and zipcodes' (its list of dicts is built on the first list_all())."""
    geo.zip_table.cache_clear()
    geo.city_table.cache_clear()
    zipcodes._zips_cache = None  # zipcodes 3's cache of list_all(); None: the next call builds it again


def _old_way(monkeypatch) -> None:
    """zip_table() builds from zipcodes, as it did before the bundled file."""
    monkeypatch.setattr(geo, "read_zip_table", lambda path=None: geo.zip_table_from_zipcodes())


def _time(benchmark, group: str, impl: str, target, rounds: int, setup=None) -> None:
    benchmark.group = group
    benchmark.extra_info.update(cold_impl=impl)
    benchmark.pedantic(target, setup=setup, rounds=rounds, iterations=1, warmup_rounds=0)


@pytest.mark.parametrize("impl", [NEW, OLD])
def test_cold_load(benchmark, monkeypatch, impl):
    """ZIP table and load_clinics(data/clinics.csv), nothing cached: a fresh server's first visitor."""
    if impl == OLD:
        _old_way(monkeypatch)
    load_clinics(SAMPLE, today=TODAY)  # imports and the CSV reader's first use, out of the timing

    def load():
        result = load_clinics(SAMPLE, today=TODAY)
        assert result.ok

    _time(benchmark, "cold load: ZIP table + sample CSV", impl, load, 5 if impl == NEW else 3, setup=_cold)


@pytest.mark.parametrize("impl", [NEW, OLD])
def test_zip_table(benchmark, monkeypatch, impl):
    """The ZIP centroid table alone, from an empty cache."""
    if impl == OLD:
        _old_way(monkeypatch)
    _time(benchmark, "zip table", impl, geo.zip_table, 5 if impl == NEW else 3, setup=_cold)


IMPORTS = {
    "lazy": "import vetting.geo as g; g.locate('80903')",
    "eager": "import vetting.geo as g, zipcodes; import geopy.geocoders.base, geopy.location; g.locate('80903')",
}


@pytest.mark.parametrize("impl", list(IMPORTS))
def test_import_geo(benchmark, impl):
    """A fresh interpreter imports vetting.geo and resolves a ZIP offline (interpreter start-up included)."""
    cmd = [sys.executable, "-c", IMPORTS[impl]]
    _time(benchmark, "import vetting.geo + offline locate (new process)", impl,
          lambda: subprocess.run(cmd, cwd=ROOT, check=True), 5)


def _geopy_circle(lat: float, lon: float, radius_km: float, points: int = 73):
    """The old vetting.geo.circle: one geopy geodesic destination per bearing."""
    from geopy.distance import geodesic

    ring = [geodesic(kilometers=radius_km).destination((lat, lon), b) for b in np.linspace(0, 360, points)]
    return [p.latitude for p in ring], [p.longitude for p in ring]


@pytest.mark.parametrize("impl", ["vectorised", "geopy"])
def test_circle(benchmark, impl):
    """The 80 km ring around a search, as the map draws it."""
    ring = geo.circle if impl == "vectorised" else _geopy_circle
    benchmark.group = "radius circle (73 points)"
    benchmark.extra_info.update(cold_impl=impl)
    benchmark.pedantic(lambda: ring(38.8339, -104.8214, 80.0), rounds=50, iterations=1, warmup_rounds=2)
