"""Showing data safely: user-supplied text goes into Markdown only escaped, links only when http(s)."""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$:])")


def plain(value: object) -> str:
    """Text from the data, escaped so Markdown shows it literally (no links, no HTML, no formatting)."""
    return _MD_SPECIAL.sub(r"\\\1", "" if value is None else str(value))


def safe_url(value: object) -> str | None:
    """The value if it is an http(s) URL, else None (never a javascript: or data: link)."""
    text = "" if value is None else str(value).strip()
    return text if re.match(r"^https?://[^\s]+$", text, re.IGNORECASE) else None
