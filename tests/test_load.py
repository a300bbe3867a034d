"""The data contract: every rule, and the corpus of malformed files with their exact messages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from factory import TODAY, csv_bytes, row
from hypothesis import given, settings
from hypothesis import strategies as st

from vetting.contract import MAX_PRICE_USD
from vetting.kinds import quote
from vetting.load import load_clinics

CORPUS = Path(__file__).parent / "corpus"

EXPECTED = {
    "missing_column.csv": ["row 1, column zip: required column is missing"],
    "duplicate_id.csv": ["row 5, column clinic_id: duplicate clinic_id 'kc-001' (first used on row 2)"],
    "bad_state.csv": ["row 3, column state: 'XX' is not a USPS state code (a state, DC or PR, e.g. CO)"],
    "bad_zip.csv": [
        "row 2, column zip: '8090' is not a 5-digit ZIP code (a leading zero may have been lost: "
        "did you mean 08090?)",
        "row 3, column zip: '2116' is not a 5-digit ZIP code (a leading zero may have been lost: "
        "did you mean 02116?)",
        "row 4, column zip: '80-202' is not a 5-digit ZIP code",
    ],
    "coordinates_out_of_range.csv": [
        "row 2, column latitude: 95.5 is out of range (-90 to 90)",
        "row 3, column longitude: -200 is out of range (-180 to 180)",
    ],
    "bad_tristate.csv": [
        "row 3, column vitals_monitoring: 'maybe' is not yes, no or empty (unknown); "
        "also accepted: true/false, y/n, 1/0",
    ],
    "negative_price.csv": ["row 2, column price_per_session_usd: -450 is negative"],
    "non_http_url.csv": [
        "row 2, column website: 'ftp://files.example/clinic' is not a web link: "
        "it must start with http:// or https://",
        "row 3, column website: 'javascript:alert(1)' is not a web link: it must start with http:// or https://",
    ],
    "future_date.csv": ["row 4, column last_verified: 2030-01-15 is in the future"],
    "unknown_route.csv": [
        "row 2, column routes: unknown route 'teleport' (allowed: iv, im, intranasal, oral, separated by ';')",
    ],
    "empty.csv": ["The file is empty: a clinics CSV needs a header row and one row per clinic."],
    "binary.csv": ["The file is binary, not CSV text: save it from your spreadsheet as 'CSV UTF-8' "
                   "and upload that."],
    "latin1.csv": ["The file is not UTF-8 text: byte 0xed on line 3 cannot be read (save it as 'CSV UTF-8'; "
                   "it looks like another encoding, such as Latin-1 or Windows-1252)."],
    "spreadsheet.xlsx.csv": ["The file is a spreadsheet or archive, not a CSV: save it from your spreadsheet "
                             "as 'CSV UTF-8' and upload that."],
    "ragged_row.csv": ["row 3, column (whole row): has 51 values but the header has 50 columns"],
    "many_problems.csv": [
        "row 2, column rating: 6.5 is out of range (1.0 to 5.0)",
        "row 2, column review_count: 'ten' is not a whole number",
        "row 3, column latitude: is empty but longitude is given (give both or neither)",
        "row 3, column year_opened: 1850 is out of range (1990 to 2026)",
        "row 4, column clinic_id: 'kc 003' may contain only letters (A-Z, a-z), digits, '-' and '_'",
        "row 4, column medical_director_specialty: 'surgery' is not one of: anesthesiology, psychiatry, "
        "emergency_medicine, other, none (or empty)",
        "row 4, column conditions: unknown condition 'flu' (allowed: depression, treatment_resistant_depression, "
        "anxiety, ptsd, ocd, bipolar_depression, suicidal_ideation, chronic_pain, migraine, fibromyalgia, crps, "
        "neuropathic_pain, separated by ';')",
        "row 4, column last_verified: '2026-02-30' is not a date written YYYY-MM-DD",
    ],
}


def test_every_corpus_file_has_an_expectation():
    files = {p.name for p in CORPUS.iterdir()} - {"valid.csv", "bom_and_extra_column.csv"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gets_exact_messages_and_no_frame(name):
    result = load_clinics(CORPUS / name, today=TODAY)
    assert not result.ok
    assert result.frame is None
    assert [str(e) for e in result.errors] == EXPECTED[name]


def test_valid_file_loads_typed():
    result = load_clinics(CORPUS / "valid.csv", today=TODAY)
    assert result.ok, result.errors
    f = result.frame
    assert list(f["clinic_id"]) == ["kc-001", "kc-002", "kc-003"]
    assert f.loc[1, "zip"] == "02116"  # the leading zero survives
    assert str(f["physician_supervised"].dtype) == "boolean"
    assert f.loc[2, "physician_supervised"] is False or f.loc[2, "physician_supervised"] == False  # noqa: E712
    assert pd.isna(f.loc[1, "acls_on_site"])  # unknown stays unknown, not False
    assert f.loc[2, "price_per_session_usd"] == 1200.0  # "$1,200"
    assert f.loc[1, "routes"] == "iv;intranasal"


def test_missing_coordinates_come_from_zip_and_say_so():
    f = load_clinics(CORPUS / "valid.csv", today=TODAY).frame
    assert list(f["location_source"]) == ["listed", "listed", "ZIP centroid"]
    assert f.loc[2, "latitude"] == pytest.approx(39.75, abs=0.1)  # Denver 80202


def test_bom_is_tolerated_and_extra_columns_kept_with_a_warning():
    result = load_clinics(CORPUS / "bom_and_extra_column.csv", today=TODAY)
    assert result.ok
    assert "clinic_id" in result.frame.columns
    assert list(result.frame["notes"]) == ["x", "x", "x"]
    assert result.warnings == ["column notes is not in the data contract: it is kept but not used for scoring"]


def test_absent_optional_column_is_unknown_with_a_warning():
    columns = [c for c in row() if c != "acls_on_site"]
    result = load_clinics(csv_bytes([row()], columns), today=TODAY)
    assert result.ok
    assert result.frame["acls_on_site"].isna().all()
    assert "column acls_on_site is absent: every row has it unknown (not verified, never 'no')" in result.warnings


def test_header_with_capitals_is_named():
    data = csv_bytes([row()]).replace(b"clinic_id", b"Clinic_ID", 1)
    errors = [str(e) for e in load_clinics(data, today=TODAY).errors]
    assert "row 1, column Clinic_ID: column names are lower case: rename it to clinic_id" in errors


def test_required_value_empty():
    errors = [str(e) for e in load_clinics(csv_bytes([row(name="")]), today=TODAY).errors]
    assert errors == ["row 2, column name: is required but empty"]


def test_too_long_name_and_id():
    errors = [str(e) for e in load_clinics(csv_bytes([row(clinic_id="x" * 41, name="n" * 201)]),
                                           today=TODAY).errors]
    assert errors == ["row 2, column clinic_id: is 41 characters long; at most 40 are allowed",
                      "row 2, column name: is 201 characters long; at most 200 are allowed"]


def test_blank_lines_do_not_shift_row_numbers():
    data = csv_bytes([row(clinic_id="a"), row(clinic_id="b", state="ZZ")])
    lines = data.split(b"\n")
    data = b"\n".join(lines[:2] + [b",,,"] + lines[2:])  # an empty spreadsheet row 3
    errors = [str(e) for e in load_clinics(data, today=TODAY).errors]
    assert errors == ["row 4, column state: 'ZZ' is not a USPS state code (a state, DC or PR, e.g. CO)"]


def test_zip_plus_four_is_stored_as_five_digits():
    f = load_clinics(csv_bytes([row(zip="80903-1234")]), today=TODAY).frame
    assert f.loc[0, "zip"] == "80903"


def test_missing_file_is_one_sentence(tmp_path):
    result = load_clinics(tmp_path / "nope.csv", today=TODAY)
    assert result.errors == [f"There is no file at {tmp_path / 'nope.csv'}."]


def test_header_only_is_valid_and_empty():
    result = load_clinics(csv_bytes([]), today=TODAY)
    assert result.ok and len(result.frame) == 0


SPELLINGS = {"yes": True, "true": True, "y": True, "1": True, "no": False, "false": False, "n": False,
             "0": False, "": None, "unknown": None}


@settings(max_examples=20)
@given(word=st.sampled_from(sorted(SPELLINGS)), case=st.sampled_from(["lower", "upper", "title"]))
def test_tristate_spellings_in_any_case(word, case):
    spelled = getattr(word, case)()
    f = load_clinics(csv_bytes([row(acls_on_site=spelled)]), today=TODAY, locate=False).frame
    value = f.loc[0, "acls_on_site"]
    expected = SPELLINGS[word]
    assert (pd.isna(value) if expected is None else bool(value) is expected)


@settings(max_examples=25)
@given(amount=st.integers(min_value=0, max_value=10 * MAX_PRICE_USD), dollar=st.booleans(), commas=st.booleans(),
       cents=st.sampled_from(["", ".5", ".00", ".99"]))
def test_money_spellings(amount, dollar, commas, cents):
    text = (f"{amount:,}" if commas else str(amount)) + cents
    text = ("$" if dollar else "") + text
    result = load_clinics(csv_bytes([row(price_per_session_usd=text)]), today=TODAY, locate=False)
    if amount + float("0" + cents) <= MAX_PRICE_USD:
        assert result.frame.loc[0, "price_per_session_usd"] == pytest.approx(amount + float("0" + cents))
    else:
        assert [str(e) for e in result.errors] == [
            f"row 2, column price_per_session_usd: {quote(text)} is more than ${MAX_PRICE_USD:,}, the most this "
            "column allows"]


@settings(max_examples=25)
@given(z=st.integers(min_value=0, max_value=99999))
def test_any_five_digit_zip_keeps_its_zeros(z):
    text = f"{z:05d}"
    f = load_clinics(csv_bytes([row(zip=text)]), today=TODAY, locate=False).frame
    assert f.loc[0, "zip"] == text


@settings(max_examples=25)
@given(junk=st.text(max_size=30))
def test_arbitrary_tristate_text_never_crashes(junk):
    result = load_clinics(csv_bytes([row(vitals_monitoring=junk)]), today=TODAY, locate=False)
    if not result.ok and not result.unreadable:  # a NUL byte makes the whole file unreadable
        assert all(str(e).startswith("row ") for e in result.errors)


@settings(max_examples=25)
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(data):
    result = load_clinics(data, today=TODAY)
    assert result.ok or result.errors
