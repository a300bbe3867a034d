"""One test per data-contract rule not covered by the corpus: accepted spellings and refused values."""

from __future__ import annotations

import pytest
from factory import TODAY, csv_bytes, row

from vetting.load import load_clinics


def errors_for(**overrides) -> list[str]:
    return [str(e) for e in load_clinics(csv_bytes([row(**overrides)]), today=TODAY, locate=False).errors]


@pytest.mark.parametrize("overrides", [
    {"website": "http://clinic.example/path?q=1"},
    {"website": "HTTPS://CLINIC.EXAMPLE"},
    {"website": ""},
    {"state": "pr"}, {"state": "DC"},
    {"latitude": "", "longitude": ""},
    {"latitude": "-90", "longitude": "180"},
    {"rating": "1"}, {"rating": "5.0"}, {"rating": ""},
    {"review_count": "0"}, {"year_opened": "1990"}, {"year_opened": "2026"},
    {"medical_director_specialty": "Emergency_Medicine"}, {"medical_director_specialty": ""},
    {"routes": ""}, {"routes": " iv ; oral "}, {"conditions": "PTSD;ocd"},
    {"price_per_session_usd": "0"}, {"price_series_usd": "$3,600.50"}, {"consultation_fee_usd": ""},
    {"last_verified": "2026-11-21"},
    {"clinic_id": "A_b-9"}, {"post_session_observation_min": "0"},
])
def test_accepted(overrides):
    assert errors_for(**overrides) == []


@pytest.mark.parametrize(("overrides", "message"), [
    ({"website": "www.clinic.example"}, "row 2, column website: 'www.clinic.example' is not a web link: "
                                        "it must start with http:// or https://"),
    ({"website": "https://"}, "row 2, column website: 'https://' is not a web link: "
                              "it must start with http:// or https://"),
    ({"longitude": ""}, "row 2, column longitude: is empty but latitude is given (give both or neither)"),
    ({"latitude": "north"}, "row 2, column latitude: 'north' is not a number of decimal degrees"),
    ({"rating": "0.5"}, "row 2, column rating: 0.5 is out of range (1.0 to 5.0)"),
    ({"rating": "great"}, "row 2, column rating: 'great' is not a number"),
    ({"review_count": "-3"}, "row 2, column review_count: -3 is negative"),
    ({"review_count": "4.5"}, "row 2, column review_count: '4.5' is not a whole number"),
    ({"post_session_observation_min": "-10"}, "row 2, column post_session_observation_min: -10 is negative"),
    ({"year_opened": "2027"}, "row 2, column year_opened: 2027 is out of range (1990 to 2026)"),
    ({"year_opened": "'99"}, "row 2, column year_opened: \"'99\" is not a year"),
    ({"price_series_usd": "about 3000"}, "row 2, column price_series_usd: 'about 3000' is not an amount of "
                                         "US dollars"),
    ({"consultation_fee_usd": "$-50"}, "row 2, column consultation_fee_usd: $-50 is negative"),
    ({"last_verified": ""}, "row 2, column last_verified: is required but empty"),
    ({"last_verified": "21/11/2026"}, "row 2, column last_verified: '21/11/2026' is not a date written YYYY-MM-DD"),
    ({"city": ""}, "row 2, column city: is required but empty"),
    ({"routes": "iv,im"}, "row 2, column routes: unknown route 'iv,im' (allowed: iv, im, intranasal, oral, "
                          "separated by ';')"),
])
def test_refused_with_row_and_column(overrides, message):
    assert errors_for(**overrides) == [message]


def test_all_problems_of_all_rows_at_once():
    rows = [row(clinic_id=f"c{i}", state="XX") for i in range(50)]
    errors = [str(e) for e in load_clinics(csv_bytes(rows), today=TODAY).errors]
    assert len(errors) == 50
    assert errors[0].startswith("row 2, column state") and errors[-1].startswith("row 51, column state")


def test_data_is_never_changed_by_validation(tmp_path):
    path = tmp_path / "c.csv"
    data = csv_bytes([row(state="XX")])
    path.write_bytes(data)
    load_clinics(path, today=TODAY)
    assert path.read_bytes() == data
