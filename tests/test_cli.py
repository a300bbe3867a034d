"""`python -m vetting`: exit codes, formats and messages, with no traceback for any user error."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from vetting.cli import main

CORPUS = Path(__file__).parent / "corpus"
VALID = str(CORPUS / "valid.csv")
REPO = Path(__file__).resolve().parent.parent


def run(capsys, *args):
    code = main(["--today", "2026-11-21", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_valid_file_one_line_summary(capsys):
    code, out, err = run(capsys, "validate", VALID)
    assert code == 0
    assert out == f"{VALID}: valid: 3 clinics, 2 with coordinates, 1 located from their ZIP\n"


def test_validate_invalid_file_lists_row_column_messages(capsys):
    code, out, err = run(capsys, "validate", str(CORPUS / "many_problems.csv"))
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0] == "row 2, column rating: 6.5 is out of range (1.0 to 5.0)"
    assert len([ln for ln in lines if ln.startswith("row ")]) == 8
    assert lines[-1].endswith("invalid: 8 problems found in 3 row(s)")


@pytest.mark.parametrize("name", ["empty.csv", "binary.csv", "latin1.csv"])
def test_validate_unreadable_file_is_one_sentence(capsys, name):
    code, out, err = run(capsys, "validate", str(CORPUS / name))
    assert code == 1
    assert err.splitlines()[0].startswith("The file is")
    assert "Traceback" not in err


def test_score_csv_has_contract_fields_best_first(capsys):
    code, out, _ = run(capsys, "score", VALID)
    assert code == 0
    frame = pd.read_csv(io.StringIO(out), keep_default_na=False)
    assert list(frame.columns[:9]) == ["clinic_id", "name", "city", "state", "score", "grade", "red_flags",
                                       "unverified", "completeness"]
    by_id = frame.set_index("clinic_id")
    assert by_id.loc["kc-003", "red_flags"] == "physician_supervised"
    assert by_id.loc["kc-003", "grade"] == "F"
    assert by_id.loc["kc-002", "unverified"] == ""  # acls is not critical
    assert frame["score"].is_monotonic_decreasing


def test_score_json(capsys):
    code, out, _ = run(capsys, "score", VALID, "--format", "json")
    records = json.loads(out)
    assert code == 0 and len(records) == 3
    assert {"clinic_id", "score", "grade", "red_flags", "unverified", "completeness"} <= set(records[0])


def test_score_with_weights_file(capsys, tmp_path):
    weights = tmp_path / "w.toml"
    weights.write_text("[weights]\nacls_on_site = 0\n")
    _, out, _ = run(capsys, "score", VALID, "--format", "json", "--weights", str(weights))
    by_id = {r["clinic_id"]: r for r in json.loads(out)}
    assert by_id["kc-002"]["score"] == 100.0  # its only miss was acls_on_site
    weights_json = tmp_path / "w.json"
    weights_json.write_text(json.dumps({"acls_on_site": 0}))
    _, out2, _ = run(capsys, "score", VALID, "--format", "json", "--weights", str(weights_json))
    assert json.loads(out2) == json.loads(out)


@pytest.mark.parametrize(("content", "message"), [
    ("acls_on_site = -1\n", "must be a number >= 0"),
    ("nope = 1\n", "unknown criterion id(s) in weights: nope"),
    ("acls_on_site = 'high'\n", "must be a number"),
    ("not toml at all [", "is not valid TOML"),
])
def test_bad_weights_file_is_a_usage_error(capsys, tmp_path, content, message):
    weights = tmp_path / "w.toml"
    weights.write_text(content)
    code, out, err = run(capsys, "score", VALID, "--weights", str(weights))
    assert code == 2 and message in err and "Traceback" not in err


def test_nearby_nearest_first_with_distance(capsys):
    code, out, err = run(capsys, "nearby", VALID, "--near", "Colorado Springs, CO", "--radius-km", "150")
    assert code == 0
    frame = pd.read_csv(io.StringIO(out), dtype={"zip": str})
    assert list(frame["clinic_id"]) == ["kc-001", "kc-003"]  # Boston is too far
    assert {"clinic_id", "name", "distance_km", "score", "grade"} <= set(frame.columns)
    assert frame["distance_km"].is_monotonic_increasing
    assert "2 clinic(s) within 150 km of Colorado Springs, CO" in err


@pytest.mark.parametrize("query", ["02116", "42.35,-71.07"])
def test_nearby_accepts_zip_and_coordinates(capsys, query):
    code, out, _ = run(capsys, "nearby", VALID, "--near", query, "--limit", "1", "--format", "json")
    assert code == 0 and [r["clinic_id"] for r in json.loads(out)] == ["kc-002"]
    assert json.loads(out)[0]["zip"] == "02116"


def test_nearby_unknown_place_is_a_clear_sentence(capsys):
    code, out, err = run(capsys, "nearby", VALID, "--near", "Atlantis, ZZ")
    assert code == 1 and out == ""
    assert err.startswith("Cannot find the place 'Atlantis, ZZ'")


@pytest.mark.parametrize("args", [[], ["frobnicate"], ["nearby", VALID], ["nearby", VALID, "--near", "80903",
                                                                           "--radius-km", "-5"],
                                  ["score", VALID, "--format", "xml"], ["nearby", VALID, "--near", "x",
                                                                         "--limit", "ten"]])
def test_usage_errors_exit_2(capsys, args):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_missing_file_is_a_usage_error(capsys):
    code, _, err = run(capsys, "score", "/no/such/file.csv")
    assert code == 2 and "no such file: /no/such/file.csv" in err


def test_help_documents_each_command():
    out = subprocess.run([sys.executable, "-m", "vetting", "--help"], capture_output=True, text=True,
                         cwd=REPO).stdout
    for command in ("validate", "score", "nearby"):
        assert command in out
    nearby_help = subprocess.run([sys.executable, "-m", "vetting", "nearby", "--help"], capture_output=True,
                                 text=True, cwd=REPO).stdout
    for option in ("--near", "--radius-km", "--limit", "--format"):
        assert option in nearby_help


def test_real_process_exit_codes_and_no_traceback():
    ok = subprocess.run([sys.executable, "-m", "vetting", "validate", VALID], capture_output=True, text=True,
                        cwd=REPO)
    bad = subprocess.run([sys.executable, "-m", "vetting", "validate", str(CORPUS / "binary.csv")],
                         capture_output=True, text=True, cwd=REPO)
    usage = subprocess.run([sys.executable, "-m", "vetting", "score"], capture_output=True, text=True, cwd=REPO)
    assert (ok.returncode, bad.returncode, usage.returncode) == (0, 1, 2)
    assert all("Traceback" not in p.stderr for p in (ok, bad, usage))


def test_csv_output_neutralises_formulas(capsys, tmp_path):
    data = (CORPUS / "valid.csv").read_text().replace("Test Clinic,", "=HYPERLINK(\"x\"),", 1)
    path = tmp_path / "f.csv"
    path.write_text(data)
    _, out, _ = run(capsys, "score", str(path))
    assert "'=HYPERLINK" in out


def test_nothing_invisible_reaches_the_terminal(capsys, tmp_path):
    path = tmp_path / "clinics\x1b[2J\u202e.csv"  # the path is printed back in the summary line
    path.write_bytes(Path(VALID).read_bytes())
    code, out, err = run(capsys, "validate", str(path))
    assert code == 0 and "clinics[2J.csv: valid: 3 clinics" in out
    assert "\x1b" not in err + out and "\u202e" not in err + out


def test_validate_checks_the_evidence_file_beside_the_clinics_file(capsys, tmp_path):
    clinics = tmp_path / "clinics.csv"
    clinics.write_bytes(Path(VALID).read_bytes())
    first = pd.read_csv(VALID, dtype=str)["clinic_id"].iloc[0]
    header = "clinic_id,field,value,method,source,checked_on,checked_by\n"
    evidence = tmp_path / "evidence.csv"
    evidence.write_text(header + f"{first},acls_on_site,yes,phone,a call,2026-10-03,alice\n", encoding="utf-8")
    code, out, err = run(capsys, "validate", str(clinics))
    assert code == 0, err
    assert out.splitlines()[-1] == f"{evidence}: valid: 1 evidence row(s)"

    evidence.write_text(header + f"{first},acls_on_site,maybe,phone,a call,2026-10-03,alice\n"
                        "kc-nowhere,acls_on_site,yes,fax,a call,2026-10-03,alice\n", encoding="utf-8")
    code, out, err = run(capsys, "validate", str(clinics))
    assert code == 1
    lines = err.splitlines()
    assert lines[0].startswith("evidence.csv: row 2, column value: as acls_on_site: 'maybe' is not yes, no")
    assert lines[1].startswith("evidence.csv: row 3, column clinic_id: 'kc-nowhere' is not the clinic_id")
    assert lines[2].startswith("evidence.csv: row 3, column method: 'fax' is not one of")
