"""Reading the clinics CSV: bytes -> text -> checked strings -> typed frame.

`load_clinics` never raises for a bad file: it returns every problem as an :class:`Issue`
("row R, column C: what is wrong"), or one sentence when the file cannot be read at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from .contract import BY_NAME, COLUMN_NAMES, COLUMNS, REQUIRED, Kind
from .schema import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    TRUE,
    Issue,
    Memo,
    check_text,
    parse_date,
    parse_number,
    precheck,
    sort_issues,
    tristate_codes,
)

Source = str | Path | bytes | BinaryIO


class UnreadableFile(ValueError):
    """The file is not a CSV text file we can read; the message is one plain sentence."""


@dataclass
class LoadResult:
    """What loading a file gave: the typed frame (None when there are errors), errors and warnings."""

    frame: pd.DataFrame | None
    errors: list[Issue | str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows: int = 0
    unreadable: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and self.frame is not None

    def summary(self) -> str:
        """One line saying what was loaded, or how many problems stop it."""
        if self.ok:
            frame: pd.DataFrame = self.frame  # type: ignore[assignment]
            n = len(frame)
            text = f"valid: {n} clinic{'s' if n != 1 else ''}"
            if "location_source" in frame:
                counts = frame["location_source"].value_counts()
                text += (f", {counts.get('listed', 0)} with coordinates, "
                         f"{counts.get('ZIP centroid', 0)} located from their ZIP")
                if counts.get("unknown", 0):
                    text += f", {counts['unknown']} not located"
            return text + (f"; {len(self.warnings)} warning(s)" if self.warnings else "")
        if self.unreadable:
            return "unreadable"
        n = len(self.errors)
        return f"invalid: {n} problem{'s' if n != 1 else ''} found in {self.rows} row(s)"


# ------------------------------------------------------------------ bytes -> text
def _read_bytes(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str | Path):
        try:
            return Path(source).read_bytes()
        except FileNotFoundError:
            raise UnreadableFile(f"There is no file at {source}.") from None
        except IsADirectoryError:
            raise UnreadableFile(f"{source} is a folder, not a CSV file.") from None
        except OSError as err:
            raise UnreadableFile(f"{source} cannot be read: {err.strerror}.") from None
    return source.read()


_SAVE_AS_CSV = "save it from your spreadsheet as 'CSV UTF-8' and upload that."
_HEAD = 65536  # binary files show themselves early
_STREAM_OVER = 64 << 20  # files bigger than this are read block by block (bounded memory), not at once


def _sniff(data: bytes) -> None:
    """Refuse, in one sentence, what is plainly not CSV text: empty, a spreadsheet/archive, or binary."""
    if not data or data.isspace():
        raise UnreadableFile("The file is empty: a clinics CSV needs a header row and one row per clinic.")
    if data[:4] == b"PK\x03\x04":
        raise UnreadableFile(f"The file is a spreadsheet or archive, not a CSV: {_SAVE_AS_CSV}")
    head = data[:_HEAD]
    if b"\x00" in head:
        raise UnreadableFile(f"The file is binary, not CSV text: {_SAVE_AS_CSV}")
    controls = sum(head.count(bytes([c])) for c in range(32) if chr(c) not in "\t\r\n")
    if controls > max(8, len(head) // 100):
        raise UnreadableFile(f"The file is binary, not CSV text: {_SAVE_AS_CSV}")


def decode(data: bytes) -> str:
    """The file's text, or UnreadableFile with one sentence saying why it is not a UTF-8 CSV."""
    _sniff(data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise UnreadableFile(
            f"The file is not UTF-8 text: byte 0x{data[err.start]:02x} on line {line} cannot be read "
            "(save it as 'CSV UTF-8'; it looks like another encoding, such as Latin-1 or Windows-1252)."
        ) from None


# ------------------------------------------------------------------ text -> checked strings
_BAD_LINE = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")


def _parse_careful(text: str) -> tuple[list[str], pd.DataFrame, list[Issue]]:
    """pandas' parser: slower, but it names every ragged row and keeps blank lines' row numbers."""
    try:
        header = next(csv.reader(io.StringIO(text)), [])
    except csv.Error as err:
        raise UnreadableFile(f"The file is not a readable CSV: {str(err).strip().rstrip('.')}.") from None
    issues: list[Issue] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False,
                              on_bad_lines="warn", header=None, skiprows=1, names=range(len(header)))
        except (pd.errors.ParserError, csv.Error, ValueError) as err:
            raise UnreadableFile(f"The file is not a readable CSV: {str(err).strip().rstrip('.')}.") from None
    skipped = []
    for w in caught:
        for line, expected, saw in _BAD_LINE.findall(str(w.message)):
            skipped.append(int(line))
            issues.append(Issue(int(line), "(whole row)",
                                f"has {saw} values but the header has {expected} columns"))
    if skipped:  # keep row numbers true for the rows after a skipped one
        lines = np.arange(FIRST_DATA_ROW, FIRST_DATA_ROW + len(raw) + len(skipped))
        raw.index = lines[~np.isin(lines, skipped)][: len(raw)] - FIRST_DATA_ROW
    raw = raw.fillna("")
    for col in raw.columns:
        raw[col] = raw[col].astype(str).str.strip()
    return header, raw, issues


def _parse_fast(data: bytes | Path, head: bytes) -> tuple[list[str], pd.DataFrame] | None:
    """Arrow's multi-threaded CSV reader straight from the bytes, or streamed from the file in blocks
    (no Python text copy of the file; `head` is its first bytes, for the header).

    Returns None when the file needs the careful reader: ragged rows, blank lines, a bad encoding or
    anything else Arrow refuses; that reader then explains the problem row by row."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    try:
        header = next(csv.reader(io.StringIO(head[:_HEAD].decode("utf-8-sig", "replace"))), [])
    except csv.Error:
        return None  # the careful reader says what is wrong
    if not header:
        return None
    ragged: list[object] = []

    def refuse(row: object) -> str:
        ragged.append(row)
        return "skip"

    names = [f"c{i}" for i in range(len(header))]
    # yes/no and choice columns hold a few spellings: each is kept once (dictionary-encoded, ~1/3 the memory)
    few = {i for i, name in enumerate(header)
           if (c := BY_NAME.get(name.strip())) is not None and c.kind in (Kind.TRISTATE, Kind.CHOICE)}

    def tidy(i: int, col: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
        trimmed = pc.utf8_trim_whitespace(col)
        return pc.dictionary_encode(trimmed) if i in few else trimmed

    options = dict(
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 20),
        # A newline inside a quoted value splits that row here, so it comes back ragged (or Arrow refuses
        # the file) and the careful reader takes over: such files are read right, just slower.
        parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False,
                                         invalid_row_handler=refuse),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.large_string()),
                                             strings_can_be_null=False, quoted_strings_can_be_null=False))
    try:
        if isinstance(data, Path) and data.stat().st_size > _STREAM_OVER:
            # Big files are streamed: each block is trimmed and encoded as it comes, so the untrimmed
            # text of the whole file never sits in memory (peak RSS at a million rows).
            parts: list[list[pa.Array]] = [[] for _ in names]
            for batch in pacsv.open_csv(str(data), **options):
                for i, col in enumerate(batch.columns):
                    parts[i].append(tidy(i, col))
            columns = [pa.chunked_array(p, type=p[0].type) if p else pa.chunked_array([], pa.large_string())
                       for p in parts]
            del parts
        else:
            source = str(data) if isinstance(data, Path) else pa.py_buffer(data)
            columns = pacsv.read_csv(source, **options).columns

            def tidy_in_place(i: int) -> None:  # each untrimmed column is freed once tidied
                columns[i] = tidy(i, columns[i])

            with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:  # kernels release the GIL
                list(pool.map(tidy_in_place, range(len(columns))))
    except (pa.ArrowInvalid, pa.ArrowException, UnicodeDecodeError):
        return None
    if ragged:
        return None

    def blank(col: pa.ChunkedArray) -> np.ndarray:
        text = col.cast(pa.large_string()) if pa.types.is_dictionary(col.type) else col
        return pc.equal(pc.binary_length(text), 0).to_numpy(zero_copy_only=False)

    n = len(columns[0]) if columns else 0
    filled = np.ones(n, dtype=bool)
    first = min(set(range(len(columns))) - few, default=0)
    maybe_empty = np.flatnonzero(blank(columns[first])) if columns else np.arange(0)
    if len(maybe_empty):  # only rows with an empty cell in one column can be wholly empty
        picked = pa.array(maybe_empty)
        empty = np.ones(len(maybe_empty), dtype=bool)
        for col in columns:
            empty &= blank(col.take(picked))
        filled[maybe_empty[empty]] = False
    index = np.flatnonzero(filled)
    if len(index) < len(filled):  # rows of bare commas are not clinics
        keep = pa.array(filled)
        columns = [col.filter(keep) for col in columns]
    raw = pa.table(columns, names=[str(i) for i in range(len(columns))]).to_pandas()  # "str" / categorical
    raw.columns = range(len(columns))
    columns.clear()
    pa.default_memory_pool().release_unused()  # the untrimmed text
    raw.index = pd.RangeIndex(len(filled))[index] if len(index) < len(filled) else pd.RangeIndex(len(filled))
    return header, raw


def _name_columns(header: list[str], raw: pd.DataFrame) -> tuple[pd.DataFrame, list[Issue], list[str]]:
    """Name the parsed columns from the header; header problems as issues, notes for extra/absent columns."""
    header = [h.strip() for h in header]
    issues: list[Issue] = []
    notes: list[str] = []
    names: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(header):
        if name == "":
            if (raw[i] != "").any():
                issues.append(Issue(HEADER_ROW, f"#{i + 1}", "has values but no column name"))
            names.append(f"__blank_{i}")
            continue
        if name in seen:
            issues.append(Issue(HEADER_ROW, name, "appears more than once in the header"))
            names.append(f"__dup_{i}")
            continue
        seen.add(name)
        if name not in BY_NAME and name.lower() in BY_NAME:
            issues.append(Issue(HEADER_ROW, name,
                                f"column names are lower case: rename it to {name.lower()}"))
        elif name not in BY_NAME:
            notes.append(f"column {name} is not in the data contract: it is kept but not used for scoring")
        names.append(name)
    raw.columns = names
    raw = raw.drop(columns=[n for n in names if n.startswith(("__blank_", "__dup_"))])
    present = set(raw.columns)
    for name in REQUIRED:
        if name not in present and name.upper() not in {h.upper() for h in header}:
            issues.append(Issue(HEADER_ROW, name, "required column is missing"))
    for name in COLUMN_NAMES:
        if name not in present and name not in REQUIRED and name.lower() not in {h.lower() for h in header}:
            notes.append(f"column {name} is absent: every clinic counts as not verified for it")
    if ("latitude" in present) != ("longitude" in present):
        missing = "longitude" if "latitude" in present else "latitude"
        issues.append(Issue(HEADER_ROW, missing, "is missing: latitude and longitude come as a pair"))
    return raw, issues, notes


def read_text_frame(text: str) -> tuple[pd.DataFrame, list[Issue], list[str]]:
    """Parse CSV text into stripped strings indexed so that row = index + 2; header problems as issues."""
    header, raw, issues = _parse_careful(text)
    raw = raw[(raw != "").any(axis=1)]  # wholly empty lines are not clinics
    raw, header_issues, notes = _name_columns(header, raw)
    return raw, issues + header_issues, notes


def read_raw(source: Source) -> tuple[pd.DataFrame, list[Issue], list[str]]:
    """Like `read_text_frame`, from a file or its bytes: Arrow's fast reader, or the careful one when needed.

    A file on disk is streamed (its bytes are read whole only when the careful reader is needed)."""
    if isinstance(source, str | Path) and Path(source).is_file():
        path = Path(source)
        with path.open("rb") as f:
            head = f.read(_HEAD + 1)
        _sniff(head if len(head) <= _HEAD else head + b"x")  # a longer file is not empty
        fast = _parse_fast(path, head)
        if fast is None:
            return read_text_frame(decode(_read_bytes(path)))
    else:
        data = _read_bytes(source)
        _sniff(data)
        fast = _parse_fast(data, data[:_HEAD])
        if fast is None:
            return read_text_frame(decode(data))
    header, raw = fast
    raw, issues, notes = _name_columns(header, raw)
    return raw, issues, notes


# ------------------------------------------------------------------ checked strings -> typed frame
def tristate(s: pd.Series, memo: Memo | None = None) -> pd.Series:
    """yes/no/unknown spellings -> pandas' three-valued 'boolean' dtype (unknown is <NA>, not False)."""
    codes = tristate_codes(s, memo)
    arr = pd.arrays.BooleanArray(codes == TRUE, codes < 0)  # unknown (and, unchecked, invalid) -> <NA>
    return pd.Series(arr, index=s.index, name=s.name)


def _list_canonical(s: pd.Series, vocabulary: tuple[str, ...]) -> pd.Series:
    """`;` lists -> one canonical spelling (vocabulary order, no repeats), as a category."""
    codes, uniques = pd.factorize(s)
    canon = []
    for u in uniques:
        items = {p.strip().lower() for p in u.split(";")}
        canon.append(";".join(v for v in vocabulary if v in items))
    canon_codes, categories = pd.factorize(pd.Index(canon, dtype=object), sort=True)
    # codes per row via the distinct lists: no categorical built from a million strings
    row_codes = np.where(codes >= 0, canon_codes[codes], -1)  # -1: a missing cell stays missing
    return pd.Series(pd.Categorical.from_codes(row_codes, categories=categories), index=s.index, name=s.name)


def to_typed(raw: pd.DataFrame, memo: Memo | None = None) -> pd.DataFrame:
    """Convert checked strings to typed columns, contract columns first, extra columns after.

    The index is kept (row = index + 2), so callers can still name file rows. `memo`: what
    `check_text` already parsed."""
    return _typed_from(dict(raw.items()), raw.index, memo)


def _arrow_release():
    """A call that hands memory Arrow has freed back to the OS: text columns live in Arrow's allocator and
    typed ones in numpy's, so without it the freed text cannot hold the typed columns (peak RSS at 1M rows)."""
    import pyarrow as pa

    return pa.default_memory_pool().release_unused


def _typed_from(text: dict[str, pd.Series], index: pd.Index, memo: Memo | None = None) -> pd.DataFrame:
    """`to_typed` over a dict of text columns, which it empties as it goes: when the caller holds no other
    reference, each text column is freed once converted, so the text and typed copies of a big file
    never coexist."""
    out: dict[str, pd.Series] = {}
    empty = pd.Series("", index=index, dtype=str)
    release = _arrow_release()
    for i, col in enumerate(COLUMNS):
        if i % 8 == 7:
            release()
        s = text.pop(col.name, empty)
        k = col.kind
        if k is Kind.TRISTATE:
            out[col.name] = tristate(s, memo)
        elif k is Kind.STATE:
            out[col.name] = s.str.upper()
        elif k is Kind.ZIP:
            out[col.name] = s.str.slice(0, 5)
        elif k in (Kind.LATITUDE, Kind.LONGITUDE, Kind.RATING, Kind.MONEY):
            out[col.name] = parse_number(s, memo).astype("float64")
        elif k in (Kind.WHOLE, Kind.YEAR):
            out[col.name] = parse_number(s, memo).astype("Int64")
        elif k is Kind.CHOICE:
            out[col.name] = pd.Series(pd.Categorical(s.str.lower().replace("", np.nan),
                                                     categories=list(col.vocabulary)), index=s.index)
        elif k is Kind.LIST:
            out[col.name] = _list_canonical(s, col.vocabulary)
        elif k is Kind.DATE:
            out[col.name] = parse_date(s, memo)
        elif col.required:
            out[col.name] = s
        else:
            out[col.name] = s.replace("", np.nan)
    frame = pd.DataFrame(out)
    extras = [c for c in text if c not in BY_NAME]
    if extras:
        frame = pd.concat([frame, pd.DataFrame({c: text[c] for c in extras})], axis=1)
    return frame


# ------------------------------------------------------------------ the one call
def load_clinics(source: Source, today: dt.date | None = None, locate: bool = True) -> LoadResult:
    """Read, check and type a clinics CSV. Never raises for bad input: see `.errors`.

    With `locate`, clinics without coordinates get their ZIP's centroid (`location_source` says so),
    and coordinates far from their ZIP are listed in `.warnings`.
    """
    today = today or dt.date.today()
    try:
        raw, issues, notes = read_raw(source)
    except UnreadableFile as err:
        return LoadResult(None, [str(err)], unreadable=True)
    memo: Memo = {}
    precheck(raw, today, memo, workers=min(4, os.cpu_count() or 1))
    issues += check_text(raw, today, memo)
    result = LoadResult(None, sort_issues(issues, raw.columns), notes, rows=len(raw))
    if result.errors:
        return result
    text, index = dict(raw.items()), raw.index
    del raw  # from here `text` holds the only reference to each column
    frame = _typed_from(text, index, memo)
    del memo
    if locate:
        from .geo import far_from_zip, fill_coordinates

        frame = fill_coordinates(frame)
        far = far_from_zip(frame)
        result.warnings += [
            f"row {row}, columns latitude/longitude: {km:,.0f} km from the centre of ZIP {z} "
            "(swapped or mistyped?)"
            for row, z, km in zip(far.index + FIRST_DATA_ROW, far["zip"], far["km_from_zip"], strict=True)
        ]
    result.frame = frame.reset_index(drop=True)
    return result


def read_clinics(source: Source, today: dt.date | None = None) -> pd.DataFrame:
    """Like `load_clinics` but returns the frame or raises ValueError listing every problem."""
    result = load_clinics(source, today)
    if not result.ok:
        raise ValueError("\n".join(map(str, result.errors)))
    return result.frame  # type: ignore[return-value]


def text_table(data: bytes) -> pd.DataFrame:
    """A readable clinics file as a table of its cells' text (for editing; nothing converted or dropped)."""
    return pd.read_csv(io.StringIO(decode(data)), dtype=str, keep_default_na=False)
