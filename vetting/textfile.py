"""A clinics file as bytes and as text: what is plainly not CSV text is refused in one sentence."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

Source = str | Path | bytes | BinaryIO

SAVE_AS_CSV = "save it from your spreadsheet as 'CSV UTF-8' and upload that."
HEAD = 65536  # binary files show themselves early
STREAM_OVER = 64 << 20  # files bigger than this are read block by block (bounded memory), not at once
MAX_FILE_BYTES = 1 << 30  # the most a clinics file may hold (a million clinics take ~400 MB)


class UnreadableFile(ValueError):
    """The file is not a CSV text file we can read; the message is one plain sentence."""


def regular_file(path: str | Path, limit: int = MAX_FILE_BYTES) -> int:
    """The size of the regular file at `path`, or UnreadableFile: nothing else is read (a device such as
    /dev/zero never ends, a FIFO may never answer) and nothing bigger than `limit`."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise UnreadableFile(f"There is no file at {path}.") from None
    except OSError as err:
        raise UnreadableFile(f"{path} cannot be read: {err.strerror}.") from None
    if stat.S_ISDIR(info.st_mode):
        raise UnreadableFile(f"{path} is a folder, not a file.")
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile(f"{path} is not a regular file (a device, pipe or socket): save the data to a file.")
    if info.st_size > limit:
        raise UnreadableFile(f"{path} is {size_words(info.st_size)}; the most a clinics file may be is "
                             f"{size_words(limit)}.")
    return info.st_size


def size_words(n: int) -> str:
    """A size as people read it, never rounded down to the limit it exceeds: '10.01 MB', '1 GB'."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            hundredths = -(-n * 100 // size)  # rounded up: 10 MB and 1 byte is 10.01 MB, not 10.0 MB
            return f"{hundredths / 100:,.2f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{n} bytes"


def read_bytes(source: Source, limit: int = MAX_FILE_BYTES) -> bytes:
    """The whole file's bytes (a regular file, at most `limit`), or UnreadableFile saying why there are none."""
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, str | Path):
        regular_file(source, limit)
        try:
            with open(source, "rb") as fh:
                data = fh.read(limit + 1)
        except OSError as err:
            raise UnreadableFile(f"{source} cannot be read: {err.strerror}.") from None
    else:
        data = source.read(limit + 1)
    if len(data) > limit:
        raise UnreadableFile(f"The file is bigger than {size_words(limit)}, the most a clinics file may be.")
    return data


def sniff(data: bytes) -> None:
    """Refuse, in one sentence, what is plainly not CSV text: empty, a spreadsheet/archive, or binary."""
    if not data or data.isspace():
        raise UnreadableFile("The file is empty: a clinics CSV needs a header row and one row per clinic.")
    if data[:4] == b"PK\x03\x04":
        raise UnreadableFile(f"The file is a spreadsheet or archive, not a CSV: {SAVE_AS_CSV}")
    head = data[:HEAD]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or _looks_utf16(head):
        raise UnreadableFile("The file is UTF-16 text (what Excel calls 'Unicode Text'), not UTF-8: "
                             f"{SAVE_AS_CSV}")
    if b"\x00" in head:
        raise UnreadableFile(f"The file is binary, not CSV text: {SAVE_AS_CSV}")
    controls = sum(head.count(bytes([c])) for c in range(32) if chr(c) not in "\t\r\n")
    if controls > max(8, len(head) // 100):
        raise UnreadableFile(f"The file is binary, not CSV text: {SAVE_AS_CSV}")


def _looks_utf16(head: bytes) -> bool:
    """Mostly ASCII text with a zero byte beside every character: UTF-16 without its byte-order mark."""
    sample = head[:4096]
    if len(sample) < 8:
        return False
    even, odd = sample[0::2], sample[1::2]
    return max(even.count(0), odd.count(0)) > 0.9 * len(sample) // 2


def decode(data: bytes) -> str:
    """The file's text, or UnreadableFile with one sentence saying why it is not a UTF-8 CSV."""
    sniff(data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise UnreadableFile(
            f"The file is not UTF-8 text: byte 0x{data[err.start]:02x} on line {line} cannot be read "
            "(save it as 'CSV UTF-8'; it looks like another encoding, such as Latin-1 or Windows-1252)."
        ) from None
