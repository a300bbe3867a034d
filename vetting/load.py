"""Loading the clinics CSV: bytes -> text (vetting.textfile) -> stripped strings (vetting.readers) ->
checked and typed in one pass (vetting.validate, by the kinds of vetting.kinds) -> located (vetting.geo).

`load_clinics` never raises for a bad file: it returns every problem as an :class:`Issue`
("row R, column C: what is wrong"), or one sentence when the file cannot be read at all.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .contract import CONTRACT, FIRST_DATA_ROW, Contract, Issue, sort_issues
from .readers import name_columns, read_arrow, read_text_frame
from .textfile import HEAD, Source, UnreadableFile, decode, read_bytes, regular_file, sniff
from .validate import validate

__all__ = ["LoadResult", "UnreadableFile", "decode", "load_clinics", "read_clinics", "read_raw", "text_table"]


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


def read_raw(source: Source, contract: Contract = CONTRACT) -> tuple[pd.DataFrame, list[Issue], list[str]]:
    """A file (path or bytes) as stripped strings indexed so that row = index + 2, with header problems as
    issues and notes about extra or absent columns: Arrow's fast reader, or the careful one when needed.

    A file on disk is streamed (its bytes are read whole only when the careful reader is needed); only a
    regular file of at most MAX_FILE_BYTES is read."""
    if isinstance(source, str | Path):
        path = Path(source)
        regular_file(path)
        try:
            with path.open("rb") as f:
                head = f.read(HEAD + 1)
        except OSError as err:
            raise UnreadableFile(f"{path} cannot be read: {err.strerror}.") from None
        sniff(head if len(head) <= HEAD else head + b"x")  # a longer file is not empty
        fast = read_arrow(path, head, contract)
        if fast is None:
            return read_text_frame(decode(read_bytes(path)), contract)
    else:
        data = read_bytes(source)
        sniff(data)
        fast = read_arrow(data, data[:HEAD], contract)
        if fast is None:
            return read_text_frame(decode(data), contract)
    header, raw = fast
    return name_columns(header, raw, contract)


def load_clinics(source: Source, today: dt.date | None = None, locate: bool = True,
                 contract: Contract = CONTRACT) -> LoadResult:
    """Read, check and type a clinics CSV. Never raises for bad input: see `.errors`.

    With `locate`, clinics without coordinates get their ZIP's centroid (`location_source` says so),
    and coordinates far from their ZIP are listed in `.warnings`.
    """
    today = today or dt.date.today()
    try:
        raw, issues, notes = read_raw(source, contract)
    except UnreadableFile as err:
        return LoadResult(None, [str(err)], unreadable=True)
    order, index, text = list(raw.columns), raw.index, dict(raw.items())
    del raw  # from here `text` holds the only reference to each column: each is freed once typed
    checked = validate(text, index, today, contract)
    result = LoadResult(None, sort_issues(issues + checked.issues, order), notes, rows=len(index))
    if result.errors:
        return result
    frame = checked.frame
    del checked
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
