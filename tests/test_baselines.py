"""The benchmarks' naive baselines (benchmarks/naive.py) do the same job as the fast code, so the ratios
in docs/BENCHMARKS.md compare like with like."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fictional import DEFAULT_TODAY, generate, write_csv
from vetting import load_clinics, score
from vetting.filters import GeoIndex, nearby
from vetting.geo import Place
from vetting.search import PatientQuery, search

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import naive  # noqa: E402

NYC, RADIUS = (40.7484, -73.9967), 80.0


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "clinics.csv"
    write_csv(generate(600, seed=11, today=DEFAULT_TODAY), path)
    frame = load_clinics(path, today=DEFAULT_TODAY).frame
    scores = score(frame, today=DEFAULT_TODAY)
    return path, frame, frame.join(scores.summary.drop(columns="clinic_id")), scores


def test_naive_loader_reads_the_same_clinics_and_finds_no_problem(sample):
    path, frame, _, _ = sample
    slow, problems = naive.load_rows(path, DEFAULT_TODAY)
    assert problems == []
    assert list(slow["clinic_id"]) == list(frame["clinic_id"])
    assert (slow["price_per_session_usd"].astype(float).fillna(-1) == frame["price_per_session_usd"].fillna(-1)).all()


def test_naive_loader_flags_a_bad_cell(tmp_path, sample):
    path = tmp_path / "bad.csv"
    path.write_text(sample[0].read_text().replace(",yes,", ",maybe,", 1))
    _, problems = naive.load_rows(path, DEFAULT_TODAY)
    assert len(problems) == 1 and problems[0][0] == 2


def test_naive_scores_and_grades_match(sample):
    _, frame, _, scores = sample
    slow = naive.score_rows(frame, today=DEFAULT_TODAY)
    assert (scores.summary["score"].fillna(-1).to_numpy() == slow["score"].fillna(-1).to_numpy()).all()
    assert list(scores.summary["grade"]) == list(slow["grade"])
    assert list(scores.summary["red_flags"].astype(str)) == list(slow["red_flags"])


def test_naive_nearby_and_query_match(sample):
    _, frame, clinics, scores = sample
    fast = nearby(clinics, *NYC, radius_km=RADIUS, limit=50, index=GeoIndex.of(clinics))
    slow = naive.nearby_rows(clinics, *NYC, RADIUS)
    assert len(fast) > 5
    assert abs(fast["distance_km"].to_numpy() - slow["distance_km"].to_numpy()).max() < 0.01
    query = PatientQuery(origin=Place(*NYC, "New York"), radius_km=RADIUS, routes=("iv",), max_price=800.0,
                         sort="score")
    found = search(clinics, query, DEFAULT_TODAY, scores.states, limit=50).clinics
    found_slow = naive.query_rows(frame, *NYC, RADIUS, "iv", 800.0, today=DEFAULT_TODAY)
    assert len(found) > 0 and list(found["clinic_id"]) == list(found_slow["clinic_id"])
