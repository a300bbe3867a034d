"""The obvious implementations, kept as baselines: what the fast code is measured against.

Each does the same job as its fast counterpart, one clinic (row) at a time in Python:
- `load_rows`: csv.DictReader, every cell checked with `re`/sets/`float()` in a per-row loop;
- `score_rows`: `DataFrame.apply(axis=1)` with the checklist evaluated per clinic;
- `nearby_rows`: `geopy.distance.geodesic` per clinic via `DataFrame.apply`, then filter, sort, top 50;
- `query_rows`: per-row score, per-row geodesic and per-row filters, then sort.
They are correct (tests/ compare them with the fast code on the sample) but not tuned, on purpose.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from geopy.distance import geodesic

from vetting import kinds as Kind
from vetting.checklist import Checklist, load_checklist
from vetting.contract import COLUMNS
from vetting.kinds import (
    FALSE_SPELLINGS,
    MIN_YEAR_OPENED,
    MONEY_RE,
    NUMBER_RE,
    STATES,
    TRUE_SPELLINGS,
    UNKNOWN_SPELLINGS,
    ValueKind,
)

_NUMBER, _MONEY = re.compile(NUMBER_RE), re.compile(MONEY_RE)
_ZIP, _ID = re.compile(r"\d{5}(?:-\d{4})?"), re.compile(r"[A-Za-z0-9_-]+")
_URL, _DATE = re.compile(r"https?://[^\s/?#]+\.[^\s/?#]+[^\s]*", re.I), re.compile(r"\d{4}-\d{2}-\d{2}")


def _cell(kind: ValueKind, value: str, vocabulary: tuple[str, ...], today: dt.date) -> tuple[bool, object]:
    """(valid?, typed value) of one cell."""
    if value == "":
        return True, None
    low = value.lower()
    if kind is Kind.TRISTATE:
        if low in TRUE_SPELLINGS:
            return True, True
        if low in FALSE_SPELLINGS:
            return True, False
        return low in UNKNOWN_SPELLINGS, None
    if kind is Kind.STATE:
        return value.upper() in STATES, value.upper()
    if kind is Kind.ZIP:
        return bool(_ZIP.fullmatch(value)), value[:5]
    if kind is Kind.ID:
        return bool(_ID.fullmatch(value)), value
    if kind is Kind.URL:
        return bool(_URL.fullmatch(value)), value
    if kind in (Kind.LATITUDE, Kind.LONGITUDE, Kind.RATING, Kind.WHOLE, Kind.YEAR, Kind.MONEY):
        pattern = _MONEY if kind is Kind.MONEY else _NUMBER
        if not pattern.fullmatch(value):
            return False, None
        x = float(value.replace("$", "").replace(",", "").replace(" ", ""))
        lo, hi = {Kind.LATITUDE: (-90, 90), Kind.LONGITUDE: (-180, 180), Kind.RATING: (1, 5),
                  Kind.YEAR: (MIN_YEAR_OPENED, today.year)}.get(kind, (0, float("inf")))
        return lo <= x <= hi, x
    if kind is Kind.CHOICE:
        return low in vocabulary, low
    if kind is Kind.LIST:
        items = [p.strip().lower() for p in value.split(";") if p.strip()]
        return all(i in vocabulary for i in items), ";".join(v for v in vocabulary if v in items)
    if kind is Kind.DATE:
        try:
            day = dt.date.fromisoformat(value) if _DATE.fullmatch(value) else None
        except ValueError:
            day = None
        return day is not None and day <= today, pd.Timestamp(day) if day else None
    return True, value


def load_rows(path: str | Path, today: dt.date) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Read and validate row by row; (typed frame, [(row, column) of each problem])."""
    problems: list[tuple[int, str]] = []
    records = []
    seen: set[str] = set()
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row_number, row in enumerate(csv.DictReader(f), start=2):
            record = {}
            for column in COLUMNS:
                value = (row.get(column.name) or "").strip()
                ok, typed = _cell(column.kind, value, column.vocabulary, today)
                if column.required and value == "":
                    ok = False
                if not ok:
                    problems.append((row_number, column.name))
                record[column.name] = typed
            if record["clinic_id"] in seen:
                problems.append((row_number, "clinic_id"))
            seen.add(record["clinic_id"])
            records.append(record)
    frame = pd.DataFrame.from_records(records, columns=[c.name for c in COLUMNS])
    return frame, problems


def _state(row: pd.Series, evaluate: Mapping, today: dt.date) -> str:
    """'met' / 'not met' / 'unknown' of one criterion for one clinic."""
    kind = evaluate["kind"]

    def known(value: object) -> bool:
        return value is not None and not pd.isna(value)

    if kind == "tristate":
        value = row[evaluate["column"]]
        return "unknown" if not known(value) else "met" if bool(value) else "not met"
    if kind == "one_of":
        value = row[evaluate["column"]]
        return "unknown" if not known(value) else "met" if value in evaluate["values"] else "not met"
    if kind == "at_least":
        value = row[evaluate["column"]]
        need = evaluate["min"]
        routes = row["routes"] if known(row["routes"]) else ""
        if "when_route" in evaluate and evaluate["when_route"] in str(routes).split(";"):
            need = evaluate["min_when"]
        return "unknown" if not known(value) else "met" if value >= need else "not met"
    if kind == "reviews":
        rating, count = row[evaluate["rating_column"]], row[evaluate["count_column"]]
        if (known(rating) and rating < evaluate["min_rating"]) or (known(count) and count < evaluate["min_count"]):
            return "not met"
        return "met" if known(rating) and known(count) else "unknown"
    if kind == "years_open":
        year = row[evaluate["column"]]
        return "unknown" if not known(year) else "met" if today.year - year >= evaluate["min_years"] else "not met"
    raise ValueError(kind)


def score_row(row: pd.Series, checklist: Checklist, weights: Mapping[str, float], today: dt.date) -> pd.Series:
    """One clinic's score, grade and red flags, criterion by criterion."""
    met = applicable = 0.0
    red, unverified = [], []
    routes = str(row["routes"]).split(";") if row["routes"] is not None and not pd.isna(row["routes"]) else []
    for c in checklist.criteria:
        if c.applies_when_route and c.applies_when_route not in routes:
            continue
        state = _state(row, c.evaluate, today)
        w = weights.get(c.id, c.weight)
        applicable += w
        met += w if state == "met" else 0.0
        if c.critical and state == "not met":
            red.append(c.id)
        if c.critical and state == "unknown":
            unverified.append(c.id)
    value = round(100.0 * met / applicable, 1) if applicable else float("nan")
    g = checklist.grading
    grade = next((letter for letter in g.letters[:-1] if value >= g.thresholds[letter]), g.letters[-1])
    if unverified and g.letters.index(grade) < g.letters.index(g.unverified_grade_cap):
        grade = g.unverified_grade_cap
    if red:
        grade = g.red_flag_grade
    return pd.Series({"score": value, "grade": grade, "red_flags": ";".join(red),
                      "unverified": ";".join(unverified), "n_red_flags": len(red)})


def score_rows(frame: pd.DataFrame, weights: Mapping[str, float] | None = None,
               today: dt.date = dt.date(2026, 11, 1)) -> pd.DataFrame:
    """`DataFrame.apply` scoring: one Python call per clinic."""
    checklist = load_checklist()
    return frame.apply(score_row, axis=1, args=(checklist, weights or {}, today))


def nearby_rows(frame: pd.DataFrame, lat: float, lon: float, radius_km: float, limit: int = 50) -> pd.DataFrame:
    """Per-row geodesic distance, radius filter, sort, top `limit`."""
    def distance(row: pd.Series) -> float:
        if pd.isna(row["latitude"]) or pd.isna(row["longitude"]):
            return float("nan")
        return geodesic((lat, lon), (row["latitude"], row["longitude"])).km

    out = frame.assign(distance_km=frame.apply(distance, axis=1))
    out = out[out["distance_km"] <= radius_km]
    return out.sort_values("distance_km", kind="stable").head(limit)


def query_rows(frame: pd.DataFrame, lat: float, lon: float, radius_km: float, route: str, max_price: float,
               weights: Mapping[str, float] | None = None, today: dt.date = dt.date(2026, 11, 1),
               limit: int = 50) -> pd.DataFrame:
    """A patient's query done the obvious way: score, distance and filters per row, then sort."""
    scored = frame.join(score_rows(frame, weights, today))
    scored["distance_km"] = scored.apply(
        lambda r: geodesic((lat, lon), (r["latitude"], r["longitude"])).km
        if not (pd.isna(r["latitude"]) or pd.isna(r["longitude"])) else float("nan"), axis=1)
    keep = scored.apply(
        lambda r: r["distance_km"] <= radius_km and r["n_red_flags"] == 0
        and route in str(r["routes"]).split(";")
        and not pd.isna(r["price_per_session_usd"]) and r["price_per_session_usd"] <= max_price, axis=1)
    return scored[keep.astype(bool)].sort_values(["score", "name"], ascending=[False, True]).head(limit)



def _said(value: object, kind: str) -> str:
    """One answer as text to compare, the obvious way per cell."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = str(value).strip().lower()
    if kind == "tristate":
        return {"yes": "yes", "true": "yes", "y": "yes", "1": "yes", "no": "no", "false": "no", "n": "no",
                "0": "no"}.get(text, text)
    if kind in ("money", "whole", "rating", "year", "latitude", "longitude"):
        try:
            return f"{float(text.replace('$', '').replace(',', '')):g}"
        except ValueError:
            return text
    if kind == "list":
        return ";".join(sorted(p.strip() for p in text.split(";") if p.strip()))
    return " ".join(text.split())


def verification_rows(clinics: pd.DataFrame, states: pd.DataFrame, evidence: pd.DataFrame,
                      checklist: Checklist) -> dict[tuple[str, str], str]:
    """Each clinic's criteria as verified / stated / not verified / not applicable, row by row: the latest
    evidence per clinic and field in a dict, each compared with the clinic's row."""
    from vetting.contract import BY_NAME
    from vetting.evidence import criterion_fields

    latest: dict[tuple[str, str], dict] = {}
    for r in evidence.to_dict("records"):
        key = (r["clinic_id"], r["field"])
        if key not in latest or r["checked_on"] >= latest[key]["checked_on"]:
            latest[key] = r
    rows = {r["clinic_id"]: r for r in clinics.to_dict("records")}
    agrees = {key: _said(r["value"], BY_NAME[key[1]].kind.name) == _said(rows[key[0]][key[1]],
                                                                         BY_NAME[key[1]].kind.name)
              for key, r in latest.items() if key[0] in rows}
    out = {}
    for cid, state in zip(states.index, states.to_dict("records"), strict=True):
        for c in checklist.criteria:
            s = state[c.id]
            out[(cid, c.id)] = ("not applicable" if s == -2 else "not verified" if s == -1 else "verified"
                                if all(agrees.get((cid, f), False) for f in criterion_fields(c)) else "stated")
    return out
