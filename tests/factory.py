"""Build clinic rows for tests: one valid row by default, override any column by keyword."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd

from vetting.contract import COLUMN_NAMES, columns_of
from vetting.kinds import TRISTATE
from vetting.validate import to_typed

TODAY = dt.date(2026, 11, 21)
TRISTATES = columns_of(TRISTATE)


def row(**overrides: str) -> dict[str, str]:
    """A valid clinic in Colorado Springs that meets every criterion; keywords replace columns."""
    base = {c: "" for c in COLUMN_NAMES}
    base.update({c: "yes" for c in TRISTATES})
    base.update(
        clinic_id="kc-1", name="Test Clinic", street_address="1 Test St", city="Colorado Springs",
        state="CO", zip="80903", latitude="38.8339", longitude="-104.8214", phone="(719) 555-0100",
        website="https://test-clinic.example", medical_director_specialty="anesthesiology",
        post_session_observation_min="120", rating="4.6", review_count="40", year_opened="2018",
        price_per_session_usd="550", price_series_usd="3000", consultation_fee_usd="150",
        routes="iv", conditions="depression;treatment_resistant_depression", last_verified="2026-06-01",
        source="test",
    )
    base.update(overrides)
    return base


def csv_bytes(rows: list[dict[str, str]], columns: list[str] | None = None) -> bytes:
    """The rows as a UTF-8 CSV file's bytes."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns or list(COLUMN_NAMES), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def typed(rows: list[dict[str, str]]) -> pd.DataFrame:
    """The typed frame the loader would produce (skipping file reading; rows assumed valid)."""
    raw = pd.DataFrame(rows, columns=list(COLUMN_NAMES)).astype(str)
    return to_typed(raw, TODAY).reset_index(drop=True)
