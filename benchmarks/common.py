"""What the benchmarks share: synthetic clinics at each size, loaded and scored once per process.

Sizes come from BENCH_SIZES (default 1000,10000,100000,1000000). The naive baselines run up to
BENCH_NAIVE_MAX clinics (default 100000): at a million rows they would take many minutes each.
Generated files are kept in BENCH_DATA (default .benchmarks/data) and reused when present.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import cache
from pathlib import Path

import pandas as pd

from fictional import DEFAULT_TODAY, generate, write_csv
from vetting import load_clinics, score

TODAY: dt.date = DEFAULT_TODAY
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1000,10000,100000,1000000").split(",")]
NAIVE_MAX = int(os.environ.get("BENCH_NAIVE_MAX", "100000"))
DATA = Path(os.environ.get("BENCH_DATA", Path(__file__).resolve().parent.parent / ".benchmarks" / "data"))
#: The searched place of the nearby and patient-query benchmarks: central New York, the largest metro.
ORIGIN = (40.7484, -73.9967)


def csv_path(n: int) -> Path:
    """The synthetic clinics file of `n` rows (seed 7), generated on first use."""
    path = DATA / f"clinics-{n}.csv"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        write_csv(generate(n, seed=7, today=TODAY), tmp)
        tmp.replace(path)
    return path


@cache
def typed(n: int) -> pd.DataFrame:
    """The loaded (validated, typed, located) clinics of size `n`."""
    result = load_clinics(csv_path(n), today=TODAY)
    assert result.ok, result.errors[:3]
    return result.frame


@cache
def scored_clinics(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(clinics with their score summary, criterion states) of size `n`, as the app holds them."""
    frame = typed(n)
    scores = score(frame, today=TODAY)
    return frame.join(scores.summary.drop(columns="clinic_id")), scores.states


def rounds(n: int, naive: bool = False) -> int:
    """Timed rounds per benchmark: fewer for the big and the slow ones."""
    if naive:
        return 3 if n <= 10_000 else 1
    return 10 if n <= 10_000 else 5 if n <= 100_000 else 3
