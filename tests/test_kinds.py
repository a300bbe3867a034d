"""A value kind, or a column of a kind, is one entry: the loader, its messages, the CSV export and the diff
all follow it (vetting/kinds.py declares each kind; vetting/contract.py names each column's kind)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc
from factory import TODAY, csv_bytes, row

from vetting.contract import CONTRACT, Column
from vetting.diff import diff_frames
from vetting.export import clinics_csv
from vetting.kinds import KINDS, WHOLE, Cells, Rule, ValueKind, not_matching, says
from vetting.load import load_clinics


def load(rows: list[dict[str, str]], contract=CONTRACT):
    columns = [*CONTRACT.names, *(c for c in rows[0] if c not in CONTRACT.by_name)]
    return load_clinics(csv_bytes(rows, columns), today=TODAY, locate=False, contract=contract)


def test_a_new_column_of_an_existing_kind_is_one_entry():
    contract = CONTRACT.with_columns(Column("wait_weeks", WHOLE))
    plain = load([row(wait_weeks="3")])
    assert "column wait_weeks is not in the data contract: it is kept but not used for scoring" in plain.warnings

    result = load([row(wait_weeks="3")], contract)
    assert result.ok and result.warnings == []
    assert str(result.frame["wait_weeks"].dtype) == "Int64" and result.frame.loc[0, "wait_weeks"] == 3

    refused = load([row(wait_weeks="soon"), row(clinic_id="kc-2", wait_weeks="-1")], contract)
    assert [str(e) for e in refused.errors] == ["row 2, column wait_weeks: 'soon' is not a whole number",
                                                "row 3, column wait_weeks: -1 is negative"]

    assert pd.read_csv(pd.io.common.StringIO(clinics_csv(result.frame, contract)), dtype=str)["wait_weeks"][0] == "3"
    later = load([row(wait_weeks="5")], contract).frame
    changed = diff_frames(result.frame, later, contract=contract).changed
    assert changed[["column", "old", "new"]].values.tolist() == [["wait_weeks", "3", "5"]]


def _percent(cells: Cells, column: Column) -> pd.Series:
    """'85%' or '85' -> 0.85."""
    number = pc.replace_substring(cells.arrow, "%", "")
    values = pd.to_numeric(pd.Series(number.to_numpy(zero_copy_only=False), index=cells.index), errors="coerce")
    return values / 100


PERCENT = ValueKind(
    "percent", _percent,
    lambda column, today: [
        Rule("percent", not_matching(r"\d+(?:\.\d+)?%?"), says("{q} is not a percentage")),
        Rule("range", lambda _cells, values: (values > 1).to_numpy(dtype=bool, na_value=False),
             says("{v} is over 100%"))],
    lambda s: (s * 100).round(1).map("{:g}%".format, na_action="ignore").fillna("").astype(object),
)


def test_a_new_kind_is_one_entry():
    assert PERCENT not in KINDS
    contract = CONTRACT.with_columns(Column("staff_retention", PERCENT))
    result = load([row(staff_retention="85%"), row(clinic_id="kc-2", staff_retention="")], contract)
    assert result.ok, result.errors
    assert result.frame.loc[0, "staff_retention"] == 0.85 and np.isnan(result.frame.loc[1, "staff_retention"])

    refused = load([row(staff_retention="most"), row(clinic_id="kc-2", staff_retention="120%")], contract)
    assert [str(e) for e in refused.errors] == ["row 2, column staff_retention: 'most' is not a percentage",
                                                "row 3, column staff_retention: 120% is over 100%"]

    written = pd.read_csv(pd.io.common.StringIO(clinics_csv(result.frame, contract)), dtype=str,
                          keep_default_na=False)
    assert list(written["staff_retention"]) == ["85%", ""]
    assert load_clinics(clinics_csv(result.frame, contract).encode(), today=TODAY, locate=False,
                        contract=contract).frame["staff_retention"].tolist()[0] == 0.85  # the round trip holds

    later = load([row(staff_retention="90%"), row(clinic_id="kc-2", staff_retention="")], contract).frame
    changed = diff_frames(result.frame, later, contract=contract).changed
    assert changed[["column", "old", "new"]].values.tolist() == [["staff_retention", "85%", "90%"]]


def test_every_kind_writes_back_what_it_reads():
    """For every contract column, text -> typed -> text is stable (a second round changes nothing)."""
    frame = load([row(), row(clinic_id="kc-2", price_per_session_usd="$1,200", acls_on_site="Y",
                              routes="oral; IV", latitude="", longitude="", rating="")]).frame
    once = clinics_csv(frame)
    again = clinics_csv(load_clinics(once.encode(), today=TODAY, locate=False).frame)
    assert once == again
    written = pd.read_csv(pd.io.common.StringIO(once), dtype=str, keep_default_na=False)
    assert written.loc[1, ["price_per_session_usd", "acls_on_site", "routes"]].tolist() == ["1200", "yes", "iv;oral"]
