"""Savers for tests/test_store_crash.py to kill: `python tests/store_crash_child.py CLINICS_CSV VERSION_FILE...`

It imports the store once, then reads commands on stdin, one a line:

- `fork`: start a saver (a forked process) and print its pid. A saver saves the versions in turn, for ever,
  as the app does: read the store (bytes and hash), then save the next version with that hash.
- `reap PID`: wait until that saver has ended (the test kills it), then print `reaped`.
- `quit`: end.

Forking from a process that has already imported everything makes a saver start in a millisecond, so
the kills land at random points of saves rather than of Python's start-up.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vetting.store import Store  # noqa: E402


def save_for_ever(path: Path, versions: list[bytes]) -> None:
    store = Store(path)
    turn = os.getpid()  # savers start at different versions
    while True:
        data, read_hash = store.read()
        turn += 1
        new = versions[turn % len(versions)]
        if new != data:
            store.save(new, read_hash, who=f"saver-{os.getpid()}")


def main(path: Path, versions: list[bytes]) -> None:
    for command in sys.stdin:
        word, _, arg = command.strip().partition(" ")
        if word == "fork":
            pid = os.fork()
            if pid == 0:
                try:
                    save_for_ever(path, versions)
                finally:
                    os._exit(1)
            print(pid, flush=True)
        elif word == "reap":
            os.waitpid(int(arg), 0)
            print("reaped", flush=True)
        elif word == "quit":
            return


if __name__ == "__main__":
    main(Path(sys.argv[1]), [Path(p).read_bytes() for p in sys.argv[2:]])
