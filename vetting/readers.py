"""CSV text -> a frame of stripped strings, with its columns named from the header.

Two readers give the same frame (tests/test_fast_paths.py proves it): Arrow's multi-threaded reader for
the usual well-formed file, and the standard library's csv module for the rest, which names every ragged
row by its spreadsheet row (the header is row 1) and keeps the row numbers of blank lines.
The frame's index is the row number minus 2, so every later message can name file rows.
"""

from __future__ import annotations

import csv
import io
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from .contract import CONTRACT, FIRST_DATA_ROW, HEADER_ROW, Contract, Issue
from .textfile import HEAD, STREAM_OVER, UnreadableFile

_QUOTE_PROBLEMS = {
    "unexpected end of data": 'a quote (") opens a value that is never closed: the rest of the file was read as '
                              "that one value (close the quote, or double a quote inside a value: \"\")",
    "',' expected after '\"'": 'has a quote (") in the middle of a value: quote the whole value and double any '
                               'quote inside it ("")',
}


def read_careful(text: str, contract: Contract = CONTRACT) -> tuple[list[str], pd.DataFrame, list[Issue]]:
    """The csv module's reader (strict about quotes): every record with the header's number of values becomes
    a row; a ragged or badly quoted one is an issue naming its row; wholly empty records are skipped but
    keep their row numbers."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[list[str]] = []
    rows: list[int] = []
    issues: list[Issue] = []
    try:
        header = next(reader, [])
    except csv.Error as err:
        raise UnreadableFile(f"The header row is not readable CSV: {str(err).strip().rstrip('.')}.") from None
    refuse_other_delimiters(header, contract)
    width = len(header)
    row, last_line = HEADER_ROW, reader.line_num
    while True:
        row += 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            issues.append(Issue(row, "(whole row)", _QUOTE_PROBLEMS.get(str(err), f"is not readable CSV: {err}")))
            last_line = reader.line_num
            continue
        lines, last_line = reader.line_num - last_line, reader.line_num
        if not any(cell.strip() for cell in record):
            continue  # an empty line or a row of bare commas is not a clinic
        if len(record) != width:
            issues.append(Issue(row, "(whole row)", f"has {len(record)} values but the header has {width} columns"
                                + (f": a quoted value in it runs over {lines} lines (check its quotes)"
                                   if lines > 1 else "")))
            continue
        records.append(record)
        rows.append(row)
    index = pd.Index(np.asarray(rows, dtype=np.int64) - FIRST_DATA_ROW)
    raw = pd.DataFrame(records, index=index, columns=range(len(header)), dtype="str") if records else \
        pd.DataFrame({i: pd.Series([], dtype="str") for i in range(len(header))}, index=index)
    for i in raw.columns:
        raw[i] = raw[i].str.strip()
    return header, raw, issues


def refuse_other_delimiters(header: list[str], contract: Contract = CONTRACT) -> None:
    """A header that is one value holding the contract's names between ';' or tabs: say so in one sentence
    (Excel saves 'CSV' with semicolons where the comma is the decimal mark)."""
    if len(header) != 1:
        return
    for mark, words in ((";", "semicolons (;)"), ("\t", "tabs")):
        names = {name.strip() for name in header[0].split(mark)}
        if len(names) > 1 and names & set(contract.names):
            raise UnreadableFile(f"The file separates its values with {words}, not commas: save it from your "
                                 "spreadsheet as 'CSV UTF-8 (Comma delimited)' and upload that.")


def read_arrow(data: bytes | Path, head: bytes, contract: Contract = CONTRACT
               ) -> tuple[list[str], pd.DataFrame] | None:
    """Arrow's multi-threaded CSV reader straight from the bytes, or streamed from the file in blocks
    (no Python text copy of the file; `head` is its first bytes, for the header).

    Returns None when the file needs the careful reader: ragged rows, blank lines, a bad encoding or
    anything else Arrow refuses; that reader then explains the problem row by row."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    try:
        header = next(csv.reader(io.StringIO(head[:HEAD].decode("utf-8-sig", "replace"))), [])
    except csv.Error:
        return None  # the careful reader says what is wrong
    if not header:
        return None
    refuse_other_delimiters(header, contract)
    ragged: list[object] = []

    def refuse(row: object) -> str:
        ragged.append(row)
        return "skip"

    names = [f"c{i}" for i in range(len(header))]
    # kinds with a few spellings (yes/no, choices): each is kept once (dictionary-encoded, ~1/3 the memory)
    few = {i for i, name in enumerate(header)
           if (c := contract.by_name.get(name.strip())) is not None and c.kind.few_values}

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
        if isinstance(data, Path) and data.stat().st_size > STREAM_OVER:
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
    multiline = [i for i, name in enumerate(header) if (c := contract.by_name.get(name.strip())) and c.multiline]
    if ragged or any(_has_line_break(columns[i]) for i in multiline):
        # Arrow reads a quoted line break leniently (a stray quote can join lines into one value, its quotes
        # dropped). In a one-line column the rules refuse the line break; in a column that may hold one,
        # the careful reader reads the file strictly and names the row of a quote that does not close.
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


def _has_line_break(col) -> bool:
    import pyarrow.compute as pc

    return bool(pc.any(pc.match_substring_regex(col, r"[\r\n]")).as_py())


def name_columns(header: list[str], raw: pd.DataFrame, contract: Contract = CONTRACT
                 ) -> tuple[pd.DataFrame, list[Issue], list[str]]:
    """Name the parsed columns from the header; header problems as issues, notes for extra/absent columns."""
    header = [h.strip() for h in header]
    issues: list[Issue] = []
    notes: list[str] = []
    names: list[str] = []
    seen: set[str] = set()
    known = contract.by_name
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
        if name not in known and name.lower() in known:
            issues.append(Issue(HEADER_ROW, name, f"column names are lower case: rename it to {name.lower()}"))
        elif name not in known:
            notes.append(f"column {name} is not in the data contract: it is kept but not used for scoring")
        names.append(name)
    raw.columns = names
    raw = raw.drop(columns=[n for n in names if n.startswith(("__blank_", "__dup_"))])
    present = set(raw.columns)
    lowered = {h.lower() for h in header}
    for name in contract.required:
        if name not in present and name not in lowered:
            issues.append(Issue(HEADER_ROW, name, "required column is missing"))
    for name in contract.names:
        if name not in present and name not in contract.required and name not in lowered:
            notes.append(f"column {name} is absent: every row has it unknown (not verified, never 'no')")
    for first, second in contract.pairs:
        if (first in present) != (second in present):
            missing = second if first in present else first
            issues.append(Issue(HEADER_ROW, missing, f"is missing: {first} and {second} come as a pair"))
    return raw, issues, notes


def read_text_frame(text: str, contract: Contract = CONTRACT) -> tuple[pd.DataFrame, list[Issue], list[str]]:
    """Parse CSV text into stripped strings indexed so that row = index + 2; header problems as issues."""
    header, raw, issues = read_careful(text, contract)
    raw, header_issues, notes = name_columns(header, raw, contract)
    return raw, issues + header_issues, notes
