"""One pass from a file's text columns to the typed frame: every column's rules give the `row R, column C: ...`
issues and its kind's parser the typed values, together (what each kind means is in vetting.kinds).

Each cell gets at most one message: the first rule it fails, in the order the kind declares them.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .contract import CONTRACT, FIRST_DATA_ROW, Column, Contract, Issue
from .kinds import Cells, column_rules


@dataclass
class Checked:
    """The typed frame (contract columns first, extra columns after, index kept) and every problem found."""

    frame: pd.DataFrame
    issues: list[Issue]


def check_column(text: pd.Series, column: Column, today: dt.date) -> tuple[pd.Series, list[Issue]]:
    """A column's typed values and its issues (one per bad cell: the first rule it fails)."""
    cells = Cells(text)
    values = column.kind.parse(cells, column)
    if values.name != column.name:
        values = values.rename(column.name)
    issues: list[Issue] = []
    failed = np.zeros(len(text), dtype=bool)
    for rule in (*column_rules(column), *column.kind.rules(column, today)):
        bad = rule.bad(cells, values) & ~failed
        if not bad.any():
            continue
        failed |= bad
        positions = np.flatnonzero(bad)
        texts = text.iloc[positions].astype(str).to_numpy()
        rows = text.index[positions] + FIRST_DATA_ROW
        issues += [Issue(int(row), column.name, rule.message(value, cells))
                   for row, value in zip(rows, texts, strict=True)]
    return values, issues


def check_pairs(text: MutableMapping[str, pd.Series], contract: Contract) -> list[Issue]:
    """Columns that come as a pair (latitude and longitude): both given, or neither."""
    issues = []
    for first, second in contract.pairs:
        if first not in text or second not in text:
            continue  # a pair missing from the header is the header's problem
        a, b = Cells(text[first]).blank, Cells(text[second]).blank
        for missing, given, where in ((first, second, a & ~b), (second, first, b & ~a)):
            issues += [Issue(int(i) + FIRST_DATA_ROW, missing, f"is empty but {given} is given (give both or neither)")
                       for i in text[first].index[where]]
    return issues


def _release_arrow_memory() -> Callable[[], None]:
    """A call that hands memory Arrow has freed back to the OS: text columns live in Arrow's allocator and
    typed ones in numpy's, so without it the freed text cannot hold the typed columns (peak RSS at 1M rows)."""
    import pyarrow as pa

    return pa.default_memory_pool().release_unused


def validate(text: MutableMapping[str, pd.Series], index: pd.Index, today: dt.date,
             contract: Contract = CONTRACT, workers: int | None = None) -> Checked:
    """Check and type every contract column of `text` (name -> stripped strings; row = index + 2).

    `text` is emptied as it goes: when the caller holds no other reference, each text column is freed once
    typed, so the text and typed copies of a big file never coexist. Columns run `workers` at a time in
    threads (the Arrow and pandas kernels release the GIL). Absent contract columns come back all unknown."""
    issues = check_pairs(text, contract)
    empty = pd.Series("", index=index, dtype="str")
    release = _release_arrow_memory()

    def one(column: Column) -> tuple[pd.Series, list[Issue]]:
        cells = text.pop(column.name, None)
        if cells is None:  # absent: every value unknown, nothing to report
            return column.kind.parse(Cells(empty), column).rename(column.name), []
        return check_column(cells, column, today)

    out: dict[str, pd.Series] = {}
    with ThreadPoolExecutor(max_workers=workers or min(4, os.cpu_count() or 1)) as pool:
        for i, (column, (values, found)) in enumerate(zip(contract.columns, pool.map(one, contract.columns),
                                                          strict=True)):
            out[column.name] = values
            issues += found
            if i % 8 == 7:
                release()
    frame = pd.DataFrame(out, index=index)
    extras = [name for name in text if name not in contract.by_name]
    if extras:
        frame = pd.concat([frame, pd.DataFrame({name: text.pop(name) for name in extras})], axis=1)
    return Checked(frame, issues)


def to_typed(raw: pd.DataFrame, today: dt.date | None = None, contract: Contract = CONTRACT) -> pd.DataFrame:
    """The typed frame of a frame of checked strings (its problems, if any, are not reported: see validate)."""
    return validate(dict(raw.items()), raw.index, today or dt.date.today(), contract).frame

