"""Exports that are safe to open in a spreadsheet."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .contract import CONTRACT, Contract
from .kinds import as_text

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype):
            text = s.astype("string")
            risky = text.str.startswith(FORMULA_PREFIXES).fillna(False).to_numpy(dtype=bool)
            if risky.any():
                out[col] = np.where(risky, "'" + text.fillna(""), s.astype(object))
    return out


def to_csv(frame: pd.DataFrame) -> str:
    """CSV text of `frame` with formula-like cells neutralised (no index)."""
    return neutralise(frame).to_csv(index=False)


PRINT_CSS = """
body { font: 11pt/1.4 system-ui, sans-serif; color: #111; margin: 2em; }
h1 { font-size: 16pt; margin: 0 0 .2em; } .meta { color: #444; margin-bottom: 1em; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #999; padding: 4px 6px;
vertical-align: top; text-align: left; } th { background: #eee; }
.note { margin-top: 1.2em; font-size: 9.5pt; color: #333; border-top: 1px solid #999; padding-top: .5em; }
@media print { body { margin: 0; } a { color: #000; text-decoration: none; } tr { break-inside: avoid; } }
"""


def printable_html(frame: pd.DataFrame, title: str, lines: list[str], footer: str, extra_css: str = "") -> str:
    """A self-contained printable page: title, context lines, the table, and a footer note.

    Every value is HTML-escaped (nothing from the data is ever markup); the page loads nothing external.
    """
    import html

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if pd.isna(v) else str(v))}</td>" for v in row) + "</tr>"
        for row in frame.astype(object).to_numpy()
    )
    meta = "".join(f"<div>{html.escape(line)}</div>" for line in lines)
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{PRINT_CSS}{extra_css}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<div class='meta'>{meta}</div>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"<p class='note'>{html.escape(footer)}</p></body></html>")


SHORTLIST_COLUMNS = ["clinic_id", "name", "street_address", "city", "state", "zip", "phone", "website", "grade",
                     "score", "red_flags", "unverified", "price_per_session_usd", "last_verified", "distance_km"]
NOT_ADVICE = ("Not medical advice. Grades reflect only what the data records against the checklist; "
              "'not verified' means unknown, not 'no'. Ask each clinic, and talk to your doctor.")


def shortlist(results: pd.DataFrame, limit: int = 50) -> pd.DataFrame:
    """The first `limit` results with the columns a patient or a doctor needs to follow up."""
    out = results.head(limit)[[c for c in SHORTLIST_COLUMNS if c in results]].reset_index(drop=True)
    if "distance_km" in out:
        out["distance_km"] = out["distance_km"].round(1)
    if "last_verified" in out:
        out["last_verified"] = out["last_verified"].dt.strftime("%Y-%m-%d")
    return out


PAGE_HEADERS = {"name": "Clinic", "street_address": "Address", "city": "City", "state": "State", "zip": "ZIP",
                "phone": "Phone", "website": "Website", "grade": "Grade", "score": "Score",
                "price_per_session_usd": "Session", "last_verified": "Last verified", "distance_km": "km"}


def shortlist_page(results: pd.DataFrame, title: str, context: list[str]) -> str:
    """A printable page of a shortlist: contacts and grades, the search described, the disclaimer."""
    table = shortlist(results).drop(columns=["clinic_id", "red_flags", "unverified"])
    price = pd.to_numeric(table["price_per_session_usd"], errors="coerce")
    table["price_per_session_usd"] = ("$" + price.round(0).astype("Int64").astype("string")).fillna("not listed")
    table["score"] = table["score"].round(0).astype("Int64")
    if "distance_km" in table:
        table["distance_km"] = table["distance_km"].round(0).astype("Int64")
    return printable_html(table.rename(columns=PAGE_HEADERS), title, context, NOT_ADVICE)


REFERRAL_COLUMNS = {"rank": "#", "name": "Clinic", "grade": "Grade", "distance_km": "km",
                    "price_per_session_usd": "Session", "phone": "Phone", "website": "Website", "address": "Address",
                    "why it matched": "Why it matched", "critical, not verified": "Critical, not verified",
                    "other, not verified": "Other, not verified"}
ONE_PAGE_CSS = ("@page { size: landscape; margin: 12mm; } body { font-size: 9pt; } h1 { font-size: 14pt; } "
                "td:nth-child(6) { white-space: nowrap; }")


def referral_sheet(rows: pd.DataFrame, criteria_used: list[str], today: dt.date, sample: bool = False) -> str:
    """A one-page printable referral sheet: date, the criteria used, the clinics, the disclaimer."""
    table = rows[[c for c in REFERRAL_COLUMNS if c in rows]].copy()
    price = pd.to_numeric(table["price_per_session_usd"], errors="coerce")
    table["price_per_session_usd"] = ("$" + price.round(0).astype("Int64").astype("string")).fillna("not listed")
    table["distance_km"] = pd.to_numeric(table["distance_km"], errors="coerce").round(0).astype("Int64")
    for col in ("critical, not verified", "other, not verified"):
        if col in table:
            table[col] = table[col].replace("", "none")
    table = table.rename(columns=REFERRAL_COLUMNS)
    lines = [f"Prepared {today:%Y-%m-%d}", *criteria_used]
    if sample:
        lines.append("Sample data: these clinics are fictional.")
    return printable_html(table, "Ketamine therapy referral list", lines,
                          NOT_ADVICE + " Prices and details change: confirm with the clinic before booking.",
                          ONE_PAGE_CSS)


def clinics_csv(frame: pd.DataFrame, contract: Contract = CONTRACT) -> str:
    """A typed clinics frame back to contract CSV text, each column written by its kind (yes/no/empty, ISO
    dates, ';' lists, plain numbers). Columns derived at load time (location_source) are dropped; extra
    columns are kept after the contract's."""
    columns = [c for c in contract.names if c in frame] + [c for c in frame if c not in contract.by_name
                                                           and c != "location_source"]
    out = {col: contract_text(frame[col], contract) for col in columns}
    return pd.DataFrame(out).to_csv(index=False, lineterminator="\n")


def contract_text(s: pd.Series, contract: Contract = CONTRACT) -> pd.Series:
    """A column's typed values as the contract's text ('' for unknown): its kind's formatter, or plain text
    for a column the contract does not know."""
    column = contract.by_name.get(str(s.name))
    return column.kind.format(s) if column is not None else as_text(s)
