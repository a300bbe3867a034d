"""Saving without losing data: atomic writes, conflicts, history, audit, rollback; diff; quality; passwords."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from pathlib import Path

import pytest
from factory import TODAY, csv_bytes, row

from vetting import load_checklist, load_clinics, score, scored
from vetting.auth import Throttle, hash_password, verify_password
from vetting.cli import main
from vetting.diff import diff_frames
from vetting.export import clinics_csv
from vetting.quality import column_completeness, critical_unverified, grades_by_state, likely_duplicates, stale
from vetting.store import ConflictError, Store, atomic_write, content_hash

V1 = csv_bytes([row(clinic_id="a"), row(clinic_id="b", name="B Clinic")])
V2 = csv_bytes([row(clinic_id="a"), row(clinic_id="b", name="B Clinic renamed")])
V3 = csv_bytes([row(clinic_id="a", acls_on_site="no")])


@pytest.fixture
def store(tmp_path) -> Store:
    path = tmp_path / "clinics.csv"
    path.write_bytes(V1)
    return Store(path)


def test_save_replaces_keeps_history_and_audits(store):
    _, h1 = store.read()
    entry = store.save(V2, h1, who="alice", note="rename")
    assert store.path.read_bytes() == V2
    assert (store.history_dir / entry["backup"]).read_bytes() == V1
    log = [json.loads(line) for line in store.audit_path.read_text().splitlines()]
    assert log == [entry]
    assert entry["who"] == "alice" and entry["rows_before"] == 2 and entry["rows_after"] == 2
    assert entry["hash_before"] == h1 and entry["hash_after"] == content_hash(V2)


def test_a_stale_save_is_refused_and_names_the_other_change(store):
    _, h1 = store.read()
    store.save(V2, h1, who="alice")
    with pytest.raises(ConflictError, match="changed since you loaded it by alice"):
        store.save(V3, h1, who="bob")
    assert store.path.read_bytes() == V2  # bob's change did not land, alice's is intact
    assert len(store.entries()) == 1


def test_crash_between_write_and_rename_leaves_the_old_file(store, monkeypatch):
    _, h1 = store.read()

    def crash(src, dst):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        store.save(V2, h1, who="alice")
    assert store.path.read_bytes() == V1
    assert not [p for p in store.path.parent.iterdir() if p.name.endswith(".tmp")]  # no temp file left
    assert store.entries() == []  # nothing claimed in the audit log


def test_atomic_write_never_shows_a_partial_file(tmp_path):
    path = tmp_path / "f.csv"
    atomic_write(path, b"old")
    atomic_write(path, b"new" * 1000)
    assert path.read_bytes() == b"new" * 1000


def test_two_writers_exactly_one_wins(store):
    _, h1 = store.read()
    results: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def writer(name: str, data: bytes) -> None:
        barrier.wait()
        try:
            results[name] = store.save(data, h1, who=name)
        except ConflictError as err:
            results[name] = err

    threads = [threading.Thread(target=writer, args=(n, d)) for n, d in (("alice", V2), ("bob", V3))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [n for n, r in results.items() if isinstance(r, dict)]
    lost = [n for n, r in results.items() if isinstance(r, ConflictError)]
    assert len(won) == 1 and len(lost) == 1
    assert store.path.read_bytes() == (V2 if won == ["alice"] else V3)
    assert store.version(content_hash(V1)) == V1  # the original is kept too: nothing lost


def test_history_and_rollback(store):
    _, h1 = store.read()
    store.save(V2, h1, who="alice")
    store.save(V3, content_hash(V2), who="bob")
    versions = store.versions()
    assert list(versions["hash"]) == [content_hash(V3), content_hash(V2), h1]
    entry = store.rollback(h1, content_hash(V3), who="carol")
    assert store.path.read_bytes() == V1 and entry["action"] == "rollback"
    assert list(store.history()["who"]) == ["carol", "bob", "alice"]
    assert store.version(content_hash(V3)) == V3  # rolled-back-over version still kept
    with pytest.raises(KeyError):
        store.version("0" * 64)


# ------------------------------------------------------------------ diff
def typed(data: bytes):
    return load_clinics(data, today=TODAY, locate=False).frame


def test_diff_added_removed_changed_and_grades():
    old = typed(csv_bytes([row(clinic_id="a"), row(clinic_id="b"), row(clinic_id="c")]))
    new = typed(csv_bytes([row(clinic_id="a", vitals_monitoring="no", price_per_session_usd="$600"),
                           row(clinic_id="c"), row(clinic_id="d")]))
    d = diff_frames(old, new, score(old, today=TODAY).summary, score(new, today=TODAY).summary)
    assert list(d.added["clinic_id"]) == ["d"] and list(d.removed["clinic_id"]) == ["b"]
    changes = {(r.clinic_id, r.column): (r.old, r.new) for r in d.changed.itertuples()}
    assert changes == {("a", "vitals_monitoring"): ("yes", "no"), ("a", "price_per_session_usd"): ("550", "600")}
    assert d.grades.to_dict("records") == [{"clinic_id": "a", "name": "Test Clinic", "old_grade": "A",
                                            "new_grade": "F", "old_score": 100.0,
                                            "new_score": score(new, today=TODAY).summary["score"].iloc[0]}]
    assert d.summary() == "1 added, 1 removed, 1 changed (2 fields); 1 grade move."


def test_same_value_spelled_differently_is_no_change():
    old = typed(csv_bytes([row(price_per_session_usd="1200", acls_on_site="yes", routes="iv;oral")]))
    new = typed(csv_bytes([row(price_per_session_usd="$1,200", acls_on_site="Y", routes="oral; IV")]))
    assert diff_frames(old, new).empty


def test_clinics_csv_round_trips():
    frame = typed((Path(__file__).resolve().parent.parent / "data" / "clinics.csv").read_bytes())
    again = typed(clinics_csv(frame).encode())
    assert diff_frames(frame, again).empty


# ------------------------------------------------------------------ quality
def test_quality_lists():
    f = load_clinics(csv_bytes([
        row(clinic_id="a", last_verified="2024-01-01", emergency_protocol=""),
        row(clinic_id="b", phone="(719) 555-0100"),
        row(clinic_id="c", name="test  clinic", phone="719.555.0199", rating=""),
    ]), today=TODAY).frame
    assert list(stale(f, TODAY, load_checklist().grading.stale_after_days)["clinic_id"]) == ["a"]
    unverified = critical_unverified(f, score(f, today=TODAY).states, load_checklist())
    assert unverified.to_dict("records")[0]["clinic_id"] == "a"
    dups = likely_duplicates(f)
    assert set(dups[dups["reason"] == "same name and ZIP"]["clinic_id"]) == {"a", "b", "c"}
    assert set(dups[dups["reason"] == "same phone"]["clinic_id"]) == {"a", "b"}
    completeness = column_completeness(f).set_index("column")
    assert completeness.loc["rating", "filled"] == 2 and completeness.loc["clinic_id", "share"] == 1.0
    grades = grades_by_state(scored(f, today=TODAY), load_checklist())
    assert grades.loc[0, "state"] == "CO" and grades.loc[0, "total"] == 3


# ------------------------------------------------------------------ passwords
def test_password_hash_is_salted_and_verifies():
    a, b = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert a != b and a.startswith("scrypt$") and "correct" not in a
    assert verify_password("correct horse battery", a) and not verify_password("wrong horse battery", a)
    assert not verify_password("anything", "not-a-hash") and not verify_password("x", "md5$abc")
    with pytest.raises(ValueError, match="at least 10"):
        hash_password("short")


def test_failed_attempts_slow_down_and_success_resets():
    waits: list[float] = []
    throttle = Throttle(base=1.0, cap=8.0, sleep=waits.append)
    accounts = {"alice": hash_password("correct horse battery")}
    for _ in range(5):
        assert not throttle.check("alice", "guess-guess-guess", accounts)
    assert waits == [1.0, 2.0, 4.0, 8.0]  # the first failure answers at once, then 1, 2, 4, 8 (capped)
    assert throttle.check("alice", "correct horse battery", accounts)
    assert throttle.delay("alice") == 0.0
    assert not throttle.check("mallory", "correct horse battery", accounts)  # unknown names never pass


# ------------------------------------------------------------------ CLI
def test_cli_diff_and_geocode(tmp_path, capsys):
    old = tmp_path / "old.csv"
    old.write_bytes(csv_bytes([row(clinic_id="a", latitude="", longitude=""), row(clinic_id="b")]))
    assert main(["--today", str(TODAY), "geocode", str(old), "--out", str(tmp_path / "geo.csv")]) == 0
    assert "1 already located, 1 filled from their ZIP" in capsys.readouterr().out
    assert main(["--today", str(TODAY), "diff", str(old), str(tmp_path / "geo.csv")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("0 added, 0 removed, 1 changed (2 fields)") and "~ a latitude: (empty) -> 38.8" in out
    assert main(["--today", str(TODAY), "geocode", str(old), "--in-place"]) == 0
    assert Store(old).entries()[-1]["action"] == "geocode"
    assert main(["--today", str(TODAY), "diff", str(old), str(tmp_path / "geo.csv"), "--format", "json"]) == 0


def test_cli_hash_password(monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main(["hash-password", "alice"]) == 0
    line = capsys.readouterr().out.strip()
    name, _, value = line.partition(" = ")
    assert name == "alice" and verify_password("a long enough password", value.strip('"'))


def test_now_is_recorded_in_utc(store):
    _, h = store.read()
    entry = store.save(V2, h, who="a", now=dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC))
    assert entry["when"] == "2026-11-21T12:00:00+00:00" and "20261121T120000" in entry["backup"]
