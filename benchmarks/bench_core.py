"""The library's hot paths at 1k to 1M clinics, each beside its naive baseline (benchmarks/naive.py).

Groups pair the two implementations per operation and size; benchmarks/report.py turns the JSON into
the tables of docs/BENCHMARKS.md with naive/fast ratios.
"""

from __future__ import annotations

import naive
from common import ORIGIN, TODAY, csv_path, rounds, scored_clinics, typed

from vetting import load_clinics, score
from vetting.checklist import load_checklist
from vetting.filters import GeoIndex, nearby
from vetting.geo import Place
from vetting.search import PatientQuery, search
from vetting.weights import Weights

RADIUS_KM = 80.0
ROUTE, MAX_PRICE = "iv", 800.0
QUERY = PatientQuery(origin=Place(*ORIGIN, "central New York"), radius_km=RADIUS_KM, routes=(ROUTE,),
                     max_price=MAX_PRICE, hide_red_flags=True, sort="score")
#: The referral page's "Safety first" preset: every weight changes, so every score is recomputed.
CUSTOM = Weights("safety_first").resolve(load_checklist())


def run(benchmark, n: int, impl: str, fast, slow) -> None:
    """Time `fast` or `slow` (by `impl`), grouped by operation and size."""
    benchmark.group = f"{benchmark.name.split('[')[0].removeprefix('test_')} n={n}"
    benchmark.extra_info.update(n=n, impl=impl)
    benchmark.pedantic(fast if impl == "fast" else slow, rounds=rounds(n, impl == "naive"), iterations=1,
                       warmup_rounds=1 if impl == "fast" else 0)


def test_load(benchmark, n, impl):
    """Read, validate and type the CSV (fast: also ZIP-centroid fill and far-from-ZIP check)."""
    path = csv_path(n)
    run(benchmark, n, impl, lambda: load_clinics(path, today=TODAY), lambda: naive.load_rows(path, TODAY))


def test_score(benchmark, n, impl):
    """Score every clinic against the checklist."""
    frame = typed(n)
    run(benchmark, n, impl, lambda: score(frame, today=TODAY), lambda: naive.score_rows(frame, today=TODAY))


def test_nearby(benchmark, n, impl):
    """Distance from a point, radius filter, sort by distance, top 50, over already loaded clinics (with the
    latitude index the app builds once when it loads them)."""
    clinics, _ = scored_clinics(n)
    index = GeoIndex.of(clinics)
    run(benchmark, n, impl, lambda: nearby(clinics, *ORIGIN, radius_km=RADIUS_KM, limit=50, index=index),
        lambda: naive.nearby_rows(clinics, *ORIGIN, RADIUS_KM))


def test_query(benchmark, n, impl):
    """A patient's query from loaded clinics: score, distance, route/price/red-flag filters, sort, top 50."""
    frame = typed(n)
    index = GeoIndex.of(frame)

    def fast():
        scores = score(frame, today=TODAY)
        return search(frame.join(scores.summary.drop(columns="clinic_id")), QUERY, TODAY, scores.states, limit=50,
                      index=index)

    run(benchmark, n, impl, fast,
        lambda: naive.query_rows(frame, *ORIGIN, RADIUS_KM, ROUTE, MAX_PRICE, today=TODAY))


def test_query_weights(benchmark, n, impl):
    """The same query with custom weights (the referral page's Safety-first preset)."""
    frame = typed(n)
    index = GeoIndex.of(frame)

    def fast():
        scores = score(frame, weights=CUSTOM, today=TODAY)
        return search(frame.join(scores.summary.drop(columns="clinic_id")), QUERY, TODAY, scores.states, limit=50,
                      index=index)

    run(benchmark, n, impl, fast,
        lambda: naive.query_rows(frame, *ORIGIN, RADIUS_KM, ROUTE, MAX_PRICE, weights=CUSTOM, today=TODAY))
