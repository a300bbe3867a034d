"""The store under fire: savers killed at random instants, and writers (threads and the CLI) racing.

Run with `pytest -s tests/test_store_crash.py` to see the counts."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from vetting.store import ConflictError, Store, content_hash

HERE = Path(__file__).resolve().parent
KILL_ROUNDS = 36
MAX_KILL_DELAY_S = 0.2  # half the rounds kill at a random instant of the saver's life
MAX_KILL_IN_SAVE_S = 0.03  # the other half at a random instant after a save has written its journal


def big_version(k: int, megabytes: float = 2.0) -> bytes:
    """A multi-MB CSV whose records hold quoted newlines; `k` makes each version different."""
    header = "clinic_id,name,street_address,city,state,notes\n"
    line = f'kc-{{i:06d}},"Clinic {k}-{{i}}","1 Main St\nSuite {k}",Denver,CO,"{"x" * 60}"\n'
    count = int(megabytes * 1024 * 1024 / len(line))
    return (header + "".join(line.format(i=i) for i in range(count))).encode()


def leftovers(store: Store) -> list[str]:
    """Temp files and journals that a finished (or recovered) store should not have."""
    names = os.listdir(store.path.parent) + [f"history/{n}" for n in os.listdir(store.history_dir)]
    return [n for n in names if n.endswith(".tmp") or ".journal" in n]


def test_saves_killed_at_random_instants_lose_nothing(tmp_path):
    versions = [big_version(k) for k in range(3)]
    known = {content_hash(v) for v in versions}
    path = tmp_path / "clinics.csv"
    path.write_bytes(versions[0])
    store = Store(path)
    store.save(versions[1], store.read()[1], who="setup")  # so that the audit log names the current file
    files = []
    for k, v in enumerate(versions):
        files.append(tmp_path / f"version{k}.bin")
        files[-1].write_bytes(v)
    child = subprocess.Popen([sys.executable, str(HERE / "store_crash_child.py"), str(path), *map(str, files)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    rng = random.Random(20261121)
    counts = dict.fromkeys(["runs", "corrupted", "unaudited", "lost", "leftovers", "mid-save", "recovered"], 0)
    checked = 0
    started = time.monotonic()
    try:
        for _ in range(KILL_ROUNDS):
            child.stdin.write("fork\n")
            child.stdin.flush()
            pid = int(child.stdout.readline())
            if counts["runs"] % 2:
                time.sleep(rng.uniform(0, MAX_KILL_DELAY_S))
            else:
                deadline = time.monotonic() + 5
                while not store.journal_path.exists() and time.monotonic() < deadline:
                    time.sleep(0.0002)
                time.sleep(rng.uniform(0, MAX_KILL_IN_SAVE_S))
            os.kill(pid, signal.SIGKILL)
            child.stdin.write(f"reap {pid}\n")
            child.stdin.flush()
            assert child.stdout.readline().strip() == "reaped"
            counts["mid-save"] += store.journal_path.exists()

            data, current = store.read()  # the recovering open
            entries = store.entries()
            counts["runs"] += 1
            counts["corrupted"] += current not in known
            counts["unaudited"] += entries[-1]["hash_after"] != current
            counts["leftovers"] += bool(leftovers(store))
            counts["recovered"] += any(e["action"] == "recover" for e in entries[checked:])
            for e in entries[checked:]:  # every kept copy the audit names is there, whole
                kept = store.history_dir / e["backup"] if e.get("backup") else None
                counts["lost"] += kept is not None and not (kept.exists() and
                                                            content_hash(kept.read_bytes()) == e["hash_before"])
            checked = len(entries)
    finally:
        child.stdin.write("quit\n")
        child.stdin.close()
        child.wait(10)
    entries = store.entries()
    saves = [e for e in entries if e["action"] != "recover"]
    # every version a save wrote can still be read: the current file, or a later save's kept copy
    counts["lost"] += sum(content_hash(store.version(e["hash_after"])) != e["hash_after"] for e in saves)
    # and each save started from the version the one before it left: no save was lost in between
    counts["lost"] += sum(a["hash_after"] != b["hash_before"] for a, b in zip(saves, saves[1:], strict=False))
    print(f"\nkill loop: {counts['runs']} runs / {counts['corrupted']} corrupted / {counts['unaudited']} unaudited / "
          f"{counts['lost']} lost / {counts['leftovers']} with leftovers; {len(saves) - 1} saves audited, "
          f"{counts['mid-save']} kills mid-save, {counts['recovered']} opens recorded a recovery, "
          f"{time.monotonic() - started:.1f} s")
    assert counts["runs"] == KILL_ROUNDS
    assert (counts["corrupted"], counts["unaudited"], counts["lost"], counts["leftovers"]) == (0, 0, 0, 0)
    assert len(saves) > 5  # the savers did get work done between kills
    assert counts["mid-save"] >= KILL_ROUNDS // 6  # and many kills cut a save short


def test_concurrent_saves_and_the_cli_lose_nothing(tmp_path):
    path = tmp_path / "clinics.csv"
    path.write_bytes((HERE / "corpus" / "valid.csv").read_bytes())  # one clinic has no coordinates
    done = threading.Event()
    lock = threading.Lock()
    ok: dict[str, bytes] = {}  # audit entry id -> the bytes that save wrote
    refused: list[Exception] = []

    def writer(name: str) -> None:  # what the app does: read, change, save with the hash it read
        rng, turn = random.Random(name), 0
        while not done.is_set():
            store = Store(path)
            data, read_hash = store.read()
            turn += 1
            new = re.sub(rb"kc-001,[^,]*,", f"kc-001,Test Clinic {name}-{turn},".encode(), data, count=1)
            time.sleep(rng.uniform(0, 0.02))
            try:
                entry = store.save(new, read_hash, who=name, action="edit")
            except Exception as err:  # every refusal is checked below
                with lock:
                    refused.append(err)
            else:
                with lock:
                    ok[entry["id"]] = new
            time.sleep(rng.uniform(0.01, 0.1))

    threads = [threading.Thread(target=writer, args=(f"writer{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    geocode = [sys.executable, "-m", "vetting", "geocode", str(path), "--in-place"]
    cli = [subprocess.Popen(geocode, cwd=HERE.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
           for _ in range(2)]  # each reads, spends about a second geocoding, then saves
    results = [(p.wait(120), *p.communicate()) for p in cli]
    done.set()
    for t in threads:
        t.join()
    quiet = subprocess.run(geocode, cwd=HERE.parent, capture_output=True, text=True, timeout=120)
    results.append((quiet.returncode, quiet.stdout, quiet.stderr))  # with nobody racing it, it saves

    store = Store(path)
    entries = store.entries()
    assert not [e for e in entries if e["action"] == "recover"]
    cli_ok = sum(code == 0 for code, _, _ in results)
    cli_refused = sum(code == 1 and "The clinics file changed since you loaded it" in err for code, _, err in results)
    lost = (len(set(ok) - {e["id"] for e in entries})  # a save that returned success but is not in the audit
            + sum(a["hash_after"] != b["hash_before"] for a, b in zip(entries, entries[1:], strict=False)))
    # a geocode keeps the change of the version it replaced (not of an older version it had read)
    renamed = re.compile(rb"kc-001,([^,]*),")
    lost += sum(renamed.search(store.version(e["hash_before"]))[1] != renamed.search(store.version(e["hash_after"]))[1]
                for e in entries if e["action"] == "geocode")
    print(f"\nconcurrency: {len(ok)} app saves ok / {len(refused)} refused; geocode --in-place: {cli_ok} ok / "
          f"{cli_refused} refused; {len(entries)} audit entries, {lost} lost")
    assert all(isinstance(err, ConflictError) for err in refused), refused
    assert cli_ok + cli_refused == len(results), results  # exit 0, or exit 1 with the conflict sentence
    assert all("Traceback" not in err for _, _, err in results)
    assert lost == 0
    assert len(entries) == len(ok) + cli_ok
    assert sum(e["action"] == "geocode" for e in entries) == cli_ok
    assert {e["id"] for e in entries if e["action"] == "edit"} == set(ok)
    # the file is the last successful save, and every version saved can still be read
    last = entries[-1]
    final = path.read_bytes()
    assert content_hash(final) == last["hash_after"]
    if last["action"] == "edit":
        assert final == ok[last["id"]]
    assert all(content_hash(store.version(e["hash_after"])) == e["hash_after"] for e in entries)
    assert len(ok) > 0 and refused  # the writers did race
    assert results[-1][0] == 0 and entries[-1]["action"] == "geocode"
