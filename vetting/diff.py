"""What a new version of the clinics data changes: clinics added, removed, changed field by field, and
how grades move. Compares typed frames (so '$1,200' and '1200' are the same price)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .contract import CONTRACT, Contract
from .export import contract_text


@dataclass
class Diff:
    """Differences between two versions, keyed by clinic_id."""

    added: pd.DataFrame
    removed: pd.DataFrame
    changed: pd.DataFrame  # clinic_id, name, column, old, new
    grades: pd.DataFrame  # clinic_id, name, old_grade, new_grade, old_score, new_score (changed only)

    @property
    def empty(self) -> bool:
        return self.added.empty and self.removed.empty and self.changed.empty

    def summary(self) -> str:
        """'3 added, 1 removed, 5 changed (12 fields); 2 grades move.'"""
        n_changed = self.changed["clinic_id"].nunique() if not self.changed.empty else 0
        text = (f"{len(self.added)} added, {len(self.removed)} removed, {n_changed} changed "
                f"({len(self.changed)} field{'s' if len(self.changed) != 1 else ''})")
        moves = len(self.grades[self.grades["old_grade"] != self.grades["new_grade"]]) if not self.grades.empty else 0
        return text + f"; {moves} grade{'s' if moves != 1 else ''} move."


def diff_frames(old: pd.DataFrame, new: pd.DataFrame, old_scores: pd.DataFrame | None = None,
                new_scores: pd.DataFrame | None = None, contract: Contract = CONTRACT) -> Diff:
    """Compare two typed clinics frames (as loaded); scores (summary frames) add grade moves.

    Values are compared as the contract's text of their kind ('$1,200' and '1200' are the same price)."""
    o, n = old.set_index("clinic_id", drop=False), new.set_index("clinic_id", drop=False)
    added = n.loc[n.index.difference(o.index, sort=False)].reset_index(drop=True)
    removed = o.loc[o.index.difference(n.index, sort=False)].reset_index(drop=True)
    common = o.index.intersection(n.index, sort=False)
    columns = [c for c in contract.names if c != "clinic_id"] + sorted(
        (set(o.columns) | set(n.columns)) - set(contract.names) - {"location_source"})
    parts = []
    for col in columns:
        before = contract_text(o.loc[common, col], contract) if col in o else pd.Series("", index=common, dtype=object)
        after = contract_text(n.loc[common, col], contract) if col in n else pd.Series("", index=common, dtype=object)
        differs = (before.to_numpy() != after.to_numpy())
        if differs.any():
            parts.append(pd.DataFrame({"clinic_id": common[differs], "name": n.loc[common[differs], "name"].to_numpy(),
                                       "column": col, "old": before.to_numpy()[differs],
                                       "new": after.to_numpy()[differs]}))
    changed = (pd.concat(parts, ignore_index=True) if parts
               else pd.DataFrame(columns=["clinic_id", "name", "column", "old", "new"]))
    order = {cid: i for i, cid in enumerate(n.index)}
    changed = changed.sort_values("clinic_id", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    grades = pd.DataFrame(columns=["clinic_id", "name", "old_grade", "new_grade", "old_score", "new_score"])
    if old_scores is not None and new_scores is not None:
        os_, ns = old_scores.set_index("clinic_id"), new_scores.set_index("clinic_id")
        both = os_.index.intersection(ns.index, sort=False)
        moved = (os_.loc[both, "score"].to_numpy() != ns.loc[both, "score"].to_numpy()) | (
            os_.loc[both, "grade"].to_numpy() != ns.loc[both, "grade"].to_numpy())
        ids = both[moved]
        grades = pd.DataFrame({
            "clinic_id": ids, "name": n.loc[ids, "name"].to_numpy(),
            "old_grade": os_.loc[ids, "grade"].to_numpy(), "new_grade": ns.loc[ids, "grade"].to_numpy(),
            "old_score": os_.loc[ids, "score"].to_numpy(), "new_score": ns.loc[ids, "score"].to_numpy()})
    return Diff(added, removed, changed, grades)


def grade_counts(old: pd.Series, new: pd.Series, letters: tuple[str, ...]) -> pd.DataFrame:
    """Clinics per grade before and after, best grade first (`letters`: the checklist's grading.letters)."""
    grades = list(letters)
    return pd.DataFrame({"before": old.value_counts().reindex(grades, fill_value=0),
                         "after": new.value_counts().reindex(grades, fill_value=0)}).rename_axis("grade")

