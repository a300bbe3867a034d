"""Ketamine-clinic vetting: the data contract, the checklist, scoring and geography, without any UI.

    from vetting import load_clinics, score
    result = load_clinics("data/clinics.csv")
    if result.ok:
        scores = score(result.frame).summary
"""

from .checklist import Checklist, load_checklist
from .contract import Issue
from .load import LoadResult, load_clinics, read_clinics
from .scoring import Scores, evaluate, ranked, score, scored

__all__ = ["Checklist", "Issue", "LoadResult", "Scores", "evaluate", "load_checklist", "load_clinics",
           "ranked", "read_clinics", "score", "scored"]
