"""Saving without losing data: atomic writes, conflicts, history, audit, rollback; diff; quality; passwords."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import threading
from pathlib import Path

import pytest
from factory import TODAY, csv_bytes, row
from filelock import FileLock

from vetting import cli as cli_module
from vetting import load_checklist, load_clinics, score, scored
from vetting import store as store_module
from vetting.auth import hash_password, verify_password
from vetting.cli import main
from vetting.diff import diff_frames
from vetting.export import clinics_csv
from vetting.quality import column_completeness, critical_unverified, grades_by_state, likely_duplicates, stale
from vetting.store import ConflictError, Store, StoreBusy, StoreWriteError, atomic_write, content_hash, count_records

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
    with pytest.raises(StoreWriteError, match=r"refused it \(power cut\)\. Nothing was changed\."):
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


# ------------------------------------------------------------------ the store as a transaction
def files(store: Store) -> dict[str, bytes]:
    """Every file of the store (the data folder and history/), by relative name, with its bytes."""
    root = store.path.parent
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
            and not p.name.endswith(".lock")}


def test_a_torn_audit_line_is_ended_and_the_next_entry_kept(store):
    _, h1 = store.read()
    first = store.save(V2, h1, who="alice")
    with open(store.audit_path, "ab") as fh:  # a write cut short: half an entry, no newline
        fh.write(b'{"action": "save", "who": "bo')
    entry = store.save(V3, content_hash(V2), who="carol")
    assert [e["action"] for e in store.entries()] == ["save", "recover", "save"]
    assert store.entries()[0] == first and store.entries()[-1] == entry
    assert "cut short" in store.entries()[1]["note"]
    assert store.audit_path.read_bytes().endswith(b"\n")
    assert list(store.history()["who"])[0] == "carol"
    assert list(store.versions()["hash"]) == [content_hash(V3), content_hash(V2), h1]


def test_a_kept_copy_no_audit_entry_names_is_recorded_and_restorable(store):
    _, h1 = store.read()
    store.save(V2, h1, who="alice")
    h2, h3 = content_hash(V2), content_hash(V3)
    # what a save killed between the replace and the audit append used to leave: a kept copy of V2 that
    # no audit entry names, and V3 in place
    orphan = f"clinics-20261121T120000000000Z-{h2[:8]}.csv"
    (store.history_dir / orphan).write_bytes(V2)
    store.path.write_bytes(V3)
    data, current = store.read()  # opening the store records it
    assert (data, current) == (V3, h3)
    recorded = store.entries()[-1]
    assert recorded["action"] == "recover" and recorded["backup"] == orphan
    assert recorded["hash_before"] == h2 and recorded["hash_after"] == h3 and orphan in recorded["note"]
    assert h2 in set(store.versions()["hash"]) and store.version(h2) == V2
    store.rollback(h2, h3, who="carol")
    assert store.path.read_bytes() == V2
    assert store.recover() == []  # recorded once: nothing left to do


def test_temp_files_of_killed_saves_are_removed(store):
    store.history_dir.mkdir()
    stale = [store.path.parent / ".clinics.csv.k3j2h1.tmp",  # the new file, old and new naming
             store.path.parent / ".clinics.csv.0123456789abcdef.tmp",
             store.history_dir / ".clinics-20261121T120000000000Z-0123abcd.csv.x1y2.tmp",  # a kept copy
             store.history_dir / ".clinics.csv.journal.a1b2.tmp"]  # a journal
    others = [store.path.parent / ".other.csv.k3j2h1.tmp", store.history_dir / "notes.txt"]
    for p in stale + others:
        p.write_bytes(b"x" * 1000)
    store.read()
    assert [p for p in stale if p.exists()] == []
    assert all(p.exists() for p in others)
    assert store.entries()[-1]["action"] == "recover" and "Removed 4 temp file(s)" in store.entries()[-1]["note"]


@pytest.mark.parametrize("mode", [0o644, 0o664, 0o600])
def test_the_file_keeps_its_mode(store, mode):
    store.path.chmod(mode)
    _, h1 = store.read()
    entry = store.save(V2, h1, who="alice")
    assert store.path.stat().st_mode & 0o7777 == mode
    assert (store.history_dir / entry["backup"]).stat().st_mode & 0o7777 == mode
    store.save(V3, content_hash(V2), who="alice")
    assert store.path.stat().st_mode & 0o7777 == mode


def test_counts_are_records_not_lines(store):
    text = csv_bytes([row(clinic_id="a", name="Two\nlines"),
                      row(clinic_id="b", street_address="1 Main St\r\nSuite 2\nBack")])
    text += b",,,,\n\n" + b"," * 10 + b"\n"  # blank records are not clinics
    assert text.count(b"\n") == 9
    entry = store.save(text, store.read()[1], who="alice")
    assert entry["rows_before"] == 2 and entry["rows_after"] == 2
    assert count_records(b"") == 0 and count_records(b"clinic_id,name\n") == 0
    assert count_records(b'clinic_id,name\na,"x\n\ny"\n') == 1


@pytest.mark.parametrize(("step", "call", "code", "reason"), [
    ("_write_new", 1, errno.ENOSPC, "the disk is full"),  # the journal
    ("_write_new", 2, errno.ENOSPC, "the disk is full"),  # the kept copy
    ("_write_new", 3, errno.EROFS, "the disk is read-only"),  # the new file
    ("replace", 3, errno.EACCES, "permission was denied"),  # the new file into place
    ("append_line", 1, errno.ENOSPC, "the disk is full"),  # the audit entry, after the file was replaced
])
def test_a_refused_write_at_any_step_changes_nothing(store, monkeypatch, step, call, code, reason):
    _, h1 = store.read()
    store.save(V2, h1, who="alice")
    before, entries = files(store), store.entries()
    calls = []

    def failing(real):
        def fake(*args, **kwargs):
            calls.append(args)
            if len(calls) == call:
                if real is store_module.append_line:  # the disk fills in the middle of the line
                    with open(args[0], "ab") as fh:
                        fh.write(args[1].encode()[:40])
                raise OSError(code, os.strerror(code))
            return real(*args, **kwargs)
        return fake

    if step == "replace":
        monkeypatch.setattr(os, "replace", failing(os.replace))
    else:
        monkeypatch.setattr(store_module, step, failing(getattr(store_module, step)))
    with pytest.raises(StoreWriteError, match=f"because {reason}. Nothing was changed."):
        store.save(V3, content_hash(V2), who="bob")
    monkeypatch.undo()
    assert files(store) == before  # the old file, the same audit log, no kept copy, journal or temp file
    assert store.read() == (V2, content_hash(V2)) and store.entries() == entries
    store.save(V3, content_hash(V2), who="bob")  # and the next save works
    assert [e["who"] for e in store.entries()] == ["alice", "bob"]


def test_a_lock_held_too_long_is_store_busy(store, monkeypatch):
    monkeypatch.setattr(store_module, "LOCK_TIMEOUT_S", 0.2)
    _, h1 = store.read()
    with FileLock(str(store.path) + ".lock"):
        with pytest.raises(StoreBusy) as err:
            store.save(V2, h1, who="alice")
        assert store.read() == (V1, h1)  # reading does not wait for the lock
    assert str(err.value) == ("Another save has held the clinics file for more than 0.2 seconds. Nothing was "
                              "saved: try again in a minute.")
    assert store.path.read_bytes() == V1 and store.entries() == []


def test_an_interrupted_save_is_finished_or_undone_on_open(store):
    _, h1 = store.read()
    entry = store.save(V2, h1, who="alice")
    journal = {"entry": {**entry, "id": "feedfacefeedface", "hash_before": content_hash(V2),
                         "hash_after": content_hash(V3), "backup": None, "who": "bob"},
               "tmp": ".clinics.csv.feedfacefeedface.tmp"}
    # killed after the replace, before the audit entry: finished
    store.journal_path.write_text(json.dumps(journal))
    store.path.write_bytes(V3)
    assert store.read() == (V3, content_hash(V3))
    assert [(e["action"], e["who"]) for e in store.entries()] == [("save", "alice"), ("save", "bob"),
                                                                  ("recover", "recovery")]
    assert "Finished the save by bob" in store.entries()[-1]["note"] and not store.journal_path.exists()
    # killed before the replace: undone (the temp file and the kept copy go), and said so
    tmp, kept = store.path.parent / journal["tmp"], store.history_dir / "clinics-20261121T120000000000Z-aaaa1111.csv"
    tmp.write_bytes(V1)
    kept.write_bytes(V3)
    journal["entry"].update(id="0123456789abcdef", hash_before=content_hash(V3), hash_after=h1, backup=kept.name)
    store.journal_path.write_text(json.dumps(journal))
    assert store.read() == (V3, content_hash(V3))
    assert not tmp.exists() and not kept.exists() and not store.journal_path.exists()
    last = store.entries()[-1]
    assert last["action"] == "recover" and "interrupted before it replaced the file" in last["note"]
    assert last["hash_after"] == content_hash(V3) and len(store.entries()) == 4
    # killed while taking back a save whose audit append failed: the previous version is put back
    kept.write_bytes(V3)
    store.path.write_bytes(V1)
    journal["entry"].update(id="fedcba9876543210", hash_before=content_hash(V3), hash_after=h1, backup=kept.name)
    store.undo_path.write_text(json.dumps(journal))
    assert store.read() == (V3, content_hash(V3))
    assert not kept.exists() and not store.undo_path.exists()
    last = store.entries()[-1]
    assert "the previous version is back" in last["note"] and last["hash_after"] == content_hash(V3)
    assert len(store.entries()) == 5


def test_cli_geocode_in_place_refuses_a_change_made_after_its_read(tmp_path, monkeypatch, capsys):
    path = tmp_path / "clinics.csv"
    path.write_bytes(csv_bytes([row(clinic_id="a", latitude="", longitude=""), row(clinic_id="b")]))
    other = csv_bytes([row(clinic_id="a", latitude="", longitude=""), row(clinic_id="c")])
    real = cli_module.geocode_missing

    def geocode_while_bob_saves(frame, online):
        s = Store(path)
        s.save(other, s.read()[1], who="bob", action="upload")
        return real(frame, online)

    monkeypatch.setattr(cli_module, "geocode_missing", geocode_while_bob_saves)
    assert main(["--today", str(TODAY), "geocode", str(path), "--in-place"]) == 1
    err = capsys.readouterr().err
    assert "The clinics file changed since you loaded it by bob" in err and "Traceback" not in err
    assert path.read_bytes() == other  # bob's save stands
    assert [e["who"] for e in Store(path).entries()] == ["bob"]


@pytest.mark.parametrize("failure", ["busy", "disk full"])
def test_cli_geocode_in_place_says_why_a_save_failed_without_a_traceback(tmp_path, monkeypatch, capsys, failure):
    path = tmp_path / "clinics.csv"
    path.write_bytes(before := csv_bytes([row(clinic_id="a", latitude="", longitude="")]))
    monkeypatch.setattr(store_module, "LOCK_TIMEOUT_S", 0.2)
    if failure == "disk full":
        def full(*args):
            raise OSError(errno.ENOSPC, "No space left on device")
        monkeypatch.setattr(store_module, "_write_new", full)
    lock = FileLock(str(path) + ".lock")
    if failure == "busy":
        lock.acquire()
    try:
        assert main(["--today", str(TODAY), "geocode", str(path), "--in-place"]) == 1
    finally:
        lock.release()
    err = capsys.readouterr().err.strip()
    assert err == ("Another save has held the clinics file for more than 0.2 seconds. Nothing was saved: try "
                   "again in a minute." if failure == "busy" else
                   "The clinics file could not be saved because the disk is full. Nothing was "
                   "changed.")
    assert path.read_bytes() == before and Store(path).entries() == []


# ------------------------------------------------------------------ the app's save
def test_the_app_shows_a_refused_write_as_one_sentence(tmp_path, monkeypatch):
    at, data = analyst_upload(tmp_path, monkeypatch, lambda text: text.replace("Harbor", "Harbour"))

    def full(self, *args, **kwargs):
        raise store_module.write_error(OSError(errno.ENOSPC, "No space left on device"), self.path.parent)

    monkeypatch.setattr(Store, "save", full)
    before = data.read_bytes()
    at.checkbox[0].check().run()
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception
    assert "because the disk is full" in at.error[0].value and "Nothing was changed" in at.error[0].value
    assert data.read_bytes() == before and not Store(data).entries()


@pytest.mark.parametrize(("keep", "label"), [(0, "Yes, remove 3 of 3 clinics"), (1, "Yes, remove 2 of 3 clinics")])
def test_removing_most_clinics_needs_a_second_tick_that_says_how_many(tmp_path, monkeypatch, keep, label):
    at, data = analyst_upload(tmp_path, monkeypatch, lambda text: "".join(text.splitlines(True)[:1 + keep]))
    save = lambda: next(b for b in at.button if b.label == "Save")  # noqa: E731
    assert [c.label for c in at.checkbox] == ["I have reviewed these changes", label]
    at.checkbox[0].check().run()
    assert save().disabled  # the review alone is not enough
    at.checkbox[1].check().run()
    assert not save().disabled
    save().click().run()
    assert not at.exception and store_module.count_records(data.read_bytes()) == keep
    assert Store(data).entries()[-1]["rows_after"] == keep


def test_removing_one_clinic_needs_no_second_tick(tmp_path, monkeypatch):
    at, _ = analyst_upload(tmp_path, monkeypatch, lambda text: "".join(text.splitlines(True)[:3]))
    assert [c.label for c in at.checkbox] == ["I have reviewed these changes"]


def analyst_upload(tmp_path, monkeypatch, change):
    """The upload page, signed in, reviewing `change` applied to the corpus' valid file (3 clinics)."""
    from streamlit.testing.v1 import AppTest

    repo = Path(__file__).resolve().parent.parent
    data = tmp_path / "clinics.csv"
    data.write_bytes((repo / "tests" / "corpus" / "valid.csv").read_bytes())
    monkeypatch.setenv("CLINICS_CSV", str(data))
    at = AppTest.from_file(str(repo / "dashboard.py"), default_timeout=60)
    at.secrets["analysts"] = {"alice": ANALYST_HASH}
    at.switch_page("pages/upload.py")
    at.run()
    at.text_input[0].input("alice")
    at.text_input[1].input("correct horse battery")
    at.button[0].click().run()
    new = change(data.read_text())
    at.file_uploader[0].upload("new.csv", new.encode(), "text/csv").run()
    assert not at.exception
    return at, data


ANALYST_HASH = hash_password("correct horse battery")
