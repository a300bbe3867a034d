"""The pandera schema of the clinics CSV, checked on the raw text before any conversion.

Every check is vectorised over a column of stripped strings; an empty string means "no value".
Failures come back as :class:`Issue` objects that name the spreadsheet row and the column.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc

from .contract import (
    BY_NAME,
    FALSE_SPELLINGS,
    STATES,
    TRUE_SPELLINGS,
    UNKNOWN_SPELLINGS,
    Column,
    Kind,
)

HEADER_ROW = 1
FIRST_DATA_ROW = 2
MIN_YEAR_OPENED = 1990

NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
MONEY = r"-?\$?\s*-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in the file: a spreadsheet row (1 = header), a column and what is wrong."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass(frozen=True)
class Rule:
    """A vectorised check: `ok` maps a text column to True where the value is acceptable."""

    name: str
    ok: Callable[[pd.Series], pd.Series]
    message: Callable[[str], str]


def _q(value: str) -> str:
    """Quote a cell value for a message, shortened when long."""
    shown = value if len(value) <= 60 else value[:57] + "..."
    return f'"{shown}"' if "'" in shown else f"'{shown}'"


def _blank_or(pred: Callable[[pd.Series], pd.Series]) -> Callable[[pd.Series], pd.Series]:
    return lambda s: (s == "") | pred(s)


def _arrow_text(s: pd.Series) -> pa_arrow.ChunkedArray:
    """The Arrow strings behind a text column (zero-copy for pandas' Arrow-backed 'str' dtype)."""
    if isinstance(s.dtype, pd.CategoricalDtype):  # the fast reader's yes/no and choice columns
        categories = pa_arrow.array(s.cat.categories.to_numpy(dtype=object), type=pa_arrow.large_string())
        codes = s.cat.codes.to_numpy()
        return pa_arrow.chunked_array([pc.take(categories, pa_arrow.array(codes, mask=codes < 0))])
    if hasattr(s.array, "__arrow_array__"):
        return s.array.__arrow_array__()
    return pa_arrow.chunked_array([pa_arrow.array(s.to_numpy(dtype=object), type=pa_arrow.string(),
                                                  from_pandas=True)])


def _mask(values: pa_arrow.ChunkedArray, index: pd.Index) -> pd.Series:
    """An Arrow boolean result as a pandas bool Series (null -> False)."""
    return pd.Series(pc.fill_null(values, False).to_numpy(zero_copy_only=False), index=index, dtype=bool)


def fullmatch(s: pd.Series, pattern: str) -> pd.Series:
    """Where the whole text matches `pattern`, case-insensitively (Arrow's RE2 kernel, no Python loop)."""
    return _mask(pc.match_substring_regex(_arrow_text(s), f"^(?:{pattern})$", ignore_case=True), s.index)


def _matches(pattern: str) -> Callable[[pd.Series], pd.Series]:
    return _blank_or(lambda s: fullmatch(s, pattern))


_DECIMAL = rf"^(?:{NUMBER}(?:[eE][+-]?\d+)?)$"


Memo = dict  # per-load cache of parsed columns, keyed by (what, column name): the check and the typing share it


def _memoised(what: str) -> Callable:
    """Keep a column parser's answer in the caller's memo under (what, column name), when one is given."""
    def wrap(parse: Callable) -> Callable:
        @functools.wraps(parse)
        def parse_once(s: pd.Series, memo: Memo | None = None):
            if memo is None:
                return parse(s)
            key = (what, s.name)
            if key not in memo:
                memo[key] = parse(s)
            return memo[key]

        return parse_once

    return wrap


@_memoised("number")


def parse_number(s: pd.Series) -> pd.Series:
    """Numbers where the text parses (money spellings like '$1,200' included), NaN elsewhere.

    All in Arrow kernels: '$', ',' and spaces are dropped when the column has any, then the text is
    cast to float; only when some cell is not a number does a regex pick the cells that are."""
    text = _arrow_text(s)
    for mark in ("$", ","):  # literal searches: cheaper than one regex
        if pc.any(pc.match_substring(text, mark)).as_py():
            text = pc.replace_substring(pc.replace_substring(text, mark, ""), " ", "")
    text = pc.if_else(pc.equal(text, ""), None, text)
    try:
        values = pc.cast(text, pa_arrow.float64())
    except pa_arrow.ArrowInvalid:
        decimal = pc.fill_null(pc.match_substring_regex(text, _DECIMAL), False)
        values = pc.cast(pc.if_else(decimal, text, None), pa_arrow.float64())
    return pd.Series(values.to_numpy(zero_copy_only=False), index=s.index, dtype="float64")


TRUE, FALSE, UNKNOWN, INVALID = 1, 0, -1, -2


@_memoised("tristate")
def tristate_codes(s: pd.Series) -> np.ndarray:
    """int8 per cell: 1 yes, 0 no, -1 unknown (empty), -2 not a yes/no/unknown spelling.

    Decided once per distinct spelling (Arrow dictionary encoding), then spread to every row."""
    if isinstance(s.dtype, pd.CategoricalDtype):  # already one entry per spelling
        spellings, indices = list(s.cat.categories), s.cat.codes.to_numpy()
    else:
        encoded = pc.dictionary_encode(_arrow_text(s)).combine_chunks()
        spellings = encoded.dictionary.to_pylist()
        indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    meaning = {**dict.fromkeys(TRUE_SPELLINGS, TRUE), **dict.fromkeys(FALSE_SPELLINGS, FALSE),
               **dict.fromkeys(UNKNOWN_SPELLINGS, UNKNOWN)}
    table = np.array([meaning.get(str(v).lower(), INVALID) for v in spellings] + [UNKNOWN],
                     dtype=np.int8)  # the last entry, for index -1 (a missing cell), counts as unknown
    return table[indices]


def lower_in(s: pd.Series, values: Iterable[str]) -> pd.Series:
    """Where the lower-cased text is one of `values` (Arrow kernels)."""
    text = _arrow_text(s)
    allowed = pa_arrow.array(sorted(set(values)), type=text.type)
    return _mask(pc.is_in(pc.utf8_lower(text), value_set=allowed), s.index)


def _within(lo: float, hi: float, memo: Memo | None) -> Callable[[pd.Series], pd.Series]:
    def ok(s: pd.Series) -> pd.Series:
        x = parse_number(s, memo)
        return x.isna() | x.between(lo, hi)

    return ok


def _not_negative(memo: Memo | None) -> Callable[[pd.Series], pd.Series]:
    def ok(s: pd.Series) -> pd.Series:
        x = parse_number(s, memo)
        return x.isna() | (x >= 0)

    return ok


def _in_vocabulary(values: Iterable[str]) -> Callable[[pd.Series], pd.Series]:
    allowed = frozenset(values)
    return lambda s: lower_in(s, allowed)


def list_unknown_items(value: str, vocabulary: Iterable[str]) -> list[str]:
    """The items of a `;`-separated list that are not in the vocabulary."""
    allowed = set(vocabulary)
    return [item for item in (p.strip().lower() for p in value.split(";")) if item and item not in allowed]


def _list_ok(vocabulary: tuple[str, ...]) -> Callable[[pd.Series], pd.Series]:
    def ok(s: pd.Series) -> pd.Series:
        # Lists repeat a handful of distinct values: check each distinct value once.
        codes, uniques = pd.factorize(s)
        good = pd.Series([not list_unknown_items(u, vocabulary) for u in uniques], dtype=bool)
        return pd.Series(good.to_numpy()[codes], index=s.index)

    return ok


@_memoised("date")
def parse_date(s: pd.Series) -> pd.Series:
    """YYYY-MM-DD text as datetimes (NaT where it is not a real date); each distinct date parsed once."""
    codes, uniques = pd.factorize(s)
    parsed = pd.to_datetime(pd.Series(uniques, dtype=object), format="%Y-%m-%d", errors="coerce")
    x = pd.Series(parsed.to_numpy().take(codes, mode="clip"), index=s.index, name=s.name)
    x[codes < 0] = pd.NaT
    return x


def _date_ok(memo: Memo | None) -> Callable[[pd.Series], pd.Series]:
    def ok(s: pd.Series) -> pd.Series:
        return (s == "") | (parse_date(s, memo).notna() & fullmatch(s, r"\d{4}-\d{2}-\d{2}"))

    return ok


def _not_future(today: dt.date, memo: Memo | None) -> Callable[[pd.Series], pd.Series]:
    def ok(s: pd.Series) -> pd.Series:
        parsed = parse_date(s, memo)
        return parsed.isna() | (parsed <= pd.Timestamp(today))

    return ok


def rules_for(column: Column, today: dt.date, memo: Memo | None = None) -> list[Rule]:
    """The checks one contract column gets, in the order they are reported (`memo` keeps parsed columns)."""
    rules: list[Rule] = []
    if column.required:
        rules.append(Rule("required", lambda s: s != "", lambda v: "is required but empty"))
    k = column.kind
    if k is Kind.ID:
        rules.append(Rule("id_chars", _matches(r"[A-Za-z0-9_-]+"),
                          lambda v: f"{_q(v)} may contain only letters, digits, '-' and '_'"))
        rules.append(Rule("unique", lambda s: (s == "") | ~s.duplicated(keep="first"),
                          lambda v: f"duplicate clinic_id {_q(v)}"))
    if column.max_length:
        n = column.max_length
        rules.append(Rule("max_length", lambda s: s.str.len() <= n,
                          lambda v: f"is {len(v)} characters long; at most {n} are allowed"))
    if k is Kind.STATE:
        rules.append(Rule("state", _blank_or(lambda s: s.str.upper().isin(STATES)),
                          lambda v: f"{_q(v)} is not a USPS state code (a state, DC or PR, e.g. CO)"))
    elif k is Kind.ZIP:
        rules.append(Rule("zip", _matches(r"\d{5}(?:-\d{4})?"), _zip_message))
    elif k in (Kind.LATITUDE, Kind.LONGITUDE):
        limit = 90 if k is Kind.LATITUDE else 180
        rules.append(Rule("number", _matches(NUMBER),
                          lambda v: f"{_q(v)} is not a number of decimal degrees"))
        rules.append(Rule("range", _within(-limit, limit, memo),
                          lambda v, lim=limit: f"{v} is out of range (-{lim} to {lim})"))
    elif k is Kind.URL:
        rules.append(Rule("url", _matches(r"https?://[^\s/?#]+\.[^\s/?#]+[^\s]*"),
                          lambda v: f"{_q(v)} is not a web link: it must start with http:// or https://"))
    elif k is Kind.TRISTATE:
        rules.append(Rule("tristate", lambda s: pd.Series(tristate_codes(s, memo) != INVALID, index=s.index),
                          lambda v: f"{_q(v)} is not yes, no or empty (unknown); "
                                    "also accepted: true/false, y/n, 1/0"))
    elif k is Kind.CHOICE:
        allowed = ", ".join(column.vocabulary)
        rules.append(Rule("choice", _blank_or(_in_vocabulary(column.vocabulary)),
                          lambda v: f"{_q(v)} is not one of: {allowed} (or empty)"))
    elif k is Kind.WHOLE:
        rules.append(Rule("whole", _matches(r"-?\d+"), lambda v: f"{_q(v)} is not a whole number"))
        rules.append(Rule("not_negative", _not_negative(memo), lambda v: f"{v} is negative"))
    elif k is Kind.RATING:
        rules.append(Rule("number", _matches(NUMBER), lambda v: f"{_q(v)} is not a number"))
        rules.append(Rule("range", _within(1.0, 5.0, memo), lambda v: f"{v} is out of range (1.0 to 5.0)"))
    elif k is Kind.YEAR:
        year = today.year
        rules.append(Rule("whole", _matches(r"\d+"), lambda v: f"{_q(v)} is not a year"))
        rules.append(Rule("range", _within(MIN_YEAR_OPENED, year, memo),
                          lambda v: f"{v} is out of range ({MIN_YEAR_OPENED} to {year})"))
    elif k is Kind.MONEY:
        rules.append(Rule("money", _matches(MONEY), lambda v: f"{_q(v)} is not an amount of US dollars"))
        rules.append(Rule("not_negative", _not_negative(memo), lambda v: f"{v} is negative"))
    elif k is Kind.LIST:
        allowed = ", ".join(column.vocabulary)
        rules.append(Rule("list", _list_ok(column.vocabulary),
                          lambda v: f"unknown {_item_word(column.name)} "
                                    f"{', '.join(map(_q, list_unknown_items(v, column.vocabulary)))} "
                                    f"(allowed: {allowed}, separated by ';')"))
    elif k is Kind.DATE:
        rules.append(Rule("date", _date_ok(memo), lambda v: f"{_q(v)} is not a date written YYYY-MM-DD"))
        rules.append(Rule("not_future", _not_future(today, memo), lambda v: f"{v} is in the future"))
    return rules


def _item_word(column: str) -> str:
    return {"routes": "route", "conditions": "condition"}.get(column, "value")


def _zip_message(value: str) -> str:
    if value.isdigit() and 3 <= len(value) < 5:
        return (f"{_q(value)} is not a 5-digit ZIP code (a leading zero may have been lost: "
                f"did you mean {value.zfill(5)}?)")
    return f"{_q(value)} is not a 5-digit ZIP code"


COORDS_PAIR = "coords_pair"


def _checked(rule: Rule, key: str, memo: Memo | None) -> Callable[[pd.Series], pd.Series]:
    """The rule's check, answered from `memo` when `precheck` already ran it."""
    def ok(s: pd.Series) -> pd.Series:
        answer = memo.pop(("check", key), None) if memo is not None else None
        if answer is None:
            return rule.ok(s)
        return pd.Series(True, index=s.index) if answer is True else answer

    return ok


def build_schema(columns: Iterable[str], today: dt.date, memo: Memo | None = None
                 ) -> tuple[pa.DataFrameSchema, dict[str, Rule]]:
    """The schema for the contract columns present in a file, and its rules by check name."""
    present = [c for c in columns if c in BY_NAME]
    by_check: dict[str, Rule] = {}
    cols: dict[str, pa.Column] = {}
    for name in present:
        checks = []
        for rule in rules_for(BY_NAME[name], today, memo):
            key = f"{name}:{rule.name}"
            by_check[key] = rule
            checks.append(pa.Check(_checked(rule, key, memo), name=key, error=key))
        # dtype None: every column is text by construction (the reader makes it so); pandera's dtype
        # check cost ~5 ms a column whatever the row count.
        cols[name] = pa.Column(None, checks=checks, nullable=False, coerce=False)
    wide: list[pa.Check] = []
    if "latitude" in present and "longitude" in present:
        wide.append(pa.Check(lambda df: (df["latitude"] == "") == (df["longitude"] == ""),
                             name=COORDS_PAIR, error=COORDS_PAIR))
    return pa.DataFrameSchema(cols, checks=wide, strict=False, ordered=False), by_check


def precheck(raw: pd.DataFrame, today: dt.date, memo: Memo, workers: int = 2) -> None:
    """Run every column's rules, `workers` columns at a time, keeping the answers (and the numbers, dates
    and yes/no answers parsed on the way) in `memo`; pandera's validation then reads them from there.

    The work is in Arrow and pandas kernels, which release the GIL, so threads use every core."""
    from concurrent.futures import ThreadPoolExecutor

    def run(name: str) -> None:
        s = raw[name]
        for rule in rules_for(BY_NAME[name], today, memo):
            passed = rule.ok(s)
            # True when every cell passed (the usual case): a million-row answer is not kept for nothing
            memo[("check", f"{name}:{rule.name}")] = True if bool(passed.all()) else passed

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, [c for c in raw.columns if c in BY_NAME]))


def check_text(raw: pd.DataFrame, today: dt.date, memo: Memo | None = None) -> list[Issue]:
    """Validate a frame of stripped strings; return every problem, sorted by row then column order.

    Pass a dict as `memo` to keep the numbers and yes/no answers parsed on the way, for `load.to_typed`."""
    schema, by_check = build_schema(raw.columns, today, memo)
    try:
        schema.validate(raw, lazy=True)
    except pa.errors.SchemaErrors as err:
        return _issues_from(err.failure_cases, raw, by_check)
    return []


def _issues_from(failures: pd.DataFrame, raw: pd.DataFrame, by_check: dict[str, Rule]) -> list[Issue]:
    issues: list[Issue] = []
    first_row: dict[str, int] = {}
    if "clinic_id" in raw:
        firsts = raw["clinic_id"].drop_duplicates(keep="first")
        first_row = dict(zip(firsts.to_numpy(), firsts.index + FIRST_DATA_ROW, strict=True))
    cols = [failures[c].to_numpy() for c in ("check", "column", "failure_case", "index")]
    for check, column, value, index in zip(*cols, strict=True):
        if index is None or pd.isna(index):
            continue  # whole-frame failures are reported row by row below
        row = int(index) + FIRST_DATA_ROW
        if check == COORDS_PAIR:
            lat_blank = raw.at[index, "latitude"] == ""
            missing, given = ("latitude", "longitude") if lat_blank else ("longitude", "latitude")
            issues.append(Issue(row, missing, f"is empty but {given} is given (give both or neither)"))
            continue
        rule = by_check.get(str(check))
        if rule is None:  # a pandera-level failure (e.g. dtype): report it plainly
            issues.append(Issue(row, str(column), f"{check}: {value!r}"))
            continue
        message = rule.message(str(value))
        if rule.name == "unique":
            message += f" (first used on row {first_row[value]})"
        issues.append(Issue(row, str(column), message))
    return sort_issues(issues, raw.columns)


def sort_issues(issues: Iterable[Issue], columns: Iterable[str]) -> list[Issue]:
    """Distinct issues by row, then in the file's column order."""
    order = {name: i for i, name in enumerate(columns)}
    return sorted(set(issues), key=lambda i: (i.row, order.get(i.column, len(order)), i.message))
