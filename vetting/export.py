"""Exports that are safe to open in a spreadsheet."""

from __future__ import annotations

import datetime as dt
import html

import numpy as np
import pandas as pd

from .contract import CONTRACT, Contract
from .geo import directions_urls
from .kinds import as_text, web_link

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


# ------------------------------------------------------------------ how values read (one home each)
def whole_km(distance: pd.Series) -> pd.Series:
    """Distances as whole kilometres (Int64; <NA> when unknown), rounded half up from the exact distance.

    The one distance formatter of the app's tables and every export. It rounds as Streamlit's "%.0f" column
    format does in the browser (JavaScript's toFixed: the nearest whole number, a tie going up), never from
    a distance already rounded to tenths and never half to even (pandas' and Python's round): 116.46 km
    reads 116 everywhere, 116.5 km reads 117 everywhere.
    """
    x = pd.to_numeric(distance, errors="coerce").astype("float64")
    size = x.abs()
    floor = np.floor(size)
    whole = np.sign(x) * (floor + ((size - floor) >= 0.5))  # size - floor is exact for a double
    return pd.Series(whole, index=distance.index, name=distance.name).astype("Int64")


def km_text(distance: float | None) -> str:
    """One distance as text ('117 km'; '' when unknown), rounded by :func:`whole_km`."""
    value = whole_km(pd.Series([distance], dtype="float64")).iloc[0]
    return "" if pd.isna(value) else f"{value} km"


def iso_days(dates: pd.Series) -> pd.Series:
    """Dates as YYYY-MM-DD text ('' when unknown): how every page and export writes a date."""
    return pd.to_datetime(dates, errors="coerce").dt.strftime("%Y-%m-%d").fillna("")


def money_text(amounts: pd.Series) -> pd.Series:
    """Prices as '$1,200' text ('not listed' when the data has none)."""
    price = pd.to_numeric(amounts, errors="coerce").astype("float64")
    return price.map(lambda v: "not listed" if pd.isna(v) else f"${v:,.0f}")


# ------------------------------------------------------------------ printable pages
PRINT_CSS = """
body { font: 11pt/1.4 system-ui, sans-serif; color: #111; margin: 2em; }
h1 { font-size: 16pt; margin: 0 0 .2em; } h2 { font-size: 12.5pt; margin: 1.2em 0 .3em; }
.meta { color: #444; margin-bottom: 1em; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #999; padding: 4px 6px;
vertical-align: top; text-align: left; } th { background: #eee; }
.note { margin-top: 1.2em; font-size: 9.5pt; color: #333; border-top: 1px solid #999; padding-top: .5em; }
@media print { body { margin: 0; } a { color: #000; } tr { break-inside: avoid; } }
"""


def _column_class(name: object) -> str:
    return "col-" + "".join(ch if ch.isalnum() else "-" for ch in str(name).lower()).strip("-")


def link_html(value: object, text: str | None = None) -> str:
    """An escaped <a href> when `value` is a web link the contract accepts (vetting.kinds.web_link); otherwise
    the value as escaped text. `text`: what the link reads (the address itself when None)."""
    url = web_link(value)
    if url is None:
        return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else html.escape(str(value))
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(url if text is None else text)}</a>'


def html_table(frame: pd.DataFrame, links: dict[str, str | None] | None = None, header: bool = True,
               row_class: list[str] | None = None) -> str:
    """`frame` as an HTML table, every value escaped; columns named in `links` hold links (:func:`link_html`,
    the value being the link's text when None); each cell has a class named after its column (col-...)."""
    links = links or {}
    columns = list(frame.columns)
    classes = [_column_class(c) for c in columns]
    head = ("<thead><tr>" + "".join(f"<th class='{k}' scope='col'>{html.escape(str(c))}</th>"
                                    for c, k in zip(columns, classes, strict=True)) + "</tr></thead>") if header else ""

    def cell(column: str, value: object) -> str:
        if column in links:
            return link_html(value, links[column])
        return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else html.escape(str(value))

    rows = []
    for i, row in enumerate(frame.astype(object).to_numpy()):
        cls = f" class='{html.escape(row_class[i], quote=True)}'" if row_class and row_class[i] else ""
        rows.append(f"<tr{cls}>" + "".join(f"<td class='{k}'>{cell(c, v)}</td>"
                                          for c, k, v in zip(columns, classes, row, strict=True)) + "</tr>")
    return f"<table>{head}<tbody>{''.join(rows)}</tbody></table>"


def printable_page(title: str, lines: list[str], body: str, footer: str, extra_css: str = "") -> str:
    """A self-contained printable page: title, context lines (escaped), `body` (HTML made by this module from
    escaped values), a footer note. It loads nothing: links in it are followed only when clicked."""
    meta = "".join(f"<div>{html.escape(line)}</div>" for line in lines)
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{PRINT_CSS}{extra_css}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<div class='meta'>{meta}</div>{body}"
            f"<p class='note'>{html.escape(footer)}</p></body></html>")


def printable_html(frame: pd.DataFrame, title: str, lines: list[str], footer: str, extra_css: str = "",
                   links: dict[str, str | None] | None = None) -> str:
    """A printable page of one table (see :func:`printable_page`, :func:`html_table`).

    Every value is HTML-escaped (nothing from the data is ever markup); only the `links` columns' values that
    pass vetting.kinds.web_link become links.
    """
    return printable_page(title, lines, html_table(frame, links), footer, extra_css)


# ------------------------------------------------------------------ shortlists (Find clinics)
SHORTLIST_COLUMNS = ["clinic_id", "name", "street_address", "city", "state", "zip", "phone", "website", "grade",
                     "score", "red_flags", "unverified", "price_per_session_usd", "last_verified", "distance_km",
                     "directions"]
NOT_ADVICE = ("Not medical advice. Grades reflect only what the data records against the checklist; "
              "'not verified' means unknown, not 'no'. Ask each clinic, and talk to your doctor.")


def shortlist(results: pd.DataFrame, limit: int = 50) -> pd.DataFrame:
    """The first `limit` results with the columns a patient or a doctor needs to follow up: contacts, grade,
    last verified (YYYY-MM-DD), distance in whole km (:func:`whole_km`) and a directions link."""
    head = results.head(limit)
    out = head.assign(directions=directions_urls(head))
    out = out[[c for c in SHORTLIST_COLUMNS if c in out]].reset_index(drop=True)
    if "distance_km" in out:
        out["distance_km"] = whole_km(out["distance_km"])
    if "last_verified" in out:
        out["last_verified"] = iso_days(out["last_verified"])
    return out


PAGE_HEADERS = {"name": "Clinic", "street_address": "Address", "city": "City", "state": "State", "zip": "ZIP",
                "phone": "Phone", "website": "Website", "grade": "Grade", "score": "Score",
                "price_per_session_usd": "Session", "last_verified": "Last verified", "distance_km": "km",
                "directions": "Directions"}
LINKS = {"Website": None, "Directions": "Directions"}  # printed links: a website reads as its address


def shortlist_page(results: pd.DataFrame, title: str, context: list[str]) -> str:
    """A printable page of a shortlist: contacts, grades, last verified, directions, the search described, the
    disclaimer."""
    table = shortlist(results).drop(columns=["clinic_id", "red_flags", "unverified"], errors="ignore")
    table["price_per_session_usd"] = money_text(table["price_per_session_usd"])
    table["score"] = table["score"].round(0).astype("Int64")
    return printable_html(table.rename(columns=PAGE_HEADERS), title, context, NOT_ADVICE, links=LINKS)


# ------------------------------------------------------------------ the referral sheet
REFERRAL_COLUMNS = {"rank": "#", "name": "Clinic", "grade": "Grade", "site_grade": "Site grade",
                    "distance_km": "km", "price_per_session_usd": "Session", "last_verified": "Last verified",
                    "phone": "Phone", "website": "Website", "directions": "Directions", "address": "Address",
                    "must-haves to confirm": "Must-haves to confirm", "must-have evidence": "Must-have evidence",
                    "evidence coverage": "Evidence coverage",
                    "critical, not verified": "Critical, not verified", "other, not verified": "Other, not verified"}
#: What the sheet's header says about the evidence behind the must-haves (vetting.evidence: verified).
EVIDENCE_REQUIRED = {True: "Must-haves backed by evidence: required (verified: the latest evidence agrees with "
                           "the record)",
                     False: "Must-haves backed by evidence: not required ('Must-have evidence' says which are)"}
COVERAGE_NOTE = ("Evidence coverage: of the criteria that apply to a clinic, how many the latest evidence backs "
                 "(verified); the others rest on the clinic's record alone.")
REWEIGHTED_COLUMNS = {"grade": "Grade, these weights", "site_grade": "Grade on the site"}
ONE_PAGE_CSS = ("@page { size: landscape; margin: 12mm; } body { font-size: 9pt; } h1 { font-size: 14pt; } "
                ".col-phone, .col-session, .col-last-verified, .col-km, .col-evidence-coverage "
                "{ white-space: nowrap; }")


def reweighted_note(weights: str) -> str:
    """What a list graded with other weights than the site's says about its grades."""
    return (f"Grades re-weighted for this patient ({weights}): 'Grade, these weights' ranks this list; "
            "'Grade on the site' is the grade patients see in the directory.")


def referral_sheet(rows: pd.DataFrame, criteria_used: list[str], today: dt.date, sample: bool = False,
                   evidence_required: bool | None = None) -> str:
    """A one-page printable referral sheet: date, the criteria used, the clinics, the disclaimer.

    `rows` come from vetting.report.referral_list: when they carry `site_grade` (weights other than the site's),
    both grades are printed, each labelled. A column that says nothing for any row (every must-have met, say)
    is left out; what is common to every row is in `criteria_used`, said once. When `rows` carry the evidence
    columns, each clinic's must-have evidence and evidence coverage are printed, and the header says what the
    coverage counts; `evidence_required` (None: not said) whether the must-haves had to be backed by evidence.
    """
    table = rows[[c for c in REFERRAL_COLUMNS if c in rows]].copy()
    table["price_per_session_usd"] = money_text(table["price_per_session_usd"])
    table["distance_km"] = whole_km(table["distance_km"])
    if table["distance_km"].isna().all():
        table = table.drop(columns="distance_km")
    for col in ("must-haves to confirm", "must-have evidence"):
        if col in table and table[col].eq("").all():
            table = table.drop(columns=col)
    for col in ("critical, not verified", "other, not verified"):
        if col in table:
            table[col] = table[col].replace("", "none")
    headers = {**REFERRAL_COLUMNS, **(REWEIGHTED_COLUMNS if "site_grade" in table else {})}
    table = table.rename(columns=headers)
    lines = [f"Prepared {today:%Y-%m-%d}", *criteria_used]
    if evidence_required is not None:
        lines.append(EVIDENCE_REQUIRED[bool(evidence_required)])
    if "evidence coverage" in rows:
        lines.append(COVERAGE_NOTE)
    if sample:
        lines.append("Sample data: these clinics are fictional.")
    return printable_html(table, "Ketamine therapy referral list", lines,
                          NOT_ADVICE + " Prices and details change: confirm with the clinic before booking.",
                          ONE_PAGE_CSS, links=LINKS)


# ------------------------------------------------------------------ the comparison (Compare clinics)
STATE_CLASS = {"met": "met", "not met": "no", "not verified": "unknown", "not applicable": "na"}
COMPARE_CSS = """
.kc-compare { margin: 0 0 .5rem; }
.kc-compare table { border-collapse: collapse; width: 100%; table-layout: fixed; font-size: .9rem;
  line-height: 1.35; color: #1f2a2e; }
.kc-compare th, .kc-compare td { border: 1px solid #cfd8d6; padding: .3rem .45rem; vertical-align: top;
  text-align: left; overflow-wrap: break-word; }
.kc-compare thead th { background: #eef2f1; font-weight: 600; }
.kc-compare tbody th { font-weight: 500; background: #f7f9f8; }
.kc-compare col.kc-label { width: 34%; }
.kc-compare tr.kc-differs > * { background: #fff3cd; }
.kc-compare .kc-tag { display: inline-block; margin: .1rem .3rem 0 0; padding: 0 .3rem; border-radius: .25rem;
  font-size: .72rem; font-weight: 600; letter-spacing: .02em; text-transform: uppercase; }
.kc-compare .kc-critical { background: #f4d7d5; color: #7d1f1a; }
.kc-compare .kc-differ { background: #f3dc8f; color: #5c4400; }
.kc-compare .met { color: #1d6b38; } .kc-compare .no { color: #a12622; font-weight: 600; }
.kc-compare .unknown { color: #6f5200; } .kc-compare .na { color: #5b6669; }
.kc-compare a { color: #1d5e62; }
.kc-compare .kc-who { display: none; font-weight: 700; color: #5b6669; }
@media screen and (max-width: 640px) {
  /* A phone: each row's label on a line of its own, the clinics' answers side by side below it, each
     numbered as in the header (1, 2, ...), so up to four clinics fit without scrolling sideways. */
  .kc-compare table, .kc-compare thead, .kc-compare tbody { display: block; font-size: .85rem; }
  .kc-compare colgroup, .kc-compare thead th.kc-corner { display: none; }
  .kc-compare tr { display: grid; grid-template-columns: repeat(var(--kc-n, 2), minmax(0, 1fr)); }
  .kc-compare.kc-n3 tr { --kc-n: 3; } .kc-compare.kc-n4 tr { --kc-n: 4; }
  .kc-compare th, .kc-compare td { border: 0; border-bottom: 1px solid #cfd8d6; padding: .3rem .35rem; }
  .kc-compare td + td, .kc-compare thead th + th + th { border-left: 1px solid #e3e9e7; }
  .kc-compare tbody th { grid-column: 1 / -1; border-bottom: 0; padding-top: .45rem; }
  .kc-compare .kc-who { display: inline; }
}
@media print { .kc-compare tr { break-inside: avoid; } }
"""
FACT_LINKS = {"Website": None, "Directions": "Directions"}


def _fact_texts(facts: pd.DataFrame) -> pd.DataFrame:
    """compare_facts' values as text, a column per clinic (facts x clinics); links stay addresses."""
    out = {}
    for column in facts.columns[1:]:
        values = facts[column]
        if column in ("Price per session", "Initial series", "Consultation"):
            values = money_text(values)
        elif column == "Score":
            values = pd.to_numeric(values, errors="coerce").round(0).astype("Int64").astype("string") + " / 100"
        elif str(column).startswith("km from"):
            values = whole_km(values).astype("string") + " km"
        elif column in ("Red flags", "Critical not verified"):
            values = values.astype("Int64").astype("string")
        out[column] = values.astype(object).where(values.notna(), "not listed" if column == "Phone" else "")
    return pd.DataFrame(out, index=facts.index).T.set_axis(list(facts["Clinic"]), axis=1)


def _criteria_texts(table: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """compare_table's rows with the states as words (vetting.report.STATE_ICONS) and `critical` as 'yes'/'no'."""
    from .report import STATE_ICONS  # report imports this module

    out = table[["criterion", *names]].copy()
    out.insert(1, "critical", np.where(table["critical"].to_numpy(dtype=bool), "yes", "no"))
    for name in names:
        out[name] = table[name].map(STATE_ICONS).fillna(table[name])
    return out


def differences_note(table: pd.DataFrame) -> str:
    """What a comparison showing only the criteria where the clinics differ leaves out, in words."""
    differ = int(table["differs"].sum())
    agree = len(table) - differ
    return (f"Only the {differ} criteria where these clinics differ are listed; "
            f"the {agree} where they all agree are left out.")


def comparison_csv(facts: pd.DataFrame, table: pd.DataFrame, only_differences: bool = False) -> str:
    """The comparison as CSV: the headline facts (grade, score, prices, last verified, links), then every
    criterion (or, `only_differences`, those where the clinics differ, with a first row saying so)."""
    names = list(facts["Clinic"])
    fact_rows = _fact_texts(facts).rename_axis("item").reset_index().assign(critical="")
    criteria = _criteria_texts(table[table["differs"]] if only_differences else table, names)
    rows = [fact_rows[["item", "critical", *names]], criteria.rename(columns={"criterion": "item"})]
    if only_differences:
        rows.insert(0, pd.DataFrame([{"item": "Note: " + differences_note(table), "critical": ""}]))
    return to_csv(pd.concat(rows, ignore_index=True).fillna(""))


def _grid(names: list[str], rows: list[tuple[str, list[str], str]], caption: str, corner: str) -> str:
    """A comparison table, a row header then a cell per clinic: each row is (label HTML, cell HTMLs, row class),
    all made of escaped values; the header row's first cell says what the rows are (`corner`). Each cell
    starts with its clinic's number, shown only on a phone (where the table stacks: see COMPARE_CSS)."""
    head = "".join(f"<th scope='col'>{html.escape(n)}</th>" for n in names)
    who = [f"<span class='kc-who' aria-hidden='true'>{i}.&nbsp;</span>" for i in range(1, len(names) + 1)]
    body = "".join(f"<tr class='{cls}'><th scope='row'>{label}</th>"
                   + "".join(f"<td>{w}{c}</td>" for w, c in zip(who, cells, strict=True)) + "</tr>"
                   for label, cells, cls in rows)
    return (f"<div class='kc-compare kc-n{len(names)}'><table>"
            f"<caption style='position:absolute;left:-9999px'>{html.escape(caption)}</caption>"
            f"<colgroup><col class='kc-label'>{'<col>' * len(names)}</colgroup>"
            f"<thead><tr><th class='kc-corner' scope='col'>{html.escape(corner)}</th>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></div>")


def facts_html(facts: pd.DataFrame, website_text: str | None = None) -> str:
    """The headline facts of the compared clinics as a table (facts down, clinics across), escaped; website and
    directions as links only when they pass vetting.kinds.web_link. `website_text`: what a website link reads
    (its address when None, as on paper)."""
    texts = _fact_texts(facts)
    names = list(texts.columns)
    link_texts = {**FACT_LINKS, "Website": website_text}
    rows = []
    for fact, values in texts.iterrows():
        cells = [link_html(v, link_texts[fact]) if fact in link_texts else html.escape(str(v)) for v in values]
        rows.append((html.escape(str(fact)), cells, ""))
    return _grid(names, rows, "Headline facts of the clinics compared", "Fact")


def criteria_html(table: pd.DataFrame, names: list[str]) -> str:
    """compare_table's rows as a table (criteria down, clinics across): each state in words, critical criteria
    and rows where the clinics differ tagged in words (and the latter highlighted)."""
    texts = _criteria_texts(table, names)
    rows = []
    for i in range(len(table)):
        critical, differs = bool(table["critical"].iloc[i]), bool(table["differs"].iloc[i])
        tags = (("<span class='kc-tag kc-critical'>critical</span>" if critical else "")
                + ("<span class='kc-tag kc-differ'>differs</span>" if differs else ""))
        label = html.escape(str(texts["criterion"].iloc[i])) + (f"<br>{tags}" if tags else "")
        cells = [f"<span class='{STATE_CLASS.get(table[n].iloc[i], '')}'>{html.escape(str(texts[n].iloc[i]))}</span>"
                 for n in names]
        rows.append((label, cells, "kc-differs" if differs else ""))
    return _grid(names, rows, "The checklist, criterion by criterion", "Criterion")


def comparison_page(facts: pd.DataFrame, table: pd.DataFrame, lines: list[str], only_differences: bool) -> str:
    """The printable comparison: the headline facts (grade, score, prices, last verified, directions) and the
    checklist side by side; when `only_differences`, only the criteria where the clinics differ, saying so."""
    names = list(facts["Clinic"])
    shown = table[table["differs"]] if only_differences else table
    note = [differences_note(table)] if only_differences else []
    body = (f"{facts_html(facts)}<h2>Checklist, side by side</h2>"
            + "".join(f"<p>{html.escape(n)}</p>" for n in note) + criteria_html(shown, names))
    return printable_page("Ketamine clinic comparison", [*lines, *note], body,
                          "Not medical advice. 'not verified' means the data does not say, not 'no'. Ask each "
                          "clinic, and talk to your doctor.", COMPARE_CSS)


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
