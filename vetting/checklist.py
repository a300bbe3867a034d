"""The selection checklist, read from `checklist.toml` (data, not code)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from .contract import BY_NAME, ROUTES

DEFAULT_PATH = Path(__file__).with_name("checklist.toml")
CHECKLIST_ENV = "VETTING_CHECKLIST"  # another checklist file, for an organisation that keeps its own
EVALUATORS = {
    "tristate": ("column",),
    "one_of": ("column", "values"),
    "at_least": ("column", "min"),
    "reviews": ("rating_column", "count_column", "min_rating", "min_count"),
    "years_open": ("column", "min_years"),
}


@dataclass(frozen=True)
class Source:
    """A document a criterion is drawn from."""

    id: str
    title: str
    kind: str
    file: str | None = None


@dataclass(frozen=True)
class SourceRef:
    """A criterion's citation: which source, and what in it."""

    source: str
    note: str = ""


@dataclass(frozen=True)
class Criterion:
    """One checklist criterion."""

    id: str
    label: str
    category: str
    weight: float
    critical: bool
    evaluate: dict[str, Any]
    sources: tuple[SourceRef, ...]
    explanation: str
    question: str
    applies_when_route: str | None = None


def period_words(days: int) -> str:
    """A number of days as people say it: 365 -> '12 months', 730 -> '2 years', 90 -> '3 months', 10 -> '10 days'."""
    if days % 365 == 0:
        years = days // 365
        return "12 months" if years == 1 else f"{years} years"
    if days % 30 == 0:
        months = days // 30
        return f"{months} month{'s' if months != 1 else ''}"
    return f"{days} day{'s' if days != 1 else ''}"


@dataclass(frozen=True)
class Grading:
    """Grading rules: the lowest score of each grade, the grade below them all, the caps for critical
    criteria, and how old a verification may be before a record is called stale."""

    thresholds: dict[str, float]
    below: str
    red_flag_grade: str
    unverified_grade_cap: str
    stale_after_days: int

    @property
    def letters(self) -> tuple[str, ...]:
        """The grades, best first: by descending threshold, then the grade below them all."""
        return (*sorted(self.thresholds, key=lambda g: -self.thresholds[g]), self.below)

    @property
    def dtype(self) -> pd.CategoricalDtype:
        """Grades as an ordered category, worst < best: `grade >= "B"` means B or better."""
        return pd.CategoricalDtype(list(reversed(self.letters)), ordered=True)

    @property
    def stale_period(self) -> str:
        """stale_after_days in words ('12 months'), for every sentence that mentions it."""
        return period_words(self.stale_after_days)


@dataclass(frozen=True)
class Preset:
    """A named set of category multipliers for the weights (categories not named keep 1)."""

    id: str
    label: str
    description: str
    categories: dict[str, float]


@dataclass(frozen=True)
class Checklist:
    """The whole checklist: criteria in order, category names, sources, grading rules and weight presets."""

    version: str
    criteria: tuple[Criterion, ...]
    categories: dict[str, str]
    sources: dict[str, Source]
    grading: Grading
    presets: dict[str, Preset] = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.criteria]

    def __getitem__(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def weights(self) -> pd.Series:
        """The checklist's own weights, by criterion id."""
        return pd.Series({c.id: float(c.weight) for c in self.criteria}, dtype="float64")

    def critical_ids(self) -> list[str]:
        return [c.id for c in self.criteria if c.critical]

    def cite(self, ref: SourceRef) -> str:
        """'Title (note)' for one citation."""
        title = self.sources[ref.source].title
        return f"{title}: {ref.note}" if ref.note else title

    def table(self) -> pd.DataFrame:
        """One row per criterion, for display: id, label, category, weight, critical, sources, explanation."""
        return pd.DataFrame([{
            "id": c.id,
            "criterion": c.label,
            "category": self.categories[c.category],
            "weight": c.weight,
            "critical": c.critical,
            "applies": f"only where {c.applies_when_route} is offered" if c.applies_when_route else "always",
            "what it means": c.explanation,
            "sources": " | ".join(self.cite(r) for r in c.sources),
        } for c in self.criteria])


class ChecklistError(ValueError):
    """The checklist file is malformed; the message names the criterion and the field."""


def parse_checklist(data: dict[str, Any]) -> Checklist:
    """Build and check a Checklist from the parsed TOML."""
    categories = dict(data.get("categories", {}))
    sources = {sid: Source(sid, s["title"], s.get("kind", "other"), s.get("file"))
               for sid, s in data.get("sources", {}).items()}
    grading = _parse_grading(data["grading"])
    criteria: list[Criterion] = []
    seen: set[str] = set()
    for i, c in enumerate(data.get("criteria", [])):
        cid = c.get("id", f"#{i + 1}")
        where = f"criterion {cid}"
        if cid in seen:
            raise ChecklistError(f"{where}: id used twice")
        seen.add(cid)
        for key in ("label", "category", "weight", "evaluate", "sources", "explanation", "question"):
            if key not in c:
                raise ChecklistError(f"{where}: missing {key}")
        if c["category"] not in categories:
            raise ChecklistError(f"{where}: unknown category {c['category']!r}")
        if float(c["weight"]) < 0:
            raise ChecklistError(f"{where}: weight must not be negative")
        ev = dict(c["evaluate"])
        kind = ev.get("kind")
        if kind not in EVALUATORS:
            raise ChecklistError(f"{where}: unknown evaluate.kind {kind!r} (known: {', '.join(EVALUATORS)})")
        for key in EVALUATORS[kind]:
            if key not in ev:
                raise ChecklistError(f"{where}: evaluate.{key} is required for kind {kind}")
        for key in ("column", "rating_column", "count_column"):
            if key in ev and ev[key] not in BY_NAME:
                raise ChecklistError(f"{where}: evaluate.{key} {ev[key]!r} is not a data-contract column")
        route = c.get("applies_when_route") or ev.get("when_route")
        if route is not None and route not in ROUTES:
            raise ChecklistError(f"{where}: unknown route {route!r}")
        refs = tuple(SourceRef(r["source"], r.get("note", "")) for r in c["sources"])
        for r in refs:
            if r.source not in sources:
                raise ChecklistError(f"{where}: unknown source {r.source!r}")
        criteria.append(Criterion(cid, c["label"], c["category"], float(c["weight"]), bool(c.get("critical")),
                                  ev, refs, c["explanation"], c["question"], c.get("applies_when_route")))
    if not criteria:
        raise ChecklistError("the checklist has no criteria")
    presets: dict[str, Preset] = {}
    for pid, p in data.get("presets", {}).items():
        multipliers = {k: float(v) for k, v in p.get("categories", {}).items()}
        for cat, value in multipliers.items():
            if cat not in categories:
                raise ChecklistError(f"preset {pid}: unknown category {cat!r}")
            if value < 0:
                raise ChecklistError(f"preset {pid}: multiplier of {cat} must not be negative")
        presets[pid] = Preset(pid, p.get("label", pid), p.get("description", ""), multipliers)
    return Checklist(str(data.get("version", "")), tuple(criteria), categories, sources, grading, presets)


def _parse_grading(g: dict[str, Any]) -> Grading:
    grading = Grading({str(k): float(v) for k, v in g["thresholds"].items()}, str(g["below"]),
                      str(g["red_flag_grade"]), str(g["unverified_grade_cap"]), int(g["stale_after_days"]))
    letters = grading.letters
    if len(set(letters)) != len(letters):
        raise ChecklistError("grading: every grade needs its own letter")
    for key in ("red_flag_grade", "unverified_grade_cap"):
        if getattr(grading, key) not in letters:
            raise ChecklistError(f"grading.{key} {getattr(grading, key)!r} is not one of the grades "
                                 f"{', '.join(letters)}")
    if grading.stale_after_days < 1:
        raise ChecklistError("grading.stale_after_days must be at least 1")
    return grading


def checklist_path() -> Path:
    """The checklist in use: $VETTING_CHECKLIST, else the bundled one."""
    return Path(os.environ.get(CHECKLIST_ENV) or DEFAULT_PATH)


def load_checklist(path: str | Path | None = None) -> Checklist:
    """Read and check a checklist TOML file (`path`, else the one in use); each file is read once."""
    return _read_checklist(Path(path) if path else checklist_path())


@lru_cache(maxsize=8)
def _read_checklist(path: Path) -> Checklist:
    with open(path, "rb") as fh:
        return parse_checklist(tomllib.load(fh))


def label_lists(ids: pd.Series, checklist: Checklist, sep: str = "; ") -> pd.Series:
    """`;`-joined criterion ids -> their labels joined with `sep`, decided once per distinct value."""
    codes, uniques = pd.factorize(ids.fillna(""))
    labels = {c.id: c.label for c in checklist.criteria}
    texts = [sep.join(labels.get(i, i) for i in u.split(";") if i) for u in uniques]
    return pd.Series(pd.Index(texts, dtype=object).take(codes) if len(texts) else [""] * len(ids),
                     index=ids.index, dtype=object)
