"""Evidence weighed against the record (vetting.evidence.compare + verification), beside the obvious per-row
way (benchmarks/naive.py), at each size. The evidence is the generator's (about 1.5 rows per clinic).

    .venv/bin/python -m pytest benchmarks/bench_evidence.py --benchmark-only --benchmark-columns=min,median,max,rounds
"""

from __future__ import annotations

from functools import cache

import naive
from bench_core import run
from common import TODAY, scored_clinics

from fictional import generate, generate_evidence
from vetting.checklist import load_checklist
from vetting.evidence import EVIDENCE_CONTRACT, compare, verification
from vetting.validate import to_typed


@cache
def evidence(n: int):
    """(clinics indexed by id, their states, typed evidence) of size `n`."""
    clinics, states = scored_clinics(n)
    clinics = clinics.set_index("clinic_id", drop=False)
    rows = generate_evidence(generate(n, seed=7, today=TODAY), seed=7, today=TODAY)
    return clinics, states.set_axis(clinics.index), to_typed(rows, TODAY, EVIDENCE_CONTRACT)


def test_verification(benchmark, n, impl):
    """The latest evidence per clinic and field beside the record, then every criterion's verification."""
    clinics, states, ev = evidence(n)
    checklist = load_checklist()
    run(benchmark, n, impl, lambda: verification(states, compare(clinics, ev), checklist),
        lambda: naive.verification_rows(clinics, states, ev, checklist))
