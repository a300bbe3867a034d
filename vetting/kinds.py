"""The value kinds of the clinics CSV, each declared once: its rules (with their messages), its parser from
the file's text to typed values, and its formatter back to text.

The contract's columns name a kind (vetting.contract); the validator (vetting.validate), the exports and the
diff read these entries and nothing else, so adding a kind, or a column of a kind, is one entry.

Every check is vectorised over a column of stripped strings ('' = empty) and runs in Arrow kernels or once
per distinct value; the regular expressions run in Arrow's RE2 engine, which never backtracks.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from .contract import Column

NUMBER_RE = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
MONEY_RE = r"-?\$?\s*-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
MIN_YEAR_OPENED = 1990
TRUE_SPELLINGS = ("yes", "true", "y", "1")
FALSE_SPELLINGS = ("no", "false", "n", "0")
UNKNOWN_SPELLINGS = ("", "unknown")
_USPS = ("AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY "
         "NC ND OH OK OR PA PR RI SC SD TN TX UT VT VA WA WV WI WY")
STATES: frozenset[str] = frozenset(_USPS.split(" "))
#: Characters no cell may hold: C0/C1 controls (tab and line breaks aside) and the bidirectional controls
#: that reorder text on screen (ranges of code points, inclusive).
INVISIBLE_RANGES = ((0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x9F), (0x61C, 0x61C), (0x200E, 0x200F),
                    (0x202A, 0x202E), (0x2066, 0x2069))
_INVISIBLE_RE2 = "[" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in INVISIBLE_RANGES) + "]"
_INVISIBLE_CODES = frozenset(c for a, b in INVISIBLE_RANGES for c in range(a, b + 1))
#: A web link: an ASCII http(s) scheme and an ASCII host name with a dot (international names as punycode).
WEB_LINK = r"[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]{1,5})?(?:[/?#]\S*)?"
_NON_ASCII_HOST = r"[^:/?#\s]*://[^/?#\s]*[^\x{00}-\x{7f}]"


# ------------------------------------------------------------------ a column's cells
class Cells:
    """One column of a file as stripped text ('' = empty), with the views its rules share, each made once."""

    def __init__(self, text: pd.Series) -> None:
        self.text = text

    @property
    def index(self) -> pd.Index:
        return self.text.index

    @cached_property
    def arrow(self) -> pa.ChunkedArray:
        """The Arrow strings behind the column (zero-copy for pandas' Arrow-backed 'str' dtype)."""
        s = self.text
        if isinstance(s.dtype, pd.CategoricalDtype):  # the fast reader's yes/no and choice columns
            categories = pa.array(s.cat.categories.to_numpy(dtype=object), type=pa.large_string())
            codes = s.cat.codes.to_numpy()
            return pa.chunked_array([pc.take(categories, pa.array(codes, mask=codes < 0))])
        if hasattr(s.array, "__arrow_array__"):
            return s.array.__arrow_array__()
        return pa.chunked_array([pa.array(s.to_numpy(dtype=object), type=pa.string(), from_pandas=True)])

    def each(self, test: Callable[[pa.Array | pa.ChunkedArray], pa.Array | pa.ChunkedArray]) -> np.ndarray:
        """An Arrow boolean kernel's answer per cell (null -> False). A categorical column (the fast reader's
        yes/no and choice columns) is tested once per category, not once per row."""
        s = self.text
        if isinstance(s.dtype, pd.CategoricalDtype):
            categories = pa.array(s.cat.categories.to_numpy(dtype=object), type=pa.large_string())
            per_category = np.append(_mask(test(categories)), False)
            return per_category[s.cat.codes.to_numpy()]  # code -1 (no text) picks the trailing False
        return _mask(test(self.arrow))

    @cached_property
    def blank(self) -> np.ndarray:
        """Where the cell is empty."""
        return self.each(lambda a: pc.equal(pc.binary_length(a), 0)) | self.text.isna().to_numpy()

    @cached_property
    def not_plain(self) -> np.ndarray:
        """Where a cell holds anything but printable ASCII (non-ASCII letters, tabs, line breaks, controls)."""
        return self.each(lambda a: pc.invert(pc.ascii_is_printable(a)))

    def containing_unusual(self, pattern: str) -> np.ndarray:
        """Where a cell contains `pattern`, a pattern that can only match outside printable ASCII: only those
        cells are searched (most columns of most files have none, so this costs one quick pass)."""
        return self.where(self.not_plain, lambda a: pc.match_substring_regex(a, pattern))

    def where(self, rows: np.ndarray, test: Callable[[pa.Array | pa.ChunkedArray], pa.Array]) -> np.ndarray:
        """`test` (an Arrow boolean kernel) of the cells where `rows` holds, False elsewhere: a costly test
        of the few cells that need it."""
        found = np.zeros(len(self.text), dtype=bool)
        picked = np.flatnonzero(rows)
        if len(picked):
            found[picked] = _mask(test(pa.array(self.text.iloc[picked].to_numpy(dtype=object),
                                                type=pa.large_string())))
        return found

    def matches(self, pattern: str, ignore_case: bool = True) -> np.ndarray:
        """Where the whole text matches `pattern` (RE2: linear time, no backtracking)."""
        return self.each(lambda a: pc.match_substring_regex(a, f"^(?:{pattern})$", ignore_case=ignore_case))

    @cached_property
    def distinct(self) -> tuple[list[str], np.ndarray]:
        """(distinct texts, each row's position among them): per-value work is done once per spelling."""
        s = self.text
        if isinstance(s.dtype, pd.CategoricalDtype):
            return [str(c) for c in s.cat.categories], s.cat.codes.to_numpy()
        codes, uniques = pd.factorize(s)
        return [str(u) for u in uniques], codes

    def per_distinct(self, fn: Callable[[str], object], dtype, missing) -> np.ndarray:
        """`fn` of each row's text, computed once per distinct text (`missing` where a cell has none)."""
        texts, codes = self.distinct
        table = np.array([fn(t) for t in texts] + [missing], dtype=dtype)
        return table[codes]  # code -1 (no text) picks the trailing `missing`

    @cached_property
    def first_rows(self) -> dict[str, tuple[int, str]]:
        """Each distinct lower-cased text's first row (its index label) and its spelling there."""
        firsts = self.text[~self.text.str.lower().duplicated(keep="first")]
        return {t.lower(): (i, t) for t, i in zip(firsts.to_numpy(dtype=object), firsts.index, strict=True)}


def web_link(value: object) -> str | None:
    """`value` if it is a web link the contract accepts (an ASCII http(s) scheme and host), else None: the
    same RE2 pattern as the url kind's rule, so a page links exactly what validation lets through."""
    if not isinstance(value, str) or not value or len(value) > 2000:
        return None
    found = pc.match_substring_regex(pa.array([value]), f"^(?:{WEB_LINK})$")[0].as_py()
    return value if found and not _is_invisible_any(value) else None


def _is_invisible_any(text: str) -> bool:
    return any(ord(c) in _INVISIBLE_CODES for c in text)


def _mask(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """An Arrow boolean result as a numpy bool array (null -> False)."""
    return pc.fill_null(values, False).to_numpy(zero_copy_only=False)


# ------------------------------------------------------------------ rules and kinds
Message = Callable[[str, Cells], str]


@dataclass(frozen=True)
class Rule:
    """A check a cell must pass: `bad(cells, values)` marks the cells that fail; `message(text, cells)` says why.

    `values` are the column's typed values (the kind's parser's output). Empty cells never fail a rule,
    except 'required'."""

    name: str
    bad: Callable[[Cells, pd.Series], np.ndarray]
    message: Message


@dataclass(frozen=True)
class ValueKind:
    """What one kind of value means: how its text becomes typed values, the rules it must pass, and how
    typed values are written back as contract text ('' for unknown)."""

    name: str
    parse: Callable[[Cells, Column], pd.Series]
    rules: Callable[[Column, dt.date], Sequence[Rule]] = lambda column, today: ()
    format: Callable[[pd.Series], pd.Series] = field(default=lambda s: as_text(s))
    few_values: bool = False  # a handful of spellings: readers keep each once (dictionary-encoded)

    def __repr__(self) -> str:
        return f"ValueKind({self.name!r})"


def visible(text: str) -> str:
    """`text` with every invisible character written as its code (<U+202E>), so it cannot act on a screen."""
    return text.translate(_SHOWN)


def strip_invisible(text: str) -> str:
    """`text` without its invisible characters (for what a terminal or a page shows)."""
    return text.translate(_DROPPED)


_SHOWN = {c: f"<U+{c:04X}>" for c in _INVISIBLE_CODES}
_DROPPED = dict.fromkeys(_INVISIBLE_CODES)


def _is_invisible(c: str) -> bool:
    return ord(c) in _INVISIBLE_CODES


def shown(value: str) -> str:
    """A cell value for a message: shortened when long, invisible characters shown as codes."""
    return visible(value if len(value) <= 60 else value[:57] + "...")


def quote(value: str) -> str:
    """A cell value for a message, in quotes (see `shown`)."""
    text = shown(value)
    return f'"{text}"' if "'" in text else f"'{text}'"


def says(template: str) -> Message:
    """A message from a template: {q} is the quoted cell, {v} the cell as written (see `shown`)."""
    return lambda v, _cells: template.format(q=quote(v), v=shown(v))


def not_matching(pattern: str, ignore_case: bool = True) -> Callable[[Cells, pd.Series], np.ndarray]:
    return lambda cells, _values: ~cells.blank & ~cells.matches(pattern, ignore_case)


def containing(pattern: str) -> Callable[[Cells, pd.Series], np.ndarray]:
    """Cells containing `pattern`: one that only matches characters outside printable ASCII."""
    return lambda cells, _values: cells.containing_unusual(pattern)


def outside(lo: float, hi: float, shape: str | None = None) -> Callable[[Cells, pd.Series], np.ndarray]:
    """Values below `lo` or above `hi`; with `shape`, also cells of that shape too big to hold a value."""
    def bad(cells: Cells, values: pd.Series) -> np.ndarray:
        out = ((values < lo) | (values > hi)).to_numpy(dtype=bool, na_value=False)
        return out | unheld(cells, values, shape) if shape else out

    return bad


def unheld(cells: Cells, values: pd.Series, shape: str) -> np.ndarray:
    """Cells written as `shape` whose value could not be held (a whole number beyond 2**53, say)."""
    return cells.where(values.isna().to_numpy() & ~cells.blank,
                       lambda a: pc.match_substring_regex(a, f"^(?:{shape})$", ignore_case=True))


def negative(_cells: Cells, values: pd.Series) -> np.ndarray:
    return (values < 0).to_numpy(dtype=bool, na_value=False)


def above_maximum(column: Column, shape: str, unit: str = "") -> list[Rule]:
    """The column's plausible maximum. A number too big to hold (a value of `shape` that parsed to
    nothing) and infinity are above it too."""
    if column.maximum is None:
        return []
    limit = column.maximum

    return [Rule("maximum", outside(-np.inf, limit, shape),
                 lambda v, _c: f"{quote(v)} is more than {unit}{limit:,.0f}, the most this column allows")]


def _invisible_message(value: str, _cells: Cells) -> str:
    c = next(c for c in value if _is_invisible(c))
    name = unicodedata.name(c, "a control character")
    return f"contains an invisible character (U+{ord(c):04X}, {name}) that could hide or reorder text: remove it"


def column_rules(column: Column) -> list[Rule]:
    """The rules every column gets from its own declaration (invisible characters, required, length),
    before its kind's."""
    rules = [Rule("visible", containing(_INVISIBLE_RE2), _invisible_message)]
    if not column.multiline:
        rules.append(Rule("one_line", containing(r"[\r\n]"),
                          says("has a line break in it: a quote earlier on this row may open a value that is "
                               "closed only on a later line (check the quotes)")))
    if column.required:
        rules.append(Rule("required", lambda cells, _v: cells.blank, says("is required but empty")))
    if column.max_length:
        n = column.max_length
        rules.append(Rule("max_length",  # characters are counted only in cells with more than n bytes
                          lambda cells, _v: cells.where(cells.each(lambda a: pc.greater(pc.binary_length(a), n)),
                                                        lambda a: pc.greater(pc.utf8_length(a), n)),
                          lambda v, _c: f"is {len(v)} characters long; at most {n} are allowed"))
    return rules


# ------------------------------------------------------------------ parsers and formatters
def as_text(s: pd.Series) -> pd.Series:
    """Typed values written back as text ('' for unknown)."""
    return s.astype("string").fillna("").astype(object)


def _decimal_text(s: pd.Series) -> pd.Series:
    """Numbers without a trailing '.0', rounded to 6 places ('' for unknown)."""
    return s.round(6).astype("string").str.replace(r"\.0$", "", regex=True).fillna("").astype(object)


def _text_values(cells: Cells, column: Column) -> pd.Series:
    """Text as written; an empty optional cell is missing (NaN)."""
    return cells.text if column.required else cells.text.replace("", np.nan)


def _number(text: pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """float64 where the text is a number (Arrow's cast), NaN elsewhere."""
    text = pc.if_else(pc.equal(text, ""), None, text)
    try:
        values = pc.cast(text, pa.float64())
    except pa.ArrowInvalid:  # some cell is not a number: cast only the ones that are
        decimal = pc.fill_null(pc.match_substring_regex(text, rf"^(?:{NUMBER_RE}(?:[eE][+-]?\d+)?)$"), False)
        values = pc.cast(pc.if_else(decimal, text, None), pa.float64())
    return pd.Series(values.to_numpy(zero_copy_only=False), index=index, dtype="float64")


def _decimal(cells: Cells, _column: Column) -> pd.Series:
    return _number(cells.arrow, cells.index)


def _whole(cells: Cells, column: Column) -> pd.Series:
    """Whole numbers as Int64 (missing where the text is not one, or too big to hold exactly)."""
    x = _decimal(cells, column)
    return x.where((x == np.floor(x)) & (x.abs() < 2.0**53)).astype("Int64")


def _money(cells: Cells, _column: Column) -> pd.Series:
    """Dollars: '$', ',' and spaces are dropped (literal searches, cheaper than a regex) before the cast."""
    text = cells.arrow
    for mark in ("$", ","):
        if pc.any(pc.match_substring(text, mark)).as_py():
            text = pc.replace_substring(pc.replace_substring(text, mark, ""), " ", "")
    return _number(text, cells.index)


TRUE, FALSE, UNKNOWN, INVALID = 1, 0, -1, -2
_MEANING = {**dict.fromkeys(TRUE_SPELLINGS, TRUE), **dict.fromkeys(FALSE_SPELLINGS, FALSE),
            **dict.fromkeys(UNKNOWN_SPELLINGS, UNKNOWN)}


def tristate_codes(cells: Cells) -> np.ndarray:
    """int8 per cell: 1 yes, 0 no, -1 unknown (empty), -2 not a yes/no/unknown spelling."""
    return cells.per_distinct(lambda t: _MEANING.get(t.lower(), INVALID), np.int8, UNKNOWN)


def _tristate(cells: Cells, _column: Column) -> pd.Series:
    """yes/no/unknown spellings -> pandas' three-valued 'boolean' dtype (unknown is <NA>, never False)."""
    codes = tristate_codes(cells)
    return pd.Series(pd.arrays.BooleanArray(codes == TRUE, codes < 0), index=cells.index, name=cells.text.name)


def _yes_no(s: pd.Series) -> pd.Series:
    return s.map({True: "yes", False: "no"}).astype(object).fillna("")


def _choice(cells: Cells, column: Column) -> pd.Series:
    """One of the column's vocabulary (any case) as a category; missing where empty or not in it."""
    position = {v: i for i, v in enumerate(column.vocabulary)}
    codes = cells.per_distinct(lambda t: position.get(t.lower(), -1), np.int64, -1)
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(column.vocabulary)), index=cells.index,
                     name=cells.text.name)


def list_unknown_items(value: str, vocabulary: Sequence[str]) -> list[str]:
    """The items of a `;`-separated list that are not in the vocabulary."""
    allowed = set(vocabulary)
    return [item for item in (p.strip().lower() for p in value.split(";")) if item and item not in allowed]


def _list(cells: Cells, column: Column) -> pd.Series:
    """`;` lists -> one canonical spelling (vocabulary order, no repeats), as a category."""
    texts, codes = cells.distinct
    canon = []
    for text in texts:
        items = {p.strip().lower() for p in text.split(";")}
        canon.append(";".join(v for v in column.vocabulary if v in items))
    canon_codes, categories = pd.factorize(pd.Index(canon, dtype=object), sort=True)
    row_codes = np.where(codes >= 0, canon_codes[codes] if len(canon_codes) else codes, -1)
    return pd.Series(pd.Categorical.from_codes(row_codes, categories=categories), index=cells.index,
                     name=cells.text.name)


def _date(cells: Cells, _column: Column) -> pd.Series:
    """YYYY-MM-DD text as datetimes (NaT where it is not a real date); each distinct date parsed once."""
    texts, codes = cells.distinct
    parsed = pd.to_datetime(pd.Series(texts, dtype=object), format="%Y-%m-%d", errors="coerce")
    x = pd.Series(parsed.to_numpy().take(codes, mode="clip") if len(texts) else np.full(len(codes), np.nan),
                  index=cells.index, name=cells.text.name, dtype="datetime64[ns]")
    x[codes < 0] = pd.NaT
    return x


def _iso_date(s: pd.Series) -> pd.Series:
    return s.dt.strftime("%Y-%m-%d").fillna("").astype(object)


# ------------------------------------------------------------------ the kinds
def _id_rules(column: Column, today: dt.date) -> list[Rule]:
    def first_use(v: str, cells: Cells) -> str:
        from .contract import FIRST_DATA_ROW

        row, first = cells.first_rows[v.lower()]
        same = "" if first == v else f", as {quote(first)}: ids that differ only in case are the same id"
        return f"duplicate {column.name} {quote(v)} (first used on row {row + FIRST_DATA_ROW}{same})"

    chars = Rule("id_chars", not_matching(r"[A-Za-z0-9_-]+", ignore_case=False),
                 says("{q} may contain only letters (A-Z, a-z), digits, '-' and '_'"))
    if not column.unique:  # a reference to ids kept elsewhere (the evidence file's clinic_id)
        return [chars]
    return [chars,
            Rule("unique", lambda cells, _v: ~cells.blank & cells.text.str.lower().duplicated(keep="first").to_numpy(),
                 first_use)]


def _zip_message(value: str, _cells: Cells) -> str:
    if value.isdigit() and 3 <= len(value) < 5:
        return (f"{quote(value)} is not a 5-digit ZIP code (a leading zero may have been lost: "
                f"did you mean {value.zfill(5)}?)")
    return f"{quote(value)} is not a 5-digit ZIP code"


def _degrees_message(value: str, _cells: Cells) -> str:
    comma = value.replace(",", ".", 1) if value.count(",") == 1 and value.replace(",", "").isdigit() else None
    return f"{quote(value)} is not a number of decimal degrees" + (
        f" (write decimals with a dot: {comma})" if comma else "")


def _degrees(name: str, limit: int) -> ValueKind:
    return ValueKind(name, _decimal, lambda column, today: [
        Rule("number", not_matching(NUMBER_RE), _degrees_message),
        Rule("range", outside(-limit, limit), says(f"{{v}} is out of range (-{limit} to {limit})"))],
        _decimal_text)


def _choice_rules(column: Column, today: dt.date) -> list[Rule]:
    allowed = ", ".join(column.vocabulary)
    return [Rule("choice", lambda cells, values: ~cells.blank & values.isna().to_numpy(),
                 says(f"{{q}} is not one of: {allowed} (or empty)"))]


def _list_rules(column: Column, today: dt.date) -> list[Rule]:
    allowed = ", ".join(column.vocabulary)
    item = column.item_word

    def message(v: str, _cells: Cells) -> str:
        unknown = ", ".join(map(quote, list_unknown_items(v, column.vocabulary)))
        return f"unknown {item} {unknown} (allowed: {allowed}, separated by ';')"

    return [Rule("list", lambda cells, _v: cells.per_distinct(
        lambda t: bool(list_unknown_items(t, column.vocabulary)), bool, False), message)]


def _year_rules(column: Column, today: dt.date) -> list[Rule]:
    return [Rule("whole", not_matching(r"\d+"), says("{q} is not a year")),
            Rule("range", outside(MIN_YEAR_OPENED, today.year, r"\d+"),
                 says(f"{{v}} is out of range ({MIN_YEAR_OPENED} to {today.year})"))]


def _date_rules(column: Column, today: dt.date) -> list[Rule]:
    return [Rule("date", lambda cells, values: ~cells.blank & (values.isna().to_numpy()
                                                               | ~cells.matches(r"\d{4}-\d{2}-\d{2}")),
                 says("{q} is not a date written YYYY-MM-DD")),
            Rule("not_future", lambda _c, values: (values > pd.Timestamp(today)).to_numpy(dtype=bool),
                 says("{v} is in the future"))]


def _npi_rules(column: Column, today: dt.date) -> list[Rule]:
    from . import npi

    def wrong_check(cells: Cells, _values: pd.Series) -> np.ndarray:
        texts, codes = cells.distinct
        ok = np.append(npi.valid(texts), True)  # code -1 (no text) passes
        return ~ok[codes] & ~cells.blank

    return [Rule("npi", not_matching(r"\d{10}"), says("{q} is not an NPI: an NPI is 10 digits")),
            Rule("npi_check", wrong_check,
                 says("{q} is not a valid NPI: its last digit is not the check digit of the other nine "
                      "(a digit mistyped, or two swapped?)"))]


ID = ValueKind("id", _text_values, _id_rules)
NPI = ValueKind("npi", _text_values, _npi_rules)
TEXT = ValueKind("text", _text_values)
STATE = ValueKind("state", lambda cells, column: cells.text.str.upper(), lambda column, today: [
    Rule("state", lambda cells, _v: ~cells.blank & ~cells.per_distinct(lambda t: t.isascii() and t.upper() in STATES,
                                                                       bool, False),
         says("{q} is not a USPS state code (a state, DC or PR, e.g. CO)"))])
ZIP = ValueKind("zip", lambda cells, column: cells.text.str.slice(0, 5), lambda column, today: [
    Rule("zip", not_matching(r"\d{5}(?:-\d{4})?"), _zip_message)])
LATITUDE = _degrees("latitude", 90)
LONGITUDE = _degrees("longitude", 180)
URL = ValueKind("url", _text_values, lambda column, today: [
    Rule("url_host", containing(_NON_ASCII_HOST),
         says("{q} has letters outside plain ASCII in its scheme or host name: write an international name "
              "as punycode (xn--...), as a browser's address bar shows it")),
    Rule("url", not_matching(WEB_LINK, ignore_case=False),
         says("{q} is not a web link: it must start with http:// or https://"))])
TRISTATE = ValueKind("tristate", _tristate, lambda column, today: [
    Rule("tristate", lambda cells, _v: tristate_codes(cells) == INVALID,
         says("{q} is not yes, no or empty (unknown); also accepted: true/false, y/n, 1/0"))],
    _yes_no, few_values=True)
CHOICE = ValueKind("choice", _choice, _choice_rules, few_values=True)
WHOLE = ValueKind("whole", _whole, lambda column, today: [
    Rule("whole", not_matching(r"-?\d+"), says("{q} is not a whole number")),
    Rule("not_negative", negative, says("{v} is negative")), *above_maximum(column, r"-?\d+")])
RATING = ValueKind("rating", _decimal, lambda column, today: [
    Rule("number", not_matching(NUMBER_RE), says("{q} is not a number")),
    Rule("range", outside(1.0, 5.0), says("{v} is out of range (1.0 to 5.0)"))], _decimal_text)
YEAR = ValueKind("year", _whole, _year_rules)
MONEY = ValueKind("money", _money, lambda column, today: [
    Rule("money", not_matching(MONEY_RE), says("{q} is not an amount of US dollars")),
    Rule("not_negative", negative, says("{v} is negative")), *above_maximum(column, MONEY_RE, "$")],
    _decimal_text)
LIST = ValueKind("list", _list, _list_rules)
DATE = ValueKind("date", _date, _date_rules, _iso_date)

KINDS: tuple[ValueKind, ...] = (ID, TEXT, STATE, ZIP, LATITUDE, LONGITUDE, URL, NPI, TRISTATE, CHOICE, WHOLE,
                                RATING, YEAR, MONEY, LIST, DATE)
