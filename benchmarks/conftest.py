"""Benchmark parametrisation: every size, fast and naive (naive only up to BENCH_NAIVE_MAX)."""

from __future__ import annotations

import pytest
from common import NAIVE_MAX, SIZES


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`n` runs over SIZES; `impl` over fast and naive (naive only up to NAIVE_MAX)."""
    if "n" in metafunc.fixturenames and "impl" in metafunc.fixturenames:
        cases = [(n, impl) for n in SIZES for impl in ("fast", "naive") if impl == "fast" or n <= NAIVE_MAX]
        metafunc.parametrize(("n", "impl"), cases, ids=[f"{n}-{impl}" for n, impl in cases])
    elif "n" in metafunc.fixturenames:
        metafunc.parametrize("n", SIZES, ids=[str(n) for n in SIZES])
