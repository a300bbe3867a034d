"""The registry check against a loopback fake of the CMS NPPES NPI Registry (tests/fake_npi_registry.py), and
the shared online client (vetting.online) under it: the real client code talks to a real local server."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from factory import TODAY, csv_bytes, row, typed
from fake_nominatim import PLACES, fake_nominatim
from fake_npi_registry import CASES, FAILING, fake_npi_registry
from fake_online import dead_url

from vetting import npi
from vetting.cli import main
from vetting.contract import BY_NAME
from vetting.evidence import EVIDENCE_COLUMNS, empty_evidence, evidence_csv, load_evidence, with_rows
from vetting.geo import OnlineGeocoder, Place
from vetting.kinds import strip_invisible
from vetting.online import DiskCache
from vetting.registry import (
    EVIDENCE_FIELDS,
    MIN_DELAY_SECONDS,
    NOT_CHECKED,
    RECORD_COLUMNS,
    REFRESH_AFTER_DAYS,
    NpiRegistry,
    check,
    lookup_url,
    names_match,
    to_evidence,
)
from vetting.validate import check_column

REPO = Path(__file__).resolve().parent.parent
FETCHED = dt.datetime(2026, 11, 20, 15, 30, tzinfo=dt.UTC)  # the registry's clock in these tests
YES, NO, UNKNOWN = "yes", "no", "unknown"
STATE = row()["state"]  # where the factory's clinic is
VERDICTS = ["found", "active", "type_ok", "state_ok", "specialty_ok", "name_ok"]  # as the brief names them


@pytest.fixture
def fake():
    with fake_npi_registry() as server:
        yield server


def registry(fake, tmp_path, **kw) -> NpiRegistry:
    """A registry on the fake, with its own cache file, no wait between requests unless asked."""
    options = {"min_delay_seconds": 0.0, "timeout_seconds": 0.5, "now": lambda: FETCHED} | kw
    return NpiRegistry(fake.api_url, tmp_path / "npi.json", **options)


def clinic(clinic_id: str, number: str = "", **kw: str) -> dict[str, str]:
    """A clinic listing `number` as its own NPI (and no director)."""
    return row(clinic_id=clinic_id, npi=number, **kw)


def directed(clinic_id: str, number: str, name: str = "Dr. Jane Doe, MD", specialty: str = "anesthesiology",
             **kw: str) -> dict[str, str]:
    """A clinic listing a medical director's NPI, name and specialty (and no NPI of its own)."""
    return row(clinic_id=clinic_id, medical_director_npi=number, medical_director_name=name,
               medical_director_specialty=specialty, **kw)


def one_record(fake, tmp_path, clinic_row: dict[str, str]) -> dict[str, str]:
    report = check(typed([clinic_row]), registry(fake, tmp_path), online=True)
    assert len(report.records) == 1
    return report.records.iloc[0].to_dict()


# ------------------------------------------------------------------ each recorded answer
@pytest.mark.parametrize(("key", "expected", "finding"), [
    ("organisation", [YES, YES, YES, YES, UNKNOWN, YES], "The registry lists NPI {npi} as '{name}', an active "
                                                         "organisation in "),
    ("deactivated", [YES, NO, YES, YES, UNKNOWN, YES], "The registry lists NPI {npi} as deactivated."),
    ("individual", [YES, YES, NO, YES, UNKNOWN, NO], "NPI {npi} is registered to an individual (NPI-1), not an "
                                                     "organisation (NPI-2)."),
    ("out_of_state", [YES, YES, YES, NO, UNKNOWN, YES], "Its practice location is in {state}, not " + STATE + "."),
    ("not_found", [NO, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN], "NPI {npi} is not in the NPI registry."),
])
def test_a_clinics_npi(fake, tmp_path, key, expected, finding):
    case = CASES[key]
    record = one_record(fake, tmp_path, clinic("c", case.npi))
    assert (record["role"], record["npi"]) == ("clinic", case.npi)
    assert [record[v] for v in VERDICTS] == expected
    assert finding.format(npi=case.npi, name=case.name, state=case.state) in record["findings"]
    assert record["error"] == "" and record["fetched_on"] == FETCHED.date().isoformat()


@pytest.mark.parametrize(("key", "claimed", "name", "expected", "finding"), [
    ("director", "anesthesiology", "Dr. Jane Doe, MD", [YES, YES, YES, YES, YES, YES],
     "registered as {specialty}."),
    ("family_medicine", "psychiatry", "Richard Roe, D.O.", [YES, YES, YES, YES, NO, YES],
     "The director's registered specialties ({specialty}) do not include psychiatry."),
    ("family_medicine", "emergency_medicine", "Richard Roe", [YES, YES, YES, YES, NO, YES],
     "do not include emergency medicine."),
    ("director", "other", "Jane Doe", [YES, YES, YES, YES, UNKNOWN, YES], "as '{name}', an active individual"),
    ("director", "", "Jane Doe", [YES, YES, YES, YES, UNKNOWN, YES], "as '{name}'"),
    ("director", "anesthesiology", "Alice Walker", [YES, YES, YES, YES, YES, NO],
     "The registry's name '{name}' does not match 'Alice Walker'."),
    ("director", "anesthesiology", "", [YES, YES, YES, YES, YES, UNKNOWN], "as '{name}'"),
    ("organisation", "anesthesiology", "Test Clinic", [YES, YES, NO, YES, NO, YES],
     "NPI {npi} is registered to an organisation (NPI-2), not an individual (NPI-1)."),
    ("not_found", "anesthesiology", "Jane Doe", [NO] + [UNKNOWN] * 5, "NPI {npi} is not in the NPI registry."),
])
def test_a_medical_directors_npi(fake, tmp_path, key, claimed, name, expected, finding):
    case = CASES[key]
    record = one_record(fake, tmp_path, directed("c", case.npi, name=name, specialty=claimed))
    assert (record["role"], record["npi"]) == ("director", case.npi)
    assert [record[v] for v in VERDICTS] == expected
    assert finding.format(npi=case.npi, name=case.name, specialty=case.specialty) in record["findings"]


def test_a_clinic_with_both_npis_gives_two_records_and_one_request_per_distinct_npi(fake, tmp_path):
    org, director = CASES["organisation"].npi, CASES["director"].npi
    frame = typed([clinic("a", org, medical_director_npi=director, medical_director_name="Jane Doe"),
                   clinic("b", org, name="Test Clinic West"), clinic("none")])
    report = check(frame, registry(fake, tmp_path), online=True)
    assert list(report.records.columns[:12]) == ["clinic_id", "role", "npi", "found", "active", "type_ok",
                                                 "state_ok", "specialty_ok", "name_ok", "findings", "fetched_on",
                                                 "error"]
    assert list(zip(report.records["clinic_id"], report.records["role"], strict=True)) == [
        ("a", "clinic"), ("a", "director"), ("b", "clinic")]
    assert sorted(fake.asked()) == sorted([org, director])
    assert report.fetched == 2 and "2 NPI(s) of 2 clinic(s): 2 fetched" in report.summary()


@pytest.mark.parametrize(("ours", "theirs", "same"), [
    ("Dr. Jane Q. Doe, M.D.", "JANE DOE", True),
    ("Springs Ketamine Clinic", "SPRINGS KETAMINE CLINIC, P.L.L.C.", True),
    ("The Ketamine Center of Denver", "KETAMINE CENTER OF DENVER INC", True),
    ("José Núñez, CRNA", "JOSE NUNEZ", True),
    ("Springs Ketamine Clinic", "SPRINGS KETAMIN CLINIC LLC", True),  # one letter off
    ("Alice Walker", "JANE DOE", False),
    ("Clinic", "SPRINGS KETAMINE CLINIC LLC", False),  # one shared word is not the same name
    ("Sunrise Wellness", "TEST CLINIC LLC", False),
])
def test_names_match_ignoring_titles_credentials_and_company_suffixes(ours, theirs, same):
    assert names_match(ours, theirs) is same


# ------------------------------------------------------------------ failures
def test_each_failure_is_one_sentence_for_its_npi_and_the_others_are_still_checked(fake, tmp_path):
    rows = [clinic(f"bad-{key}", CASES[key].npi) for key in FAILING] + [clinic("good", CASES["organisation"].npi)]
    report = check(typed(rows), registry(fake, tmp_path, timeout_seconds=0.3), online=True)
    records = report.records.set_index("clinic_id")
    assert records.loc["good", "found"] == YES  # checked after every failure
    errors = {key: records.loc[f"bad-{key}", "error"] for key in FAILING}
    for key, error in errors.items():
        assert records.loc[f"bad-{key}", "findings"] == error
        assert [records.loc[f"bad-{key}", v] for v in VERDICTS] == [UNKNOWN] * 6
        assert error.endswith(".") and "\n" not in error and strip_invisible(error) == error
        assert "Traceback" not in error and "/srv" not in error
    assert "did not answer within 0.3 s" in errors["slow"]
    assert "HTTP status 500" in errors["server_error"]
    assert "not JSON" in errors["not_json"]
    assert "refused the query" in errors["refused"] and "unavailable" in errors["refused"]
    assert "not in the shape it documents" in errors["wrong_shape"]
    assert "not in the shape it documents" in errors["wrong_types"]
    assert (report.failed, report.fetched) == (len(FAILING), 1)
    assert list(report.failures()["npi"]) == [CASES[key].npi for key in FAILING]


def test_a_dead_registry_fails_each_npi_with_a_sentence(tmp_path):
    frame = typed([clinic("a", CASES["organisation"].npi), directed("b", CASES["director"].npi)])
    report = check(frame, NpiRegistry(dead_url(), tmp_path / "npi.json", min_delay_seconds=0.0), online=True)
    assert list(report.records["error"].str.contains("Could not reach the NPI registry at 127.0.0.1")) == [True] * 2
    assert report.summary().startswith("Nothing was fetched") and "2 failed" in report.summary()


# ------------------------------------------------------------------ offline, cache, refresh, rate limit
def test_offline_sends_nothing_then_reports_from_what_an_online_run_cached(fake, tmp_path):
    frame = typed([clinic("a", CASES["organisation"].npi), directed("b", CASES["director"].npi),
                   clinic("c", CASES["not_found"].npi)])
    offline = check(frame, registry(fake, tmp_path), online=False)
    assert fake.requests == []
    assert offline.summary().startswith("Nothing was fetched") and "3 not fetched" in offline.summary()
    assert set(offline.records["findings"]) == {NOT_CHECKED}
    assert set(offline.records[VERDICTS].to_numpy().ravel()) == {UNKNOWN}

    online = check(frame, registry(fake, tmp_path), online=True)
    assert online.fetched == 3 and len(fake.requests) == 3

    later = check(frame, registry(fake, tmp_path, now=lambda: FETCHED + dt.timedelta(days=2)), online=False)
    assert len(fake.requests) == 3  # a new registry object, the same cache file: nothing sent
    assert (later.from_cache, later.fetched) == (3, 0)
    assert "3 from the cache" in later.summary() and "Nothing was fetched" not in later.summary()
    assert set(later.records["fetched_on"]) == {FETCHED.date().isoformat()}
    pd.testing.assert_frame_equal(later.records, online.records)


def test_failed_answers_are_never_cached(fake, tmp_path):
    frame = typed([clinic(key, CASES[key].npi) for key in FAILING if key != "slow"])
    first = check(frame, registry(fake, tmp_path), online=True)
    assert first.failed == len(frame)
    assert [DiskCache(tmp_path / "npi.json").entry(n) for n in first.lookups] == [None] * len(frame)
    offline = check(frame, registry(fake, tmp_path), online=False)
    assert (offline.not_fetched, offline.from_cache) == (len(frame), 0)
    assert set(offline.records["findings"]) == {NOT_CHECKED}
    check(frame, registry(fake, tmp_path), online=True)
    assert len(fake.requests) == 2 * len(frame)  # asked again: nothing was kept


def test_an_old_answer_is_fetched_again_online_and_kept_when_the_registry_is_down(fake, tmp_path):
    frame = typed([clinic("a", CASES["organisation"].npi)])
    check(frame, registry(fake, tmp_path), online=True)
    young = FETCHED + dt.timedelta(days=REFRESH_AFTER_DAYS - 1)
    old = FETCHED + dt.timedelta(days=REFRESH_AFTER_DAYS + 1)
    assert check(frame, registry(fake, tmp_path, now=lambda: young), online=True).from_cache == 1
    assert check(frame, registry(fake, tmp_path, now=lambda: old), online=False).from_cache == 1
    assert len(fake.requests) == 1

    down = NpiRegistry(dead_url(), tmp_path / "npi.json", min_delay_seconds=0.0, now=lambda: old)
    stale = check(frame, down, online=True).records.iloc[0]
    assert stale["found"] == YES and stale["fetched_on"] == FETCHED.date().isoformat()
    assert f"answer of {FETCHED.date().isoformat()}; asking again failed: Could not reach" in stale["findings"]

    fresh = check(frame, registry(fake, tmp_path, now=lambda: old), online=True)
    assert len(fake.requests) == 2 and fresh.fetched == 1
    assert fresh.records.iloc[0]["fetched_on"] == old.date().isoformat()


def test_requests_of_one_registry_are_spaced_by_its_min_delay_across_threads(fake, tmp_path):
    one = NpiRegistry(fake.api_url, tmp_path / "npi.json")  # the real minimum delay
    numbers = [CASES[key].npi for key in ("organisation", "director", "deactivated", "not_found")]
    with ThreadPoolExecutor(len(numbers)) as pool:
        lookups = list(pool.map(lambda n: one.lookup(n, online=True), numbers))
    assert [x.answered for x in lookups] == [True] * len(numbers)
    assert sorted(fake.asked()) == sorted(numbers)
    assert min(fake.gaps()) >= MIN_DELAY_SECONDS - 0.03  # less loopback jitter


def test_an_invalid_npi_is_never_sent(fake, tmp_path):
    lookup = registry(fake, tmp_path).lookup("1234567890", online=True)
    assert not lookup.answered and "is not a valid NPI" in lookup.error
    assert fake.requests == []


# ------------------------------------------------------------------ untrusted text, evidence
def test_registry_text_reaches_findings_plain_and_bounded(fake, tmp_path):
    hostile = CASES["hostile"]
    report = check(typed([clinic("h", hostile.npi)]), registry(fake, tmp_path), online=True)
    record = report.records.iloc[0]
    assert record["name_ok"] == NO
    for text in (record["findings"], record["registry_name"]):
        assert strip_invisible(text) == text and "\u202e" not in text
    assert len(record["registry_name"]) <= 200 < len(hostile.name)
    assert len(record["findings"]) < 500
    evidence = to_evidence(report, typed([clinic("h", hostile.npi)]), "tester", fake.api_url)
    name = evidence.set_index("field").loc["name", "value"]
    assert not check_column(pd.Series([name]), BY_NAME["name"], TODAY)[1]


def test_evidence_rows_are_valid_values_of_their_columns_and_only_for_what_was_fetched(fake, tmp_path):
    org, director = CASES["organisation"], CASES["director"]
    frame = typed([
        clinic("ok", org.npi, medical_director_npi=director.npi, medical_director_name="Dr. Jane Doe"),
        clinic("gone", CASES["deactivated"].npi),
        clinic("moved", CASES["out_of_state"].npi),
        directed("fm", CASES["family_medicine"].npi, name="Richard Roe", specialty="psychiatry"),
        clinic("renamed", org.npi, name="Sunrise Wellness"),
        clinic("unknown", CASES["not_found"].npi),
        clinic("broken", CASES["server_error"].npi),
        clinic("later", CASES["individual"].npi),
    ])
    before = frame.copy()
    reg = registry(fake, tmp_path)
    check(frame.iloc[:-1], reg, online=True)
    report = check(frame, reg, online=False)  # "later" is not fetched yet
    evidence = to_evidence(report, frame, "tester", reg.url)

    assert list(evidence.columns) == EVIDENCE_FIELDS == [c.name for c in EVIDENCE_COLUMNS]
    assert set(evidence["method"]) == {"registry"} and set(evidence["checked_by"]) == {"tester"}
    assert set(evidence["checked_on"]) == {FETCHED.date().isoformat()}
    for field, value in zip(evidence["field"], evidence["value"], strict=True):
        assert not check_column(pd.Series([value]), BY_NAME[field], TODAY)[1], (field, value)
    text = evidence_csv(with_rows(empty_evidence(), evidence))
    loaded = load_evidence(text.encode("utf-8"), frame["clinic_id"], TODAY)
    assert loaded.ok, loaded.errors  # the evidence file's own contract accepts every row
    numbers = evidence.loc[evidence["field"].isin(["npi", "medical_director_npi"]) & (evidence["value"] != ""),
                           "value"]
    assert len(numbers) == 5 and npi.valid(list(numbers)).all()
    npi_of = {(c, r): n for c, r, n in report.records[["clinic_id", "role", "npi"]].itertuples(index=False)}
    for cid, field, source in evidence[["clinic_id", "field", "source"]].itertuples(index=False):
        role = "director" if field.startswith("medical_director") else "clinic"
        assert source.startswith(lookup_url(reg.url, npi_of[cid, role]) + " — "), (cid, field)
        assert len(source) <= 1000

    got = dict(zip(zip(evidence["clinic_id"], evidence["field"], strict=True), evidence["value"], strict=True))
    assert got["ok", "npi"] == org.npi and got["ok", "medical_director_npi"] == director.npi
    assert got["ok", "state"] == org.state and got["ok", "name"] == "Test Clinic"
    assert got["ok", "medical_director_specialty"] == "anesthesiology"
    assert got["ok", "medical_director_name"] == "Dr. Jane Doe"
    assert got["gone", "npi"] == ""  # the registry does not confirm a deactivated NPI
    assert got["moved", "state"] == CASES["out_of_state"].state  # disagrees with the file: a finding
    assert got["fm", "medical_director_specialty"] == "other"
    assert got["renamed", "name"] == org.name
    assert [k for k in got if k[0] == "unknown"] == [("unknown", "npi")] and got["unknown", "npi"] == ""
    assert not {"broken", "later"} & set(evidence["clinic_id"])
    pd.testing.assert_frame_equal(frame, before)  # the clinics are never changed


# ------------------------------------------------------------------ the shared client (vetting.online)
def test_a_cache_file_written_before_fetch_dates_still_reads(tmp_path):
    path = tmp_path / "geocode.json"
    main_st = PLACES["main"]
    path.write_text(json.dumps({"1 main st, springfield il": list(main_st), "nowhere": None}), encoding="utf-8")
    geocoder = OnlineGeocoder(path, url=dead_url(), min_delay_seconds=0.0)
    assert geocoder("1 Main St, Springfield IL") == Place(*main_st)
    assert geocoder("Nowhere") is None and geocoder.last_error is None
    assert DiskCache(path).entry("nowhere").fetched is None
    geocoder.cache.put("elsewhere", [], FETCHED)  # a new entry keeps its date; the old ones stay readable
    assert DiskCache(path).entry("elsewhere").fetched == FETCHED
    assert geocoder("1 Main St, Springfield IL") == Place(*main_st)


def test_a_geocoding_failure_is_a_sentence_and_is_not_cached(tmp_path):
    cache = tmp_path / "geocode.json"
    down = OnlineGeocoder(cache, url=dead_url(), min_delay_seconds=0.0)
    assert down("1 Main St, Springfield IL") is None
    assert down.last_error.startswith("Could not reach Nominatim at 127.0.0.1:")
    with fake_nominatim() as fake:
        assert OnlineGeocoder(cache, url=fake.url)("1 Main St, Springfield IL") == Place(*PLACES["main"])
    assert len(fake.requests) == 1


# ------------------------------------------------------------------ the command line
def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--today", TODAY.isoformat(), "registry-check", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def clinics_file(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("VETTING_NPI_CACHE", str(tmp_path / "npi.json"))
    monkeypatch.delenv("VETTING_NPI_REGISTRY_URL", raising=False)
    path = tmp_path / "clinics.csv"
    path.write_bytes(csv_bytes([
        clinic("a", CASES["organisation"].npi, medical_director_npi=CASES["director"].npi,
               medical_director_name="Jane Doe"),
        clinic("b", CASES["out_of_state"].npi),
    ]))
    return path


def test_cli_offline_fetches_nothing_then_online_prints_one_record_per_npi(fake, clinics_file, capsys):
    code, out, err = cli(capsys, str(clinics_file), "--registry-url", fake.api_url)
    assert code == 0 and fake.requests == []
    assert "Nothing was fetched" in err and "run the check online" in err

    code, out, err = cli(capsys, str(clinics_file), "--registry-url", fake.api_url, "--online")
    assert code == 0, err
    records = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    assert list(records.columns) == RECORD_COLUMNS
    assert list(zip(records["clinic_id"], records["role"], strict=True)) == [("a", "clinic"), ("a", "director"),
                                                                            ("b", "clinic")]
    moved = records.iloc[2]
    assert moved["state_ok"] == NO
    assert f"Its practice location is in {CASES['out_of_state'].state}, not {STATE}." in moved["findings"]
    assert "3 fetched from the NPI registry" in err and "Traceback" not in err

    code, out, err = cli(capsys, str(clinics_file), "--format", "json", "--registry-url", fake.api_url)
    as_json = json.loads(out)
    assert code == 0 and len(fake.requests) == 3  # offline again: all from the cache
    assert [r["state_ok"] for r in as_json] == list(records["state_ok"])
    assert "3 from the cache" in err


def test_cli_reads_the_registry_address_from_the_environment(fake, clinics_file, capsys, monkeypatch):
    monkeypatch.setenv("VETTING_NPI_REGISTRY_URL", fake.api_url)
    code, _, err = cli(capsys, str(clinics_file), "--online")
    assert code == 0, err
    assert len(fake.requests) == 3


def test_cli_dead_registry_is_one_line_per_npi_exit_1_and_no_traceback(clinics_file, capsys):
    code, out, err = cli(capsys, str(clinics_file), "--online", "--registry-url", dead_url())
    assert code == 1 and "Traceback" not in err
    failed = [line for line in err.splitlines() if "Could not reach the NPI registry" in line]
    assert len(failed) == 3 and failed[0].startswith("a (clinic) NPI " + CASES["organisation"].npi + ": ")
    assert err.splitlines()[-1].startswith("Nothing was fetched")
    assert len(pd.read_csv(io.StringIO(out))) == 3  # the records still print


def test_cli_invalid_file_and_bad_address(fake, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VETTING_NPI_CACHE", str(tmp_path / "npi.json"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([clinic("a", "1234567890")]))  # its check digit is wrong
    code, out, err = cli(capsys, str(bad), "--online", "--registry-url", fake.api_url)
    assert code == 1 and out == "" and "row 2, column npi:" in err and fake.requests == []
    code, _, err = cli(capsys, str(bad), "--registry-url", "ftp://example.org/api/")
    assert code == 2 and "--registry-url" in err and "Traceback" not in err


def test_cli_in_a_real_process_on_a_dead_registry(clinics_file, tmp_path):
    env = {**os.environ, "VETTING_NPI_CACHE": str(tmp_path / "npi.json")}
    done = subprocess.run([sys.executable, "-m", "vetting", "registry-check", str(clinics_file), "--online",
                           "--registry-url", dead_url()], capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "the connection was refused" in done.stderr


def test_cli_saves_the_registry_answers_as_audited_evidence_and_leaves_the_clinics_file(fake, clinics_file, capsys,
                                                                                        monkeypatch):
    from vetting.evidence import contradictions, evidence_store, load_evidence
    from vetting.load import load_clinics

    monkeypatch.setenv("USER", "carol")
    before = clinics_file.read_bytes()
    # today's date, not the fixed test date: the answers are dated when they are fetched, and the evidence
    # file refuses dates in its future
    code = main(["registry-check", str(clinics_file), "--registry-url", fake.api_url, "--online", "--save-evidence"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert clinics_file.read_bytes() == before  # a mismatch is a finding, never a change
    store = evidence_store(clinics_file)
    entry = store.entries()[-1]
    assert (entry["who"], entry["action"]) == ("carol", "registry")
    clinics = load_clinics(clinics_file).frame.set_index("clinic_id", drop=False)
    saved = load_evidence(store.path, clinics.index)
    assert saved.ok and set(saved.frame["method"]) == {"registry"}
    assert f"Saved {len(saved.frame)} evidence row(s)" in err
    from vetting.evidence import compare

    found = contradictions(compare(clinics, saved.frame), clinics)
    assert ("b", "state", CASES["out_of_state"].state) in set(zip(found["clinic_id"], found["field"],
                                                                   found["evidence_value"], strict=True))
