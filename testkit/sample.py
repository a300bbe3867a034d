"""The bundled sample (data/clinics.csv) and the checklist, read for the browser tests' expectations.

A browser test copies no clinic id, name, count or criterion from the data: it picks what it needs here, by
what it needs of it ("a ZIP with a clinic shown within 80 km"), so it keeps testing the same thing when the
sample is regenerated. The app serves data/clinics.csv unless $CLINICS_CSV names another file.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import TypeVar

import pandas as pd

from testkit.server import REPO_ROOT
from vetting import load_clinics, score
from vetting.filters import within
from vetting.geo import Place, locate

T = TypeVar("T")

SAMPLE = Path(os.environ.get("CLINICS_CSV", REPO_ROOT / "data" / "clinics.csv"))


@cache
def _scored() -> tuple[pd.DataFrame, pd.DataFrame]:
    today = dt.date.today()  # what the app scores against
    result = load_clinics(SAMPLE, today=today)
    assert result.ok, f"{SAMPLE} does not load: {result.errors[:3]}"
    scores = score(result.frame, today=today)
    return result.frame.join(scores.summary.drop(columns="clinic_id")), scores.states


def clinics() -> pd.DataFrame:
    """The sample's clinics in file order, located and scored as the app does (n_red_flags, grade, ...)."""
    return _scored()[0]


def states() -> pd.DataFrame:
    """Each clinic's state of each criterion (vetting.scoring.MET, ...), same rows as ``clinics()``."""
    return _scored()[1]


def row(clinic_id: str) -> pd.Series:
    """One clinic's row of ``clinics()``."""
    frame = clinics()
    return frame.loc[frame["clinic_id"] == clinic_id].iloc[0]


def names() -> dict[str, str]:
    """clinic_id -> name."""
    return dict(zip(clinics()["clinic_id"], clinics()["name"], strict=True))


def findable_by_name() -> list[str]:
    """Ids, in file order, of the clinics whose name is theirs alone and inside no other clinic's name: typing
    it into a picker leaves that clinic only."""
    all_names = [n.casefold() for n in clinics()["name"]]
    return [cid for cid, name in names().items()
            if sum(name.casefold() in other for other in all_names) == 1]


def first(candidates: Iterable[T], wanted: Callable[[T], bool], what: str) -> T:
    """The first candidate that is ``wanted``; fails, saying ``what`` was looked for, when none is."""
    for candidate in candidates:
        if wanted(candidate):
            return candidate
    raise AssertionError(f"{SAMPLE} has no {what}: the test needs one")


# --- places -----------------------------------------------------------------------------------------------


@cache
def _locate(query: str) -> Place | None:
    return locate(query)


def place(query: str) -> Place:
    """Where the app's offline gazetteer puts ``query`` (a ZIP or "City, ST"), and the label it shows."""
    found = _locate(query)
    assert found is not None, f"the gazetteer does not know {query!r}"
    return found


def zip_searches() -> Iterator[str]:
    """The clinics' ZIPs the gazetteer knows, distinct, in file order."""
    return (z for z in dict.fromkeys(clinics()["zip"].astype(str)) if _locate(z) is not None)


def city_searches() -> Iterator[str]:
    """The clinics' towns as "City, ST", distinct, in file order (those the gazetteer knows)."""
    frame = clinics()
    towns = dict.fromkeys(f"{c}, {s}" for c, s in zip(frame["city"], frame["state"], strict=True))
    return (t for t in towns if _locate(t) is not None)


def near(query: str, radius_km: float) -> pd.DataFrame:
    """The clinics the app counts as within ``radius_km`` of ``query`` (vetting.filters.within)."""
    p = place(query)
    return within(clinics(), p.latitude, p.longitude, radius_km)


def criterion_states(clinic_id: str) -> pd.Series:
    """One clinic's state of each criterion, by criterion id."""
    frame = clinics()
    return states().loc[frame.index[frame["clinic_id"] == clinic_id][0]]
