"""Saving a data file (the clinics file, the evidence file) without ever losing data.

A save is a small transaction, under a file lock (one writer at a time):

1. it is refused (ConflictError) unless the file still has the hash its author read;
2. a journal (`history/<name>.journal`) records the audit entry to come, the kept copy and the temp file;
3. the version being replaced is kept under `history/` and the new content written to a temp file beside
   the file (both fsynced; the temp file gets the current file's mode and owner);
4. the temp file replaces the file (an atomic rename), then the audit entry is appended to
   `history/audit.jsonl`, then the journal is removed.

Opening the store (`read`, `save`, `recover`) settles what a killed save left: a journal whose new version
is the current file gets its audit entry; any other journal is undone. It also records kept copies no
audit entry names (so History can restore them), removes temp files of killed saves and ends a torn last
audit line; an entry with action "recover" says what was done. A save that fails (disk full, read-only,
no permission, lock held too long) leaves the file as it was, and no audit entry claims otherwise.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import hashlib
import io
import json
import os
import re
import secrets
import stat
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from filelock import FileLock, Timeout

LOCK_TIMEOUT_S = 15.0
RECOVERY_WHO = "recovery"


class StoreError(RuntimeError):
    """A save or a read of the store could not be done; the message is one plain sentence for a person."""


class ConflictError(StoreError):
    """The file changed since it was loaded; `current_hash` and `last_change` say what is there now."""

    def __init__(self, expected: str, current: str, last_change: dict | None, label: str = "clinics file"):
        who = f" by {last_change['who']} at {last_change['when']}" if last_change else ""
        super().__init__(f"The {label} changed since you loaded it{who}. Nothing was saved: reload, "
                         "review the other change, and apply yours again.")
        self.expected_hash, self.current_hash, self.last_change = expected, current, last_change


class StoreBusy(StoreError):
    """Another save held the lock for longer than the store waits."""

    def __init__(self, message: str | None = None, label: str = "clinics file"):
        super().__init__(message or f"Another save has held the {label} for more than {LOCK_TIMEOUT_S:g} "
                                    "seconds. Nothing was saved: try again in a minute.")


class StoreWriteError(StoreError):
    """The disk refused a write (full, read-only, no permission); nothing was changed."""

    folder: Path | None = None  # where the write was refused, and the OS error number: for logs
    os_errno: int | None = None


class MissingVersion(StoreError, KeyError):
    """No kept copy of that version can be read."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else "that version is not kept"


_REASONS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
            errno.EROFS: "the disk is read-only", errno.EACCES: "permission was denied",
            errno.EPERM: "permission was denied", errno.EIO: "the disk reported an input/output error"}


def _reason(err: OSError) -> str:
    return _REASONS.get(err.errno) or f"the system refused it ({(err.strerror or str(err)).rstrip('.')})"


def write_error(err: OSError, folder: Path, label: str = "clinics file") -> StoreWriteError:
    """The StoreWriteError for an OS error met while saving into `folder` (kept as `.folder`, not in the
    sentence: the app does not show the server's paths)."""
    out = StoreWriteError(f"The {label} could not be saved because {_reason(err)}. Nothing was changed.")
    out.folder, out.os_errno = folder, err.errno
    return out


def content_hash(data: bytes) -> str:
    """SHA-256 of a file's bytes, hex."""
    return hashlib.sha256(data).hexdigest()


def count_records(data: bytes) -> int:
    """Clinics in CSV bytes: records after the header, parsed as CSV (a quoted newline stays inside its
    record); records whose fields are all blank are not clinics."""
    text = data.decode("utf-8", "replace")
    try:
        filled = sum(map(bool, map(str.strip, map("".join, csv.reader(io.StringIO(text, newline=""))))))
    except csv.Error:  # not CSV at all (a NUL byte, a giant field): count the lines that hold anything
        filled = sum(1 for ln in text.splitlines() if ln.strip(", \t"))
    return max(filled - 1, 0)


@dataclass(frozen=True)
class Store:
    """A data file with its history folder and audit log (beside the file). Files in one folder share the
    history folder; each has its own journal, kept copies (named after it) and audit log."""

    path: Path
    label: str = "clinics file"  # what messages call it
    audit_name: str = "audit.jsonl"

    @property
    def history_dir(self) -> Path:
        return self.path.parent / "history"

    @property
    def audit_path(self) -> Path:
        return self.history_dir / self.audit_name

    @property
    def journal_path(self) -> Path:
        """A save under way: removed once its audit entry is written."""
        return self.history_dir / f"{self.path.name}.journal"

    @property
    def undo_path(self) -> Path:
        """A save that failed after replacing the file and is being taken back."""
        return self.history_dir / f"{self.path.name}.journal-undo"

    @property
    def lock(self) -> FileLock:
        return self._lock(LOCK_TIMEOUT_S)

    def _lock(self, timeout: float) -> FileLock:
        return FileLock(str(self.path) + ".lock", timeout=timeout)

    # ------------------------------------------------------------------ reading
    def read(self) -> tuple[bytes, str]:
        """The file's bytes and their hash: what an analyst 'loads' before changing anything.

        Opens the store first: leftovers of a killed save are settled unless a save is under way."""
        self.recover(wait=False)
        data = self._current()
        return data, content_hash(data)

    def _current(self) -> bytes:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return b""
        except OSError as err:
            raise StoreError(f"The {self.label} cannot be read because {_reason(err)}.") from None

    def entries(self) -> list[dict]:
        """The audit log, oldest first (unreadable lines are skipped, never fatal)."""
        try:
            text = self.audit_path.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return []
        out = []
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(entry, dict):
                out.append(entry)
        return out

    def last_entry(self) -> dict | None:
        entries = self.entries()
        return entries[-1] if entries else None

    def history(self) -> pd.DataFrame:
        """Past saves, newest first: when, who, action, note, rows, hashes and the version each replaced."""
        cols = ["when", "who", "action", "note", "rows_before", "rows_after", "hash_before", "hash_after", "backup"]
        return pd.DataFrame(self.entries(), columns=cols).iloc[::-1].reset_index(drop=True)

    def version(self, content: str) -> bytes:
        """The bytes of a past version by its content hash (the current file or a kept copy)."""
        data, h = self.read()
        if h == content:
            return data
        for entry in self.entries():
            if entry.get("hash_before") == content and entry.get("backup"):
                with suppress(OSError):
                    return (self.history_dir / entry["backup"]).read_bytes()
        raise MissingVersion(f"No kept copy of version {content[:12]} can be found.")

    def versions(self) -> pd.DataFrame:
        """Every version that can be viewed or restored: its hash, when it was written and by whom."""
        found: dict[str, dict] = {}
        for i, e in enumerate(self.entries()):
            recovered = e.get("action") == "recover"
            if e.get("backup") and e.get("hash_before") not in found:
                first = i == 0 and not recovered
                found[e["hash_before"]] = {
                    "hash": e["hash_before"], "by": "", "rows": e.get("rows_before"),
                    "saved": "(before the first audited save)" if first else f"(kept as {e['backup']})",
                    "action": "original" if first else "kept copy"}
            if recovered and e.get("hash_after") in found:
                continue  # a recovery wrote no version of its own
            found.pop(e.get("hash_after"), None)  # a version saved again counts from its latest save
            found[e.get("hash_after")] = {"hash": e.get("hash_after"), "saved": e.get("when"), "by": e.get("who"),
                                          "action": e.get("action"), "rows": e.get("rows_after")}
        out = pd.DataFrame(list(found.values()), columns=["hash", "saved", "by", "action", "rows"])
        return out.iloc[::-1].reset_index(drop=True)

    # ------------------------------------------------------------------ saving
    def save(self, new: bytes, expected_hash: str, who: str, action: str = "save", note: str = "",
             now: dt.datetime | None = None) -> dict:
        """Replace the file with `new` if it still has `expected_hash`; returns the audit entry.

        Raises ConflictError when someone saved in between, StoreBusy when the lock stays held, and
        StoreWriteError when the disk refuses a write; in each case nothing changed.
        """
        now = now or dt.datetime.now(dt.UTC)
        try:
            with self._lock(LOCK_TIMEOUT_S):
                self._recover(now)
                current = self._current()
                current_hash = content_hash(current)
                if current_hash != expected_hash:
                    raise ConflictError(expected_hash, current_hash, self.last_entry(), self.label)
                return self._commit(current, current_hash, new, who, action, note, now)
        except Timeout:
            raise StoreBusy(label=self.label) from None
        except OSError as err:
            raise write_error(err, self.path.parent, self.label) from None

    def rollback(self, content: str, expected_hash: str, who: str, now: dt.datetime | None = None) -> dict:
        """Restore a past version (by content hash) as a new, audited save."""
        return self.save(self.version(content), expected_hash, who, action="rollback",
                         note=f"restored version {content[:12]}", now=now)

    def _commit(self, current: bytes, current_hash: str, new: bytes, who: str, action: str, note: str,
                now: dt.datetime) -> dict:
        """Journal, kept copy, temp file, replace, audit, unjournal (the lock is held)."""
        self.history_dir.mkdir(parents=True, exist_ok=True)
        like = _stat(self.path)
        last = self.last_entry()
        rows_before = (last["rows_after"] if last and last.get("hash_after") == current_hash
                       and isinstance(last.get("rows_after"), int) else count_records(current))
        entry = {"id": secrets.token_hex(8), "when": now.isoformat(timespec="seconds"), "who": who,
                 "action": action, "note": note, "rows_before": rows_before, "rows_after": count_records(new),
                 "hash_before": current_hash, "hash_after": content_hash(new),
                 "backup": self._kept_name(now, current_hash, entry_id="") if current else None}
        if entry["backup"] and (self.history_dir / entry["backup"]).exists():
            entry["backup"] = self._kept_name(now, current_hash, entry_id=entry["id"])
        tmp = self.path.parent / f".{self.path.name}.{entry['id']}.tmp"
        atomic_write(self.journal_path, json.dumps({"entry": entry, "tmp": tmp.name}).encode())
        try:
            if entry["backup"]:
                atomic_write(self.history_dir / entry["backup"], current, like=like)
            _write_new(tmp, new, like)
            os.replace(tmp, self.path)
        except OSError:  # nothing replaced yet: remove what this save wrote
            kept = [self.history_dir / entry["backup"]] if entry["backup"] else []
            for leftover in (tmp, *kept, self.journal_path):
                with suppress(OSError):
                    leftover.unlink(missing_ok=True)
            raise
        _fsync_dir(self.path.parent)
        audit_size = _size(self.audit_path)
        try:
            append_line(self.audit_path, json.dumps(entry, sort_keys=True))
        except OSError as err:
            self._take_back(entry, audit_size, err)
            raise
        with suppress(OSError):
            self.journal_path.unlink()
            _fsync_dir(self.history_dir)
        return entry

    def _take_back(self, entry: dict, audit_size: int, err: OSError) -> None:
        """The audit append failed after the file was replaced: put the old file back, drop the partial line."""
        try:
            os.replace(self.journal_path, self.undo_path)  # from here a crash still ends in the undo
            with suppress(OSError):
                os.truncate(self.audit_path, audit_size)
            self._restore(entry)
            _fsync_dir(self.path.parent)
            self.undo_path.unlink()
            _fsync_dir(self.history_dir)
        except OSError:
            raise StoreWriteError(f"The {self.label} could not be saved because {_reason(err)}, and the save "
                                  "could not yet be taken back: the store finishes or undoes it the next time "
                                  "it is opened.") from None

    def _restore(self, entry: dict) -> None:
        """Put back the version `entry` replaced (its kept copy moves back into place)."""
        if entry.get("backup"):
            os.replace(self.history_dir / entry["backup"], self.path)
        else:
            self.path.unlink(missing_ok=True)

    def _kept_name(self, now: dt.datetime, current_hash: str, entry_id: str) -> str:
        suffix = f"-{entry_id[:6]}" if entry_id else ""
        return f"{self.path.stem}-{now:%Y%m%dT%H%M%S%fZ}-{current_hash[:8]}{suffix}.csv"

    # ------------------------------------------------------------------ recovery
    def recover(self, wait: bool = True) -> list[dict]:
        """Settle what killed saves left (see the module docstring); returns the "recover" entries written.

        With `wait=False` (as `read` does) it does nothing while another save holds the lock, and a disk
        that refuses the repair is left for the next save to report."""
        if not self._pending():
            return []
        try:
            with self._lock(LOCK_TIMEOUT_S if wait else 0):
                return self._recover(dt.datetime.now(dt.UTC))
        except Timeout:
            if wait:
                raise StoreBusy(label=self.label) from None
        except OSError as err:
            if wait:
                raise write_error(err, self.history_dir, self.label) from None
        return []

    def _kept_re(self) -> re.Pattern:
        return re.compile(rf"{re.escape(self.path.stem)}-\d{{8}}T\d{{12}}Z-[0-9a-f]{{8}}(-[0-9a-f]+)?\.csv")

    def _stale(self) -> list[Path]:
        """Temp files of saves that never finished (only meaningful while the lock is held)."""
        main = re.compile(rf"\.{re.escape(self.path.name)}\..+\.tmp")
        kept, journal = self._kept_re().pattern, re.escape(self.journal_path.name)
        hist = re.compile(rf"\.(?:{kept}|{journal}(?:-undo)?)\..+\.tmp")
        return ([self.path.parent / n for n in _names(self.path.parent) if main.fullmatch(n)]
                + [self.history_dir / n for n in _names(self.history_dir) if hist.fullmatch(n)])

    def _orphans(self) -> list[str]:
        """Kept copies in history/ that no audit entry names."""
        kept = self._kept_re()
        named = {e.get("backup") for e in self.entries()}
        return sorted(n for n in _names(self.history_dir) if kept.fullmatch(n) and n not in named)

    def _torn(self) -> bool:
        """Whether the audit log's last line lacks its newline (a write cut short)."""
        try:
            with open(self.audit_path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                if fh.tell() == 0:
                    return False
                fh.seek(-1, os.SEEK_END)
                return fh.read(1) != b"\n"
        except FileNotFoundError:
            return False

    def _pending(self) -> bool:
        """A cheap look, without the lock, for anything to recover."""
        return (self.journal_path.exists() or self.undo_path.exists() or self._torn() or bool(self._stale())
                or bool(self._orphans()))

    def _recover(self, now: dt.datetime) -> list[dict]:
        """Recovery proper (the lock is held)."""
        before = self._current()
        notes = []
        if self._torn():
            append_line(self.audit_path, "")  # ends the cut line; the cut entry stays unreadable, later ones do not
            notes.append("ended the audit log's last line, cut short by an interrupted write")
        for journal, undo in ((self.undo_path, True), (self.journal_path, False)):
            if journal.exists():
                notes.append(self._settle(journal, undo))
        stale = self._stale()
        for tmp in stale:
            tmp.unlink(missing_ok=True)
        if stale:
            notes.append(f"removed {len(stale)} temp file(s) left by interrupted saves")
        written = []
        said = "; ".join(n for n in notes if n)
        after = self._current() if said else before
        if said:
            written.append(self._record(now, said[0].upper() + said[1:] + ".", before, after))
        for name in self._orphans():
            kept = (self.history_dir / name).read_bytes()
            written.append(self._record(
                now, f"Kept copy {name} was in history/ but in no audit entry: recorded so it can be restored.",
                kept, after, backup=name))
        return written

    def _settle(self, journal: Path, undo: bool) -> str:
        """Finish or undo the save a journal describes; returns what was done ('' for nothing worth noting)."""
        try:
            record = json.loads(journal.read_bytes())
            entry, tmp = record["entry"], self.path.parent / Path(record["tmp"]).name
            who = f"the save by {entry['who']} started {entry['when']}"
        except (ValueError, KeyError, TypeError):
            journal.unlink()
            return "removed an unreadable save journal"
        kept = self.history_dir / Path(entry["backup"]).name if entry.get("backup") else None
        current = content_hash(self._current())
        audited = entry.get("id") in {e.get("id") for e in self.entries()}
        note = ""
        if current == entry["hash_after"] and not undo:
            if not audited:
                if kept is not None and not kept.exists():
                    entry = {**entry, "backup": None}
                append_line(self.audit_path, json.dumps(entry, sort_keys=True))
                note = f"finished {who}: the file had been replaced but the save was not yet in the audit log"
        elif current == entry["hash_after"] != entry["hash_before"]:
            if kept is not None and not (kept.exists() and content_hash(kept.read_bytes()) == entry["hash_before"]):
                note = f"could not undo {who}, which failed after replacing the file: its kept copy is missing"
            else:
                self._restore(entry)
                note = f"undid {who}, which failed after replacing the file: the previous version is back"
        elif current == entry["hash_before"]:
            if kept is not None:
                kept.unlink(missing_ok=True)  # a copy of the current file, named in no audit entry
            note = (f"undid {who}, which failed: nothing changed" if undo
                    else f"undid {who}, interrupted before it replaced the file: nothing changed")
        else:
            if kept is not None and kept.exists() and content_hash(kept.read_bytes()) != entry["hash_before"]:
                kept.unlink()
            note = f"dropped {who}: the file had changed since it started"
        tmp.unlink(missing_ok=True)
        _fsync_dir(self.path.parent)
        journal.unlink()
        _fsync_dir(self.history_dir)
        return note

    def _record(self, now: dt.datetime, note: str, before: bytes, after: bytes, backup: str | None = None) -> dict:
        """Append a "recover" entry: `before` is the version it concerns (kept as `backup`), `after` the file now."""
        entry = {"id": secrets.token_hex(8), "when": now.isoformat(timespec="seconds"), "who": RECOVERY_WHO,
                 "action": "recover", "note": note, "rows_before": count_records(before),
                 "rows_after": count_records(after), "hash_before": content_hash(before),
                 "hash_after": content_hash(after), "backup": backup}
        append_line(self.audit_path, json.dumps(entry, sort_keys=True))
        return entry


# ---------------------------------------------------------------------- files
def atomic_write(path: Path, data: bytes, like: os.stat_result | None = None) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a mix.

    The new file gets the mode and owner of `like` (default: of the file it replaces)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    _write_new(tmp, data, like or _stat(path))
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _write_new(path: Path, data: bytes, like: os.stat_result | None) -> None:
    """Create `path` (it must not exist) holding `data`, fsynced; mode and owner from `like` when given,
    else the usual default (0666 less the umask)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            if like is not None:
                _copy_owner_and_mode(fh.fileno(), like)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _copy_owner_and_mode(fd: int, like: os.stat_result) -> None:
    own = os.fstat(fd)
    if (own.st_uid, own.st_gid) != (like.st_uid, like.st_gid):
        for uid in (like.st_uid, -1):  # another owner needs privilege; our own group often does not
            try:
                os.fchown(fd, uid, like.st_gid)
                break
            except PermissionError:
                continue
    os.fchmod(fd, stat.S_IMODE(like.st_mode))


def append_line(path: Path, line: str) -> None:
    """Append one line durably (the audit log is only ever appended to). A last line left without its
    newline by a cut-short write is ended first, so this line stays readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        size = fh.seek(0, os.SEEK_END)
        fh.seek(max(size - 1, 0))
        torn = size > 0 and fh.read(1) != b"\n"
        text = line.replace("\n", " ")
        fh.write((b"\n" if torn else b"") + (text.encode("utf-8") + b"\n" if text else b""))
        fh.flush()
        os.fsync(fh.fileno())


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None


def _size(path: Path) -> int:
    found = _stat(path)
    return found.st_size if found else 0


def _names(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except FileNotFoundError:
        return []


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
