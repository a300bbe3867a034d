"""A list of clinics as a person reads it: one card per clinic, its name a real link to its details page.

Cards, not a grid: they fit a 390 px phone and a 1400 px screen without truncating a name or scrolling
sideways, and each is reachable with Tab and opened with Enter (a data grid's canvas needs Shift+Space).
Everything from the data is HTML-escaped inside markup this module writes (st.html: no Markdown, no
scripts); websites pass vetting.kinds.web_link; directions come from vetting.geo.directions_urls.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import streamlit as st

from ui.text import clean
from vetting.export import km_text
from vetting.geo import DIRECTIONS_HELP, directions_urls
from vetting.kinds import web_link

PER_PAGE = 10  # clinics listed at a time (the map shows them all)
PHONE_MAX_PX = 640  # below this width Streamlit stacks columns: a table of many columns no longer fits
CLINIC_PAGE = "clinic"  # pages/clinic.py's url_path (dashboard.py); links are relative to the app's root

# Colours meet WCAG AA (4.5:1) for their text; the grade badge is also spelled out for screen readers.
CSS = """
<style>
ol.clinic-list{list-style:none;margin:0 !important;padding:0 !important}
.clinic-list li{border:1px solid #d5d8de;border-radius:0.5rem;padding:0.6rem 0.8rem;margin:0 0 0.5rem 0}
.clinic-list .top{display:flex;gap:0.6rem;align-items:baseline;justify-content:space-between}
.clinic-list a.name{font-weight:600;font-size:1.05rem;overflow-wrap:anywhere}
.clinic-list .grade{flex:none;font-weight:700;border-radius:0.35rem;padding:0 0.45rem;border:1px solid #5c6370;
  color:#1f2328;background:#f1f3f5;white-space:nowrap}
.clinic-list .grade.g0{background:#d3f0da;border-color:#1e6b34;color:#0d3d1b}
.clinic-list .grade.g1{background:#e3f1d0;border-color:#4d6b1e;color:#2b3d0d}
.clinic-list .grade.g2{background:#fdf0c8;border-color:#7a5b00;color:#4d3900}
.clinic-list .grade.gf{background:#fbd9d9;border-color:#a4161a;color:#6b0d10}
.clinic-list p{margin:0.15rem 0 0 0;overflow-wrap:anywhere}
.clinic-list .facts{color:#31333f}
.clinic-list .flag{color:#a4161a;font-weight:600}
.clinic-list .unverified{color:#7a4d00;font-weight:600}
.clinic-list .more{font-size:0.9rem;color:#4a4f57}
.clinic-list .more a{margin-right:0.9rem}
</style>
"""


def safety_notes(clinics: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """('RED FLAG' / 'RED FLAG ×2' / '', '1 critical not verified' / '') for each clinic."""
    red, unv = clinics["n_red_flags"].to_numpy(), clinics["n_unverified"].to_numpy()
    red_text = np.where(red == 1, "RED FLAG", np.char.add("RED FLAG ×", red.astype(str)))
    unv_text = np.char.add(unv.astype(str), " critical not verified")
    return np.where(red > 0, red_text, ""), np.where(unv > 0, unv_text, "")


def clinic_href(clinic_id: str, place: str | None = None) -> str:
    """The details page of a clinic, with the place searched from (for its distance)."""
    return f"{CLINIC_PAGE}?" + urlencode({"clinic": clinic_id, **({"place": place} if place else {})})


def _e(value: object) -> str:
    return html.escape(clean(value))


def _external(url: str, text: str, title: str) -> str:
    return (f'<a href="{html.escape(url)}" target="_blank" rel="noopener noreferrer" '
            f'title="{html.escape(title)}">{html.escape(text)}<span aria-hidden="true"> ↗</span></a>')


def _card(row: dict, flag: str, unverified: str, directions: str, grade_class: str, place: str | None,
          details: list[tuple[str, str]]) -> str:
    facts = [f"{row['city']}, {row['state']}"]
    if pd.notna(row.get("distance_km")):
        facts.append(km_text(row["distance_km"]))
    price = row.get("price_per_session_usd")
    facts.append(f"${price:,.0f} a session" if pd.notna(price) else "price not listed")
    if pd.notna(row.get("value")):
        facts.append(f"{row['value']:.1f} points per $100")
    notes = "".join(f'<p class="{cls}">{html.escape(text)}</p>'
                    for cls, text in (("flag", flag), ("unverified", unverified)) if text)
    notes += "".join(f'<p class="facts"><strong>{_e(label)}:</strong> {_e(text)}</p>'
                     for label, text in details if text)
    verified = pd.Timestamp(row["last_verified"])
    links = [_external(directions, "Directions", DIRECTIONS_HELP)]
    site = web_link(row.get("website"))
    if site:
        links.insert(0, _external(site, "Website", "The clinic's website (opens in a new tab)"))
    checked = f"Last verified {verified:%Y-%m-%d}" if pd.notna(verified) else "Never verified"
    grade = _e(row["grade"])
    return (f'<li><div class="top"><a class="name" href="{html.escape(clinic_href(row["clinic_id"], place))}">'
            f'{_e(row["name"])}</a><span class="grade {grade_class}" aria-label="Grade {grade}, score '
            f'{row["score"]:.0f} of 100">{grade} · {row["score"]:.0f}</span></div>'
            f'<p class="facts">{" · ".join(_e(f) for f in facts)}</p>{notes}'
            f'<p class="more">{checked} · {"".join(links)}</p></li>')


def clinic_cards(clinics: pd.DataFrame, letters: tuple[str, ...], place: str | None = None, where=st,
                 details: list[list[tuple[str, str]]] | None = None, phone_only: bool = False) -> None:
    """Clinics as a list of cards, in the order given; each name links to the clinic's details page.

    `details`: more (label, text) lines for each clinic, in the same order (empty texts are left out).
    `phone_only`: the list is shown only below PHONE_MAX_PX, where a page shows a table instead elsewhere
    (see :func:`wide_only`)."""
    flags, unverified = safety_notes(clinics)
    directions = directions_urls(clinics).to_numpy()
    rank = {letter: i for i, letter in enumerate(letters)}
    worst = len(letters) - 1
    classes = ["gf" if rank.get(g, worst) >= worst else f"g{min(rank.get(g, worst), 2)}"
               for g in clinics["grade"].astype(str)]
    rows = clinics.assign(clinic_id=clinics.index).to_dict("records")
    cards = "".join(_card(r, f, u, d, c, place, x) for r, f, u, d, c, x in
                    zip(rows, flags, unverified, directions, classes, details or [[]] * len(rows), strict=True))
    hide = (f"<style>@media (min-width: {PHONE_MAX_PX + 1}px) {{ .clinic-list.phone-only {{ display: none; }} }}"
            "</style>") if phone_only else ""
    where.html(f'{CSS}{hide}<ol class="clinic-list{" phone-only" if phone_only else ""}" '
               f'aria-label="Clinics found">{cards}</ol>')


def wide_only(key: str, where=st) -> None:
    """Hide the container with this key (holding a table too wide for a phone) below PHONE_MAX_PX, where the page shows
    the same clinics as cards (:func:`clinic_cards` with ``phone_only``). `key` is the app's own word."""
    where.html(f"<style>@media (max-width: {PHONE_MAX_PX}px) {{ .st-key-{key} {{ display: none; }} }}</style>")
