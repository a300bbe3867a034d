"""A visitor's place lookup: an ordinary one beside hostile ones (30,000 letters, with and without commas).

Before the 'City, ST' parser was rewritten, its regular expression backtracked quadratically: one URL with
~30,000 letters in `near` took another visitor's page load from 0.9 s to 18.5 s. The hostile lookups must
cost about what the ordinary one does (report.py shows the ratio)."""

from __future__ import annotations

import pytest

from vetting.geo import locate

QUERIES = {
    "ordinary": "Colorado Springs, CO",
    "30k letters": "a" * 30_000 + ", CO",
    "30k letters, no comma": "a" * 30_000,
    "30k commas": "a," * 15_000,
    "30k spaces then digits": " " * 30_000 + "1",
}


@pytest.mark.parametrize("query", list(QUERIES), ids=list(QUERIES))
def test_place_lookup(benchmark, query):
    benchmark.group = "place lookup"
    benchmark.extra_info.update(query=query, chars=len(QUERIES[query]))
    locate(QUERIES["ordinary"])  # the gazetteer's tables, loaded once per process
    benchmark(locate, QUERIES[query])
