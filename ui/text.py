"""Showing untrusted text: anything that comes from the data, the URL, an upload or a request.

It is never rendered as Markdown or HTML. Streamlit's Markdown turns bare addresses (www.x, https://x,
a@b) into live links even when every Markdown character is escaped, so untrusted text is shown with
`st.text`, or HTML-escaped inside an element this module writes (`st.html`: no Markdown, no links, no
scripts). Invisible characters are dropped. A page links a website only through vetting.kinds.web_link,
the data contract's own url rule (an ASCII http(s) scheme and host).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import streamlit as st

from vetting.kinds import strip_invisible

MAX_SHOWN_CHARS = 2000  # more than any contract cell holds; a URL parameter may not


def clean(value: object) -> str:
    """`value` as text without invisible characters ('' for None), shortened past MAX_SHOWN_CHARS."""
    if value is None:
        return ""
    shown = strip_invisible(str(value))
    return shown if len(shown) <= MAX_SHOWN_CHARS else shown[: MAX_SHOWN_CHARS - 1] + "…"


@dataclass(frozen=True)
class Bold:
    """A part of a line shown in bold."""

    text: object


def _html(parts: tuple[object, ...]) -> str:
    return "".join(f"<strong>{html.escape(clean(p.text))}</strong>" if isinstance(p, Bold)
                   else html.escape(clean(p)) for p in parts)


def text(value: object, where=st) -> None:
    """A paragraph of plain text."""
    where.text(clean(value))


def line(*parts: object, where=st, small: bool = False) -> None:
    """One paragraph made of parts (untrusted or not, all escaped); `Bold(part)` for bold ones."""
    style = "margin:0" + (";font-size:0.875rem;opacity:0.75" if small else "")
    where.html(f'<p style="{style}">{_html(parts)}</p>')


def heading(value: object, level: int = 1, where=st) -> None:
    """A heading whose words come from the data (a clinic's name)."""
    where.html(f'<h{level} style="line-height:1.2">{html.escape(clean(value))}</h{level}>')

