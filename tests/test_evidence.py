"""NPIs in the clinics file, and the evidence file: what it refuses (by row and column), how it is weighed
against the record (verified, stated but unverified, not verified, not applicable; disagreements are
findings), and that it is saved through its own audited store without touching the clinics file's."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from factory import TODAY, csv_bytes, row

from vetting import load_checklist, score
from vetting.evidence import (
    EVIDENCE_CONTRACT,
    METHOD_WORDS,
    NOT_APPLICABLE,
    NOT_VERIFIED,
    STATED,
    VERIFIED,
    compare,
    contradictions,
    coverage,
    criterion_evidence,
    criterion_fields,
    evidence_csv,
    evidence_store,
    load_evidence,
    unbacked_critical,
    verification,
)
from vetting.load import load_clinics
from vetting.npi import check_digit, complete, valid
from vetting.store import ConflictError, Store

CHECKLIST = load_checklist()
TRISTATE_CRITICAL = [c for c in CHECKLIST.criteria if c.critical and c.evaluate["kind"] == "tristate"]
FIRST, SECOND = TRISTATE_CRITICAL[0], TRISTATE_CRITICAL[1]


def evidence_bytes(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(EVIDENCE_CONTRACT.names), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def ev(**overrides: str) -> dict[str, str]:
    base = {"clinic_id": "kc-1", "field": FIRST.evaluate["column"], "value": "yes", "method": "phone",
            "source": "call with the front desk", "checked_on": "2026-10-03", "checked_by": "alice"}
    return {**base, **overrides}


def directory(*clinic_rows: dict[str, str]):
    frame = load_clinics(csv_bytes(list(clinic_rows)), today=TODAY).frame
    clinics = frame.set_index("clinic_id", drop=False)
    states = score(frame, CHECKLIST, today=TODAY).states.set_axis(clinics.index)
    return clinics, states


def weigh(clinic_rows: list[dict[str, str]], evidence_rows: list[dict[str, str]]):
    clinics, states = directory(*clinic_rows)
    loaded = load_evidence(evidence_bytes(evidence_rows), clinics.index, TODAY)
    assert loaded.ok, loaded.errors
    compared = compare(clinics, loaded.frame)
    return clinics, states, compared, verification(states, compared, CHECKLIST)


# ---------------------------------------------------------------------- NPIs
def test_npi_check_digit_is_luhn_over_80840_and_the_first_nine():
    def luhn_ok(digits: str) -> bool:
        total = 0
        for i, ch in enumerate(reversed(digits)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d // 10 + d % 10
        return total % 10 == 0

    rng = np.random.default_rng(3)
    for first_nine in ("".join(map(str, rng.integers(0, 10, 9))) for _ in range(500)):
        npi = complete(first_nine)
        assert luhn_ok("80840" + npi)
        wrong = first_nine + str((check_digit(first_nine) + 1) % 10)
        assert valid([npi, wrong]).tolist() == [True, False]


def test_a_wrong_npi_is_refused_with_row_and_column_and_a_right_one_passes():
    good = complete("123456789")
    swapped = good[1] + good[0] + good[2:]  # two digits swapped: the check digit catches it
    result = load_clinics(csv_bytes([row(npi=good), row(clinic_id="kc-2", medical_director_npi=swapped),
                                     row(clinic_id="kc-3", npi="12345")]), today=TODAY, locate=False)
    messages = [str(e) for e in result.errors]
    assert len(messages) == 2
    assert messages[0].startswith(f"row 3, column medical_director_npi: '{swapped}' is not a valid NPI")
    assert messages[1] == "row 4, column npi: '12345' is not an NPI: an NPI is 10 digits"


# ---------------------------------------------------------------------- the evidence file's own rules
def test_bad_evidence_rows_are_refused_with_row_and_column():
    clinics, _ = directory(row())
    rows = [ev(), ev(clinic_id="kc-9"), ev(value="maybe"), ev(method="fax"), ev(checked_on="2099-01-01"),
            ev(checked_by=""), ev(field="not_a_column"), ev(field="price_per_session_usd", value="cheap")]
    result = load_evidence(evidence_bytes(rows), clinics.index, TODAY)
    assert not result.ok
    where = {(e.row, e.column) for e in result.errors}
    assert where == {(3, "clinic_id"), (4, "value"), (5, "method"), (6, "checked_on"), (7, "checked_by"),
                     (8, "field"), (9, "value")}
    assert any(f"as {FIRST.evaluate['column']}: 'maybe' is not yes, no or empty" in str(e) for e in result.errors)


def test_an_empty_value_is_allowed_and_means_the_check_did_not_confirm_it():
    clinics, states, compared, verified = weigh([row()], [ev(value="")])
    assert verified.loc["kc-1", FIRST.id] == STATED
    assert len(contradictions(compared, clinics)) == 1


# ---------------------------------------------------------------------- weighed against the record
def test_the_four_states_and_a_disagreement_as_a_finding():
    unknown_first = {FIRST.evaluate["column"]: ""}
    clinic_rows = [row(), row(clinic_id="kc-2", **unknown_first)]
    evidence_rows = [ev(value="Yes"),  # another spelling of the record's answer: agrees
                     ev(field=SECOND.evaluate["column"], value="no", method="website"),
                     ev(clinic_id="kc-2", value="yes")]
    clinics, states, compared, verified = weigh(clinic_rows, evidence_rows)
    assert verified.loc["kc-1", FIRST.id] == VERIFIED
    assert verified.loc["kc-1", SECOND.id] == STATED  # the record says yes, the website check says no
    assert verified.loc["kc-2", FIRST.id] == NOT_VERIFIED  # the record does not say, whatever the evidence
    found = contradictions(compared, clinics)
    assert set(zip(found["clinic_id"], found["field"], strict=True)) == {
        ("kc-1", SECOND.evaluate["column"]), ("kc-2", FIRST.evaluate["column"])}
    routed = [c for c in CHECKLIST.criteria if c.applies_when_route]
    for c in routed:
        assert (verified[c.id] == NOT_APPLICABLE).to_numpy().tolist() == (states[c.id] < -1).to_numpy().tolist()


def test_the_latest_check_counts_and_spellings_of_one_value_agree():
    column = FIRST.evaluate["column"]
    clinics, _, compared, verified = weigh([row()], [ev(value="no", checked_on="2026-01-01"),
                                                     ev(value="y", checked_on="2026-09-01"),
                                                     ev(field="price_per_session_usd", value="$550.00"),
                                                     ev(field="routes", value=" IV ; ")])
    assert verified.loc["kc-1", FIRST.id] == VERIFIED
    assert compared.set_index("field").loc[column, "value"] == "y"
    assert contradictions(compared, clinics).empty


def test_a_criterion_reading_two_columns_needs_evidence_for_both():
    reviews = next(c for c in CHECKLIST.criteria if len(criterion_fields(c)) == 2)
    first, second = criterion_fields(reviews)
    clinic = row()
    _, _, _, half = weigh([clinic], [ev(field=first, value=clinic[first])])
    _, _, _, both = weigh([clinic], [ev(field=first, value=clinic[first]), ev(field=second, value=clinic[second])])
    assert half.loc["kc-1", reviews.id] == STATED
    assert both.loc["kc-1", reviews.id] == VERIFIED
    clinics, _, compared, _ = weigh([clinic], [ev(field=first, value=clinic[first])])
    said = criterion_evidence("kc-1", half.loc["kc-1"], compared, CHECKLIST)[reviews.id]
    assert said.kind == "partly" and said.text.startswith("Evidence: part of it verified 2026-10-03")


def test_coverage_work_list_and_what_a_patient_reads():
    clinics, states, compared, verified = weigh([row(), row(clinic_id="kc-2", last_verified="2025-01-01")],
                                                [ev()])
    cov = coverage(verified)
    applicable = int((states.loc["kc-1"] > -2).sum())
    assert (cov.loc["kc-1", "verified"], cov.loc["kc-1", "applicable"]) == (1, applicable)
    work = unbacked_critical(clinics, states, verified, CHECKLIST)
    critical = len(CHECKLIST.critical_ids())
    assert len(work) == 2 * critical - 1  # every critical criterion but the one verified
    assert work["clinic_id"].iloc[0] == "kc-2"  # the record verified longest ago comes first
    assert FIRST.label not in set(work.loc[work["clinic_id"] == "kc-1", "criterion"])
    said = criterion_evidence("kc-1", verified.loc["kc-1"], compared, CHECKLIST)
    assert said[FIRST.id].kind == "verified"
    assert said[FIRST.id].text == f"Evidence: verified 2026-10-03 {METHOD_WORDS['phone']} (alice)."
    assert said[SECOND.id].kind == "stated" and said[SECOND.id].text.startswith("Evidence: none yet")


def test_evidence_text_round_trips():
    clinics, _ = directory(row())
    loaded = load_evidence(evidence_bytes([ev(), ev(method="website", source="https://clinic.example/team")]),
                           clinics.index, TODAY)
    again = load_evidence(evidence_csv(loaded.frame).encode(), clinics.index, TODAY)
    assert again.ok and again.frame.equals(loaded.frame)


# ---------------------------------------------------------------------- saving
def test_the_evidence_file_has_its_own_audited_store_beside_the_clinics_file(tmp_path):
    clinics_path = tmp_path / "clinics.csv"
    clinics_path.write_bytes(csv_bytes([row()]))
    clinics_store, evidence = Store(clinics_path), evidence_store(clinics_path)
    data, base = evidence.read()
    assert data == b""
    first = evidence_bytes([ev()])
    evidence.save(first, base, who="alice", action="evidence", note="phone check")
    with pytest.raises(ConflictError, match="evidence file changed"):
        evidence.save(evidence_bytes([ev(), ev(value="no")]), base, who="bob")
    assert evidence.path.read_bytes() == first
    assert [e["who"] for e in evidence.entries()] == ["alice"]
    assert clinics_store.entries() == []  # the clinics file's history is its own
    assert clinics_path.read_bytes() == csv_bytes([row()])


def test_a_comparison_says_how_many_criteria_evidence_backs_for_each_clinic():
    from vetting.report import compare_facts
    from vetting.scoring import scored

    clinics, states, compared, verified = weigh([row(), row(clinic_id="kc-2")],
                                                [ev(), ev(field=SECOND.evaluate["column"])])
    backed = coverage(verified)
    with_scores = scored(clinics.reset_index(drop=True), CHECKLIST, today=TODAY).set_index("clinic_id", drop=False)
    facts = compare_facts(with_scores, ["1. one", "2. two"], evidence=backed)
    assert list(facts["Evidence"]) == [f"2 of {backed.loc['kc-1', 'applicable']} criteria verified",
                                       f"0 of {backed.loc['kc-2', 'applicable']} criteria verified"]
    assert "Evidence" not in compare_facts(with_scores, ["1. one", "2. two"])
