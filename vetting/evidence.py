"""The evidence behind the answers: a second file (evidence.csv, beside the clinics file) in long form, one row
per checked answer: which clinic, which contract column, the value as verified, how (method and source),
when and by whom.

Evidence never changes a score. It says, for each criterion of each clinic, whether its answer is
verified (with date, method and who), stated but unverified, not verified (unknown) or not applicable, and
where the evidence disagrees with the clinics file (a finding for an analyst, never an automatic change).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .checklist import Checklist, Criterion
from .contract import BY_NAME, COLUMN_NAMES, FIRST_DATA_ROW, MAX_CELL_CHARS, Column, Contract, Issue, sort_issues
from .export import clinics_csv, contract_text
from .kinds import CHOICE, DATE, ID, TEXT, Cells, quote, strip_invisible
from .load import LoadResult, read_raw, text_table
from .scoring import NOT_APPLICABLE as NOT_APPLICABLE_STATE
from .scoring import STATE_LABELS
from .scoring import UNKNOWN as UNKNOWN_STATE
from .store import Store, StoreError
from .textfile import Source, UnreadableFile
from .validate import check_column, to_typed, validate

METHODS = ("website", "phone", "document", "registry", "visit")
METHOD_WORDS = {"website": "on the clinic's website", "phone": "by phone", "document": "from a document",
                "registry": "in the NPI registry", "visit": "by a visit"}
#: Clinics-file columns an evidence row may speak for: every one but the row's own bookkeeping.
FIELDS = tuple(c for c in COLUMN_NAMES if c not in ("clinic_id", "last_verified", "source"))
EVIDENCE_COLUMNS: tuple[Column, ...] = (
    Column("clinic_id", ID, required=True, max_length=40),
    Column("field", CHOICE, required=True, vocabulary=FIELDS),
    Column("value", TEXT, max_length=MAX_CELL_CHARS),
    Column("method", CHOICE, required=True, vocabulary=METHODS),
    Column("source", TEXT, required=True, max_length=MAX_CELL_CHARS),
    Column("checked_on", DATE, required=True),
    Column("checked_by", TEXT, required=True, max_length=100),
)
EVIDENCE_CONTRACT = Contract(EVIDENCE_COLUMNS, pairs=())
EVIDENCE_FILE = "evidence.csv"  # beside the clinics file

VERIFIED, STATED, NOT_VERIFIED, NOT_APPLICABLE = np.int8(2), np.int8(1), np.int8(-1), np.int8(-2)
VERIFICATION_LABELS = {int(VERIFIED): "verified", int(STATED): "stated but unverified",
                       int(NOT_VERIFIED): "not verified", int(NOT_APPLICABLE): "not applicable"}
VERIFICATION_MEANINGS = {
    "verified": "the latest evidence for every answer the criterion reads agrees with the record: the date, "
                "the method and who checked are shown",
    "stated but unverified": "the record answers it, but no evidence backs the answer yet (or the latest "
                             "evidence disagrees: a finding for the analysts)",
    "not verified": "the record does not say: unknown, never 'no'",
    "not applicable": "the criterion does not apply to this clinic (a route it does not offer)",
}


def evidence_path(clinics_path: str | Path) -> Path:
    """The evidence file that goes with a clinics file: evidence.csv in the same folder."""
    return Path(clinics_path).with_name(EVIDENCE_FILE)


def evidence_store(clinics_path: str | Path) -> Store:
    """The evidence file's store: same folder and history as the clinics file, its own journal and audit log."""
    return Store(evidence_path(clinics_path), label="evidence file", audit_name="evidence-audit.jsonl")


def empty_evidence() -> pd.DataFrame:
    """No evidence, typed as loaded evidence is."""
    return to_typed(pd.DataFrame({c.name: pd.Series([], dtype=object) for c in EVIDENCE_COLUMNS}),
                    contract=EVIDENCE_CONTRACT)


def load_evidence(source: Source, clinic_ids: Iterable[str] | None, today: dt.date | None = None) -> LoadResult:
    """Read and check an evidence file: every column by the evidence contract, every value by the kind of
    the column it speaks for, and (given `clinic_ids`) every clinic_id against the clinics file. Never raises
    for bad input: problems come back as `row R, column C: ...` issues, as for the clinics file."""
    today = today or dt.date.today()
    try:
        raw, issues, notes = read_raw(source, EVIDENCE_CONTRACT)
    except UnreadableFile as err:
        return LoadResult(None, [str(err)], unreadable=True)
    order, index = list(raw.columns), raw.index
    values = raw["value"] if "value" in raw else pd.Series("", index=index, dtype="str")
    text = dict(raw.items())
    del raw
    checked = validate(text, index, today, EVIDENCE_CONTRACT)
    frame = checked.frame
    issues += checked.issues + _value_issues(frame, values, today)
    if clinic_ids is not None:
        issues += _unknown_clinics(frame, clinic_ids)
    result = LoadResult(None, sort_issues(issues, order), notes, rows=len(index))
    if not result.errors:
        result.frame = frame.reset_index(drop=True)
    return result


def _value_issues(frame: pd.DataFrame, values: pd.Series, today: dt.date) -> list[Issue]:
    """Each value checked by the rules of the column it speaks for (an empty value is allowed: the check
    found none)."""
    issues: list[Issue] = []
    fields = frame["field"]
    for name in fields.dropna().unique():
        rows = (fields == name).to_numpy()
        column = replace(BY_NAME[str(name)], required=False, unique=False)
        _, found = check_column(values[rows], column, today)
        issues += [Issue(i.row, "value", f"as {name}: {i.message}") for i in found]
    return issues


def _unknown_clinics(frame: pd.DataFrame, clinic_ids: Iterable[str]) -> list[Issue]:
    ids = frame["clinic_id"]
    known = ids.isin(pd.Index(list(clinic_ids))).to_numpy() | ids.isna().to_numpy()
    return [Issue(int(i) + FIRST_DATA_ROW, "clinic_id", f"{quote(str(v))} is not the clinic_id of any clinic in "
                  "the clinics file")
            for i, v in ids[~known].items()]


def evidence_csv(evidence: pd.DataFrame) -> str:
    """Typed evidence back to the evidence file's text."""
    return clinics_csv(evidence, EVIDENCE_CONTRACT)


def with_rows(evidence: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """`evidence` with `rows` (text or typed, evidence columns) added after it: the file only ever grows, so
    the history of every answer stays readable."""
    new = to_typed(rows[list(EVIDENCE_CONTRACT.names)].fillna("").astype(str), contract=EVIDENCE_CONTRACT)
    return pd.concat([evidence[list(EVIDENCE_CONTRACT.names)], new], ignore_index=True)


def appended(current: bytes, rows: pd.DataFrame) -> bytes:
    """The evidence file's bytes with `rows` (text, evidence columns) added at the end. Rows already in the
    file keep their exact bytes; the new ones follow the file's own column order."""
    # the header row alone says the file's column order (the rows are not read: they are kept as they are)
    header = (list(text_table(current.split(b"\n", 1)[0]).columns) if current.strip()
              else list(EVIDENCE_CONTRACT.names))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if not current.strip():
        writer.writerow(header)
        current = b""
    elif not current.endswith(b"\n"):
        current += b"\n"
    writer.writerows(rows.reindex(columns=header).fillna("").astype(str).to_numpy().tolist())
    return current + out.getvalue().encode("utf-8")


@dataclass(frozen=True)
class Recorded:
    """What a request to record evidence came to: the audit entry when saved, else the problems (by row and
    column) or the store's sentence; in both of those cases nothing was saved."""

    entry: dict | None = None
    problems: tuple[Issue | str, ...] = ()
    refused: str | None = None


def record(store: Store, rows: pd.DataFrame, base_hash: str, clinic_ids: Iterable[str], who: str, note: str,
           action: str = "evidence", today: dt.date | None = None) -> Recorded:
    """Append `rows` to the evidence file of `store` if it still has `base_hash` (the version its author
    read) and the whole new file passes every check; one audited save, or nothing."""
    current, _ = store.read()
    candidate = appended(current, rows)
    loaded = load_evidence(candidate, clinic_ids, today)
    if not loaded.ok:
        return Recorded(problems=tuple(loaded.errors))
    try:
        return Recorded(entry=store.save(candidate, base_hash, who=who, action=action, note=note))
    except StoreError as err:  # a conflict, a held lock, a full or read-only disk: the store's own sentence
        return Recorded(refused=str(err))


# ---------------------------------------------------------------------- evidence against the record
def criterion_fields(c: Criterion) -> tuple[str, ...]:
    """The clinics-file columns a criterion reads: what evidence must back for it to be verified."""
    ev = c.evaluate
    return tuple(ev[k] for k in ("column", "rating_column", "count_column") if k in ev)


def _canonical(text: pd.Series, field: str) -> np.ndarray:
    """Values as their column writes them (yes/no, ISO dates, ';' lists in order...), case and spacing folded,
    so that two spellings of one value compare equal."""
    column = replace(BY_NAME[field], required=False, unique=False)
    return _folded(column.kind.format(column.kind.parse(Cells(text.fillna("").astype(str).str.strip()), column)))


def _folded(text: pd.Series) -> np.ndarray:
    """Text with case and runs of spaces folded."""
    folded = pc.utf8_trim_whitespace(pc.replace_substring_regex(
        pc.utf8_lower(pa.array(text.to_numpy(dtype=object), type=pa.large_string())), r"\s+", " "))
    return folded.to_numpy(zero_copy_only=False)


def compare(clinics: pd.DataFrame, evidence: pd.DataFrame) -> pd.DataFrame:
    """The latest evidence for each clinic and field (by checked_on; a tie goes to the later row), beside
    what the clinics file records: `file_value`, and `agrees`. `clinics` is indexed by clinic_id."""
    columns = [*EVIDENCE_CONTRACT.names, "file_value", "agrees"]
    if evidence.empty or clinics.empty:
        return pd.DataFrame(columns=columns)
    where = clinics.index.get_indexer(evidence["clinic_id"].to_numpy(dtype=object))  # -1: no such clinic
    order = np.argsort(evidence["checked_on"].to_numpy(), kind="stable")
    order = order[where[order] >= 0]
    last = evidence.iloc[order].assign(_at=where[order]).drop_duplicates(["clinic_id", "field"], keep="last")
    last = last.reset_index(drop=True)
    file_value = np.full(len(last), "", dtype=object)
    agrees = np.zeros(len(last), dtype=bool)
    at = last.pop("_at").to_numpy()
    for name, rows in last.groupby("field", observed=True).indices.items():
        field = str(name)
        recorded = contract_text(clinics[field].iloc[at[rows]].rename(field)).to_numpy(dtype=object)
        file_value[rows] = recorded
        said = _canonical(last["value"].iloc[rows].rename(field), field)
        agrees[rows] = said == _folded(pd.Series(recorded))  # the record's text is already as its kind writes it
    last["file_value"], last["agrees"] = file_value, agrees
    last["value"] = last["value"].fillna("")
    return last[columns]


def verification(states: pd.DataFrame, compared: pd.DataFrame, checklist: Checklist) -> pd.DataFrame:
    """Clinics x criteria: VERIFIED, STATED, NOT_VERIFIED or NOT_APPLICABLE (int8). Verified means the record
    answers the criterion and the latest evidence for every column it reads agrees."""
    s = states.to_numpy()
    agreeing = compared[compared["agrees"].astype(bool).to_numpy()]
    at = states.index.get_indexer(agreeing["clinic_id"].to_numpy(dtype=object))
    none = np.zeros(len(states), dtype=bool)
    backed = {}
    for f, rows in agreeing.groupby("field", observed=True).indices.items():
        backed[str(f)] = none.copy()
        backed[str(f)][at[rows][at[rows] >= 0]] = True
    out = np.empty(s.shape, dtype=np.int8)
    for j, cid in enumerate(states.columns):
        ok = np.logical_and.reduce([backed.get(f, none) for f in criterion_fields(checklist[cid])] or [none])
        out[:, j] = np.where(s[:, j] == NOT_APPLICABLE_STATE, NOT_APPLICABLE,
                             np.where(s[:, j] == UNKNOWN_STATE, NOT_VERIFIED, np.where(ok, VERIFIED, STATED)))
    return pd.DataFrame(out, index=states.index, columns=states.columns)


def coverage(verified: pd.DataFrame) -> pd.DataFrame:
    """Per clinic: criteria verified, criteria that apply, and the share verified (0 when none apply)."""
    v = verified.to_numpy()
    done, applies = (v == VERIFIED).sum(axis=1), (v != NOT_APPLICABLE).sum(axis=1)
    share = np.divide(done, applies, out=np.zeros(len(v)), where=applies > 0)
    return pd.DataFrame({"verified": done, "applicable": applies, "share": share}, index=verified.index)


def coverage_text(verified: int, applicable: int) -> str:
    """'Evidence backs 7 of 24 criteria' (how far a clinic's record has been checked)."""
    return f"Evidence backs {verified} of {applicable} criteria that apply"


def how_verified(row: pd.Series | dict) -> str:
    """'verified 2026-10-03 by phone (analyst-a)': one evidence row, said plainly."""
    when = pd.Timestamp(row["checked_on"]).strftime("%Y-%m-%d")
    method = METHOD_WORDS.get(str(row["method"]), str(row["method"]))
    return f"verified {when} {method} ({strip_invisible(str(row['checked_by']))})"


def backing(compared: pd.DataFrame, clinic_id: str, c: Criterion) -> pd.DataFrame:
    """The latest evidence rows for the columns criterion `c` reads, for one clinic."""
    fields = criterion_fields(c)
    rows = compared[(compared["clinic_id"] == clinic_id) & compared["field"].isin(fields)]
    return rows.sort_values("checked_on")


def contradictions(compared: pd.DataFrame, clinics: pd.DataFrame) -> pd.DataFrame:
    """Every latest evidence row that disagrees with the clinics file, newest check first: findings for an
    analyst (nothing is changed automatically)."""
    bad = compared[~compared["agrees"].astype(bool)].copy()
    bad.insert(1, "name", clinics["name"].reindex(bad["clinic_id"]).to_numpy())
    bad = bad.rename(columns={"value": "evidence_value"})
    cols = ["clinic_id", "name", "field", "file_value", "evidence_value", "method", "checked_on", "checked_by",
            "source"]
    return bad[cols].sort_values(["checked_on", "clinic_id"], ascending=[False, True]).reset_index(drop=True)


def unbacked_critical(clinics: pd.DataFrame, states: pd.DataFrame, verified: pd.DataFrame,
                      checklist: Checklist) -> pd.DataFrame:
    """The analysts' work list: each critical criterion of each clinic that applies but is not verified,
    the clinics whose record was last verified longest ago first."""
    critical = [c for c in checklist.critical_ids() if c in verified.columns]
    v = verified[critical].to_numpy()
    rows, cols = np.nonzero((v == STATED) | (v == NOT_VERIFIED))
    mine = clinics.iloc[clinics.index.get_indexer(verified.index)]
    rank = np.empty(len(mine), dtype=np.int64)  # each clinic's place: oldest record first, then by name and id
    rank[np.lexsort((mine["clinic_id"].to_numpy(dtype=object), mine["name"].to_numpy(dtype=object),
                     mine["last_verified"].to_numpy()))] = np.arange(len(mine))
    order = np.lexsort((cols, rank[rows]))
    rows, cols = rows[order], cols[order]
    codes = sorted(STATE_LABELS)
    return pd.DataFrame({  # taken by position (Arrow takes and categoricals: no per-row Python strings)
        "clinic_id": mine["clinic_id"].array.take(rows),
        "name": mine["name"].array.take(rows),
        "criterion": pd.Categorical.from_codes(cols, [checklist[c].label for c in critical]),
        "record says": pd.Categorical.from_codes(
            np.searchsorted(codes, states[critical].to_numpy()[rows, cols]), [STATE_LABELS[x] for x in codes]),
        "last_verified": mine["last_verified"].to_numpy()[rows],
    })


@dataclass(frozen=True)
class Backing:
    """What backs one criterion's answer for one clinic: `kind` (verified, partly, stated, disagrees or none)
    and the sentence a patient reads."""

    kind: str
    text: str


def criterion_evidence(clinic_id: str, verified: pd.Series, compared: pd.DataFrame,
                       checklist: Checklist) -> dict[str, Backing]:
    """What backs each criterion of one clinic (by criterion id; none for criteria that do not apply): how it
    was verified, that only part of it was, that it is stated but unverified, or that the latest check
    disagrees with the record."""
    mine = compared[compared["clinic_id"] == clinic_id]
    out: dict[str, Backing] = {}
    for c in checklist.criteria:
        state = int(verified[c.id])
        if state == NOT_APPLICABLE:
            continue
        rows = mine[mine["field"].isin(criterion_fields(c))].sort_values("checked_on")
        agree = rows["agrees"].astype(bool).to_numpy()
        if not agree.all():
            d = rows[~agree].iloc[-1]
            said = strip_invisible(str(d["value"]))[:80] or "nothing"
            out[c.id] = Backing("disagrees", f"Evidence disagrees: a check on {pd.Timestamp(d['checked_on']):%Y-%m-%d} "
                                f"{METHOD_WORDS.get(str(d['method']), str(d['method']))} found {said!r} where the "
                                f"record says {str(d['file_value']) or 'nothing'!r}. Ask the clinic.")
            continue
        how = "; ".join(dict.fromkeys(map(how_verified, rows.to_dict("records"))))
        if state == VERIFIED:
            out[c.id] = Backing("verified", f"Evidence: {how}.")
        elif state == STATED and len(rows):
            out[c.id] = Backing("partly", f"Evidence: part of it {how}; the rest has not been verified yet.")
        elif state == STATED:
            out[c.id] = Backing("stated", "Evidence: none yet. The record states this answer; it has not been "
                                          "verified.")
        else:
            out[c.id] = Backing("none", "Evidence: none. The record does not say.")
    return out
