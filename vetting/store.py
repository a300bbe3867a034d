"""Saving the clinics file without ever losing data.

Every save: takes a file lock (one writer at a time); refuses when the file changed since the analyst
loaded it (optimistic concurrency, compared by content hash); keeps the replaced version under
`history/` with a timestamp; writes atomically (temp file, fsync, rename); appends who/when/what to an
append-only audit log. Rollback is a save of an older version, audited like any other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from filelock import FileLock

LOCK_TIMEOUT_S = 15.0


class StoreError(RuntimeError):
    """A save or a read of the store could not be done; the message is one plain sentence for a person."""


class ConflictError(StoreError):
    """The file changed since it was loaded; `current_hash` and `last_change` say what is there now."""

    def __init__(self, expected: str, current: str, last_change: dict | None):
        who = f" by {last_change['who']} at {last_change['when']}" if last_change else ""
        super().__init__(f"The clinics file changed since you loaded it{who}. Nothing was saved: reload, "
                         "review the other change, and apply yours again.")
        self.expected_hash, self.current_hash, self.last_change = expected, current, last_change


class StoreBusy(StoreError):
    """Another save held the lock for longer than the store waits."""


class StoreWriteError(StoreError):
    """The disk refused a write (full, read-only, no permission); nothing was changed."""


class MissingVersion(StoreError, KeyError):
    """No kept copy of that version can be read."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else "that version is not kept"


def content_hash(data: bytes) -> str:
    """SHA-256 of a file's bytes, hex."""
    return hashlib.sha256(data).hexdigest()


def _rows(data: bytes) -> int:
    """Data rows in CSV bytes (lines after the header that hold anything)."""
    lines = [ln for ln in data.decode("utf-8", "replace").splitlines()[1:] if ln.strip(", \t")]
    return len(lines)


@dataclass(frozen=True)
class Store:
    """The clinics file with its history folder and audit log (default: beside the file)."""

    path: Path

    @property
    def history_dir(self) -> Path:
        return self.path.parent / "history"

    @property
    def audit_path(self) -> Path:
        return self.history_dir / "audit.jsonl"

    @property
    def lock(self) -> FileLock:
        return FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT_S)

    def read(self) -> tuple[bytes, str]:
        """The file's bytes and their hash: what an analyst 'loads' before changing anything."""
        data = self.path.read_bytes() if self.path.exists() else b""
        return data, content_hash(data)

    def save(self, new: bytes, expected_hash: str, who: str, action: str = "save", note: str = "",
             now: dt.datetime | None = None) -> dict:
        """Replace the file with `new` if it still has `expected_hash`; returns the audit entry.

        Raises ConflictError (nothing written) when someone saved in between.
        """
        now = now or dt.datetime.now(dt.UTC)
        with self.lock:
            current, current_hash = self.read()
            if current_hash != expected_hash:
                raise ConflictError(expected_hash, current_hash, self.last_entry())
            self.history_dir.mkdir(parents=True, exist_ok=True)
            backup = None
            if current:
                backup = self.history_dir / f"{self.path.stem}-{now:%Y%m%dT%H%M%S%fZ}-{current_hash[:8]}.csv"
                atomic_write(backup, current)
            atomic_write(self.path, new)
            entry = {
                "when": now.isoformat(timespec="seconds"), "who": who, "action": action, "note": note,
                "rows_before": _rows(current), "rows_after": _rows(new),
                "hash_before": current_hash, "hash_after": content_hash(new),
                "backup": backup.name if backup else None,
            }
            append_line(self.audit_path, json.dumps(entry, sort_keys=True))
            return entry

    def entries(self) -> list[dict]:
        """The audit log, oldest first (unreadable lines are skipped, never fatal)."""
        if not self.audit_path.exists():
            return []
        out = []
        for line in self.audit_path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return out

    def last_entry(self) -> dict | None:
        entries = self.entries()
        return entries[-1] if entries else None

    def history(self) -> pd.DataFrame:
        """Past saves, newest first: when, who, action, note, rows, hashes and the version each replaced."""
        cols = ["when", "who", "action", "note", "rows_before", "rows_after", "hash_before", "hash_after", "backup"]
        return pd.DataFrame(self.entries(), columns=cols).iloc[::-1].reset_index(drop=True)

    def version(self, content: str) -> bytes:
        """The bytes of a past version by its content hash (the current file or a kept backup)."""
        data, h = self.read()
        if h == content:
            return data
        for entry in self.entries():
            if entry.get("hash_before") == content and entry.get("backup"):
                return (self.history_dir / entry["backup"]).read_bytes()
        raise MissingVersion(f"No kept copy of version {content[:12]} can be found.")

    def versions(self) -> pd.DataFrame:
        """Every version that can be viewed or restored: its hash, when it was written and by whom."""
        rows = [{"hash": e["hash_after"], "saved": e["when"], "by": e["who"], "action": e["action"],
                 "rows": e["rows_after"]} for e in self.entries()]
        first = self.entries()[0] if self.entries() else None
        if first and first.get("backup"):
            rows.insert(0, {"hash": first["hash_before"], "saved": "(before the first audited save)",
                            "by": "", "action": "original", "rows": first["rows_before"]})
        out = pd.DataFrame(rows, columns=["hash", "saved", "by", "action", "rows"]).drop_duplicates("hash", keep="last")
        return out.iloc[::-1].reset_index(drop=True)

    def rollback(self, content: str, expected_hash: str, who: str, now: dt.datetime | None = None) -> dict:
        """Restore a past version (by content hash) as a new, audited save."""
        return self.save(self.version(content), expected_hash, who, action="rollback",
                         note=f"restored version {content[:12]}", now=now)


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def append_line(path: Path, line: str) -> None:
    """Append one line durably (the audit log is only ever appended to)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line.replace("\n", " ") + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
