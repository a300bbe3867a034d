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


# A table's box scrolls sideways on a narrow screen; it can take the keyboard focus (so arrow keys scroll it)
# and shows that focus. The table is at least TABLE_MIN_WIDTH wide, so on a phone its text columns keep a
# readable width (scrolled to) rather than a word a line; cells wrap.
TABLE_MIN_WIDTH = "40rem"
_TABLE_CSS = (
    ".kc-table{overflow-x:auto;max-width:100%;margin:0 0 0.5rem}"
    ".kc-table:focus-visible{outline:2px solid #2f6f73;outline-offset:2px}"
    f".kc-table table{{border-collapse:collapse;width:100%;min-width:{TABLE_MIN_WIDTH};font-size:0.875rem}}"
    ".kc-table th,.kc-table td{border:1px solid rgba(11,18,20,0.15);padding:0.35rem 0.5rem;text-align:left;"
    "vertical-align:top;overflow-wrap:break-word}"
    ".kc-table thead th{background:rgba(11,18,20,0.05)}"
)


def _cell(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else clean(value)  # NaN: empty


def table(frame, label: str, where=st) -> None:
    """A table of text (every cell and header escaped, nothing rendered as Markdown), its first column as each
    row's header. `label` names the table for screen readers (its scrolling box is a named region).

    Streamlit's st.table scrolls sideways on a phone in a box the keyboard cannot reach (axe-core's
    scrollable-region-focusable); this one's box takes the focus.
    """
    columns = [clean(c) for c in frame.columns]
    head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in [clean(frame.index.name or ""), *columns])
    body = "".join(
        f'<tr><th scope="row">{html.escape(clean(index))}</th>'
        + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
        for index, row in zip(frame.index, frame.itertuples(index=False, name=None), strict=True))
    where.html(f'<div class="kc-table" role="region" tabindex="0" aria-label="{html.escape(clean(label))}">'
               f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
               f"<style>{_TABLE_CSS}</style>")


def heading(value: object, level: int = 1, where=st) -> None:
    """A heading whose words come from the data (a clinic's name)."""
    where.html(f'<h{level} style="line-height:1.2">{html.escape(clean(value))}</h{level}>')

