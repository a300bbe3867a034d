"""A clinics file as bytes and as text: what is plainly not CSV text is refused in one sentence."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

Source = str | Path | bytes | BinaryIO

SAVE_AS_CSV = "save it from your spreadsheet as 'CSV UTF-8' and upload that."
HEAD = 65536  # binary files show themselves early
STREAM_OVER = 64 << 20  # files bigger than this are read block by block (bounded memory), not at once


class UnreadableFile(ValueError):
    """The file is not a CSV text file we can read; the message is one plain sentence."""


def read_bytes(source: Source) -> bytes:
    """The whole file's bytes, or UnreadableFile saying why there are none."""
    if isinstance(source, bytes):
        return source
    if isinstance(source, str | Path):
        try:
            return Path(source).read_bytes()
        except FileNotFoundError:
            raise UnreadableFile(f"There is no file at {source}.") from None
        except IsADirectoryError:
            raise UnreadableFile(f"{source} is a folder, not a CSV file.") from None
        except OSError as err:
            raise UnreadableFile(f"{source} cannot be read: {err.strerror}.") from None
    return source.read()


def sniff(data: bytes) -> None:
    """Refuse, in one sentence, what is plainly not CSV text: empty, a spreadsheet/archive, or binary."""
    if not data or data.isspace():
        raise UnreadableFile("The file is empty: a clinics CSV needs a header row and one row per clinic.")
    if data[:4] == b"PK\x03\x04":
        raise UnreadableFile(f"The file is a spreadsheet or archive, not a CSV: {SAVE_AS_CSV}")
    head = data[:HEAD]
    if b"\x00" in head:
        raise UnreadableFile(f"The file is binary, not CSV text: {SAVE_AS_CSV}")
    controls = sum(head.count(bytes([c])) for c in range(32) if chr(c) not in "\t\r\n")
    if controls > max(8, len(head) // 100):
        raise UnreadableFile(f"The file is binary, not CSV text: {SAVE_AS_CSV}")


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
