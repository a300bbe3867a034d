"""The find page's map: building the figure and its JSON (what Streamlit sends on every rerun) for the clinics
the page shows (at most 1000), beside a baseline in the same run: the same clinic markers alone, as a bare
plotly figure. extra_info records the JSON's size (json_bytes) and the clinics drawn.

    .venv/bin/python -m pytest benchmarks/bench_map.py --benchmark-only --benchmark-columns=min,median,max,rounds
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio
import pytest
from common import ORIGIN, TODAY, scored_clinics

from vetting.geo import Place
from vetting.maps import clinic_map
from vetting.search import PatientQuery, search

N = 10_000  # synthetic clinics searched; the page shows at most SHOWN of them
SHOWN = 1000  # pages/find.py's SHOWN
ORIGIN_PLACE = Place(*ORIGIN, "central New York")
VIEWS = {"national": None, "80 km": 80.0, "25 km": 25.0}


def _shown(radius_km: float | None):
    clinics, states = scored_clinics(N)
    query = PatientQuery(origin=ORIGIN_PLACE if radius_km else None, radius_km=radius_km,
                         sort="distance" if radius_km else "score")
    return search(clinics, query, TODAY, states, limit=SHOWN).clinics


def _bare(frame) -> go.Figure:
    """The baseline: one marker trace per grade, no zoom, spreading, county lines or names."""
    located = frame[frame["latitude"].notna()]
    return go.Figure([go.Scattergeo(lat=part["latitude"].to_numpy(), lon=part["longitude"].to_numpy(),
                                    mode="markers", name=str(grade))
                      for grade, part in located.groupby("grade", observed=True)],
                     layout=dict(geo=dict(scope="usa")))


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("impl", ["clinic_map", "bare markers"])
def test_map_figure(benchmark, view, impl):
    """Build the figure and serialise it as Streamlit does (plotly.io.to_json, validate=False)."""
    radius = VIEWS[view]
    frame = _shown(radius)
    searched = ORIGIN_PLACE if radius else None

    def build() -> str:
        fig = clinic_map(frame, searched=searched, radius_km=radius) if impl == "clinic_map" else _bare(frame)
        return pio.to_json(fig, validate=False)

    spec = build()  # warm: the gazetteer's towns and the county lines, read once per process
    benchmark.group = f"map figure, {view}"
    benchmark.extra_info.update(map_view=view, map_impl=impl, clinics=len(frame), json_bytes=len(spec))
    benchmark.pedantic(build, rounds=10, iterations=1, warmup_rounds=1)
