"""The fictional-clinic generator (fictional/generator.py) and the committed sample data/clinics.csv, with its
fictional evidence data/evidence.csv."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest
import zipcodes
from geopy.distance import geodesic

from fictional import (
    DEFAULT_TODAY,
    EVIDENCE_NAMES,
    SAMPLE_ROWS,
    SAMPLE_SEED,
    criteria_columns,
    critical_columns,
    generate,
    generate_evidence,
    write_csv,
)
from vetting import load_checklist, load_clinics, score
from vetting.contract import BY_NAME, CONDITIONS, CONTRACT, ROUTES, SPECIALTIES
from vetting.evidence import EVIDENCE_COLUMNS, EVIDENCE_CONTRACT, EVIDENCE_FILE, FIELDS
from vetting.kinds import NPI, TRISTATE
from vetting.load import read_raw
from vetting.npi import valid
from vetting.validate import check_column, validate

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "clinics.csv"
SAMPLE_EVIDENCE = ROOT / "data" / EVIDENCE_FILE
TODAY = DEFAULT_TODAY
CRITICAL = critical_columns()


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return generate(SAMPLE_ROWS, seed=SAMPLE_SEED, today=TODAY)


@pytest.fixture(scope="module")
def evidence(sample: pd.DataFrame) -> pd.DataFrame:
    return generate_evidence(sample, seed=SAMPLE_SEED, today=TODAY)


def read_csv_text(path: Path) -> pd.DataFrame:
    """A clinics CSV as strings, empty cells as empty strings."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_same_seed_same_frame_and_different_seed_different_frame() -> None:
    a = generate(500, seed=11, today=TODAY)
    pdt.assert_frame_equal(a, generate(500, seed=11, today=TODAY))
    b = generate(500, seed=12, today=TODAY)
    assert not a.equals(b)
    assert (a["name"] != b["name"]).mean() > 0.5


def test_columns_rows_ids(sample: pd.DataFrame) -> None:
    assert list(sample.columns) == [c.name for c in CONTRACT.columns]
    assert len(sample) == SAMPLE_ROWS
    assert sample["clinic_id"].is_unique
    assert sample["clinic_id"].str.fullmatch(r"kc-\d{6}").all()
    assert generate(0, today=TODAY).shape == (0, len(CONTRACT.columns))
    small = generate(5, today=TODAY)  # fewer rows than metros
    assert small["clinic_id"].tolist() == [f"kc-00000{i}" for i in range(1, 6)]


def test_every_cell_is_a_string(sample: pd.DataFrame) -> None:
    for col in sample.columns:
        assert sample[col].map(type).eq(str).all(), col


def test_zip_codes_keep_leading_zeros(sample: pd.DataFrame) -> None:
    assert sample["zip"].str.fullmatch(r"\d{5}").all()
    leading = sample[sample["zip"].str.startswith("0")]
    assert len(leading) > 0
    assert set(leading["state"]) & {"MA", "RI", "CT", "NJ", "ME", "NH", "VT"}
    back = read_csv_text(SAMPLE)
    assert back["zip"].str.fullmatch(r"\d{5}").all()
    assert back["zip"].str.startswith("0").sum() == len(leading)


def test_metros_and_states(sample: pd.DataFrame) -> None:
    metros = set(zip(sample["city"], sample["state"], strict=True))
    assert len(metros) >= 40
    assert sample["state"].nunique() >= 25
    assert {("Colorado Springs", "CO"), ("Denver", "CO"), ("Boston", "MA")} <= metros


def test_places_come_from_the_gazetteer(sample: pd.DataFrame) -> None:
    for z, city, state in zip(sample["zip"], sample["city"], sample["state"], strict=True):
        (entry,) = zipcodes.matching(z)
        assert (entry["city"], entry["state"]) == (city, state)
        assert entry["zip_code_type"] == "STANDARD" and entry["active"]


def test_coordinates_within_5_km_of_their_zip(sample: pd.DataFrame) -> None:
    located = sample[sample["latitude"] != ""]
    assert located["latitude"].str.fullmatch(r"-?\d+\.\d{5}").all()
    assert located["longitude"].str.fullmatch(r"-?\d+\.\d{5}").all()
    for z, lat, lon in zip(located["zip"], located["latitude"], located["longitude"], strict=True):
        (entry,) = zipcodes.matching(z)
        km = geodesic((float(lat), float(lon)), (float(entry["lat"]), float(entry["long"]))).km
        assert km <= 5.0, (z, lat, lon, km)


def test_some_rows_have_no_coordinates_and_then_neither(sample: pd.DataFrame) -> None:
    no_lat, no_lon = sample["latitude"] == "", sample["longitude"] == ""
    assert (no_lat == no_lon).all()
    assert 1 <= no_lat.sum() <= 0.05 * len(sample)


def test_fictional_contact_details(sample: pd.DataFrame) -> None:
    phones = sample.loc[sample["phone"] != "", "phone"]
    assert phones.str.fullmatch(r"\(\d{3}\) 555-01\d{2}").all()
    sites = sample.loc[sample["website"] != "", "website"]
    assert sites.str.fullmatch(r"https?://[a-z0-9-]+\.example").all()
    assert sites.is_unique
    assert 0.05 <= (sample["website"] == "").mean() <= 0.15
    assert sample["source"].str.contains("fictional").all()


def test_price_distribution(sample: pd.DataFrame) -> None:
    price = pd.to_numeric(sample["price_per_session_usd"].str.replace(r"[$,]", "", regex=True)
                          .replace("", None))
    iv = sample["routes"].str.split(";").map(lambda r: "iv" in r)
    assert 400 <= price[iv].median() <= 800
    assert (price.dropna() >= 0).all()
    assert price.isna().any()
    money_columns = ("price_per_session_usd", "price_series_usd", "consultation_fee_usd")
    money = pd.concat([sample[c] for c in money_columns])
    money = money[money != ""]
    assert money.str.fullmatch(r"\d+|\$\d{1,3}(,\d{3})*").all()
    assert money.str.startswith("$").any()


def test_red_flag_share(sample: pd.DataFrame) -> None:
    red = (sample[list(CRITICAL)] == "no").any(axis=1)
    assert 0.10 <= red.mean() <= 0.20
    critical_unknown = (sample[list(CRITICAL)] == "").any(axis=1)
    assert critical_unknown.any()


def test_vocabularies(sample: pd.DataFrame) -> None:
    tristates = CONTRACT.columns_of(TRISTATE)
    assert tristates
    for col in tristates:
        assert set(sample[col]) <= {"yes", "no", ""}, col
        if col != "rems_certified":
            assert 0.0 < (sample[col] == "").mean() <= 0.2, col
    routes = sample["routes"].str.split(";").explode()
    assert set(routes) == set(ROUTES)
    n_conditions = sample["conditions"].str.count(";") + 1
    assert n_conditions.between(2, 6).all()
    assert set(sample["conditions"].str.split(";").explode()) <= set(CONDITIONS)
    assert set(sample["medical_director_specialty"]) == {*SPECIALTIES, ""}


def test_esketamine_clinics(sample: pd.DataFrame) -> None:
    intranasal = sample["routes"].str.split(";").map(lambda r: "intranasal" in r)
    assert 0.15 <= intranasal.mean() <= 0.30
    esk = sample[intranasal]
    assert (esk["rems_certified"] == "yes").mean() > 0.6
    observed = pd.to_numeric(esk["post_session_observation_min"].replace("", None))
    assert (observed.dropna() >= 120).mean() > 0.6
    assert (esk["accepts_insurance"] == "yes").mean() > 0.6
    assert (sample.loc[~intranasal, "accepts_insurance"] == "no").mean() > 0.6


def test_dates_never_in_the_future_and_some_stale(sample: pd.DataFrame) -> None:
    verified = pd.to_datetime(sample["last_verified"], format="%Y-%m-%d")
    assert (verified <= pd.Timestamp(TODAY)).all()
    age = (pd.Timestamp(TODAY) - verified).dt.days
    assert (age > 365).mean() > 0
    assert (age <= 365).mean() > 0.7
    other = generate(2000, seed=5, today=dt.date(2024, 2, 29))
    assert other["last_verified"].max() <= "2024-02-29"
    years = pd.to_numeric(other["year_opened"].replace("", None)).dropna()
    assert years.between(2012, 2024).all()


def test_sample_file_is_reproducible() -> None:
    pdt.assert_frame_equal(read_csv_text(SAMPLE), generate(SAMPLE_ROWS, seed=SAMPLE_SEED, today=TODAY))


def test_write_csv_round_trip(tmp_path: Path) -> None:
    frame = generate(200, seed=1, today=TODAY)
    path = tmp_path / "c.csv"
    write_csv(frame, path)
    pdt.assert_frame_equal(read_csv_text(path), frame)


def test_cli_writes_a_csv(tmp_path: Path) -> None:
    out = tmp_path / "cli.csv"
    subprocess.run(
        [sys.executable, "-m", "fictional", "--rows", "50", "--seed", "3", "--today", "2026-01-15",
         "--out", str(out)],
        check=True, cwd=ROOT, capture_output=True,
    )
    pdt.assert_frame_equal(read_csv_text(out), generate(50, seed=3, today=dt.date(2026, 1, 15)))
    assert not (tmp_path / EVIDENCE_FILE).exists()  # evidence only when asked for


def test_cli_writes_evidence_when_asked(tmp_path: Path) -> None:
    out, evidence_out = tmp_path / "c.csv", tmp_path / "e.csv"
    subprocess.run(
        [sys.executable, "-m", "fictional", "--rows", "80", "--seed", "3", "--today", "2026-01-15",
         "--out", str(out), "--evidence-out", str(evidence_out)],
        check=True, cwd=ROOT, capture_output=True,
    )
    clinics = generate(80, seed=3, today=dt.date(2026, 1, 15))
    pdt.assert_frame_equal(read_csv_text(out), clinics)
    pdt.assert_frame_equal(read_csv_text(evidence_out), generate_evidence(clinics, seed=3, today=dt.date(2026, 1, 15)))


def test_generated_files_pass_the_contract(tmp_path: Path) -> None:
    for path, rows in ((SAMPLE, len(read_csv_text(SAMPLE))), (tmp_path / "big.csv", 3000)):
        if not path.exists():
            write_csv(generate(rows, seed=5, today=TODAY), path)
        result = load_clinics(path, today=TODAY)
        assert result.errors == [], path
        assert len(result.frame) == rows and result.frame["clinic_id"].is_unique


def test_sample_grades_spread_over_every_grade() -> None:
    frame = load_clinics(SAMPLE, today=TODAY, locate=False).frame
    grades = score(frame, today=TODAY).summary["grade"].value_counts(normalize=True)
    for grade in load_checklist().grading.letters:
        assert grades.get(grade, 0.0) >= 0.05, grades.to_dict()


# ---------------------------------------------------------------- NPIs and medical directors


def test_generated_npis_pass_the_contract_and_are_unique(tmp_path: Path) -> None:
    frame = generate(5000, seed=9, today=TODAY)
    npis = pd.concat([frame["npi"], frame["medical_director_npi"]])
    npis = npis[npis != ""]
    assert npis.is_unique  # across both columns: no clinic shares a number with a director
    assert npis.str.fullmatch(r"[12]\d{9}").all()  # real NPIs start with 1 or 2
    assert valid(npis.tolist()).all()
    for col in ("npi", "medical_director_npi"):
        assert BY_NAME[col].kind is NPI
        _, issues = check_column(frame[col], BY_NAME[col], TODAY)
        assert issues == [], col
    path = tmp_path / "c.csv"
    write_csv(frame, path)
    result = load_clinics(path, today=TODAY, locate=False)
    assert result.errors == []


def test_npis_and_directors_are_mostly_given_and_consistent(sample: pd.DataFrame) -> None:
    has_npi = sample["npi"] != ""
    assert 0.75 <= has_npi.mean() < 1.0  # most, not all
    named = sample["medical_director_name"] != ""
    assert named.any() and not named.all()
    assert sample.loc[named, "medical_director_name"].str.fullmatch(r"Dr\. [A-Z][a-z]+ [A-Z][A-Za-z-]+").all()
    specialties = set(sample.loc[named, "medical_director_specialty"])
    assert specialties <= {"anesthesiology", "psychiatry", "emergency_medicine", "other"}
    director_npi = sample["medical_director_npi"] != ""
    assert not (director_npi & ~named).any()  # a director's NPI only with the director's name
    assert 0.7 <= director_npi[named].mean() < 1.0
    other = generate(SAMPLE_ROWS, seed=SAMPLE_SEED + 1, today=TODAY)
    assert (other["npi"] != sample["npi"]).mean() > 0.5


# ---------------------------------------------------------------- fictional evidence


def test_evidence_is_deterministic_and_shaped(sample: pd.DataFrame, evidence: pd.DataFrame) -> None:
    assert list(evidence.columns) == list(EVIDENCE_NAMES) == [c.name for c in EVIDENCE_COLUMNS]
    pdt.assert_frame_equal(evidence, generate_evidence(sample, seed=SAMPLE_SEED, today=TODAY))
    for col in evidence.columns:
        assert evidence[col].map(type).eq(str).all(), col
    assert generate_evidence(generate(0, today=TODAY), today=TODAY).columns.tolist() == list(EVIDENCE_NAMES)
    assert set(evidence["clinic_id"]) <= set(sample["clinic_id"])
    share = evidence["clinic_id"].nunique() / len(sample)
    assert 1 / 3 <= share <= 1 / 2
    per_clinic = evidence.groupby("clinic_id").size()
    assert per_clinic.between(1, 6).all()
    assert not evidence.duplicated(["clinic_id", "field"]).any()  # a criterion is checked once per clinic


def test_evidence_checks_criteria_critical_ones_first(evidence: pd.DataFrame) -> None:
    assert set(evidence["field"]) <= set(criteria_columns()) <= set(FIELDS)
    critical = evidence["field"].isin(critical_columns())
    assert critical.mean() > 0.5
    assert set(evidence.loc[critical, "field"]) == set(critical_columns())


def test_evidence_methods_sources_people_and_dates(sample: pd.DataFrame, evidence: pd.DataFrame) -> None:
    assert set(evidence["method"]) == {"website", "phone", "document", "visit"}  # no registry rows
    web = evidence["method"] == "website"
    assert evidence.loc[web, "source"].str.fullmatch(r"https://[a-z0-9-]+\.example").all()
    assert evidence.loc[~web, "source"].str.startswith("fictional sample: ").all()
    assert evidence["checked_by"].str.fullmatch(r"analyst-[a-z]").all()
    verified = evidence["clinic_id"].map(sample.set_index("clinic_id")["last_verified"])
    assert (evidence["checked_on"] <= verified).all()
    assert (evidence["checked_on"] >= "2024-01-01").all()
    assert (evidence["checked_on"] <= TODAY.isoformat()).all()
    early = generate(300, seed=2, today=dt.date(2023, 12, 31))
    assert generate_evidence(early, seed=2, today=dt.date(2023, 12, 31)).empty  # nothing checked before 2024


def test_evidence_mostly_agrees_with_the_clinics_file(sample: pd.DataFrame, evidence: pd.DataFrame) -> None:
    said = sample.set_index("clinic_id")
    in_file = pd.Series([said.at[c, f] for c, f in zip(evidence["clinic_id"], evidence["field"], strict=True)],
                        index=evidence.index, dtype="str")
    disagree = evidence["value"] != in_file
    assert 0.005 <= disagree.mean() <= 0.03
    assert (evidence.loc[disagree, "value"] != "").all()  # a contradiction says something else, not nothing
    assert (in_file[disagree] != "").all()
    none_found = evidence["value"] == ""
    assert none_found.any() and (in_file[none_found] == "").all()


def test_sample_evidence_file_is_reproducible(sample: pd.DataFrame, evidence: pd.DataFrame) -> None:
    pdt.assert_frame_equal(read_csv_text(SAMPLE_EVIDENCE), evidence)


def _evidence_problems(path: Path, today: dt.date) -> list[object]:
    """Every problem of an evidence file: its own contract, then each value against its field's column."""
    raw, issues, _notes = read_raw(path, EVIDENCE_CONTRACT)
    problems: list[object] = [*issues, *validate(dict(raw.items()), raw.index, today, EVIDENCE_CONTRACT).issues]
    for field, rows in raw.groupby("field").groups.items():
        column = dataclasses.replace(BY_NAME[field], required=False)
        _, found = check_column(raw.loc[rows, "value"], column, today)
        problems += found
    return problems


def test_generated_evidence_files_pass_the_contract(tmp_path: Path) -> None:
    big = generate(3000, seed=5, today=TODAY)
    write_csv(generate_evidence(big, seed=5, today=TODAY), tmp_path / "evidence.csv")
    for path in (SAMPLE_EVIDENCE, tmp_path / "evidence.csv"):
        assert _evidence_problems(path, TODAY) == [], path


def test_the_evidence_check_finds_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "evidence.csv"
    path.write_text(
        "clinic_id,field,value,method,source,checked_on,checked_by\n"
        "kc-000001,physician_supervised,maybe,phone,fictional sample: phone call with the clinic,2026-01-02,a\n"
        "kc-000001,npi,1234567890,registry,fictional sample,2026-01-02,a\n"
        "kc-000001,rating,4.5,fax,fictional sample,2099-01-01,a\n", encoding="utf-8")
    problems = {(p.row, p.column) for p in _evidence_problems(path, TODAY)}
    assert problems == {(2, "physician_supervised"), (3, "npi"), (4, "method"), (4, "checked_on")}


def test_sample_evidence_loads_with_the_evidence_loader() -> None:
    from vetting.evidence import load_evidence

    clinics = load_clinics(SAMPLE, today=TODAY, locate=False)
    result = load_evidence(SAMPLE_EVIDENCE, clinics.frame["clinic_id"], TODAY)
    assert result.errors == []
    assert len(result.frame) == len(read_csv_text(SAMPLE_EVIDENCE))
